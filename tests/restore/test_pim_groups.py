"""Privileged Identity Management for Groups, backed up and restored end to end against the sandbox.

The demo tenant has one role-assignable group under PIM: three eligibilities (member for good, member until a
date, owner), a time-bound active membership and an activation. Eligibilities come back through adminAssign
with their start and end, a time-bound membership with its end and never as a permanent member, an
activation never; a group's settings come back rule by rule; a group deleted for good and recreated gets its
schedules back on its new id. Pages: privilegedaccessgroup-post-eligibilityschedulerequests.md,
privilegedaccessgroup-post-assignmentschedulerequests.md, unifiedrolemanagementpolicyrule-update.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from restore_env import Env, git, idmap, make_env

from entragit.permissions import required_permissions

BASE = "identityGovernance/privilegedAccess/group"
ELIGIBLE = f"{BASE}/eligibilitySchedules"
ACTIVE = f"{BASE}/assignmentSchedules"
POLICIES = "policies/roleManagementPolicies"
POLICY_FILES = f"{BASE}/roleManagementPolicies"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def pim_group(env: Env) -> str:
    groups = env.graph("GET", "groups", **{"$filter": "isAssignableToRole eq true", "$select": "id"})["value"]
    for g in groups:
        if listed(env, ELIGIBLE, g["id"]):
            return str(g["id"])
    raise AssertionError("no group under PIM in the demo tenant")


def listed(env: Env, path: str, group: str) -> list[dict[str, Any]]:
    return list(env.graph("GET", path, **{"$filter": f"groupId eq '{group}'"})["value"])


def request(env: Env, kind: str, action: str, schedule: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "action": action,
        "principalId": schedule["principalId"],
        "groupId": schedule["groupId"],
        "accessId": schedule["accessId"],
        "justification": "a test",
        **extra,
    }
    out: dict[str, Any] = env.graph("POST", f"{BASE}/{kind}ScheduleRequests", body)
    return out


def members(env: Env, group: str) -> set[str]:
    return {m["id"] for m in env.graph("GET", f"groups/{group}/members", **{"$select": "id"})["value"]}


def policy_of(env: Env, group: str, access: str) -> str:
    scope = {"$filter": f"scopeId eq '{group}' and scopeType eq 'Group'"}
    links = env.graph("GET", "policies/roleManagementPolicyAssignments", **scope)["value"]
    return str(next(a["policyId"] for a in links if a["roleDefinitionId"] == access))


def actions(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((a["type"], a["action"], a["reason"]) for a in plan["actions"])


def nothing_to_write(env: Env, *args: str) -> None:
    r = env.run("plan", "--exit-code", *args)
    assert r.exit_code == 0, r.output
    assert {a["action"] for a in env.plan(*args)["actions"]} <= {"skip"}, r.output


def test_backup_keeps_group_schedules_and_settings_in_files_of_their_own(env: Env) -> None:
    """A full backup: every eligibility, the active schedules that end, the group's member and owner
    settings with their rules (in a folder apart from the directory roles' settings) and the assignments
    tying them to member and owner; a second run commits nothing."""
    group = pim_group(env)
    root = env.root
    eligible = {s["id"] for s in listed(env, ELIGIBLE, group)}
    assert len(eligible) == 3 and all(i.startswith(f"{group}_") for i in eligible)
    assert {p.stem for p in (root / ELIGIBLE).glob("*.yaml")} == eligible
    active = {p.stem for p in (root / ACTIVE).glob("*.yaml")}
    assert active == {s["id"] for s in listed(env, ACTIVE, group)} and len(active) == 2
    member = policy_of(env, group, "member")
    text = (root / POLICY_FILES / f"{member}.yaml").read_text()
    assert f"scopeId: {group}" in text and "scopeType: Group" in text and "maximumDuration: P365D" in text
    assert not (root / POLICIES / f"{member}.yaml").exists()
    assert len(list((root / POLICY_FILES).glob("*.yaml"))) == 2
    assert len(list((root / f"{BASE}/roleManagementPolicyAssignments").glob("*.yaml"))) == 2
    head = git(env, "rev-parse", "HEAD")
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == head
    env.assert_empty()


def test_incremental_backup_and_history_see_a_new_eligibility_and_a_changed_setting(env: Env) -> None:
    group = pim_group(env)
    users = env.graph("GET", "users", **{"$select": "id", "$top": "3"})["value"]
    made = request(
        env,
        "eligibility",
        "adminAssign",
        {"principalId": users[0]["id"], "groupId": group, "accessId": "owner"},
        scheduleInfo={"expiration": {"type": "noExpiration"}},
    )
    pid = policy_of(env, group, "owner")
    rule = {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_Admin_Eligibility",
        "isExpirationRequired": False,
        "maximumDuration": "P90D",
    }
    env.graph("PATCH", f"{POLICIES}/{pid}/rules/Expiration_Admin_Eligibility", rule)
    env.ok("backup")
    assert (env.root / ELIGIBLE / f"{made['targetScheduleId']}.yaml").exists()
    path = f"{POLICY_FILES}/{pid}.yaml"
    assert "maximumDuration: P90D" in (env.root / path).read_text()
    log = git(env, "log", "-1", "--format=%B")
    assert "groupEligibilitySchedules: added " in log and "groupRoleManagementPolicies: changed" in log, log
    versions = env.ok("versions", path).output
    assert "created" in versions and versions.count("\n") >= 3, versions
    assert "P90D" in env.ok("show", path).output
    compared = env.ok("compare", path, env.baseline).output
    assert "P365D" in compared and "P90D" in compared, compared


def test_a_changed_group_setting_is_patched_back(env: Env) -> None:
    group = pim_group(env)
    pid = policy_of(env, group, "member")
    path = f"{POLICIES}/{pid}/rules/Expiration_Admin_Assignment"
    rule = {
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
        "id": "Expiration_Admin_Assignment",
        "isExpirationRequired": True,
        "maximumDuration": "P10D",
    }
    env.graph("PATCH", path, rule)
    assert actions(env.plan()) == [("groupRoleManagementPolicies", "update", "")]
    env.restore("--all", "--allow-privileged")
    live = env.graph("GET", path)
    assert (live["isExpirationRequired"], live["maximumDuration"]) == (False, "P180D")
    env.assert_empty()


def test_a_removed_eligibility_comes_back_with_its_schedule(env: Env) -> None:
    group = pim_group(env)
    [before] = [
        s for s in listed(env, ELIGIBLE, group) if s["scheduleInfo"]["expiration"]["type"] == "afterDateTime"
    ]
    request(env, "eligibility", "adminRemove", before)
    assert before["id"] not in {s["id"] for s in listed(env, ELIGIBLE, group)}
    assert actions(env.plan()) == [
        ("groupEligibilitySchedules", "recreate", "gone from the tenant (hard-deleted)")
    ]
    env.restore("--all", "--allow-privileged")
    [after] = [s for s in listed(env, ELIGIBLE, group) if s["principalId"] == before["principalId"]]
    assert (after["accessId"], after["scheduleInfo"]) == (before["accessId"], before["scheduleInfo"])
    assert idmap(env)["ids"][before["id"]] == after["id"]
    env.assert_empty()


def test_a_time_bound_membership_comes_back_time_bound(env: Env) -> None:
    """Removed, the membership goes with it; a restore brings it back through adminAssign with its end, and
    never adds the member to the group on its own (that membership would be permanent)."""
    group = pim_group(env)
    [before] = [s for s in listed(env, ACTIVE, group) if s["assignmentType"] == "assigned"]
    principal = before["principalId"]
    assert principal in members(env, group)
    request(env, "assignment", "adminRemove", before)
    assert principal not in members(env, group)
    plan = env.plan()
    assert actions(plan) == [
        ("groupAssignmentSchedules", "recreate", "gone from the tenant (hard-deleted)")
    ], plan
    env.restore("--all", "--allow-privileged")
    [after] = [s for s in listed(env, ACTIVE, group) if s["principalId"] == principal]
    assert after["assignmentType"] == "assigned" and after["scheduleInfo"] == before["scheduleInfo"]
    assert principal in members(env, group)
    nothing_to_write(env)


def test_an_activation_is_never_restored_nor_its_membership(env: Env) -> None:
    group = pim_group(env)
    [activation] = [s for s in listed(env, ACTIVE, group) if s["assignmentType"] == "activated"]
    principal = activation["principalId"]
    request(env, "assignment", "adminRemove", activation)
    assert principal not in members(env, group)
    reasons = actions(env.plan())
    assert reasons == [
        (
            "groupAssignmentSchedules",
            "skip",
            "an activation (a user's own, for hours) is never restored: the user activates again in PIM",
        )
    ], reasons
    env.restore("--all", "--allow-privileged")
    assert principal not in members(env, group)
    assert [s for s in listed(env, ACTIVE, group) if s["principalId"] == principal] == []


def test_an_expired_membership_is_skipped_with_its_end(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The activation (a day and 8 hours) ends between the backup and the restore: nothing is written for it,
    nor is its member put back in the group."""
    from entragit.restore import schedules

    group = pim_group(env)
    [activation] = [s for s in listed(env, ACTIVE, group) if s["assignmentType"] == "activated"]
    [timed] = [s for s in listed(env, ACTIVE, group) if s["assignmentType"] == "assigned"]
    request(env, "assignment", "adminRemove", timed)  # gone, and (below) ended by the restore
    end = timed["scheduleInfo"]["expiration"]["endDateTime"]
    days = 61 * 86400
    env.box.tenant.advance(days)
    later = schedules.now() + dt.timedelta(seconds=days)
    monkeypatch.setattr(schedules, "now", lambda: later)
    assert activation["principalId"] not in members(env, group)
    reasons = actions(env.plan())
    assert (
        "groupAssignmentSchedules",
        "skip",
        f"expired on {end[:10]} {end[11:16]} UTC: nothing is written",
    ) in reasons
    assert {r[1] for r in reasons if r[0] in ("groupAssignmentSchedules", "groups")} == {"skip"}, reasons


def test_a_group_deleted_for_good_gets_its_pim_schedules_back_on_its_new_id(env: Env) -> None:
    """The group under PIM is deleted for good: restoring it recreates the group, then its eligibilities and
    its time-bound membership for the new group id (the principals through the id map); the activation is
    not restored."""
    group = pim_group(env)
    before = {
        (s["principalId"], s["accessId"], s["scheduleInfo"]["expiration"]["type"])
        for s in listed(env, ELIGIBLE, group)
    }
    [timed] = [s for s in listed(env, ACTIVE, group) if s["assignmentType"] == "assigned"]
    env.graph("DELETE", f"groups/{group}")
    env.graph("DELETE", f"directory/deletedItems/{group}")
    assert listed(env, ELIGIBLE, group) == []
    env.ok("backup")
    paths = [str(p.relative_to(env.root)) for p in (env.root / ELIGIBLE).glob("*.yaml")]
    assert paths == []
    plan = env.plan(group)
    kinds = sorted((a["type"], a["action"]) for a in plan["actions"])
    assert ("groups", "recreate") in kinds and kinds.count(("groupEligibilitySchedules", "recreate")) == 3, (
        kinds
    )
    assert ("groupAssignmentSchedules", "recreate") in kinds, kinds
    env.restore(group, "--allow-privileged")
    new = idmap(env)["ids"][group]
    assert new != group
    after = {
        (s["principalId"], s["accessId"], s["scheduleInfo"]["expiration"]["type"])
        for s in listed(env, ELIGIBLE, new)
    }
    assert after == before
    [active] = listed(env, ACTIVE, new)
    assert active["principalId"] == timed["principalId"] and active["scheduleInfo"] == timed["scheduleInfo"]
    assert timed["principalId"] in members(env, new)
    env.ok("backup")
    env.assert_empty()


def test_without_the_group_schedule_permission_the_type_is_skipped_by_name(env: Env) -> None:
    """An app lacking PrivilegedEligibilitySchedule.Read.AzureADGroup backs up everything else; the run fails
    naming the type and the permission, and the eligibility files stay as they were (none removed)."""
    app = "7e57a11e-0000-4000-8000-0000000a9e11"
    granted = [p for p in required_permissions() if p != "PrivilegedEligibilitySchedule.Read.AzureADGroup"]
    secret = env.box.add_client(app, permissions=granted)
    env.env = {**env.env, "AZURE_CLIENT_ID": app, "AZURE_CLIENT_SECRET": secret}
    group = pim_group(env)
    files = sorted((env.root / ELIGIBLE).glob("*.yaml"))
    [timed] = [s for s in listed(env, ACTIVE, group) if s["assignmentType"] == "assigned"]
    request(env, "assignment", "adminRemove", timed)  # (the test's own session: all permissions)
    r = env.run("backup")
    assert r.exit_code == 1 and "PrivilegedEligibilitySchedule.Read.AzureADGroup" in r.output, r.output
    log = git(env, "log", "-1", "--format=%B")
    assert (
        "Failed-Type: groupEligibilitySchedules (403 PrivilegedEligibilitySchedule.Read.AzureADGroup)" in log
    )
    assert not (env.root / ACTIVE / f"{timed['id']}.yaml").exists()  # the other types were backed up
    assert sorted((env.root / ELIGIBLE).glob("*.yaml")) == files and len(files) == 3


def test_a_group_under_pim_that_is_not_role_assignable_is_kept_once_entragit_yaml_names_it(env: Env) -> None:
    """Graph v1.0 lists no groups under PIM and their schedules one group at a time: a backup reads the
    role-assignable groups' by itself, and a group that is not role-assignable once `pim_groups` names it.
    A value that is no object id is one line naming the key."""
    group = env.graph(
        "POST",
        "groups",
        {"displayName": "Break Glass Approvers", "mailEnabled": False, "mailNickname": "bga",
         "securityEnabled": True, "groupTypes": []},
    )  # fmt: skip
    someone = env.graph("GET", "users", **{"$top": "1", "$select": "id"})["value"][0]["id"]
    start = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    request(
        env,
        "eligibility",
        "adminAssign",
        {"principalId": someone, "groupId": group["id"], "accessId": "member"},
        scheduleInfo={"startDateTime": start, "expiration": {"type": "noExpiration"}},
    )
    env.ok("backup")
    assert naming(env, ELIGIBLE, group["id"]) == []  # not role-assignable, not named: Graph gives no way
    config = env.root / "entragit.yaml"
    config.write_text(config.read_text() + "pim_groups:\n  - not-a-guid\n")
    r = env.run("backup")
    assert r.exit_code != 0 and "pim_groups: 'not-a-guid' is not an object id" in r.output
    config.write_text(config.read_text().replace("not-a-guid", group["id"].upper()))
    git(env, "commit", "-qam", "name the group under PIM")
    env.ok("backup")
    assert len(naming(env, ELIGIBLE, group["id"])) == 1
    assert len(naming(env, POLICY_FILES, group["id"])) == 2  # its member and owner settings


def naming(env: Env, folder: str, oid: str) -> list[str]:
    """The files under folder that name the object id."""
    return [str(p) for p in (env.root / folder).rglob("*.yaml") if oid in p.read_text()]
