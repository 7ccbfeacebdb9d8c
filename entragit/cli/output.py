"""Output helpers shared by every command: JSON for machines, dimmed/coloured text for people.

Colour follows the no-color.org convention (NO_COLOR set → none) and is off when stdout is not a terminal, so
piped output and CI logs stay plain.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    pass


def color_enabled() -> bool:
    """no-color.org: NO_COLOR only counts when set to a non-empty value."""
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def style(text: str, **kwargs: Any) -> str:
    return click.style(text, **kwargs) if color_enabled() else text


def dim(text: str) -> str:
    return style(text, dim=True)


# Large outputs are written in slices: when the reader of a pipe goes away in the middle of one big write,
# Linux reports a short write and Python's buffered stdout takes it as done, so the command would end 0 with
# its output cut; the next slice meets the closed pipe and ends the command as every closed pipe does
# (cli.closed_pipe).
_SLICE = 64 * 1024


def echo(text: str) -> None:
    """click.echo for output that may be large (tables, JSON): see _SLICE."""
    for start in range(0, len(text), _SLICE):
        click.echo(text[start : start + _SLICE], nl=False)
    click.echo()


def echo_json(data: Any) -> None:
    echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0  # accents, variation selectors, zero-width joiners
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """Terminal columns text takes: CJK and emoji take two, combining marks none (len() counts both as one,
    which shifted every column after a name like `李芳` or `Zoë 🚀`)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)


def table(rows: Sequence[Sequence[str]], headers: Sequence[str], dim_rows: Sequence[bool] = ()) -> str:
    """Left-aligned columns sized to their widest cell; rows flagged in dim_rows are dimmed (e.g. deleted)."""
    widths = [width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip()

    lines = [style(fmt(headers), bold=True)]
    for i, row in enumerate(rows):
        line = fmt(row)
        lines.append(dim(line) if i < len(dim_rows) and dim_rows[i] else line)
    return "\n".join(lines)
