"""Restoring custom security attributes end to end: definitions (never deleted, a deactivated one stays so),
their allowed values, and the values on users, also on a user recreated under a new id (the id map)."""

from __future__ import annotations

from typing import Any

from restore_env import Env, git, idmap, leave_mail_groups

from entragit import config

DEFINITION = "directory/customSecurityAttributeDefinitions/Security_Clearance"
PROJECTS = "directory/customSecurityAttributeDefinitions/Security_Projects"
WRITE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"


def opt_in(env: Env) -> None:
    """entragit.yaml says `custom_security_attributes: true`; a backup keeps the values from then on."""
    cfg = config.load(env.root)
    cfg.custom_security_attributes = True
    config.save(env.root, cfg)
    git(env, "commit", "-qam", "opt in to custom security attribute values")
    env.ok("backup")
    env.baseline = git(env, "rev-parse", "HEAD").strip()


def values(env: Env, oid: str) -> Any:
    return env.graph("GET", f"users/{oid}", **{"$select": "customSecurityAttributes"})[
        "customSecurityAttributes"
    ]


def valued_user(env: Env) -> dict[str, Any]:
    with env.box.tenant.lock:
        users = env.box.tenant.coll("users").objs.values()
        held = ((u, (u.get("customSecurityAttributes") or {}).get("Security") or {}) for u in users)
        return dict(next(u for u, values in held if values.get("Clearance") == "Secret"))


def test_a_deactivated_definition_stays_deactivated_and_allowed_values_come_back(env: Env) -> None:
    """customsecurityattributedefinition-update.md (status, description), allowedvalue-update.md (isActive):
    the restore writes what Graph allows and never deletes."""
    env.graph("PATCH", PROJECTS, {"status": "Deprecated"})
    env.ok("backup")
    deactivated = git(env, "rev-parse", "HEAD").strip()
    env.graph("PATCH", PROJECTS, {"status": "Available", "description": "changed"})
    env.graph("PATCH", f"{DEFINITION}/allowedValues/Public", {"isActive": False})
    env.ok("backup")

    out = env.ok("restore", "--yes", "--at", deactivated, "Security_Projects", "Security_Clearance").output
    assert "Plan: 2 to update" in out, out
    projects = env.graph("GET", PROJECTS)
    assert projects["status"] == "Deprecated" and projects["description"] == "Projects the principal works on"
    assert env.graph("GET", f"{DEFINITION}/allowedValues/Public")["isActive"] is True
    env.assert_empty("--at", deactivated, "Security_Projects", "Security_Clearance")
    unchanged = env.run("restore", "--yes", "--at", deactivated, "directory/attributeSets/Security.yaml")
    assert unchanged.exit_code == 0 and "No changes" in unchanged.output, unchanged.output
    env.graph("PATCH", f"{DEFINITION}/allowedValues/Public", {"isActive": False})
    env.ok("backup")
    assert env.run("plan", "--exit-code", "--at", deactivated, "Security_Clearance").exit_code == 3


def test_a_changed_value_is_restored_and_the_plan_is_empty(env: Env) -> None:
    opt_in(env)
    user = valued_user(env)
    body = {"Security": {"@odata.type": WRITE, "Clearance": "Public", "Projects": []}}
    env.graph("PATCH", f"users/{user['id']}", {"customSecurityAttributes": body})
    env.ok("backup")
    plan = env.plan("--at", env.baseline, user["id"])
    assert [c["path"] for a in plan["actions"] for c in a.get("changes", [])] == ["customSecurityAttributes"]
    env.restore("--allow-privileged", "--at", env.baseline, user["id"])  # (Megan Bowen holds a role)
    got = values(env, user["id"])["Security"]
    assert got["Clearance"] == "Secret" and sorted(got["Projects"]) == ["Falcon", "Harbor"]
    env.assert_empty("--at", env.baseline, user["id"])


def test_values_come_back_on_a_recreated_user(env: Env) -> None:
    """A hard-deleted user is recreated under a new id (user-post-users.md takes no values: they follow in
    a PATCH, concepts/custom-security-attributes-examples.md) and the id map names it."""
    opt_in(env)
    user = valued_user(env)
    leave_mail_groups(env, user["id"])
    env.ok("backup")
    before = git(env, "rev-parse", "HEAD").strip()
    env.graph("DELETE", f"users/{user['id']}")
    env.graph("DELETE", f"directory/deletedItems/{user['id']}")
    env.ok("backup")
    out = env.ok("restore", "--yes", "--allow-privileged", "--at", before, user["id"]).output
    assert "customSecurityAttributes set" in out, out
    new = idmap(env)["ids"][user["id"]]
    assert new != user["id"]
    got = values(env, new)["Security"]
    assert got["Clearance"] == "Secret" and sorted(got["Projects"]) == ["Falcon", "Harbor"]


def test_an_allowed_value_added_since_is_deactivated_and_then_no_difference(env: Env) -> None:
    """allowedvalue.md: an allowed value "can't be renamed or deleted, but can be deactivated". One added
    since the revision is deactivated by the restore; inactive, and not in the file, it is no difference, so
    the plan right after the restore is empty (also the whole tenant's)."""
    before = git(env, "rev-parse", "HEAD").strip()
    env.graph("POST", f"{DEFINITION}/allowedValues", {"id": "TopSecret", "isActive": True})
    env.ok("backup")
    plan = env.plan("--at", before, "Security_Clearance")
    assert [c["path"] for a in plan["actions"] for c in a.get("changes", [])] == ["allowedValues"]
    env.restore("--at", before, "Security_Clearance")
    assert env.graph("GET", f"{DEFINITION}/allowedValues/TopSecret")["isActive"] is False
    env.assert_empty("--at", before, "Security_Clearance")
    env.assert_empty("--at", before, "--type", "customSecurityAttributeDefinitions")
    env.graph("PATCH", f"{DEFINITION}/allowedValues/TopSecret", {"isActive": True})
    assert env.run("plan", "--exit-code", "--at", before, "Security_Clearance").exit_code == 3
