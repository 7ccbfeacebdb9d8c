"""Intune device compliance policies end to end against the sandbox: a changed policy comes back (settings by
PATCH, assignments by assign, scheduled actions by scheduleActionsForRules) and a deleted one is recreated
with the one block action its create must carry, then the rest of its scheduled actions and its assignments,
the group ids rewritten where the group was recreated too."""

from __future__ import annotations

from typing import Any

import yaml
from restore_env import Env, git, idmap
from schema.wire import Recorder

PATH = "deviceManagement/deviceCompliancePolicies"
EXPAND = "assignments,scheduledActionsForRule($expand=scheduledActionConfigurations)"
WINDOWS = "Windows 10/11 baseline"


def policy(env: Env, name: str) -> dict[str, Any]:
    items = env.graph("GET", PATH, **{"$expand": EXPAND})["value"]
    return next(p for p in items if p["displayName"] == name)


def actions(p: dict[str, Any]) -> list[tuple[str, int]]:
    return sorted(
        (c["actionType"], c["gracePeriodHours"])
        for rule in p["scheduledActionsForRule"]
        for c in rule["scheduledActionConfigurations"]
    )


def targets(p: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((a["target"]["@odata.type"], a["target"]["groupId"]) for a in p["assignments"])


def test_backup_keeps_the_platform_settings_assignments_and_scheduled_actions(env: Env) -> None:
    p = policy(env, WINDOWS)
    text = (env.root / PATH / f"{p['id']}.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    assert data["bitLockerEnabled"] is True and "passcodeRequired" not in data
    assert sorted(
        (a["target"]["@odata.type"], a["target"]["groupId"]) for a in data["assignments"]
    ) == targets(p)
    assert all("id" not in a for a in data["assignments"])  # new on every assign: volatile
    assert "version" not in data and "lastModifiedDateTime" not in data
    configs = data["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    assert {c["actionType"] for c in configs} == {"block", "retire"}
    # An incremental backup re-lists the type (Intune has no delta query in v1.0) and keeps a change of an
    # assignment as it keeps one of a setting.
    url = f"{PATH}/{p['id']}"
    env.graph("PATCH", url, {"@odata.type": p["@odata.type"], "description": "tightened"})
    env.graph("POST", f"{url}/assign", {"assignments": p["assignments"][:1]})
    env.ok("backup")
    data = yaml.safe_load((env.root / PATH / f"{p['id']}.yaml").read_text())
    assert data["description"] == "tightened" and len(data["assignments"]) == 1
    # History: versions, show, compare and ls name the policy and its change.
    assert WINDOWS in env.ok("show", WINDOWS).output
    assert len(env.ok("versions", WINDOWS).output.strip().splitlines()) >= 2
    assert "tightened" in env.ok("compare", WINDOWS).output
    assert WINDOWS in env.ok("ls", "deviceCompliancePolicies").output


def test_changed_policy_is_restored_until_the_plan_is_empty(env: Env) -> None:
    p = policy(env, WINDOWS)
    before = (policy(env, WINDOWS)["passwordMinimumLength"], targets(p), actions(p))
    url = f"{PATH}/{p['id']}"
    env.graph(
        "PATCH", url, {"@odata.type": p["@odata.type"], "passwordMinimumLength": 4, "bitLockerEnabled": False}
    )
    env.graph("POST", f"{url}/assign", {"assignments": []})
    env.graph(
        "POST",
        f"{url}/scheduleActionsForRules",
        {
            "deviceComplianceScheduledActionForRules": [
                {"ruleName": "PasswordRequired", "scheduledActionConfigurations": [{"actionType": "block"}]}
            ]
        },
    )
    plan = env.plan(WINDOWS)
    (update,) = plan["actions"]
    assert update["action"] == "update"
    assert {c["path"] for c in update["changes"]} >= {
        "passwordMinimumLength",
        "bitLockerEnabled",
        "assignments",
        "scheduledActionsForRule",
    }
    env.restore(WINDOWS)
    after = policy(env, WINDOWS)
    assert (after["passwordMinimumLength"], targets(after), actions(after)) == before
    assert after["bitLockerEnabled"] is True
    env.assert_empty(WINDOWS)


def test_deleted_policy_is_recreated_with_its_actions_and_assignments(env: Env) -> None:
    p = policy(env, "iOS baseline")
    before = (targets(p), actions(p))
    env.graph("DELETE", f"{PATH}/{p['id']}")
    env.ok("backup")
    plan = env.plan("iOS baseline")
    assert [a["action"] for a in plan["actions"]] == ["recreate"]
    recorder = Recorder(env.box)
    out = env.restore("iOS baseline").output
    assert "created as" in out
    new = idmap(env)["ids"][p["id"]]
    # The create carries the one block action alone (and no assignments); the rest follows on the new id.
    writes = [
        (c.method, c.path.strip("/").removeprefix("v1.0/"), c.body)
        for c in recorder.calls
        if c.method != "GET"
    ]
    (create,) = [body for method, path, body in writes if path == PATH]
    assert "assignments" not in create
    sent = [
        c["actionType"] for r in create["scheduledActionsForRule"] for c in r["scheduledActionConfigurations"]
    ]
    assert sent == ["block"]
    assert [path for _, path, _ in writes if path != PATH] == [
        f"{PATH}/{new}/scheduleActionsForRules",
        f"{PATH}/{new}/assign",
    ]
    again = policy(env, "iOS baseline")
    assert again["id"] == new and again["@odata.type"] == "#microsoft.graph.iosCompliancePolicy"
    assert again["passcodeMinimumLength"] == p["passcodeMinimumLength"]
    assert (targets(again), actions(again)) == before
    env.assert_empty("iOS baseline")


def test_recreated_group_is_assigned_under_its_new_id(env: Env) -> None:
    p = policy(env, "macOS baseline")
    included = next(
        a["target"]["groupId"] for a in p["assignments"] if "exclusion" not in a["target"]["@odata.type"]
    )
    group = env.graph("GET", f"groups/{included}")
    env.graph("DELETE", f"{PATH}/{p['id']}")
    env.graph("DELETE", f"groups/{included}")
    env.graph("DELETE", f"directory/deletedItems/{included}")  # hard-deleted: recreated with a new id
    env.ok("backup")
    env.restore(group["displayName"], "macOS baseline")
    ids = idmap(env)["ids"]
    new_group = ids[included]
    assert new_group != included
    again = policy(env, "macOS baseline")
    assert again["id"] == ids[p["id"]]
    assert (
        "#microsoft.graph.groupAssignmentTarget",
        new_group,
    ) in targets(again)
    assert included not in {g for _, g in targets(again)}
    env.assert_empty("macOS baseline")
    before = git(env, "rev-parse", "HEAD")
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == before, "a backup right after the restore changed something"
    env.assert_empty()


def test_assignments_alone_are_restored(env: Env) -> None:
    """One write (the assign action) goes through $batch with other independent writes."""
    p = policy(env, "Android work profile baseline")
    env.graph("POST", f"{PATH}/{p['id']}/assign", {"assignments": []})
    (update,) = env.plan("Android work profile baseline")["actions"]
    assert [c["path"] for c in update["changes"]] == ["assignments"]
    env.restore("Android work profile baseline")
    assert targets(policy(env, "Android work profile baseline")) == targets(p)
    env.assert_empty("Android work profile baseline")
