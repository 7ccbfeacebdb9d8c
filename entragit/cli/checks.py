"""The checks pipelines and hooks run: validate (pre-commit, before apply), status and fleet (CI summaries).

Thin: parse options, call one service function (validate.validate, status.repo_status, status.fleet), render.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from entragit.cli.options import json_option, repo_option
from entragit.cli.output import echo_json, table
from entragit.wording import count

if TYPE_CHECKING:
    from entragit.status import RepoStatus


@click.command("validate")
@repo_option
@click.option("--fix", is_flag=True, help="Rewrite files whose only problem is their form in canonical form.")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def validate_cmd(repo: str, fix: bool, files: tuple[str, ...]) -> None:
    """Check object files against their type and the committed files (default: every changed object file).

    One line per problem on stdout, exit 1 if any: the `entragit-validate` pre-commit hook. Without any, one
    line saying what was checked (and rewritten by --fix), exit 0."""
    from entragit.validate import validate

    results = validate(repo, files, fix=fix)
    problems = [line for result in results for line in result.problems]
    rewritten = [r.path for r in results if r.rewritten]
    for line in [f"{path}: rewritten in canonical form" for path in rewritten] + problems:
        click.echo(line)
    if problems:
        sys.exit(1)
    what = "file" if files else "changed object file"
    fixed = f", {len(rewritten)} rewritten in canonical form" if rewritten else ""
    click.echo(f"{count(len(results), what)} checked, no problems{fixed}")


@click.command("status")
@repo_option
@json_option
def status_cmd(repo: str, as_json: bool) -> None:
    """The backup repository's tenant, last backup and its result, objects per type, last change, drift."""
    from entragit.status import repo_status

    status = repo_status(repo)
    if as_json:
        echo_json(status.to_json())
    else:
        for label, value in _status_lines(status):
            click.echo(f"{label + ':':<13} {value}")
        for ref in status.dangling:
            click.echo(f"  {ref['line']}")
    if status.result == "error":
        sys.exit(1)


def _result(s: RepoStatus) -> str:
    if s.result == "error":
        return f"error: {s.error}"
    if s.result == "none":
        return "no backup yet"
    failed = ", ".join(f"{t} ({why})" for t, why in sorted(s.failed_types.items()))
    text = f"failed: {failed}" if failed else s.result
    return text + ("; stale" if s.stale else "")


def _drift(s: RepoStatus) -> str:
    if not s.drift:
        return "not checked"
    state = "drifted" if s.drifted else "in sync"
    return f"{state} ({s.drift.get('changes', '?')} changes, {s.drift.get('time', '?')})"


def _status_lines(s: RepoStatus) -> list[tuple[str, str]]:
    objects = ", ".join(f"{t} {n}" for t, n in sorted(s.objects.items())) or "-"
    lines = [
        ("repository", s.repo),
        ("tenant", f"{s.domain} ({s.tenant_id})" if s.domain else str(s.tenant_id or "?")),
        ("last backup", s.last_backup or "never"),
        ("result", _result(s)),
        ("objects", objects + (f"; {s.soft_deleted} soft-deleted" if s.soft_deleted else "")),
        ("last change", s.last_change or "-"),
        ("drift", _drift(s)),
    ]
    if s.result not in ("error", "none"):  # read from a backup: nothing to say without one
        lines.append(
            ("dangling", f"{count(len(s.dangling), 'reference')} to objects gone" if s.dangling else "none")
        )
    return lines


@click.command("fleet")
@click.argument("repos", nargs=-1, required=True, metavar="REPO...")
@json_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when a backup failed or is stale.")
def fleet_cmd(repos: tuple[str, ...], as_json: bool, exit_code: bool) -> None:
    """One row per tenant, failures and stale backups first. A REPO ending in .json is a saved
    `entragit status --json` (what a matrix pipeline's jobs hand their summary job). A REPO that does not
    exist is listed too, then named on stderr, exit 1: a typo must not pass for a quiet night."""
    from entragit.status import fleet

    rows = fleet(repos)
    if as_json:
        echo_json([r.to_json() for r in rows])
    else:
        cells = [
            [
                r.domain or r.tenant_id or r.repo,
                r.last_backup or "never",
                _result(r),
                str(sum(r.objects.values())),
                r.last_change or "-",
                _drift(r),
            ]
            for r in rows
        ]
        click.echo(table(cells, ["TENANT", "LAST BACKUP", "RESULT", "OBJECTS", "LAST CHANGE", "DRIFT"]))
    missing = [p for p in repos if not Path(p).exists()]
    for path in missing:
        click.echo(f"entragit: error: {path}: no such directory", err=True)
    if missing or (exit_code and any(r.result in ("error", "failed", "none") or r.stale for r in rows)):
        sys.exit(1)


COMMANDS: list[click.Command] = [validate_cmd, status_cmd, fleet_cmd]
