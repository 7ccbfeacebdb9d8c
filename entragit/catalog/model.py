"""The catalog's object-type machinery: the dataclasses an entry is made of, the helpers that build entries,
and the functions that read one entry.

Conventions used by the string fields:

- Graph paths are relative to the versioned root (`https://graph.microsoft.com/v1.0/`), never start with `/`.
- Relationship path templates use `{id}` for the owning object's id and `{ref}` for the linked object's id.
- Dotted paths (`volatile`, `unordered`, `read_only` ...) address nested properties:
  `conditions.users.includeUsers`. `[]` steps into every item of a list: `assignedPlans[].assignedDateTime`.
  `*` steps into every value of a mapping whose keys are data (`customSecurityAttributes.*.*`: each
  attribute of each attribute set). An `unordered` entry may end with `:key` to sort a list of objects by
  that property first (`ipRanges:cidrAddress`); lists of objects without a key are sorted by their compact
  JSON, lists of scalars by value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Restore phases that are not object types: links are added after every object exists, app role assignments
# after links, so that a role granted to a group finds the group's members in place.
RANK_LINKS = 70
RANK_APP_ROLE_ASSIGNMENTS = 80
# Directory extensions (catalog/extensions.py): definitions are created on their application once it and its
# service principal exist (an undeleted or recreated app), and values written after them.
RANK_EXTENSION_DEFINITIONS = 66
RANK_EXTENSION_VALUES = 67


@dataclass(frozen=True)
class Relationship:
    """A link between objects, stored in the owning object's file as ids.

    kind:
    - "ref-collection": a sorted list of ids (`members`, `owners`); add = POST `{"@odata.id": ...}` to `add`,
      remove = DELETE `remove`.
    - "ref-single": one id or null (`manager`); add = PUT `{"@odata.id": ...}` to `add`, remove = DELETE.
    - "app-role-assignment": a sorted list of `{"appRoleId", "principalId", "principalType"}` objects;
      add = POST `{"principalId", "resourceId", "appRoleId"}` to `add`, remove = DELETE `remove` with
      `{ref}` = the assignment id found by reading `read` live (assignment ids are not kept in the backup).
    - "extension-property": a sorted list of directory extension definitions (`item_fields`: dataType,
      isMultiValued, name, targetObjects); add = POST the item (its short name) to `add`, remove = DELETE
      `remove` with `{ref}` = the definition id found by reading `read` live.
    - "contained": entities Graph keeps inside the owner (`ContainsTarget` in the CSDL: an application's
      federated identity credentials), stored in the owner's file as a sorted list of their `item_fields`
      without ids, one item told from another by its `key` fields; restore reads `read` live to find the
      ids, POSTs a missing item to `add`, PATCHes a changed one at `remove` (`{ref}` = its id; where
      `updatable` is False, as for a classification with no Update method, deletes it and POSTs it again)
      and DELETEs an item the revision lacks.

    `via_delta`: the type's delta query returns this relationship as `<name>@delta` when `name` is in
    `$select`, so an incremental backup does not need to re-read it per object.

    `only_when`: (property, value): the relationship is kept only for objects with that value, read each
    run through a listing filtered on it (`side_filter`) rather than through the type's delta query, which
    does not track it (users' sponsors, kept for guests: docs/graph.md). Other objects' files leave it out.
    `split_by`: a property whose `ge` and `le` filters the resource page lists, on which that listing is
    split into ranges read side by side (`live.Reader.side_links`): an expanding listing is a chain of pages
    of 100, one after the other. A 400 for the ranges falls back to one listing.

    `inverse`: the listing (`path?query`) of the objects whose `read` (`{id}`: each of them) names the
    owners this relationship links them to, where Graph reads the link from the linked side only (the groups
    an expiration policy applies to: `groups/{id}/groupLifecyclePolicies` per Microsoft 365 group).
    `param`: the add and remove paths are actions POSTed `{param: id}` (`addGroup`, `removeGroup`), not
    `$ref` writes.
    `on_target`: Graph writes the link on the linked object, not on the owner (a token lifetime policy's
    `appliesTo`: `POST applications/{ref}/tokenLifetimePolicies/$ref` with the policy's `@odata.id`,
    catalog/token_policies.py). `add` and `remove` then name the linked object's collection `{owner}`, one of
    `targets`; each holder takes one policy of a kind at most, so a restore removes links before it adds.

    `removals_first`: Graph keeps at most a few links of the kind (a feature rollout policy's groups: 10),
    so a restore removes links before it adds, as for `on_target` links; other links are added first (a
    group keeps an owner while its owners are swapped).

    `expand`: the `$expand` value that returns this relationship inside the type's listing, where the
    type's resource page says it "Supports `$expand`" (with `($select=id)` where the page documents
    `$select` nested in `$expand`); empty when it cannot be expanded. Graph returns at most 20 related
    objects per object that way (docs/graph.md, $expand), so a full list is read again per object.
    """

    name: str
    read: str
    add: str
    remove: str
    kind: str = "ref-collection"
    add_method: str = "POST"
    via_delta: bool = False
    # Properties kept per item for "app-role-assignment" and "contained" (ids only for the ref kinds).
    item_fields: tuple[str, ...] = ()
    key: tuple[str, ...] = ()  # "contained": the fields that tell one item from another
    updatable: bool = True  # "contained": a changed item is PATCHed (else deleted and created again)
    only_when: tuple[str, str] | None = None
    split_by: str = ""
    # Catalog types the linked ids can belong to (an app role assignment's principalId for that kind).
    targets: tuple[str, ...] = ("users", "groups", "servicePrincipals")
    expand: str = ""
    # "contained": the listing answers 404 when the owner holds none (a managed domain's
    # federationConfiguration, domain-list-federationconfiguration.md), which is read as an empty list.
    missing_is_404: bool = False
    inverse: str = ""
    param: str = ""
    on_target: bool = False
    removals_first: bool = False

    @property
    def rank(self) -> int:
        if self.kind == "extension-property":
            return RANK_EXTENSION_DEFINITIONS
        return RANK_APP_ROLE_ASSIGNMENTS if self.kind == "app-role-assignment" else RANK_LINKS

    @property
    def holds_items(self) -> bool:
        """Whether the value is a list of objects (`item_fields`) rather than of ids."""
        return self.kind in ("app-role-assignment", "extension-property", "contained")

    @property
    def side_filter(self) -> str | None:
        """The `$filter` of the listing that reads an `only_when` relationship each run."""
        return f"{self.only_when[0]} eq '{self.only_when[1]}'" if self.only_when else None

    def applies(self, obj: Mapping[str, Any]) -> bool:
        """Whether obj's file keeps this relationship (`only_when`)."""
        return self.only_when is None or obj.get(self.only_when[0]) == self.only_when[1]

    def item_key(self, item: Mapping[str, Any]) -> str:
        """A contained item's identity among its owner's items: its `key` fields as compact JSON."""
        return json.dumps([item.get(f) for f in self.key], sort_keys=True, separators=(",", ":"))

    def read_path(self, object_id: str) -> str:
        return self.read.format(id=object_id)

    def add_path(self, object_id: str) -> str:
        return self.add.format(id=object_id)

    def remove_path(self, object_id: str, ref: str) -> str:
        return self.remove.format(id=object_id, ref=ref)

    def target_paths(self, object_id: str, ref: str, owner: str) -> tuple[str, str]:
        """(add, remove) paths of an `on_target` link to `ref`, an object of the `owner` collection."""
        return (
            self.add.format(id=object_id, ref=ref, owner=owner),
            self.remove.format(id=object_id, ref=ref, owner=owner),
        )


@dataclass(frozen=True)
class RecycleBin:
    """Where Graph keeps a type's soft-deleted objects for 30 days (docs/graph.md, Deleted items).

    `listing` lists them (GET, paged like the live collection); `item` is one of them (`{id}` filled in):
    GET reads it, POST `item/restore` brings it back with the same id, DELETE removes it for good."""

    listing: str
    item: str

    def item_path(self, object_id: str) -> str:
        return self.item.format(id=object_id)

    def restore_path(self, object_id: str) -> str:
        return self.item_path(object_id) + "/restore"


@dataclass(frozen=True)
class Reference:
    """A property that holds ids of other objects (not a Graph relationship, just a value).

    A restore that recreates an object under a new id rewrites every reference to it (conditional access
    conditions, role assignment principals and scopes, grants); compare resolves them to display names.
    `key` is the property of the target the value matches ("id", or "appId" for application ids in
    conditional access), `prefix` a fixed text before the id (`/administrativeUnits/` in a role assignment's
    scope). Values that are no object's id ("All", "None", "all_users") are never found in an id map.
    `follows`: the holder is deleted with the object it names and does not come back with it
    (directory-deleteditems-restore.md: "restoring an application doesn't automatically restore the associated
    service principal"), so restoring that object restores the holder too, recreated if the object is.
    `embedded`: the value is a text (a query URL) with object ids inside it, each of them a reference
    (an admin consent reviewer's `/groups/{id}/transitiveMembers/microsoft.graph.user`)."""

    path: str
    types: tuple[str, ...]
    key: str = "id"
    prefix: str = ""
    follows: bool = False
    embedded: bool = False

    def ids_in(self, value: Any) -> list[str]:
        """The ids of other objects one value of the property holds."""
        if not isinstance(value, str):
            return []
        if self.embedded:
            return _GUIDS.findall(value)
        if value.startswith(self.prefix) and len(value) > len(self.prefix):
            return [value[len(self.prefix) :]]
        return []

    def swap(self, value: Any, mapping: Mapping[str, str]) -> Any:
        """The value with each id it holds that `mapping` names replaced by its successor."""
        if not isinstance(value, str):
            return value
        if self.embedded:
            return _GUIDS.sub(lambda m: mapping.get(m.group(0), m.group(0)), value)
        if value.startswith(self.prefix):
            rest = value[len(self.prefix) :]
            return self.prefix + mapping.get(rest, rest)
        return value


_GUIDS = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class DerivedType:
    """A derived type Graph returns inside a base type's collection, told apart by its `@odata.type`.

    Entra agent identities (Graph v1.0, 2026) are such: an agent identity is a service principal, an agent
    user a user. Only their files keep `@odata.type` (a plain user's file has none, so existing backups do not
    change), and that is how a restore knows the kind of object a file describes. `not_recreatable` says why
    a restore will not create a hard-deleted one anew ('' when a POST of the base type would do): each is made
    through its own endpoint from other objects, and a POST of the base type would make another kind."""

    odata_type: str  # "#microsoft.graph.agentIdentity"
    not_recreatable: str = ""


@dataclass(frozen=True)
class OptIn:
    """Properties of a type backed up only when entragit.yaml's `setting` is true: sensitive by design
    (custom security attribute values gate access), with the permissions reading and writing them need.

    `not_in_delta`: a delta round is never asked for them (no delta page documents them; Graph refuses other
    `$select`-only properties there): a type read by delta round gets them from a listing of
    `$select=id,<properties>` in the same run (`live.Reader.opted_values`)."""

    setting: str
    properties: tuple[str, ...]
    permissions_backup: tuple[str, ...]
    permissions_restore: tuple[str, ...]
    not_in_delta: bool = True


@dataclass(frozen=True)
class Requests:
    """Writes through request objects rather than on the collection (PIM schedules: the schedules are
    read-only, rbacapplication-post-roleeligibilityschedulerequests.md). Each write is a POST to `path` with
    `action` set and the `target` properties that name the object (principal, role, scope) copied from the
    file: `create` makes it (the new object's id is the response's `new_id`), `update` changes its other
    writable properties, `remove` ends it (`apply --prune`). Every request carries a `justification`, which
    a role's settings may require (policyroot-list-rolemanagementpolicies.md, Example 2)."""

    path: str
    target: tuple[str, ...]
    create: str
    update: str
    remove: str
    new_id: str
    justification: str = "Restored by entragit from a backup"


@dataclass(frozen=True)
class Scopes:
    """A collection Graph lists only one scope at a time: its listing requires a `$filter` naming the scope
    (PIM for Groups: privilegedaccessgroup-list-eligibilityschedules.md, "This method requires the $filter
    (eq) query parameter to scope the request to a principalId or a groupId"; the group-scoped role settings,
    policyroot-list-rolemanagementpolicies.md). The scopes are the ids a listing of `source` filtered by
    `source_filter` returns; the type is listed once per scope with `filter` (`{id}` the scope's id), and the
    listings together are the type's listing: one that fails fails the type."""

    source: str  # Graph collection of the scope objects ("groups")
    source_filter: str  # which of them can hold objects of the type
    filter: str  # the type's `$filter` for one scope, `{id}` its id
    named_by: str = ""  # the entragit.yaml key naming more scopes, which `source_filter` cannot find


@dataclass(frozen=True)
class Grant:
    """A link another type's objects hold while they last (an active PIM for Groups schedule makes its
    principal a member or owner of the group): the holder's `relationship` lists the object's `item` in the
    file of the object its `holder` names, when its `when` property has that value. A restore never adds
    such a link on its own (it would last for good): the schedule's restore brings it back for its time, an
    activation or an ended one rightly not."""

    type: str  # the type holding the link ("groups")
    relationship: str  # "members"
    holder: str  # the property naming the holding object ("groupId")
    item: str  # the property naming the linked object ("principalId")
    when: tuple[str, Any]  # ("accessId", "member")


@dataclass(frozen=True)
class LeftAlone:
    """Objects a restore never writes, told by a property's value (dotted path), with the reason shown in
    the plan as a skip: a PIM activation is a user's own act for a few hours, not configuration."""

    path: str
    value: Any
    reason: str


@dataclass(frozen=True)
class ObjectType:
    """One Entra object type: where it lives in Graph and in the backup repository, and how to restore it."""

    name: str  # short CLI name: `--type users`
    path: str  # Graph collection path (or the singleton's path)
    select: tuple[str, ...]  # every top-level property backed up; "id" always included
    identity: tuple[str, ...] = ("id", "displayName")  # shown first in each file, in this order
    display: str = "displayName"  # the property that names an object for humans
    # The property Graph keys the type's objects by, where it is not `id` (a cross-tenant partner's
    # tenantId): the reader copies it into `id`, so files are named by it like any other object's.
    key: str = "id"
    # Send `select` as $select. False where Graph returns the full object anyway and a $select would be
    # rejected or lose data (polymorphic collections whose derived properties need a cast, singletons with
    # inline navigation properties, types whose schema says SelectSupport Supported=false). The backup keeps
    # the properties of `select` of the whole object all the same.
    send_select: bool = True
    # Fill properties of `select` that Graph left out with null, so that a full listing (which returns null
    # for unset selected properties) and a delta round (which omits never-set ones) give the same file.
    # Off for polymorphic types whose derived properties only exist on some objects.
    fill_missing: bool = True
    volatile: tuple[str, ...] = ()  # dropped from backups (noise in diffs)
    read_only: tuple[str, ...] = ()  # never sent in a PATCH/POST on restore
    create_only: tuple[str, ...] = ()  # may be set on create, never changed afterwards
    # Properties whose null in a file stands for the value Graph fills in when a create leaves them out,
    # and which Graph will not set back to null: a restore leaves them as they are live.
    null_is_default: tuple[str, ...] = ()
    unordered: tuple[str, ...] = ()  # lists whose order carries no meaning: sorted in canonical form
    # Space-separated word lists whose order carries no meaning (oauth2PermissionGrant.scope).
    unordered_words: tuple[str, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    # Single-valued contained entities (also in `select`) kept as properties of the object's file: read
    # with GET `{item path}/{name}` (404: null), written with PUT there (a partner's identitySynchronization).
    contained: tuple[str, ...] = ()
    recycle_bin: RecycleBin | None = None  # where deleted objects wait 30 days; None: deleted for good
    delta: bool = False
    singleton: bool = False
    restorable: bool = True
    rank: int = 0  # restore order: lower first
    keep_odata_type: bool = False  # keep `@odata.type` (polymorphic collections), at every depth
    # Derived types whose objects keep their top-level `@odata.type` (the base type's own files carry none).
    derived: tuple[DerivedType, ...] = ()
    shard: bool = False  # big collections: files go to folder/<id[:2]>/<id>.yaml
    permissions_backup: tuple[str, ...] = ()
    permissions_restore: tuple[str, ...] = ()
    list_filter: str | None = None  # $filter sent when listing
    scopes: Scopes | None = None  # listed once per scope (a `$filter` Graph requires), not as a whole
    # The type's folder in the backup repository where it is not its Graph path: two types listed from one
    # Graph collection (PIM role settings of directory roles and of groups) keep their files apart.
    folder_name: str = ""
    # Objects that are listed but not backed up: (property, value) pairs, any match excludes the object
    # (built-in role definitions and authentication strengths cannot be restored and are the same in every
    # tenant).
    exclude_when: tuple[tuple[str, Any], ...] = ()
    # Objects whose id starts with one of these are listed but not backed up: Microsoft's built-in ones, the
    # same in every tenant and not writable (permission grant policies `microsoft-*`).
    exclude_id_prefixes: tuple[str, ...] = ()
    # Lists of objects Graph returns inline but writes as a collection of their own under the object's path:
    # each item POSTed to `<item path>/<property>`, removed by DELETE `<item path>/<property>/<item id>`
    # (a permission grant policy's `includes` and `excludes`). The items' ids are Graph's, kept out of the
    # files (`volatile`): items are told apart by their content.
    sub_collections: tuple[str, ...] = ()
    create_method: str = "POST"  # "PATCH": created by PATCH on the item path (authentication contexts)
    # "PUT": Graph replaces the object whole (adminConsentRequestPolicy): an update sends every writable
    # property, changed or not.
    update_method: str = "PATCH"
    # Properties that identify an object created by a restore that was interrupted before it learnt the new
    # id: the first is sent as $filter where `filterable`, all must match.
    unique: tuple[str, ...] = ("displayName",)
    filterable: bool = False
    # Properties PATCH cannot change, written through a dedicated action instead: (property, path template).
    write_actions: tuple[tuple[str, str], ...] = ()
    # The parameter a write action takes a property's value under, where it is not the property's name.
    action_params: tuple[tuple[str, str], ...] = ()
    # Properties of `write_actions` a create does not send whole: written through their action once the
    # object exists. `create_keeps` says what of one the create must carry all the same: (property, list
    # in each of its items, key, value) keeps only the list entries whose key has that value.
    written_after_create: tuple[str, ...] = ()
    create_keeps: tuple[tuple[str, str, str, Any], ...] = ()
    references: tuple[Reference, ...] = ()  # ids of other objects held in properties
    # The `targetObjects` value of directory extensions this type takes ("User"; extensionproperty.md): their
    # values are selected by name, discovered at the start of each run (catalog/extensions.py).
    extension_target: str = ""
    # (flag, action path): a file whose `flag` is true describes Graph's own default settings, which an update
    # brings back by POSTing the action (no body) rather than PATCHing each setting (the cross-tenant
    # default's isServiceDefault and resetToSystemDefault), so that the flag comes back true as well.
    reset: tuple[str, str] | None = None
    # Why a change of this type weakens or strengthens the tenant's defences (tenant-wide trust settings):
    # `entragit report` calls such changes out above the others, setting by setting. Empty for most types.
    security: str = ""
    # Writes through request objects instead of POST/PATCH/DELETE on the collection (PIM schedules).
    requests: Requests | None = None
    # Why a restore cannot create an object of the type anew ('' when it can): Entra keeps exactly one per
    # something else (a role's PIM settings), so a missing one is refused and `apply --prune` deletes none.
    # `{id}` in it stands for the object's id (a deleted domain's name in the steps that bring it back).
    not_recreatable: str = ""
    left_alone: tuple[LeftAlone, ...] = ()  # objects a restore skips, with why
    # The property holding a PIM `requestSchedule` (startDateTime, expiration): an object whose schedule
    # ended before the restore is skipped, since Graph refuses an end in the past.
    schedule: str = ""
    # The type whose objects make objects of this one (an active PIM schedule makes its role assignment):
    # a file whose `unique` properties match a file of that type at the same revision is restored through
    # that file, never on its own (a time-bound assignment would come back permanent).
    made_by: str = ""
    grants: tuple[Grant, ...] = ()  # links of other objects an object of this type makes while it lasts
    notes: str = ""
    recreate_note: str = ""  # added to the reason of every recreate of the type
    # Properties Graph sets only by an update: a recreate PATCHes them after the POST.
    update_only: tuple[str, ...] = ()
    # Navigation properties the type's listing and reads expand inline (`$expand`, each item one property,
    # with its nested options), kept in the object's file like properties.
    expand: tuple[str, ...] = ()
    opt_in: tuple[OptIn, ...] = ()  # properties backed up only when entragit.yaml asks for them
    deletable: bool = True  # False: Graph never deletes one (custom security attribute sets, definitions)
    # (list property, its items' flag of being active): items Graph never deletes, only deactivates (a
    # definition's allowed values). A restore deactivates one the revision lacks; an inactive live item the
    # file does not list is then what the revision amounts to, no difference (restore/plan.py).
    retired_items: tuple[tuple[str, str], ...] = ()
    # Boolean properties true on exactly one object of the type (the tenant's default domain): writing true
    # to one makes Graph take it from the other, so a restore writes only a true, and a false in a file is
    # what the true of another file leaves (restore/plan.py).
    sole_true: tuple[str, ...] = ()
    # Why the type is read and written only by a signed-in user ('' for most types): Graph lists no
    # application permission for its calls (terms of use agreements). A run signed in as an app leaves its
    # files alone.
    delegated_only: str = ""
    # (list property, its items' key, file extension): binary content Graph takes on create but never returns
    # (an agreement's PDFs), kept as files beside the object's YAML, one per item: `<id>.<key value>.<ext>`
    # (`attachment_path`). They are no objects: a backup never writes or removes them.
    attachments: tuple[str, str, str] | None = None

    @property
    def named_by(self) -> tuple[str, ...]:
        """For a type named by what it links (its display field is an id: role assignments, grants), the id
        fields that name it, the display field first (`roleDefinitionId`, `principalId`: shown as
        `Global Administrator → Megan Bowen`); empty for a type with a name of its own."""
        if not self.display.endswith("Id"):
            return ()
        others = (f for f in self.identity if f.endswith("Id") and f not in ("id", self.display))
        return (self.display, *others)

    @property
    def folder(self) -> str:
        """Folder in the backup repository: the Graph path, or for a singleton the folder holding its file."""
        if self.folder_name:
            return self.folder_name
        return self.path.rpartition("/")[0] if self.singleton else self.path

    @property
    def reads_beside(self) -> bool:
        """Whether some of its relationships are kept only for some objects and read beside its listing each
        run (`Relationship.only_when`: the guests' sponsors)."""
        return any(r.only_when for r in self.relationships)

    def relationship(self, name: str) -> Relationship | None:
        for rel in self.relationships:
            if rel.name == name:
                return rel
        return None

    def item_path(self, object_id: str) -> str:
        """Graph path of one object (the singleton's own path)."""
        return self.path if self.singleton else f"{self.path}/{object_id}"

    def derived_type(self, obj: Mapping[str, Any]) -> DerivedType | None:
        """The derived type `obj` is of (its `@odata.type`), or None for an object of the type itself."""
        kind = obj.get("@odata.type")
        return next((d for d in self.derived if d.odata_type == kind), None) if kind else None

    def action_param(self, prop: str) -> str:
        """The parameter name the write action of `prop` takes its value under."""
        return dict(self.action_params).get(prop, prop)

    @property
    def writable(self) -> tuple[str, ...]:
        """Top-level properties a restore may PATCH."""
        blocked = {p.split(".")[0].split("[")[0] for p in self.read_only} | set(self.create_only)
        return tuple(p for p in self.select if p not in blocked)


def _names(text: str) -> tuple[str, ...]:
    """Whitespace-separated names as a tuple, so that long property lists read as a paragraph."""
    return tuple(text.split())


# ----------------------------------------------------------------------------------------------------------
# Directory objects (users, groups, applications, service principals, administrative units) share what Graph's
# directoryObject gives them: a delta query, soft delete into deletedItems, and read-only id/deletedDateTime.


def _directory_type(
    name: str,
    entity: str,
    *,
    path: str | None = None,
    shard: bool = True,
    read_only: tuple[str, ...] = (),
    **fields: Any,
) -> ObjectType:
    """A directory object type; `entity` names its deletedItems cast (`microsoft.graph.<entity>`), which
    directory/deletedItems needs to list them (directory-deleteditems-list.md); one is read, restored and
    purged by id alone (directory-deleteditems-get.md, -restore.md, -delete.md).

    Sharded by default: these are the collections that grow to 100,000 objects."""
    return ObjectType(
        name=name,
        path=path or name,
        read_only=("id", "deletedDateTime", *read_only),
        recycle_bin=RecycleBin(
            f"directory/deletedItems/microsoft.graph.{entity}", "directory/deletedItems/{id}"
        ),
        delta=True,
        shard=shard,
        **fields,
    )


def _links(
    name: str,
    path: str,
    targets: tuple[str, ...],
    *,
    via_delta: bool,
    expand: str = "",
    only_when: tuple[str, str] | None = None,
    split_by: str = "",
) -> Relationship:
    """A `$ref` collection such as members or owners under the type's Graph path."""
    return Relationship(
        name=name,
        read=f"{path}/{{id}}/{name}",
        add=f"{path}/{{id}}/{name}/$ref",
        remove=f"{path}/{{id}}/{name}/{{ref}}/$ref",
        via_delta=via_delta,
        targets=targets,
        expand=expand,
        only_when=only_when,
        split_by=split_by,
    )


def _contained(
    name: str,
    path: str,
    fields: tuple[str, ...],
    key: tuple[str, ...],
    *,
    expand: bool,
    updatable: bool = True,
    missing_is_404: bool = False,
) -> Relationship:
    """Entities kept inside the owner (kind "contained"), each addressed as `{path}/{id}/{name}/{ref}`."""
    return Relationship(
        name=name,
        read=f"{path}/{{id}}/{name}",
        add=f"{path}/{{id}}/{name}",
        remove=f"{path}/{{id}}/{name}/{{ref}}",
        kind="contained",
        item_fields=fields,
        key=key,
        updatable=updatable,
        targets=(),
        expand=name if expand else "",
        missing_is_404=missing_is_404,
    )


_DIRECTORY_TARGETS = ("users", "groups", "servicePrincipals")
_OWNER_TARGETS = ("users", "servicePrincipals")

# Permissions several areas share.
# Custom security attribute values, held by users and service principals (resources/user.md,
# serviceprincipal.md: "Returned only on $select", read with CustomSecAttributeAssignment.Read.All, written
# with ...ReadWrite.All, only by PATCH: concepts/custom-security-attributes-examples.md). They gate access:
# kept only when entragit.yaml says `custom_security_attributes: true` (catalog/security_attributes.py).
VALUES = "customSecurityAttributes"
VALUES_OPT_IN = OptIn(
    "custom_security_attributes",
    (VALUES,),
    ("CustomSecAttributeAssignment.Read.All",),
    ("CustomSecAttributeAssignment.ReadWrite.All",),
)
# The fields a type holding them takes (users, service principals); its `select` names VALUES and its
# `unordered` `customSecurityAttributes.*.*` (a multi-valued attribute is a set of values).
VALUES_FIELDS: dict[str, Any] = {"update_only": (VALUES,), "opt_in": (VALUES_OPT_IN,)}

_POLICY_READ = ("Policy.Read.All",)
_ROLES_READ = ("RoleManagement.Read.Directory",)
_ROLES_WRITE = ("RoleManagement.ReadWrite.Directory",)

Steps = tuple[tuple[str, bool], ...]


def parse_dotted(path: str) -> tuple[Steps, str | None]:
    """'a.b[].c:key' -> ((('a', False), ('b', True), ('c', False)), 'key'): see the module docstring."""
    sort_key = None
    if ":" in path:
        path, sort_key = path.split(":", 1)
    steps = []
    for part in path.split("."):
        if part.endswith("[]"):
            steps.append((part[:-2], True))
        else:
            steps.append((part, False))
    return tuple(steps), sort_key


def walk(obj: Any, steps: Steps) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (parent dict, key) that parsed dotted-path steps reach in `obj`; missing parts yield nothing."""
    parents = [obj]
    for i, (key, each) in enumerate(steps):
        last = i == len(steps) - 1
        nxt: list[Any] = []
        for parent in parents:
            if not isinstance(parent, dict):
                continue
            for name in list(parent) if key == "*" else [key] if key in parent else []:
                if last:
                    yield parent, name
                    continue
                child = parent[name]
                if each:
                    if isinstance(child, list):
                        nxt.extend(child)
                else:
                    nxt.append(child)
        parents = nxt


def object_path(t: ObjectType, object_id: str) -> str:
    """Repository path of one object's file (POSIX separators, relative to the repository root)."""
    if t.singleton:
        return f"{t.path}.yaml"
    if not object_id or "/" in object_id or object_id in (".", ".."):
        raise ValueError(f"invalid object id for a file name: {object_id!r}")
    if t.shard:
        return f"{t.folder}/{object_id[:2]}/{object_id}.yaml"
    return f"{t.folder}/{object_id}.yaml"


def attachment_path(t: ObjectType, path: str, key_value: str) -> str:
    """Repository path of one attachment (`attachments`) of the object whose file is `path`: beside it,
    named by the object's id and the item's key (an agreement's PDF in French: `<folder>/<id>.fr-FR.pdf`)."""
    assert t.attachments is not None
    if not key_value or "/" in key_value or key_value.startswith("."):
        raise ValueError(f"{path}: invalid {t.attachments[1]} for a file name: {key_value!r}")
    return f"{path.removesuffix('.yaml')}.{key_value}.{t.attachments[2]}"


def select_param(t: ObjectType) -> str | None:
    """The `$select` value to send when listing `t`, or None when no $select must be sent.

    Relationships that come through delta are added by the caller of a delta query (`members`, `manager`);
    expanded navigation properties go in `$expand`."""
    expanded = {e.split("(")[0] for e in t.expand}
    return ",".join(p for p in t.select if p not in expanded) if t.send_select else None


def opted_out(t: ObjectType, opted_in: frozenset[str]) -> list[str]:
    """Properties of `t` left out because entragit.yaml does not opt in to them (`OptIn.setting`)."""
    return [p for o in t.opt_in if o.setting not in opted_in for p in o.properties]


def not_in_delta(t: ObjectType) -> list[str]:
    """Properties a delta round of `t` is never asked for (`OptIn.not_in_delta`)."""
    return [p for o in t.opt_in if o.not_in_delta for p in o.properties]


def delta_select_param(t: ObjectType) -> str | None:
    """`$select` for a delta round: the properties plus the relationships delta returns as `<name>@delta`."""
    if not t.delta:
        return None
    extra = [r.name for r in t.relationships if r.via_delta]
    skip = set(not_in_delta(t))
    return ",".join((*(p for p in t.select if p not in skip), *extra))


def is_backed_up(t: ObjectType, obj: Mapping[str, Any]) -> bool:
    """False for listed objects the catalog leaves out (built-in role definitions, auth strengths and
    permission grant policies, permanent active PIM schedules: `scheduleInfo.expiration.type`)."""
    if t.exclude_id_prefixes and str(obj.get("id") or "").startswith(t.exclude_id_prefixes):
        return False
    return not any(value in dotted_values(obj, prop) for prop, value in t.exclude_when)


def dotted_values(obj: Mapping[str, Any], path: str) -> list[Any]:
    """The values a dotted path (no `[]`) reaches in obj: one, or none where a step is missing."""
    return [parent[key] for parent, key in walk(obj, parse_dotted(path)[0])]
