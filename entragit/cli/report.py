"""`entragit report`: build the report from the repository and write it (or print it as JSON)."""

from __future__ import annotations

from pathlib import Path

import click

from entragit import report
from entragit.cli.options import json_option, repo_option
from entragit.cli.output import echo_json


@click.command("report")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for README.md and the SVG charts (default: report/ in the repository).",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Recent changes from this day, YYYY-MM-DD (default: 30 days before the last backup).",
)
@json_option
@repo_option
def report_cmd(out: str | None, since: str | None, as_json: bool, repo: str) -> None:
    """Write a readable report of the tenant: overview, charts, recent changes, deleted objects,
    conditional access in plain words and privileged access. Reads the repository only."""
    r = report.build(repo, since)
    if as_json:
        echo_json(r.to_json())
        return
    written = report.write(r, out or Path(r.root) / "report")
    click.echo(f"report: wrote {len(written)} files to {written[0].parent}")


COMMANDS = [report_cmd]
