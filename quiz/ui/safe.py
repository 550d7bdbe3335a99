"""Text from outside sqlaquiz, made safe to draw: decks, example output, exception messages,
file names, imported ids.

Rich prints an escape character as it is, so a deck or an example could clear the screen,
retitle the window or write the clipboard (OSC 52) by printing one. `safe` shows every control
character as a visible escape instead (the four characters `\\x1b`), keeps newlines and tabs,
and does the same for Unicode's invisible direction overrides (which can make code read other
than it runs) and for lone surrogates (which no terminal can be sent). Rich markup is never
interpreted in text that went through `safe_text`: it is a plain `Text`.
"""

from __future__ import annotations

import re

from rich.text import Text

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline), DEL, C1 (0x9b is a CSI)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # direction marks, overrides, isolates
    "\ud800-\udfff]"  # lone surrogates
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: object) -> str:
    """`str(text)` with control characters shown, not obeyed (see the module's docstring)."""
    return _UNSAFE.sub(_visible, str(text))


def safe_text(text: object, style: str = "") -> Text:
    """`safe(text)` as a Rich Text: styled as a whole, its brackets never read as markup."""
    return Text(safe(text), style=style)
