"""Catalog entries of directory roles: custom role definitions, role assignments, and Privileged Identity
Management for them (eligible and time-bound assignments, role settings)."""

from __future__ import annotations

from entragit.catalog.model import (
    _DIRECTORY_TARGETS,
    _ROLES_READ,
    _ROLES_WRITE,
    LeftAlone,
    ObjectType,
    RecycleBin,
    Reference,
    Requests,
    _names,
)

ROLE_DEFINITIONS: ObjectType = ObjectType(
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
)

ROLE_ASSIGNMENTS: ObjectType = ObjectType(
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
    references=(
        Reference("principalId", _DIRECTORY_TARGETS),
        Reference("roleDefinitionId", ("roleDefinitions",)),
        Reference("directoryScopeId", ("administrativeUnits",), prefix="/administrativeUnits/"),
        Reference("directoryScopeId", ("applications",), prefix="/"),
    ),
    rank=90,
    made_by="roleAssignmentSchedules",
    permissions_backup=_ROLES_READ,
    permissions_restore=_ROLES_WRITE,
    notes="Ids are not GUIDs; assignments are hard-deleted and recreated with a new id. One that a "
    "time-bound or activated PIM assignment makes is restored through that schedule.",
)

# ------------------------------------------------------------------------------------------------------------
# Privileged Identity Management for Entra roles (docs/graph.md, "Privileged Identity Management for Entra
# roles"). Schedules are read-only collections written through schedule requests; a role's settings are one
# policy per role that Entra keeps, whose rules are PATCHed one by one.

_TARGET = ("principalId", "roleDefinitionId", "directoryScopeId", "appScopeId")
_SCHEDULE_REFERENCES = (
    Reference("principalId", _DIRECTORY_TARGETS),
    Reference("roleDefinitionId", ("roleDefinitions",)),
    Reference("directoryScopeId", ("administrativeUnits",), prefix="/administrativeUnits/"),
)
_DIRECTORY_ROLES = "scopeId eq '/' and scopeType eq 'DirectoryRole'"


def _schedules(name: str, requests: str, extra: str, **fields: object) -> ObjectType:
    """roleEligibilitySchedules or roleAssignmentSchedules (resources/unifiedroleeligibilityschedule.md,
    unifiedroleassignmentschedule.md): named by role and principal as role assignments are; the principal,
    role and scope fixed at creation, the schedule changed by `adminUpdate`. Only direct ones are kept
    (memberType: "whether the unifiedRoleEligibilitySchedule can be managed by the caller"): inherited and
    group ones come back with what they come from."""
    return ObjectType(
        name=name,
        path=f"roleManagement/directory/{name}",
        select=_names(f"id {' '.join(_TARGET)} scheduleInfo memberType status {extra}"),
        identity=("id", "roleDefinitionId", "principalId"),
        display="roleDefinitionId",
        read_only=_names(f"id memberType status {extra}"),
        create_only=_TARGET,
        unique=("principalId", "roleDefinitionId", "directoryScopeId"),
        filterable=True,
        references=_SCHEDULE_REFERENCES,
        requests=Requests(
            f"roleManagement/directory/{requests}",
            _TARGET,
            create="adminAssign",
            update="adminUpdate",
            remove="adminRemove",
            new_id="targetScheduleId",
        ),
        schedule="scheduleInfo",
        permissions_backup=_ROLES_READ,
        permissions_restore=_ROLES_WRITE,
        **fields,  # type: ignore[arg-type]
    )


ROLE_ELIGIBILITY_SCHEDULES: ObjectType = _schedules(
    "roleEligibilitySchedules",
    "roleEligibilityScheduleRequests",
    "createdDateTime modifiedDateTime",
    exclude_when=(("memberType", "Inherited"), ("memberType", "Group")),
    rank=91,
    notes="Eligible role assignments, restored through adminAssign with their start and end; one whose "
    "end has passed is not restored.",
)

ROLE_ASSIGNMENT_SCHEDULES: ObjectType = _schedules(
    "roleAssignmentSchedules",
    "roleAssignmentScheduleRequests",
    "assignmentType createdDateTime modifiedDateTime",
    # Only the active assignments that end: a permanent one is a plain role assignment, kept as such.
    exclude_when=(
        ("memberType", "Inherited"),
        ("memberType", "Group"),
        ("scheduleInfo.expiration.type", "noExpiration"),
    ),
    left_alone=(
        LeftAlone(
            "assignmentType",
            "Activated",
            "an activation (a user's own, for hours) is never restored: the user activates again in PIM",
        ),
    ),
    rank=92,
    notes="Time-bound and activated active role assignments; time-bound ones are restored through "
    "adminAssign with their end, activations never, an expired one not.",
)

ROLE_MANAGEMENT_POLICIES: ObjectType = ObjectType(
    name="roleManagementPolicies",
    path="policies/roleManagementPolicies",
    # resources/unifiedrolemanagementpolicy.md; the rules through $expand (policyroot-list-
    # rolemanagementpolicies.md). The whole object is returned: no $select beside the $expand.
    select=_names(
        """
        id displayName description isOrganizationDefault scopeId scopeType lastModifiedDateTime
        lastModifiedBy rules
        """
    ),
    send_select=False,
    list_filter=_DIRECTORY_ROLES,
    expand=("rules",),
    # Each rule's type, which its PATCH must name (unifiedrolemanagementpolicyrule-update.md).
    keep_odata_type=True,
    read_only=_names(
        """
        id displayName description isOrganizationDefault scopeId scopeType lastModifiedDateTime
        lastModifiedBy
        """
    ),
    unordered=_names(
        "rules:id rules[].enabledRules rules[].notificationRecipients rules[].target.operations"
    ),
    references=tuple(
        Reference(f"rules[].setting.approvalStages[].{who}[].{key}", (target,))
        for who in ("primaryApprovers", "escalationApprovers")
        for key, target in (("userId", "users"), ("groupId", "groups"))
    ),
    write_actions=(("rules", "policies/roleManagementPolicies/{id}/rules/{ref}"),),
    not_recreatable="Entra keeps one settings policy per role and makes it with the role: a role "
    "recreated under a new id has new settings, set them again from this file by hand",
    rank=89,
    permissions_backup=_ROLES_READ,
    permissions_restore=_ROLES_WRITE,
    notes="PIM role settings, one per directory role; restore PATCHes the changed rules, never creates or "
    "deletes a policy.",
)

ROLE_MANAGEMENT_POLICY_ASSIGNMENTS: ObjectType = ObjectType(
    name="roleManagementPolicyAssignments",
    path="policies/roleManagementPolicyAssignments",
    select=_names("id policyId roleDefinitionId scopeId scopeType"),
    identity=("id", "roleDefinitionId", "policyId"),
    display="roleDefinitionId",
    list_filter=_DIRECTORY_ROLES,
    read_only=_names("id policyId roleDefinitionId scopeId scopeType"),
    unique=("roleDefinitionId",),
    references=(
        Reference("roleDefinitionId", ("roleDefinitions",)),
        Reference("policyId", ("roleManagementPolicies",)),
    ),
    restorable=False,
    permissions_backup=_ROLES_READ,
    notes="Which settings policy is whose role: kept to read the policies by, never written (Entra keeps "
    "them).",
)
