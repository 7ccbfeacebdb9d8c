"""Fidelity audit: behaviours checked against Microsoft's Graph documentation (each test names its source,
a path in microsoftgraph/microsoft-graph-docs-contrib) where the sandbox first differed from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .api_helpers import Graph, assert_error, base_seed, gid, guid, uid


def _round(g: Graph, link: str) -> tuple[dict[str, dict[str, Any]], str]:
    items, delta_link, _ = g.delta_round(link)
    merged: dict[str, dict[str, Any]] = {}
    for item in items:
        seen = merged.setdefault(item["id"], {})
        for key, value in item.items():
            if key.endswith("@delta"):
                seen[key] = seen.get(key, []) + value
            else:
                seen[key] = value
    return merged, delta_link


# -------------------------------------------------------------------------------------------------- delta


def test_groups_delta_without_select_tracks_members(g: Graph) -> None:
    # api-reference/v1.0/api/group-delta.md (Request/Response 1: no $select, members@delta present);
    # concepts/delta-query-groups.md: "members@delta is included in group objects by default, when the
    # $select query parameter has not been specified".
    got, link = _round(g, "groups/delta")
    members = got[gid(1)]["members@delta"]
    assert {m["id"] for m in members} == {uid(1), uid(2), uid(3)}
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in members)
    assert "owners@delta" not in got[gid(1)]
    assert "displayName" in got[gid(1)]  # the default property set, not just the id
    # ...and the tracked membership changes come back in the next round.
    assert g.delete(f"groups/{gid(1)}/members/{uid(2)}/$ref").status_code == 204
    got, _ = _round(g, link)
    assert got[gid(1)]["members@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": uid(2), "@removed": {"reason": "deleted"}}
    ]


def test_au_delta_without_select_tracks_members(graph_factory: Callable[..., Graph]) -> None:
    # api-reference/v1.0/api/administrativeunit-delta.md: GET /administrativeunits/delta (no $select)
    # answers members@delta with users and groups.
    seed = base_seed()
    seed["directory/administrativeUnits"] = [
        {"id": guid("9", 1), "displayName": "Seattle", "members": [uid(1), gid(1)]}
    ]
    g = graph_factory(seed)
    got, _ = _round(g, "directory/administrativeUnits/delta")
    assert {(m["@odata.type"], m["id"]) for m in got[guid("9", 1)]["members@delta"]} == {
        ("#microsoft.graph.user", uid(1)),
        ("#microsoft.graph.group", gid(1)),
    }


def test_delta_selecting_only_members_returns_ids_and_links(g: Graph) -> None:
    # api-reference/v1.0/api/group-delta.md: "$select=members to get membership changes ... The id property is
    # always returned" — nothing else was selected, so nothing else comes back; the token keeps the query.
    got, link = _round(g, "groups/delta?$select=members")
    assert set(got[gid(1)]) == {"id", "members@delta"}
    assert g.patch(f"groups/{gid(1)}", {"description": "changed"}).status_code == 204
    got, _ = _round(g, link)
    assert set(got[gid(1)]) == {"id"}


def test_reset_location_is_the_initial_query_with_an_empty_deltatoken(g: Graph) -> None:
    # concepts/delta-query-overview.md (Synchronization reset): "410 (gone) and a Location header containing a
    # request URL with an empty $deltaToken (same as the initial query)".
    _, link, _ = g.delta_round("groups/delta?$select=displayName,members")
    g.tenant.delta_epoch += 1
    r = g.s.get(link, allow_redirects=False)
    assert r.status_code == 410
    assert r.headers["Location"] == f"{g.base}/groups/delta?$select=displayName,members&$deltatoken="
    got, _ = _round(g, r.headers["Location"])
    assert set(got[gid(1)]) == {"id", "displayName", "members@delta"}


# ---------------------------------------------------------------------------------------------- links


def test_the_last_user_owner_of_a_group_cannot_be_removed(g: Graph) -> None:
    # api-reference/v1.0/api/group-delete-owners.md: "Once owners are assigned to a group, the last owner
    # (a user object) of the group cannot be removed." Wording as reported in microsoft-graph-docs#12054.
    r = g.delete(f"groups/{gid(1)}/owners/{uid(1)}/$ref")
    message = "The group must have at least one owner, hence this owner cannot be removed."
    assert_error(r, 400, "Request_BadRequest", message)
    assert g.post(f"groups/{gid(1)}/owners/$ref", g.ref(uid(2))).status_code == 204
    assert g.delete(f"groups/{gid(1)}/owners/{uid(1)}/$ref").status_code == 204
    owners = g.get(f"groups/{gid(1)}/owners").json()["value"]
    assert [o["id"] for o in owners] == [uid(2)]
    # A service principal owner does not count as the remaining user owner (msgraph-metadata#653).
    assert g.post(f"groups/{gid(1)}/owners/$ref", g.ref(guid("f", 1))).status_code == 204
    assert g.delete(f"groups/{gid(1)}/owners/{uid(2)}/$ref").status_code == 400
    assert g.delete(f"groups/{gid(1)}/owners/{guid('f', 1)}/$ref").status_code == 204


# ------------------------------------------------------------------------------------------- paging


def test_skip_is_refused_on_directory_collections(g: Graph) -> None:
    # api-reference/v1.0/api/user-list.md and group-list.md: $skip isn't supported (page with $skiptoken);
    # the service's error as reported in microsoftgraph/msgraph-metadata#135.
    paths = ("users", "groups", f"groups/{gid(1)}/members", "directory/deletedItems/microsoft.graph.user")
    for path in paths:
        r = g.get(path, {"$skip": "1"})
        assert_error(r, 400, "Request_BadRequest", "'$skip' is not supported by the service.")
    # security/secureScores documents $skip (api/security-list-securescores.md).
    assert g.get("security/secureScores", {"$skip": "1"}).status_code == 200


def test_replays_send_recent_changes_again_when_switched_on(g: Graph) -> None:
    # concepts/delta-query-overview.md (Replays): "the same change appears in subsequent responses ... your
    # application must be prepared for replays". Off by default; `delta_replay_seconds` switches it on.
    g.tenant.delta_replay_seconds = 60
    _, link = _round(g, "users/delta?$select=jobTitle")
    assert g.patch(f"users/{uid(1)}", {"jobTitle": "CTO"}).status_code == 204
    first, link = _round(g, link)
    again, link = _round(g, link)
    assert first[uid(1)] == again[uid(1)] == {"id": uid(1), "jobTitle": "CTO"}
    g.tenant.advance(61)
    _, link = _round(g, link)  # this round starts where the last one left it: one more replay
    settled, _ = _round(g, link)
    assert settled == {}


def test_member_references_page_instead_of_stopping_at_100(graph_factory: Callable[..., Graph]) -> None:
    # concepts/paging.md: a collection that does not fit one page carries an @odata.nextLink; a $ref
    # collection (GET /groups/{id}/members/$ref) is no exception — nothing may be silently cut off.
    seed = base_seed(0)
    seed["users"] = [dict(u) for u in base_seed(150)["users"]]
    seed["groups"][0]["members"] = [u["id"] for u in seed["users"]]
    g = graph_factory(seed)
    refs = g.all_pages(f"groups/{gid(1)}/members/$ref")
    assert len(refs) == len(seed["users"]) == 151
    assert refs[0] == {"@odata.id": f"{g.base}/directoryObjects/{seed['users'][0]['id']}"}
    page = g.get(f"groups/{gid(1)}/members/$ref", {"$top": "999"}).json()
    assert len(page["value"]) == 151 and "@odata.nextLink" not in page


def test_member_of_can_be_cast_and_counted(g: Graph) -> None:
    # OData casts on memberOf, counted with ConsistencyLevel: eventual: serviceprincipal-list-memberof.md
    # (example "get_count_group_only": GET /servicePrincipals/{id}/memberOf/microsoft.graph.group/$count).
    groups = g.all_pages(f"users/{uid(1)}/memberOf/microsoft.graph.group")
    assert {x["id"] for x in groups} == {gid(1), gid(2)}
    page = g.get(f"users/{uid(1)}/memberOf/microsoft.graph.group").json()
    assert page["@odata.context"].endswith("#groups")
    r = g.get(f"users/{uid(1)}/memberOf/$count", headers={"ConsistencyLevel": "eventual"})
    assert r.status_code == 200 and r.text == "2"
    assert g.post(f"users/{uid(1)}/memberOf", {}).status_code == 405
    assert g.get(f"groups/{gid(1)}/transitiveMembers/microsoft.graph.user").status_code == 200


def test_properties_outside_the_directory_are_501_in_collections(g: Graph) -> None:
    # concepts/delta-query-overview.md (Properties stored outside of the main data store): GET
    # /users?$select=skills → 501 NotImplemented "This operation target is not yet supported."
    r = g.get("users", {"$select": "skills"})
    assert_error(r, 501, "NotImplemented", "This operation target is not yet supported.")


def test_manager_is_set_with_put_only(g: Graph) -> None:
    # api-reference/v1.0/api/user-post-manager.md: PUT /users/{id}/manager/$ref (a single-valued reference).
    r = g.post(f"users/{uid(3)}/manager/$ref", g.ref(uid(1)))
    assert_error(r, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
    assert g.put(f"users/{uid(3)}/manager/$ref", g.ref(uid(1))).status_code == 204
    assert g.get(f"users/{uid(3)}/manager").json()["id"] == uid(1)


def test_exchange_backed_group_properties_only_on_a_single_group(g: Graph) -> None:
    # resources/group.md (allowExternalSenders, autoSubscribeNewMembers, hideFromAddressLists, ...):
    # "Returned only on $select. Supported only on the Get group API (GET /groups/{ID})." Lists and delta
    # refuse them like users' single-object properties (concepts/delta-query-overview.md: 501).
    assert g.get(f"groups/{gid(2)}", {"$select": "hideFromAddressLists"}).status_code == 200
    for path in ("groups", "groups/delta"):
        r = g.get(path, {"$select": "displayName,hideFromAddressLists"})
        assert_error(r, 501, "NotImplemented", "This operation target is not yet supported.")
    assert_error(g.get("users/delta", {"$select": "skills"}), 501, "NotImplemented")


def test_ref_errors_as_reported(g: Graph) -> None:
    # microsoft-graph-docs#8637 (group-post-members.md): already a member → 400 with the 'members' message;
    # unknown member → 404 Request_ResourceNotFound. semantic-link-labs#1082: an empty body → 400.
    r = g.post(f"groups/{gid(1)}/members/$ref", g.ref(uid(1)))
    message = (
        "One or more added object references already exist for the following modified properties: 'members'."
    )
    assert_error(r, 400, "Request_BadRequest", message)
    assert_error(g.post(f"groups/{gid(1)}/members/$ref", g.ref(uid(77))), 404, "Request_ResourceNotFound")
    r = g.s.post(g.url(f"groups/{gid(1)}/members/$ref"), timeout=30)
    assert_error(r, 400, "Request_BadRequest")
    assert "EndOfInput" in r.json()["error"]["message"]
