"""Relationships: members, owners, manager, administrative unit members and appRoleAssignedTo."""

from __future__ import annotations

import string
from collections.abc import Callable

from .api_helpers import Graph, assert_error, base_seed, gid, guid, not_found_message, uid, user

ALREADY = "One or more added object references already exist for the following modified properties: '{}'."


def test_members_list_items_carry_odata_type_and_default_properties(g: Graph) -> None:
    r = g.get(f"groups/{gid(1)}/members")
    body = r.json()
    assert body["@odata.context"] == f"{g.base}/$metadata#directoryObjects"
    assert sorted(m["id"] for m in body["value"]) == [uid(1), uid(2), uid(3)]
    first = body["value"][0]
    assert first["@odata.type"] == "#microsoft.graph.user" and "userPrincipalName" in first
    r = g.get(f"groups/{gid(1)}/members", {"$select": "id"})
    assert all(set(m) == {"@odata.type", "id"} for m in r.json()["value"])


def test_member_pages_follow_nextlinks(graph_factory: Callable[..., Graph]) -> None:
    seed = base_seed(0)
    seed["users"] = [user(i) for i in range(1, 251)]
    seed["groups"][0]["members"] = [uid(i) for i in range(1, 251)]
    seed["groups"][1]["members"] = []
    seed["groups"] = seed["groups"][:2]
    graph = graph_factory(seed)
    first = graph.get(f"groups/{gid(1)}/members").json()
    assert len(first["value"]) == 100 and "@odata.nextLink" in first
    members = graph.all_pages(f"groups/{gid(1)}/members", {"$top": "120", "$select": "id"})
    assert sorted(m["id"] for m in members) == sorted(uid(i) for i in range(1, 251))


def test_add_member_ref_204_then_duplicate_400_then_remove_204_then_404(g: Graph) -> None:
    path = f"groups/{gid(1)}/members"
    r = g.post(f"{path}/$ref", g.ref(uid(9)))
    assert r.status_code == 204 and r.content == b""
    assert uid(9) in {m["id"] for m in g.get(path).json()["value"]}
    assert_error(g.post(f"{path}/$ref", g.ref(uid(9))), 400, "Request_BadRequest", ALREADY.format("members"))
    assert g.delete(f"{path}/{uid(9)}/$ref").status_code == 204
    assert uid(9) not in {m["id"] for m in g.get(path).json()["value"]}
    assert_error(
        g.delete(f"{path}/{uid(9)}/$ref"), 404, "Request_ResourceNotFound", not_found_message(uid(9))
    )


def test_ref_to_a_missing_object_or_on_a_missing_group_is_404(g: Graph) -> None:
    missing = guid("9", 4)
    r = g.post(f"groups/{gid(1)}/members/$ref", g.ref(missing))
    assert_error(r, 404, "Request_ResourceNotFound", not_found_message(missing))
    r = g.post(f"groups/{missing}/members/$ref", g.ref(uid(1)))
    assert_error(r, 404, "Request_ResourceNotFound", not_found_message(missing))
    assert g.post(f"groups/{gid(1)}/members/$ref", {"id": uid(1)}).status_code == 400


def test_groups_can_nest_and_owners_refuse_groups(g: Graph) -> None:
    assert g.post(f"groups/{gid(1)}/members/$ref", g.ref(gid(2))).status_code == 204
    kinds = {m["id"]: m["@odata.type"] for m in g.get(f"groups/{gid(1)}/members").json()["value"]}
    assert kinds[gid(2)] == "#microsoft.graph.group"
    assert g.post(f"groups/{gid(1)}/owners/$ref", g.ref(gid(2))).status_code == 400


def test_owners_of_groups_applications_and_service_principals(g: Graph) -> None:
    assert_error(
        g.post(f"groups/{gid(1)}/owners/$ref", g.ref(uid(1))),
        400,
        "Request_BadRequest",
        ALREADY.format("owners"),
    )
    for path in (
        f"groups/{gid(1)}/owners",
        f"applications/{guid('c', 1)}/owners",
        f"servicePrincipals/{guid('f', 1)}/owners",
    ):
        assert g.post(f"{path}/$ref", g.ref(uid(5))).status_code == 204, path
        assert uid(5) in {o["id"] for o in g.get(path).json()["value"]}
        assert g.delete(f"{path}/{uid(5)}/$ref").status_code == 204
        assert g.delete(f"{path}/{uid(5)}/$ref").status_code == 404
    owners = g.get(f"applications/{guid('c', 1)}/owners").json()["value"]
    assert [o["id"] for o in owners] == [uid(1)]


