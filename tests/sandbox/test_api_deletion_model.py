"""Which deletions are restorable, and what a restore meets when the directory moved on meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msal_session import session_for

from .api_helpers import DOMAIN, Graph, assert_error, base_seed, gid, guid, security_group, uid

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


def test_cloud_security_groups_are_soft_deleted_and_restored_with_members_and_owners(g: Graph) -> None:
    """group-delete.md (learn.microsoft.com, 2026): "both Microsoft 365 and security groups are moved to a
    temporary container and can be restored within 30 days". MC1183299 (GA February-March 2026): cloud
    security groups, assigned and dynamic; a restore recovers "ownership and membership"."""
    for group in (gid(1), gid(5)):  # assigned, dynamic
        assert g.delete(f"groups/{group}").status_code == 204
        assert g.get(f"groups/{group}").status_code == 404
        got = g.get(f"directory/deletedItems/{group}").json()
        assert got["@odata.type"] == "#microsoft.graph.group" and got["deletedDateTime"]
    listed = {x["id"] for x in g.get("directory/deletedItems/microsoft.graph.group").json()["value"]}
    assert {gid(1), gid(5)} <= listed
    assert gid(1) not in {x["id"] for x in g.get(f"users/{uid(2)}/memberOf").json()["value"]}
    restored = g.post(f"directory/deletedItems/{gid(1)}/restore")
    assert restored.status_code == 200 and restored.json()["id"] == gid(1)
    assert {m["id"] for m in g.get(f"groups/{gid(1)}/members").json()["value"]} == {uid(1), uid(2), uid(3)}
    assert [o["id"] for o in g.get(f"groups/{gid(1)}/owners").json()["value"]] == [uid(1)]
    assert g.post(f"directory/deletedItems/{gid(5)}/restore").status_code == 200
    assert g.get(f"groups/{gid(5)}", {"$select": "membershipRule"}).json()["membershipRule"]


def test_synced_and_mail_enabled_groups_are_deleted_at_once(graph_factory: Callable[..., Graph]) -> None:
    """MC1183299 covers cloud security groups only: groups synchronized from on-premises, mail-enabled
    security groups and distribution groups are deleted for good at once (group-delete.md: "This doesn't
    apply to Distribution groups which are permanently deleted immediately"). Graph refuses to delete them
    itself (docs/graph.md, Write rules); the sync engine or Exchange does, as `tenant.delete` does here."""
    seed = base_seed()
    seed["groups"].append(
        security_group(6, [uid(8)], displayName="Synced", mailNickname="synced", onPremisesSyncEnabled=True)
    )
    graph = graph_factory(seed)
    assert graph.delete(f"groups/{gid(6)}").status_code == 400
    for group in (gid(3), gid(4), gid(6)):  # mail-enabled security, distribution, synced
        with graph.tenant.lock:
            graph.tenant.delete("groups", group)
        assert graph.get(f"groups/{group}").status_code == 404
        assert graph.get(f"directory/deletedItems/{group}").status_code == 404


def custom_role(g: Graph, name: str = "Application Support Administrator") -> dict[str, Any]:
    body = {
        "displayName": name,
        "description": "Can manage basic aspects of application registrations.",
        "isEnabled": True,
        "rolePermissions": [{"allowedResourceActions": ["microsoft.directory/applications/basic/update"]}],
    }
    r = g.post("roleManagement/directory/roleDefinitions", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_custom_role_definition_is_soft_deleted_restored_and_purged(g: Graph) -> None:
    """resources/unifiedroledefinition.md (learn.microsoft.com, 2026): deletedDateTime "is null for active and
    restored role definitions"; unifiedroledefinition-delete.md: "Deleting an active custom role definition
    soft-deletes it. You can then restore the role or permanently delete it from the deleted-items
    collection"; directoryrolemanagementdeleteditemcontainer-list-roledefinitions.md lists them at
    roleManagement/directory/deletedItems/roleDefinitions; unifiedroledefinition-restore.md: POST
    …/{id}/restore, no body, 200 with the role definition."""
    role = custom_role(g)
    rid = role["id"]
    assert role["deletedDateTime"] is None
    assert g.delete(f"roleManagement/directory/roleDefinitions/{rid}").status_code == 204
    assert g.get(f"roleManagement/directory/roleDefinitions/{rid}").status_code == 404
    bin_path = "roleManagement/directory/deletedItems/roleDefinitions"
    listed = g.get(bin_path).json()
    assert listed["@odata.context"].endswith(f"$metadata#{bin_path}")
    assert [(x["id"], x["displayName"]) for x in listed["value"]] == [(rid, role["displayName"])]
    got = g.get(f"{bin_path}/{rid}").json()
    assert got["deletedDateTime"] and got["isBuiltIn"] is False
    assert g.get(f"directory/deletedItems/{rid}").status_code == 404  # not a directory object
    restored = g.post(f"{bin_path}/{rid}/restore")
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["@odata.context"].endswith("$metadata#roleManagement/directory/roleDefinitions/$entity")
    assert body["id"] == rid and body["deletedDateTime"] is None
    live = g.get(f"roleManagement/directory/roleDefinitions/{rid}").json()
    assert live["displayName"] == role["displayName"]
    assert g.get(bin_path).json()["value"] == []
    assert g.delete(f"roleManagement/directory/roleDefinitions/{rid}").status_code == 204
    assert g.delete(f"{bin_path}/{rid}").status_code == 204
    assert g.get(f"{bin_path}/{rid}").status_code == 404
    assert g.post(f"{bin_path}/{rid}/restore").status_code == 404
    audits = g.get("auditLogs/directoryAudits").json()["value"]
    assert {"Delete role definition", "Restore role definition", "Hard delete role definition"} <= {
        a["activityDisplayName"] for a in audits
    }


def test_role_definition_bin_needs_the_documented_permissions(graph_factory: Callable[..., Graph]) -> None:
    """directoryrolemanagementdeleteditemcontainer-list-roledefinitions.md: RoleManagement.Read.Directory
    lists; unifiedroledefinition-restore.md: restoring needs RoleManagement.ReadWrite.Directory."""
    admin = graph_factory()
    rid = custom_role(admin)["id"]
    assert admin.delete(f"roleManagement/directory/roleDefinitions/{rid}").status_code == 204
    admin.tenant.permissions = ["RoleManagement.Read.Directory"]
    reader = Graph(admin.box, session_for(admin.box))
    bin_path = "roleManagement/directory/deletedItems/roleDefinitions"
    assert [x["id"] for x in reader.get(bin_path).json()["value"]] == [rid]
    assert_error(reader.post(f"{bin_path}/{rid}/restore"), 403, "Authorization_RequestDenied")


def test_conditional_access_policies_stay_hard_deleted_in_v1(g: Graph) -> None:
    """conditionalaccesspolicy-delete.md (v1.0): a deleted policy is gone; its recycle bin
    (identity/conditionalAccess/deletedItems, policydeletableitem.md) is documented in beta only, and
    there without application permissions (conditionalaccesspolicy-restore.md, beta: "Not supported")."""
    body = {
        "displayName": "Require MFA",
        "state": "disabled",
        "conditions": {
            "users": {"includeUsers": ["All"]},
            "applications": {"includeApplications": ["All"]},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    }
    created = g.post("identity/conditionalAccess/policies", body)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert g.delete(f"identity/conditionalAccess/policies/{pid}").status_code == 204
    assert g.get(f"identity/conditionalAccess/policies/{pid}").status_code == 404
    assert g.get(f"identity/conditionalAccess/deletedItems/policies/{pid}").status_code in (400, 404)


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


def test_administrative_unit_soft_delete_restore_and_expiry(g: Graph) -> None:
    """administrativeunit-delete.md / directory-deleteditems-list.md: a deleted AU goes to deletedItems
    (cast microsoft.graph.administrativeUnit) and restores with its members; directory-deleteditems-delete.md
    (learn.microsoft.com, 2026): AUs "cannot be permanently deleted by using the deletedItems API" and are
    gone 30 days after their deletion."""
    au = g.post("directory/administrativeUnits", {"displayName": "Seattle"}).json()["id"]
    assert g.post(f"directory/administrativeUnits/{au}/members/$ref", g.ref(uid(2))).status_code == 204
    assert g.delete(f"directory/administrativeUnits/{au}").status_code == 204
    assert g.get(f"directory/administrativeUnits/{au}").status_code == 404
    got = g.get(f"directory/deletedItems/{au}").json()
    assert got["@odata.type"] == "#microsoft.graph.administrativeUnit" and got["deletedDateTime"]
    assert g.post(f"directory/deletedItems/{au}/restore").status_code == 200
    assert [m["id"] for m in g.get(f"directory/administrativeUnits/{au}/members").json()["value"]] == [uid(2)]
    assert g.delete(f"directory/administrativeUnits/{au}").status_code == 204
    assert g.delete(f"directory/deletedItems/{au}").status_code == 400
    assert g.get(f"directory/deletedItems/{au}").status_code == 200
    g.tenant.advance(31 * 86400)
    assert g.get(f"directory/deletedItems/{au}").status_code == 404
    assert g.post(f"directory/deletedItems/{au}/restore").status_code == 404
    assert g.get("directory/deletedItems/microsoft.graph.administrativeUnit").json()["value"] == []
