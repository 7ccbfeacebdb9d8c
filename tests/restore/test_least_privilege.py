"""Least privilege: the backup app holds read permissions only (`entragit permissions`); restore and apply
sign in as a separate restore app named in entragit.yaml, with RESTORE_-prefixed credentials. A write the
signed-in app may not make is refused by Graph with 403, and the error names the permission and the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from msal_session import session_for
from restore_env import Env, git, make_env

from entragit.permissions import required_permissions

RESTORE_APP = "7e57a11e-0000-4000-8000-00000000a770"
ADMIN_APP = "7e57a11e-0000-4000-8000-0000000ad319"


@pytest.fixture
def backup_only(tmp_path: Path) -> Iterator[Env]:
    """The repository's app holds exactly what a backup needs (conceptual: permissions-reference.md); the
    test changes the tenant as an admin app of its own."""
    for env in make_env(tmp_path, permissions=required_permissions()):
        secret = env.box.add_client(ADMIN_APP, permissions=required_permissions(restore=True))
        env.http = session_for({**env.box.info(), "client_id": ADMIN_APP, "client_secret": secret})
        yield env


def test_backup_only_app_is_refused_by_restore_with_the_permission_and_app_named(backup_only: Env) -> None:
    env = backup_only
    gid = env.find("groups", "Project Aurora")["id"]
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Renamed"})  # the test's own admin session
    r = env.run("restore", "--yes", gid)
    assert r.exit_code == 1
    failure = next(line for line in r.output.splitlines() if line.startswith("✗ update"))
    assert "403" in failure and "Group.ReadWrite.All" in failure and env.box.client_id in failure
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Renamed"


def test_a_separate_restore_app_writes_and_is_named_in_the_record(backup_only: Env) -> None:
    env = backup_only
    secret = env.box.add_client(RESTORE_APP, permissions=required_permissions(restore=True))
    config = env.root / "entragit.yaml"
    config.write_text(config.read_text() + f"restore_client_id: {RESTORE_APP}\n")
    git(env, "commit", "-qam", "restore app")
    gid = env.find("groups", "Project Aurora")["id"]
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Renamed"})
    env.ok("backup")  # still the backup app: it needs no write permission

    missing = env.run("restore", "--yes", "--at", "HEAD~1", gid)  # no RESTORE_AZURE_CLIENT_SECRET yet
    assert missing.exit_code != 0 and "AZURE_CLIENT_SECRET" in missing.output
    env.env["RESTORE_AZURE_CLIENT_SECRET"] = secret
    env.ok("restore", "--yes", "--at", "HEAD~1", gid)
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Project Aurora"
    assert git(env, "log", "-1", "--format=%s").strip().endswith(f"by {RESTORE_APP}")
    assert secret not in git(env, "log", "-p", "--all")
