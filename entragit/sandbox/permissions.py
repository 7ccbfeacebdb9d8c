"""Application permissions, enforced per endpoint as the Microsoft Graph documentation lists them.

Each operation's doc page (api-reference/v1.0/api/<op>.md, "Permissions" section, generated from
includes/permissions/<op>-permissions.md) lists, for the Application permission type, a least privileged
permission and the higher privileged ones that also satisfy it. `RULES` copies that row for every endpoint the
sandbox emulates, as data: one `Rule` per (method, path template), naming its page. A caller whose token's
`roles` hold none of the listed permissions gets Graph's 403 (`Authorization_RequestDenied`). An entry "A+B"
needs both A and B (the doc's "A and B").

A `X.ReadWrite.Y` permission admits a read only where the read's row lists it: Microsoft's tables do not
always (conditional access reads list `Policy.Read.All` alone). tests/schema/test_sandbox_permissions.py
checks every row against Microsoft's permissions file.

Beyond the tables, four documented rules depend on the object written (`_object_rules`):
- resources/user.md, serviceprincipal.md: writing customSecurityAttributes takes
  CustomSecAttributeAssignment.ReadWrite.All (reading them without CustomSecAttributeAssignment.Read.All gives
  null, not a 403: sandbox/custom_attributes.py).
- user-update.md: the sensitive properties (businessPhones, mobilePhone, otherMails) of a user holding an
  administrator role cannot be changed with User.ReadWrite.All or Directory.ReadWrite.All alone; the app needs
  a privileged administrator role itself (Global or Privileged Authentication Administrator, assigned to
  its service principal).
- group-post-members.md: adding members to a role-assignable group also needs
  RoleManagement.ReadWrite.Directory.
- conditionalaccessroot-post-policies.md / conditionalaccesspolicy-update.md / -delete.md: writing a policy
  needs Policy.ReadWrite.ConditionalAccess and Policy.Read.All (the page's prose).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from entragit.sandbox.protocol import ApiError

DENIED_CODE = "Authorization_RequestDenied"
DENIED_MESSAGE = "Insufficient privileges to complete the operation."


@dataclass(frozen=True)
class Rule:
    """The application permissions that admit one operation; any one alternative suffices."""

    method: str
    template: str  # lower-case segments; `{id}` is any object id, `{cast}` a type cast segment
    page: str  # the doc page the alternatives come from
    alternatives: tuple[str, ...]


def _r(method: str, template: str, page: str, alternatives: str | tuple[str, ...]) -> Rule:
    """One table row; `alternatives` as a tuple or as one space-separated string."""
    alts = tuple(alternatives.split()) if isinstance(alternatives, str) else alternatives
    return Rule(method, template, page, alts)


_USER_READ = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
# user-list.md / user-get.md also admit User.ReadBasic.All (the basic profile).
_USER_LIST = (*_USER_READ, "User.ReadBasic.All")
_USER_WRITE = ("User.ReadWrite.All", "Directory.ReadWrite.All")
# group-delta.md.
_GROUP_READ = (
    "Group-NestingSupport.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadBasic.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
)
# group-list.md / group-get.md (includes/permissions/group-list-permissions.md).
_GROUP_LIST = (*_GROUP_READ, "Group.ManageProtection.All", "Group-PreferredDataLocation.ReadWrite.All")
# group-list-owners.md.
_OWNER_READ = (
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
)
# group-list-members.md (includes/permissions/group-list-members-permissions.md).
_MEMBER_READ = (*_OWNER_READ, "GroupMember.ReadBasic.All", "Group.ReadBasic.All")
# group-post-members.md / group-delete-members.md (least privileged: GroupMember.ReadWrite.All).
_MEMBER_WRITE = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
# group-post-owners.md / group-delete-owners.md.
_OWNER_WRITE = ("Group.ReadWrite.All", "Directory.ReadWrite.All")
# application-list.md, serviceprincipal-list.md (includes/permissions/*-list-permissions.md).
_APP_READ = (
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
)
# application-get.md, serviceprincipal-get.md, their delta and owners pages: Directory.ReadWrite.All too.
_APP_GET = (*_APP_READ, "Directory.ReadWrite.All")
# application-update.md, application-delete.md, serviceprincipal-update.md.
_APP_WRITE = ("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All")
# serviceprincipal-post-serviceprincipals.md, serviceprincipal-update.md (their Application rows add
# Directory.ReadWrite.All; the agent-identity permissions there concern agent identities only).
_SP_WRITE = (*_APP_WRITE, "Directory.ReadWrite.All")
# application-delete-owners.md, serviceprincipal-delete-owners.md.
_APP_OWNER_REMOVE = _SP_WRITE
# application-post-owners.md.
_APP_OWNER_WRITE = (
    "Application.ReadWrite.OwnedBy+Directory.Read.All",
    "Application.ReadWrite.All+Directory.Read.All",
    "Directory.ReadWrite.All",
)
_CA_READ = ("Policy.Read.All",)
_CA_WRITE = ("Policy.ReadWrite.ConditionalAccess+Policy.Read.All",)
_POLICY_LINK_WRITE = tuple(
    f"{policy}+{app}"
    for policy in ("Policy.Read.All", "Policy.ReadWrite.ApplicationConfiguration")
    for app in ("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All")
)
_AU_READ = (
    "AdministrativeUnit.Read.All",
    "AdministrativeUnit.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
_AU_WRITE = ("AdministrativeUnit.ReadWrite.All",)
_AU_MEMBER_WRITE = ("AdministrativeUnit.ReadWrite.All", "Directory.ReadWrite.All")
# rbacapplication-list-roleassignments.md (the same row serves role definitions).
_ROLE_READ = (
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
)
_ROLE_WRITE = ("RoleManagement.ReadWrite.Directory",)
# PIM settings: the pages list one row for the settings of Entra roles, another for those of groups
# (policyroot-list-rolemanagementpolicies.md, "For PIM for groups"); which one a call needs depends on the
# policy's scope (pim.py, `_scope_permitted`). The table admits either.
ROLE_POLICY_READ: tuple[str, ...] = (
    "RoleManagementPolicy.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagementPolicy.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
)
ROLE_POLICY_WRITE: tuple[str, ...] = (
    "RoleManagementPolicy.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
)
GROUP_POLICY_READ: tuple[str, ...] = (
    "RoleManagementPolicy.Read.AzureADGroup",
    "RoleManagementPolicy.ReadWrite.AzureADGroup",
)
GROUP_POLICY_WRITE: tuple[str, ...] = ("RoleManagementPolicy.ReadWrite.AzureADGroup",)
_CSA_DEFINITION_READ = (
    "CustomSecAttributeDefinition.Read.All",
    "CustomSecAttributeDefinition.ReadWrite.All",
)
_CSA_DEFINITION_WRITE = ("CustomSecAttributeDefinition.ReadWrite.All",)
# resources/user.md, serviceprincipal.md (customSecurityAttributes): writing the values takes this on top of
# the object's own write permission.
CSA_ASSIGNMENT_WRITE = "CustomSecAttributeAssignment.ReadWrite.All"
_DELETED_READ = {
    "graph.user": _USER_READ,
    "graph.group": _GROUP_READ,
    "graph.application": _APP_READ,
    "graph.serviceprincipal": _APP_READ,
    "graph.administrativeunit": _AU_READ,
}
_DELETED_WRITE = {
    "users": ("User.ReadWrite.All",),
    "groups": ("Group.ReadWrite.All",),
    "applications": ("Application.ReadWrite.All",),
    "servicePrincipals": ("Application.ReadWrite.All",),
    "directory/administrativeUnits": ("AdministrativeUnit.ReadWrite.All",),
}

RULES: tuple[Rule, ...] = (
    # users
    _r("GET", "users", "user-list.md", _USER_LIST),
    _r("GET", "users/$count", "user-list.md", _USER_LIST),
    _r("GET", "users/delta", "user-delta.md", _USER_READ),
    _r("GET", "users/{id}", "user-get.md", _USER_LIST),
    _r(
        "GET",
        "users/{id}/approleassignments",
        "user-list-approleassignments.md",
        "Directory.Read.All AppRoleAssignment.ReadWrite.All",
    ),
    _r("GET", "users/{id}/sponsors", "user-list-sponsors.md", "User.Read.All User.ReadWrite.All"),
    _r("GET", "users/{id}/**", "user-list-memberof.md", _USER_READ),
    _r("POST", "users/{id}/sponsors/$ref", "user-post-sponsors.md", _USER_WRITE),
    _r("DELETE", "users/{id}/sponsors/{id}/$ref", "user-delete-sponsors.md", _USER_WRITE),
    _r("POST", "users", "user-post-users.md", _USER_WRITE),
    _r(
        "POST",
        "users/{id}/assignlicense",
        "user-assignlicense.md",
        "LicenseAssignment.ReadWrite.All Directory.ReadWrite.All User.ReadWrite.All",
    ),
    _r(
        "POST",
        "invitations",
        "invitation-post.md",
        "User.Invite.All Directory.ReadWrite.All User.ReadWrite.All",
    ),
    _r("PATCH", "users/{id}", "user-update.md", _USER_WRITE),
    _r("DELETE", "users/{id}", "user-delete.md", "User.DeleteRestore.All User.ReadWrite.All"),
    _r("PUT", "users/{id}/manager/$ref", "user-post-manager.md", _USER_WRITE),
    _r("DELETE", "users/{id}/manager/$ref", "user-delete-manager.md", _USER_WRITE),
    # groups
    _r("GET", "groups", "group-list.md", _GROUP_LIST),
    _r("GET", "groups/$count", "group-list.md", _GROUP_LIST),
    _r("GET", "groups/delta", "group-delta.md", _GROUP_READ),
    _r("GET", "groups/{id}", "group-get.md", _GROUP_LIST),
    _r(
        "GET",
        "groups/{id}/grouplifecyclepolicies",
        "group-list-grouplifecyclepolicies.md",
        "Directory.Read.All Directory.ReadWrite.All",
    ),
    _r("GET", "groups/{id}/members/**", "group-list-members.md", _MEMBER_READ),
    _r("GET", "groups/{id}/**", "group-list-owners.md", _OWNER_READ),
    _r(
        "POST",
        "groups",
        "group-post-groups.md",
        "Group.Create Directory.ReadWrite.All Group-PreferredDataLocation.ReadWrite.All Group.ReadWrite.All",
    ),
    _r(
        "PATCH",
        "groups/{id}",
        "group-update.md",
        "Group-NestingSupport.ReadWrite.All Directory.ReadWrite.All Group-PreferredDataLocation.ReadWrite.All"
        " Group.ManageProtection.All Group.ReadWrite.All",
    ),
    _r("DELETE", "groups/{id}", "group-delete.md", "Group.ReadWrite.All"),
    _r(
        "POST",
        "groups/{id}/assignlicense",
        "group-assignlicense.md",
        "LicenseAssignment.ReadWrite.All Directory.ReadWrite.All Group.ReadWrite.All",
    ),
    _r("POST", "groups/{id}/members/$ref", "group-post-members.md", _MEMBER_WRITE),
    _r("DELETE", "groups/{id}/members/{id}/$ref", "group-delete-members.md", _MEMBER_WRITE),
    _r("POST", "groups/{id}/owners/$ref", "group-post-owners.md", _OWNER_WRITE),
    _r("DELETE", "groups/{id}/owners/{id}/$ref", "group-delete-owners.md", _OWNER_WRITE),
    # applications and service principals
    _r("GET", "applications", "application-list.md", _APP_READ),
    _r("GET", "applications/{id}/extensionproperties", "application-list-extensionproperty.md", _APP_GET),
    _r(
        "GET",
        "applications/{id}/extensionproperties/{id}",
        "extensionproperty-get.md",
        "Application.Read.All Application.ReadWrite.OwnedBy Application.ReadWrite.All",
    ),
    _r("POST", "applications/{id}/extensionproperties", "application-post-extensionproperty.md", _SP_WRITE),
    _r("DELETE", "applications/{id}/extensionproperties/{id}", "extensionproperty-delete.md", _SP_WRITE),
    _r(
        "GET",
        "applications/{id}/federatedidentitycredentials",
        "application-list-federatedidentitycredentials.md",
        "Application.Read.All Application.ReadWrite.All Application.ReadWrite.OwnedBy",
    ),
    _r(
        "POST",
        "applications/{id}/federatedidentitycredentials",
        "application-post-federatedidentitycredentials.md",
        _APP_WRITE,
    ),
    _r(
        "PATCH",
        "applications/{id}/federatedidentitycredentials/{id}",
        "federatedidentitycredential-update.md",
        _APP_WRITE,
    ),
    _r(
        "DELETE",
        "applications/{id}/federatedidentitycredentials/{id}",
        "federatedidentitycredential-delete.md",
        _APP_WRITE,
    ),
    # Token and sign-in policies assigned on their holder (application-post-tokenlifetimepolicies.md,
    # -delete-tokenlifetimepolicies.md, -post-tokenissuancepolicies.md, serviceprincipal-post-
    # claimsmappingpolicies.md, -post-homerealmdiscoverypolicies.md and their delete pages: "Policy.Read.All
    # and Application.ReadWrite.OwnedBy", ...); appmanagementpolicy-post-appliesto.md and
    # -delete-appliesto.md: Application.Read.All and Policy.ReadWrite.ApplicationConfiguration.
    *(
        _r(method, f"{holder}/{{id}}/{nav}{tail}", page, _POLICY_LINK_WRITE)
        for holder, nav, page in (
            ("applications", "tokenlifetimepolicies", "application-post-tokenlifetimepolicies.md"),
            ("applications", "tokenissuancepolicies", "application-post-tokenissuancepolicies.md"),
            ("serviceprincipals", "claimsmappingpolicies", "serviceprincipal-post-claimsmappingpolicies.md"),
            (
                "serviceprincipals",
                "homerealmdiscoverypolicies",
                "serviceprincipal-post-homerealmdiscoverypolicies.md",
            ),
        )
        for method, tail in (("POST", "/$ref"), ("DELETE", "/{id}/$ref"))
    ),
    *(
        _r(
            method,
            f"{holder}/{{id}}/appmanagementpolicies{tail}",
            "appmanagementpolicy-post-appliesto.md",
            "Application.Read.All+Policy.ReadWrite.ApplicationConfiguration",
        )
        for holder in ("applications", "serviceprincipals")
        for method, tail in (("POST", "/$ref"), ("DELETE", "/{id}/$ref"))
    ),
    _r("GET", "applications/**", "application-get.md", _APP_GET),
    _r("POST", "applications", "application-post-applications.md", (*_APP_WRITE, "AppRegistration.Create")),
    _r("PATCH", "applications/{id}", "application-update.md", _APP_WRITE),
    _r("DELETE", "applications/{id}", "application-delete.md", _APP_WRITE),
    _r("POST", "applications/{id}/addpassword", "application-addpassword.md", _SP_WRITE),
    _r("POST", "applications/{id}/removepassword", "application-removepassword.md", _SP_WRITE),
    _r("POST", "applications/{id}/owners/$ref", "application-post-owners.md", _APP_OWNER_WRITE),
    _r("DELETE", "applications/{id}/owners/{id}/$ref", "application-delete-owners.md", _APP_OWNER_REMOVE),
    _r("GET", "serviceprincipals", "serviceprincipal-list.md", _APP_READ),
    _r(
        "GET",
        "serviceprincipals/{id}/delegatedpermissionclassifications",
        "serviceprincipal-list-delegatedpermissionclassifications.md",
        "Application.Read.All Application.ReadWrite.OwnedBy Directory.Read.All",
    ),
    _r(
        "POST",
        "serviceprincipals/{id}/delegatedpermissionclassifications",
        "serviceprincipal-post-delegatedpermissionclassifications.md",
        "Policy.ReadWrite.PermissionGrant",
    ),
    _r(
        "DELETE",
        "serviceprincipals/{id}/delegatedpermissionclassifications/{id}",
        "serviceprincipal-delete-delegatedpermissionclassifications.md",
        "Policy.ReadWrite.PermissionGrant",
    ),
    _r(
        "GET",
        "serviceprincipals/{id}/approleassignedto",
        "serviceprincipal-list-approleassignedto.md",
        _APP_GET,
    ),
    _r("GET", "serviceprincipals/**", "serviceprincipal-get.md", _APP_GET),
    _r("POST", "serviceprincipals", "serviceprincipal-post-serviceprincipals.md", _SP_WRITE),
    _r("PATCH", "serviceprincipals/{id}", "serviceprincipal-update.md", _SP_WRITE),
    _r("DELETE", "serviceprincipals/{id}", "serviceprincipal-delete.md", _SP_WRITE),
    _r("POST", "serviceprincipals/{id}/addpassword", "serviceprincipal-addpassword.md", _SP_WRITE),
    _r("POST", "serviceprincipals/{id}/removepassword", "serviceprincipal-removepassword.md", _SP_WRITE),
    _r("POST", "serviceprincipals/{id}/owners/$ref", "serviceprincipal-post-owners.md", _APP_OWNER_WRITE),
    _r(
        "DELETE",
        "serviceprincipals/{id}/owners/{id}/$ref",
        "serviceprincipal-delete-owners.md",
        _APP_OWNER_REMOVE,
    ),
    _r(
        "POST",
        "serviceprincipals/{id}/approleassignedto",
        "serviceprincipal-post-approleassignedto.md",
        (
            "AppRoleAssignment.ReadWrite.All+Application.Read.All",
            "AppRoleAssignment.ReadWrite.All+Directory.Read.All",
            "Application.ReadWrite.All",
        ),
    ),
    _r(
        "DELETE",
        "serviceprincipals/{id}/approleassignedto/{id}",
        "serviceprincipal-delete-approleassignedto.md",
        "AppRoleAssignment.ReadWrite.All Application.ReadWrite.All",
    ),
    # Intune device compliance policies (intune-deviceconfig-devicecompliancepolicy-*.md: reads take
    # either, writes and the assign / scheduleActionsForRules actions ReadWrite)
    _r(
        "GET",
        "devicemanagement/devicecompliancepolicies/**",
        "intune-deviceconfig-devicecompliancepolicy-list.md",
        "DeviceManagementConfiguration.Read.All DeviceManagementConfiguration.ReadWrite.All",
    ),
    _r(
        "*",
        "devicemanagement/devicecompliancepolicies/**",
        "intune-deviceconfig-devicecompliancepolicy-update.md",
        "DeviceManagementConfiguration.ReadWrite.All",
    ),
    # conditional access
    _r("GET", "identity/conditionalaccess/policies/**", "conditionalaccessroot-list-policies.md", _CA_READ),
    _r("POST", "identity/conditionalaccess/policies", "conditionalaccessroot-post-policies.md", _CA_WRITE),
    _r("PATCH", "identity/conditionalaccess/policies/{id}", "conditionalaccesspolicy-update.md", _CA_WRITE),
    _r("DELETE", "identity/conditionalaccess/policies/{id}", "conditionalaccesspolicy-delete.md", _CA_WRITE),
    _r(
        "GET",
        "identity/conditionalaccess/namedlocations/**",
        "conditionalaccessroot-list-namedlocations.md",
        _CA_READ,
    ),
    _r(
        "*",
        "identity/conditionalaccess/namedlocations/**",
        "namedlocation-update.md",
        "Policy.ReadWrite.ConditionalAccess",
    ),
    _r(
        "GET",
        "identity/conditionalaccess/authenticationstrength/policies/{id}/combinationconfigurations",
        "authenticationstrengthpolicy-list-combinationconfigurations.md",
        "Policy.Read.AuthenticationMethod Policy.Read.All Policy.ReadWrite.AuthenticationMethod"
        " Policy.ReadWrite.ConditionalAccess",
    ),
    _r(
        "GET",
        "identity/conditionalaccess/authenticationstrength/**",
        "authenticationstrengthroot-list-policies.md",
        "Policy.Read.All Policy.ReadWrite.ConditionalAccess Policy.ReadWrite.AuthenticationMethod",
    ),
    _r(
        "*",
        "identity/conditionalaccess/authenticationstrength/**",
        "authenticationstrengthpolicy-update.md",
        "Policy.ReadWrite.ConditionalAccess Policy.ReadWrite.AuthenticationMethod",
    ),
    _r(
        "GET",
        "identity/conditionalaccess/authenticationcontextclassreferences",
        "conditionalaccessroot-list-authenticationcontextclassreferences.md",
        "AuthenticationContext.Read.All AuthenticationContext.ReadWrite.All Policy.Read.ConditionalAccess"
        " Policy.ReadWrite.ConditionalAccess",
    ),
    _r(
        "GET",
        "identity/conditionalaccess/authenticationcontextclassreferences/**",
        "authenticationcontextclassreference-get.md",
        "AuthenticationContext.Read.All AuthenticationContext.ReadWrite.All Policy.Read.ConditionalAccess",
    ),
    _r(
        "*",
        "identity/conditionalaccess/authenticationcontextclassreferences/**",
        "authenticationcontextclassreference-update.md",
        "AuthenticationContext.ReadWrite.All Policy.ReadWrite.ConditionalAccess",
    ),
    # administrative units
    _r("GET", "directory/administrativeunits/**", "directory-list-administrativeunits.md", _AU_READ),
    _r("POST", "directory/administrativeunits", "directory-post-administrativeunits.md", _AU_WRITE),
    _r("PATCH", "directory/administrativeunits/{id}", "administrativeunit-update.md", _AU_WRITE),
    _r("DELETE", "directory/administrativeunits/{id}", "administrativeunit-delete.md", _AU_WRITE),
    _r(
        "POST",
        "directory/administrativeunits/{id}/members/**",
        "administrativeunit-post-members.md",
        _AU_MEMBER_WRITE,
    ),
    _r(
        "DELETE",
        "directory/administrativeunits/{id}/members/**",
        "administrativeunit-delete-members.md",
        _AU_WRITE,
    ),
    # custom security attributes: sets, definitions and their allowed values
    # (directory-list-attributesets.md, directory-list-customsecurityattributedefinitions.md,
    # customsecurityattributedefinition-list-allowedvalues.md; writes: directory-post-attributesets.md,
    # attributeset-update.md, directory-post-customsecurityattributedefinitions.md,
    # customsecurityattributedefinition-update.md, customsecurityattributedefinition-post-allowedvalues.md,
    # allowedvalue-update.md)
    *(
        _r("GET", path, page, _CSA_DEFINITION_READ)
        for path, page in (
            ("directory/attributesets", "directory-list-attributesets.md"),
            ("directory/attributesets/{id}", "attributeset-get.md"),
            (
                "directory/customsecurityattributedefinitions",
                "directory-list-customsecurityattributedefinitions.md",
            ),
            ("directory/customsecurityattributedefinitions/{id}", "customsecurityattributedefinition-get.md"),
            (
                "directory/customsecurityattributedefinitions/{id}/allowedvalues",
                "customsecurityattributedefinition-list-allowedvalues.md",
            ),
            ("directory/customsecurityattributedefinitions/{id}/allowedvalues/{id}", "allowedvalue-get.md"),
        )
    ),
    *(
        _r(method, path, page, _CSA_DEFINITION_WRITE)
        for method, path, page in (
            ("POST", "directory/attributesets", "directory-post-attributesets.md"),
            ("PATCH", "directory/attributesets/{id}", "attributeset-update.md"),
            (
                "POST",
                "directory/customsecurityattributedefinitions",
                "directory-post-customsecurityattributedefinitions.md",
            ),
            (
                "PATCH",
                "directory/customsecurityattributedefinitions/{id}",
                "customsecurityattributedefinition-update.md",
            ),
            (
                "POST",
                "directory/customsecurityattributedefinitions/{id}/allowedvalues",
                "customsecurityattributedefinition-post-allowedvalues.md",
            ),
            (
                "PATCH",
                "directory/customsecurityattributedefinitions/{id}/allowedvalues/{id}",
                "allowedvalue-update.md",
            ),
        )
    ),
    # deleted items: reading and writing depend on the object type (see `_deleted`)
    # roles: the recycle bin of custom role definitions first (learn.microsoft.com, 2026), then the rest
    _r(
        "GET",
        "rolemanagement/directory/deleteditems/roledefinitions/**",
        "directoryrolemanagementdeleteditemcontainer-list-roledefinitions.md",
        "RoleManagement.Read.Directory RoleManagement.ReadWrite.Directory",
    ),
    _r(
        "*",
        "rolemanagement/directory/deleteditems/roledefinitions/**",
        "unifiedroledefinition-restore.md, unifiedroledefinition-delete.md",
        _ROLE_WRITE,
    ),
    # PIM for Microsoft Entra roles: schedules are read with the schedule or role management permissions;
    # the request collections, even to read, need a ReadWrite one (the permissions file; reported on
    # learn.microsoft.com/answers 1656176).
    *(
        _r(
            "GET",
            f"rolemanagement/directory/role{kind.lower()}schedules{item}",
            f"rbacapplication-list-role{kind.lower()}schedules.md",
            f"Role{kind}Schedule.Read.Directory Role{kind}Schedule.ReadWrite.Directory "
            "RoleManagement.Read.Directory RoleManagement.ReadWrite.Directory",
        )
        for kind in ("Eligibility", "Assignment")
        for item in ("", "/{id}")
    ),
    *(
        _r(
            method,
            f"rolemanagement/directory/role{kind.lower()}schedulerequests",
            f"rbacapplication-post-role{kind.lower()}schedulerequests.md",
            f"Role{kind}Schedule.ReadWrite.Directory RoleManagement.ReadWrite.Directory",
        )
        for kind in ("Eligibility", "Assignment")
        for method in ("GET", "POST")
    ),
    _r("GET", "rolemanagement/directory/**", "rbacapplication-list-roleassignments.md", _ROLE_READ),
    # PIM for Groups: privilegedaccessgroup-list-eligibilityschedules.md, -assignmentschedules.md and the
    # request pages (privilegedaccessgroup-post-eligibilityschedulerequests.md, ...); a Remove permission
    # admits only adminRemove requests (the permissions file lists it beside ReadWrite for the POST).
    *(
        _r(
            "GET",
            f"identitygovernance/privilegedaccess/group/{kind.lower()}{listing}{item}",
            f"privilegedaccessgroup-list-{kind.lower()}{listing}.md",
            f"Privileged{kind}Schedule.Read.AzureADGroup Privileged{kind}Schedule.ReadWrite.AzureADGroup",
        )
        for listing in ("schedules", "schedulerequests")
        for kind in ("Eligibility", "Assignment")
        for item in ("", "/{id}")
    ),
    *(
        _r(
            "POST",
            f"identitygovernance/privilegedaccess/group/{kind.lower()}schedulerequests",
            f"privilegedaccessgroup-post-{kind.lower()}schedulerequests.md",
            f"Privileged{kind}Schedule.ReadWrite.AzureADGroup Privileged{kind}Schedule.Remove.AzureADGroup",
        )
        for kind in ("Eligibility", "Assignment")
    ),
    _r(
        "*",
        "rolemanagement/directory/roledefinitions/**",
        "rbacapplication-post-roledefinitions.md",
        (*_ROLE_WRITE, "Directory.ReadWrite.All"),
    ),
    _r("*", "rolemanagement/directory/**", "rbacapplication-post-roleassignments.md", _ROLE_WRITE),
    # delegated permission grants
    _r(
        "GET",
        "oauth2permissiongrants/**",
        "oauth2permissiongrant-list.md",
        "Directory.Read.All DelegatedPermissionGrant.ReadWrite.All Directory.ReadWrite.All",
    ),
    _r(
        "*",
        "oauth2permissiongrants/**",
        "oauth2permissiongrant-post.md",
        "DelegatedPermissionGrant.ReadWrite.All Directory.ReadWrite.All",
    ),
    # policies
    # PIM role settings: policyroot-list-rolemanagementpolicies.md, -rolemanagementpolicyassignments.md;
    # unifiedrolemanagementpolicyrule-update.md (learn.microsoft.com, 2026: Application
    # RoleManagementPolicy.ReadWrite.Directory, RoleManagement.ReadWrite.Directory).
    *(
        _r(
            "GET",
            f"policies/{path}",
            f"policyroot-list-{path.split('/')[0]}.md",
            ROLE_POLICY_READ + GROUP_POLICY_READ,
        )
        for path in (
            "rolemanagementpolicies",
            "rolemanagementpolicies/{id}",
            "rolemanagementpolicies/{id}/rules",
            "rolemanagementpolicies/{id}/rules/{id}",
            "rolemanagementpolicyassignments",
            "rolemanagementpolicyassignments/{id}",
        )
    ),
    _r(
        "PATCH",
        "policies/rolemanagementpolicies/{id}/rules/{id}",
        "unifiedrolemanagementpolicyrule-update.md",
        ROLE_POLICY_WRITE + GROUP_POLICY_WRITE,
    ),
    _r(
        "GET",
        "policies/authorizationpolicy",
        "authorizationpolicy-get.md",
        "Policy.Read.All Policy.ReadWrite.Authorization",
    ),
    _r(
        "PATCH",
        "policies/authorizationpolicy",
        "authorizationpolicy-update.md",
        "Policy.ReadWrite.Authorization",
    ),
    # identitysecuritydefaultsenforcementpolicy-get.md / -update.md: the update page lists Policy.Read.All
    # among the permissions that admit a PATCH, and so does Microsoft's permissions file.
    _r(
        "GET",
        "policies/identitysecuritydefaultsenforcementpolicy",
        "identitysecuritydefaultsenforcementpolicy-get.md",
        "Policy.Read.All Policy.ReadWrite.SecurityDefaults+Policy.Read.All",
    ),
    _r(
        "PATCH",
        "policies/identitysecuritydefaultsenforcementpolicy",
        "identitysecuritydefaultsenforcementpolicy-update.md",
        "Policy.Read.All Policy.ReadWrite.SecurityDefaults+Policy.Read.All "
        "Policy.ReadWrite.ConditionalAccess+Policy.Read.All",
    ),
    _r(
        "GET",
        "policies/authenticationflowspolicy",
        "authenticationflowspolicy-get.md",
        "Policy.Read.All Policy.ReadWrite.AuthenticationFlows",
    ),
    _r(
        "PATCH",
        "policies/authenticationflowspolicy",
        "authenticationflowspolicy-update.md",
        "Policy.ReadWrite.AuthenticationFlows",
    ),
    _r(
        "GET",
        "policies/adminconsentrequestpolicy",
        "adminconsentrequestpolicy-get.md",
        "Policy.Read.All Policy.ReadWrite.ConsentRequest Directory.Read.All Directory.ReadWrite.All",
    ),
    _r(
        "PUT",
        "policies/adminconsentrequestpolicy",
        "adminconsentrequestpolicy-update.md",
        "Policy.ReadWrite.ConsentRequest Directory.ReadWrite.All",
    ),
    # activitybasedtimeoutpolicy-list.md / -get.md; -post-activitybasedtimeoutpolicies.md, -update.md,
    # -delete.md.
    _r(
        "GET",
        "policies/activitybasedtimeoutpolicies/**",
        "activitybasedtimeoutpolicy-list.md",
        "Policy.Read.All Policy.ReadWrite.ApplicationConfiguration",
    ),
    _r(
        "*",
        "policies/activitybasedtimeoutpolicies/**",
        "activitybasedtimeoutpolicy-post-activitybasedtimeoutpolicies.md",
        "Policy.ReadWrite.ApplicationConfiguration",
    ),
    # groupsettingtemplate-list.md; group-list-settings.md / groupsetting-get.md, group-post-settings.md,
    # groupsetting-update.md, -delete.md (GroupSettings.* least privileged since 2024).
    *(
        _r(
            "GET",
            path,
            "groupsettingtemplate-list.md",
            "GroupSettings.Read.All GroupSettings.ReadWrite.All Directory.Read.All Directory.ReadWrite.All",
        )
        for path in ("groupsettingtemplates", "groupsettingtemplates/{id}")
    ),
    _r(
        "GET",
        "groupsettings/**",
        "group-list-settings.md",
        "GroupSettings.Read.All GroupSettings.ReadWrite.All Directory.Read.All Directory.ReadWrite.All "
        "Group.Read.All Group.ReadWrite.All",
    ),
    _r(
        "POST",
        "groupsettings",
        "group-post-settings.md",
        "GroupSettings.ReadWrite.All Directory.ReadWrite.All",
    ),
    _r(
        "*",
        "groupsettings/{id}",
        "groupsetting-update.md",
        "GroupSettings.ReadWrite.All Directory.ReadWrite.All Policy.ReadWrite.Authorization",
    ),
    # grouplifecyclepolicy-list.md / -get.md; -post-grouplifecyclepolicies.md, -update.md, -delete.md,
    # -addgroup.md, -removegroup.md.
    _r(
        "GET",
        "grouplifecyclepolicies/**",
        "grouplifecyclepolicy-list.md",
        "Directory.Read.All Directory.ReadWrite.All",
    ),
    _r(
        "*",
        "grouplifecyclepolicies/**",
        "grouplifecyclepolicy-post-grouplifecyclepolicies.md",
        "Directory.ReadWrite.All",
    ),
    # tenantappmanagementpolicy-get.md: Policy.Read.All (or Policy.ReadWrite.ApplicationConfiguration);
    # tenantappmanagementpolicy-update.md: Policy.ReadWrite.ApplicationConfiguration.
    _r(
        "GET",
        "policies/defaultappmanagementpolicy",
        "tenantappmanagementpolicy-get.md",
        "Policy.Read.All Policy.ReadWrite.ApplicationConfiguration",
    ),
    _r(
        "PATCH",
        "policies/defaultappmanagementpolicy",
        "tenantappmanagementpolicy-update.md",
        "Policy.ReadWrite.ApplicationConfiguration",
    ),
    # Token and sign-in policies: tokenlifetimepolicy-list-appliesto.md (and the same page of each kind):
    # "Policy.Read.All and Application.Read.All, Policy.ReadWrite.ApplicationConfiguration and
    # Application.Read.All, Directory.Read.All"; appmanagementpolicy-list-appliesto.md; the list, get,
    # create, update and delete pages of each: Policy.Read.All reads,
    # Policy.ReadWrite.ApplicationConfiguration reads and writes.
    *(
        rule
        for coll in (
            "claimsmappingpolicies",
            "tokenissuancepolicies",
            "tokenlifetimepolicies",
            "homerealmdiscoverypolicies",
            "appmanagementpolicies",
        )
        for rule in (
            _r(
                "GET",
                f"policies/{coll}/{{id}}/appliesto",
                f"{coll[:-3]}y-list-appliesto.md",
                "Policy.Read.All+Application.Read.All "
                "Policy.ReadWrite.ApplicationConfiguration+Application.Read.All"
                + ("" if coll == "appmanagementpolicies" else " Directory.Read.All"),
            ),
            _r(
                "GET",
                f"policies/{coll}/**",
                f"{coll[:-3]}y-list.md",
                "Policy.Read.All Policy.ReadWrite.ApplicationConfiguration",
            ),
            _r(
                "*",
                f"policies/{coll}/**",
                f"{coll[:-3]}y-post-{coll}.md",
                "Policy.ReadWrite.ApplicationConfiguration",
            ),
        )
    ),
    # permissiongrantpolicy-list.md / -get.md, -list-includes.md, -list-excludes.md; the writes:
    # permissiongrantpolicy-post-permissiongrantpolicies.md, -update.md, -delete.md, -post-includes.md ...
    _r(
        "GET",
        "policies/permissiongrantpolicies/**",
        "permissiongrantpolicy-list.md",
        "Policy.Read.PermissionGrant Policy.ReadWrite.PermissionGrant",
    ),
    _r(
        "*",
        "policies/permissiongrantpolicies/**",
        "permissiongrantpolicy-post-permissiongrantpolicies.md",
        "Policy.ReadWrite.PermissionGrant",
    ),
    _r(
        "GET",
        "policies/authenticationmethodspolicy/**",
        "authenticationmethodspolicy-get.md",
        "Policy.Read.AuthenticationMethod Policy.ReadWrite.AuthenticationMethod Policy.Read.All",
    ),
    _r(
        "PATCH",
        "policies/authenticationmethodspolicy/**",
        "authenticationmethodspolicy-update.md",
        "Policy.ReadWrite.AuthenticationMethod",
    ),
    # cross-tenant access: the policy, its default, partners and their identity synchronization
    # (crosstenantaccesspolicy-*.md, crosstenantaccesspolicyconfigurationdefault-*.md,
    # crosstenantaccesspolicyconfigurationpartner-*.md, crosstenantidentitysyncpolicypartner-*.md)
    _r(
        "GET",
        "policies/crosstenantaccesspolicy/**",
        "crosstenantaccesspolicy-get.md",
        "Policy.Read.All Policy.ReadWrite.CrossTenantAccess",
    ),
    _r(
        "*",
        "policies/crosstenantaccesspolicy/**",
        "crosstenantaccesspolicy-update.md",
        "Policy.ReadWrite.CrossTenantAccess",
    ),
    # domains and their federation configuration (domain-list.md, domain-get.md, domain-update.md,
    # domain-delete.md; domain-list-federationconfiguration.md, domain-post-federationconfiguration.md,
    # internaldomainfederation-get.md, -update.md, -delete.md: the Domain-InternalFederation permissions of
    # October 2025, Domain.Read.All no longer reading the list)
    _r(
        "GET",
        "domains/{id}/federationconfiguration",
        "domain-list-federationconfiguration.md",
        "Domain-InternalFederation.Read.All Domain-InternalFederation.ReadWrite.All",
    ),
    _r(
        "GET",
        "domains/{id}/federationconfiguration/{id}",
        "internaldomainfederation-get.md",
        "Domain-InternalFederation.Read.All Domain-InternalFederation.ReadWrite.All Domain.Read.All"
        " Domain.ReadWrite.All",
    ),
    _r(
        "*",
        "domains/{id}/federationconfiguration/**",
        "domain-post-federationconfiguration.md",
        "Domain-InternalFederation.ReadWrite.All Domain.ReadWrite.All",
    ),
    _r(
        "GET",
        "domains/**",
        "domain-list.md",
        "Domain.Read.All Directory.Read.All Domain.ReadWrite.All",
    ),
    _r("*", "domains/**", "domain-update.md", "Domain.ReadWrite.All"),
    # tenant-wide reads
    _r(
        "GET",
        "organization/**",
        "organization-get.md",
        "Organization.Read.All Directory.Read.All Organization.ReadWrite.All Directory.ReadWrite.All",
    ),
    _r(
        "GET",
        "subscribedskus/**",
        "subscribedsku-list.md",
        "LicenseAssignment.Read.All Organization.Read.All Directory.Read.All Directory.ReadWrite.All"
        " Organization.ReadWrite.All",
    ),
    _r(
        "GET",
        "security/securescores/**",
        "security-list-securescores.md",
        "SecurityEvents.Read.All SecurityEvents.ReadWrite.All",
    ),
    _r(
        "GET",
        "auditlogs/directoryaudits/**",
        "directoryaudit-list.md",
        "AuditLog.Read.All",
    ),
    _r(
        "POST",
        "directoryobjects/getbyids",
        "directoryobject-getbyids.md",
        "Directory.Read.All",
    ),
    _r("GET", "directoryobjects/{id}", "directoryobject-get.md", "Directory.Read.All"),
    _r(
        "POST",
        "directoryobjects/getavailableextensionproperties",
        "directoryobject-getavailableextensionproperties.md",
        "Directory.Read.All",
    ),
)

# Every permission the sandbox knows: the default grant of its client, so that the demo and the tests that do
# not study permissions can call every endpoint.
# Operations Graph admits for a signed-in user only: their pages list "Not supported." for the Application
# permission type, so an app's own token (client credentials, managed identity) gets the 403 whatever it
# holds, and a user's token needs one of these delegated permissions (in its `scp`; the sandbox's consent for
# a device-code sign-in is the client's grant). The roles the signed-in user needs besides (Security Reader
# to read, Conditional Access Administrator to write) are not emulated: the sandbox's user is the admin.
DELEGATED_ONLY: tuple[Rule, ...] = (
    # termsofusecontainer-list-agreements.md, agreement-get.md, agreement-list-files.md, agreementfile-get.md,
    # agreementfile-list-localizations.md (includes/permissions/*: Agreement.Read.All, the get of the file
    # also Agreement.ReadWrite.All; Microsoft's permissions file lists it for the file's GET)
    _r(
        "GET",
        "identitygovernance/termsofuse/agreements/**",
        "termsofusecontainer-list-agreements.md",
        "Agreement.Read.All Agreement.ReadWrite.All",
    ),
    # termsofusecontainer-post-agreements.md, agreement-update.md, agreement-delete.md,
    # agreement-post-files.md
    _r(
        "*",
        "identitygovernance/termsofuse/agreements/**",
        "termsofusecontainer-post-agreements.md",
        "Agreement.ReadWrite.All",
    ),
    # featurerolloutpolicies-list.md: Microsoft's permissions file marks Policy.Read.HybridAuthentication
    # least privileged for the list; featurerolloutpolicy-get.md (learn.microsoft.com) and the file give
    # one policy Policy.ReadWrite.HybridAuthentication (least) and Directory.ReadWrite.All, no read-only one
    _r(
        "GET",
        "policies/featurerolloutpolicies",
        "featurerolloutpolicies-list.md",
        "Policy.Read.HybridAuthentication Policy.ReadWrite.HybridAuthentication Directory.ReadWrite.All",
    ),
    # featurerolloutpolicy-get.md, featurerolloutpolicies-post.md, featurerolloutpolicy-update.md,
    # -delete.md, -post-appliesto.md, -delete-appliesto.md
    _r(
        "GET",
        "policies/featurerolloutpolicies/**",
        "featurerolloutpolicy-get.md",
        "Policy.ReadWrite.HybridAuthentication Directory.ReadWrite.All",
    ),
    _r(
        "*",
        "policies/featurerolloutpolicies/**",
        "featurerolloutpolicies-post.md",
        "Policy.ReadWrite.HybridAuthentication Directory.ReadWrite.All",
    ),
)

ALL_PERMISSIONS: tuple[str, ...] = tuple(
    sorted(
        {p for rule in (*RULES, *DELEGATED_ONLY) for alt in rule.alternatives for p in alt.split("+")}
        | {
            p
            for alts in (*_DELETED_READ.values(), *_DELETED_WRITE.values())
            for alt in alts
            for p in alt.split("+")
        }
        # customSecurityAttributes of users and service principals: read without it, they read as null
        | {"CustomSecAttributeAssignment.Read.All", CSA_ASSIGNMENT_WRITE}
    )
)

# user-update.md: properties of another user that only a privileged administrator may change on an admin.
SENSITIVE_USER_PROPERTIES = frozenset({"businessPhones", "mobilePhone", "otherMails"})
# ...and the roles whose holders any User.ReadWrite.All caller may still change (user-update.md).
# ...and the roles that may change them on any user (user-update.md, "Who can update sensitive attributes").
_ADMIN_OF_ADMINS = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
    }
)
_HARMLESS_ROLE_TEMPLATES = frozenset(
    {
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",  # Directory Readers
        "95e79109-95c0-4d8e-aee3-d01accf2d47b",  # Guest Inviter
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
        "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b",  # Message Center Reader
        "4a5d8f65-41da-4de4-8968-e035b65339cf",  # Reports Reader
    }
)

_APP_ID_KEY = re.compile(r"\(appid='[^']*'\)", re.IGNORECASE)
_ACTIONS = frozenset(
    {
        "addpassword",
        "removepassword",
        "restore",
        "getbyids",
        "getavailableextensionproperties",
        "updateallowedcombinations",
    }
)
_DELTA = frozenset({"delta", "delta()", "graph.delta", "graph.delta()"})
_READ_BY_KEY = {
    "users": _USER_READ,
    "groups": _GROUP_READ,
    "applications": _APP_READ,
    "servicePrincipals": _APP_READ,
    "directory/administrativeUnits": _AU_READ,
}


def parse_list(value: Any) -> list[str]:
    """A permission list from a seed file, the CLI or /_sandbox/tenant; an unknown name is a ValueError."""
    if isinstance(value, str):
        value = [p.strip() for p in value.split(",") if p.strip()]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValueError("permissions must be a list of application permission names")
    known = {p.lower(): p for p in ALL_PERMISSIONS}
    unknown = [p for p in value if p.lower() not in known]
    if unknown:
        raise ValueError(
            f"unknown permission(s) {', '.join(unknown)}; the sandbox knows: {', '.join(ALL_PERMISSIONS)}"
        )
    return [known[p.lower()] for p in value]


def parse_grant(value: Any) -> list[str] | None:
    """`parse_list`, with None (or absent) meaning the default grant: every permission the sandbox knows."""
    return None if value is None else parse_list(value)


def effective(granted: Iterable[str]) -> frozenset[str]:
    """The granted permissions, lower case. A ReadWrite permission admits a read only where the read's row
    lists it: Microsoft's tables do not always (conditional access policies list Policy.Read.All alone)."""
    return frozenset(p.lower() for p in granted)


