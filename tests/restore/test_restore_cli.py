"""plan and restore end to end: back up the sandbox, change it through raw Graph calls as an admin (or an
attacker) would, plan, restore, and plan again, which must then be empty.

Each test gets its own sandbox and backup repository: restores change the tenant.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import yaml
from restore_env import Env, git, idmap, leave_mail_groups, member_ids


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
    # linked objects are named by their files at the revision (read one by one, not through the index)
    names = {
        u["id"]: u["displayName"] for u in env.graph("GET", "users", **{"$select": "id,displayName"})["value"]
    }
    assert f"members + {members[0]} ({names[members[0]]})" in text
    assert f"members - {joining} ({names[joining]})" in text
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
    # restored to the latest backup: the repository already says so, nothing to record
    assert git(env, "log", "-1", "--format=%s").startswith("backup ")


def test_a_restore_is_recorded_as_a_commit_of_the_live_state(env: Env) -> None:
    gid = env.find("groups", "Project Aurora")["id"]
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Project Borealis"})
    env.ok("backup")
    env.restore("--at", env.baseline, gid)
    subject, body = git(env, "log", "-1", "--format=%s%n%b").split("\n", 1)
    first = env.baseline[:8]
    assert subject.startswith(f"restore: 1 object to {first} ") and subject.endswith(
        f"by {env.box.client_id}"
    )
    assert f"update groups/{gid[:2]}/{gid}.yaml (Project Aurora)" in body
    path = f"groups/{gid[:2]}/{gid}.yaml"
    assert git(env, "show", "--name-only", "--format=", "HEAD").split() == [path]
    assert git(env, "show", f"HEAD:{path}") == git(env, "show", f"HEAD~2:{path}")
    assert "0 changed, 0 added, 0 deleted" in env.ok("backup").output  # the next backup agrees
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


def test_ca_policy_with_evolvable_members_is_backed_up_and_restored_with_them(env: Env) -> None:
    """best-practices-concept.md (Evolvable enums): `linux` and `riskRemediation` come after their
    enumerations' `unknownFutureValue`, and Graph shows them only to a request that asks with `Prefer:
    include-unknown-enum-members`; a backup that did not ask would keep the sentinel and could not restore."""
    ask = {"Prefer": "include-unknown-enum-members"}
    ca = "identity/conditionalAccess/policies"
    pid = env.find(ca, "Block legacy authentication")["id"]

    def patch(body: dict[str, Any]) -> None:
        r = env.http.patch(f"{env.box.graph_url}/v1.0/{ca}/{pid}", json=body, headers=ask)
        assert r.status_code == 204, r.text

    later = {"includePlatforms": ["android", "linux"], "excludePlatforms": ["linux"]}
    patch(
        {
            "conditions": {"platforms": later},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa", "riskRemediation"]},
        }
    )
    env.ok("backup")
    [path] = [p for p in git(env, "ls-files").split() if pid in p]
    saved = yaml.safe_load((env.root / path).read_text())
    assert saved["conditions"]["platforms"]["includePlatforms"] == ["android", "linux"]
    assert saved["conditions"]["platforms"]["excludePlatforms"] == ["linux"]
    assert saved["grantControls"]["builtInControls"] == ["mfa", "riskRemediation"]

    patch({"conditions": {"platforms": {"includePlatforms": ["android"], "excludePlatforms": []}}})
    patch({"grantControls": {"operator": "OR", "builtInControls": ["mfa"]}})
    [update] = env.plan(pid)["actions"]
    assert sorted(c["path"] for c in update["changes"]) == ["conditions", "grantControls"]
    env.restore(pid)
    live = env.http.get(f"{env.box.graph_url}/v1.0/{ca}/{pid}", headers=ask).json()
    assert live["conditions"]["platforms"] == {**live["conditions"]["platforms"], **later}
    assert live["grantControls"]["builtInControls"] == ["mfa", "riskRemediation"]
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
    uid = env.find("users", "Lidia Holloway")["id"]
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


def test_soft_deleted_user_and_group_undeleted_with_same_id_and_links(env: Env) -> None:
    """directory-deleteditems-restore.md: a restored object keeps its id; the plan undeletes, then links."""
    group = env.find("groups", "Marketing Team")
    gid = group["id"]
    members = member_ids(env, f"groups/{gid}/members")
    owners = member_ids(env, f"groups/{gid}/owners")
    uid = env.find("users", "Lidia Holloway")["id"]
    memberships = member_ids(env, f"users/{uid}/memberOf")
    env.graph("DELETE", f"groups/{gid}")
    env.graph("DELETE", f"users/{uid}")
    env.ok("backup")  # the deletions are backed up: the latest files say "deleted"

    plan = env.plan("Marketing Team", uid)
    assert sorted((a["type"], a["action"]) for a in plan["actions"]) == [
        ("groups", "undelete"),
        ("users", "undelete"),
    ]
    text = env.ok("plan", "Marketing Team", uid).output
    assert "↺ undelete users/" in text and "↺ undelete groups/" in text

    env.restore("Marketing Team", uid)
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Marketing Team"
    assert member_ids(env, f"groups/{gid}/members") == members
    assert member_ids(env, f"groups/{gid}/owners") == owners
    assert member_ids(env, f"users/{uid}/memberOf") == memberships
    env.assert_empty("Marketing Team", uid)


def test_soft_deleted_security_group_undeleted_with_its_id_members_and_owners(env: Env) -> None:
    """group-delete.md (2026) and MC1183299: a cloud security group waits 30 days in deleted items and comes
    back with its membership and ownership; the plan undeletes it with the same id (no recreate, no id map),
    so the conditional access policies that name it need no change."""
    group = env.find("groups", "Emergency Access Exclusions")
    gid = group["id"]
    members = member_ids(env, f"groups/{gid}/members")
    owners = member_ids(env, f"groups/{gid}/owners")
    assert members and owners
    env.graph("DELETE", f"groups/{gid}")
    env.ok("backup")

    assert [a["action"] for a in env.plan(gid)["actions"]] == ["undelete"]
    env.restore(gid)
    assert env.graph("GET", f"groups/{gid}")["displayName"] == group["displayName"]
    assert member_ids(env, f"groups/{gid}/members") == members
    assert member_ids(env, f"groups/{gid}/owners") == owners
    assert not (env.root / "idmap.yaml").exists() or gid not in (env.root / "idmap.yaml").read_text()
    env.assert_empty(gid)


def test_soft_deleted_custom_role_definition_undeleted_with_its_id(env: Env) -> None:
    """unifiedroledefinition-delete.md (2026): a deleted custom role definition is soft-deleted; restore
    undeletes it from roleManagement/directory/deletedItems/roleDefinitions (unifiedroledefinition-restore.md)
    with the same id, so the role assignments that name it still point at it."""
    role = next(
        r for r in env.graph("GET", "roleManagement/directory/roleDefinitions")["value"] if not r["isBuiltIn"]
    )
    rid = role["id"]
    env.graph("DELETE", f"roleManagement/directory/roleDefinitions/{rid}")
    env.ok("backup")

    [undelete] = env.plan(rid)["actions"]
    assert (undelete["type"], undelete["action"]) == ("roleDefinitions", "undelete")
    assert "↺ undelete roleManagement/directory/roleDefinitions/" in env.ok("plan", rid).output
    env.restore(rid)
    live = env.graph("GET", f"roleManagement/directory/roleDefinitions/{rid}")
    assert live["displayName"] == role["displayName"] and live["deletedDateTime"] is None
    assert env.graph("GET", "roleManagement/directory/deletedItems/roleDefinitions")["value"] == []
    env.assert_empty(rid)


def test_taken_upn_names_its_holder_and_new_upn_restores_under_another(env: Env) -> None:
    """directory-deleteditems-restore.md: newUserPrincipalName restores a user whose UPN is taken."""
    user = env.find("users", "Lidia Holloway")
    uid, upn = user["id"], user["userPrincipalName"]
    env.graph("DELETE", f"users/{uid}")
    holder = env.graph(
        "POST",
        "users",
        {
            "accountEnabled": True,
            "displayName": "New Lidia",
            "mailNickname": "newlidia",
            "userPrincipalName": upn,
            "passwordProfile": {"password": "Xy7!long-enough-Pa55", "forceChangePasswordNextSignIn": True},
        },
    )
    [refusal] = env.plan(uid)["actions"]
    assert refusal["action"] == "refuse"
    assert (
        holder["id"] in refusal["reason"]
        and "New Lidia" in refusal["reason"]
        and "--new-upn" in refusal["reason"]
    )
    r = env.run("restore", uid, "--yes")  # a refusal is not "restored": exit 1, naming the object
    assert r.exit_code == 1 and "! refuse" in r.output and "Refused, nothing written for: users/" in r.output
    assert env.run("restore", uid, "--yes").output.count("✓") == 0

    domain = upn.split("@")[1]
    new_upn = f"lidia.restored@{domain}"
    env.restore(uid, "--new-upn", new_upn)
    live = env.graph("GET", f"users/{uid}", **{"$select": "id,userPrincipalName,jobTitle"})
    assert live["userPrincipalName"] == new_upn and live["jobTitle"] == user["jobTitle"]
    env.assert_empty(uid, "--new-upn", new_upn)
    assert env.run("plan", uid, "Alex Wilber", "--new-upn", new_upn).exit_code == 2  # one user only


def test_mail_enabled_group_and_synced_user_are_refused_with_a_reason(env: Env) -> None:
    """group-update.md: mail-enabled security and distribution groups cannot be written through Graph;
    attributes of objects synchronized from on-premises are changed there."""
    mail_group = env.find("groups", "Finance Approvers")
    synced = env.find("users", "Isaiah Langer")
    with env.box.tenant.lock:  # changed in Exchange Online / on-premises: no Graph write can do it
        env.box.tenant.replace(
            "groups", {**env.box.tenant.coll("groups").objs[mail_group["id"]], "description": "x"}
        )
        obj = env.box.tenant.coll("users").objs[synced["id"]]
        env.box.tenant.replace("users", {**obj, "jobTitle": "changed on-premises"})
    actions = env.plan(mail_group["id"], synced["id"])["actions"]
    assert [(a["type"], a["action"]) for a in actions] == [("users", "refuse"), ("groups", "refuse")]
    assert "mail-enabled" in actions[1]["reason"] and "on-premises" in actions[0]["reason"]
    r = env.run("restore", "--yes", mail_group["id"], synced["id"])  # refused: exit 1, naming both
    assert r.exit_code == 1 and "✓" not in r.output
    assert "Finance Approvers" in r.output and "Isaiah Langer" in r.output


def test_only_and_no_relationships_limit_the_plan(env: Env) -> None:
    gid = env.find("groups", "Project Aurora")["id"]
    members = member_ids(env, f"groups/{gid}/members")
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Renamed", "description": "changed"})
    env.graph("DELETE", f"groups/{gid}/members/{sorted(members)[0]}/$ref")

    only = env.plan(gid, "--only", "displayName")["actions"]
    assert [(a["action"], [c["path"] for c in a["changes"]]) for a in only] == [("update", ["displayName"])]
    no_links = env.plan(gid, "--no-relationships")["actions"]
    assert [a["action"] for a in no_links] == ["update"]
    assert [a["action"] for a in env.plan(gid, "--only", "members")["actions"]] == ["link"]
    r = env.run("plan", gid, "--only", "displayNme")
    assert r.exit_code == 2 and "displayNme" in r.output and len(r.output.strip().splitlines()) == 1

    env.restore(gid, "--only", "displayName")
    live = env.graph("GET", f"groups/{gid}")
    assert live["description"] == "changed" and live["displayName"] == "Project Aurora"
    env.assert_empty(gid, "--only", "displayName")
    # the restore was recorded as a commit of the live state; the backup before it still differs
    assert env.run("plan", "--exit-code", "--at", "HEAD~1", gid).exit_code == 3


def test_restore_without_yes_and_without_a_terminal_writes_nothing_and_dry_run_neither(env: Env) -> None:
    gid = env.find("groups", "Project Aurora")["id"]
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Renamed"})
    r = env.run("restore", gid)
    assert r.exit_code != 0 and "--yes" in r.output
    r = env.run("restore", gid, "--dry-run", "--yes")
    assert r.exit_code == 0 and "~ update" in r.output and "nothing written" in r.output
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Renamed"


def test_bad_input_is_one_line_and_writes_nothing(env: Env) -> None:
    for args in (("plan", "no such object"), ("restore", "Project Aurora", "--at", "nonsense", "--yes")):
        r = env.run(*args)
        assert r.exit_code != 0
        assert r.output.startswith("entragit: error:") and len(r.output.strip().splitlines()) == 1, r.output


def test_hard_deleted_security_group_recreated_with_links_and_ca_references_rewritten(env: Env) -> None:
    """A security group purged from deleted items is gone for good (directory-deleteditems-delete.md): a
    new group takes its place, the id map is committed, and conditional access conditions naming the old
    id are rewritten to the new one. (The tests of recreate purge the recycle bin first: a cloud security
    group is soft-deleted since 2026.)"""
    old = env.find("groups", "Emergency Access Exclusions")
    gid = old["id"]
    members = member_ids(env, f"groups/{gid}/members")
    owners = member_ids(env, f"groups/{gid}/owners")
    policies = [
        p["id"]
        for p in env.graph("GET", "identity/conditionalAccess/policies")["value"]
        if gid in p["conditions"]["users"]["excludeGroups"]
    ]
    assert members and policies
    # group-post-groups.md: "a security group is created as Private by default"; the seed's null would
    # come back as "Private" (see the report on the sandbox seed)
    env.graph("PATCH", f"groups/{gid}", {"visibility": "Private"})
    env.ok("backup")
    env.graph("DELETE", f"groups/{gid}")
    env.graph("DELETE", f"directory/deletedItems/{gid}")
    env.ok("backup")

    plan = env.plan(gid, *policies)
    assert [a["action"] for a in plan["actions"]][:2] == ["recreate", "link"]
    recreate = plan["actions"][0]
    assert {"path": "displayName", "old": None, "new": "Emergency Access Exclusions"} in recreate["changes"]
    assert "+ recreate groups/" in env.ok("plan", gid).output

    env.restore(gid, *policies)
    new = idmap(env)["ids"][gid]
    assert new != gid and env.graph("GET", f"groups/{new}")["displayName"] == old["displayName"]
    assert member_ids(env, f"groups/{new}/members") == members
    assert member_ids(env, f"groups/{new}/owners") == owners
    for pid in policies:
        assert (
            new
            in env.graph("GET", f"identity/conditionalAccess/policies/{pid}")["conditions"]["users"][
                "excludeGroups"
            ]
        )
    files = git(env, "show", "--name-status", "--format=", "HEAD")
    assert (
        "A\tidmap.yaml" in files and f"D\tgroups/{gid[:2]}/{gid}.yaml" not in files
    )  # removed by the backup
    assert f"A\tgroups/{new[:2]}/{new}.yaml" in files
    env.assert_empty(gid, *policies)


def _purge_user(env: Env, name: str) -> dict[str, Any]:
    """The user deleted for good, out of the mail-enabled groups first (see leave_mail_groups)."""
    user = env.find("users", name)
    leave_mail_groups(env, user["id"])
    env.graph("DELETE", f"users/{user['id']}")
    env.graph("DELETE", f"directory/deletedItems/{user['id']}")  # for good: directory-deleteditems-delete.md
    return dict(user)


def test_hard_deleted_user_recreated_with_a_password_in_the_passwords_file_and_stored_nowhere(
    env: Env, tmp_path: Path
) -> None:
    """Without a terminal (a CI log others read) the temporary password goes only to --passwords-file,
    created 0600 outside the repository: never to the output, the repository or the tenant's audit log."""
    user = _purge_user(env, "Lee Gu")
    uid = user["id"]
    env.ok("backup")
    [recreate, *_] = env.plan(uid)["actions"]
    assert recreate["action"] == "recreate"

    # Lee Gu comes back into his groups too, Tier 0 Administrators among them: a privileged group.
    assert env.run("restore", "--yes", uid).exit_code == 2
    inside = env.run("restore", "--yes", "--allow-privileged", uid, "--passwords-file", str(env.root / "pw"))
    assert inside.exit_code == 2 and inside.output.count("\n") == 1, inside.output
    assert "--passwords-file" in inside.output and "inside the backup repository" in inside.output
    assert not (env.root / "pw").exists() and env.plan(uid)["actions"][0]["action"] == "recreate"

    secrets = tmp_path / "secrets" / "passwords.txt"
    secrets.parent.mkdir()
    out = env.restore(uid, "--allow-privileged", "--passwords-file", str(secrets)).output
    assert f"temporary password written to {secrets} (change at next sign-in)" in out
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    upn, password = secrets.read_text().rstrip("\n").split("\t")
    assert upn == user["userPrincipalName"] and len(password) >= 16
    assert password not in out
    new = idmap(env)["ids"][uid]
    live = env.graph("GET", f"users/{new}", **{"$select": "id,displayName,userPrincipalName,jobTitle"})
    assert live["userPrincipalName"] == user["userPrincipalName"]
    env.assert_empty(uid)
    # nowhere in the repository: work tree, every git object, the audit log the sandbox keeps
    for f in env.root.rglob("*"):
        if f.is_file():
            assert password.encode() not in f.read_bytes(), f
    blobs = subprocess.run(
        ["git", "-C", str(env.root), "log", "--all", "-p"], capture_output=True, text=True
    ).stdout
    assert password not in blobs
    assert password not in json.dumps(env.graph("GET", "auditLogs/directoryAudits"))


def test_without_a_terminal_or_passwords_file_the_password_is_shown_to_nobody(env: Env) -> None:
    """No terminal and no --passwords-file: the user is recreated with a random password nobody sees (and
    must change at next sign-in), and the result says to reset it."""
    uid = _purge_user(env, "Pradeep Gupta")["id"]
    env.ok("backup")
    out = env.restore(uid, "--allow-privileged").output
    assert "temporary password set but not shown: reset it in the Entra admin center" in out
    assert "shown once" not in out
    assert idmap(env)["ids"][uid] and not any(f.name.endswith(".txt") for f in env.root.iterdir())


def _on_terminal(env: Env, *args: str, typed: str = "") -> tuple[int, str]:
    """The CLI run as a person runs it: standard input and output a terminal; its exit code and screen."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "entragit", args[0], "--repo", str(env.root), *args[1:]],
        stdout=terminal,
        stderr=terminal,
        stdin=terminal,
        env={**os.environ, **env.env},
    )
    os.close(terminal)
    if typed:
        os.write(controller, typed.encode())
    seen = b""
    with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
        while chunk := os.read(controller, 4096):
            seen += chunk
    os.close(controller)
    return proc.wait(timeout=60), seen.decode()


def test_on_a_terminal_the_password_is_shown_once(env: Env) -> None:
    """A person at a terminal sees the temporary password once in the result, as the admin who hands it over
    needs it."""
    uid = _purge_user(env, "Patti Fernandez")["id"]
    env.ok("backup")
    code, text = _on_terminal(env, "restore", "--yes", "--allow-privileged", uid)
    assert code == 0, text
    assert text.count("temporary password (shown once, change at next sign-in): ") == 1, text


def test_no_at_the_prompt_is_a_cancellation_not_an_error(env: Env) -> None:
    """Answering "n" is the person's choice: said as such (no "error"), exit 1, nothing written."""
    gid = env.find("groups", "Project Aurora")["id"]
    env.graph("PATCH", f"groups/{gid}", {"displayName": "Renamed"})
    code, text = _on_terminal(env, "restore", gid, typed="n\n")
    assert code == 1, text
    assert "Apply this plan? [y/N]" in text and text.rstrip().endswith("cancelled: nothing written"), text
    assert "error" not in text
    assert env.graph("GET", f"groups/{gid}")["displayName"] == "Renamed"


def test_application_and_service_principal_recreated_with_the_new_app_id(env: Env) -> None:
    """application.md: `api://<appId>` is the default application ID URI; the recreated application gets
    it with its own new appId, and its service principal is created for the new appId."""
    app = env.find("applications", "Inventory API")
    assert app["identifierUris"] == [f"api://{app['appId']}"]
    sp = next(s for s in env.graph("GET", "servicePrincipals")["value"] if s["appId"] == app["appId"])
    env.graph("DELETE", f"applications/{app['id']}")  # takes its service principal along
    env.graph("DELETE", f"directory/deletedItems/{app['id']}")
    env.graph("DELETE", f"directory/deletedItems/{sp['id']}")
    env.ok("backup")

    env.restore(app["id"], sp["id"])
    mapped = idmap(env)
    new_app_id = mapped["appIds"][app["appId"]]
    new_sp = env.graph("GET", f"servicePrincipals/{mapped['ids'][sp['id']]}")
    assert new_sp["appId"] == new_app_id != app["appId"]
    new_app = env.graph("GET", f"applications/{mapped['ids'][app['id']]}")
    assert new_app["displayName"] == "Inventory API" and new_app["identifierUris"] == [f"api://{new_app_id}"]
    env.assert_empty(app["id"], sp["id"])


def test_ca_policy_and_named_location_recreated_in_rank_order(env: Env) -> None:
    """Both are deleted for good in v1.0; the location comes first so the policy can name its new id. The
    portal's recycle bin for them is a preview Graph v1.0 cannot reach (policydeletableitem.md, beta only,
    no application permission): each recreate says the original may still be there, so that the admin
    does not end up with two live copies."""
    location = env.find("identity/conditionalAccess/namedLocations", "Corporate HQ")
    policy = env.find("identity/conditionalAccess/policies", "Require MFA outside trusted locations")
    env.graph("DELETE", f"identity/conditionalAccess/policies/{policy['id']}")
    env.graph("DELETE", f"identity/conditionalAccess/namedLocations/{location['id']}")
    env.ok("backup")

    recreates = [a for a in env.plan(policy["id"], location["id"])["actions"] if a["action"] == "recreate"]
    assert [a["type"] for a in recreates] == ["namedLocations", "conditionalAccessPolicies"]
    for a in recreates:
        assert "hard-deleted" in a["reason"] and "portal's deleted items (preview" in a["reason"]
        assert "two live copies" in a["reason"]
    env.restore(policy["id"], location["id"])
    ids = idmap(env)["ids"]
    live = env.graph("GET", f"identity/conditionalAccess/policies/{ids[policy['id']]}")
    assert ids[location["id"]] in live["conditions"]["locations"]["excludeLocations"]
    assert live["displayName"] == policy["displayName"] and live["state"] == policy["state"]
    env.assert_empty(policy["id"], location["id"])


def test_dynamic_and_ownerless_groups_recreated(env: Env) -> None:
    dynamic = env.find("groups", "All Engineering (dynamic)")
    plain = env.graph(
        "POST",
        "groups",
        {"displayName": "No Owner", "mailEnabled": False, "mailNickname": "noowner", "securityEnabled": True},
    )
    env.graph("PATCH", f"groups/{dynamic['id']}", {"visibility": "Private"})  # as POST /groups defaults it
    env.ok("backup")
    for g in (dynamic, plain):  # deleted and purged
        env.graph("DELETE", f"groups/{g['id']}")
        env.graph("DELETE", f"directory/deletedItems/{g['id']}")
    env.ok("backup")
    actions = env.plan(dynamic["id"], plain["id"])["actions"]
    assert [a["action"] for a in actions if a["action"] == "recreate"] == ["recreate", "recreate"]
    # no member links for the dynamic group (its rule decides), no owner links for the ownerless one
    assert {c["path"] for a in actions if a["action"] == "link" for c in a["changes"]} <= {"owners"}
    env.restore(dynamic["id"], plain["id"])
    ids = idmap(env)["ids"]
    live = env.graph("GET", f"groups/{ids[dynamic['id']]}")
    assert live["membershipRule"] == dynamic["membershipRule"]
    assert live["membershipRuleProcessingState"] == dynamic["membershipRuleProcessingState"]
    assert member_ids(env, f"groups/{ids[plain['id']]}/owners") == set()
    env.assert_empty(dynamic["id"], plain["id"])


def test_removing_more_than_ten_links_needs_allow_mass_change(env: Env) -> None:
    gid = env.find("groups", "VPN Users")["id"]
    before = member_ids(env, f"groups/{gid}/members")
    users = [
        u["id"] for u in env.graph("GET", "users", **{"$select": "id"})["value"] if u["id"] not in before
    ]
    for uid in users[:11]:
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{uid}"}
        env.graph("POST", f"groups/{gid}/members/$ref", ref)
    r = env.run("restore", gid, "--yes")
    assert r.exit_code == 2 and "--allow-mass-change" in r.output
    assert len(member_ids(env, f"groups/{gid}/members")) == len(before) + 11  # nothing written
    env.restore(gid, "--allow-mass-change")
    assert member_ids(env, f"groups/{gid}/members") == before
    env.assert_empty(gid)


def test_changing_a_global_administrator_needs_allow_privileged(env: Env) -> None:
    ga = "62e90394-69f5-4237-9190-012177145e10"  # Global Administrator's template id
    assignments = env.graph("GET", "roleManagement/directory/roleAssignments")["value"]
    users = {u["id"] for u in env.graph("GET", "users", **{"$select": "id"})["value"]}
    admin = next(
        a["principalId"] for a in assignments if a["roleDefinitionId"] == ga and a["principalId"] in users
    )
    env.graph("PATCH", f"users/{admin}", {"jobTitle": "changed"})
    r = env.run("restore", admin, "--yes")
    assert r.exit_code == 2 and "--allow-privileged" in r.output
    assert env.graph("GET", f"users/{admin}", **{"$select": "jobTitle"})["jobTitle"] == "changed"
    env.restore(admin, "--allow-privileged")
    env.assert_empty(admin)
    # a deleted admin: its assignments are gone from the latest backup, not from the revision restored to
    env.graph("DELETE", f"users/{admin}")
    env.ok("backup")
    r = env.run("restore", admin, "--yes")
    assert r.exit_code == 2 and "--allow-privileged" in r.output


def test_memberships_an_undelete_brings_back_count_as_done_and_gone_targets_warn(env: Env) -> None:
    """directory-deleteditems-restore.md: a restored user is back in its groups; the group's own link
    action then finds the link there. A member deleted for good since is a warning, not a failure."""
    lee = env.find("users", "Lee Gu")["id"]
    leave_mail_groups(env, lee)
    gid = env.find("groups", "VPN Users")["id"]
    members = member_ids(env, f"groups/{gid}/members")
    assert lee in members
    gone = next(m for m in sorted(members) if m != lee)
    env.graph("DELETE", f"users/{lee}")
    env.graph("DELETE", f"users/{gone}")
    env.graph("DELETE", f"directory/deletedItems/{gone}")
    env.ok("backup")

    out = env.restore("Lee Gu", "VPN Users", "--at", env.baseline).output
    assert "already there" in out and "target no longer exists (warning)" in out and "failed" not in out
    assert member_ids(env, f"groups/{gid}/members") == members - {gone}


def test_manager_and_app_role_assignments_restored(env: Env) -> None:
    """user-post-manager.md (PUT $ref) and serviceprincipal-post-approleassignedto.md / -delete-."""
    users = [u["id"] for u in env.graph("GET", "users", **{"$select": "id,displayName"})["value"]]
    lidia = env.find("users", "Lidia Holloway")["id"]
    sps = env.graph("GET", "servicePrincipals")["value"]
    sp, assignment = next(
        (s, a)
        for s in sps
        for a in env.graph("GET", f"servicePrincipals/{s['id']}/appRoleAssignedTo")["value"]
    )
    manager = env.graph("GET", f"users/{lidia}/manager", **{"$select": "id"})["id"]
    other = next(u for u in users if u not in (lidia, manager))
    env.graph(
        "PUT", f"users/{lidia}/manager/$ref", {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{other}"}
    )
    env.graph("DELETE", f"servicePrincipals/{sp['id']}/appRoleAssignedTo/{assignment['id']}")

    actions = env.plan(lidia, sp["id"])["actions"]
    assert {(a["type"], a["action"]) for a in actions} == {("users", "link"), ("servicePrincipals", "link")}
    manager_change = next(a for a in actions if a["type"] == "users")["changes"]
    assert manager_change == [{"path": "manager", "old": other, "new": manager}]
    env.restore(lidia, sp["id"], "--allow-privileged")
    assert env.graph("GET", f"users/{lidia}/manager", **{"$select": "id"})["id"] == manager
    back = env.graph("GET", f"servicePrincipals/{sp['id']}/appRoleAssignedTo")["value"]
    assert any(
        a["principalId"] == assignment["principalId"] and a["appRoleId"] == assignment["appRoleId"]
        for a in back
    )
    env.assert_empty(lidia, sp["id"])


def test_role_assignment_of_a_recreated_user_points_at_the_new_user(env: Env) -> None:
    """Role assignments are deleted for good and recreated; the principal goes through the id map (users
    come first by catalog rank, assignments last)."""
    lee = env.find("users", "Lee Gu")["id"]
    leave_mail_groups(env, lee)
    helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8"  # Helpdesk Administrator template id
    assignment = env.graph(
        "POST",
        "roleManagement/directory/roleAssignments",
        {"principalId": lee, "roleDefinitionId": helpdesk, "directoryScopeId": "/"},
    )
    env.ok("backup")
    env.graph("DELETE", f"users/{lee}")
    env.graph("DELETE", f"directory/deletedItems/{lee}")
    env.ok("backup")
    # "--": assignment ids are not GUIDs and may start with "-"
    assert env.run("restore", "--yes", "--", lee, assignment["id"]).exit_code == 2  # a privileged role
    env.ok("restore", "--yes", "--allow-privileged", "--", lee, assignment["id"])
    ids = idmap(env)["ids"]
    live = env.graph("GET", f"roleManagement/directory/roleAssignments/{ids[assignment['id']]}")
    assert live["principalId"] == ids[lee] and live["roleDefinitionId"] == helpdesk
    env.assert_empty("--", lee, assignment["id"])


def test_links_of_an_object_that_could_not_be_undeleted_are_not_attempted(env: Env) -> None:
    group = env.find("groups", "Marketing Team")
    gid = group["id"]
    members = sorted(member_ids(env, f"groups/{gid}/members"))
    env.graph("DELETE", f"groups/{gid}/members/{members[0]}/$ref")
    env.ok("backup")
    env.graph("DELETE", f"groups/{gid}")
    twin = {
        "displayName": "Imposter",
        "mailEnabled": True,
        "mailNickname": group["mailNickname"],
        "securityEnabled": False,
        "groupTypes": ["Unified"],
    }
    env.graph(
        "POST", "groups", twin
    )  # takes the alias: the undelete conflicts (directory-deleteditems-restore.md)
    env.ok("backup")

    r = env.run("restore", gid, "--at", "HEAD~2", "--yes")
    assert r.exit_code == 1
    assert "✗ undelete" in r.output and "link" in r.output and "not attempted" in r.output
    assert not [m for m in env.graph("GET", "groups")["value"] if m["id"] == gid]


def test_tenant_policies_rolled_back(env: Env) -> None:
    """authorizationpolicy-update.md (PATCH the singleton; defaultUserRolePermissions sent whole) and
    authenticationmethodspolicy: each method configuration is PATCHed on its own path
    (fido2authenticationmethodconfiguration-update.md)."""
    before = env.graph("GET", "policies/authorizationPolicy")
    env.graph(
        "PATCH",
        "policies/authorizationPolicy",
        {"allowInvitesFrom": "everyone", "defaultUserRolePermissions": {"allowedToCreateApps": True}},
    )
    fido = env.graph("GET", "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2")
    env.graph(
        "PATCH",
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2",
        {"@odata.type": fido["@odata.type"], "state": "disabled"},
    )
    actions = env.plan("policies/authorizationPolicy.yaml", "policies/authenticationMethodsPolicy.yaml")[
        "actions"
    ]
    assert sorted(c["path"] for a in actions for c in a["changes"]) == [
        "allowInvitesFrom",
        "authenticationMethodConfigurations",
        "defaultUserRolePermissions",
    ]
    env.restore("policies/authorizationPolicy.yaml", "policies/authenticationMethodsPolicy.yaml")
    after = env.graph("GET", "policies/authorizationPolicy")
    assert after["allowInvitesFrom"] == before["allowInvitesFrom"]
    assert after["defaultUserRolePermissions"] == before["defaultUserRolePermissions"]
    fido_after = env.graph(
        "GET", "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
    )
    assert fido_after["state"] == fido["state"]
    env.assert_empty("policies/authorizationPolicy.yaml", "policies/authenticationMethodsPolicy.yaml")


def test_sub_objects_brings_back_deleted_members_with_the_group(env: Env) -> None:
    """--sub-objects: a group's members that are deleted themselves are restored with it (a soft-deleted one
    undeleted, a hard-deleted one recreated); without it they are not."""
    gid = env.find("groups", "VPN Users")["id"]
    members = sorted(member_ids(env, f"groups/{gid}/members"))
    users = {u["id"] for u in env.graph("GET", "users", **{"$select": "id"})["value"]}
    soft, hard = [m for m in members if m in users][:2]
    leave_mail_groups(env, hard)
    before = git(env, "rev-parse", "HEAD").strip()
    env.graph("DELETE", f"users/{soft}")
    env.graph("DELETE", f"users/{hard}")
    env.graph("DELETE", f"directory/deletedItems/{hard}")
    env.ok("backup")

    without = env.plan("--at", before, gid)["actions"]
    assert {a["type"] for a in without} == {"groups"}
    with_subs = env.plan("--at", before, "--sub-objects", gid)["actions"]
    values = [
        a for a in with_subs if a["changes"] and all(c["path"].startswith("extension_") for c in a["changes"])
    ]
    assert {(a["type"], a["action"]) for a in values} <= {("users", "update")}  # (written after the rest)
    assert {
        (a["type"], a["action"])
        for a in with_subs
        if a["type"] == "users" and a["action"] != "link" and a not in values
    } == {
        ("users", "undelete"),
        ("users", "recreate"),
    }
    env.restore("--at", before, "--sub-objects", gid)
    new = idmap(env)["ids"][hard]
    assert member_ids(env, f"groups/{gid}/members") == (set(members) - {hard}) | {new}
    env.assert_empty("--at", "HEAD~2", "--sub-objects", gid)


def test_a_whole_tenant_plan_is_recorded_as_the_drift_check_status_shows(env: Env) -> None:
    """The drift job runs `plan --exit-code` of the whole tenant: its result is what `status` and `fleet`
    report, and a plan of a few objects is no drift check (it leaves the record alone)."""
    env.ok("plan", "--exit-code")
    status = json.loads(env.ok("status", "--json").output)
    assert status["drift"]["drifted"] is False and status["drift"]["changes"] == 0
    gid = env.find("groups", "Project Aurora")["id"]
    env.graph("PATCH", f"groups/{gid}", {"description": "drifted"})
    assert env.run("plan", gid, "--exit-code").exit_code == 3
    assert json.loads(env.ok("status", "--json").output)["drift"]["drifted"] is False
    assert env.run("plan", "--exit-code").exit_code == 3
    drift = json.loads(env.ok("status", "--json").output)["drift"]
    assert drift["drifted"] is True and drift["changes"] == 1 and drift["against"] == env.baseline
    assert drift["summary"].startswith("Plan: 1 to update")


def test_role_assignments_are_named_by_role_and_principal_in_backups_and_plans(env: Env) -> None:
    """A role assignment has no name of its own: the backup's commit message and the restore plan name it
    by the role (built-in roles by their template id) and the principal, as `ls` does."""
    megan = env.find("users", "Megan Bowen")["id"]
    [assignment] = [
        a
        for a in env.graph("GET", "roleManagement/directory/roleAssignments")["value"]
        if a["principalId"] == megan and a["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10"
    ]
    path = f"roleManagement/directory/roleAssignments/{assignment['id']}.yaml"
    env.graph("DELETE", f"roleManagement/directory/roleAssignments/{assignment['id']}")
    env.ok("backup")
    message = git(env, "log", "-1", "--format=%B")
    assert f"roleAssignments: deleted Global Administrator → Megan Bowen ({path})" in message, message
    [action] = env.plan(assignment["id"])["actions"]
    assert (action["action"], action["object"]) == ("recreate", "Global Administrator → Megan Bowen")
    assert f"+ recreate {path}  Global Administrator → Megan Bowen" in env.ok("plan", assignment["id"]).output


def test_plan_shows_list_changes_element_by_element_with_names(env: Env) -> None:
    """A policy's excluded users changed: the plan names each id added back or removed, as `compare` does,
    instead of two whole lists cut mid-id."""
    policy = env.find("identity/conditionalAccess/policies", "Require MFA for administrators")
    conditions = json.loads(json.dumps(policy["conditions"]))
    excluded = conditions["users"]["excludeUsers"]
    assert excluded
    gone = env.graph("GET", f"users/{excluded[0]}")
    alex = env.find("users", "Alex Wilber")
    conditions["users"]["excludeUsers"] = [*excluded[1:], alex["id"]]
    env.graph("PATCH", f"identity/conditionalAccess/policies/{policy['id']}", {"conditions": conditions})
    text = env.ok("plan", policy["id"]).output
    assert f"    conditions.users.excludeUsers + {gone['id']} ({gone['displayName']})\n" in text, text
    assert f"    conditions.users.excludeUsers - {alex['id']} (Alex Wilber)\n" in text, text
    assert "…" not in text
