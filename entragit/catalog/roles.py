"""Catalog entries of directory roles: custom role definitions, role assignments, and Privileged Identity
Management for them (eligible and time-bound assignments, role settings) and for groups (eligible and
time-bound membership and ownership, the groups' settings): one machinery, two kinds of target."""

from __future__ import annotations

from entragit.catalog.model import (
    _DIRECTORY_TARGETS,
    _ROLES_READ,
    _ROLES_WRITE,
    Grant,
    LeftAlone,
    ObjectType,
    RecycleBin,
    Reference,
    Requests,
    Scopes,
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
# Privileged Identity Management (docs/graph.md, "Privileged Identity Management for Entra roles" and "... for
# Groups"). Schedules are read-only collections written through schedule requests; settings are one policy
# per role (per group and relationship) that Entra keeps, whose rules are PATCHed one by one. Roles and groups
# differ in what names a schedule's target (principal, role and scope; principal, group and member/owner)
# and in how they are listed (whole; one group at a time), nothing else.

_ROLE_TARGET = ("principalId", "roleDefinitionId", "directoryScopeId", "appScopeId")
_ROLE_SCHEDULE_REFERENCES = (
    Reference("principalId", _DIRECTORY_TARGETS),
    Reference("roleDefinitionId", ("roleDefinitions",)),
    Reference("directoryScopeId", ("administrativeUnits",), prefix="/administrativeUnits/"),
)
_DIRECTORY_ROLES = "scopeId eq '/' and scopeType eq 'DirectoryRole'"
_GROUP_TARGET = ("principalId", "groupId", "accessId")
_GROUP_SCHEDULE_REFERENCES = (
    Reference("principalId", _DIRECTORY_TARGETS),
    Reference("groupId", ("groups",)),
)
# Which groups PIM for Groups holds is not listable in v1.0 (the portal's "Discover groups"; the
# privilegedAccessGroup resource has no collection of them): every listing needs a group id. Role-assignable
# groups, at most 500 a tenant, are read each run (docs/graph.md, "Privileged Identity Management for
# Groups"), and those entragit.yaml names in `pim_groups`.
_PIM_GROUPS = "isAssignableToRole eq true"
_ACTIVATION = "an activation (a user's own, for hours) is never restored: the user activates again in PIM"


def _schedules(
    name: str,
    path: str,
    requests: str,
    target: tuple[str, ...],
    named_by: str,
    extra: str,
    **fields: object,
) -> ObjectType:
    """An eligibility or active-assignment schedule collection (resources/unifiedroleeligibilityschedule.md,
    unifiedroleassignmentschedule.md, privilegedaccessgroupeligibilityschedule.md, ...assignmentschedule.md):
    named by what it grants and to whom; the target fixed at creation, the schedule changed by `adminUpdate`.
    Only direct ones are kept (memberType: "whether the ... schedule can be managed by the caller"):
    inherited and group ones come back with what they come from."""
    return ObjectType(
        name=name,
        path=path,
        select=_names(f"id {' '.join(target)} scheduleInfo memberType status {extra}"),
        identity=("id", named_by, "principalId"),
        display=named_by,
        read_only=_names(f"id memberType status {extra}"),
        create_only=target,
        unique=target[:3],
        filterable=True,
        requests=Requests(
            requests,
            target,
            create="adminAssign",
            update="adminUpdate",
            remove="adminRemove",
            new_id="targetScheduleId",
        ),
        schedule="scheduleInfo",
        **fields,  # type: ignore[arg-type]
    )


def _role_schedules(name: str, requests: str, extra: str, **fields: object) -> ObjectType:
    return _schedules(
        name,
        f"roleManagement/directory/{name}",
        f"roleManagement/directory/{requests}",
        _ROLE_TARGET,
        "roleDefinitionId",
        extra,
        references=_ROLE_SCHEDULE_REFERENCES,
        permissions_backup=_ROLES_READ,
        permissions_restore=_ROLES_WRITE,
        **fields,
    )


def _group_schedules(name: str, collection: str, kind: str, extra: str, **fields: object) -> ObjectType:
    """PIM for Groups: the schedules of role-assignable groups, listed per group (`groupId eq`); ids are
    `{groupId}_{accessId}_{guid}` (privilegedaccessgroup-list-eligibilityschedules.md), so a group's files
    sort together."""
    base = "identityGovernance/privilegedAccess/group"
    return _schedules(
        name,
        f"{base}/{collection}Schedules",
        f"{base}/{collection}ScheduleRequests",
        _GROUP_TARGET,
        "groupId",
        extra,
        references=_GROUP_SCHEDULE_REFERENCES,
        scopes=Scopes("groups", _PIM_GROUPS, "groupId eq '{id}'", "pim_groups"),
        permissions_backup=(f"Privileged{kind}Schedule.Read.AzureADGroup",),
        permissions_restore=(f"Privileged{kind}Schedule.ReadWrite.AzureADGroup",),
        **fields,
    )


ROLE_ELIGIBILITY_SCHEDULES: ObjectType = _role_schedules(
    "roleEligibilitySchedules",
    "roleEligibilityScheduleRequests",
    "createdDateTime modifiedDateTime",
    exclude_when=(("memberType", "Inherited"), ("memberType", "Group")),
    rank=91,
    notes="Eligible role assignments, restored through adminAssign with their start and end; one whose "
    "end has passed is not restored.",
)

ROLE_ASSIGNMENT_SCHEDULES: ObjectType = _role_schedules(
    "roleAssignmentSchedules",
    "roleAssignmentScheduleRequests",
    "assignmentType createdDateTime modifiedDateTime",
    # Only the active assignments that end: a permanent one is a plain role assignment, kept as such.
    exclude_when=(
        ("memberType", "Inherited"),
        ("memberType", "Group"),
        ("scheduleInfo.expiration.type", "noExpiration"),
    ),
    left_alone=(LeftAlone("assignmentType", "Activated", _ACTIVATION),),
    rank=92,
    notes="Time-bound and activated active role assignments; time-bound ones are restored through "
    "adminAssign with their end, activations never, an expired one not.",
)

# The enums of PIM for Groups are lower case (privilegedAccessGroupMemberType `direct`, `group`;
# privilegedAccessGroupAssignmentType `assigned`, `activated`), unlike those of PIM for Entra roles.
_INDIRECT = (("memberType", "group"),)

GROUP_ELIGIBILITY_SCHEDULES: ObjectType = _group_schedules(
    "groupEligibilitySchedules",
    "eligibility",
    "Eligibility",
    "createdDateTime modifiedDateTime",
    exclude_when=_INDIRECT,
    rank=93,
    notes="PIM for Groups: eligible membership and ownership of role-assignable groups, restored through "
    "adminAssign with their start and end; one whose end has passed is not restored.",
)

GROUP_ASSIGNMENT_SCHEDULES: ObjectType = _group_schedules(
    "groupAssignmentSchedules",
    "assignment",
    "Assignment",
    "assignmentType createdDateTime modifiedDateTime",
    # Only the ones that end: a permanent active membership is a member of the group, kept in its file.
    exclude_when=(*_INDIRECT, ("scheduleInfo.expiration.type", "noExpiration")),
    left_alone=(LeftAlone("assignmentType", "activated", _ACTIVATION),),
    # What an active schedule grants, Graph lists among the group's members or owners too.
    grants=tuple(
        Grant("groups", rel, "groupId", "principalId", ("accessId", access))
        for rel, access in (("members", "member"), ("owners", "owner"))
    ),
    rank=94,
    notes="PIM for Groups: time-bound and activated membership and ownership of role-assignable groups; "
    "time-bound ones are restored through adminAssign with their end, activations never.",
)


def _settings(name: str, list_filter: str | None, **fields: object) -> ObjectType:
    """A PIM settings policy with its rules (resources/unifiedrolemanagementpolicy.md; the rules through
    $expand, policyroot-list-rolemanagementpolicies.md, which returns the whole object: no $select beside
    the $expand), one per directory role or per group and relationship: Entra keeps them, a restore PATCHes
    the changed rules."""
    return ObjectType(
        name=name,
        path="policies/roleManagementPolicies",
        select=_names(
            """
            id displayName description isOrganizationDefault scopeId scopeType lastModifiedDateTime
            lastModifiedBy rules
            """
        ),
        send_select=False,
        list_filter=list_filter,
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
        write_actions=(("rules", "policies/roleManagementPolicies/{id}/rules/{ref}"),),
        **fields,  # type: ignore[arg-type]
    )


_APPROVERS = tuple(
    Reference(f"rules[].setting.approvalStages[].{who}[].{key}", (target,))
    for who in ("primaryApprovers", "escalationApprovers")
    for key, target in (("userId", "users"), ("groupId", "groups"))
)

ROLE_MANAGEMENT_POLICIES: ObjectType = _settings(
    "roleManagementPolicies",
    _DIRECTORY_ROLES,
    references=_APPROVERS,
    not_recreatable="Entra keeps one settings policy per role and makes it with the role: a role "
    "recreated under a new id has new settings, set them again from this file by hand",
    rank=89,
    permissions_backup=_ROLES_READ,
    permissions_restore=_ROLES_WRITE,
    notes="PIM role settings, one per directory role; restore PATCHes the changed rules, never creates or "
    "deletes a policy.",
)

GROUP_ROLE_MANAGEMENT_POLICIES: ObjectType = _settings(
    "groupRoleManagementPolicies",
    None,
    scopes=Scopes("groups", _PIM_GROUPS, "scopeId eq '{id}' and scopeType eq 'Group'", "pim_groups"),
    folder_name="identityGovernance/privilegedAccess/group/roleManagementPolicies",
    identity=("id", "scopeId", "displayName"),
    display="scopeId",
    references=(*_APPROVERS, Reference("scopeId", ("groups",))),
    not_recreatable="Entra keeps one settings policy per group and relationship (member, owner) and makes "
    "them when the group comes under PIM: a group recreated under a new id has new settings, set them "
    "again from this file by hand",
    rank=89,
    permissions_backup=("RoleManagementPolicy.Read.AzureADGroup",),
    permissions_restore=("RoleManagementPolicy.ReadWrite.AzureADGroup",),
    notes="PIM for Groups settings, one per role-assignable group under PIM and relationship (member, "
    "owner); restore PATCHes the changed rules, never creates or deletes a policy.",
)


def _settings_assignments(name: str, list_filter: str | None, **fields: object) -> ObjectType:
    """Which settings policy is whose role (or whose group relationship: `roleDefinitionId` is `member` or
    `owner`, resources/unifiedrolemanagementpolicyassignment.md): kept to read the policies by, never
    written (Entra keeps them)."""
    return ObjectType(
        name=name,
        path="policies/roleManagementPolicyAssignments",
        select=_names("id policyId roleDefinitionId scopeId scopeType"),
        list_filter=list_filter,
        read_only=_names("id policyId roleDefinitionId scopeId scopeType"),
        restorable=False,
        **fields,  # type: ignore[arg-type]
    )


ROLE_MANAGEMENT_POLICY_ASSIGNMENTS: ObjectType = _settings_assignments(
    "roleManagementPolicyAssignments",
    _DIRECTORY_ROLES,
    identity=("id", "roleDefinitionId", "policyId"),
    display="roleDefinitionId",
    unique=("roleDefinitionId",),
    references=(
        Reference("roleDefinitionId", ("roleDefinitions",)),
        Reference("policyId", ("roleManagementPolicies",)),
    ),
    permissions_backup=_ROLES_READ,
    notes="Which settings policy is whose role: kept to read the policies by, never written (Entra keeps "
    "them).",
)

GROUP_ROLE_MANAGEMENT_POLICY_ASSIGNMENTS: ObjectType = _settings_assignments(
    "groupRoleManagementPolicyAssignments",
    None,
    scopes=Scopes("groups", _PIM_GROUPS, "scopeId eq '{id}' and scopeType eq 'Group'", "pim_groups"),
    folder_name="identityGovernance/privilegedAccess/group/roleManagementPolicyAssignments",
    # Named `Tier 0 Administrators → member`: the policy is named by the same group.
    identity=("id", "scopeId", "roleDefinitionId"),
    display="scopeId",
    unique=("scopeId", "roleDefinitionId"),
    references=(
        Reference("scopeId", ("groups",)),
        Reference("policyId", ("groupRoleManagementPolicies",)),
    ),
    permissions_backup=("RoleManagementPolicy.Read.AzureADGroup",),
    notes="Which PIM for Groups settings policy is a group's member or owner one: read-only.",
)
