"""Catalog entries of the directory's own objects: users, groups and administrative units."""

from __future__ import annotations

from entragit.catalog.model import (
    _DIRECTORY_TARGETS,
    _OWNER_TARGETS,
    _ROLES_WRITE,
    VALUES_FIELDS,
    DerivedType,
    ObjectType,
    Relationship,
    _directory_type,
    _links,
    _names,
)

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
    streetAddress surname usageLocation userType customSecurityAttributes
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

# An Entra agent user is a derived type of user (see the agent identities in applications.py).
_AGENT_USER = DerivedType(
    "#microsoft.graph.agentUser",
    not_recreatable="an agent user is created for its parent agent identity (identityParentId, "
    "agentuser-post.md); recreating it as a plain user would make another kind of object",
)

USERS: ObjectType = _directory_type(
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
    unordered=_names(
        """
        businessPhones proxyAddresses otherMails imAddresses identities
        authorizationInfo.certificateUserIds assignedLicenses:skuId assignedLicenses[].disabledPlans
        assignedPlans:servicePlanId licenseAssignmentStates:skuId licenseAssignmentStates[].disabledPlans
        customSecurityAttributes.*.*
        """
    ),
    relationships=(
        _USER_MANAGER,
        # user.md: sponsors "Supports $expand", with $select nested (user-list-sponsors.md); a user delta
        # query does not track them (delta-query-overview.md), so they are read each run for guests, whom
        # sponsors are for, through users?$filter=userType eq 'Guest' (docs/graph.md, Sponsors), in ranges
        # of mailNickname: a property every user has (user.md: required on create, and "Supports $filter
        # (eq, ne, not, ge, le, ...)"; the table of includes/filter-directory-objects.md marks its eq default
        # and leaves its ge/le cell blank, so a 400 for the ranges falls back to one listing).
        _links(
            "sponsors",
            "users",
            ("users", "groups"),
            via_delta=False,
            expand="sponsors($select=id)",
            only_when=("userType", "Guest"),
            split_by="mailNickname",
        ),
    ),
    extension_target="User",
    derived=(_AGENT_USER,),
    **VALUES_FIELDS,
    rank=20,
    permissions_backup=("User.Read.All",),
    permissions_restore=("User.ReadWrite.All",),
    notes="A recreated user gets a new random password (shown once on a terminal, else written to "
    "--passwords-file or shown to nobody) and no licenses until re-assigned. "
    "Undeleting a user who holds an admin role needs more than User.ReadWrite.All (a privileged role).",
)

GROUPS: ObjectType = _directory_type(
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
        assignedLabels licenseProcessingState hasMembersWithLicenseErrors serviceProvisioningErrors
        """
    ),
    create_only=_names("isAssignableToRole resourceBehaviorOptions resourceProvisioningOptions"),
    # Read-only on PATCH (group.md); group-assignlicense.md adds and removes them, with disabledPlans.
    write_actions=(("assignedLicenses", "groups/{id}/assignLicense"),),
    # group-post-groups.md: created Private (security) or Public (Microsoft 365) when not given; older
    # groups can still read null, which no PATCH brings back (visibility accepts Private, Public,
    # HiddenMembership only)
    null_is_default=("visibility",),
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
    extension_target="Group",
    rank=30,
    permissions_backup=("Group.Read.All",),
    # Role-assignable groups and their memberships also need RoleManagement.ReadWrite.Directory.
    permissions_restore=("Group.ReadWrite.All", *_ROLES_WRITE),
    notes="Microsoft 365 groups and cloud security groups (assigned or dynamic) are soft-deleted since "
    "2026 and undeleted with their members and owners; groups synced from on-premises, mail-enabled "
    "security groups and distribution groups are deleted at once, and are backed up but cannot be "
    "written through Graph.",
)

ADMINISTRATIVE_UNITS: ObjectType = _directory_type(
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
    extension_target="AdministrativeUnit",
    rank=60,
    permissions_backup=("AdministrativeUnit.Read.All",),
    permissions_restore=("AdministrativeUnit.ReadWrite.All",),
)
