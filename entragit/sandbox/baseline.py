"""What every real Entra tenant holds before anyone touches it, added to a seed that lacks it.

A tenant is never empty: Microsoft provisions the organization record, the built-in directory roles, the
first-party service principals (Microsoft Graph above all), the licences the customer bought, a daily secure
score and the two policy singletons. A seed written by hand lists only the objects its author cares about, so
`complete` fills in the rest; the identifiers used are the documented ones wherever Microsoft publishes them
(role template ids, Graph app role ids, SKU ids), so code tested against the sandbox meets the values it will
meet in production.

Objects made here get ids derived with uuid5 from the tenant id: completing the same seed twice gives the same
tenant, and nothing depends on wall-clock time except through the `now` argument.
"""

from __future__ import annotations

import base64
import json
import struct
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from entragit.sandbox import role_settings

SANDBOX_TENANT_ID = "3f6a1c2e-8b4d-4e7a-9c1f-5d2b8a6e4c90"
SANDBOX_DOMAIN = "contoso.onmicrosoft.com"
SANDBOX_ORG_NAME = "Contoso"
# The appId of the app registration entragit signs in as; the sandbox's token endpoint accepts it.
SANDBOX_CLIENT_ID = "7d1f3e5a-2c4b-4a9e-8f6d-0b1c2d3e4f5a"

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
SHAREPOINT_APP_ID = "00000003-0000-0ff1-ce00-000000000000"
MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # appOwnerOrganizationId of first-party apps


def seed_clock() -> datetime:
    """The moment seeds are built against: the start of the current UTC day.

    A fixed date would rot: the sandbox purges soft-deleted objects 30 days after their deletedDateTime
    (docs/graph.md, Deleted items), so a seed dated once would lose its deleted items a month later, and the
    demo's secure score would show an ever older date. Midnight keeps the output identical for every call on
    the same day.
    """
    today = datetime.now(timezone.utc)
    return datetime(today.year, today.month, today.day, tzinfo=timezone.utc)


Obj = dict[str, Any]
_FOUR_UINT32 = struct.Struct("<4I")


def iso(moment: datetime) -> str:
    """Directory objects carry whole-second UTC timestamps with a Z (docs/graph.md, Ids, timestamps).
    Naive means UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def iso7(moment: datetime) -> str:
    """Conditional access and policy objects carry 7-digit fractional seconds. Naive datetimes are UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond * 10:07d}Z"


def stable_id(tenant_id: str, name: str) -> str:
    """A GUID that is the same every time for this tenant and this name."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), name))


def app_role_assignment_id(principal_id: str, salt: str) -> str:
    """Graph's appRoleAssignment ids: 43 base64url characters starting with the principal's GUID bytes."""
    raw = uuid.UUID(principal_id).bytes_le + uuid.uuid5(uuid.UUID(principal_id), salt).bytes_le
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def security_identifier(object_id: str) -> str:
    """Cloud objects' SIDs are S-1-12-1- followed by the object id as four little-endian 32-bit integers."""
    a, b, c, d = _FOUR_UINT32.unpack(uuid.UUID(object_id).bytes_le)
    return f"S-1-12-1-{a}-{b}-{c}-{d}"


# --- Built-in directory roles -------------------------------------------------------------------------------

