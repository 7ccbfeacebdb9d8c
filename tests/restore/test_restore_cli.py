"""plan and restore end to end: back up the sandbox, change it through raw Graph calls as an admin (or an
attacker) would, plan, restore, and plan again, which must then be empty.

Each test gets its own sandbox and backup repository: restores change the tenant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
import requests
from click.testing import CliRunner, Result
from msal_session import session_for

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

    def graph(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        r = self.http.request(method, f"{self.box.graph_url}/v1.0/{path}", json=body, params=params)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--repo", str(self.root)], env=self.env)

    def ok(self, *args: str) -> Result:
        r = self.run(*args)
        assert r.exit_code == 0, r.output
        return r

    def plan(self, *args: str) -> dict[str, Any]:
        return json.loads(self.ok("plan", *args, "--json").output)

    def restore(self, *args: str) -> Result:
        return self.ok("restore", *args, "--yes")

    def find(self, collection: str, name: str) -> dict[str, Any]:
        items = self.graph("GET", collection)["value"]
        return next(o for o in items if o["displayName"] == name)

    def assert_empty(self, *args: str) -> None:
        r = self.run("plan", *args, "--exit-code")
        assert r.exit_code == 0, r.output
        assert "No changes" in r.output


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    box = start(Tenant.from_seed(seed_mod.demo_seed()), throttle=False)
    try:
        root = tmp_path / "backup"
        variables = {
            "ENTRAGIT_GRAPH_URL": box.graph_url,
            "AZURE_AUTHORITY_HOST": box.authority_host,
            "AZURE_CLIENT_SECRET": box.client_secret,
            "REQUESTS_CA_BUNDLE": box.ca_bundle,
            "ENTRAGIT_REPO": "",
            "NO_COLOR": "1",
        }
        e = Env(box, root, variables, session_for(box))
        e.ok("init", "--tenant-id", box.tenant_id, "--client-id", box.client_id)
        e.ok("backup")
        yield e
    finally:
        box.stop()


def test_unchanged_tenant_plans_nothing(env: Env) -> None:
    """Live objects are read as a backup writes them: comparing like with like, nothing differs."""
    env.assert_empty()
    assert env.plan()["actions"] == []


def test_group_rename_and_members_rolled_back_then_plan_is_empty(env: Env) -> None:
    group = env.find("groups", "Project Aurora")
    gid = group["id"]
    members = [m["id"] for m in env.graph("GET", f"groups/{gid}/members", **{"$select": "id"})["value"]]
    users = [u["id"] for u in env.graph("GET", "users", **{"$select": "id"})["value"]]
    joining = next(u for u in users if u not in members)
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Project Borealis", "description": None})
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{joining}"}
    env.graph("POST", f"groups/{gid}/members/$ref", ref)
    env.graph("DELETE", f"groups/{gid}/members/{members[0]}/$ref")

    plan = env.plan("Project Aurora")
    by_action = {a["action"]: a for a in plan["actions"]}
    assert sorted(by_action) == ["link", "unlink", "update"]
    update = by_action["update"]
    assert {c["path"]: (c["old"], c["new"]) for c in update["changes"]} == {
        "description": (None, group["description"]),
        "displayName": ("Project Borealis", "Project Aurora"),
    }
    assert {"op": "replace", "path": "/displayName", "value": "Project Aurora"} in update["patch"]
    assert set(update) == {"object", "type", "path", "action", "changes", "patch", "reason"}
    # the links undo what was done: the newcomer goes, the one removed comes back
    assert by_action["link"]["changes"] == [{"path": "members", "old": None, "new": members[0]}]
    assert by_action["unlink"]["changes"] == [{"path": "members", "old": joining, "new": None}]
    text = env.ok("plan", "Project Aurora").output
    assert "~ update groups/" in text and '"Project Borealis" → "Project Aurora"' in text
    assert "Plan: 1 to update, 0 to undelete, 0 to recreate, 1 links to add, 1 to remove" in text
    r = env.run("plan", gid, "--exit-code")
    assert r.exit_code == 3

    out = env.restore(gid).output
    assert "✓ update" in out and "failed" not in out
    live = env.graph("GET", f"groups/{gid}")
    assert live["displayName"] == "Project Aurora" and live["description"] == group["description"]
    now = {m["id"] for m in env.graph("GET", f"groups/{gid}/members", **{"$select": "id"})["value"]}
    assert now == set(members)
    env.assert_empty(gid)
    env.assert_empty()


def test_ca_policy_conditions_are_sent_whole_with_nulls_so_nested_additions_go(env: Env) -> None:
    """Graph merges complex values in a PATCH (conditionalaccesspolicy-update.md): restoring `conditions`
    must also clear what was added inside it, not only put back what was removed."""
    policy = env.find("identity/conditionalAccess/policies", "Block legacy authentication")
    pid = policy["id"]
    before = policy["conditions"]
    conditions = json.loads(json.dumps(before))
    conditions["users"]["excludeUsers"] = [*conditions["users"]["excludeUsers"], "GuestsOrExternalUsers"]
    conditions["signInRiskLevels"] = ["high"]
    env.graph(
        "PATCH", f"identity/conditionalAccess/policies/{pid}", {"conditions": conditions, "state": "disabled"}
    )

    plan = env.plan(pid)
    [update] = plan["actions"]
    assert sorted(c["path"] for c in update["changes"]) == ["conditions", "state"]
    env.restore(pid)
    live = env.graph("GET", f"identity/conditionalAccess/policies/{pid}")
    assert live["state"] == policy["state"]
    assert sorted(live["conditions"]["users"]["excludeUsers"]) == sorted(before["users"]["excludeUsers"])
    assert live["conditions"]["signInRiskLevels"] == before["signInRiskLevels"]
    env.assert_empty(pid)


def test_named_location_user_and_application_attributes_rolled_back(env: Env) -> None:
    location = next(
        n for n in env.graph("GET", "identity/conditionalAccess/namedLocations")["value"] if "ipRanges" in n
    )
    lid = location["id"]
    ranges = [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}]
    env.graph(
        "PATCH",
        f"identity/conditionalAccess/namedLocations/{lid}",
        {"@odata.type": location["@odata.type"], "ipRanges": ranges, "isTrusted": not location["isTrusted"]},
    )
    uid = env.find("users", "Megan Bowen")["id"]
    user = env.graph("GET", f"users/{uid}", **{"$select": "id,jobTitle,city"})
    env.graph("PATCH", f"users/{uid}", {"jobTitle": "Intruder", "city": "Nowhere"})
    app = env.graph("GET", "applications")["value"][0]
    env.graph("PATCH", f"applications/{app['id']}", {"notes": "changed", "tags": ["x"]})

    plan = env.plan(lid, user["id"], app["id"])
    changed = {(a["type"], a["action"]): sorted(c["path"] for c in a["changes"]) for a in plan["actions"]}
    assert changed == {
        ("namedLocations", "update"): ["ipRanges", "isTrusted"],
        ("users", "update"): ["city", "jobTitle"],
        ("applications", "update"): ["notes", "tags"],
    }
    env.restore(lid, user["id"], app["id"])
    assert env.graph("GET", f"users/{uid}", **{"$select": "id,jobTitle,city"}) == {
        **user,
        "@odata.context": ANY,
    }
    live = env.graph("GET", f"identity/conditionalAccess/namedLocations/{lid}")
    assert live["isTrusted"] == location["isTrusted"]
    assert sorted(r["cidrAddress"] for r in live["ipRanges"]) == sorted(
        r["cidrAddress"] for r in location["ipRanges"]
    )
    env.assert_empty(lid, user["id"], app["id"])
