"""History across a recreation: a hard-deleted object that `entragit restore` brought back under a new id
(idmap.yaml) is one object with one history for ls, versions, show, compare, restore-points and the report,
and the first backup after the restore has nothing left to commit.

Graph gives a recreated object a new id (user-post-users.md, group-post-groups.md,
rbacapplication-post-roleassignments.md: the id is generated on creation), so only the id map ties the two
files together. Deleting for good: user-delete.md then directory-deleteditems-delete.md; a security group is
deleted for good at once (directory-deleteditems-list.md lists only Microsoft 365 groups), and a user's role
assignments go with the user.
"""

from __future__ import annotations

import json
from typing import Any

from restore_env import Env, git, idmap

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def _json(env: Env, *args: str) -> Any:
    return json.loads(env.ok(*args, "--json").output)


def _purge(env: Env, collection: str, oid: str) -> None:
    """Delete for good: out of the directory, then out of deleted items where it went there."""
    env.graph("DELETE", f"{collection}/{oid}")
    if env.http.get(f"{env.box.graph_url}/v1.0/directory/deletedItems/{oid}").status_code == 200:
        env.graph("DELETE", f"directory/deletedItems/{oid}")


def _megan_and_her_role(env: Env) -> tuple[str, str]:
    """Megan Bowen's id and the path of her Global Administrator assignment."""
    megan = env.find("users", "Megan Bowen")["id"]
    [assignment] = [
        a
        for a in env.graph("GET", "roleManagement/directory/roleAssignments")["value"]
        if a["principalId"] == megan and a["roleDefinitionId"] == GLOBAL_ADMIN
    ]
    return megan, f"roleManagement/directory/roleAssignments/{assignment['id']}.yaml"


def _removed(env: Env) -> set[str]:
    return {row["path"] for row in _json(env, "ls", "--removed")}


def test_recreated_user_group_and_role_assignment_are_no_longer_removed(env: Env) -> None:
    megan, assignment = _megan_and_her_role(env)
    group = env.find("groups", "Emergency Access Exclusions")["id"]
    # group-post-groups.md: a security group is created Private; the seed's null would plan an update after.
    env.graph("PATCH", f"groups/{group}", {"visibility": "Private"})
    env.ok("backup")
    before = git(env, "rev-parse", "HEAD").strip()
    _purge(env, "users", megan)
    _purge(env, "groups", group)
    env.ok("backup")
    gone = {f"users/{megan[:2]}/{megan}.yaml", f"groups/{group[:2]}/{group}.yaml", assignment}
    assert gone <= _removed(env)

    env.ok("restore", "--yes", "--allow-privileged", "--at", before, megan, group, assignment)
    ids = idmap(env)["ids"]
    assert {megan, group, assignment.rsplit("/", 1)[1].removesuffix(".yaml")} <= set(ids)

    assert not gone & _removed(env)
    assert "no object was removed" in env.ok("ls", "--removed").output
    report = _json(env, "report")
    assert not [d for d in report["deleted"] if d["path"] in gone]
    recreated = {c["path"] for c in report["changes"] if c["kind"] == "recreated"}
    assert f"users/{ids[megan][:2]}/{ids[megan]}.yaml" in recreated
    # The recreated assignment is named after the recreated user, the old one's name did not get lost.
    names = {row["displayName"] for row in _json(env, "ls", "roleAssignments")}
    assert "Global Administrator → Megan Bowen" in names