# (templateId, displayName, description, allowedResourceActions)
BUILT_IN_ROLES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra "
        "identities.",
        (
            "microsoft.directory/administrativeUnits/allProperties/allTasks",
            "microsoft.directory/applications/allProperties/allTasks",
            "microsoft.directory/conditionalAccessPolicies/allProperties/allTasks",
            "microsoft.directory/groups/allProperties/allTasks",
            "microsoft.directory/organization/allProperties/allTasks",
            "microsoft.directory/roleAssignments/allProperties/allTasks",
            "microsoft.directory/roleDefinitions/allProperties/allTasks",
            "microsoft.directory/servicePrincipals/allProperties/allTasks",
            "microsoft.directory/users/allProperties/allTasks",
            "microsoft.azure.serviceHealth/allEntities/allTasks",
            "microsoft.office365.serviceHealth/allEntities/allTasks",
        ),
    ),
    (
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "User Administrator",
        "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
        (
            "microsoft.directory/users/create",
            "microsoft.directory/users/delete",
            "microsoft.directory/users/restore",
            "microsoft.directory/users/basic/update",
            "microsoft.directory/users/manager/update",
            "microsoft.directory/users/password/update",
            "microsoft.directory/users/assignLicense",
            "microsoft.directory/groups/create",
            "microsoft.directory/groups/delete",
            "microsoft.directory/groups/members/update",
            "microsoft.directory/groups/owners/update",
        ),
    ),
    (
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        "Groups Administrator",
        "Members of this role can create/manage groups, create/manage groups settings like naming and "
        "expiration policies, and view groups activity and audit reports.",
        (
            "microsoft.directory/groups/create",
            "microsoft.directory/groups/delete",
            "microsoft.directory/groups/restore",
            "microsoft.directory/groups/basic/update",
            "microsoft.directory/groups/members/update",
            "microsoft.directory/groups/owners/update",
            "microsoft.directory/groups/dynamicMembershipRule/update",
        ),
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps.",
        (
            "microsoft.directory/applications/create",
            "microsoft.directory/applications/delete",
            "microsoft.directory/applications/credentials/update",
            "microsoft.directory/applications/owners/update",
            "microsoft.directory/servicePrincipals/create",
            "microsoft.directory/servicePrincipals/delete",
            "microsoft.directory/servicePrincipals/appRoleAssignedTo/update",
            "microsoft.directory/oAuth2PermissionGrants/allProperties/allTasks",
        ),
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
        (
            "microsoft.directory/applications/create",
            "microsoft.directory/applications/credentials/update",
            "microsoft.directory/servicePrincipals/create",
            "microsoft.directory/servicePrincipals/appRoleAssignedTo/update",
        ),
    ),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
        "Can manage Conditional Access capabilities.",
        (
            "microsoft.directory/conditionalAccessPolicies/create",
            "microsoft.directory/conditionalAccessPolicies/delete",
            "microsoft.directory/conditionalAccessPolicies/standard/read",
            "microsoft.directory/conditionalAccessPolicies/basic/update",
            "microsoft.directory/namedLocations/create",
            "microsoft.directory/namedLocations/delete",
            "microsoft.directory/namedLocations/standard/read",
            "microsoft.directory/namedLocations/basic/update",
        ),
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
        "Can read security information and reports, and manage configuration in Microsoft Entra ID and "
        "Office 365.",
        (
            "microsoft.directory/conditionalAccessPolicies/create",
            "microsoft.directory/conditionalAccessPolicies/basic/update",
            "microsoft.directory/identityProtection/allProperties/allTasks",
            "microsoft.directory/namedLocations/create",
            "microsoft.directory/auditLogs/allProperties/read",
            "microsoft.directory/signInReports/allProperties/read",
        ),
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity "
        "Management.",
        (
            "microsoft.directory/roleAssignments/allProperties/allTasks",
            "microsoft.directory/roleDefinitions/allProperties/allTasks",
            "microsoft.directory/administrativeUnits/allProperties/allTasks",
            "microsoft.directory/privilegedIdentityManagement/allProperties/allTasks",
        ),
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
        "Can access to view, set and reset authentication method information for any user (admin or "
        "non-admin).",
        (
            "microsoft.directory/users/authenticationMethods/create",
            "microsoft.directory/users/authenticationMethods/delete",
            "microsoft.directory/users/authenticationMethods/standard/read",
            "microsoft.directory/users/authenticationMethods/basic/update",
            "microsoft.directory/users/password/update",
        ),
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
        "Can access to view, set and reset authentication method information for any non-admin user.",
        (
            "microsoft.directory/users/authenticationMethods/create",
            "microsoft.directory/users/authenticationMethods/delete",
            "microsoft.directory/users/authenticationMethods/standard/restrictedRead",
            "microsoft.directory/users/authenticationMethods/basic/update",
            "microsoft.directory/users/password/update",
        ),
    ),
    (
        "0526716b-113d-4c15-b2c8-68e3c22b9f80",
        "Authentication Policy Administrator",
        "Can create and manage the authentication methods policy, tenant-wide MFA settings, password "
        "protection policy, and verifiable credentials.",
        (
            "microsoft.directory/organization/strongAuthentication/allTasks",
            "microsoft.directory/userCredentialPolicies/create",
            "microsoft.directory/userCredentialPolicies/basic/update",
        ),
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
        "Can reset passwords for non-administrators and Helpdesk Administrators.",
        (
            "microsoft.directory/users/invalidateAllRefreshTokens",
            "microsoft.directory/users/password/update",
            "microsoft.directory/users/standard/read",
        ),
    ),
    (
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Password Administrator",
        "Can reset passwords for non-administrators and Password Administrators.",
        ("microsoft.directory/users/password/update",),
    ),
    (
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Global Reader",
        "Can read everything that a Global Administrator can, but not update anything.",
        (
            "microsoft.directory/administrativeUnits/standard/read",
            "microsoft.directory/applications/standard/read",
            "microsoft.directory/conditionalAccessPolicies/standard/read",
            "microsoft.directory/groups/standard/read",
            "microsoft.directory/roleAssignments/standard/read",
            "microsoft.directory/servicePrincipals/standard/read",
            "microsoft.directory/users/standard/read",
        ),
    ),
    (
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        "Security Reader",
        "Can read security information and reports in Microsoft Entra ID and Office 365.",
        (
            "microsoft.directory/auditLogs/allProperties/read",
            "microsoft.directory/conditionalAccessPolicies/standard/read",
            "microsoft.directory/signInReports/allProperties/read",
        ),
    ),
    (
        "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
        "Security Operator",
        "Creates and manages security events.",
        (
            "microsoft.directory/identityProtection/riskyUsers/update",
            "microsoft.directory/auditLogs/allProperties/read",
        ),
    ),
    (
        "4a5d8f65-41da-4de4-8968-e035b65339cf",
        "Reports Reader",
        "Can read sign-in and audit reports.",
        (
            "microsoft.directory/auditLogs/allProperties/read",
            "microsoft.directory/signInReports/allProperties/read",
        ),
    ),
    (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
        "Can manage all aspects of the Exchange product.",
        (
            "microsoft.directory/groups.unified/create",
            "microsoft.office365.exchange/allEntities/basic/allTasks",
        ),
    ),
    (
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
        "Can manage all aspects of the SharePoint service.",
        ("microsoft.directory/groups.unified/create", "microsoft.office365.sharePoint/allEntities/allTasks"),
    ),
    (
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
        "Can manage the Microsoft Teams service.",
        ("microsoft.directory/groups.unified/create", "microsoft.teams/allEntities/allProperties/allTasks"),
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
        "Can manage all aspects of the Intune product.",
        ("microsoft.directory/devices/basic/update", "microsoft.intune/allEntities/allTasks"),
    ),
    (
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
        "Can perform common billing related tasks like updating payment information.",
        (
            "microsoft.directory/organization/basic/update",
            "microsoft.commerce.billing/allEntities/allProperties/allTasks",
        ),
    ),
    (
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        "License Administrator",
        "Can manage product licenses on users and groups.",
        ("microsoft.directory/users/assignLicense", "microsoft.directory/groups/assignLicense"),
    ),
    (
        "95e79109-95c0-4d8e-aee3-d01accf2d47b",
        "Guest Inviter",
        "Can invite guest users independent of the 'members can invite guests' setting.",
        ("microsoft.directory/users/inviteGuest", "microsoft.directory/users/standard/read"),
    ),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
        "Can manage Active Directory to Microsoft Entra cloud provisioning, Microsoft Entra Connect, "
        "pass-through authentication (PTA), password hash synchronization (PHS), seamless single sign-on "
        "(seamless SSO), and federation settings.",
        (
            "microsoft.directory/onPremisesSynchronization/standard/read",
            "microsoft.directory/domains/federation/update",
        ),
    ),
    (
        "cf1c38e5-3621-4004-a7cb-879624dced7c",
        "Application Developer",
        "Can create application registrations independent of the 'Users can register applications' setting.",
        (
            "microsoft.directory/applications/createAsOwner",
            "microsoft.directory/servicePrincipals/createAsOwner",
        ),
    ),
    (
        "9360feb5-f418-4baa-8175-e2a00bac4301",
        "Directory Writers",
        "Can read and write basic directory information. For granting access to applications, not "
        "intended for users.",
        ("microsoft.directory/groups/create", "microsoft.directory/users/basic/update"),
    ),
    (
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Directory Readers",
        "Can read basic directory information. Commonly used to grant directory read access to applications "
        "and guests.",
        (
            "microsoft.directory/administrativeUnits/standard/read",
            "microsoft.directory/applications/standard/read",
            "microsoft.directory/groups/standard/read",
            "microsoft.directory/servicePrincipals/standard/read",
            "microsoft.directory/users/standard/read",
        ),
    ),
    (
        "d29b2b05-8046-44ba-8758-1e26182fcf32",
        "Directory Synchronization Accounts",
        "Only used by Microsoft Entra Connect service.",
        ("microsoft.directory/onPremisesSynchronization/standard/read", "microsoft.directory/users/create"),
    ),
)

ROLE_IDS: dict[str, str] = {name: template for template, name, _, _ in BUILT_IN_ROLES}


def built_in_role_definitions() -> list[Obj]:
    """Built-in unifiedRoleDefinitions: id equals templateId, isBuiltIn true, tenant-wide resource scope."""
    return [
        {
            "id": template,
            "description": description,
            "displayName": name,
            "isBuiltIn": True,
            "isEnabled": True,
            "resourceScopes": ["/"],
            "templateId": template,
            "version": "1",
            "rolePermissions": [{"allowedResourceActions": list(actions), "condition": None}],
        }
        for template, name, description, actions in BUILT_IN_ROLES
    ]


# --- Microsoft Graph and other first-party service principals -----------------------------------------------

