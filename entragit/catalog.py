"""The catalog: every Entra object type entragit backs up, as data.

Each type is one `ObjectType` entry; backup, restore, history, the permissions command and the tests all read
their behaviour from these entries instead of from per-type classes. Adding a type means adding an entry here
(plus sandbox support and tests). What is special about a type is said as data too: objects it leaves out
(`exclude_when`), properties written through an action (`write_actions`), creation by PATCH (`create_method`),
ids of other objects it holds (`references`).

Conventions used by the string fields:

- Graph paths are relative to the versioned root (`https://graph.microsoft.com/v1.0/`), never start with `/`.
- Relationship path templates use `{id}` for the owning object's id and `{ref}` for the linked object's id.
- Dotted paths (`volatile`, `unordered`, `read_only` ...) address nested properties:
  `conditions.users.includeUsers`. `[]` steps into every item of a list: `assignedPlans[].assignedDateTime`.
  An `unordered` entry may end with `:key` to sort a list of objects by that property first
  (`ipRanges:cidrAddress`); lists of objects without a key are sorted by their compact JSON, lists of scalars
  by value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from entragit.errors import UsageError

# Restore phases that are not object types: links are added after every object exists, app role assignments
# after links, so that a role granted to a group finds the group's members in place.
RANK_LINKS = 70
RANK_APP_ROLE_ASSIGNMENTS = 80


@dataclass(frozen=True)
class Relationship:
    """A link between objects, stored in the owning object's file as ids.

    kind:
    - "ref-collection": a sorted list of ids (`members`, `owners`); add = POST `{"@odata.id": ...}` to `add`,
      remove = DELETE `remove`.
    - "ref-single": one id or null (`manager`); add = PUT `{"@odata.id": ...}` to `add`, remove = DELETE.
    - "app-role-assignment": a sorted list of `{"appRoleId", "principalId", "principalType"}` objects;
      add = POST `{"principalId", "resourceId", "appRoleId"}` to `add`, remove = DELETE `remove` with
      `{ref}` = the assignment id found by reading `read` live (assignment ids are not kept in the backup).

    `via_delta`: the type's delta query returns this relationship as `<name>@delta` when `name` is in
    `$select`, so an incremental backup does not need to re-read it per object.

    `expand`: the `$expand` value that returns this relationship inside the type's listing, where the
    type's resource page says it "Supports `$expand`" (with `($select=id)` where the page documents
    `$select` nested in `$expand`); empty when it cannot be expanded. Graph returns at most 20 related
    objects per object that way (docs/graph.md, $expand), so a full list is read again per object.
    """

    name: str
    read: str
    add: str
    remove: str
    kind: str = "ref-collection"
    add_method: str = "POST"
    via_delta: bool = False
    # Properties kept per item for "app-role-assignment" links (ids only for the ref kinds).
    item_fields: tuple[str, ...] = ()
    # Catalog types the linked ids can belong to (an app role assignment's principalId for that kind).
    targets: tuple[str, ...] = ("users", "groups", "servicePrincipals")
    expand: str = ""

    @property
    def rank(self) -> int:
        return RANK_APP_ROLE_ASSIGNMENTS if self.kind == "app-role-assignment" else RANK_LINKS

    def read_path(self, object_id: str) -> str:
        return self.read.format(id=object_id)

    def add_path(self, object_id: str) -> str:
        return self.add.format(id=object_id)

    def remove_path(self, object_id: str, ref: str) -> str:
        return self.remove.format(id=object_id, ref=ref)


@dataclass(frozen=True)
class RecycleBin:
    """Where Graph keeps a type's soft-deleted objects for 30 days (docs/graph.md, Deleted items).

    `listing` lists them (GET, paged like the live collection); `item` is one of them (`{id}` filled in):
    GET reads it, POST `item/restore` brings it back with the same id, DELETE removes it for good."""

    listing: str
    item: str

    def item_path(self, object_id: str) -> str:
        return self.item.format(id=object_id)

    def restore_path(self, object_id: str) -> str:
        return self.item_path(object_id) + "/restore"


@dataclass(frozen=True)
class Reference:
    """A property that holds ids of other objects (not a Graph relationship, just a value).

    A restore that recreates an object under a new id rewrites every reference to it (conditional access
    conditions, role assignment principals and scopes, grants); compare resolves them to display names.
    `key` is the property of the target the value matches ("id", or "appId" for application ids in
    conditional access), `prefix` a fixed text before the id (`/administrativeUnits/` in a role assignment's
    scope). Values that are no object's id ("All", "None", "all_users") are never found in an id map.
    `follows`: the holder is deleted with the object it names and does not come back with it
    (directory-deleteditems-restore.md: "restoring an application doesn't automatically restore the associated
    service principal"), so restoring that object restores the holder too, recreated if the object is."""

    path: str
    types: tuple[str, ...]
    key: str = "id"
    prefix: str = ""
    follows: bool = False


@dataclass(frozen=True)
class DerivedType:
    """A derived type Graph returns inside a base type's collection, told apart by its `@odata.type`.

    Entra agent identities (Graph v1.0, 2026) are such: an agent identity is a service principal, an agent
    user a user. Only their files keep `@odata.type` (a plain user's file has none, so existing backups do not
    change), and that is how a restore knows the kind of object a file describes. `not_recreatable` says why
    a restore will not create a hard-deleted one anew ('' when a POST of the base type would do): each is made
    through its own endpoint from other objects, and a POST of the base type would make another kind."""

    odata_type: str  # "#microsoft.graph.agentIdentity"
    not_recreatable: str = ""


@dataclass(frozen=True)
class ObjectType:
    """One Entra object type: where it lives in Graph and in the backup repository, and how to restore it."""

    name: str  # short CLI name: `--type users`
    path: str  # Graph collection path (or the singleton's path)
    select: tuple[str, ...]  # every top-level property backed up; "id" always included
    identity: tuple[str, ...] = ("id", "displayName")  # shown first in each file, in this order
    display: str = "displayName"  # the property that names an object for humans
    # Send `select` as $select. False where Graph returns the full object anyway and a $select would be
    # rejected or lose data (polymorphic collections whose derived properties need a cast, singletons with
    # inline navigation properties, types whose schema says SelectSupport Supported=false). The backup keeps
    # the properties of `select` of the whole object all the same.
    send_select: bool = True
    # Fill properties of `select` that Graph left out with null, so that a full listing (which returns null
    # for unset selected properties) and a delta round (which omits never-set ones) give the same file.
    # Off for polymorphic types whose derived properties only exist on some objects.
    fill_missing: bool = True
    volatile: tuple[str, ...] = ()  # dropped from backups (noise in diffs)
    read_only: tuple[str, ...] = ()  # never sent in a PATCH/POST on restore
    create_only: tuple[str, ...] = ()  # may be set on create, never changed afterwards
    # Properties whose null in a file stands for the value Graph fills in when a create leaves them out,
    # and which Graph will not set back to null: a restore leaves them as they are live.
    null_is_default: tuple[str, ...] = ()
    required_on_create: tuple[str, ...] = ()  # POST fails without these
    unordered: tuple[str, ...] = ()  # lists whose order carries no meaning: sorted in canonical form
    # Space-separated word lists whose order carries no meaning (oauth2PermissionGrant.scope).
    unordered_words: tuple[str, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    recycle_bin: RecycleBin | None = None  # where deleted objects wait 30 days; None: deleted for good
    delta: bool = False
    singleton: bool = False
    restorable: bool = True
    rank: int = 0  # restore order: lower first
    keep_odata_type: bool = False  # keep `@odata.type` (polymorphic collections), at every depth
    # Derived types whose objects keep their top-level `@odata.type` (the base type's own files carry none).
    derived: tuple[DerivedType, ...] = ()
    shard: bool = False  # big collections: files go to folder/<id[:2]>/<id>.yaml
    permissions_backup: tuple[str, ...] = ()
    permissions_restore: tuple[str, ...] = ()
    list_filter: str | None = None  # $filter sent when listing
    # Objects that are listed but not backed up: (property, value) pairs, any match excludes the object
    # (built-in role definitions and authentication strengths cannot be restored and are the same in every
    # tenant).
    exclude_when: tuple[tuple[str, Any], ...] = ()
    create_method: str = "POST"  # "PATCH": created by PATCH on the item path (authentication contexts)
    # Properties that identify an object created by a restore that was interrupted before it learnt the new
    # id: the first is sent as $filter where `filterable`, all must match.
    unique: tuple[str, ...] = ("displayName",)
    filterable: bool = False
    # Properties PATCH cannot change, written through a dedicated action instead: (property, path template).
    write_actions: tuple[tuple[str, str], ...] = ()
    references: tuple[Reference, ...] = ()  # ids of other objects held in properties
    notes: str = ""
    recreate_note: str = ""  # added to the reason of every recreate of the type

    @property
    def named_by(self) -> tuple[str, ...]:
        """For a type named by what it links (its display field is an id: role assignments, grants), the id
        fields that name it, the display field first (`roleDefinitionId`, `principalId`: shown as
        `Global Administrator → Megan Bowen`); empty for a type with a name of its own."""
        if not self.display.endswith("Id"):
            return ()
        others = (f for f in self.identity if f.endswith("Id") and f not in ("id", self.display))
        return (self.display, *others)

    @property
    def folder(self) -> str:
        """Folder in the backup repository: the Graph path, or for a singleton the folder holding its file."""
        return self.path.rpartition("/")[0] if self.singleton else self.path

    def relationship(self, name: str) -> Relationship | None:
        for rel in self.relationships:
            if rel.name == name:
                return rel
        return None

    def item_path(self, object_id: str) -> str:
        """Graph path of one object (the singleton's own path)."""
        return self.path if self.singleton else f"{self.path}/{object_id}"

    def derived_type(self, obj: Mapping[str, Any]) -> DerivedType | None:
        """The derived type `obj` is of (its `@odata.type`), or None for an object of the type itself."""
        kind = obj.get("@odata.type")
        return next((d for d in self.derived if d.odata_type == kind), None) if kind else None

    @property
    def writable(self) -> tuple[str, ...]:
        """Top-level properties a restore may PATCH."""
        blocked = {p.split(".")[0].split("[")[0] for p in self.read_only} | set(self.create_only)
        return tuple(p for p in self.select if p not in blocked)


def _names(text: str) -> tuple[str, ...]:
    """Whitespace-separated names as a tuple, so that long property lists read as a paragraph."""
    return tuple(text.split())


# ----------------------------------------------------------------------------------------------------------
# Directory objects (users, groups, applications, service principals, administrative units) share what Graph's
# directoryObject gives them: a delta query, soft delete into deletedItems, and read-only id/deletedDateTime.


def _directory_type(
    name: str,
    entity: str,
    *,
    path: str | None = None,
    shard: bool = True,
    read_only: tuple[str, ...] = (),
    **fields: Any,
) -> ObjectType:
    """A directory object type; `entity` names its deletedItems cast (`microsoft.graph.<entity>`), which
    directory/deletedItems needs to list them (directory-deleteditems-list.md); one is read, restored and
    purged by id alone (directory-deleteditems-get.md, -restore.md, -delete.md).

    Sharded by default: these are the collections that grow to 100,000 objects."""
    return ObjectType(
        name=name,
        path=path or name,
        read_only=("id", "deletedDateTime", *read_only),
        recycle_bin=RecycleBin(
            f"directory/deletedItems/microsoft.graph.{entity}", "directory/deletedItems/{id}"
        ),
        delta=True,
        shard=shard,
        **fields,
    )


def _links(
    name: str, path: str, targets: tuple[str, ...], *, via_delta: bool, expand: str = ""
) -> Relationship:
    """A `$ref` collection such as members or owners under the type's Graph path."""
    return Relationship(
        name=name,
        read=f"{path}/{{id}}/{name}",
        add=f"{path}/{{id}}/{name}/$ref",
        remove=f"{path}/{{id}}/{name}/{{ref}}/$ref",
        via_delta=via_delta,
        targets=targets,
        expand=expand,
    )


_DIRECTORY_TARGETS = ("users", "groups", "servicePrincipals")
_OWNER_TARGETS = ("users", "servicePrincipals")

_USER_MANAGER = Relationship(
    name="manager",
    read="users/{id}/manager",
    add="users/{id}/manager/$ref",
    remove="users/{id}/manager/$ref",
    kind="ref-single",
    add_method="PUT",
    via_delta=True,
    targets=("users",),
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

# Permissions several types share.
_POLICY_READ = ("Policy.Read.All",)
_CA_RESTORE = ("Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All")
# Conditional access objects are hard-deleted in v1.0; the portal's recycle bin for them is a preview that
# only beta reaches, and beta documents no application permission for it (docs/graph.md, Deleted items).
_CA_HARD_DELETE = "Hard-deleted in v1.0: a deleted {what} is recreated with a new id."
_CA_RECREATE_NOTE = (
    "the original may still be restorable from the portal's deleted items (preview; Graph v1.0 cannot see "
    "it): restore it there instead of applying this, or delete it there for good, so that the tenant does "
    "not end up with two live copies"
)
_APPLICATION_READ = ("Application.Read.All",)
_ROLES_READ = ("RoleManagement.Read.Directory",)
_ROLES_WRITE = ("RoleManagement.ReadWrite.Directory",)

# ----------------------------------------------------------------------------------------------------------
# Property lists (Graph v1.0 resource pages, microsoft-graph-docs-contrib api-reference/v1.0/resources/*.md).
# Properties only returned by a single-object GET (501 or 400 in a list) are left out, as are navigation
# properties and write-only ones (user.passwordProfile).

_USER_SELECT = _names(
    """
    id displayName userPrincipalName accountEnabled ageGroup assignedLicenses assignedPlans authorizationInfo
    businessPhones city companyName consentProvidedForMinor country createdDateTime creationType
    deletedDateTime department employeeHireDate employeeId employeeLeaveDateTime employeeOrgData employeeType
    externalUserState faxNumber givenName identities imAddresses isResourceAccount jobTitle
    legalAgeGroupClassification licenseAssignmentStates mail mailNickname mobilePhone officeLocation
    onPremisesDistinguishedName onPremisesDomainName onPremisesExtensionAttributes onPremisesImmutableId
    onPremisesProvisioningErrors onPremisesSamAccountName onPremisesSecurityIdentifier onPremisesSyncEnabled
    onPremisesUserPrincipalName otherMails passwordPolicies postalCode preferredDataLocation
    preferredLanguage proxyAddresses securityIdentifier serviceProvisioningErrors showInAddressList state
    streetAddress surname usageLocation userType
    """
)

_GROUP_SELECT = _names(
    """
    id displayName mailNickname classification createdDateTime deletedDateTime description groupTypes
    isAssignableToRole mail mailEnabled membershipRule membershipRuleProcessingState onPremisesDomainName
    onPremisesNetBiosName onPremisesProvisioningErrors onPremisesSamAccountName onPremisesSecurityIdentifier
    onPremisesSyncEnabled preferredDataLocation preferredLanguage proxyAddresses resourceBehaviorOptions
    resourceProvisioningOptions securityEnabled securityIdentifier serviceProvisioningErrors theme visibility
    assignedLabels assignedLicenses
    """
)

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
    tokenEncryptionKeyId verifiedPublisher
    """
)

_CA_LIST_PATHS = _names(
    """
    conditions.users.includeUsers conditions.users.excludeUsers conditions.users.includeGroups
    conditions.users.excludeGroups conditions.users.includeRoles conditions.users.excludeRoles
    conditions.users.includeGuestsOrExternalUsers.externalTenants.members
    conditions.users.excludeGuestsOrExternalUsers.externalTenants.members
    conditions.applications.includeApplications conditions.applications.excludeApplications
    conditions.applications.includeUserActions
    conditions.applications.includeAuthenticationContextClassReferences
    conditions.clientApplications.includeServicePrincipals
    conditions.clientApplications.excludeServicePrincipals conditions.locations.includeLocations
    conditions.locations.excludeLocations conditions.platforms.includePlatforms
    conditions.platforms.excludePlatforms conditions.clientAppTypes conditions.signInRiskLevels
    conditions.userRiskLevels conditions.servicePrincipalRiskLevels
    grantControls.builtInControls grantControls.customAuthenticationFactors grantControls.termsOfUse
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

CATALOG: tuple[ObjectType, ...] = (
    _directory_type(
        "users",
        "user",
        unique=("userPrincipalName",),
        filterable=True,
        select=_USER_SELECT,
        identity=("id", "displayName", "userPrincipalName"),
        volatile=_names(
            """
            signInActivity lastPasswordChangeDateTime signInSessionsValidFromDateTime
            onPremisesLastSyncDateTime externalUserStateChangeDateTime
            provisionedPlans assignedPlans[].assignedDateTime licenseAssignmentStates[].lastUpdatedDateTime
            """
        ),
        read_only=_names(
            """
            createdDateTime creationType lastPasswordChangeDateTime legalAgeGroupClassification assignedPlans
            provisionedPlans licenseAssignmentStates assignedLicenses proxyAddresses imAddresses
            signInSessionsValidFromDateTime signInActivity securityIdentifier
            externalUserState externalUserStateChangeDateTime isResourceAccount serviceProvisioningErrors
            onPremisesDistinguishedName onPremisesDomainName onPremisesLastSyncDateTime
            onPremisesProvisioningErrors onPremisesSamAccountName onPremisesSecurityIdentifier
            onPremisesSyncEnabled onPremisesUserPrincipalName
            """
        ),
        required_on_create=_names("accountEnabled displayName mailNickname userPrincipalName"),
        unordered=_names(
            """
            businessPhones proxyAddresses otherMails imAddresses identities
            authorizationInfo.certificateUserIds assignedLicenses:skuId assignedLicenses[].disabledPlans
            assignedPlans:servicePlanId licenseAssignmentStates:skuId licenseAssignmentStates[].disabledPlans
            """
        ),
        relationships=(_USER_MANAGER,),
        derived=(_AGENT_USER,),
        rank=20,
        permissions_backup=("User.Read.All",),
        permissions_restore=("User.ReadWrite.All",),
        notes="A recreated user gets a new random password (shown once on a terminal, else written to "
        "--passwords-file or shown to nobody) and no licenses until re-assigned. "
        "Undeleting a user who holds an admin role needs more than User.ReadWrite.All (a privileged role).",
    ),
    _directory_type(
        "groups",
        "group",
        unique=("mailNickname", "displayName"),
        filterable=True,
        select=_GROUP_SELECT,
        identity=("id", "displayName", "mailNickname"),
        volatile=_names(
            """
            renewedDateTime expirationDateTime onPremisesLastSyncDateTime licenseProcessingState unseenCount
            isSubscribedByMail
            """
        ),
        read_only=_names(
            """
            createdDateTime expirationDateTime renewedDateTime mail proxyAddresses onPremisesDomainName
            onPremisesLastSyncDateTime onPremisesNetBiosName onPremisesSamAccountName
            onPremisesSecurityIdentifier onPremisesSyncEnabled onPremisesProvisioningErrors securityIdentifier
            assignedLabels assignedLicenses licenseProcessingState hasMembersWithLicenseErrors
            serviceProvisioningErrors
            """
        ),
        create_only=_names("isAssignableToRole resourceBehaviorOptions resourceProvisioningOptions"),
        # group-post-groups.md: created Private (security) or Public (Microsoft 365) when not given; older
        # groups can still read null, which no PATCH brings back (visibility accepts Private, Public,
        # HiddenMembership only)
        null_is_default=("visibility",),
        required_on_create=_names("displayName mailEnabled mailNickname securityEnabled"),
        unordered=_names(
            """
            groupTypes proxyAddresses resourceBehaviorOptions resourceProvisioningOptions
            assignedLabels:labelId assignedLicenses:skuId assignedLicenses[].disabledPlans
            """
        ),
        relationships=(
            # group.md: members and owners support `$expand` including nested `$select`
            _links("members", "groups", _DIRECTORY_TARGETS, via_delta=True, expand="members($select=id)"),
            _links("owners", "groups", _OWNER_TARGETS, via_delta=True, expand="owners($select=id)"),
        ),
        rank=30,
        permissions_backup=("Group.Read.All",),
        # Role-assignable groups and their memberships also need RoleManagement.ReadWrite.Directory.
        permissions_restore=("Group.ReadWrite.All", *_ROLES_WRITE),
        notes="Microsoft 365 groups and cloud security groups (assigned or dynamic) are soft-deleted since "
        "2026 and undeleted with their members and owners; groups synced from on-premises, mail-enabled "
        "security groups and distribution groups are deleted at once, and are backed up but cannot be "
        "written through Graph.",
    ),
    _directory_type(
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
        required_on_create=("displayName",),
        unordered=_names(
            """
            identifierUris tags web.redirectUris spa.redirectUris publicClient.redirectUris appRoles:id
            appRoles[].allowedMemberTypes api.oauth2PermissionScopes:id api.preAuthorizedApplications:appId
            api.preAuthorizedApplications[].delegatedPermissionIds api.knownClientApplications
            requiredResourceAccess:resourceAppId requiredResourceAccess[].resourceAccess:id
            keyCredentials:keyId passwordCredentials:keyId addIns:id optionalClaims.idToken:name
            optionalClaims.accessToken:name optionalClaims.saml2Token:name
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
        ),
        derived=(_AGENT_BLUEPRINT,),
        rank=40,
        permissions_backup=_APPLICATION_READ,
        permissions_restore=("Application.ReadWrite.All",),
        notes="A recreated application gets a new appId and no secrets or certificates.",
    ),
    _directory_type(
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
        required_on_create=("appId",),
        unordered=_names(
            """
            alternativeNames tags replyUrls servicePrincipalNames notificationEmailAddresses appRoles:id
            appRoles[].allowedMemberTypes oauth2PermissionScopes:id keyCredentials:keyId
            passwordCredentials:keyId resourceSpecificApplicationPermissions:id addIns:id
            """
        ),
        relationships=(
            # serviceprincipal.md: owners support `$expand` and `$select` nested in `$expand`
            _links(
                "owners", "servicePrincipals", _OWNER_TARGETS, via_delta=False, expand="owners($select=id)"
            ),
            _APP_ROLE_ASSIGNED_TO,
        ),
        references=(
            Reference("appId", ("applications",), key="appId", follows=True),
            # serviceprincipal.md: servicePrincipalNames holds the appId (and the app's identifier URIs)
            Reference("servicePrincipalNames", ("applications",), key="appId"),
        ),
        derived=(_AGENT_IDENTITY, _AGENT_BLUEPRINT_PRINCIPAL),
        rank=50,
        permissions_backup=_APPLICATION_READ,
        permissions_restore=("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"),
    ),
    ObjectType(
        name="conditionalAccessPolicies",
        path="identity/conditionalAccess/policies",
        select=_names("id displayName state conditions createdDateTime grantControls sessionControls"),
        identity=("id", "displayName", "state"),
        volatile=("modifiedDateTime",),
        read_only=_names("id createdDateTime modifiedDateTime templateId"),
        required_on_create=_names("displayName conditions state"),
        unordered=_CA_LIST_PATHS,
        references=(
            Reference("conditions.users.includeUsers", ("users",)),
            Reference("conditions.users.excludeUsers", ("users",)),
            Reference("conditions.users.includeGroups", ("groups",)),
            Reference("conditions.users.excludeGroups", ("groups",)),
            # directory role template ids (built-in roles are not backed up; custom ones are)
            Reference("conditions.users.includeRoles", ("roleDefinitions",), key="templateId"),
            Reference("conditions.users.excludeRoles", ("roleDefinitions",), key="templateId"),
            Reference(
                "conditions.applications.includeApplications",
                ("applications", "servicePrincipals"),
                key="appId",
            ),
            Reference(
                "conditions.applications.excludeApplications",
                ("applications", "servicePrincipals"),
                key="appId",
            ),
            Reference(
                "conditions.applications.includeAuthenticationContextClassReferences",
                ("authenticationContexts",),
            ),
            Reference("conditions.clientApplications.includeServicePrincipals", ("servicePrincipals",)),
            Reference("conditions.clientApplications.excludeServicePrincipals", ("servicePrincipals",)),
            Reference("conditions.locations.includeLocations", ("namedLocations",)),
            Reference("conditions.locations.excludeLocations", ("namedLocations",)),
            Reference("grantControls.authenticationStrength.id", ("authenticationStrengthPolicies",)),
        ),
        # conditions.users.excludeGuestsOrExternalUsers.externalTenants is polymorphic (all vs enumerated
        # tenants) and Graph needs its @odata.type to create the policy again.
        keep_odata_type=True,
        rank=100,
        permissions_backup=_POLICY_READ,
        permissions_restore=_CA_RESTORE,
        notes=_CA_HARD_DELETE.format(what="policy"),
        recreate_note=_CA_RECREATE_NOTE,
    ),
    ObjectType(
        name="namedLocations",
        path="identity/conditionalAccess/namedLocations",
        select=_names(
            """
            id displayName createdDateTime ipRanges isTrusted countriesAndRegions countryLookupMethod
            includeUnknownCountriesAndRegions
            """
        ),
        identity=("id", "displayName", "@odata.type"),
        # Derived-type properties (ipRanges, countriesAndRegions) are not selectable on the base collection.
        send_select=False,
        fill_missing=False,
        volatile=("modifiedDateTime",),
        read_only=_names("id createdDateTime modifiedDateTime @odata.type"),
        required_on_create=("@odata.type", "displayName"),
        unordered=("ipRanges:cidrAddress", "countriesAndRegions"),
        keep_odata_type=True,
        rank=10,
        permissions_backup=_POLICY_READ,
        # namedlocation-update.md, conditionalaccessroot-post-namedlocations.md, namedlocation-delete.md:
        # Policy.ReadWrite.ConditionalAccess (the Application.Read.All of policies is for their app ids).
        permissions_restore=("Policy.ReadWrite.ConditionalAccess",),
        notes=_CA_HARD_DELETE.format(what="named location"),
        recreate_note=_CA_RECREATE_NOTE,
    ),
    ObjectType(
        name="authenticationContexts",
        path="identity/conditionalAccess/authenticationContextClassReferences",
        select=_names("id displayName description isAvailable"),
        # The v1.0 schema annotates authenticationContextClassReference with SelectSupport Supported=false:
        # the collection is read whole (four properties).
        send_select=False,
        read_only=("id",),
        create_method="PATCH",
        rank=11,
        # conditionalaccessroot-list-authenticationcontextclassreferences.md: Policy.Read.All does not
        # cover it.
        permissions_backup=("Policy.Read.ConditionalAccess",),
        permissions_restore=("Policy.ReadWrite.ConditionalAccess",),
        notes="Ids are fixed slots c1..c99: created by PATCH on the item path.",
    ),
    ObjectType(
        name="authenticationStrengthPolicies",
        path="identity/conditionalAccess/authenticationStrength/policies",
        select=_names(
            "id displayName description policyType requirementsSatisfied allowedCombinations createdDateTime"
        ),
        volatile=("modifiedDateTime",),
        read_only=_names("id createdDateTime modifiedDateTime policyType requirementsSatisfied"),
        required_on_create=("displayName", "allowedCombinations"),
        unordered=("allowedCombinations",),
        rank=12,
        # Built-in strengths (policyType "builtIn") are the same in every tenant and read-only: not backed up.
        exclude_when=(("policyType", "builtIn"),),
        write_actions=(
            (
                "allowedCombinations",
                "identity/conditionalAccess/authenticationStrength/policies/{id}/updateAllowedCombinations",
            ),
        ),
        permissions_backup=_POLICY_READ,
        # Least privileged per api/authenticationstrengthpolicy-*.md (reading is covered by Policy.Read.All).
        permissions_restore=("Policy.ReadWrite.AuthenticationMethod",),
        notes="Only custom authentication strengths are backed up.",
    ),
    _directory_type(
        "administrativeUnits",
        "administrativeUnit",
        filterable=True,
        path="directory/administrativeUnits",
        shard=False,
        select=_names(
            """
            id displayName deletedDateTime description isMemberManagementRestricted membershipRule
            membershipRuleProcessingState membershipType visibility
            """
        ),
        create_only=("isMemberManagementRestricted",),
        required_on_create=("displayName",),
        relationships=(
            # administrativeunit.md: members "Supports $expand" (nested $select not documented)
            _links(
                "members",
                "directory/administrativeUnits",
                _DIRECTORY_TARGETS,
                via_delta=True,
                expand="members",
            ),
        ),
        rank=60,
        permissions_backup=("AdministrativeUnit.Read.All",),
        permissions_restore=("AdministrativeUnit.ReadWrite.All",),
    ),
    ObjectType(
        name="roleDefinitions",
        path="roleManagement/directory/roleDefinitions",
        select=_names(
            """
            id displayName description isBuiltIn isEnabled resourceScopes rolePermissions templateId version
            deletedDateTime
            """
        ),
        read_only=("id", "isBuiltIn", "deletedDateTime"),
        create_only=("templateId",),
        required_on_create=_names("displayName isEnabled rolePermissions"),
        unordered=_names(
            """
            resourceScopes rolePermissions[].allowedResourceActions rolePermissions[].excludedResourceActions
            """
        ),
        rank=65,
        # Built-in roles are the same in every tenant and cannot be changed: only custom roles are backed up.
        exclude_when=(("isBuiltIn", True),),
        # resources/unifiedroledefinition.md (2026): a deleted custom role waits 30 days in its own bin.
        recycle_bin=RecycleBin(
            "roleManagement/directory/deletedItems/roleDefinitions",
            "roleManagement/directory/deletedItems/roleDefinitions/{id}",
        ),
        permissions_backup=_ROLES_READ,
        permissions_restore=_ROLES_WRITE,
        notes="Only custom role definitions are backed up; a deleted one is soft-deleted and undeleted with "
        "its id.",
    ),
    ObjectType(
        name="roleAssignments",
        unique=("principalId", "roleDefinitionId", "directoryScopeId"),
        filterable=True,
        path="roleManagement/directory/roleAssignments",
        select=_names("id principalId roleDefinitionId directoryScopeId appScopeId condition"),
        identity=("id", "roleDefinitionId", "principalId"),
        display="roleDefinitionId",
        read_only=("id",),
        # No PATCH: a change is a DELETE and a POST.
        create_only=_names("principalId roleDefinitionId directoryScopeId appScopeId condition"),
        required_on_create=("principalId", "roleDefinitionId"),
        references=(
            Reference("principalId", _DIRECTORY_TARGETS),
            Reference("roleDefinitionId", ("roleDefinitions",)),
            Reference("directoryScopeId", ("administrativeUnits",), prefix="/administrativeUnits/"),
            Reference("directoryScopeId", ("applications",), prefix="/"),
        ),
        rank=90,
        permissions_backup=_ROLES_READ,
        permissions_restore=_ROLES_WRITE,
        notes="Ids are not GUIDs; assignments are hard-deleted and recreated with a new id.",
    ),
    ObjectType(
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
        required_on_create=_names("clientId consentType resourceId"),
        unordered_words=("scope",),
        references=(
            Reference("clientId", ("servicePrincipals",)),
            Reference("resourceId", ("servicePrincipals",)),
            Reference("principalId", ("users",)),
        ),
        rank=RANK_APP_ROLE_ASSIGNMENTS,
        permissions_backup=("Directory.Read.All",),
        permissions_restore=("DelegatedPermissionGrant.ReadWrite.All",),
    ),
    ObjectType(
        name="authenticationMethodsPolicy",
        path="policies/authenticationMethodsPolicy",
        select=_names(
            """
            id displayName description authenticationMethodConfigurations policyMigrationState policyVersion
            reconfirmationInDays registrationEnforcement
            """
        ),
        # authenticationMethodConfigurations is a navigation property, and so is each configuration's
        # includeTargets, but the singleton's GET returns both inline:
        # resources/authenticationmethodspolicy.md ("Automatically expanded on GET
        # /policies/authenticationMethodsPolicy") and the response example of
        # api/authenticationmethodspolicy-get.md. reportSuspiciousActivitySettings and
        # systemCredentialPreferences are beta only (not in the v1.0 schema): not backed up.
        send_select=False,
        fill_missing=False,
        volatile=("lastModifiedDateTime",),
        # PATCH takes registrationEnforcement and policyMigrationState in v1.0
        # (api/authenticationmethodspolicy-update.md); the rest is fixed.
        read_only=_names(
            "id displayName description lastModifiedDateTime policyVersion reconfirmationInDays"
        ),
        unordered=_names(
            """
            authenticationMethodConfigurations:id authenticationMethodConfigurations[].includeTargets:id
            authenticationMethodConfigurations[].excludeTargets:id
            """
        ),
        keep_odata_type=True,
        singleton=True,
        references=tuple(
            Reference(path, ("groups", "users"))
            for path in _names(
                """
                authenticationMethodConfigurations[].includeTargets[].id
                authenticationMethodConfigurations[].excludeTargets[].id
                registrationEnforcement.authenticationMethodsRegistrationCampaign.includeTargets[].id
                registrationEnforcement.authenticationMethodsRegistrationCampaign.excludeTargets[].id
                """
            )
        ),
        rank=72,
        write_actions=(
            (
                "authenticationMethodConfigurations",
                "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{ref}",
            ),
        ),
        permissions_backup=_POLICY_READ,
        permissions_restore=("Policy.ReadWrite.AuthenticationMethod",),
        notes="Each method configuration is PATCHed on its own path ({ref} = the configuration id).",
    ),
    ObjectType(
        name="authorizationPolicy",
        path="policies/authorizationPolicy",
        select=_names(
            """
            id displayName description allowEmailVerifiedUsersToJoinOrganization allowInvitesFrom
            allowUserConsentForRiskyApps allowedToSignUpEmailBasedSubscriptions allowedToUseSSPR
            blockMsolPowerShell defaultUserRolePermissions guestUserRoleId
            """
        ),
        # A singleton: the whole object is read, and the properties of `select` are kept.
        send_select=False,
        fill_missing=False,
        read_only=("id",),
        unordered=("defaultUserRolePermissions.permissionGrantPoliciesAssigned",),
        singleton=True,
        rank=74,
        permissions_backup=_POLICY_READ,
        permissions_restore=("Policy.ReadWrite.Authorization",),
    ),
    ObjectType(
        name="organization",
        path="organization",
        select=_names(
            """
            id displayName businessPhones city country countryLetterCode createdDateTime defaultUsageLocation
            marketingNotificationEmails onPremisesSyncEnabled postalCode preferredLanguage privacyProfile
            securityComplianceNotificationMails securityComplianceNotificationPhones state street
            technicalNotificationMails tenantType verifiedDomains
            """
        ),
        volatile=("onPremisesLastSyncDateTime", "assignedPlans", "provisionedPlans"),
        read_only=_names("id createdDateTime verifiedDomains tenantType onPremisesSyncEnabled"),
        unordered=_names(
            """
            businessPhones marketingNotificationEmails securityComplianceNotificationMails
            securityComplianceNotificationPhones technicalNotificationMails verifiedDomains:name
            """
        ),
        restorable=False,
        permissions_backup=("Organization.Read.All",),
        notes="Read-only record of the tenant; backed up for reference, never restored.",
    ),
)


@dataclass(frozen=True)
class Report:
    """A tenant report written to `reports/` each run: the values Graph has now (for the secure score, also
    the daily history Graph still keeps); older values live on in git history."""

    name: str
    file: str
    path: str  # Graph path
    params: tuple[tuple[str, str], ...] = ()
    permissions: tuple[str, ...] = ()


SECURE_SCORE_DAYS = 90  # Graph keeps about 90 daily records; one request (`$top`) brings them all

REPORTS: tuple[Report, ...] = (
    Report(
        name="secureScore",
        file="reports/secureScore.yaml",
        path="security/secureScores",
        params=(("$top", str(SECURE_SCORE_DAYS)),),
        permissions=("SecurityEvents.Read.All",),
    ),
    Report(
        name="seats",
        file="reports/seats.yaml",
        path="subscribedSkus",
        permissions=("Organization.Read.All",),
    ),
)


def report(name: str) -> Report:
    """The REPORTS entry called `name` (a programming error, not user input, when missing)."""
    return next(r for r in REPORTS if r.name == name)


# Read by backup for audit attribution of changes (who changed what) and by restore for undelete lookups.
AUDIT_PERMISSIONS: tuple[str, ...] = ("AuditLog.Read.All",)

Steps = tuple[tuple[str, bool], ...]


def parse_dotted(path: str) -> tuple[Steps, str | None]:
    """'a.b[].c:key' -> ((('a', False), ('b', True), ('c', False)), 'key'): see the module docstring."""
    sort_key = None
    if ":" in path:
        path, sort_key = path.split(":", 1)
    steps = []
    for part in path.split("."):
        if part.endswith("[]"):
            steps.append((part[:-2], True))
        else:
            steps.append((part, False))
    return tuple(steps), sort_key


def walk(obj: Any, steps: Steps) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (parent dict, key) that parsed dotted-path steps reach in `obj`; missing parts yield nothing."""
    parents = [obj]
    for i, (key, each) in enumerate(steps):
        last = i == len(steps) - 1
        nxt: list[Any] = []
        for parent in parents:
            if not isinstance(parent, dict) or key not in parent:
                continue
            if last:
                yield parent, key
                continue
            child = parent[key]
            if each:
                if isinstance(child, list):
                    nxt.extend(child)
            else:
                nxt.append(child)
        parents = nxt


_BY_NAME = {t.name: t for t in CATALOG}
_BY_NAME_LOWER = {t.name.lower(): t for t in CATALOG}


def by_name(name: str) -> ObjectType:
    """The catalog entry called `name` (case-insensitive); a UsageError listing valid names otherwise."""
    t = _BY_NAME.get(name) or _BY_NAME_LOWER.get(name.lower())
    if t is None:
        valid = ", ".join(sorted(_BY_NAME))
        raise UsageError(f"unknown object type {name!r}; valid types: {valid}")
    return t


def restore_order() -> tuple[ObjectType, ...]:
    """Restorable types in the order a restore processes them."""
    return tuple(sorted((t for t in CATALOG if t.restorable), key=lambda t: t.rank))


def object_path(t: ObjectType, object_id: str) -> str:
    """Repository path of one object's file (POSIX separators, relative to the repository root)."""
    if t.singleton:
        return f"{t.path}.yaml"
    if not object_id or "/" in object_id or object_id in (".", ".."):
        raise ValueError(f"invalid object id for a file name: {object_id!r}")
    if t.shard:
        return f"{t.folder}/{object_id[:2]}/{object_id}.yaml"
    return f"{t.folder}/{object_id}.yaml"


def parse_path(relpath: str) -> tuple[ObjectType, str] | None:
    """(type, object id) of a repository path, or None when the path is not an object file.

    For a singleton the id returned is the last path segment (`authorizationPolicy`)."""
    relpath = relpath.replace("\\", "/")
    while relpath.startswith("./"):
        relpath = relpath[2:]
    if not relpath.endswith(".yaml"):
        return None
    for t in CATALOG:
        if t.singleton and relpath == f"{t.path}.yaml":
            return t, t.path.rsplit("/", 1)[-1]
    head, _, filename = relpath.rpartition("/")
    object_id = filename[: -len(".yaml")]
    if not object_id:
        return None
    for t in CATALOG:
        if t.singleton:
            continue
        if t.shard:
            if head == f"{t.folder}/{object_id[:2]}":
                return t, object_id
        elif head == t.folder:
            return t, object_id
    return None


def type_for_path(relpath: str) -> ObjectType | None:
    """The catalog type whose object file `relpath` is, or None (entragit.yaml, reports, stray files)."""
    parsed = parse_path(relpath)
    return parsed[0] if parsed else None


def select_param(t: ObjectType) -> str | None:
    """The `$select` value to send when listing `t`, or None when no $select must be sent.

    Relationships that come through delta are added by the caller of a delta query (`members`, `manager`)."""
    return ",".join(t.select) if t.send_select else None


def delta_select_param(t: ObjectType) -> str | None:
    """`$select` for a delta round: the properties plus the relationships delta returns as `<name>@delta`."""
    if not t.delta:
        return None
    extra = [r.name for r in t.relationships if r.via_delta]
    return ",".join((*t.select, *extra))


def is_backed_up(t: ObjectType, obj: Mapping[str, Any]) -> bool:
    """False for listed objects the catalog leaves out (built-in role definitions and auth strengths)."""
    return not any(obj.get(prop) == value for prop, value in t.exclude_when)
