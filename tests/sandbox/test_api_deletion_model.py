"""Which deletions are restorable, and what a restore meets when the directory moved on meanwhile."""

from __future__ import annotations

from .api_helpers import DOMAIN, Graph, assert_error, gid, guid, uid

APP = guid("c", 1)  # Payroll, identifierUris ["api://payroll"]


def role_group(g: Graph) -> str:
    body = {
        "displayName": "Helpdesk admins",
        "mailNickname": "helpdeskadmins",
        "mailEnabled": False,
        "securityEnabled": True,
        "isAssignableToRole": True,
        "members@odata.bind": [f"https://graph.microsoft.com/v1.0/directoryObjects/{uid(1)}"],
    }
    r = g.post("groups", body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_role_assignable_group_is_soft_deleted_and_restorable(g: Graph) -> None:
    """Groups concept docs (2026): role-assignable groups are restorable for 30 days; the restore brings its
    members and role assignment back (directory-deleteditems-restore.md: "fully restore the item")."""
    group = role_group(g)
    role = g.get(
        "roleManagement/directory/roleDefinitions", {"$filter": "displayName eq 'Helpdesk Administrator'"}
    )
    definition = role.json()["value"][0]["id"]
    assignment = {"principalId": group, "roleDefinitionId": definition, "directoryScopeId": "/"}
    assert g.post("roleManagement/directory/roleAssignments", assignment).status_code == 201
    assert g.delete(f"groups/{group}").status_code == 204
    deleted = g.get(f"directory/deletedItems/{group}")
    assert deleted.status_code == 200 and deleted.json()["@odata.type"] == "#microsoft.graph.group"
    listed = g.get("directory/deletedItems/microsoft.graph.group").json()["value"]
    assert group in [x["id"] for x in listed]
    assert g.post(f"directory/deletedItems/{group}/restore").status_code == 200
    assert [m["id"] for m in g.get(f"groups/{group}/members").json()["value"]] == [uid(1)]
    flt = {"$filter": f"principalId eq '{group}'"}
    assert len(g.get("roleManagement/directory/roleAssignments", flt).json()["value"]) == 1


def test_other_security_groups_stay_hard_deleted(g: Graph) -> None:
    """group-delete.md (v1.0 page): security groups "are permanently deleted immediately"."""
    assert g.delete(f"groups/{gid(1)}").status_code == 204
    assert g.get(f"directory/deletedItems/{gid(1)}").status_code == 404


def test_restored_application_whose_identifier_uri_is_taken_conflicts(g: Graph) -> None:
    """application.md: identifierUris are unique in the tenant. Restoring an app whose URI another app now
    holds is Graph's ObjectConflict on identifierUris, not a silent duplicate; once freed it restores."""
    assert g.delete(f"applications/{APP}").status_code == 204
    other = g.post("applications", {"displayName": "Payroll v2", "identifierUris": ["api://payroll"]})
    assert other.status_code == 201, other.text
    err = assert_error(
        g.post(f"directory/deletedItems/{APP}/restore"),
        400,
        "Request_BadRequest",
        "Another object with the same value for property identifierUris already exists.",
    )
    assert err["details"][0] == {"target": "identifierUris", "code": "ObjectConflict"}
    assert g.get(f"directory/deletedItems/{APP}").status_code == 200
    assert g.patch(f"applications/{other.json()['id']}", {"identifierUris": []}).status_code == 204
    assert g.post(f"directory/deletedItems/{APP}/restore").status_code == 200


def test_restored_user_whose_mail_is_taken_needs_auto_reconcile(g: Graph) -> None:
    """directory-deleteditems-restore.md (beta, current v1.0 learn page): autoReconcileProxyConflict
    "remove[s] any conflicting proxy addresses while restoring a soft-deleted user whose one or more proxy
    addresses are currently used for an active user"; without it the restore is refused and the user stays
    deleted."""
    assert g.delete(f"users/{uid(5)}").status_code == 204
    taken = f"user005@{DOMAIN}"
    r = g.post("users", {
        "accountEnabled": True, "displayName": "New 5", "mailNickname": "new5",
        "userPrincipalName": f"new5@{DOMAIN}", "mail": taken,
        "passwordProfile": {"password": "Xq7!correct-horse"},
    })  # fmt: skip
    assert r.status_code == 201, r.text
    err = assert_error(g.post(f"directory/deletedItems/{uid(5)}/restore"), 400, "Request_BadRequest")
    assert err["details"] == [
        {"target": "proxyAddresses", "code": "ObjectConflict"},
        {"target": r.json()["id"], "code": "ConflictingObjects"},
    ]
    assert g.get(f"directory/deletedItems/{uid(5)}").status_code == 200
    ok = g.post(f"directory/deletedItems/{uid(5)}/restore", {"autoReconcileProxyConflict": True})
    assert ok.status_code == 200
    proxies = g.get(f"users/{uid(5)}", {"$select": "proxyAddresses"}).json()["proxyAddresses"]
    assert all(taken.lower() not in p.lower() for p in proxies)


def test_administrative_unit_soft_delete_restore_and_purge(g: Graph) -> None:
    """administrativeunit-delete.md / directory-deleteditems-list.md: a deleted AU goes to deletedItems
    (cast microsoft.graph.administrativeUnit), restores with its members, and
    directory-deleteditems-delete.md: a purged one is gone for good."""
    au = g.post("directory/administrativeUnits", {"displayName": "Seattle"}).json()["id"]
    assert g.post(f"directory/administrativeUnits/{au}/members/$ref", g.ref(uid(2))).status_code == 204
    assert g.delete(f"directory/administrativeUnits/{au}").status_code == 204
    assert g.get(f"directory/administrativeUnits/{au}").status_code == 404
    got = g.get(f"directory/deletedItems/{au}").json()
    assert got["@odata.type"] == "#microsoft.graph.administrativeUnit" and got["deletedDateTime"]
    assert g.post(f"directory/deletedItems/{au}/restore").status_code == 200
    assert [m["id"] for m in g.get(f"directory/administrativeUnits/{au}/members").json()["value"]] == [uid(2)]
    assert g.delete(f"directory/administrativeUnits/{au}").status_code == 204
    assert g.delete(f"directory/deletedItems/{au}").status_code == 204
    assert g.get(f"directory/deletedItems/{au}").status_code == 404
    assert g.post(f"directory/deletedItems/{au}/restore").status_code == 404
    assert g.get("directory/deletedItems/microsoft.graph.administrativeUnit").json()["value"] == []
