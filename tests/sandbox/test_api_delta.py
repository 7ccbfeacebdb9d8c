"""Delta query: rounds of nextLinks ending in a deltaLink, @removed reasons, link deltas, tokens, 410 Gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api_helpers import DOMAIN, PASSWORD, Graph, assert_error, base_seed, gid, guid, uid, user


def tenant_of(graph_factory: Callable[..., Graph], users: int, group_members: int = 3) -> Graph:
    seed = base_seed(0)
    seed["users"] = [user(i) for i in range(1, users + 1)]
    seed["groups"][0]["members"] = [uid(i) for i in range(1, group_members + 1)]
    seed["groups"] = seed["groups"][:2]
    seed["groups"][1]["members"] = [uid(1)]
    seed["groups"][1]["owners"] = [uid(1)]
    return graph_factory(seed)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in items}


def test_initial_round_pages_by_server_choice_and_ends_in_a_deltalink(
    graph_factory: Callable[..., Graph],
) -> None:
    graph = tenant_of(graph_factory, 450)
    r = graph.get("users/delta", {"$select": "displayName,givenName,surname"})
    body = r.json()
    assert body["@odata.context"] == f"{graph.base}/$metadata#users(displayName,givenName,surname)"
    link = body["@odata.nextLink"]
    assert link.startswith(f"{graph.base}/users/delta?$skiptoken=") and "$select" not in link
    items, delta_link, pages = graph.delta_round("users/delta?$select=displayName,givenName,surname")
    assert pages == 3  # ~200 objects a page
    assert len(items) == len(by_id(items)) == 450
    assert set(items[0]) == {"id", "displayName", "givenName", "surname"}
    assert delta_link.startswith(f"{graph.base}/users/delta?$deltatoken=")
    second = graph.s.get(link).json()
    assert second["@odata.context"] == f"{graph.base}/$metadata#users"  # select shows on the first page only


def test_no_changes_gives_an_empty_page_with_a_new_deltalink(g: Graph) -> None:
    _, link, _ = g.delta_round("users/delta")
    body = g.s.get(link).json()
    assert body["value"] == [] and "@odata.deltaLink" in body and "@odata.nextLink" not in body


def test_incremental_round_reports_changes_and_both_removal_reasons(g: Graph) -> None:
    _, link, _ = g.delta_round("users/delta?$select=displayName,jobTitle")
    assert g.patch(f"users/{uid(1)}", {"jobTitle": "CTO"}).status_code == 204
    assert g.delete(f"users/{uid(2)}").status_code == 204  # soft → changed
    assert g.delete(f"users/{uid(3)}").status_code == 204
    assert g.delete(f"directory/deletedItems/{uid(3)}").status_code == 204  # purged → deleted
    created = g.post(
        "users",
        {
            "accountEnabled": True,
            "displayName": "Newcomer",
            "mailNickname": "newcomer",
            "userPrincipalName": f"newcomer@{DOMAIN}",
            "passwordProfile": {"password": PASSWORD},
        },
    ).json()
    items, link2, pages = g.delta_round(link)
    got = by_id(items)
    assert pages == 1
    assert set(got) == {uid(1), uid(2), uid(3), created["id"]}  # unchanged users are not repeated
    assert got[uid(1)] == {"id": uid(1), "displayName": "User 001", "jobTitle": "CTO"}
    assert got[uid(2)] == {"id": uid(2), "@removed": {"reason": "changed"}}
    assert got[uid(3)] == {"id": uid(3), "@removed": {"reason": "deleted"}}
    assert "@removed" not in got[created["id"]]
    # restored objects come back without annotation
    g.post(f"directory/deletedItems/{uid(2)}/restore")
    items, _, _ = g.delta_round(link2)
    assert by_id(items)[uid(2)]["displayName"] == "User 002" and "@removed" not in by_id(items)[uid(2)]


def test_purged_group_is_removed_deleted_and_soft_deleted_one_changed(g: Graph) -> None:
    """group-delta.md: `changed` for an object still in deleted items, `deleted` for one gone for good (a
    cloud security group is soft-deleted since 2026: purged here)."""
    _, link, _ = g.delta_round("groups/delta?$select=displayName")
    g.delete(f"groups/{gid(1)}")  # cloud security group: soft, then purged
    g.delete(f"directory/deletedItems/{gid(1)}")
    g.delete(f"groups/{gid(2)}")  # M365: soft
    got = by_id(g.delta_round(link)[0])
    assert got[gid(1)]["@removed"] == {"reason": "deleted"}
    assert got[gid(2)]["@removed"] == {"reason": "changed"}


def test_groups_delta_with_members_and_owners(g: Graph) -> None:
    items, link, _ = g.delta_round("groups/delta?$select=displayName,members,owners")
    group = by_id(items)[gid(1)]
    assert {m["id"] for m in group["members@delta"]} == {uid(1), uid(2), uid(3)}
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in group["members@delta"])
    assert [o["id"] for o in group["owners@delta"]] == [uid(1)]
    g.delete(f"groups/{gid(1)}/members/{uid(2)}/$ref")
    g.post(f"groups/{gid(1)}/members/$ref", g.ref(uid(9)))
    g.post(f"groups/{gid(1)}/owners/$ref", g.ref(uid(9)))
    items, link, _ = g.delta_round(link)
    group = by_id(items)[gid(1)]
    members = by_id(group["members@delta"])
    assert members[uid(2)] == {
        "@odata.type": "#microsoft.graph.user",
        "id": uid(2),
        "@removed": {"reason": "deleted"},
    }
    assert members[uid(9)] == {"@odata.type": "#microsoft.graph.user", "id": uid(9)}
    assert [o["id"] for o in group["owners@delta"]] == [uid(9)]
    # deleting a member user shows up as a removed link on the group
    g.delete(f"users/{uid(3)}")
    items, _, _ = g.delta_round(link)
    group = by_id(items)[gid(1)]
    assert by_id(group["members@delta"])[uid(3)]["@removed"] == {"reason": "deleted"}


def test_big_group_members_split_across_pages_and_the_group_repeats(
    graph_factory: Callable[..., Graph],
) -> None:
    graph = tenant_of(graph_factory, 1300, group_members=1300)
    items, _, pages = graph.delta_round("groups/delta?$select=displayName,members")
    slices = [i for i in items if i["id"] == gid(1)]
    assert len(slices) >= 3 and pages >= 3
    assert all(len(s["members@delta"]) <= 500 for s in slices)
    merged = [m["id"] for s in slices for m in s["members@delta"]]
    assert len(merged) == len(set(merged)) == 1300


def test_deltatoken_latest_starts_from_now(g: Graph) -> None:
    r = g.get("users/delta", {"$deltatoken": "latest", "$select": "displayName"})
    body = r.json()
    assert body["value"] == [] and "@odata.deltaLink" in body
    g.patch(f"users/{uid(4)}", {"displayName": "Renamed"})
    items, _, _ = g.delta_round(body["@odata.deltaLink"])
    assert items == [{"id": uid(4), "displayName": "Renamed"}]


def test_unsupported_query_options_are_refused(g: Graph) -> None:
    for params in (
        {"$top": "5"},
        {"$orderby": "displayName"},
        {"$expand": "members"},
        {"$filter": "displayName eq 'x'"},
    ):
        assert_error(g.get("groups/delta", params), 400, "Request_UnsupportedQuery")
    link = g.get("users/delta", {"$select": "displayName"}).json()["@odata.deltaLink"]
    token = parse_qs(urlsplit(link).query)["$deltatoken"][0]
    assert g.get("users/delta", {"$deltatoken": token, "$select": "id"}).status_code == 400
    assert g.get("users/delta", {"$deltatoken": token}).status_code == 200
    assert g.get("groups/delta", {"$deltatoken": token}).status_code == 400  # a users token
    assert g.get("users/delta", {"$skiptoken": "garbage"}).status_code == 400
    assert g.get("identity/conditionalAccess/policies/delta").status_code == 400  # no delta for CA in v1.0


def test_filter_by_ids_up_to_50(g: Graph) -> None:
    flt = f"id eq '{uid(1)}' or id eq '{uid(2)}'"
    items, link, _ = g.delta_round(f"users/delta?$filter={flt}")
    assert sorted(i["id"] for i in items) == [uid(1), uid(2)]
    g.patch(f"users/{uid(1)}", {"jobTitle": "x"})
    g.patch(f"users/{uid(5)}", {"jobTitle": "x"})
    assert [i["id"] for i in g.delta_round(link)[0]] == [uid(1)]
    many = " or ".join(f"id eq '{guid('9', i)}'" for i in range(51))
    assert_error(g.get("users/delta", {"$filter": many}), 400, "Request_UnsupportedQuery")


def test_expired_and_reset_tokens_are_410_gone_with_a_location_to_start_over(g: Graph) -> None:
    _, link, _ = g.delta_round("users/delta?$select=displayName")
    g.tenant.advance(6 * 86400)
    assert g.s.get(link).status_code == 200
    _, link, _ = g.delta_round("users/delta?$select=displayName")
    g.tenant.advance(8 * 86400)
    r = g.s.get(link, allow_redirects=False)
    assert r.status_code == 410 and r.json()["error"]["code"] in ("syncStateNotFound", "resyncRequired")
    location = r.headers["Location"]
    assert location.startswith(f"{g.base}/users/delta") and "displayName" in location
    items, fresh, _ = g.delta_round(location)
    assert len(items) == g.tenant.user_count()
    g.tenant.delta_epoch += 1  # the service reset its sync state
    r = g.s.get(fresh, allow_redirects=False)
    assert r.status_code == 410 and "Location" in r.headers


def test_changes_show_up_only_after_the_replication_lag(g: Graph) -> None:
    _, link, _ = g.delta_round("users/delta?$select=jobTitle")
    g.tenant.delta_lag_seconds = 30
    g.patch(f"users/{uid(1)}", {"jobTitle": "Later"})
    items, link_after, _ = g.delta_round(link)
    assert items == []
    g.tenant.advance(31)
    items, _, _ = g.delta_round(link_after)
    assert items == [{"id": uid(1), "jobTitle": "Later"}]


def test_users_delta_with_manager(g: Graph) -> None:
    g.put(f"users/{uid(2)}/manager/$ref", g.ref(uid(1)))
    items, link, _ = g.delta_round("users/delta?$select=displayName,manager")
    assert by_id(items)[uid(2)]["manager@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": uid(1)}]
    g.put(f"users/{uid(2)}/manager/$ref", g.ref(uid(3)))
    items, link, _ = g.delta_round(link)
    assert by_id(items)[uid(2)]["manager@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": uid(3)}]
    g.delete(f"users/{uid(2)}/manager/$ref")
    items, _, _ = g.delta_round(link)
    removed = by_id(items)[uid(2)]["manager@delta"]
    assert removed[0]["id"] == uid(3) and removed[0]["@removed"] == {"reason": "deleted"}


def test_applications_service_principals_and_administrative_units_have_delta(g: Graph) -> None:
    au = g.post("directory/administrativeUnits", {"displayName": "AU"}).json()
    g.post(f"directory/administrativeUnits/{au['id']}/members/$ref", g.ref(uid(1)))
    g.post(f"directory/administrativeUnits/{au['id']}/members/$ref", g.ref(gid(1)))
    items, au_link, _ = g.delta_round("directory/administrativeUnits/delta?$select=displayName,members")
    kinds = {m["id"]: m["@odata.type"] for m in by_id(items)[au["id"]]["members@delta"]}
    assert kinds == {uid(1): "#microsoft.graph.user", gid(1): "#microsoft.graph.group"}
    apps, app_link, _ = g.delta_round("applications/delta?$select=displayName,appId")
    assert by_id(apps)[guid("c", 1)]["appId"] == guid("d", 1)
    sps, sp_link, _ = g.delta_round("servicePrincipals/delta?$select=displayName")
    assert guid("f", 1) in by_id(sps)
    g.patch(f"applications/{guid('c', 1)}", {"displayName": "Payroll 2"})
    g.delete(f"directory/administrativeUnits/{au['id']}/members/{uid(1)}/$ref")
    assert by_id(g.delta_round(app_link)[0])[guid("c", 1)]["displayName"] == "Payroll 2"
    removed = by_id(g.delta_round(au_link)[0])[au["id"]]["members@delta"]
    assert removed == [
        {"@odata.type": "#microsoft.graph.user", "id": uid(1), "@removed": {"reason": "deleted"}}
    ]
    assert g.delta_round(sp_link)[0] == []


def test_prefer_return_minimal_sends_only_changed_properties(g: Graph) -> None:
    _, link, _ = g.delta_round("users/delta?$select=displayName,jobTitle,department")
    g.patch(f"users/{uid(1)}", {"jobTitle": None})
    g.patch(f"users/{uid(2)}", {"department": "Sales"})
    items, _, _ = g.delta_round(link, headers={"Prefer": "return=minimal"})
    got = by_id(items)
    assert got[uid(1)] == {"id": uid(1), "jobTitle": None}
    assert got[uid(2)] == {"id": uid(2), "department": "Sales"}
