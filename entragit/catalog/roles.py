"""Catalog entries of directory roles: custom role definitions and role assignments."""

from __future__ import annotations

from entragit.catalog.model import (
    _DIRECTORY_TARGETS,
    _ROLES_READ,
    _ROLES_WRITE,
    ObjectType,
    RecycleBin,
    Reference,
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
    permissions_backup=_ROLES_READ,
    permissions_restore=_ROLES_WRITE,
    notes="Ids are not GUIDs; assignments are hard-deleted and recreated with a new id.",
)