def test_dynamic_groups_refuse_member_writes_but_list_members(g: Graph) -> None:
    assert_error(g.post(f"groups/{gid(5)}/members/$ref", g.ref(uid(1))), 400, "Request_BadRequest")
    assert_error(g.delete(f"groups/{gid(5)}/members/{uid(7)}/$ref"), 400, "Request_BadRequest")
    assert [m["id"] for m in g.get(f"groups/{gid(5)}/members").json()["value"]] == [uid(7)]
    # owners of a dynamic group are still writable
    assert g.post(f"groups/{gid(5)}/owners/$ref", g.ref(uid(2))).status_code == 204


def test_administrative_unit_members(g: Graph) -> None:
    au = g.post("directory/administrativeUnits", {"displayName": "Seattle"}).json()
    path = f"directory/administrativeUnits/{au['id']}/members"
    assert g.post(f"{path}/$ref", g.ref(uid(1))).status_code == 204
    assert g.post(f"{path}/$ref", g.ref(gid(1))).status_code == 204
    assert g.post(f"{path}/$ref", g.ref(uid(1))).status_code == 400
    assert (
        g.post(f"{path}/$ref", g.ref(guid("f", 1))).status_code == 400
    )  # service principals can't be AU members
    kinds = {m["id"]: m["@odata.type"] for m in g.get(path).json()["value"]}
    assert kinds == {uid(1): "#microsoft.graph.user", gid(1): "#microsoft.graph.group"}
    assert g.delete(f"{path}/{uid(1)}/$ref").status_code == 204
    dynamic = g.post(
        "directory/administrativeUnits",
        {
            "displayName": "Dyn",
            "membershipType": "Dynamic",
            "membershipRule": 'user.city -eq "Oslo"',
            "membershipRuleProcessingState": "On",
        },
    ).json()
    assert (
        g.post(f"directory/administrativeUnits/{dynamic['id']}/members/$ref", g.ref(uid(2))).status_code
        == 400
    )


