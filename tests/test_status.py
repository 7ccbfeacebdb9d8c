"""`entragit status` and `entragit fleet`: what a summary job learns about each tenant's backups."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import live_helpers
from click.testing import CliRunner
from history_repo import RepoBuilder, guid

from entragit import config, status
from entragit.backup import run_backup
from entragit.cli import cli
from entragit.config import Config
from entragit.repo import records
from entragit.repo.writer import Store
from entragit.sandbox.server import Sandbox

# RepoBuilder's first commit is at 1_700_000_000 + 1 h = 2023-11-14T23:13:20Z.
NOW = datetime(2023, 11, 15, 12, 0, tzinfo=timezone.utc)


def _repo(root: Path, tenant: str, message: str, *, hours: float = 1) -> RepoBuilder:
    b = RepoBuilder(root)
    b.write("entragit.yaml", f"tenant_id: {tenant}\nclient_id: c\n")
    b.put("users", {"id": guid(1, "ab"), "displayName": "Ana", "userPrincipalName": "ana@x.com"})
    b.put("users", {"id": guid(2, "ab"), "displayName": "Old", "deletedDateTime": "2023-11-01T00:00:00Z"})
    b.put("groups", {"id": guid(3, "cd"), "displayName": "Finance"})
    b.commit(message, hours=hours)
    return b


def test_status_of_a_partial_backup_from_its_commit(tmp_path: Path) -> None:
    """A failed type is a Failed-Type trailer of the backup commit (backup._commit_message)."""
    message = (
        "backup contoso.com: 0 changed, 3 added, 0 deleted\n\nusers: added Ana (users/ab/x.yaml)\n\n"
        "Failed-Type: applications (403 Application.Read.All)\nFailed-Type: oauth2PermissionGrants (503)\n"
    )
    b = _repo(tmp_path / "r", "t-1", message)
    s = status.repo_status(b.root, now=NOW)
    assert (s.tenant_id, s.domain, s.result) == ("t-1", "contoso.com", "failed")
    assert s.failed_types == {"applications": "403 Application.Read.All", "oauth2PermissionGrants": "503"}
    assert s.objects == {"users": 1, "groups": 1} and s.soft_deleted == 1
    assert s.last_backup == s.last_change == "2023-11-14T23:13:20Z"
    assert not s.stale and s.drift is None


def test_run_record_newer_than_the_commit_wins_and_drift_is_read(tmp_path: Path) -> None:
    b = _repo(tmp_path / "r", "t-1", "backup contoso.com: 0 changed, 3 added, 0 deleted\n")
    git_dir = b.root / ".git"
    records.write(git_dir, records.LAST_RUN, {"time": "2023-11-15T06:00:00Z", "failed": {}, "errors": 1})
    records.write(git_dir, records.DRIFT, {"time": "2023-11-15T07:00:00Z", "drifted": True, "changes": 2})
    s = status.repo_status(b.root, now=NOW)
    assert (s.last_backup, s.last_change, s.result) == (
        "2023-11-15T06:00:00Z",
        "2023-11-14T23:13:20Z",
        "failed",
    )
    assert s.drifted
    out = CliRunner().invoke(cli, ["status", "--repo", str(b.root)]).output
    assert "drift:        drifted (2 changes, 2023-11-15T07:00:00Z)" in out
    # a damaged record is ignored, never an error
    (git_dir / "entragit" / records.LAST_RUN).write_text("{not json")
    assert status.repo_status(b.root, now=NOW).result == "ok"


def test_stale_after_two_days(tmp_path: Path) -> None:
    b = _repo(tmp_path / "r", "t-1", "backup contoso.com: 0 changed, 3 added, 0 deleted\n")
    assert not status.repo_status(b.root, now=datetime(2023, 11, 16, 23, 0, tzinfo=timezone.utc)).stale
    assert status.repo_status(b.root, now=datetime(2023, 11, 17, 0, 0, tzinfo=timezone.utc)).stale


def test_status_json_and_errors(tmp_path: Path) -> None:
    b = _repo(tmp_path / "r", "t-1", "backup contoso.com: 0 changed, 3 added, 0 deleted\n")
    result = CliRunner().invoke(cli, ["status", "--json", "--repo", str(b.root)])
    data = json.loads(result.output)
    assert data["tenantId"] == "t-1" and data["objects"] == {"groups": 1, "users": 1}
    assert data["result"] == "ok" and result.exit_code == 0
    result = CliRunner().invoke(cli, ["status", "--repo", str(tmp_path / "missing")])
    assert (
        result.exit_code == 1
        and "no such directory" in result.output
        and len(result.output.splitlines()) == 7
    )


def test_fleet_sorts_failures_and_stale_backups_first(tmp_path: Path) -> None:
    ok = _repo(tmp_path / "ok", "t-ok", "backup ok.com: 1 changed, 0 added, 0 deleted\n", hours=20)
    stale = _repo(tmp_path / "stale", "t-stale", "backup stale.com: 1 changed, 0 added, 0 deleted\n")
    failed = _repo(
        tmp_path / "failed",
        "t-f",
        "backup failed.com: 1 changed, 0 added, 0 deleted\n\nFailed-Type: users (429)\n",
    )
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(status.repo_status(ok.root).to_json() | {"domain": "saved.com"}))
    later = datetime(2023, 11, 17, 12, 0, tzinfo=timezone.utc)
    rows = status.fleet(
        [str(ok.root), str(stale.root), str(failed.root), str(tmp_path / "nope"), str(saved)], now=later
    )
    assert [r.domain or r.repo for r in rows] == [
        str(tmp_path / "nope"),
        "failed.com",
        "stale.com",
        "ok.com",
        "saved.com",
    ]
    assert rows[0].result == "error"
    result = CliRunner().invoke(cli, ["fleet", str(ok.root), str(stale.root), "--exit-code"])
    lines = result.output.splitlines()
    assert lines[0].split() == ["TENANT", "LAST", "BACKUP", "RESULT", "OBJECTS", "LAST", "CHANGE", "DRIFT"]
    # today both are long past two days: stale, so --exit-code alerts
    assert [line.split()[0] for line in lines[1:]] == ["ok.com", "stale.com"]
    assert all("ok; stale" in line for line in lines[1:]) and result.exit_code == 1
    # a REPO that does not exist is a row and a line on stderr naming it, exit 1 even without --exit-code
    result = CliRunner().invoke(cli, ["fleet", str(ok.root), str(tmp_path / "nope")])
    assert result.exit_code == 1 and f"{tmp_path / 'nope'}: no such directory" in result.stdout
    assert result.stderr == f"entragit: error: {tmp_path / 'nope'}: no such directory\n"
    data = json.loads(CliRunner().invoke(cli, ["fleet", "--json", str(ok.root)]).output)
    assert [d["tenantId"] for d in data] == ["t-ok"]
    assert all("_" not in key for key in data[0])  # camelCase, as Graph's and `ls --json`


def test_backup_records_its_run_even_without_a_commit(tmp_path: Path, sandbox: Sandbox) -> None:
    """A quiet night commits nothing; status must still show the run, not a stale backup."""
    st = Store.init(tmp_path / "b")
    config.save(st.root, Config(tenant_id=sandbox.tenant_id, client_id=sandbox.client_id))
    st.commit_paths(["entragit.yaml"], "entragit init")
    client = live_helpers.client_for(sandbox)
    first = run_backup(st.root, client=client)
    second = run_backup(st.root, client=client)
    assert first.commit and second.commit is None
    run = records.read(st.root / ".git", records.LAST_RUN)
    assert run is not None and run["commit"] is None and run["head"] == first.commit
    assert run["summary"] == second.summary() and run["failed"] == {}
    s = status.repo_status(st.root)
    assert s.result == "ok" and s.last_backup == run["time"] and s.commit == first.commit and not s.stale
    assert s.objects["users"] > 0
