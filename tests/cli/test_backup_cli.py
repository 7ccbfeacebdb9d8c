"""`entragit init` and `entragit backup` as a user runs them, against the in-process sandbox (issue 8)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitcmd import git as _git
from live_helpers import cli_env

from entragit.cli import cli
from entragit.cli.progress import retry_printer
from entragit.graph.client import RetryNotice
from entragit.sandbox.server import Sandbox


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> Path:
    root = tmp_path / "backup"
    r = invoke(
        cli_env(sandbox),
        *("init", "--repo", str(root), "--tenant-id", sandbox.tenant_id, "--client-id", sandbox.client_id),
    )
    assert r.exit_code == 0, r.output
    return root


def test_backup_against_an_unresolvable_graph_host_fails_in_seconds_with_one_line(
    sandbox: Sandbox, repo: Path
) -> None:
    env = {**cli_env(sandbox), "ENTRAGIT_GRAPH_URL": "https://nonexistent.invalid"}
    started = time.monotonic()
    r = invoke(env, "backup", "--repo", str(repo))
    assert time.monotonic() - started < 10
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "entragit: error: cannot reach Graph at nonexistent.invalid: the host name does not resolve"
        " (check ENTRAGIT_GRAPH_URL, or graph_url and cloud in entragit.yaml)"
    ]
    assert r.stdout == ""


def test_retries_are_reported_and_not_flooded() -> None:
    """Retry notices reach the progress display (a terminal's status line) at most once per interval."""
    lines: list[str] = []
    show = retry_printer(lines.append, every=60)
    show(RetryNotice("users", "503", 3, 9, 1.25))
    show(RetryNotice("users", "503", 4, 9, 2.5))  # within the minute: left out
    assert lines == ["retrying users: 503, attempt 3 of 9 (in 1.2 s)"]
    lines.clear()
    show = retry_printer(lines.append)
    show(RetryNotice("groups/1/members and 19 more (in $batch)", "429", 2, None, 0.5))
    assert lines == ["retrying groups/1/members and 19 more (in $batch): 429, attempt 2 (in 0.5 s)"]


# -- init over an existing repository (item 5) -------------------------------------------------------------

OTHER_TENANT = "0b5e2c1d-4a3f-4e6b-9d8c-7f1a2b3c4d5e"


@pytest.mark.parametrize("backed_up", ["organization", "users"])
def test_init_refuses_another_tenant_over_backups_unless_forced(
    sandbox: Sandbox, repo: Path, backed_up: str
) -> None:
    """With the organization backed up its id and verified domains are known; without it (a backup of users
    only), entragit.yaml's tenant id is what the backups are of."""
    env = cli_env(sandbox)
    assert invoke(env, "backup", "--repo", str(repo), "--type", backed_up).exit_code == 0
    settings = (repo / "entragit.yaml").read_text()
    head = _git(repo, "rev-parse", "HEAD")
    init = ("init", "--repo", str(repo), "--client-id", sandbox.client_id)
    r = invoke(env, *init, "--tenant-id", OTHER_TENANT)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"entragit: error: {repo} holds backups of tenant {sandbox.tenant_id}, not {OTHER_TENANT}: back up"
        " another tenant into a repository of its own (--force points this one at it anyway)"
    ]
    assert (repo / "entragit.yaml").read_text() == settings and _git(repo, "rev-parse", "HEAD") == head

    # The same tenant, by id in other letters or by a verified domain name, is no conflict.
    assert invoke(env, *init, "--tenant-id", sandbox.tenant_id.upper()).exit_code == 0
    if backed_up == "organization":
        r = invoke(env, *init, "--tenant-id", sandbox.tenant.domain)
        assert r.exit_code == 0, r.output

    r = invoke(env, *init, "--tenant-id", OTHER_TENANT, "--force")
    assert r.exit_code == 0, r.output
    assert f"tenant_id: {OTHER_TENANT}" in (repo / "entragit.yaml").read_text()


def test_init_may_change_the_tenant_before_the_first_backup(sandbox: Sandbox, repo: Path) -> None:
    r = invoke({}, "init", "--repo", str(repo), "--tenant-id", OTHER_TENANT, "--client-id", sandbox.client_id)
    assert r.exit_code == 0, r.output  # a typo fixed: nothing was backed up under the old id


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--tenant-id", "t-1"),
        ("--tenant-id", "contoso"),
        ("--tenant-id", "3f6a1c2e-8b4d-4e7a-9c1f-5d2b8a6e4c9"),
        ("--tenant-id", "https://login.microsoftonline.com/contoso.com"),
        ("--client-id", "c-1"),
        ("--client-id", "contoso.onmicrosoft.com"),
    ],
)
def test_init_ids_that_are_neither_guids_nor_domain_names_are_usage_errors(
    tmp_path: Path, option: str, value: str
) -> None:
    ids = {"--tenant-id": OTHER_TENANT, "--client-id": "7d1f3e5a-2c4b-4a9e-8f6d-0b1c2d3e4f5a", option: value}
    r = invoke({}, "init", "--repo", str(tmp_path / "r"), *(x for kv in ids.items() for x in kv))
    assert r.exit_code == 2
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith(f"entragit: error: {option} {value!r}: ")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("tenant", ["contoso.onmicrosoft.com", "Contoso.COM", "sub.contoso.co.uk"])
def test_init_takes_a_verified_domain_name_for_the_tenant(tmp_path: Path, tenant: str) -> None:
    r = invoke({}, "init", "--repo", str(tmp_path / "r"), "--tenant-id", tenant, "--client-id", OTHER_TENANT)
    assert r.exit_code == 0, r.output
