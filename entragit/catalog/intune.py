"""Catalog entries of Intune: device compliance policies (issue 28).

A compliance policy is polymorphic (`@odata.type` names the platform: windows10CompliancePolicy,
iosCompliancePolicy, androidWorkProfileCompliancePolicy, macOSCompliancePolicy, ...), and two of what makes it
work are navigation properties, not properties: its `assignments` (the groups it applies to) and its
`scheduledActionsForRule` (what happens to a device that does not comply: mark it non-compliant, notify,
retire). Both are read inline with `$expand` and kept in the policy's file; neither can be PATCHed, each is
written through its own action (`assign`, `scheduleActionsForRules`). Conditional access policies that grant
access to compliant devices only (`grantControls.builtInControls: compliantDevice`) depend on these policies
deciding which devices comply.
"""

from __future__ import annotations

from entragit.catalog.model import ObjectType, Reference, _names

_PATH = "deviceManagement/deviceCompliancePolicies"

# The properties of the v1.0 derived types (resources/intune-deviceconfig-*compliancepolicy.md: android,
# androidWorkProfile, ios, macOS, windows10, windows10Mobile, windows81, windowsPhone81); each policy has
# those of its own type only.
_PLATFORM_SETTINGS = _names(
    """
    bitLockerEnabled codeIntegrityEnabled deviceThreatProtectionEnabled
    deviceThreatProtectionRequiredSecurityLevel earlyLaunchAntiMalwareDriverEnabled firewallBlockAllIncoming
    firewallEnableStealthMode firewallEnabled managedEmailProfileRequired minAndroidSecurityPatchLevel
    mobileOsMaximumVersion mobileOsMinimumVersion osMaximumVersion osMinimumVersion passcodeBlockSimple
    passcodeExpirationDays passcodeMinimumCharacterSetCount passcodeMinimumLength
    passcodeMinutesOfInactivityBeforeLock passcodePreviousPasscodeBlockCount passcodeRequired
    passcodeRequiredType passwordBlockSimple passwordExpirationDays passwordMinimumCharacterSetCount
    passwordMinimumLength passwordMinutesOfInactivityBeforeLock passwordPreviousPasswordBlockCount
    passwordRequireToUnlockFromIdle passwordRequired passwordRequiredToUnlockFromIdle passwordRequiredType
    requireHealthyDeviceReport secureBootEnabled securityBlockJailbrokenDevices securityDisableUsbDebugging
    securityPreventInstallAppsFromUnknownSources securityRequireCompanyPortalAppIntegrity
    securityRequireGooglePlayServices securityRequireSafetyNetAttestationBasicIntegrity
    securityRequireSafetyNetAttestationCertifiedDevice securityRequireUpToDateSecurityProviders
    securityRequireVerifyApps storageRequireEncryption systemIntegrityProtectionEnabled
    """
)

COMPLIANCE_POLICIES: ObjectType = ObjectType(
    name="deviceCompliancePolicies",
    path=_PATH,
    select=(
        *_names("id displayName description createdDateTime"),
        *_PLATFORM_SETTINGS,
        "assignments",
        "scheduledActionsForRule",
    ),
    identity=("id", "displayName", "@odata.type"),
    # Derived-type properties are not selectable on the base collection; the policy is read whole.
    send_select=False,
    fill_missing=False,
    # intune-deviceconfig-devicecompliancepolicy-list.md / -get.md take $expand; the scheduled actions'
    # own configurations are a navigation property of theirs, expanded one level down.
    expand=("assignments", "scheduledActionsForRule($expand=scheduledActionConfigurations)"),
    # `version` counts the policy's edits (Graph raises it on each PATCH): noise, and nothing to restore.
    # Assignment and scheduled-action ids are new on every assign / scheduleActionsForRules.
    volatile=_names(
        """
        lastModifiedDateTime version assignments[].id scheduledActionsForRule[].id
        scheduledActionsForRule[].scheduledActionConfigurations[].id
        """
    ),
    read_only=_names("id createdDateTime @odata.type"),
    unordered=_names(
        """
        assignments scheduledActionsForRule:ruleName scheduledActionsForRule[].scheduledActionConfigurations
        scheduledActionsForRule[].scheduledActionConfigurations[].notificationMessageCCList
        """
    ),
    keep_odata_type=True,
    references=(Reference("assignments[].target.groupId", ("groups",)),),
    write_actions=(
        ("assignments", f"{_PATH}/{{id}}/assign"),
        ("scheduledActionsForRule", f"{_PATH}/{{id}}/scheduleActionsForRules"),
    ),
    # scheduleActionsForRules takes the scheduled actions as `deviceComplianceScheduledActionForRules`
    # (intune-deviceconfig-devicecompliancepolicy-scheduleactionsforrules.md).
    action_params=(("scheduledActionsForRule", "deviceComplianceScheduledActionForRules"),),
    # A create carries exactly one block action ("Compliance policy must have one and only one block
    # scheduled action", resources/intune-deviceconfig-devicecompliancescheduledactionforrule.md); the rest
    # of the scheduled actions and the assignments follow through their actions once the policy exists.
    # (the scheduled actions first: a policy is whole before it reaches the assigned devices)
    written_after_create=("scheduledActionsForRule", "assignments"),
    create_keeps=(("scheduledActionsForRule", "scheduledActionConfigurations", "actionType", "block"),),
    # After groups (assignments name them), before the conditional access policies that require a
    # compliant device.
    rank=95,
    permissions_backup=("DeviceManagementConfiguration.Read.All",),
    permissions_restore=("DeviceManagementConfiguration.ReadWrite.All",),
    notes="Hard-deleted: a deleted policy is recreated with a new id, its scheduled actions and assignments.",
)
