"""Catalog entries of the tenant-wide rules for groups and passwords kept outside the groups themselves: the
directory settings made from Microsoft's setting templates (`groupSettings`: who may create Microsoft 365
groups, guest access, the naming policy and classifications, the banned password list and smart lockout) and
the Microsoft 365 group expiration policy (`groupLifecyclePolicies`).

An attacker who turns group creation on for everyone, lets guests own groups or empties the banned password
list leaves no trace on any user or group: these files are where it shows (the report says it in words,
report/settings.py).
"""

from __future__ import annotations

from entragit.catalog.model import ObjectType, Reference, Relationship, _names

# resources/groupsetting.md: one object per template (group-post-settings.md: created from a
# groupSettingTemplate, whose displayName it inherits), its `values` the template's name/value pairs, each
# value a string ("true", "10", a GUID). The list is sorted by name: the same settings give the same file.
# A value that is a GUID is an object id (Group.Unified's GroupCreationAllowedGroupId, the consent settings'
# ConstrainGroupSpecificConsentToMembersOfGroupId: groups), rewritten when that group is recreated.
GROUP_SETTINGS: ObjectType = ObjectType(
    name="groupSettings",
    path="groupSettings",
    select=_names("id displayName templateId values"),
    # group-post-settings.md: "The display name, templateId, and description are inherited from the
    # referenced groupSettingTemplates object. Only the value property can be changed".
    read_only=("id", "displayName"),
    create_only=("templateId",),
    unordered=("values:name",),
    # One setting per template: the template tells a setting an interrupted restore created.
    unique=("templateId",),
    references=(Reference("values[].value", ("groups",), embedded=True),),
    rank=76,
    # group-list-settings.md: GroupSettings.Read.All is the least privileged read, but Directory.Read.All
    # reads them too and every backup holds it (extension discovery, grants, the expiration policy): asking
    # for GroupSettings.Read.All as well would add a grant that changes nothing.
    permissions_backup=("Directory.Read.All",),
    permissions_restore=("GroupSettings.ReadWrite.All",),
    security="who may create Microsoft 365 groups, what guests may do in them, and the banned passwords",
    notes="Values written back whole (PATCH); a deleted setting created again from its template.",
)

# resources/grouplifecyclepolicy.md: the expiration of Microsoft 365 groups; a tenant has one
# (entra/identity/users/groups-lifecycle: "you can configure only one expiration policy"). Deleted for good.
GROUP_LIFECYCLE_POLICIES: ObjectType = ObjectType(
    name="groupLifecyclePolicies",
    path="groupLifecyclePolicies",
    select=_names("id alternateNotificationEmails groupLifetimeInDays managedGroupTypes"),
    # The policy has no name: it is shown by its id.
    identity=("id",),
    display="id",
    read_only=("id",),
    unique=_names("managedGroupTypes groupLifetimeInDays alternateNotificationEmails"),
    # A Selected policy applies to the groups added to it (grouplifecyclepolicy-addgroup.md, removegroup.md);
    # no page reads them from the policy: each Microsoft 365 group's policies are read instead
    # (group-list-grouplifecyclepolicies.md; docs/graph.md says what that costs). A policy for All or None
    # Microsoft 365 groups names none.
    relationships=(
        Relationship(
            name="groups",
            read="groups/{id}/groupLifecyclePolicies",
            add="groupLifecyclePolicies/{id}/addGroup",
            remove="groupLifecyclePolicies/{id}/removeGroup",
            only_when=("managedGroupTypes", "Selected"),
            targets=("groups",),
            inverse="groups?$filter=groupTypes/any(c:c eq 'Unified')",
            param="groupId",
        ),
    ),
    # Before the links phase (RANK_LINKS), which adds the selected groups once the policy exists.
    rank=61,
    # grouplifecyclepolicy-list.md, -post-grouplifecyclepolicies.md, -update.md, -delete.md.
    permissions_backup=("Directory.Read.All",),
    permissions_restore=("Directory.ReadWrite.All",),
    notes="Created again from its file when deleted (Graph keeps no deleted policies).",
)
