"""A repository built by real backups of a sandbox, one a day, for the end-to-end tests of the commands that
read it (history, report): each test module tells its own story of admin changes between the backups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from gitcmd import git
from live_helpers import cli_env
from msal_session import session_for

from entragit import catalog
from entragit.cli import cli
from entragit.sandbox import seed as seed_mod
from entragit.sandbox.server import Sandbox, start
from entragit.sandbox.tenant import Tenant


@dataclass
class DailyBackups:
    box: Sandbox
    root: Path
    env: dict[str, str]
    http: requests.Session
    ids: dict[str, str] = field(default_factory=dict)  # role in the story → object id
    commits: list[str] = field(default_factory=list)  # backups, oldest first

    def graph(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, f"{self.box.graph_url}/v1.0/{path}", json=body)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def find(self, collection: str, name: str) -> str:
        items = self.graph("GET", f"{collection}?$select=id,displayName")["value"]
        return str(next(o["id"] for o in items if o["displayName"] == name))

    def backup(self, *, partial: bool = False) -> None:
        """One backup a day at 02:00 UTC from 2026-11-01, as a scheduled pipeline makes them; `partial`: a
        type is expected to fail (exit 1), the others still committed."""
        day = f"2026-11-{len(self.commits) + 1:02d}T02:00:00Z"
        env = {**self.env, "GIT_COMMITTER_DATE": day, "GIT_AUTHOR_DATE": day}
        r = CliRunner().invoke(cli, ["backup", "--repo", str(self.root)], env=env)
        assert r.exit_code == (1 if partial else 0), r.output
        self.commits.append(git(self.root, "rev-parse", "HEAD").strip())

    def path(self, type_name: str, role: str) -> str:
        return catalog.object_path(catalog.by_name(type_name), self.ids[role])

    def new_secure_score_day(self) -> dict[str, Any]:
        """A later day's secure score, 12.5 points up (Graph has no write API for it)."""
        tenant = self.box.tenant
        with tenant.lock:
            latest = max(
                tenant.coll("security/secureScores").objs.values(), key=lambda o: o["createdDateTime"]
            )
            newer = dict(latest, id=latest["id"][:-10] + "2026-12-31", createdDateTime="2026-12-31T00:00:00Z")
            newer["currentScore"] = float(latest["currentScore"]) + 12.5
            tenant.insert("security/secureScores", newer)
        return newer


@contextmanager
def daily_backups(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[DailyBackups]:
    """A demo-seeded sandbox and an initialised repository for it, no backup yet; the sandbox stops after."""
    box = start(Tenant.from_seed(seed_mod.demo_seed()), throttle=False)
    try:
        root = tmp_path_factory.mktemp(name) / "backup"
        env = cli_env(box)
        args = ["init", "--repo", str(root), "--tenant-id", box.tenant_id, "--client-id", box.client_id]
        r = CliRunner().invoke(cli, args, env=env)
        assert r.exit_code == 0, r.output
        yield DailyBackups(box, root, env, session_for(box))
    finally:
        box.stop()