def _segments(path: str) -> list[str]:
    """`/Groups/{id}/microsoft.graph.user` → ["groups", "{id}", "graph.user"]: lower case, casts in the alias
    form, bound actions and delta without their namespace."""
    out = []
    for seg in (s for s in _APP_ID_KEY.sub("/x", path).split("/") if s):
        low = seg.lower()
        if low.startswith("microsoft.graph."):
            low = "graph." + low[len("microsoft.graph.") :]
        if low in _DELTA:
            low = "delta"
        elif low.startswith("graph.") and low[len("graph.") :] in _ACTIONS:
            low = low[len("graph.") :]
        out.append(low)
    return out


def _matches(pattern: str, segs: list[str]) -> bool:
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        if part == "**":
            return True
        if i >= len(segs):
            return False
        is_id = not segs[i].startswith(("$", "graph."))
        if part != segs[i] and not (part == "{id}" and is_id):
            return False
    return len(segs) == len(parts)


def rule_for(method: str, path: str, rules: tuple[Rule, ...] = RULES) -> Rule | None:
    """The first rule for this operation; None for a path without one (the API layer answers it with
    Graph's 400/404 for an unknown segment)."""
    segs = _segments(path)
    method = method.upper()
    for rule in rules:
        wanted = rule.method == method or (rule.method == "*" and method != "GET")
        if wanted and _matches(rule.template, segs):
            return rule
    return None


