"""Recreating a hard-deleted object brings back every reference other objects held to it: memberships,
ownerships, managers, administrative unit membership, app role assignments, conditional access conditions and
directory role assignments, pointing at the successor; and every entry point plans the same afterwards."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from restore_env import MAIL_GROUP, Env, git, idmap, make_env, member_ids

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def hard_delete(env: Env, collection: str, oid: str) -> None:
    """DELETE, then purge from deleted items where Graph put it there (user-delete.md, group-delete.md)."""
    env.graph("DELETE", f"{collection}/{oid}")
    r = env.http.get(f"{env.box.graph_url}/v1.0/directory/deletedItems/{oid}")
    if r.status_code == 200:
        env.graph("DELETE", f"directory/deletedItems/{oid}")


def holders(env: Env, rev: str, oid: str) -> set[str]:
    """The object files at rev that name oid (what the restore must put back)."""
    out = subprocess.run(
        ["git", "-C", str(env.root), "grep", "-l", oid, rev], capture_output=True, text=True
    ).stdout
    return {line.split(":", 1)[1] for line in out.splitlines()}


def ca_policies(env: Env) -> list[dict]:
    return env.graph("GET", "identity/conditionalAccess/policies")["value"]


def test_recreated_group_comes_back_in_its_conditional_access_policies(env: Env) -> None:
    group = env.find("groups", "Emergency Access Exclusions")
    old = group["id"]
    excluding = [p["id"] for p in ca_policies(env) if old in p["conditions"]["users"]["excludeGroups"]]
    assert len(excluding) == 4  # every demo policy (the guests' one too) excludes the break-glass group
    members = member_ids(env, f"groups/{old}/members")
    hard_delete(env, "groups", old)
    env.ok("backup")

    plan = env.plan("Emergency Access Exclusions")
    kinds = sorted((a["type"], a["action"]) for a in plan["actions"])
    assert kinds.count(("conditionalAccessPolicies", "update")) == 4, kinds
    assert ("groups", "recreate") in kinds
    env.restore("Emergency Access Exclusions", "--allow-privileged")

    new = idmap(env)["ids"][old]
    for p in ca_policies(env):
        if p["id"] in excluding:
            assert p["conditions"]["users"]["excludeGroups"] == [new], p["displayName"]
    assert member_ids(env, f"groups/{new}/members") == members
    # Every entry point agrees the tenant matches: the object, a policy that named it, the whole tenant.
    env.assert_empty("Emergency Access Exclusions")
    env.assert_empty()
    before = git(env, "rev-parse", "HEAD")
    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == before, "a backup right after the restore changed something"


def test_recreated_user_gets_back_groups_manager_reports_role_unit_and_policy(env: Env) -> None:
    megan = env.graph("GET", f"users/{MEGAN}")
    old = megan["id"]
    # Excluded from a policy in a later backup than her own file's last change: the holders are read where
    # she was last alive, not at her last version.
    policy = env.find("identity/conditionalAccess/policies", "Require MFA for administrators")
    excluded = [*policy["conditions"]["users"]["excludeUsers"], old]
    patch = {"conditions": {"users": {"excludeUsers": excluded}}}
    env.graph("PATCH", f"identity/conditionalAccess/policies/{policy['id']}", patch)
    env.ok("backup")
    held = holders(env, "HEAD", old) - {f"users/{old[:2]}/{old}.yaml"}
    groups = {g["id"] for g in env.graph("GET", f"users/{old}/memberOf")["value"] if "groupTypes" in g}
    reports = {u["id"] for u in env.graph("GET", f"users/{old}/directReports")["value"]}
    assert groups and reports and held
    hard_delete(env, "users", old)
    env.ok("backup")

    plan = env.plan(MEGAN)
    planned = {a["path"] for a in plan["actions"]}
    assert held <= planned | {p for p in held if p.startswith("roleManagement/")}, held - planned
    assert any(a["type"] == "roleAssignments" and a["action"] == "recreate" for a in plan["actions"]), plan[
        "actions"
    ]
    # The role assignment is privileged: the guard names it.
    refused = env.run("restore", "--yes", MEGAN)
    assert refused.exit_code == 2 and "--allow-privileged" in refused.output
    env.restore(MEGAN, "--allow-privileged")

    new = idmap(env)["ids"][old]
    for gid in groups:
        assert new in member_ids(env, f"groups/{gid}/members"), gid
    for uid in reports:
        assert env.graph("GET", f"users/{uid}/manager")["id"] == new
    flt = {"$filter": f"principalId eq '{new}'"}
    roles = env.graph("GET", "roleManagement/directory/roleAssignments", **flt)["value"]
    assert [r["roleDefinitionId"] for r in roles] == [GLOBAL_ADMIN]
    live = env.graph("GET", f"identity/conditionalAccess/policies/{policy['id']}")
    assert sorted(live["conditions"]["users"]["excludeUsers"]) == sorted([*excluded[:-1], new])
    units = [p for p in held if p.startswith("directory/administrativeUnits/")]
    for path in units:
        unit = Path(path).stem
        assert new in member_ids(env, f"directory/administrativeUnits/{unit}/members")
    env.assert_empty(MEGAN)
    env.assert_empty()


def test_whole_tenant_plan_sees_references_a_per_object_restore_left(env: Env) -> None:
    """After a recreate without relationships (as restores before this one did), the conditional access
    policies still name the old id: the whole-tenant plan must say so, as plan of one policy and apply of
    the checked-out revision do."""
    old = env.find("groups", "Emergency Access Exclusions")["id"]
    hard_delete(env, "groups", old)
    env.ok("backup")
    env.restore("Emergency Access Exclusions", "--no-relationships")
    whole = env.run("plan", "--exit-code")
    assert whole.exit_code == 3, whole.output
    assert whole.output.count("~ update identity/conditionalAccess/policies/") == 4, whole.output
    # More drift of every kind: a rename, an edit, a policy deleted, a user soft-deleted, a member removed.
    aurora = env.find("groups", "Project Aurora")
    env.graph("PATCH", f"groups/{aurora['id']}", {"displayName": "Project Borealis"})
    env.graph("PATCH", f"users/{MEGAN}", {"jobTitle": "Intern"})
    policy = env.find("identity/conditionalAccess/policies", "Block legacy authentication")
    env.graph("DELETE", f"identity/conditionalAccess/policies/{policy['id']}")
    env.graph("DELETE", f"users/{env.find('users', 'Lee Gu')['id']}")
    member = sorted(member_ids(env, f"groups/{aurora['id']}/members"))[0]
    env.graph("DELETE", f"groups/{aurora['id']}/members/{member}/$ref")
    env.ok("backup")
    whole = env.run("plan", "--at", env.baseline)
    # The same plan as the work tree at that revision, applied (one planner, whatever the entry point).
    git(env, "checkout", env.baseline, "--", ".")
    dry = env.run("apply", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert _actions(dry.output) == _actions(whole.output), (dry.output, whole.output)
    assert len(_actions(whole.output)) >= 8


def _actions(output: str) -> list[str]:
    """The plan's lines but its header, summary and skips (a whole revision leaves soft-deleted objects
    out; the work tree has their files and says why it skips them)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Restore plan to "))
    body, kept, skipping = lines[start + 1 :], [], False
    for line in body:
        if line.startswith(("Plan: ", "dry run")):
            break
        if not line.startswith("    "):
            skipping = line.startswith("·")
        if line and not skipping:
            kept.append(line)
    return kept


