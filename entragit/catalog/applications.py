"""Catalog entries of applications and what grants them access: applications, service principals (with
their app role assignments and the agent identity kinds of both) and delegated permission grants."""

from __future__ import annotations

from entragit.catalog.extensions import EXTENSION_PROPERTIES
from entragit.catalog.model import (
    _OWNER_TARGETS,
    RANK_APP_ROLE_ASSIGNMENTS,
    VALUES_FIELDS,
    DerivedType,
    ObjectType,
    Reference,
    Relationship,
    _contained,
    _directory_type,
    _links,
    _names,
)

_APP_ROLE_ASSIGNED_TO = Relationship(
    name="appRoleAssignedTo",
    read="servicePrincipals/{id}/appRoleAssignedTo",
    add="servicePrincipals/{id}/appRoleAssignedTo",
    remove="servicePrincipals/{id}/appRoleAssignedTo/{ref}",
    kind="app-role-assignment",
    item_fields=("appRoleId", "principalId", "principalType"),
    expand="appRoleAssignedTo",  # serviceprincipal.md: "Supports $expand" (nested $select not documented)
)


_APPLICATION_READ = ("Application.Read.All",)

# Entities kept inside an application or service principal (docs/graph.md, What hangs off an object): their
# resource pages say "Supports $expand" (application.md, serviceprincipal.md), so they come inside the
# listing. A federated credential holds no secret (federatedidentitycredential.md: issuer, subject,
# audiences); its name is immutable and unique on the app. A classification has no Update method.
_FEDERATED_CREDENTIALS = _contained(
    "federatedIdentityCredentials",
    "applications",
    ("name", "issuer", "subject", "audiences", "description"),
    ("name",),
    expand=True,
)
_PERMISSION_CLASSIFICATIONS = _contained(
    "delegatedPermissionClassifications",
    "servicePrincipals",
    ("permissionId", "permissionName", "classification"),
    ("permissionId",),
    expand=True,
    updatable=False,
)

# Property lists: as for users and groups (directory.py), from the Graph v1.0 resource pages.
_APPLICATION_SELECT = _names(
    """
    id appId displayName addIns api appRoles applicationTemplateId certification createdDateTime
    defaultRedirectUri deletedDateTime description disabledByMicrosoftStatus groupMembershipClaims
    identifierUris info isDeviceOnlyAuthSupported isFallbackPublicClient keyCredentials notes
    oauth2RequirePostResponse optionalClaims parentalControlSettings passwordCredentials publicClient
    publisherDomain requestSignatureVerification requiredResourceAccess samlMetadataUrl
    serviceManagementReference servicePrincipalLockConfiguration signInAudience spa tags tokenEncryptionKeyId
    uniqueName verifiedPublisher web
    """
)

_SERVICE_PRINCIPAL_SELECT = _names(
    """
    id appId displayName accountEnabled addIns alternativeNames appDescription appDisplayName
    appOwnerOrganizationId appRoleAssignmentRequired appRoles applicationTemplateId deletedDateTime
    description disabledByMicrosoftStatus homepage info keyCredentials loginUrl logoutUrl notes
    notificationEmailAddresses oauth2PermissionScopes passwordCredentials preferredSingleSignOnMode
    preferredTokenSigningKeyThumbprint replyUrls resourceSpecificApplicationPermissions
    samlSingleSignOnSettings servicePrincipalNames servicePrincipalType signInAudience tags
    tokenEncryptionKeyId verifiedPublisher customSecurityAttributes
    """
)

# Entra agent identities: derived types of user, application and service principal in the v1.0 schema
# (msgraph-metadata cleanMetadata.xml, 2026-08; resources/agentidentity.md, agentidentityblueprint.md,
# agentidentityblueprintprincipal.md, agentuser.md). Each is soft-deleted like its base type, and each is
# created through its own endpoint from other objects (agentidentity-post.md, agentuser-post.md, ...).
_AGENT_USER = DerivedType(
    "#microsoft.graph.agentUser",
    not_recreatable="an agent user is created for its parent agent identity (identityParentId, "
    "agentuser-post.md); recreating it as a plain user would make another kind of object",
)
_AGENT_BLUEPRINT = DerivedType(
    "#microsoft.graph.agentIdentityBlueprint",
    not_recreatable="an agent identity blueprint is registered with its sponsors "
    "(agentidentityblueprint-post.md) and its agent identities name its appId; recreating it as a plain "
    "application would make another kind of object with a new appId",
)
_AGENT_IDENTITY = DerivedType(
    "#microsoft.graph.agentIdentity",
    not_recreatable="an agent identity is created from its blueprint (agentidentity-post.md); recreating it "
    "as a plain service principal would make another kind of object",
)
_AGENT_BLUEPRINT_PRINCIPAL = DerivedType(
    "#microsoft.graph.agentIdentityBlueprintPrincipal",
    not_recreatable="an agent identity blueprint principal is created from its blueprint "
    "(agentidentityblueprintprincipal-post.md); recreating it as a plain service principal would make "
    "another kind of object",
)

