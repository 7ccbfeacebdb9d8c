"""The command group loads a command's module only when that command runs, and still knows every command."""

from __future__ import annotations

import importlib
import subprocess
import sys

from click.testing import CliRunner

from entragit.cli import COMMAND_MODULES, cli


def test_every_module_command_is_reachable_by_name() -> None:
    """A command added to a module's COMMANDS but not to COMMAND_MODULES would silently disappear."""
    declared: dict[str, str] = {}
    for module_name in sorted(set(COMMAND_MODULES.values())):
        module = importlib.import_module(f"entragit.cli.{module_name}")
        for command in module.COMMANDS:
            assert command.name is not None
            declared[command.name] = module_name
    assert declared == COMMAND_MODULES


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMAND_MODULES)


def test_a_command_loads_only_its_own_family() -> None:
    """`entragit backup` runs every few minutes in CI: it must not pay for restore, history or the sandbox."""
    probe = (
        "import sys\n"
        "from entragit.cli import main\n"
        "sys.argv = ['entragit', 'backup', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('entragit.restore', 'entragit.history',"
        " 'entragit.sandbox', 'entragit.report')))\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "[]"
    assert "Back up the tenant" in done.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["restor"])
    assert result.exit_code == 2
    assert "No such command 'restor'" in result.output
