"""`entragit init` and `entragit backup` as a user runs them, against the in-process sandbox (issue 8)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entragit.cli import cli
from entragit.cli.progress import retry_printer
from entragit.graph.client import RetryNotice
from entragit.sandbox.server import Sandbox


def sandbox_env(box: Sandbox) -> dict[str, str]:
    return {
        "ENTRAGIT_GRAPH_URL": box.graph_url,
        "AZURE_AUTHORITY_HOST": box.authority_host,
        "AZURE_CLIENT_SECRET": box.client_secret,
        "REQUESTS_CA_BUNDLE": box.ca_bundle,
        "ENTRAGIT_REPO": "",
        "NO_COLOR": "1",
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def repo(sandbox: Sandbox, tmp_path: Path) -> Path:
    root = tmp_path / "backup"
    r = invoke(
        sandbox_env(sandbox),
        *("init", "--repo", str(root), "--tenant-id", sandbox.tenant_id, "--client-id", sandbox.client_id),
    )
    assert r.exit_code == 0, r.output
    return root


def test_backup_against_an_unresolvable_graph_host_fails_in_seconds_with_one_line(
    sandbox: Sandbox, repo: Path
) -> None:
    env = {**sandbox_env(sandbox), "ENTRAGIT_GRAPH_URL": "https://nonexistent.invalid"}
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
