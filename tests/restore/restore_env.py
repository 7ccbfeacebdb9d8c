"""The environment of the restore tests: a sandbox of the demo tenant, a backup repository of it, raw Graph
calls as an admin (or an attacker) would make them, and the CLI."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from click.testing import CliRunner, Result
from live_helpers import cli_env
from msal_session import session_for, user_session_for
from schema import data as metadata
from schema import wire

from entragit.cli import cli
from entragit.sandbox import seed as seed_mod
from entragit.sandbox.server import Sandbox, start
from entragit.sandbox.tenant import Tenant


@dataclass
class Env:
    box: Sandbox
    root: Path
    env: dict[str, str]
    http: requests.Session
    baseline: str = ""  # the first backup: the tenant before a test changes it (a backup may make several
    # commits, one per audited actor, so HEAD~1 need not be the backup before)

    def graph(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        r = self.http.request(method, f"{self.box.graph_url}/v1.0/{path}", json=body, params=params)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, [args[0], "--repo", str(self.root), *args[1:]], env=self.env)

    def ok(self, *args: str) -> Result:
        r = self.run(*args)
        assert r.exit_code == 0, r.output
        return r

    def plan(self, *args: str) -> dict[str, Any]:
        return json.loads(self.ok("plan", "--json", *args).stdout)  # (stderr: a device-code sign-in)

    def restore(self, *args: str) -> Result:
        return self.ok("restore", "--yes", *args)

    def find(self, collection: str, name: str) -> dict[str, Any]:
        items = self.graph("GET", collection)["value"]
        return next(o for o in items if o["displayName"] == name)

    def assert_empty(self, *args: str) -> None:
        r = self.run("plan", "--exit-code", *args)
        assert r.exit_code == 0, r.output
        assert "No changes" in r.output


def make_env(tmp_path: Path, auth: str = "secret", **start_options: Any) -> Iterator[Env]:
    """The environment, the repository signing in with `auth` (`device-code`: as the sandbox's user, which
    terms of use agreements need); at the end, every POST and PATCH body the sandbox accepted (the
    restore's and the test's own) names only v1.0 properties: a sandbox that accepted a beta-only one would
    let a restore pass here that Graph v1.0 refuses (tests/schema/wire.py)."""
    box = start(Tenant.from_seed(seed_mod.demo_seed()), **{"throttle": False, **start_options})
    recorder = wire.Recorder(box)
    try:
        root = tmp_path / "backup"
        http = user_session_for(box) if auth == "device-code" else session_for(box)
        e = Env(box, root, cli_env(box), http)
        e.ok("init", "--tenant-id", box.tenant_id, "--client-id", box.client_id, "--auth", auth)
        e.ok("backup")
        e.baseline = git(e, "rev-parse", "HEAD").strip()
        yield e
    finally:
        box.stop()
    findings = wire.write_findings(metadata.schema(), recorder.calls, wire.DOCUMENTED)
    assert findings == [], "\n".join(findings)


def git(env: Env, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(env.root), *args], check=True, capture_output=True, text=True
    ).stdout


def member_ids(env: Env, path: str) -> set[str]:
    return {m["id"] for m in env.graph("GET", path, **{"$select": "id"})["value"]}


def idmap(env: Env) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((env.root / "idmap.yaml").read_text())
    return data


MAIL_GROUP = (
    "Company Announcements"  # a mail-enabled security group of the demo tenant: Graph cannot write it
)


def leave_mail_groups(env: Env, uid: str) -> None:
    """Take the user out of the mail-enabled groups, as an Exchange admin would: Graph cannot put a
    recreated user back there (group-post-members.md), so a restore of it is refused for them, which a test
    about something else does not want (tests/restore/test_inbound.py tests that refusal)."""
    with env.box.tenant.lock:
        for gid, group in env.box.tenant.coll("groups").objs.items():
            if group.get("mailEnabled") and "Unified" not in (group.get("groupTypes") or []):
                for rel in ("groups#members", "groups#owners"):
                    if uid in env.box.tenant.members(rel, gid):
                        env.box.tenant.remove_link(rel, gid, uid)
    env.ok("backup")  # (the backups before its deletion no longer hold it there)


def assert_app_sign_in_leaves_alone(env: Env, type_name: str, folder: str, oid: str, name: str) -> None:
    """A delegated-only type under an app sign-in (catalog `delegated_only`): the backup says why it did not
    read it and keeps its file though the object is gone (an unread type never becomes deletions); asking
    for the type, or planning the object by name, is a usage error naming the way in; a whole plan says the
    type was not compared."""
    path = env.root / folder / f"{oid}.yaml"
    before = path.read_text()
    config = env.root / "entragit.yaml"
    config.write_text(config.read_text().replace("auth: device-code", "auth: secret"))
    git(env, "commit", "-qam", "sign in as the app")
    env.graph("DELETE", f"{folder}/{oid}")
    out = env.ok("backup").output
    assert f"{type_name} not backed up" in out and "delegated only" in out
    assert path.read_text() == before
    r = env.run("backup", "--type", type_name)
    assert r.exit_code == 2 and "delegated only" in r.output
    r = env.run("plan", name)
    assert r.exit_code == 2 and "--auth device-code" in r.output
    assert f"{type_name} not compared" in env.run("plan").output