# (id, value, displayName, description) of Microsoft Graph application permissions (appRoles).
GRAPH_APP_ROLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "df021288-bdef-4463-88db-98f22de89214",
        "User.Read.All",
        "Read all users' full profiles",
        "Allows the app to read user profiles without a signed in user.",
    ),
    (
        "741f803b-c850-494e-b5df-cde7c675a1ca",
        "User.ReadWrite.All",
        "Read and write all users' full profiles",
        "Allows the app to read and update user profiles without a signed in user.",
    ),
    (
        "5b567255-7703-4780-807c-7be8301ae99b",
        "Group.Read.All",
        "Read all groups",
        "Allows the app to read group properties and memberships, and read conversations for all groups, "
        "without a signed-in user.",
    ),
    (
        "62a82d76-70ea-41e2-9197-370581804d09",
        "Group.ReadWrite.All",
        "Read and write all groups",
        "Allows the app to create groups, read all group properties and memberships, update group properties "
        "and memberships, and delete groups, without a signed-in user.",
    ),
    (
        "98830695-27a2-44f7-8c18-0c3ebc9698f6",
        "GroupMember.Read.All",
        "Read all group memberships",
        "Allows the app to read memberships and basic group properties for all groups without a "
        "signed-in user.",
    ),
    (
        "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
        "Directory.Read.All",
        "Read directory data",
        "Allows the app to read data in your organization's directory, such as users, groups and apps, "
        "without a signed-in user.",
    ),
    (
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Directory.ReadWrite.All",
        "Read and write directory data",
        "Allows the app to read and write data in your organization's directory, such as users, and groups, "
        "without a signed-in user.",
    ),
    (
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "Application.Read.All",
        "Read all applications",
        "Allows the app to read all applications and service principals without a signed-in user.",
    ),
    (
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Application.ReadWrite.All",
        "Read and write all applications",
        "Allows the app to create, read, update and delete applications and service principals without a "
        "signed-in user.",
    ),
    (
        "246dd0d5-5bd0-4def-940b-0421030a5b68",
        "Policy.Read.All",
        "Read your organization's policies",
        "Allows the app to read all your organization's policies without a signed in user.",
    ),
    (
        "01c0a623-fc9b-48e9-b794-0756f8e8f067",
        "Policy.ReadWrite.ConditionalAccess",
        "Read and write your organization's conditional access policies",
        "Allows the app to read and write your organization's conditional access policies, without a "
        "signed-in user.",
    ),
    (
        "29c18626-4985-4dcd-85c0-193eef327366",
        "Policy.ReadWrite.AuthenticationMethod",
        "Read and write all authentication method policies",
        "Allows the app to read and write all authentication method policies for the tenant, without a "
        "signed-in user.",
    ),
    (
        "fb221be6-99f2-473f-bd32-01c6a0e9ca3b",
        "Policy.ReadWrite.Authorization",
        "Read and write your organization's authorization policy",
        "Allows the app to read and write your organization's authorization policy without a signed in user.",
    ),
    (
        "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
        "RoleManagement.Read.Directory",
        "Read all directory RBAC settings",
        "Allows the app to read the role-based access control (RBAC) settings for your company's directory, "
        "without a signed-in user.",
    ),
    (
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
        "RoleManagement.ReadWrite.Directory",
        "Read and write all directory RBAC settings",
        "Allows the app to read and manage the role-based access control (RBAC) settings for your company's "
        "directory, without a signed-in user.",
    ),
    (
        "134fd756-38ce-4afd-ba33-e9623dbe66c2",
        "AdministrativeUnit.Read.All",
        "Read all administrative units",
        "Allows the app to read administrative units and administrative unit membership without a signed-in "
        "user.",
    ),
    (
        "5eb59dd3-1da2-4329-8733-9dabdc435916",
        "AdministrativeUnit.ReadWrite.All",
        "Read and write all administrative units",
        "Allows the app to create, read, update, and delete administrative units and manage "
        "administrative unit membership without a signed-in user.",
    ),
    (
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "AppRoleAssignment.ReadWrite.All",
        "Manage app permission grants and app role assignments",
        "Allows the app to manage permission grants for application permissions to any API and application "
        "assignments for any app, without a signed-in user.",
    ),
    (
        "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Manage all delegated permission grants",
        "Allows the app to manage permission grants for delegated permissions exposed by any API, without a "
        "signed-in user.",
    ),
    (
        "b0afded3-3588-46d8-8b3d-9842eff778da",
        "AuditLog.Read.All",
        "Read all audit log data",
        "Allows the app to read and query your audit log activities, without a signed-in user.",
    ),
    (
        "bf394140-e372-4bf9-a898-299cfc7564e5",
        "SecurityEvents.Read.All",
        "Read your organization's security events",
        "Allows the app to read your organization's security events without a signed-in user.",
    ),
    (
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        "Organization.Read.All",
        "Read organization information",
        "Allows the app to read the organization and related resources, without a signed-in user.",
    ),
    (
        "230c1aed-a721-4c5d-9cb4-a90514e508ef",
        "Reports.Read.All",
        "Read all usage reports",
        "Allows an app to read all service usage reports without a signed-in user.",
    ),
    (
        "dc377aa6-52d8-4e23-b271-2a7ae04cedf3",
        "DeviceManagementConfiguration.Read.All",
        "Read Microsoft Intune device configuration and policies",
        "Allows the app to read properties of Microsoft Intune-managed device configuration and device "
        "compliance policies and their assignment to groups, without a signed-in user.",
    ),
    (
        "9241abd9-d0e6-425a-bd4f-47ba86e767a4",
        "DeviceManagementConfiguration.ReadWrite.All",
        "Read and write Microsoft Intune device configuration and policies",
        "Allows the app to read and write properties of Microsoft Intune-managed device configuration and "
        "device compliance policies and their assignment to groups, without a signed-in user.",
    ),
    (
        "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
        "Mail.Read",
        "Read mail in all mailboxes",
        "Allows the app to read mail in all mailboxes without a signed-in user.",
    ),
)
GRAPH_ROLE_IDS: dict[str, str] = {value: rid for rid, value, _, _ in GRAPH_APP_ROLES}

