"""What `sqlaquiz config` shows: the config file, then every setting, its value and source."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from quiz.config import KEYS, Settings
from quiz.ui.safe import safe, safe_text


def file_line(settings: Settings) -> str:
    """The config file's path, whole (it is copied from here: the caller prints it unwrapped),
    and whether it exists yet."""
    path = settings.path
    line = f"Config file: {safe(path)}"
    if path is None or not path.exists():
        line += " (not there yet: `sqlaquiz config KEY VALUE` creates it)"
    return line


def settings_table(settings: Settings) -> Group:
    """One row per setting: key, value, and where it came from ("config file, line N": the
    file's path is on the line above)."""
    table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("from", style="dim", overflow="fold")
    for key in KEYS:
        source = settings.source(key)
        style = "" if source.kind == "default" else "cyan"
        table.add_row(key, safe_text(settings.shown(key), style), safe_text(source.short()))
    precedence = Text(
        "A flag comes first, then the environment variable, the config file, the default.",
        style="dim",
    )
    return Group(table, precedence)
