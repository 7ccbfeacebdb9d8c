"""Restore of Entra agent identities: written as their base type, undeleted, never recreated as plain objects.

An agent identity is a service principal, a blueprint an application, an agent user a user (v1.0 CSDL);
updates and undeletes go as for the base type (agentidentity-update.md: the base properties;
directory-deleteditems-restore.md and the Deleted items rows of agentidentity.md ...), but each is created
through its own endpoint from other objects (agentidentity-post.md, agentuser-post.md,
agentidentityblueprint-post.md, agentidentityblueprintprincipal-post.md), so a POST of the base type would
make another kind of object: a hard-deleted one is refused with that reason.
"""

from __future__ import annotations

from typing import Any

from restore_env import Env

KINDS = {
    "#microsoft.graph.agentIdentity": "servicePrincipals",
    "#microsoft.graph.agentIdentityBlueprintPrincipal": "servicePrincipals",
    "#microsoft.graph.agentIdentityBlueprint": "applications",
    "#microsoft.graph.agentUser": "users",
}


def agents(env: Env) -> dict[str, dict[str, Any]]:
    """The demo tenant's agent objects by @odata.type."""
    out = {}
    for path in sorted(set(KINDS.values())):
        for item in env.graph("GET", path, **{"$select": "id,displayName"})["value"]:
            if item.get("@odata.type") in KINDS:
                out[item["@odata.type"]] = item
    assert set(out) == set(KINDS)
    return out


def test_renamed_agents_are_patched_back_and_stay_agents(env: Env) -> None:
    found = agents(env)
    identity, user = found["#microsoft.graph.agentIdentity"], found["#microsoft.graph.agentUser"]
    env.graph("PATCH", f"servicePrincipals/{identity['id']}", {"displayName": "Renamed Agent"})
    env.graph("PATCH", f"users/{user['id']}", {"displayName": "Renamed Agent User"})
    plan = env.plan(identity["id"], user["id"])
    assert sorted((a["type"], a["action"]) for a in plan["actions"]) == [
        ("servicePrincipals", "update"),
        ("users", "update"),
    ]
    env.restore(identity["id"], user["id"])
    back = env.graph("GET", f"servicePrincipals/{identity['id']}")
    assert back["displayName"] == identity["displayName"]
    assert back["@odata.type"] == "#microsoft.graph.agentIdentity"
    assert env.graph("GET", f"users/{user['id']}")["displayName"] == user["displayName"]
    env.assert_empty(identity["id"], user["id"])


def test_soft_deleted_agents_are_undeleted_as_themselves(env: Env) -> None:
    found = agents(env)
    ids = [o["id"] for o in found.values()]
    for kind in KINDS:  # the principal before its blueprint, which would take it along
        env.graph("DELETE", f"{KINDS[kind]}/{found[kind]['id']}")
    env.ok("backup")
    plan = env.plan(*ids)
    assert {a["action"] for a in plan["actions"]} == {"undelete"}
    env.restore(*ids)
    for kind, obj in found.items():
        assert env.graph("GET", f"{KINDS[kind]}/{obj['id']}")["@odata.type"] == kind
    env.assert_empty(*ids)


def test_hard_deleted_agents_are_refused_never_posted_as_plain_objects(env: Env) -> None:
    found = agents(env)
    ids = [o["id"] for o in found.values()]
    for kind in KINDS:
        env.graph("DELETE", f"{KINDS[kind]}/{found[kind]['id']}")
        env.graph("DELETE", f"directory/deletedItems/{found[kind]['id']}")  # permanently
    env.ok("backup")
    plan = env.plan(*ids)
    reasons = {a["path"].split("/")[0]: a["reason"] for a in plan["actions"] if a["action"] == "refuse"}
    assert len([a for a in plan["actions"] if a["action"] == "refuse"]) == 4, plan["actions"]
    assert not [a for a in plan["actions"] if a["action"] == "recreate"]
    assert (
        "an agent identity is created from its blueprint (agentidentity-post.md); recreating it as a plain "
        "service principal would make another kind of object"
    ) in [a["reason"].removeprefix("cannot be recreated: ") for a in plan["actions"]]
    assert "agent user" in reasons["users"] and "agent identity blueprint" in reasons["applications"]
    r = env.run("restore", "--yes", *ids)
    assert "another kind of object" in r.output
    names = {o["displayName"] for o in found.values()}
    for path in ("users", "applications", "servicePrincipals"):
        assert not names & {o["displayName"] for o in env.graph("GET", path)["value"]}, path