# (id, value, adminConsentDisplayName, type) of delegated permissions (oauth2PermissionScopes).
GRAPH_SCOPES: tuple[tuple[str, str, str, str], ...] = (
    ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read", "Sign in and read user profile", "User"),
    ("37f7f235-527c-4136-accd-4a02d197296e", "openid", "Sign users in", "User"),
    ("14dad69e-099b-42c9-810b-d002981feec1", "profile", "View users' basic profile", "User"),
    ("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "email", "View users' email address", "User"),
    (
        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        "offline_access",
        "Maintain access to data you have given it access to",
        "User",
    ),
    ("b340eb25-3456-403f-be2f-af7a0d370277", "User.ReadBasic.All", "Read all users' basic profiles", "User"),
    ("06da0dbc-49e2-44d2-8312-53f166ab848a", "Directory.Read.All", "Read directory data", "Admin"),
    ("5f8c59db-677d-491f-a6b8-5f174b11ec1d", "Group.Read.All", "Read all groups", "Admin"),
    ("570282fd-fa5c-430d-a7fd-fc8dc98a9dca", "Mail.Read", "Read user mail", "User"),
    ("465a38f9-76ea-45b9-9f34-9e8b0d4b0b42", "Calendars.Read", "Read user calendars", "User"),
)
GRAPH_SCOPE_IDS: dict[str, str] = {value: sid for sid, value, _, _ in GRAPH_SCOPES}

# The application permissions the entragit app registration holds in the sandbox (backup and restore).
ENTRAGIT_GRAPH_ROLES = (
    "Directory.Read.All",
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "Application.ReadWrite.All",
    "Policy.Read.All",
    "Policy.ReadWrite.ConditionalAccess",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.ReadWrite.Authorization",
    "RoleManagement.ReadWrite.Directory",
    "AdministrativeUnit.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "AuditLog.Read.All",
    "SecurityEvents.Read.All",
    "Organization.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
)


def user_extras(licenses: list[Obj], when: str | None) -> Obj:
    """Properties Graph returns for every user on $select that generated users would otherwise lack."""
    return {
        "authorizationInfo": {"certificateUserIds": []},
        "consentProvidedForMinor": None,
        "employeeLeaveDateTime": None,
        "employeeOrgData": None,
        "faxNumber": None,
        "imAddresses": [],
        "isResourceAccount": None,
        "legalAgeGroupClassification": None,
        "licenseAssignmentStates": [
            {
                "assignedByGroup": None,
                "disabledPlans": [],
                "error": "None",
                "lastUpdatedDateTime": when,
                "skuId": lic["skuId"],
                "state": "Active",
            }
            for lic in licenses
        ],
        "onPremisesProvisioningErrors": [],
        "preferredDataLocation": None,
        "serviceProvisioningErrors": [],
        "showInAddressList": None,
    }


def app_extras() -> Obj:
    """Application properties Graph returns (mostly null) that a generated app registration would lack."""
    return {
        "certification": None,
        "defaultRedirectUri": None,
        "oauth2RequirePostResponse": False,
        "requestSignatureVerification": None,
        "samlMetadataUrl": None,
        "servicePrincipalLockConfiguration": {
            "isEnabled": True,
            "allProperties": True,
            "credentialsWithUsageVerify": True,
            "credentialsWithUsageSign": True,
            "tokenEncryptionKeyId": True,
        },
        "uniqueName": None,
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }


def sp_extras() -> Obj:
    """Service principal properties Graph returns (mostly null) that a generated one would lack."""
    return {
        "applicationTemplateId": None,
        "disabledByMicrosoftStatus": None,
        "loginUrl": None,
        "notificationEmailAddresses": [],
        "preferredTokenSigningKeyThumbprint": None,
        "resourceSpecificApplicationPermissions": [],
        "samlSingleSignOnSettings": None,
        "tokenEncryptionKeyId": None,
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }


def _empty_info() -> Obj:
    return {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    }


def first_party_service_principal(sp_id: str, app_id: str, name: str, names: list[str]) -> Obj:
    """A Microsoft-owned enterprise app as it appears in a customer tenant."""
    return {
        "id": sp_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "appDisplayName": name,
        "appId": app_id,
        "appOwnerOrganizationId": MICROSOFT_TENANT_ID,
        "appRoleAssignmentRequired": False,
        "displayName": name,
        "homepage": None,
        "logoutUrl": None,
        "notes": None,
        "preferredSingleSignOnMode": None,
        "replyUrls": [],
        "servicePrincipalNames": names,
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": [],
        "addIns": [],
        "alternativeNames": [],
        "appRoles": [],
        "info": _empty_info(),
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        **sp_extras(),
    }


def graph_service_principal(sp_id: str) -> Obj:
    sp = first_party_service_principal(
        sp_id,
        GRAPH_APP_ID,
        "Microsoft Graph",
        [
            "https://graph.microsoft.com",
            GRAPH_APP_ID,
            "https://graph.microsoft.com/",
            "https://canary.graph.microsoft.com",
        ],
    )
    sp["appRoles"] = [
        {
            "allowedMemberTypes": ["Application"],
            "description": description,
            "displayName": display,
            "id": rid,
            "isEnabled": True,
            "origin": "Application",
            "value": value,
        }
        for rid, value, display, description in GRAPH_APP_ROLES
    ]
    sp["oauth2PermissionScopes"] = [
        {
            "adminConsentDescription": f"Allows the app to {display[0].lower()}{display[1:]}.",
            "adminConsentDisplayName": display,
            "id": sid,
            "isEnabled": True,
            "type": kind,
            "userConsentDescription": f"Allows the app to {display[0].lower()}{display[1:]}.",
            "userConsentDisplayName": display,
            "value": value,
        }
        for sid, value, display, kind in GRAPH_SCOPES
    ]
    return sp


# --- Licences -----------------------------------------------------------------------------------------------

# (skuId, skuPartNumber, prepaid seats per 100 users (minimum applies), [(servicePlanId, servicePlanName)])
SKUS: tuple[tuple[str, str, int, tuple[tuple[str, str], ...]], ...] = (
    (
        "6fd2c87f-b296-42f0-b197-1e91e994b900",
        "ENTERPRISEPACK",
        95,
        (
            ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE"),
            ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE"),
            ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"),
            ("0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "MCOSTANDARD"),
        ),
    ),
    (
        "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
        "AAD_PREMIUM",
        95,
        (
            ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
            ("8a256a2b-b617-496d-b51b-e76466e88db0", "MFA_PREMIUM"),
        ),
    ),
    (
        "efccb6f7-5641-4e0e-bd10-b4976e1bf68e",
        "EMS",
        20,
        (
            ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
            ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A"),
            ("8a256a2b-b617-496d-b51b-e76466e88db0", "MFA_PREMIUM"),
        ),
    ),
    (
        "f30db892-07e9-47e9-837c-80727f46fd3d",
        "FLOW_FREE",
        10000,
        (("50e68c76-46c6-4674-81f9-75456511b170", "FLOW_P2_VIRAL"),),
    ),
)
SKU_IDS: dict[str, str] = {part: sku for sku, part, _, _ in SKUS}


def subscribed_skus(tenant_id: str, users: list[Obj]) -> list[Obj]:
    """One subscribedSku per product, consumedUnits counted from the users' assignedLicenses."""
    consumed: Counter[str] = Counter()
    for user in users:
        for lic in user.get("assignedLicenses") or ():
            consumed[lic.get("skuId")] += 1
    members = max(1, sum(1 for u in users if u.get("userType", "Member") != "Guest"))
    out = []
    for sku_id, part, per_hundred, plans in SKUS:
        used = consumed.get(sku_id, 0)
        prepaid = max(used + max(2, used // 20), -(-members * per_hundred // 100), 25)
        if part == "FLOW_FREE":
            prepaid = 10000
        out.append(
            {
                "accountId": tenant_id,
                "accountName": SANDBOX_ORG_NAME,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": used,
                "id": f"{tenant_id}_{sku_id}",
                "prepaidUnits": {"enabled": prepaid, "lockedOut": 0, "suspended": 0, "warning": 0},
                "servicePlans": [
                    {
                        "servicePlanId": pid,
                        "servicePlanName": pname,
                        "provisioningStatus": "Success",
                        "appliesTo": "User",
                    }
                    for pid, pname in plans
                ],
                "skuId": sku_id,
                "skuPartNumber": part,
                "subscriptionIds": [stable_id(tenant_id, f"subscription:{part}")],
            }
        )
    return out


# --- Secure score -------------------------------------------------------------------------------------------

_CONTROLS = (
    (
        "Identity",
        "AdminMFAV2",
        "Ensure multifactor authentication is enabled for all users in administrative roles",
        10.0,
    ),
    ("Identity", "MFARegistrationV2", "Ensure all users can complete multifactor authentication", 9.0),
    (
        "Identity",
        "BlockLegacyAuthentication",
        "Enable Conditional Access policies to block legacy authentication",
        8.0,
    ),
    ("Identity", "SigninRiskPolicy", "Turn on sign-in risk policy", 7.0),
    ("Identity", "PWAgePolicyNew", "Set the password expiration policy to never expire", 8.0),
    ("Apps", "IntegratedApps", "Do not allow users to grant consent to unreliable applications", 4.0),
    ("Data", "DLPEnabled", "Create Data Loss Prevention (DLP) policies", 3.0),
    ("Device", "IntuneCompliance", "Require devices to be marked as compliant", 5.0),
)


def secure_scores(
    tenant_id: str, now: datetime, active_users: int, licensed_users: int, days: int = 30
) -> list[Obj]:
    """A daily history, newest first, drifting upward as an admin works through the recommendations."""
    max_score = sum(c[3] for c in _CONTROLS) * 10.0
    out = []
    for back in range(days):
        day = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        progress = (days - back) / days
        controls: list[Obj] = []
        for index, (category, name, description, weight) in enumerate(_CONTROLS):
            achieved = min(1.0, 0.35 + 0.6 * progress * ((index % 3) + 1) / 3)
            controls.append(
                {
                    "controlCategory": category,
                    "controlName": name,
                    "description": description,
                    "score": round(weight * 10.0 * achieved, 2),
                }
            )
        out.append(
            {
                "id": f"{tenant_id}_{day:%Y-%m-%d}",
                "azureTenantId": tenant_id,
                "activeUserCount": active_users,
                "createdDateTime": iso(day),
                "currentScore": round(sum(c["score"] for c in controls), 2),
                "enabledServices": ["HasExchange", "HasSharePoint", "HasOD4B", "HasMCAS", "HasInTune"],
                "licensedUserCount": licensed_users,
                "maxScore": max_score,
                "averageComparativeScores": [
                    {"basis": "AllTenants", "averageScore": 37.21},
                    {"basis": "TotalSeats", "averageScore": 41.68},
                    {"basis": "IndustryTypes", "averageScore": 45.02},
                ],
                "controlScores": controls,
                "vendorInformation": {
                    "provider": "SecureScore",
                    "providerVersion": None,
                    "subProvider": None,
                    "vendor": "Microsoft",
                },
            }
        )
    return out


# --- Policy singletons --------------------------------------------------------------------------------------


def authentication_methods_policy(now: datetime) -> Obj:
    all_users = {"targetType": "group", "id": "all_users", "isRegistrationRequired": False}
    return {
        "id": "authenticationMethodsPolicy",
        "displayName": "Authentication Methods Policy",
        "description": "The tenant-wide policy that controls which authentication methods are allowed in the "
        "tenant, authentication method registration requirements, and self-service password reset settings",
        "lastModifiedDateTime": iso7(now - timedelta(days=41, hours=3)),
        "policyVersion": "1.5",
        "policyMigrationState": "migrationComplete",
        "reconfirmationInDays": 0,
        "registrationEnforcement": {
            "authenticationMethodsRegistrationCampaign": {
                "snoozeDurationInDays": 1,
                "state": "default",
                "excludeTargets": [],
                "includeTargets": [
                    {
                        "id": "all_users",
                        "targetType": "group",
                        "targetedAuthenticationMethod": "microsoftAuthenticator",
                    }
                ],
            }
        },
        "authenticationMethodConfigurations": [
            {
                "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
                "id": "Fido2",
                "state": "enabled",
                "isSelfServiceRegistrationAllowed": True,
                "isAttestationEnforced": True,
                "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
                "includeTargets": [dict(all_users)],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration",
                "id": "MicrosoftAuthenticator",
                "state": "enabled",
                "isSoftwareOathEnabled": False,
                "featureSettings": {
                    "displayAppInformationRequiredState": {
                        "state": "enabled",
                        "includeTarget": {"targetType": "group", "id": "all_users"},
                        "excludeTarget": {
                            "targetType": "group",
                            "id": "00000000-0000-0000-0000-000000000000",
                        },
                    },
                    "displayLocationInformationRequiredState": {
                        "state": "enabled",
                        "includeTarget": {"targetType": "group", "id": "all_users"},
                        "excludeTarget": {
                            "targetType": "group",
                            "id": "00000000-0000-0000-0000-000000000000",
                        },
                    },
                },
                "includeTargets": [dict(all_users, authenticationMode="any")],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
                "id": "Sms",
                "state": "disabled",
                "includeTargets": [dict(all_users, isUsableForSignIn=False)],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
                "id": "TemporaryAccessPass",
                "state": "enabled",
                "defaultLifetimeInMinutes": 60,
                "defaultLength": 8,
                "minimumLifetimeInMinutes": 60,
                "maximumLifetimeInMinutes": 480,
                "isUsableOnce": False,
                "includeTargets": [dict(all_users)],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
                "id": "SoftwareOath",
                "state": "disabled",
                "includeTargets": [dict(all_users)],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.voiceAuthenticationMethodConfiguration",
                "id": "Voice",
                "state": "disabled",
                "isOfficePhoneAllowed": False,
                "includeTargets": [dict(all_users)],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.emailAuthenticationMethodConfiguration",
                "id": "Email",
                "state": "enabled",
                "allowExternalIdToUseEmailOtp": "default",
                "includeTargets": [],
                "excludeTargets": [],
            },
            {
                "@odata.type": "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration",
                "id": "X509Certificate",
                "state": "disabled",
                "certificateUserBindings": [
                    {
                        "x509CertificateField": "PrincipalName",
                        "userProperty": "userPrincipalName",
                        "priority": 1,
                    },
                    {
                        "x509CertificateField": "RFC822Name",
                        "userProperty": "userPrincipalName",
                        "priority": 2,
                    },
                ],
                "authenticationModeConfiguration": {
                    "x509CertificateAuthenticationDefaultMode": "x509CertificateSingleFactor",
                    "rules": [],
                },
                "includeTargets": [dict(all_users)],
                "excludeTargets": [],
            },
        ],
    }


AZURE_PORTAL = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"  # the Azure portal's application id


# resources/permissiongrantconditionset.md: each property's default.
CONDITION_DEFAULTS: dict[str, Any] = {
    "permissionClassification": "all",
    "resourceApplication": "any",
    "permissions": ["all"],
    "clientApplicationIds": ["all"],
    "clientApplicationTenantIds": ["all"],
    "clientApplicationPublisherIds": ["all"],
    "clientApplicationsFromVerifiedPublisherOnly": False,
}


def built_in_permission_grant_policies() -> list[dict[str, Any]]:
    """Two of the built-in policies every tenant has (ids and shape of permissiongrantpolicy-list.md's
    response), so that a listing holds ones a backup must leave out."""

    def condition(set_id: str, kind: str, classification: str = "all") -> dict[str, Any]:
        return {
            **CONDITION_DEFAULTS,
            "id": set_id,
            "permissionType": kind,
            "permissionClassification": classification,
        }

    return [
        {
            "id": "microsoft-company-admin",
            "deletedDateTime": None,
            "displayName": "Company Admin Policy",
            "description": "Permissions consentable by Company Administrators.",
            "includes": [
                condition("1f06f3a1-42d3-4243-8fbc-5d0c30d4de4c", "application"),
                condition("08619a19-ae6f-406c-b9a0-ea6af1f1558d", "delegated"),
            ],
            "excludes": [],
        },
        {
            "id": "microsoft-user-default-low",
            "deletedDateTime": None,
            "displayName": "Default User Low Policy",
            "description": "All low risk permissions that are consentable by members.",
            "includes": [
                condition("3e3ea1b7-9f6b-4fb5-8b80-64bb56a1a9b2", "delegatedUserConsentable", "low")
            ],
            "excludes": [],
        },
    ]


def verified_low_risk_policy(set_id: str) -> Obj:
    """A custom permission grant policy: low-risk delegated permissions for apps of verified publishers,
    Microsoft's example of a custom consent policy (resources/permissiongrantconditionset.md)."""
    return {
        "id": "verified-low-risk",
        "deletedDateTime": None,
        "displayName": "Low-risk apps of verified publishers",
        "description": "Users may consent to low-risk delegated permissions of verified publishers' apps.",
        "includes": [
            {
                **CONDITION_DEFAULTS,
                "id": set_id,
                "permissionType": "delegated",
                "permissionClassification": "low",
                "clientApplicationsFromVerifiedPublisherOnly": True,
            }
        ],
        "excludes": [],
    }


def idle_timeout_policy(oid: str) -> Obj:
    """An activity-based timeout policy signing web sessions out after an idle hour, the Azure portal's after
    15 minutes (the definition example of resources/activitybasedtimeoutpolicy.md)."""
    rules = {
        "ActivityBasedTimeoutPolicy": {
            "Version": 1,
            "ApplicationPolicies": [
                {"ApplicationId": "default", "WebSessionIdleTimeout": "01:00:00"},
                {
                    "ApplicationId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
                    "WebSessionIdleTimeout": "00:15:00",
                },
            ],
        }
    }
    return {
        "id": oid,
        "deletedDateTime": None,
        "definition": [json.dumps(rules, separators=(",", ":"))],
        "description": None,
        "displayName": "Idle session sign-out",
        "isOrganizationDefault": True,
    }


GUEST_TEMPLATE = "08d542b9-071f-4e16-94b0-74abb372e3d9"  # Group.Unified.Guest
UNIFIED_TEMPLATE = "62375ab9-6b52-47ed-826b-58e47e0e304b"  # Group.Unified
PASSWORD_TEMPLATE = "5cf42378-d67d-4f36-ba46-e8b86229381d"  # Password Rule Settings

_B, _S, _I, _G = "System.Boolean", "System.String", "System.Int32", "System.Guid"


def _template(oid: str, name: str, description: str, *values: tuple[str, str, str, str]) -> Obj:
    return {
        "id": oid,
        "deletedDateTime": None,
        "displayName": name,
        "description": description,
        "values": [{"name": n, "type": t, "defaultValue": d, "description": w} for n, t, d, w in values],
    }


def group_setting_templates() -> list[Obj]:
    """The setting templates every tenant has (Microsoft's ids; the settings of Group.Unified and Password
    Rule Settings as the Entra group settings and password protection pages list them)."""
    return [
        _template(
            UNIFIED_TEMPLATE,
            "Group.Unified",
            "Settings of Unified Groups.",
            ("CustomBlockedWordsList", _S, "", "Comma-separated blocked words for group names and aliases."),
            ("EnableMSStandardBlockedWords", _B, "false", "Whether Microsoft's blocked words apply."),
            ("ClassificationDescriptions", _S, "", "Descriptions of the classifications."),
            ("DefaultClassification", _S, "", "The classification of a new group."),
            ("PrefixSuffixNamingRequirement", _S, "", "The naming policy of group names."),
            ("AllowGuestsToBeGroupOwner", _B, "false", "Whether a guest may own a group."),
            ("AllowGuestsToAccessGroups", _B, "true", "Whether guests may access group content."),
            ("GuestUsageGuidelinesUrl", _S, "", "The guest usage guidelines."),
            ("GroupCreationAllowedGroupId", _G, "", "The security group whose members may create groups."),
            ("AllowToAddGuests", _B, "true", "Whether guests may be added to groups."),
            ("UsageGuidelinesUrl", _S, "", "The group usage guidelines."),
            ("ClassificationList", _S, "", "Comma-separated classification values."),
            ("EnableGroupCreation", _B, "true", "Whether users who are no admins may create groups."),
            ("NewUnifiedGroupWritebackDefault", _B, "true", "Whether new groups are written back."),
            ("EnableMIPLabels", _B, "false", "Whether sensitivity labels may be assigned to groups."),
        ),
        _template(
            GUEST_TEMPLATE,
            "Group.Unified.Guest",
            "Settings for a specific Unified Group",
            (
                "AllowToAddGuests",
                _B,
                "true",
                "Whether guests are allowed in this group.",
            ),
        ),
        _template(
            PASSWORD_TEMPLATE,
            "Password Rule Settings",
            "Tenant-wide password rule settings.",
            ("BannedPasswordCheckOnPremisesMode", _S, "Audit", "Audit or Enforce on premises."),
            ("EnableBannedPasswordCheckOnPremises", _B, "true", "Whether the check runs on premises."),
            ("EnableBannedPasswordCheck", _B, "true", "Whether the custom banned password list is enforced."),
            ("LockoutDurationInSeconds", _I, "60", "The first lockout's duration in seconds."),
            ("LockoutThreshold", _I, "10", "Failed sign-ins before an account is locked out."),
            ("BannedPasswordList", _S, "", "The custom banned passwords, separated by tabs."),
        ),
        _template(
            "80661d51-be2f-4d46-9713-98a2fcaec5bc",
            "Prohibited Names Settings",
            "Tenant-wide prohibited names settings.",
            ("CustomBlockedSubStringsList", _S, "", "Substrings blocked in application display names."),
            ("CustomBlockedWholeWordsList", _S, "", "Words blocked in application display names."),
        ),
    ]


def group_setting(oid: str, template_id: str, **values: str) -> Obj:
    """A tenant-wide setting of one template: its defaults, with `values` where given (as a setting created
    from the template has them: group-post-settings.md)."""
    template = next(t for t in group_setting_templates() if t["id"] == template_id)
    return {
        "id": oid,
        "displayName": template["displayName"],
        "templateId": template_id,
        "values": [
            {"name": v["name"], "value": values.get(v["name"], v["defaultValue"])} for v in template["values"]
        ],
    }


def tenant_policies() -> dict[str, Obj]:
    """The tenant-wide policy singletons as a new tenant has them: security defaults on (Microsoft enables
    them in every tenant created since 2019: the get page's example), self-service sign-up as the get page
    shows it, and the admin consent workflow off without reviewers (the get page's shape)."""
    return {
        "policies/identitySecurityDefaultsEnforcementPolicy": {
            "id": "00000000-0000-0000-0000-000000000005",
            "displayName": "Security Defaults",
            "description": "Security defaults is a set of basic identity security mechanisms recommended by "
            "Microsoft. When enabled, these recommendations will be automatically enforced in your "
            "organization.",
            "isEnabled": True,
        },
        "policies/authenticationFlowsPolicy": {
            "id": "authenticationFlowsPolicy",
            "displayName": "Authentication flows policy",
            "description": "Authentication flows policy allows modification of settings related to "
            "authentication flows in AAD tenant, such as self-service sign up configuration.",
            "selfServiceSignUp": {"isEnabled": True},
        },
        # resources/tenantappmanagementpolicy.md: the tenant default, off until an admin turns it on
        # (tenantappmanagementpolicy-update.md: isEnabled "Default value is false").
        "policies/defaultAppManagementPolicy": {
            "id": "00000000-0000-0000-0000-000000000000",
            "displayName": "Default app management tenant policy",
            "description": "Default tenant policy that enforces app management restrictions on applications "
            "and service principals.",
            "isEnabled": False,
            "applicationRestrictions": {"passwordCredentials": [], "keyCredentials": []},
            "servicePrincipalRestrictions": {"passwordCredentials": [], "keyCredentials": []},
        },
        "policies/adminConsentRequestPolicy": {
            "isEnabled": False,
            "notifyReviewers": False,
            "remindersEnabled": False,
            "requestDurationInDays": 0,
            "reviewers": [],
            "version": 0,
        },
    }


def authorization_policy() -> Obj:
    return {
        "id": "authorizationPolicy",
        "allowInvitesFrom": "adminsAndGuestInviters",
        "allowedToSignUpEmailBasedSubscriptions": True,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": False,
        "allowUserConsentForRiskyApps": False,
        "blockMsolPowerShell": True,
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": False,
            "allowedToCreateSecurityGroups": True,
            "allowedToCreateTenants": False,
            "allowedToReadBitlockerKeysForOwnedDevice": True,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": ["ManagePermissionGrantsForSelf.microsoft-user-default-low"],
        },
    }


# --- Authentication strengths (built in) --------------------------------------------------------------------

_MFA_COMBINATIONS = [
    "windowsHelloForBusiness",
    "fido2",
    "x509CertificateMultiFactor",
    "deviceBasedPush",
    "temporaryAccessPassOneTime",
    "temporaryAccessPassMultiUse",
    "password,microsoftAuthenticatorPush",
    "password,softwareOath",
    "password,hardwareOath",
    "password,sms",
    "password,voice",
    "federatedMultiFactor",
    "microsoftAuthenticatorPush,federatedSingleFactor",
    "softwareOath,federatedSingleFactor",
    "hardwareOath,federatedSingleFactor",
    "sms,federatedSingleFactor",
    "voice,federatedSingleFactor",
]


def built_in_authentication_strengths(now: datetime) -> list[Obj]:
    """The three strengths Microsoft ships in every tenant (policyType builtIn, fixed ids)."""
    created = iso7(datetime(2022, 10, 14, 0, 0, tzinfo=timezone.utc))
    rows = (
        (
            "00000000-0000-0000-0000-000000000002",
            "Multifactor authentication",
            "Combinations of methods that satisfy strong authentication, such as a password + SMS",
            _MFA_COMBINATIONS,
        ),
        (
            "00000000-0000-0000-0000-000000000003",
            "Passwordless MFA",
            "Passwordless methods that satisfy strong authentication, such as Passwordless sign-in with the "
            "Microsoft Authenticator",
            ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush"],
        ),
        (
            "00000000-0000-0000-0000-000000000004",
            "Phishing-resistant MFA",
            "Phishing-resistant, Passwordless methods for the strongest authentication, such as a FIDO2 "
            "security key",
            ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
        ),
    )
    return [
        {
            "id": pid,
            "createdDateTime": created,
            "modifiedDateTime": created,
            "displayName": name,
            "description": description,
            "policyType": "builtIn",
            "requirementsSatisfied": "mfa",
            "allowedCombinations": list(combos),
        }
        for pid, name, description, combos in rows
    ]


# --- Completion ---------------------------------------------------------------------------------------------


def _infer_domain(users: list[Obj]) -> str:
    counts: Counter[str] = Counter()
    for user in users[:2000]:
        upn = str(user.get("userPrincipalName") or "")
        if "@" in upn and "#EXT#" not in upn.upper():
            counts[upn.rsplit("@", 1)[1].lower()] += 1
    return counts.most_common(1)[0][0] if counts else SANDBOX_DOMAIN


def organization(tenant_id: str, domain: str, name: str, now: datetime) -> Obj:
    created = now - timedelta(days=1130, hours=5, minutes=17)
    return {
        "id": tenant_id,
        "deletedDateTime": None,
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": None,
        "countryLetterCode": "US",
        "createdDateTime": iso(created),
        "defaultUsageLocation": "US",
        "displayName": name,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": iso(now - timedelta(minutes=23)),
        "onPremisesSyncEnabled": True,
        "partnerTenantType": None,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": "WA",
        "street": "One Microsoft Way",
        "technicalNotificationMails": [f"it-admins@{domain}"],
        "tenantType": "AAD",
        "assignedPlans": [
            {
                "assignedDateTime": iso(created + timedelta(minutes=9)),
                "capabilityStatus": "Enabled",
                "service": service,
                "servicePlanId": plan_id,
            }
            for plan_id, service in (
                ("efb87545-963c-4e0d-99df-69c6916d9eb0", "exchange"),
                ("5dbe027f-2339-4123-9542-606e4d348a72", "SharePoint"),
                ("57ff2da0-773e-42df-b2af-ffb7a2317929", "TeamspaceAPI"),
                ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AADPremiumService"),
                ("8a256a2b-b617-496d-b51b-e76466e88db0", "MultiFactorService"),
            )
        ],
        "privacyProfile": {"contactEmail": f"privacy@{domain}", "statementUrl": ""},
        "provisionedPlans": [
            {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": "exchange"},
            {"capabilityStatus": "Enabled", "provisioningStatus": "Success", "service": "SharePoint"},
        ],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": True,
                "isInitial": True,
                "name": domain,
                "type": "Managed",
            }
        ],
    }


def entragit_application(tenant_id: str, app_object_id: str, domain: str, now: datetime) -> Obj:
    created = now - timedelta(days=12, hours=4, minutes=2)
    return {
        "id": app_object_id,
        "deletedDateTime": None,
        "appId": SANDBOX_CLIENT_ID,
        "applicationTemplateId": None,
        "createdDateTime": iso(created),
        "description": "Backs up this tenant's configuration to git and restores it (entragit).",
        "disabledByMicrosoftStatus": None,
        "displayName": "entragit",
        "groupMembershipClaims": None,
        "identifierUris": [],
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": None,
        "notes": None,
        "publisherDomain": domain,
        "serviceManagementReference": None,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": 2,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": [],
        },
        "appRoles": [],
        "info": _empty_info(),
        "keyCredentials": [],
        "optionalClaims": None,
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [
            {
                "customKeyIdentifier": None,
                "displayName": "sandbox",
                "endDateTime": iso7(created + timedelta(days=180)),
                "hint": "snd",
                "keyId": stable_id(tenant_id, "entragit:secret"),
                "secretText": None,
                "startDateTime": iso7(created),
            }
        ],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [
            {
                "resourceAppId": GRAPH_APP_ID,
                "resourceAccess": [{"id": GRAPH_ROLE_IDS[r], "type": "Role"} for r in ENTRAGIT_GRAPH_ROLES],
            }
        ],
        "spa": {"redirectUris": []},
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [],
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
        },
        **app_extras(),
    }


