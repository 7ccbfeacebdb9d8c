"""Entra agent identities in the demo tenant: one of each kind Graph v1.0 returns in the base collections.

An agent identity blueprint is an application (`#microsoft.graph.agentIdentityBlueprint`), its blueprint
principal and the agent identities made from it are service principals
(`#microsoft.graph.agentIdentityBlueprintPrincipal`, `#microsoft.graph.agentIdentity`), and an agent user is a
user (`#microsoft.graph.agentUser`) whose `identityParentId` names its agent identity. They live in the
collections of their base types and carry their `@odata.type` there (v1.0 CSDL: BaseType; resources/
agentidentityblueprint.md, agentidentityblueprintprincipal.md, agentidentity.md, agentuser.md). The
generator draws their ids last, so that adding them changed no other object of the demo tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from entragit.sandbox.baseline import (
    app_extras,
    app_service_principal,
    iso,
    security_identifier,
)

Obj = dict[str, Any]

BLUEPRINT = "#microsoft.graph.agentIdentityBlueprint"
BLUEPRINT_PRINCIPAL = "#microsoft.graph.agentIdentityBlueprintPrincipal"
AGENT_IDENTITY = "#microsoft.graph.agentIdentity"
AGENT_USER = "#microsoft.graph.agentUser"
_SP_COLLECTIONS = [
    "addIns",
    "alternativeNames",
    "appRoles",
    "keyCredentials",
    "notificationEmailAddresses",
    "oauth2PermissionScopes",
    "passwordCredentials",
    "replyUrls",
    "resourceSpecificApplicationPermissions",
    "servicePrincipalNames",
    "tags",
]


def agent_objects(
    new_id: Callable[[], str], tenant_id: str, domain: str, now: datetime, owner: str | None
) -> dict[str, list[Obj]]:
    """A blueprint, its principal, one agent identity and its agent user, by base collection."""
    created = now - timedelta(days=40)
    app_id = new_id()
    blueprint: Obj = {
        "@odata.type": BLUEPRINT,
        "id": new_id(),
        "deletedDateTime": None,
        "appId": app_id,
        "createdByAppId": app_id,
        "createdDateTime": iso(created),
        "description": "Template of the helpdesk agents",
        "disabledByMicrosoftStatus": None,
        "displayName": "Helpdesk Agent Blueprint",
        "groupMembershipClaims": None,
        "identifierUris": [],
        "publisherDomain": domain,
        "requiredResourceAccess": [],
        "serviceManagementReference": None,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "keyCredentials": [],
        "passwordCredentials": [],
        "optionalClaims": None,
        "owners": [owner] if owner else [],
        **app_extras(),
    }
    principal = app_service_principal(blueprint, new_id(), tenant_id)
    principal.update({"@odata.type": BLUEPRINT_PRINCIPAL, "tags": [], "appRoleAssignedTo": []})
    identity: Obj = {
        "@odata.type": AGENT_IDENTITY,
        "id": new_id(),
        "deletedDateTime": None,
        "accountEnabled": True,
        # agentidentity.md: the appId of the blueprint; the blueprint principal creates it
        "agentIdentityBlueprintId": app_id,
        "createdByAppId": app_id,
        "createdDateTime": iso(created + timedelta(days=1)),
        "disabledByMicrosoftStatus": None,
        "displayName": "Helpdesk Agent",
        "appId": None,  # not among an agent identity's properties (agentidentity.md)
        "servicePrincipalType": "ServiceIdentity",
        "appRoleAssignmentRequired": False,
        # the base type's collections, not nullable in the CSDL: empty for an agent identity
        **{name: [] for name in _SP_COLLECTIONS},
        "appRoleAssignedTo": [],
    }
    user_id = new_id()
    upn = f"helpdesk.agent@{domain}"
    user: Obj = {
        "@odata.type": AGENT_USER,
        "id": user_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "assignedLicenses": [],
        "businessPhones": [],
        "createdDateTime": iso(created + timedelta(days=2)),
        "creationType": None,
        "displayName": "Helpdesk Agent",
        "identityParentId": identity["id"],
        "licenseAssignmentStates": [],  # agentuser.md: required on create, one agent user per identity
        "mail": None,
        "mailNickname": "helpdesk.agent",
        "securityIdentifier": security_identifier(user_id),
        "userPrincipalName": upn,
        "userType": "Member",
    }
    return {"applications": [blueprint], "servicePrincipals": [principal, identity], "users": [user]}
