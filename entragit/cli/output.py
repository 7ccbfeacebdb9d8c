"""Output helpers shared by every command: JSON for machines, dimmed/coloured text for people.

Colour follows the no-color.org convention (NO_COLOR set → none) and is off when stdout is not a terminal, so
piped output and CI logs stay plain.
"""

from __future__ import annotations

import json
import os
import shutil
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


def terminal_width() -> int | None:
    """Columns a table must fit in when stdout is a terminal (COLUMNS first, as shutil.get_terminal_size
    reads it); None otherwise: a pipe or a file gets whole cells for grep and cut, whatever COLUMNS says
    (test runners and CI set it without a terminal)."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def truncate(text: str, columns: int) -> str:
    """text cut to `columns` terminal columns, ending in `…` when cut; a wide character that would straddle
    the edge is left out whole."""
    if width(text) <= columns:
        return text
    kept, used = [], 0
    for ch in text:
        w = _char_width(ch)
        if used + w > columns - 1:
            break
        kept.append(ch)
        used += w
    return "".join(kept) + "…"


_GAP = 2  # spaces between columns
_SHORT = 20  # a column whose cells all fit in this (dates, states, counts) is never cut
_MIN_COLUMN = 12  # nor is any column cut narrower than this or its header


def _fit(widths: list[int], floors: list[int], limit: int) -> list[int]:
    """Column widths narrowed to fit `limit`: always the column with the most to spare, so long names and
    ids give way before short dates and states. Stops at the floors (the line then stays too wide)."""
    fitted = list(widths)
    excess = sum(fitted) + _GAP * (len(fitted) - 1) - limit
    while excess > 0:
        i = max(range(len(fitted)), key=lambda k: fitted[k] - floors[k])
        if fitted[i] <= floors[i]:
            break
        fitted[i] -= 1
        excess -= 1
    return fitted


def table(
    rows: Sequence[Sequence[str]],
    headers: Sequence[str],
    dim_rows: Sequence[bool] = (),
    max_width: int | None = -1,
) -> str:
    """Left-aligned columns sized to their widest cell; rows flagged in dim_rows are dimmed (e.g. deleted).

    Wider than `max_width` (default: terminal_width(); None: no limit), the widest columns are narrowed and
    their long cells cut with `…`."""
    widths = [width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    limit = terminal_width() if max_width == -1 else max_width
    fitted = widths
    if limit is not None:
        floors = [
            w if w <= _SHORT else max(width(h), _MIN_COLUMN) for w, h in zip(widths, headers, strict=True)
        ]
        fitted = _fit(widths, floors, limit)
    cut = [f < w for f, w in zip(fitted, widths, strict=True)]

    def fmt(row: Sequence[str]) -> str:
        cells = [truncate(c, fitted[i]) if cut[i] else c for i, c in enumerate(row)]
        return (" " * _GAP).join(c + " " * (fitted[i] - width(c)) for i, c in enumerate(cells)).rstrip()

    lines = [style(fmt(headers), bold=True)]
    for i, row in enumerate(rows):
        line = fmt(row)
        lines.append(dim(line) if i < len(dim_rows) and dim_rows[i] else line)
    return "\n".join(lines)