def satisfied(alternatives: Iterable[str], held: frozenset[str]) -> bool:
    return any(all(p.lower() in held for p in alt.split("+")) for alt in alternatives)


def deny() -> ApiError:
    """Graph's answer to a call its token's permissions do not cover."""
    return ApiError(403, DENIED_CODE, DENIED_MESSAGE)


def authorize(
    tenant: Any,
    method: str,
    path: str,
    body: Any,
    granted: Iterable[str],
    app_id: str,
    delegated: bool = False,
) -> None:
    """Raise Graph's 403 unless `granted` covers the operation: its documented permissions, then the rules
    that depend on the object written. An operation of `DELEGATED_ONLY` is refused to an app's own token
    (`delegated` False) whatever it holds."""
    held = effective(granted)
    segs = _segments(path)
    user_only = rule_for(method, path, DELEGATED_ONLY)
    if user_only is not None:
        if not delegated or not satisfied(user_only.alternatives, held):
            raise deny()
        return
    if segs[:2] == ["directory", "deleteditems"]:
        alternatives = _deleted(tenant, method, segs[2:])
    else:
        rule = rule_for(method, path)
        alternatives = rule.alternatives if rule is not None else ()
    if alternatives and not satisfied(alternatives, held):
        raise deny()
    _object_rules(tenant, method.upper(), path, segs, body, held, app_id)


