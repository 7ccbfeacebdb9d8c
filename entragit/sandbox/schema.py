"""What the emulated tenant knows about each Graph type: paths, default property sets and write rules.

This is data, not behaviour: tenant.py stores objects; graph_api.py and rules.py enforce what it declares.
Property lists follow the v1.0 resource pages (resources/user.md, group.md, application.md, ...) and
docs/graph.md (Write rules); a type whose `known` set is None accepts any top-level property name.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from entragit import value_rules
from entragit.sandbox.baseline import iso, iso7, security_identifier

__all__ = ["security_identifier"]  # re-exported: the API layer's writes stamp SIDs like the seed does

# Properties every directory object has and nobody may write.
_DIRECTORY_READ_ONLY = frozenset({"id", "deletedDateTime"})

USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)

# Returned only by GET of a single user with $select; in a collection Graph answers 501 (NOTES §6).
USER_SINGLE_ONLY = frozenset(
    {
        "aboutMe",
        "birthday",
        "hireDate",
        "interests",
        "mySite",
        "pastProjects",
        "preferredName",
        "responsibilities",
        "schools",
        "skills",
        "mailboxSettings",
    }
)

USER_KNOWN = frozenset(
    {
        "aboutMe", "accountEnabled", "ageGroup", "assignedLicenses", "assignedPlans", "authorizationInfo",
        "birthday", "businessPhones", "city", "companyName", "consentProvidedForMinor", "country",
        "createdDateTime", "creationType", "customSecurityAttributes", "deletedDateTime", "department",
        "displayName", "employeeHireDate", "employeeLeaveDateTime", "employeeId", "employeeOrgData",
        "employeeType", "externalUserState", "externalUserStateChangeDateTime", "faxNumber", "givenName",
        "hireDate", "id", "identities", "identityParentId", "imAddresses", "interests",
        "isManagementRestricted", "isResourceAccount", "jobTitle", "lastPasswordChangeDateTime",
        "legalAgeGroupClassification",
        "licenseAssignmentStates", "mail", "mailboxSettings", "mailNickname", "mobilePhone", "mySite",
        "officeLocation", "onPremisesDistinguishedName", "onPremisesDomainName",
        "onPremisesExtensionAttributes", "onPremisesImmutableId", "onPremisesLastSyncDateTime",
        "onPremisesProvisioningErrors", "onPremisesSamAccountName", "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled", "onPremisesUserPrincipalName", "otherMails", "passwordPolicies",
        "passwordProfile", "pastProjects", "postalCode", "preferredDataLocation", "preferredLanguage",
        "preferredName", "provisionedPlans", "proxyAddresses",
        "responsibilities", "schools", "securityIdentifier", "serviceProvisioningErrors", "showInAddressList",
        "signInActivity", "signInSessionsValidFromDateTime", "skills", "state", "streetAddress", "surname",
        "usageLocation", "userPrincipalName", "userType",
    }
)  # fmt: skip

USER_READ_ONLY = _DIRECTORY_READ_ONLY | {
    "createdDateTime", "creationType", "lastPasswordChangeDateTime", "legalAgeGroupClassification",
    "assignedPlans", "provisionedPlans", "licenseAssignmentStates", "assignedLicenses", "proxyAddresses",
    "imAddresses", "signInSessionsValidFromDateTime", "signInActivity",
    "securityIdentifier", "externalUserState", "externalUserStateChangeDateTime",
    "onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesLastSyncDateTime",
    "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName", "onPremisesProvisioningErrors", "serviceProvisioningErrors",
    # an agent user's parent agent identity: set on create (agentuser-post.md), never cleared
    "identityParentId",
}  # fmt: skip

# What an admin may still change in the cloud on a user synced from on-premises AD.
USER_CLOUD_WRITABLE_WHEN_SYNCED = frozenset(
    {"usageLocation", "passwordPolicies", "preferredDataLocation", "ageGroup", "consentProvidedForMinor"}
)

GROUP_DEFAULT = (
    "id", "deletedDateTime", "classification", "createdDateTime", "description",
    "displayName", "expirationDateTime", "groupTypes", "isAssignableToRole", "mail", "mailEnabled",
    "mailNickname", "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName",
    "onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "preferredDataLocation", "preferredLanguage",
    "proxyAddresses", "renewedDateTime", "resourceBehaviorOptions", "resourceProvisioningOptions",
    "securityEnabled", "securityIdentifier", "theme", "visibility", "onPremisesProvisioningErrors",
    "serviceProvisioningErrors",
)  # fmt: skip

# Collection-valued properties per type (the v1.0 resource pages; tests/schema/test_sandbox_schema.py checks
# them against the CSDL). An unset one reads back as [], never null: OData JSON writes an empty collection as
# an empty array (OData JSON Format 4.01, 7.8 Collection of Primitive/Complex Values).
USER_LISTS = frozenset(
    {
        "assignedLicenses", "assignedPlans", "businessPhones", "identities", "imAddresses", "interests",
        "licenseAssignmentStates", "onPremisesProvisioningErrors", "otherMails", "pastProjects",
        "provisionedPlans", "proxyAddresses", "responsibilities", "schools", "serviceProvisioningErrors",
        "skills",
    }
)  # fmt: skip
_GROUP_LISTS = frozenset(
    {
        "groupTypes", "proxyAddresses", "resourceBehaviorOptions", "resourceProvisioningOptions",
        "onPremisesProvisioningErrors", "serviceProvisioningErrors", "assignedLabels", "assignedLicenses",
    }
)  # fmt: skip
APPLICATION_LISTS = frozenset(
    {
        "addIns",
        "appRoles",
        "identifierUris",
        "keyCredentials",
        "passwordCredentials",
        "requiredResourceAccess",
        "tags",
    }
)
SERVICE_PRINCIPAL_LISTS = frozenset(
    {
        "addIns", "alternativeNames", "appRoles", "keyCredentials", "notificationEmailAddresses",
        "oauth2PermissionScopes", "passwordCredentials", "replyUrls",
        "resourceSpecificApplicationPermissions", "servicePrincipalNames", "tags",
    }
)  # fmt: skip


def group_record(**values: Any) -> dict[str, Any]:
    """A group as the directory holds it: every default property (empty collections, other values null) in
    Graph's order, then `values`. Shared by API creates and generated tenants so both look alike."""
    obj: dict[str, Any] = {prop: ([] if prop in _GROUP_LISTS else None) for prop in GROUP_DEFAULT}
    obj.update(values)
    return obj


# Exchange-backed group properties: not settable in POST (NOTES §2.1), returned only when selected.
GROUP_EXCHANGE = frozenset(
    {
        "allowExternalSenders",
        "autoSubscribeNewMembers",
        "hideFromAddressLists",
        "hideFromOutlookClients",
        "isSubscribedByMail",
        "unseenCount",
    }
)

GROUP_KNOWN = frozenset(GROUP_DEFAULT) | GROUP_EXCHANGE | {
    "assignedLabels", "assignedLicenses", "hasMembersWithLicenseErrors", "isArchived",
    "isManagementRestricted",
    "licenseProcessingState", "uniqueName",
}  # fmt: skip