def test_a_membership_graph_cannot_put_back_is_refused_until_exchange_does(env: Env) -> None:
    """group-post-members.md: members of a mail-enabled security group are managed in Exchange, not Graph.
    Restoring a user who was in one recreates everything else and exits 1 naming that group; the plan stays
    non-empty until someone puts the user back there, then it is empty."""
    lee = env.find("users", "Lee Gu")["id"]
    group = env.find("groups", MAIL_GROUP)["id"]
    assert lee in member_ids(env, f"groups/{group}/members")
    hard_delete(env, "users", lee)
    env.ok("backup")
    r = env.run("restore", "--yes", "--allow-privileged", lee)
    assert r.exit_code == 1, r.output
    assert f"! refuse groups/{group[:2]}/{group}.yaml  {MAIL_GROUP}" in r.output
    assert "Refused, nothing written for: groups/" in r.output and "✗" not in r.output
    new = idmap(env)["ids"][lee]
    [left] = env.plan(lee)["actions"]
    assert (left["action"], left["path"]) == ("refuse", f"groups/{group[:2]}/{group}.yaml")
    with env.box.tenant.lock:  # done in Exchange Online
        for rel in ("groups#members", "groups#owners"):
            env.box.tenant.add_link(rel, group, new)
    env.assert_empty(lee)


