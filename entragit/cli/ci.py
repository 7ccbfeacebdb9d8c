"""Commands pipelines and hooks run: validate (pre-commit, before apply), status and fleet (CI summaries).

Thin: parse options, call one service function (validate.validate, status.repo_status, status.fleet), render.
"""

from __future__ import annotations

import sys

import click

from entragit.cli.options import repo_option


@click.command("validate")
@repo_option
@click.option("--fix", is_flag=True, help="Rewrite files whose only problem is their form in canonical form.")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def validate_cmd(repo: str, fix: bool, files: tuple[str, ...]) -> None:
    """Check object files against their type and their HEAD version (default: every changed object file).

    One line per problem on stdout, exit 1 if any: the `entragit-validate` pre-commit hook."""
    from entragit.validate import validate

    results = validate(repo, files, fix=fix)
    problems = [line for result in results for line in result.problems]
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)


COMMANDS: list[click.Command] = [validate_cmd]