GROUP_READ_ONLY = _DIRECTORY_READ_ONLY | {
    "createdDateTime", "expirationDateTime", "renewedDateTime", "mail", "proxyAddresses",
    "onPremisesLastSyncDateTime", "onPremisesSamAccountName", "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled", "onPremisesProvisioningErrors", "onPremisesDomainName", "onPremisesNetBiosName",
    "securityIdentifier", "assignedLabels", "assignedLicenses", "licenseProcessingState",
    "hasMembersWithLicenseErrors", "createdOnBehalfOf", "serviceProvisioningErrors", "isSubscribedByMail",
    "unseenCount",
}  # fmt: skip

GROUP_CREATE_ONLY = frozenset(
    {"isAssignableToRole", "resourceBehaviorOptions", "resourceProvisioningOptions"}
)

APPLICATION_KNOWN = frozenset(
    {
        "addIns", "api", "appId", "applicationTemplateId", "appRoles", "certification", "createdDateTime",
        "defaultRedirectUri", "deletedDateTime", "description", "disabledByMicrosoftStatus", "displayName",
        "groupMembershipClaims", "id", "identifierUris", "info", "isDeviceOnlyAuthSupported",
        "isFallbackPublicClient", "keyCredentials", "logo", "nativeAuthenticationApisEnabled", "notes",
        "oauth2RequirePostResponse", "optionalClaims", "parentalControlSettings", "passwordCredentials",
        "publicClient", "publisherDomain", "requestSignatureVerification", "requiredResourceAccess",
        "samlMetadataUrl", "serviceManagementReference", "servicePrincipalLockConfiguration",
        "signInAudience", "spa", "tags", "tokenEncryptionKeyId", "uniqueName", "verifiedPublisher", "web",
        "authenticationBehaviors",
    }
)  # fmt: skip

APPLICATION_READ_ONLY = _DIRECTORY_READ_ONLY | {
    "appId", "createdDateTime", "publisherDomain", "disabledByMicrosoftStatus", "applicationTemplateId",
    "passwordCredentials", "certification", "uniqueName", "verifiedPublisher",
}  # fmt: skip

SERVICE_PRINCIPAL_KNOWN = frozenset(
    {
        "accountEnabled", "addIns", "alternativeNames", "appDescription", "appDisplayName", "appId",
        "applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "appRoles",
        "customSecurityAttributes", "deletedDateTime", "description", "disabledByMicrosoftStatus",
        "displayName", "homepage", "id", "info", "keyCredentials", "loginUrl", "logoutUrl", "notes",
        "notificationEmailAddresses", "oauth2PermissionScopes", "passwordCredentials",
        "preferredSingleSignOnMode", "preferredTokenSigningKeyThumbprint", "replyUrls",
        "resourceSpecificApplicationPermissions", "samlSingleSignOnSettings", "servicePrincipalNames",
        "servicePrincipalType", "signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher",
    }
)  # fmt: skip

SERVICE_PRINCIPAL_READ_ONLY = _DIRECTORY_READ_ONLY | {
    "appId", "appDisplayName", "appOwnerOrganizationId", "applicationTemplateId", "servicePrincipalType",
    "signInAudience", "passwordCredentials", "verifiedPublisher",
    "disabledByMicrosoftStatus", "resourceSpecificApplicationPermissions",
}  # fmt: skip

AU_KNOWN = frozenset(
    {
        "id", "deletedDateTime", "displayName", "description", "visibility", "membershipType",
        "membershipRule", "membershipRuleProcessingState", "isMemberManagementRestricted",
    }
)  # fmt: skip

CA_KNOWN = frozenset(
    {
        "id", "displayName", "description", "createdDateTime", "modifiedDateTime", "state", "conditions",
        "grantControls", "sessionControls", "templateId",
    }
)  # fmt: skip

NAMED_LOCATION_KNOWN = frozenset(
    {
        "@odata.type", "id", "displayName", "createdDateTime", "modifiedDateTime", "isTrusted", "ipRanges",
        "countriesAndRegions", "includeUnknownCountriesAndRegions", "countryLookupMethod",
    }
)  # fmt: skip

AUTH_STRENGTH_KNOWN = frozenset(
    {
        "id", "displayName", "description", "policyType", "requirementsSatisfied", "allowedCombinations",
        "createdDateTime", "modifiedDateTime", "combinationConfigurations",
    }
)  # fmt: skip


# Complex values whose v1.0 members the sandbox checks in writes (resources/<type>.md), by collection or
# singleton path and dotted property path → (complex type, members). Graph v1.0 refuses a member its type does
# not declare (beta-only ones too) with a 400; tests/schema/test_sandbox_schema.py checks the members against
# the CSDL.
_AMP = "policies/authenticationMethodsPolicy"
NESTED_KNOWN: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("identity/conditionalAccess/policies", "conditions"): (
        "conditionalAccessConditionSet",
        frozenset(
            {
                "applications", "authenticationFlows", "clientAppTypes", "clientApplications", "devices",
                "insiderRiskLevels", "locations", "platforms", "servicePrincipalRiskLevels",
                "signInRiskLevels", "userRiskLevels", "users",
            }
        ),
    ),
    ("applications", "servicePrincipalLockConfiguration"): (
        "servicePrincipalLockConfiguration",
        frozenset(
            {
                "allProperties", "credentialsWithUsageSign", "credentialsWithUsageVerify", "isEnabled",
                "tokenEncryptionKeyId",
            }
        ),
    ),
    (_AMP, "registrationEnforcement"): (
        "registrationEnforcement",
        frozenset({"authenticationMethodsRegistrationCampaign"}),
    ),
    (_AMP, "registrationEnforcement.authenticationMethodsRegistrationCampaign"): (
        "authenticationMethodsRegistrationCampaign",
        frozenset({"excludeTargets", "includeTargets", "snoozeDurationInDays", "state"}),
    ),
    # resources/selfservicesignupauthenticationflowconfiguration.md
    ("policies/authenticationFlowsPolicy", "selfServiceSignUp"): (
        "selfServiceSignUpAuthenticationFlowConfiguration", frozenset({"isEnabled"}),
    ),
}  # fmt: skip


def undeclared_member(key: str, body: dict[str, Any]) -> tuple[str, str] | None:
    """The first (property, complex type) of a write body to `key` that NESTED_KNOWN says its type lacks."""
    for (where, path), (ctype, members) in NESTED_KNOWN.items():
        if where != key:
            continue
        value: Any = body
        for step in path.split("."):
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, dict):
            for prop in value:
                if prop not in members and not prop.startswith("@odata."):
                    return prop, ctype
    return None


@dataclass(frozen=True)
class Relationship:
    """A directoryObject collection hanging off an object (members, owners)."""

    name: str
    targets: tuple[str, ...]  # collection keys a link may point to
    delta: bool = True  # tracked by the type's delta query when selected (users' sponsors are not)


