"""Catalog entries of cross-tenant access: the policy, its default configuration, and the partner
configurations with their identity synchronization (resources/crosstenantaccesspolicy*.md).

A compromised admin who opens inbound B2B collaboration to everyone, or trusts another tenant's MFA, changes
these; they are tenant-wide trust settings, so `entragit report` calls their changes out."""

from __future__ import annotations

from entragit.catalog.model import _POLICY_READ, ObjectType, Reference, _names

_PATH = "policies/crossTenantAccessPolicy"
# Every write of the policy, its default and its partners (crosstenantaccesspolicy-update.md,
# crosstenantaccesspolicyconfigurationdefault-update.md, crosstenantaccesspolicy-post-partners.md,
# crosstenantaccesspolicyconfigurationpartner-update.md, -put-identitysynchronization.md).
_WRITE = ("Policy.ReadWrite.CrossTenantAccess",)

# The settings the default and a partner share (resources/crosstenantaccesspolicyconfigurationdefault.md,
# crosstenantaccesspolicyconfigurationpartner.md). appServiceConnectInbound and m365Collaboration* are in the
# v1.0 schema but no v1.0 page documents writing them: not kept.
_SETTINGS = _names(
    """
    automaticUserConsentSettings b2bCollaborationInbound b2bCollaborationOutbound b2bDirectConnectInbound
    b2bDirectConnectOutbound inboundTrust tenantRestrictions
    """
)
_TARGET_LISTS = tuple(
    f"{setting}.{kind}.targets:target"
    for setting in (*_SETTINGS[1:5], "tenantRestrictions")
    for kind in ("usersAndGroups", "applications")
)
# Targets that are objects of this tenant (resources/crosstenantaccesspolicytarget.md: a user, group or
# application id, or AllUsers/AllApplications/Office365): outbound settings name our users and groups, inbound
# settings our applications (by appId). The other lists name the partner tenant's objects.
_REFERENCES = (
    *(
        Reference(f"{setting}.usersAndGroups.targets[].target", ("users", "groups"))
        for setting in ("b2bCollaborationOutbound", "b2bDirectConnectOutbound")
    ),
    *(
        Reference(
            f"{setting}.applications.targets[].target", ("applications", "servicePrincipals"), key="appId"
        )
        for setting in ("b2bCollaborationInbound", "b2bDirectConnectInbound")
    ),
)

CROSS_TENANT_ACCESS_POLICY: ObjectType = ObjectType(
    name="crossTenantAccessPolicy",
    path=_PATH,
    select=_names("id displayName allowedCloudEndpoints"),
    # A singleton: read whole (its default and partners are navigation properties, read on their own).
    send_select=False,
    fill_missing=False,
    # crosstenantaccesspolicy-update.md: displayName and allowedCloudEndpoints are updatable.
    read_only=("id",),
    unordered=("allowedCloudEndpoints",),
    singleton=True,
    rank=75,
    permissions_backup=_POLICY_READ,
    permissions_restore=_WRITE,
    security="the Microsoft clouds whose tenants may collaborate with this one",
)

CROSS_TENANT_DEFAULT: ObjectType = ObjectType(
    name="crossTenantAccessDefault",
    path=f"{_PATH}/default",
    select=("id", *_SETTINGS, "invitationRedemptionIdentityProviderConfiguration", "isServiceDefault"),
    identity=("id", "isServiceDefault"),
    display="id",
    send_select=False,
    fill_missing=False,
    # isServiceDefault: "If true, the default configuration is set to the system default configuration";
    # Graph sets it (false after any PATCH, true after resetToSystemDefault).
    read_only=("id", "isServiceDefault"),
    unordered=_TARGET_LISTS,
    references=_REFERENCES,
    # crosstenantaccesspolicyconfigurationdefault-resettosystemdefault.md: POST, no body, 204.
    reset=("isServiceDefault", f"{_PATH}/default/resetToSystemDefault"),
    unique=(),
    singleton=True,
    rank=76,
    permissions_backup=_POLICY_READ,
    permissions_restore=_WRITE,
    security="who from any other tenant may come in or go out, and whose MFA and devices are trusted",
)

CROSS_TENANT_PARTNERS: ObjectType = ObjectType(
    name="crossTenantPartners",
    path=f"{_PATH}/partners",
    # Keyed by tenantId (the schema's key; a partner has no id): `id` in the file is the tenantId, so that
    # the file is named for the partner tenant. identitySynchronization is the partner's cross-tenant sync
    # policy, a contained entity read and written (PUT) on its own path.
    key="tenantId",
    select=(
        "id",
        "tenantId",
        *_SETTINGS,
        "isInMultiTenantOrganization",
        "isServiceProvider",
        "identitySynchronization",
    ),
    contained=("identitySynchronization",),
    identity=("id", "tenantId"),
    display="id",
    send_select=False,
    fill_missing=False,
    read_only=("id", "isInMultiTenantOrganization"),
    create_only=("tenantId",),
    unordered=_TARGET_LISTS,
    references=_REFERENCES,
    unique=("tenantId",),
    rank=77,
    permissions_backup=_POLICY_READ,
    permissions_restore=_WRITE,
    security="what one partner tenant may do here, and whose users are synced in from it",
    notes="Hard-deleted in v1.0: a deleted partner is created again (POST) with the same tenant id.",
)
