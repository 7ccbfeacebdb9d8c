"""The `entragit` command line: one click group over one module per command family.

Each command parses its options, calls one service function and renders the result. The group imports a
command's module only when that command runs (or help lists them all): `entragit backup` then loads neither
restore, history nor the sandbox, a quarter of its start-up. EntragitError becomes a
one-line message on stderr and its exit code; any other exception is a bug and keeps its traceback. A reader
that goes away (`entragit ls | head -3`) ends the command as SIGPIPE ends `git log | head`: quietly.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any, NoReturn

import click

from entragit import __version__
from entragit.errors import EntragitError


def closed_pipe() -> NoReturn:
    """End the process as git, cat or seq end when their reader closes the pipe: killed by SIGPIPE, which
    shells show as status 141 and treat as normal (no message; only `set -o pipefail` sees it).

    Python ignores SIGPIPE and raises BrokenPipeError instead, which click turned into exit 1 for some
    commands while others ended 0 (the write had fit in the pipe buffer). Whatever is still buffered for
    stdout can never be delivered: stdout is pointed at /dev/null first so that nothing, not even the
    interpreter's final flush, complains about it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(128 + 13)  # no SIGPIPE (Windows): the status a shell would have shown


# Which module of this package holds each command. tests/cli/test_commands.py checks it against the modules'
# COMMANDS lists, so a command added there and forgotten here fails a test rather than vanishing.
COMMAND_MODULES: dict[str, str] = {
    **dict.fromkeys(("init", "backup", "permissions", "demo"), "backup"),
    **dict.fromkeys(("ls", "show", "versions", "compare", "restore-points", "score", "seats"), "history"),
    **dict.fromkeys(("plan", "restore", "apply"), "restore"),
    **dict.fromkeys(("validate", "status", "fleet"), "checks"),
    "report": "report",
    "sandbox": "sandbox",
}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"entragit.cli.{module_name}")
        return next(command for command in module.COMMANDS if command.name == cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            except EntragitError as exc:
                for line in str(exc).splitlines() or [""]:  # several problems: one line each
                    click.echo(f"entragit: error: {line}", err=True)
                sys.exit(exc.exit_code)
            finally:
                sys.stdout.flush()  # a closed pipe must show here, not in the interpreter's exit-time flush
        except BrokenPipeError:
            closed_pipe()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="entragit")
def cli() -> None:
    """Back up and restore a Microsoft Entra ID tenant as configuration-as-code in git."""


def main() -> None:
    cli(prog_name="entragit")
