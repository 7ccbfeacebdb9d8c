"""Privileged Identity Management for Entra roles, backed up and restored end to end against the sandbox.

Eligible assignments come back through adminAssign with their start and end; time-bound active assignments
with their end, never as permanent roles; activations and schedules that ended never come back; a role's
settings come back rule by rule. Pages: rbacapplication-post-roleeligibilityschedulerequests.md,
rbacapplication-post-roleassignmentschedulerequests.md, unifiedrolemanagementpolicyrule-update.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from restore_env import Env, git, idmap, make_env

from entragit.restore import schedules

ELIGIBLE = "roleManagement/directory/roleEligibilitySchedules"
ACTIVE = "roleManagement/directory/roleAssignmentSchedules"
ASSIGNMENTS = "roleManagement/directory/roleAssignments"
POLICIES = "policies/roleManagementPolicies"
DIRECTORY_ROLES = {"$filter": "scopeId eq '/' and scopeType eq 'DirectoryRole'"}
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def listed(env: Env, path: str, **params: str) -> list[dict[str, Any]]:
    return list(env.graph("GET", path, **params)["value"])


def of(env: Env, path: str, principal: str) -> list[dict[str, Any]]:
    return listed(env, path, **{"$filter": f"principalId eq '{principal}'"})


def request(env: Env, kind: str, action: str, schedule: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "action": action,
        "principalId": schedule["principalId"],
        "roleDefinitionId": schedule["roleDefinitionId"],
        "directoryScopeId": schedule["directoryScopeId"],
        "justification": "a test",
        **extra,
    }
    out: dict[str, Any] = env.graph("POST", f"roleManagement/directory/{kind}ScheduleRequests", body)
    return out


def timed(env: Env, kind: str) -> dict[str, Any]:
    """The demo tenant's time-bound active assignment ("Assigned") or activation ("Activated")."""
    return next(s for s in listed(env, ACTIVE) if s["assignmentType"] == kind)


def policy_of(env: Env, role: str) -> str:
    links = listed(env, "policies/roleManagementPolicyAssignments", **DIRECTORY_ROLES)
    return str(next(a["policyId"] for a in links if a["roleDefinitionId"] == role))


def nothing_to_write(env: Env, *args: str) -> None:
    """The plan writes nothing: empty, or skips that say why (`plan --exit-code` exits 0)."""
    r = env.run("plan", "--exit-code", *args)
    assert r.exit_code == 0, r.output
    assert {a["action"] for a in env.plan(*args)["actions"]} <= {"skip"}, r.output