def test_a_user_whose_upn_is_taken_is_refused_and_nothing_naming_it_is_planned(env: Env) -> None:
    """A recreation under a userPrincipalName an active user holds fails in Graph (user-post-users.md,
    ObjectConflict): the plan says so first, names the holder, and plans nothing that names the user.
    --new-upn recreates it under another, with its role assignment."""
    megan = env.graph("GET", f"users/{MEGAN}")
    hard_delete(env, "users", megan["id"])
    env.ok("backup")
    holder = {
        "accountEnabled": True,
        "displayName": "Another Megan",
        "mailNickname": "megan.bowen",
        "userPrincipalName": MEGAN,
        "passwordProfile": {"password": "Xy7!long-enough-Pa55", "forceChangePasswordNextSignIn": True},
    }
    other = env.graph("POST", "users", holder)
    r = env.run("restore", "--yes", "--allow-privileged", MEGAN)
    assert r.exit_code == 1, r.output
    assert f"is now held by active user Another Megan ({other['id']})" in r.output and "--new-upn" in r.output
    # Nothing else is planned: no reference to a user that is not coming back.
    assert [a["action"] for a in env.plan(MEGAN)["actions"]] == ["refuse"]
    domain = MEGAN.split("@")[1]
    env.restore(MEGAN, "--allow-privileged", "--new-upn", f"megan.restored@{domain}")
    new = idmap(env)["ids"][megan["id"]]
    flt = {"$filter": f"principalId eq '{new}'"}
    roles = env.graph("GET", "roleManagement/directory/roleAssignments", **flt)["value"]
    assert [r["roleDefinitionId"] for r in roles] == [GLOBAL_ADMIN]


def test_an_undelete_brings_its_role_assignments_back_the_whole_tenant_plan_does_not_recreate_them(
    env: Env,
) -> None:
    """directory-deleteditems-restore.md: a restored object comes back with its memberships and role
    assignments. A whole-tenant plan undeletes the user and leaves its role assignments to the undelete
    (recreating them beside the originals would conflict)."""
    megan = env.graph("GET", f"users/{MEGAN}")
    env.graph("DELETE", f"users/{megan['id']}")
    env.ok("backup")
    actions = env.plan("--at", env.baseline)["actions"]
    assert [a["action"] for a in actions if a["type"] == "roleAssignments"] == []
    assert ("users", "undelete") in {(a["type"], a["action"]) for a in actions}
    env.ok("restore", "--all", "--at", env.baseline, "--yes", "--allow-privileged")
    flt = {"$filter": f"principalId eq '{megan['id']}'"}
    assert len(env.graph("GET", "roleManagement/directory/roleAssignments", **flt)["value"]) == 1
    env.assert_empty("--at", env.baseline)


@pytest.mark.parametrize("purge", [False, True])
def test_an_application_comes_back_with_its_service_principal(env: Env, purge: bool) -> None:
    """directory-deleteditems-restore.md: "restoring an application doesn't automatically restore the
    associated service principal": a restore of the application brings it back too — undeleted with it, or
    created anew for the recreated application's new appId (the old one is in the recycle bin for good)."""
    app = env.find("applications", "Payroll Sync")
    sp = env.graph("GET", "servicePrincipals", **{"$filter": f"appId eq '{app['appId']}'"})["value"][0]
    env.graph("DELETE", f"applications/{app['id']}")
    if purge:
        env.graph("DELETE", f"directory/deletedItems/{app['id']}")
    env.ok("backup")
    assert env.http.get(f"{env.box.graph_url}/v1.0/servicePrincipals/{sp['id']}").status_code == 404
    env.restore("applications/Payroll Sync", "--at", env.baseline)
    app_id = idmap(env)["appIds"].get(app["appId"], app["appId"]) if purge else app["appId"]
    [back] = env.graph("GET", "servicePrincipals", **{"$filter": f"appId eq '{app_id}'"})["value"]
    assert (back["id"] == sp["id"]) is not purge and back["displayName"] == sp["displayName"]
    env.assert_empty("--at", env.baseline, "applications/Payroll Sync")


def test_a_refused_member_does_not_hold_back_the_others_added_with_it(env: Env) -> None:
    """One link action adds both a recreated user and one whose undelete is refused (its UPN is taken):
    the recreated one is added, the refused one is reported not attempted, and the restore exits 1."""
    vpn = env.find("groups", "VPN Users")["id"]
    chloe = env.find("users", "Chloé Dubois")["id"]
    jose = env.graph("GET", "users/jose.alvarez@contoso.onmicrosoft.com")
    assert {chloe, jose["id"]} <= member_ids(env, f"groups/{vpn}/members")
    hard_delete(env, "users", chloe)
    env.graph("DELETE", f"users/{jose['id']}")
    taker = {
        "accountEnabled": True,
        "displayName": "Another José",
        "mailNickname": "jose.other",
        "userPrincipalName": jose["userPrincipalName"],
        "passwordProfile": {"password": "Xy7!long-enough-Pa55", "forceChangePasswordNextSignIn": True},
    }
    env.graph("POST", "users", taker)
    env.ok("backup")
    r = env.run("restore", "--all", "--at", env.baseline, "--yes", "--allow-privileged")
    assert r.exit_code == 1, r.output
    new = idmap(env)["ids"][chloe]
    assert new in member_ids(env, f"groups/{vpn}/members")
    line = next(x for x in r.output.splitlines() if x.startswith("– link ") and "VPN Users" in x)
    assert f"members: 1 added; not attempted for {jose['id']}, which was not restored" in line, line
