"""The `entragit` command line: one click group, commands registered from one module per command family.

Each command parses its options, calls one service function and renders the result. EntragitError becomes a
one-line message on stderr and its exit code; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from entragit import __version__
from entragit.errors import EntragitError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EntragitError as exc:
            click.echo(f"entragit: error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="entragit")
def cli() -> None:
    """Back up and restore a Microsoft Entra ID tenant as configuration-as-code in git."""


def _register() -> None:
    from entragit.cli import backup, history, sandbox

    for module in (backup, history, sandbox):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="entragit")