def actions(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((a["type"], a["action"], a["reason"]) for a in plan["actions"])


def test_backup_keeps_eligibilities_timed_assignments_and_role_settings(env: Env) -> None:
    """Full backup: every eligibility, the active schedules that end (not the permanent ones, which are role
    assignments), one settings policy per role with its rules, and the policy assignments; a second run
    (nothing changed) commits nothing."""
    root = env.root
    eligible = {s["id"] for s in listed(env, ELIGIBLE)}
    assert len(eligible) == 2
    assert {p.stem for p in (root / ELIGIBLE).glob("*.yaml")} == eligible
    active = {p.stem for p in (root / ACTIVE).glob("*.yaml")}
    assert active == {timed(env, "Assigned")["id"], timed(env, "Activated")["id"]}
    text = (root / ACTIVE / f"{timed(env, 'Assigned')['id']}.yaml").read_text()
    assert "assignmentType: Assigned" in text and "type: afterDateTime" in text
    roles = listed(env, "roleManagement/directory/roleDefinitions")
    files = list((root / POLICIES).glob("*.yaml"))
    assert len(files) == len(roles)
    policy = (root / POLICIES / f"{policy_of(env, GLOBAL_ADMIN)}.yaml").read_text()
    assert "id: Expiration_Admin_Eligibility" in policy and "maximumDuration: P365D" in policy
    assert "'@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule'" in policy
    assert len(list((root / "policies/roleManagementPolicyAssignments").glob("*.yaml"))) == len(roles)
    head = git(env, "rev-parse", "HEAD")
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == head
    env.assert_empty()


def test_incremental_backup_sees_a_new_eligibility_and_a_changed_rule(env: Env) -> None:
    users = listed(env, "users", **{"$select": "id", "$top": "5"})
    made = request(
        env,
        "roleEligibility",
        "adminAssign",
        {"principalId": users[0]["id"], "roleDefinitionId": HELPDESK_ADMIN, "directoryScopeId": "/"},
        scheduleInfo={"expiration": {"type": "noExpiration"}},
    )
    pid = policy_of(env, HELPDESK_ADMIN)
    rule = {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_Admin_Assignment",
        "isExpirationRequired": True,
        "maximumDuration": "P30D",
    }
    env.graph("PATCH", f"{POLICIES}/{pid}/rules/Expiration_Admin_Assignment", rule)
    message = env.ok("backup").output
    assert (env.root / ELIGIBLE / f"{made['targetScheduleId']}.yaml").exists(), message
    assert "maximumDuration: P30D" in (env.root / POLICIES / f"{pid}.yaml").read_text()
    log = git(env, "log", "-1", "--format=%B")
    assert "roleEligibilitySchedules: added Helpdesk Administrator → " in log, log
    versions = env.ok("versions", f"{POLICIES}/{pid}.yaml").output
    assert "created" in versions and versions.count("\n") >= 3, versions
    shown = env.ok("show", f"{POLICIES}/{pid}.yaml").output
    assert "P30D" in shown
    compared = env.ok("compare", f"{POLICIES}/{pid}.yaml", env.baseline).output
    assert "P180D" in compared and "P30D" in compared, compared


def test_a_changed_rule_is_patched_back(env: Env) -> None:
    pid = policy_of(env, GLOBAL_ADMIN)
    path = f"{POLICIES}/{pid}/rules/Expiration_Admin_Eligibility"
    rule = {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_Admin_Eligibility",
        "isExpirationRequired": True,
        "maximumDuration": "P15D",
    }
    env.graph("PATCH", path, rule)
    plan = env.plan()
    assert actions(plan) == [("roleManagementPolicies", "update", "")], plan
    refused = env.run("restore", "--yes", "--all")  # how Global Administrator is activated: privileged
    assert refused.exit_code == 2 and "--allow-privileged" in refused.output
    env.restore("--all", "--allow-privileged")
    live = env.graph("GET", path)
    assert (live["isExpirationRequired"], live["maximumDuration"]) == (False, "P365D")
    env.assert_empty()


def test_a_removed_eligibility_comes_back_with_its_schedule(env: Env) -> None:
    """adminRemove ends an eligibility; restore makes it again through adminAssign, start and end as they
    were, and maps the old schedule id to the new one."""
    [before] = [
        s for s in listed(env, ELIGIBLE) if s["scheduleInfo"]["expiration"]["type"] == "afterDateTime"
    ]
    request(env, "roleEligibility", "adminRemove", before)
    assert of(env, ELIGIBLE, before["principalId"]) == []
    plan = env.plan()
    assert actions(plan) == [("roleEligibilitySchedules", "recreate", "gone from the tenant (hard-deleted)")]
    refused = env.run("restore", "--yes", "--all")  # Security Administrator: a privileged role
    assert refused.exit_code == 2 and "--allow-privileged" in refused.output
    env.restore("--all", "--allow-privileged")
    [after] = of(env, ELIGIBLE, before["principalId"])
    assert after["roleDefinitionId"] == before["roleDefinitionId"]
    assert after["scheduleInfo"] == before["scheduleInfo"]
    assert idmap(env)["ids"][before["id"]] == after["id"]
    env.assert_empty()
    env.assert_empty(f"{ELIGIBLE}/{before['id']}.yaml")


def test_a_changed_schedule_is_put_back_through_admin_update(env: Env) -> None:
    [before] = [s for s in listed(env, ELIGIBLE) if s["scheduleInfo"]["expiration"]["type"] == "noExpiration"]
    end = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=20)).strftime("%Y-%m-%dT00:00:00Z")
    info = {
        "startDateTime": before["scheduleInfo"]["startDateTime"],
        "expiration": {"type": "afterDateTime", "endDateTime": end},
    }
    request(env, "roleEligibility", "adminUpdate", before, scheduleInfo=info)
    plan = env.plan()
    assert [(a["type"], a["action"], [c["path"] for c in a["changes"]]) for a in plan["actions"]] == [
        ("roleEligibilitySchedules", "update", ["scheduleInfo"])
    ]
    env.restore("--all", "--allow-privileged")
    [after] = of(env, ELIGIBLE, before["principalId"])
    assert after["id"] == before["id"] and after["scheduleInfo"]["expiration"]["type"] == "noExpiration"
    env.assert_empty()


def test_a_recreated_principal_gets_its_eligibility_back(env: Env) -> None:
    """The eligible user is deleted for good: restoring the user recreates the eligibility for the new
    user's id, with the schedule it had."""
    user = env.graph(
        "POST",
        "users",
        {
            "accountEnabled": True,
            "displayName": "Pim Tester",
            "mailNickname": "pim.tester",
            "userPrincipalName": "pim.tester@contoso.onmicrosoft.com",
            "passwordProfile": {"password": "Xy!9-long-enough-Pw", "forceChangePasswordNextSignIn": True},
        },
    )
    old = user["id"]
    today = dt.datetime.now(dt.timezone.utc)
    start, end = (f"{(today + dt.timedelta(days=n)):%Y-%m-%d}T00:00:00Z" for n in (-10, 60))
    info = {"startDateTime": start, "expiration": {"type": "afterDateTime", "endDateTime": end}}
    target = {"principalId": old, "roleDefinitionId": HELPDESK_ADMIN, "directoryScopeId": "/"}
    request(env, "roleEligibility", "adminAssign", target, scheduleInfo=info)
    [before] = of(env, ELIGIBLE, old)
    env.ok("backup")
    env.graph("DELETE", f"users/{old}")
    env.graph("DELETE", f"directory/deletedItems/{old}")
    assert of(env, ELIGIBLE, old) == []
    env.ok("backup")
    plan = env.plan(old)
    assert sorted((a["type"], a["action"]) for a in plan["actions"]) == [
        ("roleEligibilitySchedules", "recreate"),
        ("users", "recreate"),
    ]
    env.restore(old, "--allow-privileged")
    new = idmap(env)["ids"][old]
    [after] = of(env, ELIGIBLE, new)
    assert after["roleDefinitionId"] == HELPDESK_ADMIN
    assert after["scheduleInfo"] == before["scheduleInfo"]
    env.assert_empty(old)
    env.assert_empty()