def app_service_principal(app: Obj, sp_id: str, tenant_id: str) -> Obj:
    """The enterprise app (service principal) of an app registration in its home tenant."""
    return {
        "id": sp_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "appDisplayName": app.get("displayName"),
        "appDescription": app.get("description"),
        "appId": app["appId"],
        "appOwnerOrganizationId": tenant_id,
        "appRoleAssignmentRequired": False,
        "description": None,
        "displayName": app.get("displayName"),
        "homepage": (app.get("web") or {}).get("homePageUrl"),
        "logoutUrl": None,
        "notes": None,
        "preferredSingleSignOnMode": None,
        "replyUrls": list((app.get("web") or {}).get("redirectUris") or []),
        "servicePrincipalNames": [app["appId"], *list(app.get("identifierUris") or [])],
        "servicePrincipalType": "Application",
        "signInAudience": app.get("signInAudience", "AzureADMyOrg"),
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
        "addIns": [],
        "alternativeNames": [],
        "appRoles": [dict(r) for r in app.get("appRoles") or []],
        "info": _empty_info(),
        "keyCredentials": [],
        "oauth2PermissionScopes": [
            dict(s) for s in (app.get("api") or {}).get("oauth2PermissionScopes") or []
        ],
        "passwordCredentials": [],
        **sp_extras(),
    }


