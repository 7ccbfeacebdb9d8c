"""OData conventions real Graph clients rely on: the `graph` namespace alias, `$metadata`, nested `$expand`
options, version-relative `$batch` URLs and the cast-only deletedItems listing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import requests

from .api_helpers import Graph, base_seed, gid, uid, user

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def test_type_casts_accept_the_graph_alias(g: Graph) -> None:
    """Graph's CSDL declares Namespace="microsoft.graph" Alias="graph", and the SDKs' URL templates use the
    alias (`/groups/{id}/members/graph.user`, `/directory/deletedItems/graph.user`): both forms are casts."""
    long_form = g.get(f"groups/{gid(1)}/members/microsoft.graph.user").json()["value"]
    alias = g.get(f"groups/{gid(1)}/members/graph.user")
    assert alias.status_code == 200, alias.text
    assert (
        [u["id"] for u in alias.json()["value"]] == [u["id"] for u in long_form] == [uid(1), uid(2), uid(3)]
    )
    count = g.get(f"groups/{gid(1)}/members/graph.user/$count", headers={"ConsistencyLevel": "eventual"})
    assert count.status_code == 200 and count.text == "3"
    assert g.get(f"users/{uid(1)}/memberOf/graph.group").status_code == 200
    assert g.delete(f"users/{uid(4)}").status_code == 204
    deleted = g.get("directory/deletedItems/graph.user")
    assert deleted.status_code == 200 and uid(4) in [u["id"] for u in deleted.json()["value"]]
    assert g.post(f"directory/deletedItems/{uid(4)}/graph.restore").status_code == 200
    assert g.get("users/graph.delta()").status_code == 200


def test_metadata_is_csdl_of_the_emulated_schema(g: Graph) -> None:
    """Every `@odata.context` points at `$metadata`; Graph serves it as CSDL XML (OData CSDL), without a
    token, with the namespace alias, entity types on graph.directoryObject, navigations, enums and the
    container."""
    anonymous = requests.Session()
    anonymous.trust_env = False
    anonymous.verify = g.box.ca_bundle
    r = anonymous.get(f"{g.base}/$metadata", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    schema = root.find(f".//{EDM}Schema")
    assert schema is not None
    assert (schema.get("Namespace"), schema.get("Alias")) == ("microsoft.graph", "graph")
    types = {t.get("Name"): t for t in schema.findall(f"{EDM}EntityType")}
    assert types["user"].get("BaseType") == "graph.directoryObject"
    assert types["countryNamedLocation"].get("BaseType") == "graph.namedLocation"
    group_navs = {n.get("Name"): n.get("Type") for n in types["group"].findall(f"{EDM}NavigationProperty")}
    assert group_navs["members"] == "Collection(graph.directoryObject)"
    user_props = {p.get("Name"): p.get("Type") for p in types["user"].findall(f"{EDM}Property")}
    assert user_props["accountEnabled"] == "Edm.Boolean"
    assert user_props["createdDateTime"] == "Edm.DateTimeOffset"
    assert user_props["passwordProfile"] == "graph.passwordProfile"
    ca = {p.get("Name"): p.get("Type") for p in types["conditionalAccessPolicy"].findall(f"{EDM}Property")}
    assert ca["state"] == "graph.conditionalAccessPolicyState"
    enums = {e.get("Name") for e in schema.findall(f"{EDM}EnumType")}
    assert "conditionalAccessPolicyState" in enums
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    sets = {s.get("Name") for s in container.findall(f"{EDM}EntitySet")}
    assert {"users", "groups", "applications", "servicePrincipals", "directoryObjects"} <= sets
    singletons = {s.get("Name") for s in container.findall(f"{EDM}Singleton")}
    assert {"identity", "policies", "directory", "roleManagement"} <= singletons
    context = g.get("users").json()["@odata.context"]
    assert context.startswith(f"{g.base}/$metadata#")


def _chain_seed() -> dict[str, Any]:
    seed = base_seed()
    seed["users"][0]["manager"] = uid(2)
    seed["users"][1]["manager"] = uid(3)
    seed["users"][2]["manager"] = uid(10)
    seed["users"].append(user(60, manager=uid(1)))
    return seed


def test_nested_expand_options_return_the_management_chain(graph_factory: Callable[..., Graph]) -> None:
    """user-list-manager.md: `$expand=manager($levels=max;$select=id,displayName)` returns the managers up to
    the root, nested; "The $levels parameter is required" with $select inside; n is max or 1..1000."""
    g = graph_factory(_chain_seed())
    r = g.get(
        f"users/{uid(60)}",
        {
            "$expand": "manager($levels=max;$select=id,displayName)",
            "$select": "id,displayName",
            "$count": "true",
        },
        headers={"ConsistencyLevel": "eventual"},
    )
    assert r.status_code == 200, r.text
    chain, ids = r.json()["manager"], []
    while chain is not None:
        assert set(chain) - {"@odata.type", "manager"} == {"id", "displayName"}
        ids.append(chain["id"])
        chain = chain.get("manager")
    assert ids == [uid(1), uid(2), uid(3), uid(10)]
    two = g.get(f"users/{uid(60)}", {"$expand": "manager($levels=2)"}).json()["manager"]
    assert two["id"] == uid(1) and two["manager"]["id"] == uid(2) and "manager" not in two["manager"]
    assert g.get(f"users/{uid(60)}", {"$expand": "manager($select=id)"}).status_code == 400
    assert g.get(f"users/{uid(60)}", {"$expand": "manager($levels=0)"}).status_code == 400
    members = g.get(f"groups/{gid(1)}", {"$expand": "members($select=id,displayName)"}).json()
    assert {k for m in members["members"] for k in m} == {"@odata.type", "id", "displayName"}
    owners = g.get(f"groups/{gid(1)}", {"$expand": "owners($select=id)"}).json()
    assert [o["id"] for o in owners["owners"]] == [uid(1)]


def test_batch_urls_are_relative_to_the_version(g: Graph) -> None:
    """json-batching.md: each request's url is relative to the version (`/users`); a url that repeats
    `/v1.0/` names a segment 'v1.0' (field report msgraph-sdk-javascript#1178)."""
    r = g.post(
        "$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": "/v1.0/users"},
                {"id": "2", "method": "GET", "url": "/users"},
            ]
        },
    )
    by_id = {item["id"]: item for item in r.json()["responses"]}
    assert by_id["1"]["status"] == 400
    assert by_id["1"]["body"]["error"]["code"] == "BadRequest"
    assert by_id["1"]["body"]["error"]["message"] == "Resource not found for the segment 'v1.0'."
    assert by_id["2"]["status"] == 200


def test_deleted_items_without_a_cast_is_graphs_unsupported_query(g: Graph) -> None:
    """directory-deleteditems-list.md requires the type cast; without it Graph answers
    Request_UnsupportedQuery "Searches against this resource are not supported..."
    (microsoft-graph-docs-contrib#4424)."""
    r = g.get("directory/deletedItems")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "Request_UnsupportedQuery"
    assert (
        error["message"]
        == "Searches against this resource are not supported. Only specific instances can be queried."
    )