def test_a_time_bound_assignment_comes_back_time_bound(env: Env) -> None:
    """Removed, the assignment leaves roleAssignments too; a restore brings it back through adminAssign with
    its end, and never recreates its role assignment on its own (that one would be permanent)."""
    before = timed(env, "Assigned")
    principal = before["principalId"]
    [assignment] = of(env, ASSIGNMENTS, principal)
    request(env, "roleAssignment", "adminRemove", before)
    assert of(env, ASSIGNMENTS, principal) == []
    plan = env.plan()
    reasons = actions(plan)
    assert ("roleAssignmentSchedules", "recreate", "gone from the tenant (hard-deleted)") in reasons
    assert (
        "roleAssignments",
        "skip",
        f"restored through {ACTIVE}/{before['id']}.yaml",
    ) in reasons, reasons
    # Named alone, the role assignment is not restored as a permanent one either.
    alone = env.plan(f"{ASSIGNMENTS}/{assignment['id']}.yaml")
    assert [a["action"] for a in alone["actions"]] == ["skip"], alone
    env.restore("--all", "--allow-privileged")
    [after] = of(env, ACTIVE, principal)
    assert after["assignmentType"] == "Assigned" and after["scheduleInfo"] == before["scheduleInfo"]
    assert [a["roleDefinitionId"] for a in of(env, ASSIGNMENTS, principal)] == [before["roleDefinitionId"]]
    nothing_to_write(env)


def test_an_activation_is_never_restored(env: Env) -> None:
    activation = timed(env, "Activated")
    principal = activation["principalId"]
    request(env, "roleAssignment", "adminRemove", activation)
    plan = env.plan()
    reasons = actions(plan)
    assert [r for r in reasons if r[0] == "roleAssignmentSchedules"] == [
        (
            "roleAssignmentSchedules",
            "skip",
            "an activation (a user's own, for hours) is never restored: the user activates again in PIM",
        )
    ]
    assert [r[1] for r in reasons if r[0] == "roleAssignments"] == ["skip"]
    env.restore("--all", "--allow-privileged")
    assert of(env, ASSIGNMENTS, principal) == [] and of(env, ACTIVE, principal) == []
    nothing_to_write(env)


def test_a_schedule_that_ended_is_skipped(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A time-bound assignment ends between the backup and the restore: nothing is written for it (Graph
    refuses an end in the past), nor for its role assignment."""
    users = listed(env, "users", **{"$select": "id", "$top": "9"})
    principal = users[-1]["id"]
    now = env.box.tenant.now().replace(microsecond=0)
    end = (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    target = {"principalId": principal, "roleDefinitionId": HELPDESK_ADMIN, "directoryScopeId": "/"}
    info = {
        "startDateTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expiration": {"type": "afterDateTime", "endDateTime": end},
    }
    made = request(env, "roleAssignment", "adminAssign", target, scheduleInfo=info)
    env.ok("backup")
    assert (env.root / ACTIVE / f"{made['targetScheduleId']}.yaml").exists()
    three_days = 3 * 86400
    env.box.tenant.advance(three_days)
    later = schedules.now() + dt.timedelta(seconds=three_days)
    monkeypatch.setattr(schedules, "now", lambda: later)
    plan = env.plan()
    reasons = actions(plan)
    ended = f"expired on {end[:10]} {end[11:16]} UTC: nothing is written"
    assert ("roleAssignmentSchedules", "skip", ended) in reasons, reasons
    assert {r[1] for r in reasons} == {"skip"}, reasons
    env.restore("--all")
    assert of(env, ACTIVE, principal) == [] and of(env, ASSIGNMENTS, principal) == []
    nothing_to_write(env)


def test_apply_prune_ends_an_eligibility_through_admin_remove(env: Env) -> None:
    """A removed eligibility file in the work tree: `apply --prune` ends the schedule with an adminRemove
    request (schedules have no DELETE), and a removed activation file is left alone."""
    [eligible] = [
        s for s in listed(env, ELIGIBLE) if s["scheduleInfo"]["expiration"]["type"] == "noExpiration"
    ]
    activation = timed(env, "Activated")
    (env.root / ELIGIBLE / f"{eligible['id']}.yaml").unlink()
    (env.root / ACTIVE / f"{activation['id']}.yaml").unlink()
    out = env.ok("apply", "--prune", "--yes", "--allow-mass-change", "--allow-privileged").output
    assert "delete" in out and "is never restored" in out, out
    assert of(env, ELIGIBLE, eligible["principalId"]) == []
    assert [s["id"] for s in of(env, ACTIVE, activation["principalId"])] == [activation["id"]]
