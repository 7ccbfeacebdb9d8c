"""Catalog entries of the tenant's singletons: the authentication methods and authorization policies, and
the organization record."""

from __future__ import annotations

from entragit.catalog.model import _POLICY_READ, ObjectType, Reference, _names

AUTHENTICATION_METHODS_POLICY: ObjectType = ObjectType(
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
    read_only=_names("id displayName description lastModifiedDateTime policyVersion reconfirmationInDays"),
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
)

AUTHORIZATION_POLICY: ObjectType = ObjectType(
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
)

ORGANIZATION: ObjectType = ObjectType(
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
    extension_target="Organization",
    permissions_backup=("Organization.Read.All",),
    notes="Read-only record of the tenant; backed up for reference, never restored.",
)
