"""Backup commands: init, backup, permissions, demo.

Thin: parse options, call one service function (store/config, backup.run_backup, permissions, demo.run_demo),
render its result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from entragit import catalog, config
from entragit.cli.options import repo_option
from entragit.cli.output import color_enabled, echo_json
from entragit.cli.progress import StatusLine, prompt_printer, retry_printer
from entragit.config import AUTH_METHODS, CLOUDS, Config
from entragit.errors import UsageError
from entragit.pipelines import CI_SYSTEMS, GITLAB_APPLY_BRANCH, PACKAGE

if TYPE_CHECKING:
    from entragit.demo import DemoStep


def _tenant_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    value = value.strip()
    if not config.is_tenant(value):
        raise UsageError(
            f"--tenant-id {value!r}: expected the directory (tenant) id, a GUID, or a verified domain name"
            " such as contoso.onmicrosoft.com"
        )
    return value


def _client_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    value = value.strip()
    if not config.is_guid(value):
        raise UsageError(f"--client-id {value!r}: expected the application (client) id, a GUID")
    return value


@click.command("init")
@repo_option
@click.option(
    "--tenant-id",
    required=True,
    callback=_tenant_id,
    help="Directory (tenant) id of the Entra tenant (or a verified domain name of it).",
)
@click.option(
    "--client-id",
    required=True,
    callback=_client_id,
    help="Application (client) id of the app registration entragit uses.",
)
@click.option(
    "--auth",
    type=click.Choice(AUTH_METHODS),
    default=None,
    help="How to get tokens (default: federated with --ci, else secret); credentials come from the AZURE_* "
    "environment variables, never from the repo.",
)
@click.option("--cloud", type=click.Choice(tuple(CLOUDS)), default="global", show_default=True)
@click.option("--force", is_flag=True, help="Point a repository with another tenant's backups at this one.")
@click.option(
    "--ci", type=click.Choice(CI_SYSTEMS), help="Also write this CI system's pipelines (templates/)."
)
@click.option(
    "--ci-project",
    metavar="PATH",
    help="With --ci: GitHub owner/repo, GitLab group/project or Azure DevOps organization/project (default: "
    "read from the repository's origin remote).",
)
@click.option("--restore-client-id", help="With --ci: the separate app registration that GitOps apply uses.")
@click.option(
    "--branch",
    default=None,
    help="With --ci: the default branch (default: the repository's current branch, else main).",
)
@click.option(
    "--service-connection",
    default="entragit-backup",
    show_default=True,
    help="With --ci azure-devops: the backup app's workload identity service connection.",
)
@click.option(
    "--restore-service-connection",
    default="entragit-restore",
    show_default=True,
    help="With --ci azure-devops: the restore app's service connection.",
)
@click.option("--ci-issuer", default="", help="With --ci: a GitLab instance URL or the Azure DevOps issuer.")
@click.option(
    "--package",
    default=PACKAGE,
    show_default=True,
    help="With --ci: what the pipelines pip-install: a requirement, a path, a VCS URL "
    "(git+https://...@TAG) or a wheel.",
)
def init_cmd(
    repo: str,
    tenant_id: str,
    client_id: str,
    auth: str | None,
    cloud: str,
    force: bool,
    ci: str | None,
    ci_project: str | None,
    restore_client_id: str | None,
    branch: str | None,
    service_connection: str,
    restore_service_connection: str,
    ci_issuer: str,
    package: str,
) -> None:
    """Create (or adopt) a git repository as a backup repository and write its entragit.yaml; with --ci,
    also the pipelines, printing the federated credentials to register."""
    from entragit import pipelines
    from entragit.init_repo import init_repository

    values = None
    files: dict[str, str] = {}
    if ci is not None:
        remote, current = _origin_and_branch(repo)
        if not ci_project and remote:
            ci_project, host = pipelines.project_from_remote(ci, remote)
            if ci == "gitlab" and not ci_issuer and host != "gitlab.com":
                ci_issuer = f"https://{host}"  # a self-managed instance: its URL is the issuer
        if not ci_project:
            raise UsageError(
                "--ci needs --ci-project (the repository or project the pipelines run in): the repository"
                " has no origin remote to read it from"
            )
        values = pipelines.CiValues(
            tenant_id=tenant_id,
            backup_client_id=client_id,
            restore_client_id=restore_client_id or client_id,
            project=ci_project.strip("/"),
            branch=branch or current or "main",
            package=package,
            service_connection=service_connection,
            restore_service_connection=restore_service_connection,
            issuer=ci_issuer,
        )
        files = pipelines.render(ci, values)  # before anything is written: a missing template fails first

    def write_pipelines(root: Path) -> list[str]:
        nonlocal values, files
        assert ci is not None and values is not None
        if not (branch or current):  # a repository init just made: the branch git gave it
            values = dataclasses.replace(values, branch=_origin_and_branch(str(root))[1] or "main")
            files = pipelines.render(ci, values)
        return pipelines.write(root, files)

    auth = auth or ("federated" if ci else "secret")
    cfg = Config(tenant_id=tenant_id, client_id=client_id, auth=auth, cloud=cloud)
    store, written = init_repository(
        repo, cfg, force=force, extra=write_pipelines if ci is not None else None
    )
    click.echo(f"initialised backup repository {store.root} ({cfg.cloud} cloud, auth {cfg.auth})")
    if ci is None or values is None:
        click.echo("next: grant the permissions from `entragit permissions`, then run `entragit backup`")
        return
    for path in written:
        click.echo(f"wrote {path}")
    click.echo("register these federated credentials (Entra admin center > App registrations > the app >")
    click.echo("Certificates & secrets > Federated credentials > Other issuer):")
    for cred in pipelines.federated_credentials(ci, values):
        app = values.backup_client_id if cred.app == "backup" else values.restore_client_id
        click.echo(f"  {cred.app} app {app} ({cred.jobs}): issuer {cred.issuer}")
        if cred.flexible:
            click.echo(f"    claims matching expression {cred.subject}")
            click.echo(
                "    (a flexible federated credential: Microsoft Graph beta or the Entra admin center)"
            )
        else:
            click.echo(f"    subject {cred.subject}")
        click.echo(f"    audience {cred.audience}")
    if ci == "azure-devops":
        click.echo(
            "  (an Azure DevOps workload identity service connection shows its issuer and subject when made;"
            " the pipelines use the two connections named above)"
        )
    click.echo(
        "next: grant the backup app `entragit permissions`, the restore app `entragit permissions --restore`"
    )
    click.echo(f"then: {_SETUP[ci]}")


_SETUP = {
    "github": "add required reviewers to the environment entragit-restore (deployment branch: the default"
    " one) and make the entragit review check required",
    "gitlab": f"push the default branch to {GITLAB_APPLY_BRANCH} and protect that branch and the environment"
    " entragit-restore (only approvers); merging promotes nothing until someone pushes to it",
    "azure-devops": "make the two service connections, add an Approvals check to the environment"
    " entragit-restore and a build validation policy running entragit-review.yml on the default branch",
}


def _origin_and_branch(repo: str) -> tuple[str, str]:
    """The origin remote's URL and the current branch of the git repository at `repo` ('' for each that it
    lacks, or when `repo` is not the top of a work tree): what `--ci-project` and `--branch` default to."""
    from entragit.repo import git

    root = Path(repo)
    if not root.is_dir():
        return "", ""
    top = git.run(root, "rev-parse", "--show-toplevel", check=False).decode().strip()
    if not top or Path(top).resolve() != root.resolve():
        return "", ""
    remote = git.run(root, "remote", "get-url", "origin", check=False).decode().strip()
    branch = git.run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).decode().strip()
    return remote, branch


@click.command("backup")
@repo_option
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
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Live progress on stderr (default: only when stderr is a terminal, never in pipes or CI logs).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress and no notes: errors and the summary line.")
def backup_cmd(
    repo: str, types: tuple[str, ...], full: bool, push: bool, progress: bool | None, quiet: bool
) -> None:
    """Back up the tenant: one canonical YAML file per object, one commit per run that changed something."""
    from entragit.backup import RunStatus, run_backup

    show = not quiet and (sys.stderr.isatty() if progress is None else progress)
    status = RunStatus()
    display = StatusLine(status, sys.stderr) if show else contextlib.nullcontext()
    line = display.line if isinstance(display, StatusLine) else None
    try:
        with display:
            result = run_backup(
                repo,
                types=types or None,
                full=full,
                push=push,
                progress=line,
                prompt=prompt_printer(),
                status=status,
                on_retry=retry_printer(line) if line else None,
            )
    except KeyboardInterrupt:
        click.echo(
            "entragit: interrupted; the repository is consistent and the next backup resumes normally",
            err=True,
        )
        sys.exit(130)
    if result.unreachable:  # every type failed on the same host: one line says it, not one per type
        click.echo(f"entragit: error: {result.unreachable}", err=True)
        sys.exit(1)
    for note in [] if quiet else result.notices:
        click.echo(f"entragit: note: {note}", err=True)
    for ref in [] if quiet else result.dangling:
        click.echo(f"entragit: dangling: {ref.line()}", err=True)
    for error in result.errors:
        click.echo(f"entragit: error: {error}", err=True)
    click.echo(result.summary())
    if result.errors:
        sys.exit(1)


@click.command("permissions")
@click.option("--restore", is_flag=True, help="Also what a restore needs on top of the backup's permissions.")
@click.option("--by-type", is_flag=True, help="Show which object type needs each permission.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='A JSON list; with --restore {"backup": [...], "restoreAdditional": [...]};'
    " with --by-type a type → permissions map.",
)
def permissions_cmd(restore: bool, by_type: bool, as_json: bool) -> None:
    """Graph application permissions to grant the app registration (derived from the catalog; in a backup
    repository, with those its entragit.yaml opts in to, such as custom_security_attributes)."""
    from entragit import permissions

    opted = _opted_in()
    if by_type:
        per_type = permissions.permissions_by_type(restore, opted)
        if as_json:
            echo_json(per_type)
            return
        for name, perms in per_type.items():
            click.echo(f"{name}: {', '.join(perms) if perms else '-'}")
        return
    backup = permissions.required_permissions(opted_in=opted)
    delegated = permissions.delegated_permissions(restore)
    if delegated and not as_json:  # (stderr: stdout stays a list of application permissions)
        click.echo(
            "note: terms of use agreements have no application permission; a sign-in with --auth "
            f"device-code reads them with the user's delegated {', '.join(delegated)}",
            err=True,
        )
    if not restore:
        if as_json:
            echo_json(backup)
        else:
            click.echo("\n".join(backup))
        return
    additional = permissions.restore_additional(opted_in=opted)
    if as_json:
        echo_json({"backup": backup, "restoreAdditional": additional})
        return
    click.echo("backup needs:")
    click.echo("".join(f"  {p}\n" for p in backup))
    click.echo("restore needs, on top of those:")
    click.echo("\n".join(f"  {p}" for p in additional))


def _opted_in() -> frozenset[str]:
    """The opt-in settings of the backup repository the command runs in (ENTRAGIT_REPO, else the current
    directory); none outside one."""
    from entragit import config

    root = Path(os.environ.get("ENTRAGIT_REPO") or ".")
    if not (root / config.CONFIG_FILE).is_file():
        return frozenset()
    return config.load(root).opted_in


@click.command("demo")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def demo_cmd(directory: str | None) -> None:
    """Try entragit without a tenant: back up an emulated one, change it carelessly, back up again."""
    from entragit.demo import run_demo

    try:
        root = run_demo(directory, _narrate, color=color_enabled())
    except KeyboardInterrupt:
        sys.exit(130)
    for line in (
        "Explore it (the emulated tenant has stopped; everything below reads the repository):",
        f"  cd {root}",
        "  entragit ls users                 # every user, deleted ones dimmed",
        "  entragit show <user principal name or display name>",
        "  entragit versions <object>        # the backups in which it changed",
        "  entragit compare <object> HEAD~1 HEAD",
        "  git log --stat                    # plain git works too",
    ):
        click.echo(line)


def _narrate(step: DemoStep) -> None:
    """The demo's words for each step it reports."""
    if step.kind == "started":
        click.echo("Starting an emulated Entra tenant (local HTTPS, no network, no credentials needed)...")
    elif step.kind == "repository":
        click.echo(f"Backup repository: {step.repo}")
        click.echo("\n1. First backup: every object becomes one YAML file, the run one commit.")
    elif step.kind == "changes":
        click.echo("\n2. A careless admin changes the tenant:")
        for line in step.changes:
            click.echo(f"   - {line}")
        click.echo("\n3. Second backup: only what changed is written and committed.")
    elif step.kind == "backup" and step.result is not None:
        click.echo(f"  {step.result.summary()}")
        for err in step.result.errors:
            click.echo(f"  error: {err}")
    elif step.kind == "commit":
        click.echo(f"\n$ git log --stat -1\n\n{step.log}")
        click.echo(f"$ git diff HEAD~1 HEAD\n\n{step.diff}")


COMMANDS: list[click.Command] = [init_cmd, backup_cmd, permissions_cmd, demo_cmd]
