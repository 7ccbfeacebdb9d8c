"""Options every command family shares: `--repo`/`ENTRAGIT_REPO` and `--json` mean one thing everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def repo_option(f: F) -> F:
    """`--repo DIR`, else ENTRAGIT_REPO, else the current directory: resolved here, once, for all commands."""
    return click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False),
        envvar="ENTRAGIT_REPO",
        default=".",
        show_default=False,
        help="Backup repository (default: ENTRAGIT_REPO or the current directory).",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(f)