def test_versions_show_compare_and_restore_points_run_across_the_recreation(env: Env) -> None:
    megan, assignment = _megan_and_her_role(env)
    _purge(env, "users", megan)
    env.ok("backup")
    env.ok("restore", "--yes", "--allow-privileged", "--at", env.baseline, megan, assignment)
    new = idmap(env)["ids"][megan]
    restore_commit = git(env, "rev-parse", "--short=8", "HEAD").strip()
    baseline = env.baseline[:8]

    # One history, whichever id names her: the restore's version says "recreated", not "created".
    for spec in ("Megan Bowen", megan, new):
        found = _json(env, "versions", spec)
        assert found[0]["commit"] == restore_commit
        assert found[0]["summary"].startswith(f"recreated as {new}")
        assert [v["summary"] for v in found][1:] == ["deleted", "created"]
        assert found[0]["path"] == f"users/{new[:2]}/{new}.yaml" and found[-1]["commit"] == baseline
    assert f"versions of users/{new[:2]}/{new}.yaml" in env.ok("versions", megan).output

    # compare: the predecessor's file at the old commit against the successor's at HEAD; ids that differ
    # only by the id map (her own, the assignment's and its principal) are not differences.
    result = _json(env, "compare", "Megan Bowen", env.baseline, "HEAD")
    assert result["a"]["exists"] and result["b"]["exists"]
    assert result["path"] == f"users/{new[:2]}/{new}.yaml"
    changed = {d["path"] for d in result["differences"]}
    assert "/id" not in changed and "/displayName" not in changed and "/userPrincipalName" not in changed
    # A role assignment's id is base64url and may start with "-": after `--` it is an argument, not an option.
    new_assignment = idmap(env)["ids"][assignment.rsplit("/", 1)[1][:-5]]
    role = json.loads(env.ok("compare", "--json", "--", new_assignment, env.baseline, "HEAD").output)
    assert role["a"]["exists"] and role["b"]["exists"] and role["differences"] == []

    # show: the object at the old commit, named by either id.
    for spec in (new, megan, "Megan Bowen"):
        old_view = _json(env, "show", spec, "--at", env.baseline)
        assert old_view["id"] == megan and old_view["@entragit"]["commit"] == baseline
    assert _json(env, "show", megan)["id"] == new

    points = [p["commit"] for p in _json(env, "restore-points", "Megan Bowen")["restorePoints"]]
    assert restore_commit in points and baseline in points


def test_an_object_recreated_twice_keeps_one_history(env: Env) -> None:
    """A chain old → mid → new in the id map."""
    megan = env.find("users", "Megan Bowen")["id"]
    _purge(env, "users", megan)
    env.ok("backup")
    env.ok("restore", "--yes", "--allow-privileged", "--at", env.baseline, megan)
    mid = idmap(env)["ids"][megan]
    _purge(env, "users", mid)
    env.ok("backup")
    env.ok("restore", "--yes", "--allow-privileged", mid)
    new = idmap(env)["ids"][mid]

    summaries = [v["summary"].split(",")[0] for v in _json(env, "versions", megan)]
    assert summaries == [f"recreated as {new}", "deleted", f"recreated as {mid}", "deleted", "created"]
    assert not {p for p in _removed(env) if p.startswith("users/")}
    assert _json(env, "show", megan, "--at", env.baseline)["id"] == megan


def test_changed_by_includes_what_the_actor_deleted_and_combines_with_removed(env: Env) -> None:
    """The backup attributes a deletion to whoever the audit log says deleted (README, Who changed it): the
    test's raw Graph calls are made as the app, `entragit <appId@app.entra>`."""
    lee = env.find("users", "Lee Gu")["id"]
    path = f"users/{lee[:2]}/{lee}.yaml"
    _purge(env, "users", lee)
    env.ok("backup")
    app = env.box.client_id

    rows = {r["path"]: r for r in _json(env, "ls", "--changed-by", app)}
    assert rows[path]["state"] == "removed" and app in rows[path]["changedBy"]
    assert [r["path"] for r in _json(env, "ls", "--removed", "--changed-by", app)] == [path]
    assert _json(env, "ls", "--removed", "--changed-by", "Alex Wilber") == []
    assert (
        "no object was removed by Alex Wilber"
        in env.ok("ls", "--removed", "--changed-by", "Alex Wilber").output
    )
    assert path not in {r["path"] for r in _json(env, "ls", "--changed-by", "Alex Wilber")}


def test_backup_right_after_restoring_a_licensed_user_commits_nothing(env: Env) -> None:
    """Recreating a licensed user changes the seat counts (subscribedsku.md: consumedUnits), so the restore
    commit carries the seat report a backup would write; the first backup after it commits nothing."""
    megan = env.find("users", "Megan Bowen")
    assert env.graph("GET", f"users/{megan['id']}", **{"$select": "assignedLicenses"})["assignedLicenses"]
    _purge(env, "users", megan["id"])
    env.ok("backup")
    seats_before = (env.root / "reports/seats.yaml").read_text()
    env.ok("restore", "--yes", "--allow-privileged", megan["id"])
    assert "reports/seats.yaml" in git(env, "show", "--name-only", "--format=", "HEAD")
    assert (env.root / "reports/seats.yaml").read_text() != seats_before
    head = git(env, "rev-parse", "HEAD")

    env.ok("backup")
    assert git(env, "rev-parse", "HEAD") == head, git(env, "show", "--stat", "HEAD")
