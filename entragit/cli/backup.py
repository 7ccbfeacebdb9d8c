"""Backup commands: init, backup, permissions, demo.

Thin: parse options, call one service function (store/config, backup.run_backup, permissions, demo.run_demo),
render its result.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from entragit import catalog, config
from entragit.cli.output import echo_json
from entragit.config import AUTH_METHODS, CLOUDS, Config
from entragit.errors import EntragitError


def _repo_dir(repo: str | None) -> Path:
    return Path(repo or os.environ.get("ENTRAGIT_REPO") or ".")


_repo_option = click.option(
    "--repo",
    type=click.Path(file_okay=False),
    default=None,
    help="Backup repository (default: ENTRAGIT_REPO or the current directory).",
)


@click.command("init")
@_repo_option
@click.option("--tenant-id", required=True, help="Directory (tenant) id of the Entra tenant.")
@click.option(
    "--client-id", required=True, help="Application (client) id of the app registration entragit uses."
)
@click.option(
    "--auth",
    type=click.Choice(AUTH_METHODS),
    default="secret",
    show_default=True,
    help="How to get tokens; credentials come from the AZURE_* environment variables, never from the repo.",
)
@click.option("--cloud", type=click.Choice(tuple(CLOUDS)), default="global", show_default=True)
def init_cmd(repo: str | None, tenant_id: str, client_id: str, auth: str, cloud: str) -> None:
    """Create (or adopt) a git repository as a backup repository and write its entragit.yaml."""
    from entragit.store import Store

    directory = _repo_dir(repo)
    store = Store.init(directory)
    cfg = Config(tenant_id=tenant_id, client_id=client_id, auth=auth, cloud=cloud)
    existing = (store.root / config.CONFIG_FILE).exists()
    if existing:
        old = config.load(store.root)
        cfg.include_types, cfg.exclude_types = old.include_types, old.exclude_types
        cfg.exclude_attributes = old.exclude_attributes
    config.save(store.root, cfg)
    store.commit_paths(
        [config.CONFIG_FILE], "entragit init" if not existing else "entragit init: update settings"
    )
    click.echo(f"initialised backup repository {store.root} ({cfg.cloud} cloud, auth {cfg.auth})")
    click.echo("next: grant the permissions from `entragit permissions`, then run `entragit backup`")


@click.command("backup")
@_repo_option
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    callback=lambda _ctx, _param, names: tuple(catalog.by_name(n).name for n in names),
    help="Back up only this type (repeatable); checked before anything else runs.",
)
@click.option("--full", is_flag=True, help="List everything again instead of using delta links.")
@click.option("--push", is_flag=True, help="git push to the configured remote after committing.")
def backup_cmd(repo: str | None, types: tuple[str, ...], full: bool, push: bool) -> None:
    """Back up the tenant: one canonical YAML file per object, one commit per run that changed something."""
    from entragit.backup import run_backup, tty_progress

    try:
        result = run_backup(
            _repo_dir(repo), types=types or None, full=full, push=push, progress=tty_progress()
        )
    except KeyboardInterrupt:
        click.echo(
            "entragit: interrupted; the repository is consistent and the next backup resumes normally",
            err=True,
        )
        sys.exit(130)
    for line in result.errors:
        click.echo(f"entragit: error: {line}", err=True)
    click.echo(result.summary())
    if result.errors:
        sys.exit(1)


@click.command("permissions")
@click.option("--restore", is_flag=True, help="Also the permissions a restore needs.")
@click.option("--by-type", is_flag=True, help="Show which object type needs each permission.")
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON list (with --by-type: a type → permissions map)."
)
def permissions_cmd(restore: bool, by_type: bool, as_json: bool) -> None:
    """Graph application permissions to grant the app registration (derived from the catalog)."""
    from entragit import permissions

    if as_json:
        echo_json(
            permissions.permissions_by_type(restore) if by_type else permissions.required_permissions(restore)
        )
        return
    if by_type:
        for name, perms in permissions.permissions_by_type(restore).items():
            click.echo(f"{name}: {', '.join(perms) if perms else '-'}")
        return
    for perm in permissions.required_permissions(restore=restore):
        click.echo(perm)


@click.command("demo")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo_cmd(directory: str | None) -> None:
    """Try entragit without a tenant: back up an emulated one, change it carelessly, back up again."""
    from entragit.demo import run_demo

    try:
        run_demo(directory)
    except EntragitError:
        raise
    except KeyboardInterrupt:
        sys.exit(130)


COMMANDS: list[click.Command] = [init_cmd, backup_cmd, permissions_cmd, demo_cmd]