APPLICATIONS: ObjectType = _directory_type(
    "applications",
    "application",
    filterable=True,
    select=_APPLICATION_SELECT,
    identity=("id", "displayName", "appId"),
    read_only=_names(
        """
        appId createdDateTime publisherDomain disabledByMicrosoftStatus applicationTemplateId
        passwordCredentials keyCredentials verifiedPublisher
        """
    ),
    create_only=("uniqueName",),
    unordered=_names(
        """
        identifierUris tags web.redirectUris spa.redirectUris publicClient.redirectUris appRoles:id
        appRoles[].allowedMemberTypes api.oauth2PermissionScopes:id api.preAuthorizedApplications:appId
        api.preAuthorizedApplications[].delegatedPermissionIds api.knownClientApplications
        requiredResourceAccess:resourceAppId requiredResourceAccess[].resourceAccess:id
        keyCredentials:keyId passwordCredentials:keyId addIns:id optionalClaims.idToken:name
        optionalClaims.accessToken:name optionalClaims.saml2Token:name
        federatedIdentityCredentials[].audiences
        """
    ),
    references=(
        Reference(
            "requiredResourceAccess[].resourceAppId", ("applications", "servicePrincipals"), key="appId"
        ),
        Reference(
            "api.preAuthorizedApplications[].appId", ("applications", "servicePrincipals"), key="appId"
        ),
        Reference("api.knownClientApplications", ("applications",), key="appId"),
    ),
    # application.md: owners support `$expand` and `$select` nested in `$expand`
    relationships=(
        _links("owners", "applications", _OWNER_TARGETS, via_delta=False, expand="owners($select=id)"),
        EXTENSION_PROPERTIES,
        _FEDERATED_CREDENTIALS,
    ),
    extension_target="Application",
    derived=(_AGENT_BLUEPRINT,),
    rank=40,
    permissions_backup=_APPLICATION_READ,
    permissions_restore=("Application.ReadWrite.All",),
    notes="A recreated application gets a new appId and no secrets or certificates; its federated "
    "credentials are created again on it.",
)

SERVICE_PRINCIPALS: ObjectType = _directory_type(
    "servicePrincipals",
    "servicePrincipal",
    unique=("appId",),
    filterable=True,
    select=_SERVICE_PRINCIPAL_SELECT,
    identity=("id", "displayName", "appId"),
    read_only=_names(
        """
        appId appDisplayName appOwnerOrganizationId applicationTemplateId disabledByMicrosoftStatus
        servicePrincipalType signInAudience passwordCredentials keyCredentials
        resourceSpecificApplicationPermissions verifiedPublisher
        """
    ),
    create_only=("appId",),
    unordered=_names(
        """
        alternativeNames tags replyUrls servicePrincipalNames notificationEmailAddresses appRoles:id
        appRoles[].allowedMemberTypes oauth2PermissionScopes:id keyCredentials:keyId
        passwordCredentials:keyId resourceSpecificApplicationPermissions:id addIns:id
        customSecurityAttributes.*.*
        """
    ),
    **VALUES_FIELDS,
    relationships=(
        # serviceprincipal.md: owners support `$expand` and `$select` nested in `$expand`
        _links("owners", "servicePrincipals", _OWNER_TARGETS, via_delta=False, expand="owners($select=id)"),
        _APP_ROLE_ASSIGNED_TO,
        _PERMISSION_CLASSIFICATIONS,
    ),
    references=(
        Reference("appId", ("applications",), key="appId", follows=True),
        # serviceprincipal.md: servicePrincipalNames holds the appId (and the app's identifier URIs)
        Reference("servicePrincipalNames", ("applications",), key="appId"),
    ),
    derived=(_AGENT_IDENTITY, _AGENT_BLUEPRINT_PRINCIPAL),
    rank=50,
    permissions_backup=_APPLICATION_READ,
    # serviceprincipal-post-delegatedpermissionclassifications.md, -delete-: Policy.ReadWrite.PermissionGrant
    permissions_restore=(
        "Application.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "Policy.ReadWrite.PermissionGrant",
    ),
)

OAUTH2_PERMISSION_GRANTS: ObjectType = ObjectType(
    name="oauth2PermissionGrants",
    unique=("clientId", "resourceId", "consentType", "principalId"),
    filterable=True,
    path="oauth2PermissionGrants",
    select=_names("id clientId consentType principalId resourceId scope"),
    identity=("id", "clientId", "resourceId"),
    display="clientId",
    read_only=("id",),
    create_only=_names("clientId consentType principalId resourceId"),
    # oauth2permissiongrant-post.md requires none of its properties by name; without these three a grant
    # names no client, resource or kind of consent. `scope` may be empty (a grant of no permission).
    unordered_words=("scope",),
    references=(
        Reference("clientId", ("servicePrincipals",)),
        Reference("resourceId", ("servicePrincipals",)),
        Reference("principalId", ("users",)),
    ),
    rank=RANK_APP_ROLE_ASSIGNMENTS,
    permissions_backup=("Directory.Read.All",),
    permissions_restore=("DelegatedPermissionGrant.ReadWrite.All",),
)