@dataclass(frozen=True)
class TypeDef:
    """One Graph collection of the emulated tenant."""

    key: str  # collection path == seed key
    entity: str  # "user" → @odata.type "#microsoft.graph.user", cast "microsoft.graph.user"
    resource: str  # "User", used in Graph's error messages
    context: str  # @odata.context fragment of the collection
    entity_context: str  # @odata.context fragment of one item (without /$entity)
    default_select: tuple[str, ...] | None = None  # None: every stored property
    select_only: frozenset[str] = frozenset()  # stored but returned only when $select names them
    single_only: frozenset[str] = frozenset()  # $select of these on a collection → 501
    known: frozenset[str] | None = None
    lists: frozenset[str] = frozenset()  # collection-valued: unset reads back as []
    # Nullable="false" values an object may lack in storage, and what Graph returns for them then
    defaults: tuple[tuple[str, Any], ...] = ()
    required: tuple[str, ...] = ()
    read_only: frozenset[str] = frozenset({"id"})
    create_only: frozenset[str] = frozenset()
    directory_object: bool = False
    soft_delete: bool = False
    delta: bool = False
    polymorphic: bool = False  # items carry @odata.type (namedLocations)
    relationships: tuple[Relationship, ...] = ()
    indexed: tuple[str, ...] = ()  # case-insensitive equality indexes
    prefixed: tuple[str, ...] = ()  # sorted indexes for startsWith
    filterable: frozenset[str] | None = None  # None: any property
    id_style: str = "guid"  # guid | role_assignment | b64 | given
    fraction_dates: bool = False  # CA/namedLocations use 7-digit fractions
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True
    audit_category: str = "DirectoryManagement"
    audit_noun: str = "object"
    audit_type: str = "Other"
    max_top: int = 999

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.entity}"

    def relationship(self, name: str) -> Relationship | None:
        for rel in self.relationships:
            if rel.name.lower() == name.lower():
                return rel
        return None


_DIRECTORY_TARGETS = ("users", "groups", "servicePrincipals")

TYPES: dict[str, TypeDef] = {}

# Token and sign-in policies assigned to an application or service principal through a `$ref` on it
# (application-post-tokenlifetimepolicies.md, -post-tokenissuancepolicies.md, serviceprincipal-post-
# claimsmappingpolicies.md, -post-homerealmdiscoverypolicies.md, appmanagementpolicy-post-appliesto.md);
# the policy's `appliesTo` lists them back (graph_api._derived_links). The navigations the CSDL has that no
# page documents a write for (a service principal's tokenLifetimePolicies) are not emulated.
APPLICATION_POLICY_LINKS = tuple(
    Relationship(nav, (f"policies/{nav}",), delta=False)
    for nav in ("tokenLifetimePolicies", "tokenIssuancePolicies", "appManagementPolicies")
)
SERVICE_PRINCIPAL_POLICY_LINKS = tuple(
    Relationship(nav, (f"policies/{nav}",), delta=False)
    for nav in ("claimsMappingPolicies", "homeRealmDiscoveryPolicies", "appManagementPolicies")
)
# "can assign only one tokenLifetimePolicy per application" (application-post-tokenlifetimepolicies.md);
# "Only one policy object can be assigned to an application or service principal"
# (appmanagementpolicy-post-appliesto.md).
ONE_POLICY_PER_OWNER = frozenset(
    {"applications#tokenLifetimePolicies", "applications#appManagementPolicies",
     "servicePrincipals#appManagementPolicies"}
)  # fmt: skip


def _add(td: TypeDef) -> None:
    """What a create must send is the value rules' (shared with validate), where they have the type."""
    rules = value_rules.RESOURCES.get(td.key)
    TYPES[td.key] = replace(td, required=rules.required) if rules is not None else td