def _deleted(tenant: Any, method: str, rest: list[str]) -> tuple[str, ...]:
    """directory-deleteditems-list.md / -get.md / -restore.md / -delete.md: the permissions of the object
    type (a listing names it by its cast; an item by its id)."""
    if rest and rest[0] in _DELETED_READ:
        if len(rest) == 1 or rest[1:] == ["$count"]:
            return _DELETED_READ[rest[0]]
        rest = rest[1:]
    if not rest:
        return ()
    item = tenant.deleted.get(rest[0]) or tenant.deleted.get(rest[0].lower())
    if item is None:
        return ()
    if method.upper() == "GET":
        return _READ_BY_KEY.get(item["key"], ())
    return _DELETED_WRITE.get(item["key"], ())


def _object_rules(
    tenant: Any, method: str, path: str, segs: list[str], body: Any, held: frozenset[str], app_id: str
) -> None:
    raw = [s for s in path.split("/") if s]
    holder_patch = method == "PATCH" and len(segs) == 2 and segs[0] in ("users", "serviceprincipals")
    assigns = holder_patch and isinstance(body, Mapping) and "customSecurityAttributes" in body
    if assigns and CSA_ASSIGNMENT_WRITE.lower() not in held:
        raise deny()
    user_patch = method == "PATCH" and len(segs) == 2 and segs[0] == "users" and isinstance(body, Mapping)
    if user_patch and SENSITIVE_USER_PROPERTIES & set(body):
        user_id = _user_id(tenant, raw[1])
        admin = user_id is not None and bool(_roles_of(tenant, user_id) - _HARMLESS_ROLE_TEMPLATES)
        if admin and not _app_is_privileged_admin(tenant, app_id):
            raise deny()
    if segs[:1] == ["groups"] and len(segs) >= 2:
        adds = (method == "POST" and segs[2:] == ["members", "$ref"]) or (
            method == "PATCH"
            and len(segs) == 2
            and isinstance(body, Mapping)
            and "members@odata.bind" in body
        )
        group = tenant.coll("groups").objs.get(raw[1]) if adds else None
        role_assignable = group is not None and group.get("isAssignableToRole")
        if role_assignable and "rolemanagement.readwrite.directory" not in held:
            raise deny()


def _roles_of(tenant: Any, principal_id: str) -> set[str]:
    """Template ids of the directory roles assigned to `principal_id`."""
    assignments = tenant.coll("roleManagement/directory/roleAssignments")
    definitions = tenant.coll("roleManagement/directory/roleDefinitions").objs
    out: set[str] = set()
    for aid in assignments.find("principalId", principal_id):
        role_id = str(assignments.objs[aid].get("roleDefinitionId"))
        role = definitions.get(role_id) or {}
        out.add(str(role.get("templateId") or role_id))
    return out


def _user_id(tenant: Any, raw: str) -> str | None:
    users = tenant.coll("users")
    if raw in users.objs:
        return raw
    if raw.lower() in users.objs:
        return raw.lower()
    return next(iter(users.find("userPrincipalName", raw)), None) if "@" in raw else None


def _app_is_privileged_admin(tenant: Any, app_id: str) -> bool:
    """An app acting on an administrator needs a privileged directory role of its own (user-update.md)."""
    sp = tenant.sp_by_app_id(app_id) if app_id else None
    return sp is not None and bool(_roles_of(tenant, str(sp["id"])) & _ADMIN_OF_ADMINS)
