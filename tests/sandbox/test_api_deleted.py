"""Soft delete, directory/deletedItems (cast-only listing, get, restore, purge) and hard delete."""

from __future__ import annotations

from collections.abc import Callable

from .api_helpers import (
    DOMAIN,
    PASSWORD,
    Graph,
    assert_error,
    base_seed,
    gid,
    guid,
    not_found_message,
    uid,
    user,
)


def test_deleted_user_is_listed_only_with_the_type_cast(g: Graph) -> None:
    assert g.delete(f"users/{uid(3)}").status_code == 204
    assert g.get(f"users/{uid(3)}").status_code == 404
    assert_error(g.get("directory/deletedItems"), 400, "Request_UnsupportedQuery")
    r = g.get("directory/deletedItems/microsoft.graph.user")
    body = r.json()
    assert r.status_code == 200 and body["@odata.context"] == f"{g.base}/$metadata#users"
    assert uid(3) in [u["id"] for u in body["value"]]
    r = g.get("directory/deletedItems/microsoft.graph.group")
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#groups" and r.json()["value"] == []
    r = g.get("directory/deletedItems/microsoft.graph.user", {"$select": "id,displayName,deletedDateTime"})
    item = next(u for u in r.json()["value"] if u["id"] == uid(3))
    assert item["deletedDateTime"].endswith("Z")
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#users(id,displayName,deletedDateTime)"


def test_get_deleted_item_and_orderby_needs_advanced_headers(g: Graph) -> None:
    g.delete(f"users/{uid(3)}")
    g.delete(f"users/{uid(4)}")
    r = g.get(f"directory/deletedItems/{uid(3)}")
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#directoryObjects/$entity"
    assert body["@odata.type"] == "#microsoft.graph.user" and body["deletedDateTime"]
    path = "directory/deletedItems/microsoft.graph.user"
    assert g.get(path, {"$orderby": "deletedDateTime desc"}).status_code == 400
    r = g.get(
        path, {"$orderby": "deletedDateTime asc", "$count": "true"}, headers={"ConsistencyLevel": "eventual"}
    )
    assert r.status_code == 200 and r.json()["@odata.count"] >= 2
    assert_error(
        g.get(f"directory/deletedItems/{uid(5)}"), 404, "Request_ResourceNotFound", not_found_message(uid(5))
    )


def test_restore_returns_200_directory_object_and_brings_memberships_back(g: Graph) -> None:
    g.put(f"users/{uid(3)}/manager/$ref", g.ref(uid(1)))
    assert g.delete(f"users/{uid(3)}").status_code == 204
    assert uid(3) not in {m["id"] for m in g.get(f"groups/{gid(1)}/members").json()["value"]}
    r = g.post(f"directory/deletedItems/{uid(3)}/restore")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#directoryObjects/$entity"
    assert body["@odata.type"] == "#microsoft.graph.user" and body["id"] == uid(3)
    assert g.get(f"users/{uid(3)}").status_code == 200
    assert uid(3) in {m["id"] for m in g.get(f"groups/{gid(1)}/members").json()["value"]}
    assert g.get(f"users/{uid(3)}/manager").json()["id"] == uid(1)
    assert g.get(f"directory/deletedItems/{uid(3)}").status_code == 404


def test_restore_with_taken_upn_conflicts_and_new_upn_resolves_it(g: Graph) -> None:
    g.delete(f"users/{uid(3)}")
    new = {
        "accountEnabled": True,
        "displayName": "Usurper",
        "mailNickname": "usurper",
        "userPrincipalName": f"user003@{DOMAIN}",
        "passwordProfile": {"password": PASSWORD},
    }
    assert g.post("users", new).status_code == 201
    err = assert_error(g.post(f"directory/deletedItems/{uid(3)}/restore"), 400, "Request_BadRequest")
    assert err["details"][0] == {"target": "userPrincipalName", "code": "ObjectConflict"}
    r = g.post(f"directory/deletedItems/{uid(3)}/restore", {"newUserPrincipalName": f"user003b@{DOMAIN}"})
    assert r.status_code == 200 and r.json()["userPrincipalName"] == f"user003b@{DOMAIN}"


def test_restore_with_proxy_conflict_needs_auto_reconcile(g: Graph) -> None:
    g.delete(f"users/{uid(3)}")
    # someone else takes the deleted user's mail address
    assert g.patch(f"users/{uid(4)}", {"mail": f"user003@{DOMAIN}"}).status_code == 204
    err = assert_error(g.post(f"directory/deletedItems/{uid(3)}/restore"), 400, "Request_BadRequest")
    assert err["details"][0]["target"] == "proxyAddresses"
    r = g.post(f"directory/deletedItems/{uid(3)}/restore", {"autoReconcileProxyConflict": True})
    assert r.status_code == 200
    proxies = g.get(f"users/{uid(3)}", {"$select": "proxyAddresses"}).json()["proxyAddresses"]
    assert f"SMTP:user003@{DOMAIN}" not in proxies


def test_restore_body_options_are_for_users_only(g: Graph) -> None:
    g.delete(f"groups/{gid(2)}")
    assert (
        g.post(f"directory/deletedItems/{gid(2)}/restore", {"autoReconcileProxyConflict": True}).status_code
        == 400
    )
    r = g.post(f"directory/deletedItems/{gid(2)}/restore")
    assert r.status_code == 200 and r.json()["@odata.type"] == "#microsoft.graph.group"


