"""Cross-tenant access settings over raw HTTP, as the v1.0 pages document them (api-reference/v1.0/api/
crosstenantaccesspolicy-*.md, crosstenantaccesspolicyconfigurationdefault-*.md,
crosstenantaccesspolicyconfigurationpartner-*.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .api_helpers import Graph, assert_error, base_seed, gid

POLICY = "policies/crossTenantAccessPolicy"
PARTNER = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"  # the tenant id of the post page's example
OTHER = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"


def _seeded(graph_factory: Callable[..., Graph]) -> Graph:
    seed: dict[str, Any] = base_seed()
    seed[f"{POLICY}/partners"] = [
        {
            "tenantId": OTHER,
            "inboundTrust": {
                "isMfaAccepted": True,
                "isCompliantDeviceAccepted": False,
                "isHybridAzureADJoinedDeviceAccepted": False,
            },
            "identitySynchronization": {
                "tenantId": OTHER,
                "displayName": "Fabrikam",
                "userSyncInbound": {"isSyncAllowed": True},
            },
        }
    ]
    return graph_factory(seed)


def test_policy_get_and_update_allowed_cloud_endpoints(g: Graph) -> None:
    """crosstenantaccesspolicy-get.md, -update.md: 204; displayName and allowedCloudEndpoints (empty by
    default; microsoftonline.com, microsoftonline.us, partner.microsoftonline.cn) are what PATCH takes."""
    got = g.get(POLICY).json()
    assert got["allowedCloudEndpoints"] == [] and got["displayName"] == "CrossTenantAccessPolicy"
    r = g.patch(POLICY, {"allowedCloudEndpoints": ["microsoftonline.us"]})
    assert r.status_code == 204, r.text
    assert g.get(POLICY).json()["allowedCloudEndpoints"] == ["microsoftonline.us"]
    assert_error(g.patch(POLICY, {"allowedCloudEndpoints": ["example.com"]}), 400, "Request_BadRequest")


def test_default_update_clears_is_service_default_and_reset_restores_the_system_default(g: Graph) -> None:
    """crosstenantaccesspolicyconfigurationdefault-get.md: the system default (isServiceDefault true, B2B
    collaboration allowed, direct connect blocked); -update.md: 204; -resettosystemdefault.md: POST with no
    body, 204, the system default again."""
    default = f"{POLICY}/default"
    got = g.get(default).json()
    assert got["isServiceDefault"] is True
    assert got["b2bCollaborationInbound"]["usersAndGroups"]["accessType"] == "allowed"
    assert got["b2bDirectConnectInbound"]["usersAndGroups"]["accessType"] == "blocked"
    r = g.patch(default, {"inboundTrust": {"isMfaAccepted": True}})
    assert r.status_code == 204, r.text
    got = g.get(default).json()
    assert got["isServiceDefault"] is False and got["inboundTrust"]["isMfaAccepted"] is True
    # a complex value is merged: the other members keep their values (merge.py)
    assert got["inboundTrust"]["isCompliantDeviceAccepted"] is False
    assert_error(g.patch(default, {"isServiceDefault": True}), 400, "Request_BadRequest")
    bad_type = {"b2bCollaborationInbound": {"usersAndGroups": {"accessType": "sometimes"}}}
    assert_error(g.patch(default, bad_type), 400, "Request_BadRequest")
    r = g.post(f"{default}/resetToSystemDefault")
    assert r.status_code == 204, r.text
    got = g.get(default).json()
    assert got["isServiceDefault"] is True and got["inboundTrust"]["isMfaAccepted"] is False


def test_partner_create_read_update_delete(g: Graph) -> None:
    """crosstenantaccesspolicy-post-partners.md: 201 with the partner, unset settings null, tenantId
    required; a second partner for the same tenant is refused. -list-partners.md, partner -get.md,
    -update.md (204), -delete.md (204, then 404)."""
    body = {
        "tenantId": PARTNER,
        "b2bDirectConnectOutbound": {
            "usersAndGroups": {
                "accessType": "blocked",
                "targets": [{"target": gid(1), "targetType": "group"}],
            }
        },
    }
    r = g.post(f"{POLICY}/partners", body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["tenantId"] == PARTNER and created["inboundTrust"] is None and "id" not in created
    assert created["b2bDirectConnectOutbound"] == body["b2bDirectConnectOutbound"]
    assert g.post(f"{POLICY}/partners", {"tenantId": PARTNER}).status_code == 409
    assert_error(g.post(f"{POLICY}/partners", {"inboundTrust": None}), 400, "BadRequest")
    listed = g.get(f"{POLICY}/partners").json()["value"]
    assert [p["tenantId"] for p in listed] == [PARTNER]
    r = g.patch(f"{POLICY}/partners/{PARTNER}", {"automaticUserConsentSettings": {"inboundAllowed": True}})
    assert r.status_code == 204, r.text
    got = g.get(f"{POLICY}/partners/{PARTNER}").json()
    assert got["automaticUserConsentSettings"] == {"inboundAllowed": True}
    assert_error(g.patch(f"{POLICY}/partners/{PARTNER}", {"tenantId": OTHER}), 400, "Request_BadRequest")
    assert g.delete(f"{POLICY}/partners/{PARTNER}").status_code == 204
    assert_error(g.get(f"{POLICY}/partners/{PARTNER}"), 404, "Request_ResourceNotFound")


def test_identity_synchronization_is_read_and_put_on_its_own_path(
    graph_factory: Callable[..., Graph],
) -> None:
    """crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization.md: PUT displayName and
    userSyncInbound, 204; crosstenantidentitysyncpolicypartner-get.md returns it with the partner's
    tenantId; it is a navigation property, not part of the partner's own JSON; -delete.md: 204."""
    g = _seeded(graph_factory)
    partner = g.get(f"{POLICY}/partners/{OTHER}").json()
    assert "identitySynchronization" not in partner and partner["inboundTrust"]["isMfaAccepted"] is True
    sync = f"{POLICY}/partners/{OTHER}/identitySynchronization"
    got = g.get(sync).json()
    assert got["tenantId"] == OTHER and got["userSyncInbound"] == {"isSyncAllowed": True}
    r = g.put(sync, {"displayName": "Fabrikam", "userSyncInbound": {"isSyncAllowed": False}})
    assert r.status_code == 204, r.text
    assert g.get(sync).json()["userSyncInbound"] == {"isSyncAllowed": False}
    assert_error(g.put(sync, {"userSyncOutbound": {}}), 400, "Request_BadRequest")
    # crosstenantaccesspolicyconfigurationpartner-delete.md: "you must first delete the user
    # synchronization policy before you can delete the partner-specific configuration"
    assert_error(g.delete(f"{POLICY}/partners/{OTHER}"), 400, "BadRequest")
    assert g.delete(sync).status_code == 204
    assert_error(g.get(sync), 404, "Request_ResourceNotFound")
    assert g.delete(f"{POLICY}/partners/{OTHER}").status_code == 204


def test_reads_need_policy_read_all_and_writes_cross_tenant_access(
    graph_factory: Callable[..., Graph],
) -> None:
    """The pages' permission tables: Policy.Read.All reads; writes need Policy.ReadWrite.CrossTenantAccess."""
    g = graph_factory(dict(base_seed(), permissions=["Policy.Read.All"]))
    assert g.get(f"{POLICY}/default").status_code == 200
    assert g.get(f"{POLICY}/partners").status_code == 200
    r = g.patch(f"{POLICY}/default", {"inboundTrust": {"isMfaAccepted": True}})
    assert_error(r, 403, "Authorization_RequestDenied")
    r = g.post(f"{POLICY}/partners", {"tenantId": PARTNER})
    assert_error(r, 403, "Authorization_RequestDenied")