_add(
    TypeDef(
        key="users",
        entity="user",
        resource="User",
        context="users",
        entity_context="users",
        default_select=USER_DEFAULT,
        single_only=USER_SINGLE_ONLY,
        known=USER_KNOWN,
        lists=USER_LISTS,
        read_only=USER_READ_ONLY,
        # user-post-sponsors.md: users and groups; concepts/delta-query-overview.md names manager as the
        # only relationship a user delta query tracks.
        relationships=(Relationship("sponsors", ("users", "groups"), delta=False),),
        directory_object=True,
        soft_delete=True,
        delta=True,
        indexed=("userPrincipalName", "mailNickname", "displayName", "mail", "employeeId", "userType"),
        prefixed=("userPrincipalName", "displayName", "mail", "mailNickname", "givenName", "surname"),
        filterable=frozenset(
            {
                "deletedDateTime",
                "id",
                "userPrincipalName",
                "displayName",
                "givenName",
                "surname",
                "mail",
                "mailNickname",
                "accountEnabled",
                "userType",
                "jobTitle",
                "department",
                "companyName",
                "employeeId",
                "employeeType",
                "onPremisesSyncEnabled",
                "onPremisesImmutableId",
                "createdDateTime",
                "proxyAddresses",
                "otherMails",
                "identities",
                "assignedLicenses",
                "assignedPlans",
                "usageLocation",
                "country",
                "city",
                "state",
                "officeLocation",
                "creationType",
                "externalUserState",
                "businessPhones",
                "mobilePhone",
                "imAddresses",
                "preferredLanguage",
                "onPremisesSamAccountName",
                "onPremisesExtensionAttributes",
                "employeeHireDate",
                "employeeOrgData",
                "faxNumber",
                "postalCode",
                "streetAddress",
                "ageGroup",
                "consentProvidedForMinor",
                "legalAgeGroupClassification",
                "signInActivity",
            }
        ),
        audit_category="UserManagement",
        audit_noun="user",
        audit_type="User",
    )
)
_add(
    TypeDef(
        key="groups",
        entity="group",
        resource="Group",
        context="groups",
        entity_context="groups",
        default_select=GROUP_DEFAULT,
        select_only=GROUP_EXCHANGE | {"assignedLabels", "assignedLicenses", "licenseProcessingState"},
        # resources/group.md: the Exchange-backed ones are "supported only on the Get group API".
        single_only=GROUP_EXCHANGE,
        known=GROUP_KNOWN,
        lists=_GROUP_LISTS,
        read_only=GROUP_READ_ONLY,
        create_only=GROUP_CREATE_ONLY,
        directory_object=True,
        soft_delete=True,  # cloud groups only; see Tenant.soft_deletes
        delta=True,
        relationships=(
            Relationship("members", ("users", "groups", "servicePrincipals")),
            Relationship("owners", ("users", "servicePrincipals")),
        ),
        indexed=("displayName", "mailNickname", "mail"),
        prefixed=("displayName", "mailNickname", "mail"),
        filterable=frozenset(
            {
                "deletedDateTime",
                "id",
                "displayName",
                "mailNickname",
                "mail",
                "groupTypes",
                "securityEnabled",
                "mailEnabled",
                "isAssignableToRole",
                "createdDateTime",
                "onPremisesSyncEnabled",
                "proxyAddresses",
                "classification",
                "description",
                "expirationDateTime",
                "membershipRuleProcessingState",
                "onPremisesSamAccountName",
                "preferredLanguage",
                "renewedDateTime",
                "resourceProvisioningOptions",
                "visibility",
                "assignedLicenses",
                "hasMembersWithLicenseErrors",
                "theme",
                "securityIdentifier",
            }
        ),
        audit_category="GroupManagement",
        audit_noun="group",
        audit_type="Group",
    )
)
_add(
    TypeDef(
        key="applications",
        entity="application",
        resource="Application",
        context="applications",
        entity_context="applications",
        known=APPLICATION_KNOWN,
        lists=APPLICATION_LISTS,
        # resources/application.md: oauth2RequirePostResponse "The default is false"
        defaults=(("oauth2RequirePostResponse", False),),
        read_only=APPLICATION_READ_ONLY,
        directory_object=True,
        soft_delete=True,
        delta=True,
        relationships=(Relationship("owners", ("users", "servicePrincipals")), *APPLICATION_POLICY_LINKS),
        indexed=("appId", "displayName"),
        prefixed=("displayName",),
        filterable=frozenset(
            {
                "deletedDateTime",
                "id",
                "appId",
                "displayName",
                "identifierUris",
                "signInAudience",
                "createdDateTime",
                "publisherDomain",
                "tags",
                "web",
                "spa",
                "keyCredentials",
                "passwordCredentials",
                "requiredResourceAccess",
                "uniqueName",
                "info",
                "notes",
            }
        ),
        audit_category="ApplicationManagement",
        audit_noun="application",
        audit_type="Application",
    )
)
_add(
    TypeDef(
        key="servicePrincipals",
        entity="servicePrincipal",
        resource="ServicePrincipal",
        context="servicePrincipals",
        entity_context="servicePrincipals",
        known=SERVICE_PRINCIPAL_KNOWN,
        # resources/serviceprincipal.md: customSecurityAttributes "Returned only on $select"
        select_only=frozenset({"customSecurityAttributes"}),
        lists=SERVICE_PRINCIPAL_LISTS,
        # resources/serviceprincipal.md: appRoleAssignmentRequired "The default value is false"
        defaults=(("appRoleAssignmentRequired", False),),
        read_only=SERVICE_PRINCIPAL_READ_ONLY,
        directory_object=True,
        soft_delete=True,
        delta=True,
        relationships=(
            Relationship("owners", ("users", "servicePrincipals")),
            *SERVICE_PRINCIPAL_POLICY_LINKS,
        ),
        indexed=("appId", "displayName"),
        prefixed=("displayName",),
        filterable=frozenset(
            {
                "deletedDateTime",
                "id",
                "appId",
                "displayName",
                "servicePrincipalType",
                "accountEnabled",
                "servicePrincipalNames",
                "appOwnerOrganizationId",
                "tags",
                "appRoleAssignmentRequired",
                "preferredSingleSignOnMode",
                "alternativeNames",
                "keyCredentials",
                "signInAudience",
                "appDisplayName",
                "homepage",
            }
        ),
        audit_category="ApplicationManagement",
        audit_noun="service principal",
        audit_type="ServicePrincipal",
    )
)
_add(
    TypeDef(
        key="identity/conditionalAccess/policies",
        entity="conditionalAccessPolicy",
        resource="ConditionalAccessPolicy",
        context="conditionalAccess/policies",
        entity_context="conditionalAccess/policies",
        known=CA_KNOWN,
        read_only=frozenset({"id", "createdDateTime", "modifiedDateTime", "templateId"}),
        indexed=("displayName",),
        fraction_dates=True,
        audit_category="Policy",
        audit_noun="conditional access policy",
        audit_type="Policy",
    )
)
_add(
    TypeDef(
        key="identity/conditionalAccess/namedLocations",
        entity="namedLocation",
        resource="NamedLocation",
        context="conditionalAccess/namedLocations",
        entity_context="namedLocations",
        known=NAMED_LOCATION_KNOWN,
        lists=frozenset({"ipRanges", "countriesAndRegions"}),
        # resources/ipnamedlocation.md, countrynamedlocation.md: both booleans default to false
        defaults=(("isTrusted", False), ("includeUnknownCountriesAndRegions", False)),
        read_only=frozenset({"id", "createdDateTime", "modifiedDateTime"}),
        polymorphic=True,
        indexed=("displayName",),
        fraction_dates=True,
        audit_category="Policy",
        audit_noun="named location",
        audit_type="Policy",
    )
)
_add(
    TypeDef(
        key="identity/conditionalAccess/authenticationStrength/policies",
        entity="authenticationStrengthPolicy",
        resource="AuthenticationStrengthPolicy",
        context="identity/conditionalAccess/authenticationStrength/policies",
        entity_context="identity/conditionalAccess/authenticationStrength/policies",
        known=AUTH_STRENGTH_KNOWN,
        lists=frozenset({"allowedCombinations"}),
        read_only=frozenset(
            {
                "id",
                "createdDateTime",
                "modifiedDateTime",
                "policyType",
                "requirementsSatisfied",
                "allowedCombinations",
            }
        ),
        fraction_dates=True,
        audit_category="Policy",
        audit_noun="authentication strength policy",
        audit_type="Policy",
    )
)
_add(
    TypeDef(
        key="identity/conditionalAccess/authenticationContextClassReferences",
        entity="authenticationContextClassReference",
        resource="AuthenticationContextClassReference",
        context="identity/conditionalAccess/authenticationContextClassReferences",
        entity_context="identity/conditionalAccess/authenticationContextClassReferences",
        known=frozenset({"id", "displayName", "description", "isAvailable"}),
        read_only=frozenset({"id"}),
        id_style="given",
        audit_category="Policy",
        audit_noun="authentication context",
        audit_type="Policy",
    )
)
_add(
    TypeDef(
        key="directory/administrativeUnits",
        entity="administrativeUnit",
        resource="AdministrativeUnit",
        context="directory/administrativeUnits",
        entity_context="administrativeUnits",
        known=AU_KNOWN,
        read_only=_DIRECTORY_READ_ONLY,
        create_only=frozenset({"isMemberManagementRestricted"}),
        directory_object=True,
        soft_delete=True,
        delta=True,
        relationships=(Relationship("members", ("users", "groups")),),
        indexed=("displayName",),
        prefixed=("displayName",),
        filterable=frozenset(
            {"id", "displayName", "description", "membershipType", "visibility", "deletedDateTime"}
        ),
        audit_category="AdministrativeUnit",
        audit_noun="administrative unit",
        audit_type="AdministrativeUnit",
    )
)
# Custom security attributes (sandbox/custom_attributes.py has the rules): neither sets nor definitions can be
# deleted (resources/attributeset.md, customsecurityattributedefinition.md).
_add(
    TypeDef(
        key="directory/attributeSets",
        entity="attributeSet",
        resource="AttributeSet",
        context="directory/attributeSets",
        entity_context="directory/attributeSets",
        known=frozenset({"id", "description", "maxAttributesPerSet"}),
        id_style="given",
        deletable=False,
        audit_category="CustomSecurityAttributes",
        audit_noun="attribute set",
    )
)
_add(
    TypeDef(
        key="directory/customSecurityAttributeDefinitions",
        entity="customSecurityAttributeDefinition",
        resource="CustomSecurityAttributeDefinition",
        context="directory/customSecurityAttributeDefinitions",
        entity_context="directory/customSecurityAttributeDefinitions",
        select_only=frozenset({"allowedValues"}),  # a navigation property, only on $expand
        known=frozenset(
            {
                "id", "attributeSet", "description", "isCollection", "isSearchable", "name", "status",
                "type", "usePreDefinedValuesOnly",
            }
        ),
        create_only=frozenset({"attributeSet", "isCollection", "isSearchable", "name", "type"}),
        filterable=frozenset({"id", "attributeSet", "name", "status", "type"}),
        id_style="given",
        deletable=False,
        audit_category="CustomSecurityAttributes",
        audit_noun="custom security attribute definition",
    )
)  # fmt: skip
_add(
    TypeDef(
        key="roleManagement/directory/roleDefinitions",
        entity="unifiedRoleDefinition",
        resource="UnifiedRoleDefinition",
        context="roleManagement/directory/roleDefinitions",
        entity_context="roleManagement/directory/roleDefinitions",
        known=frozenset(
            {
                "id",
                "description",
                "displayName",
                "isBuiltIn",
                "isEnabled",
                "resourceScopes",
                "templateId",
                "version",
                "rolePermissions",
                "inheritsPermissionsFrom",
                "deletedDateTime",
            }
        ),
        lists=frozenset({"resourceScopes", "rolePermissions"}),
        read_only=frozenset({"id", "isBuiltIn", "templateId", "inheritsPermissionsFrom", "deletedDateTime"}),
        # resources/unifiedroledefinition.md (2026): a deleted custom role definition is soft-deleted into
        # roleManagement/directory/deletedItems/roleDefinitions (RECYCLE_BINS), not directory/deletedItems.
        soft_delete=True,
        indexed=("displayName", "templateId"),
        filterable=frozenset({"id", "displayName", "isBuiltIn", "templateId", "isEnabled"}),
        audit_category="RoleManagement",
        audit_noun="role definition",
        audit_type="Role",
    )
)
_add(
    TypeDef(
        key="roleManagement/directory/roleAssignments",
        entity="unifiedRoleAssignment",
        resource="UnifiedRoleAssignment",
        context="roleManagement/directory/roleAssignments",
        entity_context="roleManagement/directory/roleAssignments",
        known=frozenset(
            {"id", "roleDefinitionId", "principalId", "directoryScopeId", "appScopeId", "condition"}
        ),
        indexed=("principalId", "roleDefinitionId", "directoryScopeId"),
        filterable=frozenset({"id", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId"}),
        id_style="role_assignment",
        updatable=False,
        audit_category="RoleManagement",
        audit_noun="role assignment",
        audit_type="Role",
    )
)
# resources/activitybasedtimeoutpolicy.md (an stsPolicy: a directory object, deleted for good).
_add(
    TypeDef(
        key="policies/activityBasedTimeoutPolicies",
        entity="activityBasedTimeoutPolicy",
        resource="ActivityBasedTimeoutPolicy",
        context="policies/activityBasedTimeoutPolicies",
        entity_context="policies/activityBasedTimeoutPolicies",
        known=frozenset(
            {"id", "deletedDateTime", "definition", "description", "displayName", "isOrganizationDefault"}
        ),
        lists=frozenset({"definition"}),
        read_only=_DIRECTORY_READ_ONLY,
        audit_category="Policy",
        audit_noun="activity based timeout policy",
        audit_type="Policy",
    )
)
# resources/groupsettingtemplate.md, groupsetting.md, grouplifecyclepolicy.md (sandbox/group_policies.py).
# Templates are Microsoft's, read-only; the expiration policy's groups are written through addGroup and
# removeGroup only (no navigation property of the policy reads them).
_add(
    TypeDef(
        key="groupSettingTemplates",
        entity="groupSettingTemplate",
        resource="GroupSettingTemplate",
        context="groupSettingTemplates",
        entity_context="groupSettingTemplates",
        known=frozenset({"id", "deletedDateTime", "displayName", "description", "values"}),
        lists=frozenset({"values"}),
        read_only=_DIRECTORY_READ_ONLY,
        creatable=False,
        updatable=False,
        deletable=False,
    )
)
_add(
    TypeDef(
        key="groupSettings",
        entity="groupSetting",
        resource="GroupSetting",
        context="groupSettings",
        entity_context="groupSettings",
        known=frozenset({"id", "displayName", "templateId", "values"}),
        lists=frozenset({"values"}),
        read_only=frozenset({"id", "displayName", "templateId"}),
        audit_category="DirectoryManagement",
        audit_noun="directory setting",
        audit_type="Directory",
    )
)
_add(
    TypeDef(
        key="groupLifecyclePolicies",
        entity="groupLifecyclePolicy",
        resource="GroupLifecyclePolicy",
        context="groupLifecyclePolicies",
        entity_context="groupLifecyclePolicies",
        known=frozenset({"id", "alternateNotificationEmails", "groupLifetimeInDays", "managedGroupTypes"}),
        relationships=(Relationship("groups", ("groups",), delta=False),),
        audit_category="GroupManagement",
        audit_noun="lifecycle policy",
        audit_type="Policy",
    )
)
# resources/claimsmappingpolicy.md, tokenissuancepolicy.md, tokenlifetimepolicy.md,
# homerealmdiscoverypolicy.md (stsPolicy, like the activity-based timeout policy) and appmanagementpolicy.md
# (a policyBase): directory objects (the CSDL's policyBase derives from directoryObject), deleted for good.
TOKEN_POLICY_KEYS = (
    "policies/claimsMappingPolicies",
    "policies/tokenIssuancePolicies",
    "policies/tokenLifetimePolicies",
    "policies/homeRealmDiscoveryPolicies",
)
for _key, _entity, _noun in (
    ("policies/claimsMappingPolicies", "claimsMappingPolicy", "claims mapping policy"),
    ("policies/tokenIssuancePolicies", "tokenIssuancePolicy", "token issuance policy"),
    ("policies/tokenLifetimePolicies", "tokenLifetimePolicy", "token lifetime policy"),
    ("policies/homeRealmDiscoveryPolicies", "homeRealmDiscoveryPolicy", "home realm discovery policy"),
    ("policies/appManagementPolicies", "appManagementPolicy", "app management policy"),
):
    _sts = _key in TOKEN_POLICY_KEYS
    _add(
        TypeDef(
            key=_key,
            entity=_entity,
            resource=_entity[0].upper() + _entity[1:],
            context=_key,
            entity_context=_key,
            known=frozenset(
                {"id", "deletedDateTime", "description", "displayName"}
                | ({"definition", "isOrganizationDefault"} if _sts else {"isEnabled", "restrictions"})
            ),
            lists=frozenset({"definition"} if _sts else ()),
            # isEnabled is Nullable="false"; appmanagementpolicy-post.md makes it optional without naming its
            # default: a policy created without it is on, as the page's examples are.
            defaults=() if _sts else (("isEnabled", True),),
            read_only=_DIRECTORY_READ_ONLY,
            directory_object=True,
            audit_category="Policy",
            audit_noun=_noun,
            audit_type="Policy",
        )
    )
# resources/permissiongrantpolicy.md (a policyBase: a directory object); sandbox/consent_policies.py.
_add(
    TypeDef(
        key="policies/permissionGrantPolicies",
        entity="permissionGrantPolicy",
        resource="PermissionGrantPolicy",
        context="policies/permissionGrantPolicies",
        entity_context="policies/permissionGrantPolicies",
        known=frozenset({"id", "deletedDateTime", "displayName", "description", "includes", "excludes"}),
        read_only=_DIRECTORY_READ_ONLY,
        id_style="given",
        audit_category="Policy",
        audit_noun="permission grant policy",
        audit_type="Policy",
    )
)
# Privileged Identity Management for Microsoft Entra roles (pim.py writes them through schedule requests):
# resources/unifiedroleeligibilityschedule.md, unifiedroleassignmentschedule.md, their *schedulerequest.md,
# unifiedrolemanagementpolicy.md, unifiedrolemanagementpolicyassignment.md. Schedules are read-only
# collections; a request POSTed to the requests collection makes, changes or removes one.
_SCHEDULE_KNOWN = frozenset(
    {
        "id", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId", "createdUsing",
        "createdDateTime", "modifiedDateTime", "status", "scheduleInfo", "memberType",
    }
)  # fmt: skip
_REQUEST_KNOWN = frozenset(
    {
        "id", "action", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId",
        "isValidationOnly", "targetScheduleId", "justification", "scheduleInfo", "ticketInfo", "status",
        "createdDateTime", "completedDateTime", "approvalId", "customData", "createdBy",
    }
)  # fmt: skip
for _key, _entity, _known, _noun in (
    (
        "roleEligibilitySchedules",
        "unifiedRoleEligibilitySchedule",
        _SCHEDULE_KNOWN,
        "eligible role assignment",
    ),
    (
        "roleAssignmentSchedules",
        "unifiedRoleAssignmentSchedule",
        _SCHEDULE_KNOWN | {"assignmentType"},
        "active role assignment",
    ),
    ("roleEligibilityScheduleRequests", "unifiedRoleEligibilityScheduleRequest", _REQUEST_KNOWN, "request"),
    ("roleAssignmentScheduleRequests", "unifiedRoleAssignmentScheduleRequest", _REQUEST_KNOWN, "request"),
):
    _add(
        TypeDef(
            key=f"roleManagement/directory/{_key}",
            entity=_entity,
            resource=_entity[0].upper() + _entity[1:],
            context=f"roleManagement/directory/{_key}",
            entity_context=f"roleManagement/directory/{_key}",
            known=_known,
            indexed=("principalId", "roleDefinitionId"),
            filterable=_known - {"scheduleInfo", "createdBy", "ticketInfo"},
            creatable=False,
            updatable=False,
            deletable=False,
            audit_category="RoleManagement",
            audit_noun=_noun,
            audit_type="Role",
        )
    )
# PIM for Groups (pim_groups.py writes them through schedule requests): resources/privilegedaccessgroup
# eligibilityschedule.md, privilegedaccessgroupassignmentschedule.md and their *schedulerequest.md.
_GROUP_SCHEDULE_KNOWN = frozenset(
    {
        "id", "principalId", "groupId", "accessId", "createdUsing", "createdDateTime", "modifiedDateTime",
        "status", "scheduleInfo", "memberType",
    }
)  # fmt: skip
_GROUP_REQUEST_KNOWN = frozenset(
    {
        "id", "action", "principalId", "groupId", "accessId", "isValidationOnly", "targetScheduleId",
        "justification", "scheduleInfo", "ticketInfo", "status", "createdDateTime", "completedDateTime",
        "approvalId", "customData", "createdBy",
    }
)  # fmt: skip
_GROUP_ASSIGNMENT_KNOWN = _GROUP_SCHEDULE_KNOWN | {"assignmentType"}
_GROUP_NOUN = "group membership or ownership"
for _key, _entity, _known, _noun in (
    ("eligibilitySchedules", "privilegedAccessGroupEligibilitySchedule", _GROUP_SCHEDULE_KNOWN,
     f"eligible {_GROUP_NOUN}"),
    ("assignmentSchedules", "privilegedAccessGroupAssignmentSchedule", _GROUP_ASSIGNMENT_KNOWN,
     f"active {_GROUP_NOUN}"),
    ("eligibilityScheduleRequests", "privilegedAccessGroupEligibilityScheduleRequest", _GROUP_REQUEST_KNOWN,
     "request"),
    ("assignmentScheduleRequests", "privilegedAccessGroupAssignmentScheduleRequest", _GROUP_REQUEST_KNOWN,
     "request"),
):  # fmt: skip
    _add(
        TypeDef(
            key=f"identityGovernance/privilegedAccess/group/{_key}",
            entity=_entity,
            resource=_entity[0].upper() + _entity[1:],
            context=f"identityGovernance/privilegedAccess/group/{_key}",
            entity_context=f"identityGovernance/privilegedAccess/group/{_key}",
            known=_known,
            indexed=("principalId", "groupId"),
            filterable=_known - {"scheduleInfo", "createdBy", "ticketInfo"},
            creatable=False,
            updatable=False,
            deletable=False,
            audit_category="GroupManagement",
            audit_noun=_noun,
            audit_type="Group",
        )
    )
_add(
    TypeDef(
        key="policies/roleManagementPolicies",
        entity="unifiedRoleManagementPolicy",
        resource="UnifiedRoleManagementPolicy",
        context="policies/roleManagementPolicies",
        entity_context="policies/roleManagementPolicies",
        known=frozenset(
            {
                "id",
                "displayName",
                "description",
                "isOrganizationDefault",
                "lastModifiedBy",
                "lastModifiedDateTime",
                "scopeId",
                "scopeType",
            }
        ),
        select_only=frozenset({"rules"}),  # a navigation property: returned with $expand=rules only
        filterable=frozenset({"id", "scopeId", "scopeType"}),
        creatable=False,
        updatable=False,
        deletable=False,
        audit_category="RoleManagement",
        audit_noun="role setting",
        audit_type="Role",
    )
)
_add(
    TypeDef(
        key="policies/roleManagementPolicyAssignments",
        entity="unifiedRoleManagementPolicyAssignment",
        resource="UnifiedRoleManagementPolicyAssignment",
        context="policies/roleManagementPolicyAssignments",
        entity_context="policies/roleManagementPolicyAssignments",
        known=frozenset({"id", "policyId", "roleDefinitionId", "scopeId", "scopeType"}),
        filterable=frozenset({"id", "policyId", "roleDefinitionId", "scopeId", "scopeType"}),
        creatable=False,
        updatable=False,
        deletable=False,
    )
)
_add(
    TypeDef(
        key="oauth2PermissionGrants",
        entity="oAuth2PermissionGrant",
        resource="OAuth2PermissionGrant",
        context="oauth2PermissionGrants",
        entity_context="oauth2PermissionGrants",
        known=frozenset({"id", "clientId", "consentType", "principalId", "resourceId", "scope"}),
        read_only=frozenset({"id", "clientId", "consentType", "principalId", "resourceId"}),
        indexed=("clientId", "resourceId", "principalId"),
        filterable=frozenset({"id", "clientId", "consentType", "principalId", "resourceId"}),
        id_style="b64",
        audit_category="ApplicationManagement",
        audit_noun="delegated permission grant",
        audit_type="ServicePrincipal",
    )
)
# Directory extension definitions live under applications/{id}/extensionProperties (sandbox/extensions.py);
# stored as their own collection, found by the appId their name carries.
_add(
    TypeDef(
        key="extensionProperties",
        entity="extensionProperty",
        resource="ExtensionProperty",
        context="extensionProperties",
        entity_context="extensionProperties",
        known=frozenset(
            {
                "id",
                "deletedDateTime",
                "appDisplayName",
                "dataType",
                "isMultiValued",
                "isSyncedFromOnPremises",
                "name",
                "targetObjects",
            }
        ),
        lists=frozenset({"targetObjects"}),
        defaults=(("isMultiValued", False),),  # application-post-extensionproperty.md: "The default is false"
        required=("name", "dataType", "targetObjects"),
        read_only=frozenset({"id", "deletedDateTime", "appDisplayName", "isSyncedFromOnPremises"}),
        prefixed=("name",),
        filterable=frozenset({"name"}),  # extensionproperty.md: name "Supports $filter (eq)"
        updatable=False,
        audit_category="ApplicationManagement",
        audit_noun="application",
        audit_type="Application",
    )
)
# appRoleAssignedTo lives under servicePrincipals/{id}; stored as its own collection indexed both ways.
_add(
    TypeDef(
        key="appRoleAssignments",
        entity="appRoleAssignment",
        resource="AppRoleAssignment",
        context="appRoleAssignments",
        entity_context="appRoleAssignments",
        required=("principalId", "resourceId", "appRoleId"),
        indexed=("resourceId", "principalId"),
        filterable=frozenset({"id", "principalId", "resourceId", "appRoleId", "principalType"}),
        id_style="b64",
        updatable=False,
        audit_category="ApplicationManagement",
        audit_noun="app role assignment",
        audit_type="ServicePrincipal",
    )
)
_add(
    TypeDef(
        key="organization",
        entity="organization",
        resource="Organization",
        context="organization",
        entity_context="organization",
        read_only=frozenset(
            {
                "id",
                "verifiedDomains",
                "assignedPlans",
                "provisionedPlans",
                "createdDateTime",
                "tenantType",
                "displayName",
                "countryLetterCode",
                "onPremisesSyncEnabled",
                "onPremisesLastSyncDateTime",
            }
        ),
        creatable=False,
        deletable=False,
        audit_category="DirectoryManagement",
        audit_noun="company settings",
        audit_type="Other",
    )
)
_add(
    TypeDef(
        key="subscribedSkus",
        entity="subscribedSku",
        resource="SubscribedSku",
        context="subscribedSkus",
        entity_context="subscribedSkus",
        creatable=False,
        updatable=False,
        deletable=False,
    )
)
_add(
    TypeDef(
        key="security/secureScores",
        entity="secureScore",
        resource="SecureScore",
        context="security/secureScores",
        entity_context="security/secureScores",
        creatable=False,
        updatable=False,
        deletable=False,
    )
)
_add(
    TypeDef(
        key="auditLogs/directoryAudits",
        entity="directoryAudit",
        resource="DirectoryAudit",
        context="auditLogs/directoryAudits",
        entity_context="auditLogs/directoryAudits",
        creatable=False,
        updatable=False,
        deletable=False,
        max_top=1000,
    )
)

_add(
    TypeDef(
        key="deviceManagement/deviceCompliancePolicies",
        entity="deviceCompliancePolicy",
        resource="DeviceCompliancePolicy",
        context="deviceManagement/deviceCompliancePolicies",
        entity_context="deviceManagement/deviceCompliancePolicies",
        read_only=frozenset({"id", "createdDateTime", "lastModifiedDateTime"}),
        polymorphic=True,
        fraction_dates=True,
        audit_category="Policy",
        audit_noun="device compliance policy",
        audit_type="Policy",
    )
)  # served by sandbox/intune.py

_add(
    TypeDef(
        key="identityGovernance/termsOfUse/agreements",
        entity="agreement",
        resource="Agreement",
        context="identityGovernance/termsOfUse/agreements",
        entity_context="identityGovernance/termsOfUse/agreements",
        fraction_dates=True,
        audit_category="Policy",
        audit_noun="agreement",
        audit_type="Policy",
    )
)  # served by sandbox/agreements.py

# resources/featurerolloutpolicy.md: staged rollout of a sign-in feature to groups (`appliesTo`, groups only,
# at most 10: sandbox/feature_rollout.py); an entity, not a directory object, deleted for good.
# featurerolloutpolicy-update.md names the properties a PATCH may change: the feature is not one of them.
_add(
    TypeDef(
        key="policies/featureRolloutPolicies",
        entity="featureRolloutPolicy",
        resource="FeatureRolloutPolicy",
        context="policies/featureRolloutPolicies",
        entity_context="policies/featureRolloutPolicies",
        default_select=(
            "id",
            "displayName",
            "description",
            "feature",
            "isEnabled",
            "isAppliedToOrganization",
        ),
        known=frozenset(
            {"id", "displayName", "description", "feature", "isEnabled", "isAppliedToOrganization"}
        ),
        defaults=(("isAppliedToOrganization", False),),
        create_only=frozenset({"feature"}),
        relationships=(Relationship("appliesTo", ("groups",), delta=False),),
        audit_category="Policy",
        audit_noun="feature rollout policy",
        audit_type="Policy",
    )
)

# organization: the few properties an admin may PATCH (resources/organization.md); the rest is read-only.
ORGANIZATION_WRITABLE = frozenset(
    {
        "marketingNotificationEmails",
        "privacyProfile",
        "securityComplianceNotificationMails",
        "securityComplianceNotificationPhones",
        "technicalNotificationMails",
    }
)

SINGLETONS: dict[str, tuple[str, frozenset[str]]] = {
    # path → (@odata.context fragment, read-only properties)
    "policies/authenticationMethodsPolicy": (
        "policies/authenticationMethodsPolicy/$entity",
        frozenset({"id", "lastModifiedDateTime", "policyVersion", "reconfirmationInDays"}),
    ),
    "policies/authorizationPolicy": ("policies/authorizationPolicy/$entity", frozenset({"id"})),
    # identitysecuritydefaultsenforcementpolicy-get.md's response names the singleton without `/$entity`.
    "policies/identitySecurityDefaultsEnforcementPolicy": (
        "policies/identitySecurityDefaultsEnforcementPolicy",
        frozenset({"id", "displayName", "description"}),
    ),
    # authenticationflowspolicy-update.md: "The properties id, type, and description cannot be modified."
    "policies/authenticationFlowsPolicy": (
        "policies/authenticationFlowsPolicy/$entity",
        frozenset({"id", "displayName", "description"}),
    ),
    # resources/adminconsentrequestpolicy.md: version is read-only.
    "policies/adminConsentRequestPolicy": (
        "policies/adminConsentRequestPolicy/$entity",
        frozenset({"id", "version"}),
    ),
    "policies/defaultAppManagementPolicy": ("policies/defaultAppManagementPolicy/$entity", frozenset({"id"})),
}

# The policy singletons whose writes follow one table: path → (method, resource name in Graph's messages,
# the properties the update page's request body takes, those it requires). The authorization and
# authentication methods policies have handlers of their own.
SINGLETON_WRITES: dict[str, tuple[str, str, frozenset[str], frozenset[str]]] = {
    # identitysecuritydefaultsenforcementpolicy-update.md: PATCH, isEnabled.
    "policies/identitySecurityDefaultsEnforcementPolicy": (
        "PATCH",
        "IdentitySecurityDefaultsEnforcementPolicy",
        frozenset({"isEnabled"}),
        frozenset(),
    ),
    # authenticationflowspolicy-update.md: PATCH, selfServiceSignUp.
    "policies/authenticationFlowsPolicy": (
        "PATCH",
        "AuthenticationFlowsPolicy",
        frozenset({"selfServiceSignUp"}),
        frozenset(),
    ),
    # tenantappmanagementpolicy-update.md: PATCH of the five properties of its request body.
    "policies/defaultAppManagementPolicy": (
        "PATCH",
        "TenantAppManagementPolicy",
        frozenset(
            {
                "displayName",
                "description",
                "isEnabled",
                "applicationRestrictions",
                "servicePrincipalRestrictions",
            }
        ),
        frozenset(),
    ),
    # adminconsentrequestpolicy-update.md: PUT of the whole policy; "the properties that are required when
    # you update" are all five.
    "policies/adminConsentRequestPolicy": (
        "PUT",
        "AdminConsentRequestPolicy",
        frozenset({"isEnabled", "notifyReviewers", "remindersEnabled", "requestDurationInDays", "reviewers"}),
        frozenset({"isEnabled", "notifyReviewers", "remindersEnabled", "requestDurationInDays", "reviewers"}),
    ),
}

# deletedItems cast → collection key
CASTS: dict[str, str] = {
    "microsoft.graph.user": "users",
    "microsoft.graph.group": "groups",
    "microsoft.graph.application": "applications",
    "microsoft.graph.serviceprincipal": "servicePrincipals",
    "microsoft.graph.administrativeunit": "directory/administrativeUnits",
}

ODATA_TYPE_TO_KEY: dict[str, str] = {TYPES[k].odata_type.lower(): k for k in CASTS.values()}

# Recycle bins of soft-deleted types that are not directory objects: bin path → collection key
# (directoryrolemanagementdeleteditemcontainer-list-roledefinitions.md, unifiedroledefinition-restore.md).
RECYCLE_BINS: dict[str, str] = {
    "roleManagement/directory/deletedItems/roleDefinitions": "roleManagement/directory/roleDefinitions",
}

NAMED_LOCATION_TYPES = ("#microsoft.graph.ipNamedLocation", "#microsoft.graph.countryNamedLocation")
CIDR_TYPES = ("#microsoft.graph.iPv4CidrRange", "#microsoft.graph.iPv6CidrRange")


def path_index() -> list[tuple[list[str], str]]:
    """Collection paths split into lower-cased segments, longest first (so routing prefers the deepest)."""
    nested = ("appRoleAssignments", "extensionProperties")  # reached through their owners only
    entries = [(k.lower().split("/"), k) for k in TYPES if k not in nested]
    entries += [(k.lower().split("/"), k) for k in SINGLETONS]
    entries.sort(key=lambda e: -len(e[0]))
    return entries


# ---------------------------------------------------------------------------------------------- values


def new_guid() -> str:
    return str(uuid.uuid4())


def new_b64_id() -> str:
    """Non-GUID ids of appRoleAssignments and grants: 43 base64url characters, like Graph's."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def new_role_assignment_id() -> str:
    return new_b64_id() + "-1"


def format_time(moment: dt.datetime, fraction: bool = False) -> str:
    """Directory objects use whole seconds; CA and named locations 7-digit fractions (NOTES §11)."""
    return iso7(moment) if fraction else iso(moment)


def parse_time(text: str) -> dt.datetime:
    """Parse Graph's ISO 8601 (Z, offsets, up to 7 fraction digits)."""
    value = text.strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, rest = value.split(".", 1)
        digits = ""
        tail = ""
        for i, ch in enumerate(rest):
            if ch.isdigit():
                digits += ch
            else:
                tail = rest[i:]
                break
        value = f"{head}.{(digits + '000000')[:6]}{tail}"
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


@dataclass
class Page:
    """One page of a listing: items plus the skiptoken state of the next page (None when last)."""

    items: list[dict]
    next_state: dict | None = None
    count: int | None = None
    extra: dict = field(default_factory=dict)


def read_value(td: TypeDef, obj: dict, prop: str) -> Any:
    """A property as Graph returns it: unset collections as [] and unset non-nullable values as their
    default, whatever the store holds (seeds, generated tenants and creates may leave them out)."""
    value = obj.get(prop)
    if value is None:
        if prop in td.lists:
            return []
        for name, default in td.defaults:
            if name == prop:
                return default
    return value


def project(td: TypeDef, obj: dict, select: list[str] | None = None, with_type: bool = False) -> dict:
    """The JSON Graph returns for an object: $select, else the type's default property set.

    Selected properties that are unset come back as null (collections as []), like Graph; `id` is always
    included; passwordProfile is write-only and never returned.
    """
    out: dict = {}
    kind = obj.get("@odata.type")
    if with_type or td.polymorphic or (kind and kind != td.odata_type):
        # An item of a derived type in a base collection carries its type (OData minimal metadata; the agent
        # identities in /servicePrincipals: agentidentity.md, serviceprincipal-list.md).
        out["@odata.type"] = kind or td.odata_type
    if select:
        for prop in select:
            out[prop] = read_value(td, obj, prop)
        out.setdefault("id", obj.get("id"))
    elif td.default_select is not None:
        for prop in td.default_select:
            out[prop] = read_value(td, obj, prop)
    else:
        for key in obj:
            # (directory extension values: only when selected, extensibility-overview.md)
            hidden = key in td.select_only or key.startswith("extension_")
            if not hidden and key not in ("passwordProfile", "@odata.type"):
                out[key] = read_value(td, obj, key)
    if "passwordProfile" in out:
        out["passwordProfile"] = None  # write-only: a selected profile reads back as null
    return out