def test_purge_is_204_and_final(g: Graph) -> None:
    g.delete(f"users/{uid(3)}")
    assert g.delete(f"directory/deletedItems/{uid(3)}").status_code == 204
    assert g.get(f"directory/deletedItems/{uid(3)}").status_code == 404
    assert g.post(f"directory/deletedItems/{uid(3)}/restore").status_code == 404


def test_which_types_are_soft_and_which_hard_deleted(g: Graph) -> None:
    # Microsoft 365 group: soft
    assert g.delete(f"groups/{gid(2)}").status_code == 204
    assert gid(2) in [x["id"] for x in g.get("directory/deletedItems/microsoft.graph.group").json()["value"]]
    # cloud security group: soft since 2026 (test_api_deletion_model.py), its memberships leave with it
    assert g.delete(f"groups/{gid(1)}").status_code == 204
    assert g.get(f"directory/deletedItems/{gid(1)}").status_code == 200
    assert gid(1) not in {x["id"] for x in g.get(f"users/{uid(1)}/memberOf").json()["value"]}
    # application: soft, and its service principal goes with it; restoring the app does not restore the SP
    assert g.delete(f"applications/{guid('c', 1)}").status_code == 204
    assert g.get(f"servicePrincipals/{guid('f', 1)}").status_code == 404
    sps = g.get("directory/deletedItems/microsoft.graph.servicePrincipal").json()["value"]
    assert guid("f", 1) in [x["id"] for x in sps]
    assert g.post(f"directory/deletedItems/{guid('c', 1)}/restore").status_code == 200
    assert g.get(f"servicePrincipals/{guid('f', 1)}").status_code == 404
    assert g.post(f"directory/deletedItems/{guid('f', 1)}/restore").status_code == 200
    # the SP's app role assignments come back with it
    assert len(g.get(f"servicePrincipals/{guid('f', 1)}/appRoleAssignedTo").json()["value"]) == 1
    # administrative unit: soft
    au = g.post("directory/administrativeUnits", {"displayName": "AU"}).json()
    assert g.delete(f"directory/administrativeUnits/{au['id']}").status_code == 204
    listed = g.get("directory/deletedItems/microsoft.graph.administrativeUnit").json()["value"]
    assert [x["id"] for x in listed] == [au["id"]]


def test_deleting_a_principal_removes_its_role_assignments_and_links(g: Graph) -> None:
    body = {
        "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        "principalId": uid(6),
        "directoryScopeId": "/",
    }
    assignment = g.post("roleManagement/directory/roleAssignments", body).json()
    g.put(f"users/{uid(7)}/manager/$ref", g.ref(uid(6)))
    g.delete(f"users/{uid(6)}")
    assert g.get(f"roleManagement/directory/roleAssignments/{assignment['id']}").status_code == 404
    assert g.get(f"users/{uid(7)}/manager").status_code == 404
    g.delete(f"directory/deletedItems/{uid(6)}")
    assert (
        g.get("roleManagement/directory/roleAssignments", {"$filter": f"principalId eq '{uid(6)}'"}).json()[
            "value"
        ]
        == []
    )


def test_deleted_items_expire_after_30_days(g: Graph) -> None:
    g.delete(f"users/{uid(3)}")
    g.tenant.advance(29 * 86400)
    assert g.get(f"directory/deletedItems/{uid(3)}").status_code == 200
    g.tenant.advance(2 * 86400)
    assert g.get(f"directory/deletedItems/{uid(3)}").status_code == 404


def test_seeded_deleted_items_are_restorable(graph_factory: Callable[..., Graph]) -> None:
    seed = base_seed()
    gone = user(500)
    gone.update({"@odata.type": "#microsoft.graph.user", "deletedDateTime": "2026-11-20T10:00:00Z"})
    seed["deletedItems"] = [gone]
    graph = graph_factory(seed)
    assert graph.get(f"directory/deletedItems/{uid(500)}").json()["deletedDateTime"] == "2026-11-20T10:00:00Z"
    assert graph.post(f"directory/deletedItems/{uid(500)}/restore").status_code == 200
    assert graph.get(f"users/{uid(500)}").status_code == 200


def test_seeded_deleted_member_gets_its_memberships_back_on_restore(
    graph_factory: Callable[..., Graph],
) -> None:
    seed = base_seed()
    gone = user(501)
    gone.update({"@odata.type": "#microsoft.graph.user", "deletedDateTime": "2026-11-20T10:00:00Z"})
    seed["deletedItems"] = [gone]
    seed["groups"][0]["members"].append(uid(501))
    graph = graph_factory(seed)
    assert uid(501) not in {m["id"] for m in graph.get(f"groups/{gid(1)}/members").json()["value"]}
    assert graph.post(f"directory/deletedItems/{uid(501)}/restore").status_code == 200
    assert uid(501) in {m["id"] for m in graph.get(f"groups/{gid(1)}/members").json()["value"]}


def test_deleted_items_filter_by_deletion_time_and_name(g: Graph) -> None:
    g.delete(f"users/{uid(3)}")
    g.tenant.advance(3600)
    g.delete(f"users/{uid(4)}")
    path = "directory/deletedItems/microsoft.graph.user"
    stamp = g.get(f"directory/deletedItems/{uid(4)}").json()["deletedDateTime"]
    r = g.get(path, {"$filter": f"deletedDateTime ge {stamp}", "$select": "id"})
    assert r.json()["value"] == [{"id": uid(4)}]
    r = g.get(path, {"$filter": "startsWith(displayName,'User 003')", "$select": "id"})
    assert r.json()["value"] == [{"id": uid(3)}]
