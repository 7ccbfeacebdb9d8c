"""Catalog entries of conditional access: policies, named locations, authentication contexts and
authentication strengths."""

from __future__ import annotations

from entragit.catalog.model import _POLICY_READ, ObjectType, Reference, _contained, _names

_CA_RESTORE = ("Policy.ReadWrite.ConditionalAccess", "Policy.Read.All", "Application.Read.All")
# Conditional access objects are hard-deleted in v1.0; the portal's recycle bin for them is a preview that
# only beta reaches, and beta documents no application permission for it (docs/graph.md, Deleted items).
_CA_HARD_DELETE = "Hard-deleted in v1.0: a deleted {what} is recreated with a new id."
_CA_RECREATE_NOTE = (
    "the original may still be restorable from the portal's deleted items (preview; Graph v1.0 cannot see "
    "it): restore it there instead of applying this, or delete it there for good, so that the tenant does "
    "not end up with two live copies"
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

POLICIES: ObjectType = ObjectType(
    name="conditionalAccessPolicies",
    path="identity/conditionalAccess/policies",
    select=_names("id displayName state conditions createdDateTime grantControls sessionControls"),
    identity=("id", "displayName", "state"),
    volatile=("modifiedDateTime",),
    read_only=_names("id createdDateTime modifiedDateTime templateId"),
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
        # terms of use agreements the policy makes users accept (catalog/terms_of_use.py)
        Reference("grantControls.termsOfUse", ("agreements",)),
    ),
    # conditions.users.excludeGuestsOrExternalUsers.externalTenants is polymorphic (all vs enumerated
    # tenants) and Graph needs its @odata.type to create the policy again.
    keep_odata_type=True,
    rank=100,
    permissions_backup=_POLICY_READ,
    permissions_restore=_CA_RESTORE,
    notes=_CA_HARD_DELETE.format(what="policy"),
    recreate_note=_CA_RECREATE_NOTE,
)

NAMED_LOCATIONS: ObjectType = ObjectType(
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
    unordered=("ipRanges:cidrAddress", "countriesAndRegions"),
    keep_odata_type=True,
    rank=10,
    permissions_backup=_POLICY_READ,
    # namedlocation-update.md, conditionalaccessroot-post-namedlocations.md, namedlocation-delete.md:
    # Policy.ReadWrite.ConditionalAccess (the Application.Read.All of policies is for their app ids).
    permissions_restore=("Policy.ReadWrite.ConditionalAccess",),
    notes=_CA_HARD_DELETE.format(what="named location"),
    recreate_note=_CA_RECREATE_NOTE,
)

AUTHENTICATION_CONTEXTS: ObjectType = ObjectType(
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
)

AUTHENTICATION_STRENGTHS: ObjectType = ObjectType(
    name="authenticationStrengthPolicies",
    path="identity/conditionalAccess/authenticationStrength/policies",
    select=_names(
        "id displayName description policyType requirementsSatisfied allowedCombinations createdDateTime"
    ),
    volatile=("modifiedDateTime",),
    read_only=_names("id createdDateTime modifiedDateTime policyType requirementsSatisfied"),
    unordered=_names(
        """
        allowedCombinations combinationConfigurations[].appliesToCombinations
        combinationConfigurations[].allowedAAGUIDs combinationConfigurations[].allowedIssuerSkis
        combinationConfigurations[].allowedPolicyOIDs
        """
    ),
    relationships=(
        # Polymorphic (fido2, x509 certificate): @odata.type is kept and sent on create
        # (authenticationstrengthpolicy-post-combinationconfigurations.md); the policy's page documents no
        # $expand for it, so it is read per policy.
        _contained(
            "combinationConfigurations",
            "identity/conditionalAccess/authenticationStrength/policies",
            _names("@odata.type appliesToCombinations allowedAAGUIDs allowedIssuerSkis allowedPolicyOIDs"),
            ("@odata.type", "appliesToCombinations"),
            expand=False,
        ),
    ),
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
)
