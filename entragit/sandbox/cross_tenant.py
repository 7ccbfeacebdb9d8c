"""Cross-tenant access settings: /policies/crossTenantAccessPolicy, its default and its partners.

Pages followed (api-reference/v1.0/api/): crosstenantaccesspolicy-get.md and -update.md (PATCH takes
displayName and allowedCloudEndpoints, 204); crosstenantaccesspolicyconfigurationdefault-get.md, -update.md
(204) and -resettosystemdefault.md (POST, no body, 204: the default is the system default again,
isServiceDefault true); crosstenantaccesspolicy-list-partners.md, -post-partners.md (201 with the partner;
tenantId required); crosstenantaccesspolicyconfigurationpartner-get.md, -update.md (204), -delete.md (204);
crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization.md (PUT, 204; displayName and
userSyncInbound), crosstenantidentitysyncpolicypartner-get.md, -update.md and -delete.md.

A partner is keyed by its tenantId and has no id; in v1.0 a deleted partner is gone for good (the policy
recycle bin, policies/deletedItems/crossTenantPartners, is beta only, and there with no application
permission: no v1.0 schema or permission has it). A partner with an identity synchronization policy cannot be
deleted until that policy is (crosstenantaccesspolicyconfigurationpartner-delete.md: "you must first delete
the user synchronization policy").

State: the policy and the default are entries of `tenant.singletons` like the other policy singletons; the
partners one more entry, a mapping tenantId → partner, each holding its identitySynchronization (never
returned inline: it is a navigation property).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from entragit import value_rules
from entragit.sandbox import documented
from entragit.sandbox.merge import merge_patch
from entragit.sandbox.protocol import (
    ApiError,
    Ctx,
    Response,
    bad,
    not_allowed,
    not_found,
    read_only,
    segment_not_found,
)

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi
    from entragit.sandbox.tenant import Tenant

POLICY = "policies/crossTenantAccessPolicy"
DEFAULT = f"{POLICY}/default"
PARTNERS = f"{POLICY}/partners"
SEED_KEYS = (POLICY, DEFAULT, PARTNERS)
SYNC = "identitySynchronization"

_SETTINGS = (
    "automaticUserConsentSettings",
    "b2bCollaborationInbound",
    "b2bCollaborationOutbound",
    "b2bDirectConnectInbound",
    "b2bDirectConnectOutbound",
    "inboundTrust",
    "tenantRestrictions",
)
# What each PATCH takes (the update pages' tables; tenantRestrictions and isServiceProvider per the partner
# resource page, invitationRedemptionIdentityProviderConfiguration per the default's).
_WRITABLE = {
    POLICY: frozenset({"displayName", "allowedCloudEndpoints"}),
    DEFAULT: frozenset({*_SETTINGS, "invitationRedemptionIdentityProviderConfiguration"}),
    PARTNERS: frozenset({*_SETTINGS, "isServiceProvider"}),
}
_READ_ONLY = {
    POLICY: frozenset({"id"}),
    DEFAULT: frozenset({"id", "isServiceDefault"}),
    PARTNERS: frozenset({"tenantId", "isInMultiTenantOrganization"}),
}
_RESOURCE = {
    POLICY: "CrossTenantAccessPolicy",
    DEFAULT: "CrossTenantAccessPolicyConfigurationDefault",
    PARTNERS: "CrossTenantAccessPolicyConfigurationPartner",
}
_SYNC_WRITABLE = frozenset({"displayName", "userSyncInbound"})


def _target(access: str, target: str, kind: str) -> dict[str, Any]:
    return {"accessType": access, "targets": [{"target": target, "targetType": kind}]}


def _b2b(access: str) -> dict[str, Any]:
    return {
        "usersAndGroups": _target(access, "AllUsers", "user"),
        "applications": _target(access, "AllApplications", "application"),
    }


def system_default() -> dict[str, Any]:
    """The default configuration as Graph ships it (crosstenantaccesspolicyconfigurationdefault-get.md's
    response: B2B collaboration allowed both ways, B2B direct connect blocked, no inbound trust)."""
    return {
        "isServiceDefault": True,
        "inboundTrust": {
            "isMfaAccepted": False,
            "isCompliantDeviceAccepted": False,
            "isHybridAzureADJoinedDeviceAccepted": False,
        },
        "automaticUserConsentSettings": {"inboundAllowed": False, "outboundAllowed": False},
        "b2bCollaborationInbound": _b2b("allowed"),
        "b2bCollaborationOutbound": _b2b("allowed"),
        "b2bDirectConnectInbound": _b2b("blocked"),
        "b2bDirectConnectOutbound": _b2b("blocked"),
        "tenantRestrictions": {**_b2b("blocked"), "devices": None},
        "invitationRedemptionIdentityProviderConfiguration": {
            "primaryIdentityProviderPrecedenceOrder": [
                "externalFederation",
                "azureActiveDirectory",
                "socialIdentityProviders",
            ],
            "fallbackIdentityProvider": "defaultConfiguredIdp",
        },
    }


def policy() -> dict[str, Any]:
    """resources/crosstenantaccesspolicy.md: allowedCloudEndpoints is empty by default."""
    return {"displayName": "CrossTenantAccessPolicy", "allowedCloudEndpoints": []}


def partner(tenant_id: str, **settings: Any) -> dict[str, Any]:
    """A partner as a create leaves it: every setting not given is null (the post page's response)."""
    return {
        "tenantId": tenant_id,
        **{s: None for s in _SETTINGS},
        "isInMultiTenantOrganization": False,
        "isServiceProvider": None,
        **settings,
    }


def baseline(seed: dict[str, Any]) -> dict[str, Any]:
    """The seed's cross-tenant settings, the system's where the seed has none."""
    return {
        POLICY: seed.get(POLICY) or policy(),
        DEFAULT: seed.get(DEFAULT) or system_default(),
        PARTNERS: list(seed.get(PARTNERS) or []),
    }


def load(tenant: Tenant, seed: dict[str, Any]) -> None:
    """Put a seed's cross-tenant settings in the tenant (the partners keyed by tenantId)."""
    data = baseline(seed)
    tenant.singletons[POLICY] = copy.deepcopy(data[POLICY])
    tenant.singletons[DEFAULT] = copy.deepcopy(data[DEFAULT])
    partners: dict[str, Any] = {}
    for p in data[PARTNERS]:  # (seed.py has checked that each has a tenantId)
        partners[str(p["tenantId"]).lower()] = partner(str(p["tenantId"]), **copy.deepcopy(p))
    tenant.singletons[PARTNERS] = partners


# -------------------------------------------------------------------------------------------------- requests


def handle(api: GraphApi, ctx: Ctx, method: str, rest: list[str]) -> Response:
    """Every request below /policies/crossTenantAccessPolicy (`rest`: the segments after it)."""
    low = [s.lower() for s in rest]
    if not rest:
        return _singleton(api, ctx, method, POLICY)
    if low[0] == "default":
        if low[1:] in (["resettosystemdefault"], ["microsoft.graph.resettosystemdefault"]):
            if method != "POST":
                not_allowed()
            return _reset(api, ctx)
        if len(rest) > 1:
            segment_not_found(rest[1])
        return _singleton(api, ctx, method, DEFAULT)
    if low[0] != "partners":
        segment_not_found(rest[0])
    partners: dict[str, Any] = api.tenant.singletons.setdefault(PARTNERS, {})
    if len(rest) == 1:
        if method == "GET":
            items = [_shown(p) for _, p in sorted(partners.items())]
            return Response(200, {"@odata.context": ctx.context(PARTNERS), "value": items})
        if method != "POST":
            not_allowed()
        return _create(api, ctx, partners)
    found = partners.get(rest[1].lower())
    if found is None:
        not_found(rest[1])
    if len(rest) == 2:
        return _partner(api, ctx, method, partners, found)
    if low[2:] == ["identitysynchronization"]:
        return _sync(api, ctx, method, partners, found)
    segment_not_found(rest[2])


def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.req.body
    if not isinstance(body, dict) or not body:
        bad("Empty Payload. JSON content expected.", "BadRequest")
    return {k: v for k, v in body.items() if not k.startswith("@odata.")}


def _judge(key: str, obj: dict[str, Any], changes: dict[str, Any], *, creating: bool = False) -> None:
    """Refuse what the update page does not take, then what breaks a documented value rule."""
    for prop in changes:
        if prop in _READ_ONLY[key] and not (creating and prop == "tenantId"):
            read_only(prop)
        if prop not in _WRITABLE[key] and not (creating and prop == "tenantId"):
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    problems = value_rules.check(key, obj, creating=creating, only=None if creating else frozenset(changes))
    if problems:
        documented.refuse(key, _RESOURCE[key], min(problems, key=lambda p: p.what != "kind"), obj)


def _shown(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != SYNC}


def _audit(api: GraphApi, ctx: Ctx, activity: str, operation: str, oid: str, name: str) -> None:
    target = {"id": oid, "displayName": name, "type": "Policy", "modifiedProperties": []}
    api.audit.record(ctx, activity, "Policy", operation, [target])


def _singleton(api: GraphApi, ctx: Ctx, method: str, key: str) -> Response:
    obj = api.tenant.singletons.get(key)
    if obj is None:
        not_found(key.rsplit("/", 1)[-1])
    if method == "GET":
        return Response(200, {"@odata.context": ctx.context(f"{key}/$entity"), **obj})
    if method != "PATCH":
        not_allowed()
    changes = _body(ctx)
    merged = merge_patch(obj, changes)
    _judge(key, merged, changes)
    if key == DEFAULT:
        merged["isServiceDefault"] = False  # no longer the system's configuration
    api.tenant.singletons[key] = merged
    _audit(api, ctx, "Update cross-tenant access settings", "Update", key.rsplit("/", 1)[-1], key)
    return Response(204)


def _reset(api: GraphApi, ctx: Ctx) -> Response:
    if ctx.req.body not in (None, "", {}):
        bad("The request body must be empty.", "BadRequest")
    api.tenant.singletons[DEFAULT] = system_default()
    _audit(api, ctx, "Reset the cross-tenant access default settings", "Update", "default", DEFAULT)
    return Response(204)


def _create(api: GraphApi, ctx: Ctx, partners: dict[str, Any]) -> Response:
    body = _body(ctx)
    tid = body.get("tenantId")
    if not tid:
        bad("Required property 'tenantId' is missing.", "BadRequest")
    created = partner(str(tid or ""), **body)
    _judge(PARTNERS, created, body, creating=True)
    if str(tid).lower() in partners:
        raise ApiError(
            409, "Request_BadRequest", f"A partner configuration for tenant '{tid}' already exists."
        )
    partners[str(tid).lower()] = created
    _audit(api, ctx, "Add a partner to cross-tenant access setting", "Add", str(tid), str(tid))
    return Response(201, {"@odata.context": ctx.context(f"{PARTNERS}/$entity"), **_shown(created)})


def _partner(
    api: GraphApi, ctx: Ctx, method: str, partners: dict[str, Any], found: dict[str, Any]
) -> Response:
    tid = str(found["tenantId"])
    if method == "GET":
        return Response(200, {"@odata.context": ctx.context(f"{PARTNERS}/$entity"), **_shown(found)})
    if method == "DELETE":
        if found.get(SYNC) is not None:  # crosstenantaccesspolicyconfigurationpartner-delete.md
            bad(
                "The partner configuration has a user synchronization policy: delete the "
                "identitySynchronization first.",
                "BadRequest",
            )
        del partners[tid.lower()]
        _audit(api, ctx, "Delete partner specific cross-tenant access setting", "Delete", tid, tid)
        return Response(204)
    if method != "PATCH":
        not_allowed()
    changes = _body(ctx)
    merged = merge_patch(found, changes)
    _judge(PARTNERS, _shown(merged), changes)
    partners[tid.lower()] = merged
    _audit(api, ctx, "Update a partner cross-tenant access setting", "Update", tid, tid)
    return Response(204)


def _sync(api: GraphApi, ctx: Ctx, method: str, partners: dict[str, Any], found: dict[str, Any]) -> Response:
    tid = str(found["tenantId"])
    have = found.get(SYNC)
    if method == "GET":
        if have is None:
            not_found(SYNC)
        return Response(200, {"@odata.context": ctx.context(f"{PARTNERS}('{tid}')/{SYNC}/$entity"), **have})
    if method == "DELETE":
        if have is None:
            not_found(SYNC)
        partners[tid.lower()] = {k: v for k, v in found.items() if k != SYNC}
        return Response(204)
    if method not in ("PUT", "PATCH"):
        not_allowed()
    if method == "PATCH" and have is None:
        not_found(SYNC)
    body = _body(ctx)
    for prop in body:
        if prop == "tenantId" and str(body[prop]).lower() == tid.lower():
            continue
        if prop not in _SYNC_WRITABLE:
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    base = have if method == "PATCH" and have else {"displayName": None, "userSyncInbound": None}
    sync = {**merge_patch(base, body), "tenantId": tid}
    nested = {"identitySynchronization": sync}
    problems = value_rules.check(PARTNERS, nested, only=frozenset({SYNC}))
    if problems:
        documented.refuse(PARTNERS, "CrossTenantIdentitySyncPolicyPartner", problems[0], nested)
    partners[tid.lower()] = {**found, SYNC: sync}
    _audit(api, ctx, "Update a partner cross-tenant identity sync setting", "Update", tid, tid)
    return Response(204)
