"""Entra agent identities in the base collections: their @odata.type, their own properties, soft delete.

Graph v1.0 (CSDL 2026-08: agentIdentity and agentIdentityBlueprintPrincipal derive from servicePrincipal,
agentIdentityBlueprint from application, agentUser from user) returns them in /servicePrincipals,
/applications and /users, each item telling its kind by `@odata.type` (resources/agentidentity.md:
"Distinguishes this object as an agent identity ... instead of another kind of service principal";
serviceprincipal-list.md). Each resource page lists Deleted items: list, get, restore, permanently delete
(agentidentity.md, agentidentityblueprint.md, agentidentityblueprintprincipal.md, agentuser.md;
agentidentity-delete.md: "moved to a temporary container and can be restored within 30 days").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from entragit.sandbox.seed import demo_seed

from .api_helpers import DOMAIN, Graph, base_seed, guid, uid

BLUEPRINT, PRINCIPAL, IDENTITY, AGENT_USER = guid("c", 1), guid("c", 2), guid("c", 3), guid("c", 4)
BLUEPRINT_APP_ID = guid("d", 1)


def agent_seed() -> dict[str, Any]:
    seed = base_seed()
    seed["applications"] = [
        {
            "@odata.type": "#microsoft.graph.agentIdentityBlueprint",
            "id": BLUEPRINT,
            "appId": BLUEPRINT_APP_ID,
            "displayName": "Helpdesk Agent Blueprint",
        }
    ]
    seed["servicePrincipals"] = [
        {
            "@odata.type": "#microsoft.graph.agentIdentityBlueprintPrincipal",
            "id": PRINCIPAL,
            "appId": BLUEPRINT_APP_ID,
            "displayName": "Helpdesk Agent Blueprint",
        },
        {
            "@odata.type": "#microsoft.graph.agentIdentity",
            "id": IDENTITY,
            "appId": None,
            "displayName": "Helpdesk Agent",
            "agentIdentityBlueprintId": BLUEPRINT_APP_ID,
            "servicePrincipalType": "ServiceIdentity",
        },
    ]
    seed["users"].append(
        {
            "@odata.type": "#microsoft.graph.agentUser",
            "id": AGENT_USER,
            "displayName": "Helpdesk Agent",
            "userPrincipalName": f"helpdesk.agent@{DOMAIN}",
            "mailNickname": "helpdesk.agent",
            "identityParentId": IDENTITY,
        }
    )
    return seed


@pytest.fixture
def ga(graph_factory: Callable[..., Graph]) -> Graph:
    return graph_factory(agent_seed())


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(i["id"]): i for i in items}


def test_agents_are_listed_with_their_type_and_plain_objects_without(ga: Graph) -> None:
    sps = _by_id(ga.all_pages("servicePrincipals"))
    assert sps[IDENTITY]["@odata.type"] == "#microsoft.graph.agentIdentity"
    assert sps[IDENTITY]["agentIdentityBlueprintId"] == BLUEPRINT_APP_ID  # agentidentity-list.md example
    assert sps[PRINCIPAL]["@odata.type"] == "#microsoft.graph.agentIdentityBlueprintPrincipal"
    plain = [sp for oid, sp in sps.items() if oid not in (IDENTITY, PRINCIPAL)]
    assert plain and all("@odata.type" not in sp for sp in plain)
    apps = _by_id(ga.all_pages("applications", {"$select": "id,displayName,appId"}))
    assert apps[BLUEPRINT] == {
        "@odata.type": "#microsoft.graph.agentIdentityBlueprint",
        "id": BLUEPRINT,
        "displayName": "Helpdesk Agent Blueprint",
        "appId": BLUEPRINT_APP_ID,
    }
    users = _by_id(ga.all_pages("users", {"$select": "id,displayName,identityParentId"}))
    assert users[AGENT_USER]["@odata.type"] == "#microsoft.graph.agentUser"
    assert users[AGENT_USER]["identityParentId"] == IDENTITY  # agentuser.md
    assert "@odata.type" not in users[uid(1)] and users[uid(1)]["identityParentId"] is None


def test_one_agent_and_a_user_delta_round_carry_the_type(ga: Graph) -> None:
    r = ga.get(f"servicePrincipals/{IDENTITY}", {"$select": "id,displayName"})
    assert r.status_code == 200 and r.json()["@odata.type"] == "#microsoft.graph.agentIdentity"
    delta = _by_id(ga.all_pages("users/delta", {"$select": "id,displayName"}))
    assert delta[AGENT_USER]["@odata.type"] == "#microsoft.graph.agentUser"
    assert "@odata.type" not in delta[uid(1)]


def test_an_agent_is_patched_as_its_base_type_and_keeps_its_kind(ga: Graph) -> None:
    """agentidentity-update.md: displayName and the other base properties are updated in place."""
    assert ga.patch(f"servicePrincipals/{IDENTITY}", {"displayName": "Helpdesk Agent 2"}).status_code == 204
    r = ga.get(f"servicePrincipals/{IDENTITY}")
    assert r.json()["displayName"] == "Helpdesk Agent 2"
    assert r.json()["@odata.type"] == "#microsoft.graph.agentIdentity"
    # agentuser.md: identityParentId links it to its agent identity for good
    assert ga.patch(f"users/{AGENT_USER}", {"identityParentId": None}).status_code == 400


@pytest.mark.parametrize(
    ("path", "oid", "cast", "kind"),
    [
        ("servicePrincipals", IDENTITY, "servicePrincipal", "agentIdentity"),
        ("servicePrincipals", PRINCIPAL, "servicePrincipal", "agentIdentityBlueprintPrincipal"),
        ("applications", BLUEPRINT, "application", "agentIdentityBlueprint"),
        ("users", AGENT_USER, "user", "agentUser"),
    ],
)
def test_a_deleted_agent_waits_in_deleted_items_and_comes_back_as_itself(
    ga: Graph, path: str, oid: str, cast: str, kind: str
) -> None:
    assert ga.delete(f"{path}/{oid}").status_code == 204
    assert ga.get(f"{path}/{oid}").status_code == 404
    deleted = _by_id(ga.all_pages(f"directory/deletedItems/microsoft.graph.{cast}"))
    assert deleted[oid]["@odata.type"] == f"#microsoft.graph.{kind}"
    r = ga.post(f"directory/deletedItems/{oid}/restore")
    assert r.status_code == 200 and r.json()["@odata.type"] == f"#microsoft.graph.{kind}"
    assert ga.get(f"{path}/{oid}").json()["@odata.type"] == f"#microsoft.graph.{kind}"


def test_the_demo_tenant_has_an_agent_of_each_kind(graph_factory: Callable[..., Graph]) -> None:
    g = graph_factory(demo_seed())
    kinds = {
        item["@odata.type"]
        for path in ("users", "applications", "servicePrincipals")
        for item in g.all_pages(path, {"$select": "id"})
        if "@odata.type" in item
    }
    assert kinds == {
        "#microsoft.graph.agentUser",
        "#microsoft.graph.agentIdentityBlueprint",
        "#microsoft.graph.agentIdentityBlueprintPrincipal",
        "#microsoft.graph.agentIdentity",
    }