def domain_of(seed: Obj) -> str:
    """The tenant's initial domain: from the organization record, else the users' UPNs, else the default."""
    return _tenant_of(seed)[1]


def _tenant_of(seed: Obj) -> tuple[str, str, str]:
    orgs = seed.get("organization") or []
    if orgs:
        org = orgs[0]
        tenant_id = str(org.get("id") or SANDBOX_TENANT_ID)
        domains = org.get("verifiedDomains") or []
        initial = next((d for d in domains if d.get("isInitial")), domains[0] if domains else None)
        domain = str(initial["name"]) if initial else _infer_domain(seed.get("users") or [])
        return tenant_id, domain, str(org.get("displayName") or SANDBOX_ORG_NAME)
    domain = _infer_domain(seed.get("users") or [])
    name = SANDBOX_ORG_NAME if domain == SANDBOX_DOMAIN else domain.split(".")[0].capitalize()
    return SANDBOX_TENANT_ID, domain, name


def complete(seed: Obj, now: datetime | None = None) -> Obj:
    """Return a new seed holding everything `seed` has plus what every tenant has; `seed` is not modified.

    Only the top level and the collections that grow are copied; objects already in the seed are shared with
    the result, which keeps completing a 100k-user seed cheap.
    """
    now = now or seed_clock()
    out: Obj = dict(seed)
    tenant_id, domain, org_name = _tenant_of(seed)
    users = list(seed.get("users") or [])

    if not seed.get("organization"):
        out["organization"] = [organization(tenant_id, domain, org_name, now)]
    elif not seed["organization"][0].get("verifiedDomains"):
        # The sandbox finds the tenant's domain through verifiedDomains; a hand-written org may omit it.
        org = dict(seed["organization"][0])
        org["verifiedDomains"] = organization(tenant_id, domain, org_name, now)["verifiedDomains"]
        out["organization"] = [org, *seed["organization"][1:]]

    role_defs = list(seed.get("roleManagement/directory/roleDefinitions") or [])
    have = {str(r.get("templateId") or r.get("id")) for r in role_defs}
    role_defs[:0] = [r for r in built_in_role_definitions() if r["id"] not in have]
    # resources/unifiedroledefinition.md (2026): deletedDateTime is null for active role definitions.
    out["roleManagement/directory/roleDefinitions"] = [{"deletedDateTime": None, **r} for r in role_defs]
    # One PIM role setting per role, as Entra keeps them (role_settings.py).
    if not seed.get("policies/roleManagementPolicies"):
        out["policies/roleManagementPolicies"] = [role_settings.policy(tenant_id, r["id"]) for r in role_defs]
    if not seed.get("policies/roleManagementPolicyAssignments"):
        out["policies/roleManagementPolicyAssignments"] = [
            role_settings.policy_assignment(tenant_id, r["id"]) for r in role_defs
        ]

    sps = list(seed.get("servicePrincipals") or [])
    apps = list(seed.get("applications") or [])
    by_app_id = {sp.get("appId"): sp for sp in sps}
    graph_sp = by_app_id.get(GRAPH_APP_ID)
    if graph_sp is None:
        graph_sp = graph_service_principal(stable_id(tenant_id, "sp:microsoft-graph"))
        sps.insert(0, graph_sp)
    for app_id, name, names in (
        (EXCHANGE_APP_ID, "Office 365 Exchange Online", ["https://outlook.office365.com/", EXCHANGE_APP_ID]),
        (
            SHAREPOINT_APP_ID,
            "Office 365 SharePoint Online",
            ["https://microsoft.sharepoint-df.com", SHAREPOINT_APP_ID],
        ),
    ):
        if app_id not in by_app_id:
            sps.insert(
                1, first_party_service_principal(stable_id(tenant_id, f"sp:{app_id}"), app_id, name, names)
            )

    if not any(a.get("appId") == SANDBOX_CLIENT_ID for a in apps):
        apps.insert(0, entragit_application(tenant_id, stable_id(tenant_id, "app:entragit"), domain, now))
    entragit_sp = by_app_id.get(SANDBOX_CLIENT_ID)
    if entragit_sp is None:
        app = next(a for a in apps if a.get("appId") == SANDBOX_CLIENT_ID)
        entragit_sp = app_service_principal(app, stable_id(tenant_id, "sp:entragit"), tenant_id)
        sps.append(entragit_sp)
    granted = {(a.get("principalId"), a.get("appRoleId")) for a in graph_sp.get("appRoleAssignedTo") or []}
    missing = [
        GRAPH_ROLE_IDS[r]
        for r in ENTRAGIT_GRAPH_ROLES
        if (entragit_sp["id"], GRAPH_ROLE_IDS[r]) not in granted
    ]
    if missing:
        graph_index = next(i for i, sp in enumerate(sps) if sp.get("appId") == GRAPH_APP_ID)
        graph_sp = dict(graph_sp)  # never mutate an object the caller owns
        sps[graph_index] = graph_sp
        assigned = list(graph_sp.get("appRoleAssignedTo") or [])
        when = now - timedelta(days=12, hours=3, minutes=55)
        for role_id in missing:
            assigned.append(
                {
                    "id": app_role_assignment_id(entragit_sp["id"], role_id),
                    "deletedDateTime": None,
                    "appRoleId": role_id,
                    "createdDateTime": iso7(when),
                    "principalDisplayName": entragit_sp.get("displayName", "entragit"),
                    "principalId": entragit_sp["id"],
                    "principalType": "ServicePrincipal",
                    "resourceDisplayName": "Microsoft Graph",
                    "resourceId": graph_sp["id"],
                }
            )
        graph_sp["appRoleAssignedTo"] = assigned
    out["applications"] = apps
    out["servicePrincipals"] = sps

    if not seed.get("subscribedSkus"):
        out["subscribedSkus"] = subscribed_skus(tenant_id, users)
    if not seed.get("security/secureScores"):
        members = [u for u in users if u.get("userType", "Member") != "Guest"]
        active = sum(1 for u in members if u.get("accountEnabled", True))
        licensed = sum(1 for u in users if u.get("assignedLicenses"))
        out["security/secureScores"] = secure_scores(tenant_id, now, active, licensed)
    if not seed.get("policies/authenticationMethodsPolicy"):
        out["policies/authenticationMethodsPolicy"] = authentication_methods_policy(now)
    if not seed.get("policies/authorizationPolicy"):
        out["policies/authorizationPolicy"] = authorization_policy()
    for path, policy in tenant_policies().items():
        if not seed.get(path):
            out[path] = policy

    out["groupSettingTemplates"] = group_setting_templates()
    grant_policies = list(seed.get("policies/permissionGrantPolicies") or [])
    have_policies = {str(p.get("id")) for p in grant_policies}
    built_in = [p for p in built_in_permission_grant_policies() if p["id"] not in have_policies]
    out["policies/permissionGrantPolicies"] = built_in + grant_policies

    strengths = list(seed.get("identity/conditionalAccess/authenticationStrength/policies") or [])
    have = {str(s.get("id")) for s in strengths}
    strengths[:0] = [s for s in built_in_authentication_strengths(now) if s["id"] not in have]
    out["identity/conditionalAccess/authenticationStrength/policies"] = strengths

    for key in (
        "users",
        "groups",
        "identity/conditionalAccess/policies",
        "identity/conditionalAccess/namedLocations",
        "identity/conditionalAccess/authenticationContextClassReferences",
        "directory/administrativeUnits",
        "roleManagement/directory/roleAssignments",
        "roleManagement/directory/roleEligibilitySchedules",
        "roleManagement/directory/roleAssignmentSchedules",
        "identityGovernance/privilegedAccess/group/eligibilitySchedules",
        "identityGovernance/privilegedAccess/group/assignmentSchedules",
        "oauth2PermissionGrants",
        "policies/activityBasedTimeoutPolicies",
        "groupSettings",
        "groupLifecyclePolicies",
        "policies/claimsMappingPolicies",
        "policies/tokenIssuancePolicies",
        "policies/tokenLifetimePolicies",
        "policies/homeRealmDiscoveryPolicies",
        "policies/appManagementPolicies",
        "auditLogs/directoryAudits",
        "deviceManagement/deviceCompliancePolicies",
        "identityGovernance/termsOfUse/agreements",
        "policies/featureRolloutPolicies",
        "deletedItems",
    ):
        out.setdefault(key, [])
    return out
