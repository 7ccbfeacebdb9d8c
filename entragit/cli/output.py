"""Output helpers shared by every command: JSON for machines, dimmed/coloured text for people.

Colour follows the no-color.org convention (NO_COLOR set → none) and is off when stdout is not a terminal, so
piped output and CI logs stay plain.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import click


def color_enabled() -> bool:
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def style(text: str, **kwargs: Any) -> str:
    return click.style(text, **kwargs) if color_enabled() else text


def dim(text: str) -> str:
    return style(text, dim=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def table(rows: Sequence[Sequence[str]], headers: Sequence[str], dim_rows: Sequence[bool] = ()) -> str:
    """Left-aligned columns sized to their widest cell; rows flagged in dim_rows are dimmed (e.g. deleted)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def fmt(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()

    lines = [style(fmt(headers), bold=True)]
    for i, row in enumerate(rows):
        line = fmt(row)
        lines.append(dim(line) if i < len(dim_rows) and dim_rows[i] else line)
    return "\n".join(lines)
