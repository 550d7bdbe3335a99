"""Typed lines keep text only, with readline or without it."""

from __future__ import annotations

import sys

import pytest

from quiz.review import typed


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("the identity map\n", "the identity map"),
        ("ident\x1b[Dity", "identity"),  # an arrow key without readline
        ("a\x1b[1;5Cb", "ab"),  # Ctrl-Right
        ("a\x1bOHb", "ab"),  # Home, SS3 form
        ("a\x1b", "a"),  # a lone Escape
        ("tab\there", "tab here"),
        ("bell\x07 and \x7fdel", "bell and del"),
        ("\x9b31mC1 CSI", "C1 CSI"),
        ("café → ok", "café → ok"),
    ],
)
def test_clean_keeps_text_only(raw: str, kept: str) -> None:
    assert typed.clean(raw) == kept


def test_without_readline_lines_are_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "readline", None)  # import readline -> ImportError
    assert typed.enable_line_editing() is False