def test_manager_put_get_delete(g: Graph) -> None:
    path = f"users/{uid(2)}/manager"
    assert_error(g.get(path), 404, "Request_ResourceNotFound", not_found_message("manager"))
    r = g.put(f"{path}/$ref", {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{uid(1)}"})
    assert r.status_code == 204
    body = g.get(path).json()
    assert body["@odata.context"] == f"{g.base}/$metadata#directoryObjects/$entity"
    assert body["@odata.type"] == "#microsoft.graph.user" and body["id"] == uid(1)
    # replacing is a PUT too
    assert g.put(f"{path}/$ref", g.ref(uid(3))).status_code == 204
    assert g.get(path).json()["id"] == uid(3)
    reports = g.get(f"users/{uid(3)}/directReports").json()["value"]
    assert [u["id"] for u in reports] == [uid(2)]
    assert g.put(f"{path}/$ref", g.ref(guid("9", 5))).status_code == 404
    assert g.put(f"{path}/$ref", g.ref(gid(1))).status_code == 400  # a group is not a manager
    assert g.delete(f"{path}/$ref").status_code == 204
    assert g.get(path).status_code == 404
    assert g.delete(f"{path}/$ref").status_code == 404


def test_member_of(g: Graph) -> None:
    groups = g.get(f"users/{uid(1)}/memberOf").json()["value"]
    assert {x["id"] for x in groups} == {gid(1), gid(2)}
    assert all(x["@odata.type"] == "#microsoft.graph.group" for x in groups)


def test_app_role_assigned_to_read_create_duplicate_delete(g: Graph) -> None:
    sp = guid("f", 1)
    path = f"servicePrincipals/{sp}/appRoleAssignedTo"
    listing = g.get(path).json()
    assert listing["@odata.context"] == f"{g.base}/$metadata#servicePrincipals('{sp}')/appRoleAssignedTo"
    assert [a["principalId"] for a in listing["value"]] == [uid(1)]
    body = {"principalId": gid(1), "resourceId": sp, "appRoleId": guid("e", 1)}
    r = g.post(path, body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert (
        created["@odata.context"] == f"{g.base}/$metadata#servicePrincipals('{sp}')/appRoleAssignedTo/$entity"
    )
    assert created["principalType"] == "Group" and created["principalDisplayName"] == "Security 001"
    # An app role assignment id is 43 base64url characters, not a GUID (it may hold "-" anywhere, like "_").
    assert created["resourceDisplayName"] == "Payroll"
    assert len(created["id"]) == 43 and set(created["id"]) <= set(string.ascii_letters + string.digits + "-_")
    assert_error(g.post(path, body), 400, "Request_BadRequest")
    assert g.post(path, dict(body, appRoleId=guid("9", 6))).status_code == 400
    assert g.post(path, dict(body, principalId=guid("9", 7))).status_code == 404
    on_principal = g.get(f"groups/{gid(1)}/appRoleAssignments").json()["value"]
    assert [a["id"] for a in on_principal] == [created["id"]]
    assert g.delete(f"{path}/{created['id']}").status_code == 204
    assert g.delete(f"{path}/{created['id']}").status_code == 404
    assert len(g.get(path).json()["value"]) == 1


def test_app_role_assignments_page(graph_factory: Callable[..., Graph]) -> None:
    seed = base_seed(0)
    seed["users"] = [user(i) for i in range(1, 131)]
    seed["servicePrincipals"][0]["appRoleAssignedTo"] = [
        {"principalId": uid(i), "appRoleId": guid("e", 1)} for i in range(1, 131)
    ]
    for grp in seed["groups"]:
        grp["members"] = []
        grp["owners"] = []
    seed["applications"][0]["owners"] = []
    graph = graph_factory(seed)
    items = graph.all_pages(f"servicePrincipals/{guid('f', 1)}/appRoleAssignedTo", {"$top": "50"})
    assert len(items) == 130 == len({a["id"] for a in items})


def test_member_type_casts_and_count(g: Graph) -> None:
    g.post(f"groups/{gid(1)}/members/$ref", g.ref(gid(2)))
    r = g.get(f"groups/{gid(1)}/members/microsoft.graph.group")
    assert r.json()["@odata.context"] == f"{g.base}/$metadata#groups"
    assert [m["id"] for m in r.json()["value"]] == [gid(2)]
    users = g.get(f"groups/{gid(1)}/members/microsoft.graph.user").json()["value"]
    assert sorted(m["id"] for m in users) == [uid(1), uid(2), uid(3)]
    assert_error(g.get(f"groups/{gid(1)}/members/$count"), 400, "Request_UnsupportedQuery")
    eventual = {"ConsistencyLevel": "eventual"}
    assert g.get(f"groups/{gid(1)}/members/$count", headers=eventual).text.strip() == "4"
    assert g.get(f"groups/{gid(1)}/members/microsoft.graph.user/$count", headers=eventual).text.strip() == "3"
    r = g.get(f"groups/{gid(1)}/members", {"$count": "true"}, headers=eventual)
    assert r.json()["@odata.count"] == 4


def test_expand_members_and_manager(g: Graph) -> None:
    r = g.get(f"groups/{gid(1)}", {"$expand": "members"})
    assert sorted(m["id"] for m in r.json()["members"]) == [uid(1), uid(2), uid(3)]
    g.put(f"users/{uid(2)}/manager/$ref", g.ref(uid(1)))
    listing = g.get("users", {"$expand": "manager", "$select": "id,displayName"}).json()["value"]
    managers = {u["id"]: u.get("manager", {}).get("id") for u in listing}
    assert managers[uid(2)] == uid(1) and managers[uid(3)] is None
    # $top above 100 with $expand is answered in pages of 100, not refused (tests/sandbox/test_api_expand.py)
    assert g.get("users", {"$expand": "manager", "$top": "999"}).status_code == 200
    assert_error(g.get(f"groups/{gid(1)}", {"$expand": "photos"}), 400, "ExpandNotSupported")


def test_role_assignable_groups_do_not_nest(g: Graph) -> None:
    body = {"displayName": "Admins", "mailEnabled": False, "mailNickname": "admins", "securityEnabled": True}
    admins = g.post("groups", dict(body, isAssignableToRole=True)).json()
    assert g.post(f"groups/{admins['id']}/members/$ref", g.ref(uid(1))).status_code == 204
    assert_error(g.post(f"groups/{admins['id']}/members/$ref", g.ref(gid(1))), 400, "Request_BadRequest")


def test_transitive_members_and_member_of_follow_nesting(g: Graph) -> None:
    assert (
        g.post(f"groups/{gid(2)}/members/$ref", g.ref(gid(1))).status_code == 204
    )  # Security 001 inside Team 002
    members = {m["id"] for m in g.get(f"groups/{gid(2)}/transitiveMembers").json()["value"]}
    assert members == {uid(1), uid(2), uid(3), uid(4), gid(1)}
    groups = {x["id"] for x in g.get(f"users/{uid(2)}/transitiveMemberOf").json()["value"]}
    assert groups == {gid(1), gid(2)}
    assert {x["id"] for x in g.get(f"users/{uid(2)}/memberOf").json()["value"]} == {gid(1)}
    body = {
        "displayName": "Admins",
        "mailEnabled": False,
        "mailNickname": "admins",
        "securityEnabled": True,
        "isAssignableToRole": True,
        "members@odata.bind": [f"https://graph.microsoft.com/v1.0/groups/{gid(1)}"],
    }
    assert g.post("groups", body).status_code == 400
