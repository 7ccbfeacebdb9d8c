"""The one progress printer: services report through a callback, and only this module decides what shows.

Progress goes to stderr and only when a person watches it (a terminal): in pipes and CI logs it would be noise
between the lines scripts parse.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

import click

from entragit.cli.output import dim

Progress = Callable[[str], None]


def progress_printer(stream: TextIO | None = None) -> Progress | None:
    """A printer of progress lines on `stream` (stderr) when it is a terminal, else None (quiet)."""
    out = stream or sys.stderr
    if not out.isatty():
        return None

    def show(msg: str) -> None:
        click.echo(dim(f"entragit: {msg}…"), file=out)

    return show


def prompt_printer(stream: TextIO | None = None) -> Progress:
    """Interactive instructions (device-code sign-in): always shown, on stderr so stdout stays parseable."""
    out = stream or sys.stderr
    return lambda msg: click.echo(msg, file=out)
