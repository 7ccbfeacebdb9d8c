"""`$expand` on directory collections, with raw HTTP, as Graph documents it (sandbox/expand.py cites the
pages): one relationship per request, at most 20 related objects per object, pages of at most 100 objects,
Graph's errors for what it will not expand, and the +1 resource unit of `$expand` (throttling-limits.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .api_helpers import Graph, assert_error, base_seed, gid, guid, security_group, uid, user


def _big_seed(groups: int = 130, owners_of_first: int = 25) -> dict[str, Any]:
    seed = base_seed(users=30)
    seed["groups"] = [
        security_group(
            i, [uid(1 + i % 30)], owners=[uid(j) for j in range(1, owners_of_first + 1)] if i == 1 else []
        )
        for i in range(1, groups + 1)
    ]
    seed["directory/administrativeUnits"] = [
        {"id": guid("9", 1), "displayName": "Europe", "members": [uid(n) for n in range(1, 23)]}
    ]
    return seed


def test_listing_expands_at_most_20_related_objects_per_object(graph_factory: Callable[..., Graph]) -> None:
    """query-parameters.md and known-issues/query-parameters.md: `$expand` on relationships of directory
    objects returns at most 20 objects and no nextLink for the rest; group.md: owners support nested
    `$select`."""
    g = graph_factory(_big_seed())
    r = g.get("groups", {"$select": "id", "$expand": "owners($select=id)", "$filter": f"id eq '{gid(1)}'"})
    assert r.status_code == 200, r.text
    (only,) = r.json()["value"]
    assert len(only["owners"]) == 20
    assert not any(k.startswith("owners@") for k in only)  # no owners@odata.nextLink
    assert {k for o in only["owners"] for k in o} == {"@odata.type", "id"}
    complete = g.all_pages(f"groups/{gid(1)}/owners", {"$select": "id"})
    assert len(complete) == 25 and {o["id"] for o in only["owners"]} <= {o["id"] for o in complete}
    units = g.get("directory/administrativeUnits", {"$expand": "members"}).json()["value"]
    assert len(units[0]["members"]) == 20  # administrativeunit.md: members support $expand


def test_a_page_that_expands_holds_at_most_100_objects(graph_factory: Callable[..., Graph]) -> None:
    """Max page size with `$expand` is 100 (microsoft-graph-docs PR #21506): a larger `$top` still pages by
    100, and following the nextLinks returns every object once."""
    g = graph_factory(_big_seed(groups=130))
    r = g.get("groups", {"$select": "id", "$expand": "members($select=id)", "$top": "999"})
    assert r.status_code == 200, r.text
    assert len(r.json()["value"]) == 100 and "@odata.nextLink" in r.json()
    listed = g.all_pages("groups", {"$select": "id", "$expand": "members($select=id)", "$top": "999"})
    assert len(listed) == len({x["id"] for x in listed}) == 130
    assert all(
        x["members"] == [{"@odata.type": "#microsoft.graph.user", "id": uid(1 + i % 30)}]
        for i, x in zip(range(1, 131), sorted(listed, key=lambda x: x["id"]), strict=True)
    )
    assert len(g.get("groups", {"$select": "id", "$top": "999"}).json()["value"]) == 130  # no cap without it


def test_only_one_relationship_is_expanded_per_request(g: Graph) -> None:
    """query-parameters.md: "Only one relationship can be expanded in a single request"; Graph's answer to two
    (microsoft-graph-docs issue #96). No more than one level either (known-issues/query-parameters.md)."""
    for path in ("groups", f"groups/{gid(1)}"):
        assert_error(
            g.get(path, {"$expand": "members,owners"}),
            400,
            "BadRequest",
            "The result of parsing $expand contained at least 2 items, but the maximum allowed is 1.",
        )
    assert g.get("groups", {"$expand": "members($expand=memberOf)"}).status_code == 400


def test_unsupported_expansions_get_graphs_errors(g: Graph) -> None:
    """query-parameters.md (Error handling for query parameters): a navigation property the schema does not
    let expand answers 400 ExpandNotSupported; group.md annotates photo, events, threads... `expandable:
    false`."""
    assert_error(
        g.get(f"groups/{gid(1)}", {"$expand": "photo"}),
        400,
        "ExpandNotSupported",
        "Expand is not allowed for property 'Photo' according to the entity schema.",
    )
    assert_error(g.get("groups", {"$expand": "threads"}), 400, "ExpandNotSupported")
    assert_error(g.get("applications", {"$expand": "members"}), 400, "BadRequest")  # no such relationship


def test_service_principals_expand_owners_and_app_role_assignments(g: Graph) -> None:
    """serviceprincipal.md: owners and appRoleAssignedTo "Support $expand"; application.md: owners too. The
    expanded assignments are the objects the appRoleAssignedTo collection lists."""
    sps = g.get("servicePrincipals", {"$select": "id", "$expand": "appRoleAssignedTo"}).json()["value"]
    payroll = next(sp for sp in sps if sp["id"] == guid("f", 1))
    listed = g.get(f"servicePrincipals/{guid('f', 1)}/appRoleAssignedTo").json()["value"]
    assert payroll["appRoleAssignedTo"] == listed
    assert [(a["principalId"], a["appRoleId"]) for a in listed] == [(uid(1), guid("e", 1))]
    apps = g.get("applications", {"$select": "id", "$expand": "owners($select=id)"}).json()["value"]
    assert [o["id"] for o in apps[0]["owners"]] == [uid(1)]


def test_expand_costs_one_more_resource_unit_per_request(g: Graph) -> None:
    """throttling-limits.md (identity and access): "Using $expand increases cost by 1", per request whatever
    the page holds; `$select` takes one off: applications 2 − 1 + 1, groups 1 − 1 + 1 (floor 1)."""
    plain = g.get("applications", {"$select": "id"})
    expanded = g.get("applications", {"$select": "id", "$expand": "owners($select=id)"})
    assert (plain.headers["x-ms-resource-unit"], expanded.headers["x-ms-resource-unit"]) == ("1", "2")
    assert g.get("groups", {"$expand": "members"}).headers["x-ms-resource-unit"] == "2"
    assert g.get("groups", {"$select": "id", "$expand": "members"}).headers["x-ms-resource-unit"] == "1"


def test_users_with_manager_page_by_100(graph_factory: Callable[..., Graph]) -> None:
    """The same page cap on users?$expand=manager (field report techcommunity discussion 3885391: `$top=999`
    with `$expand=manager` returned 100 users)."""
    seed = base_seed(users=1)
    seed["users"] = [user(n) for n in range(1, 151)]
    g = graph_factory(seed)
    page = g.get("users", {"$select": "id", "$expand": "manager", "$top": "999"}).json()
    assert len(page["value"]) == 100 and "@odata.nextLink" in page
