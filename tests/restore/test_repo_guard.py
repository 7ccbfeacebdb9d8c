"""Restore and apply share the backup repository with backups: they take the lock a backup takes, and check
that they can record their result before anything is written to the tenant. `plan` writes nothing, so it
runs on a read-only repository too."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

from click.testing import CliRunner, Result
from mounts import mounted, read_only
from restore_env import Env, git

from entragit.cli import cli
from entragit.repo.writer import Store


def _error_line(r: Result) -> str:
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("entragit: error: "), r.output
    return lines[0]


def _renamed_group(env: Env) -> str:
    gid = str(env.find("groups", "Project Aurora")["id"])
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Renamed"})
    return gid


def test_restore_and_apply_refuse_while_a_backup_runs_and_a_backup_while_they_do(env: Env) -> None:
    """A restore writing files while a backup builds its commit made the backup fail ("the files on disk do
    not match the commit being made"): restore and apply take the backup's lock, and whoever comes second is
    refused, one line naming the holder, before any Graph request."""
    gid = _renamed_group(env)
    holder = f"(pid {os.getpid()} on {socket.gethostname()}, since 20"
    with Store.open(env.root).session([]):  # a backup holds the repository
        before = env.box.stats.snapshot()["requests"]
        for args in (("restore", gid, "--yes"), ("apply", "--yes")):
            line = _error_line(env.run(*args))
            assert f"{env.root}: another entragit backup is running in this repository {holder}" in line
        assert env.box.stats.snapshot()["requests"] == before
        assert env.ok("restore", gid, "--dry-run").exit_code == 0  # a dry run writes nothing: no lock
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Renamed"

    for command in ("restore", "apply"):
        with Store.open(env.root).locked(command):
            line = _error_line(env.run("backup"))
        assert f"another entragit {command} is running in this repository {holder}" in line
    env.restore(gid)
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Project Aurora"


def test_read_only_repository_plans_and_refuses_to_restore_before_writing_the_tenant(env: Env) -> None:
    """On a read-only mount `plan` works (the whole-tenant plan says in one note that its drift record was
    not kept), and restore and apply are one line naming the reason, with nothing sent to the tenant."""
    gid = _renamed_group(env)
    head = git(env, "rev-parse", "HEAD")
    with read_only(env.root):
        assert '"Renamed" → "Project Aurora"' in env.ok("plan", gid).output
        r = CliRunner().invoke(cli, ["plan", "--repo", str(env.root)], env=env.env)
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        assert "Plan: 1 to update" in r.stdout
        assert r.stderr.strip() == "note: drift check not recorded for `status` (Read-only file system)"
        before = env.box.stats.snapshot()["requests"]
        for args in (("restore", gid, "--yes"), ("apply", "--yes")):
            line = _error_line(env.run(*args))
            assert "cannot write to the backup repository: Read-only file system" in line, line
        assert env.box.stats.snapshot()["requests"] == before
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Renamed"
    assert git(env, "rev-parse", "HEAD") == head


def test_full_disk_refuses_to_restore_before_writing_the_tenant(env: Env, tmp_path: Path) -> None:
    """A disk with no room left for the record: one line, nothing written to the tenant."""
    gid = _renamed_group(env)
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted(disk, "-t", "tmpfs", "-o", "size=8m", "tmpfs"):
        repo = disk / "repo"
        shutil.copytree(env.root, repo, symlinks=True)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as fh:
            while True:
                fh.write(bytes(1 << 16))
                fh.flush()
        r = CliRunner().invoke(cli, ["restore", "--repo", str(repo), gid, "--yes"], env=env.env)
        line = _error_line(r)
        assert "cannot write to the backup repository: No space left on device" in line, line
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Renamed"
