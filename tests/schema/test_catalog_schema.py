"""The catalog against Microsoft's published Graph v1.0 schema (CSDL) and permissions file.

Every check is generic over `CATALOG`: a type added later is checked without new test code. The data is
Microsoft's, read from `../shared/graph/msgraph-metadata/` (override: ENTRAGIT_GRAPH_METADATA=dir) and never
copied into this repository; docs/graph.md ("Schema and permissions data") says where it comes from and how to
refresh it. Without the data the tests skip, saying why; with ENTRAGIT_REQUIRE_SCHEMA=1 (set by `.ci/run`) a
missing file fails them instead.

What the CSDL cannot say is kept in `DOCUMENTED`, one entry per exception, each with the page that justifies
it; `test_every_documented_exception_is_still_needed` fails once an exception no longer applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from entragit.catalog import (
    AUDIT_PERMISSIONS,
    CATALOG,
    EXTENSION_DISCOVERY,
    EXTENSION_PERMISSIONS,
    REPORTS,
    ObjectType,
    Relationship,
    parse_dotted,
    select_param,
)
from entragit.permissions import permissions_by_type

from . import csdl
from . import permissions as perms_file
from .data import CSDL_FILE, PERMISSIONS_FILE, require
from .data import schema as load_schema

ODATA_TYPE = "@odata.type"  # an OData annotation, not a property: kept for polymorphic types


@dataclass(frozen=True)
class Documented:
    """A catalog entry the schema data alone would reject, and the page that says Graph does it anyway.

    check: "property" (a property the pages document and the CSDL snapshot lacks), "navigation" (a
    navigation property kept inline), "permission-path" (a call the permissions file
    lists under another path, `alias`, or not at all: alias ''), "permission" (a permission the file lists for
    none of the type's calls).
    """

    check: str
    type: str
    item: str
    page: str
    why: str
    alias: str = ""


_DELETED_ITEMS_WHY = (
    "the permissions file lists no row for directory/deletedItems reads (only /restore, for users); the page "
    "gives a table per resource type, whose Application column is the type's own read permission"
)

# Types whose soft-deleted objects wait in directory/deletedItems (recycle_bin.listing is always set).
_DIRECTORY_BIN = [t for t in CATALOG if t.recycle_bin and t.recycle_bin.item == "directory/deletedItems/{id}"]

_GROUP_SETTINGS_WHY = (
    "the permissions file lists no RoleManagementPolicy.*.AzureADGroup permission; the page's row "
    '"For PIM for groups" (Application: RoleManagementPolicy.Read.AzureADGroup, '
    "RoleManagementPolicy.ReadWrite.AzureADGroup) is the one for a group's settings (the Entra roles row "
    "does not admit them: sandbox/pim.py)"
)

DOCUMENTED: tuple[Documented, ...] = (
    *(
        Documented(
            "permission-path",
            "appManagementPolicies",
            call,
            "api-reference/v1.0/api/appmanagementpolicy-post-appliesto.md",
            "the file lists the application's POST only; the page assigns a policy to an application or a "
            "service principal (Example 2) with Application.Read.All and "
            "Policy.ReadWrite.ApplicationConfiguration, and appmanagementpolicy-delete-appliesto.md "
            "removes it with the same",
            alias="applications/{id}/appManagementPolicies/$ref",
        )
        for call in (
            "DELETE applications/{ref}/appManagementPolicies/{id}/$ref",
            "POST servicePrincipals/{ref}/appManagementPolicies/$ref",
            "DELETE servicePrincipals/{ref}/appManagementPolicies/{id}/$ref",
        )
    ),
    *(
        Documented(
            "navigation",
            "deviceCompliancePolicies",
            name,
            "api-reference/v1.0/api/intune-deviceconfig-devicecompliancepolicy-list.md",
            "a navigation property read inline with $expand (written through the assign and "
            "scheduleActionsForRules actions)",
        )
        for name in ("scheduledActionsForRule", "scheduledActionConfigurations")
    ),
    Documented(
        "property",
        "roleDefinitions",
        "deletedDateTime",
        "api-reference/v1.0/resources/unifiedroledefinition.md",
        "documented in v1.0 with the role definitions' recycle bin (2026, "
        "directoryrolemanagementdeleteditemcontainer-list-roledefinitions.md, "
        "unifiedroledefinition-restore.md); the CSDL snapshot of 2026-08-04 does not have it yet",
    ),
    Documented(
        "navigation",
        "authenticationMethodsPolicy",
        "authenticationMethodConfigurations",
        "api-reference/v1.0/resources/authenticationmethodspolicy.md",
        "a navigation property, 'Automatically expanded on GET /policies/authenticationMethodsPolicy'",
    ),
    Documented(
        "navigation",
        "authenticationMethodsPolicy",
        "includeTargets",
        "api-reference/v1.0/api/authenticationmethodspolicy-get.md",
        "a navigation property of each method configuration, returned inline with it (the response example)",
    ),
    *(
        Documented(
            "navigation",
            "permissionGrantPolicies",
            name,
            "api-reference/v1.0/api/permissiongrantpolicy-list.md",
            "a navigation property, returned inline with each policy (the response example)",
        )
        for name in ("includes", "excludes")
    ),
    Documented(
        "navigation",
        "conditionalAccessPolicies",
        "authenticationStrength",
        "api-reference/v1.0/resources/conditionalaccessgrantcontrols.md",
        "a relationship of grantControls that a policy GET returns inline (with authenticationStrength@odata."
        "context); a policy is created with it as {'id': ...} (conditionalaccessroot-post-policies.md)",
    ),
    Documented(
        "property",
        "crossTenantPartners",
        "id",
        "api-reference/v1.0/resources/crosstenantaccesspolicyconfigurationpartner.md",
        "a partner has no id: it is keyed by tenantId (the catalog's `key`), which the reader copies into "
        "`id` so that the partner's file is named by its tenant id",
    ),
    Documented(
        "navigation",
        "crossTenantPartners",
        "identitySynchronization",
        "api-reference/v1.0/api/crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization.md",
        "a contained entity (catalog `contained`) read from and PUT to its own path, kept in the partner's "
        "file",
    ),
    Documented(
        "permission-path",
        "groups",
        "POST groups/{id}/members/$ref",
        "api-reference/v1.0/api/group-post-members.md",
        "the permissions file has no POST row for /groups/{id}/members; the page lists "
        "GroupMember.ReadWrite.All (least), Group.ReadWrite.All and Directory.ReadWrite.All",
    ),
    *(
        Documented("permission-path", t.name, f"GET {path}", page, _DELETED_ITEMS_WHY)
        for t in _DIRECTORY_BIN
        for path, page in (
            (t.recycle_bin.listing, "api-reference/v1.0/api/directory-deleteditems-list.md"),
            (t.recycle_bin.item, "api-reference/v1.0/api/directory-deleteditems-get.md"),
        )
    ),
    *(
        Documented(
            "permission-path",
            t.name,
            "POST directory/deletedItems/{id}/restore",
            "api-reference/v1.0/api/directory-deleteditems-restore.md",
            "the permissions file lists only the user and agent permissions for restoring; the page gives a "
            "table per resource type (groups: Group.ReadWrite.All, applications and service principals: "
            "Application.ReadWrite.All, administrative units: AdministrativeUnit.ReadWrite.All)",
        )
        for t in _DIRECTORY_BIN
        if t.name != "users"
    ),
    *(
        Documented(
            "permission-path",
            "featureRolloutPolicies",
            f"GET policies/featureRolloutPolicies/{{id}}{rest}",
            "api-reference/v1.0/api/featurerolloutpolicy-get.md",
            "a backup lists the policies with their groups ($expand=appliesTo, with "
            "Policy.Read.HybridAuthentication, the file's least privileged for the list) and reads none on "
            "its own; one policy (and its "
            "appliesTo, which the file has no GET row for) is read by plan and restore only, signed in with "
            "Policy.ReadWrite.HybridAuthentication, the page's and the file's least privileged for it",
        )
        for rest in ("", "/appliesTo")
    ),
    # PIM for Groups settings: the permissions file has no RoleManagementPolicy.*.AzureADGroup at all; the
    # pages list them in their "For PIM for groups" rows (policyroot-list-rolemanagementpolicies.md,
    # -rolemanagementpolicyassignments.md, unifiedrolemanagementpolicyrule-update.md; docs/graph.md).
    *(
        Documented(
            "permission-path",
            name,
            call,
            "api-reference/v1.0/api/policyroot-list-rolemanagementpolicies.md",
            _GROUP_SETTINGS_WHY,
        )
        for name, call in (
            ("groupRoleManagementPolicies", "GET policies/roleManagementPolicies"),
            ("groupRoleManagementPolicies", "GET policies/roleManagementPolicies/{id}"),
            ("groupRoleManagementPolicies", "PATCH policies/roleManagementPolicies/{id}/rules/{ref}"),
            ("groupRoleManagementPolicies", "POST policies/roleManagementPolicies/{id}/rules"),
            ("groupRoleManagementPolicyAssignments", "GET policies/roleManagementPolicyAssignments"),
            ("groupRoleManagementPolicyAssignments", "GET policies/roleManagementPolicyAssignments/{id}"),
        )
    ),
    *(
        Documented(
            "permission",
            name,
            permission,
            "api-reference/v1.0/api/policyroot-list-rolemanagementpolicies.md",
            _GROUP_SETTINGS_WHY,
        )
        for name, permission in (
            ("groupRoleManagementPolicies", "RoleManagementPolicy.Read.AzureADGroup"),
            ("groupRoleManagementPolicies", "RoleManagementPolicy.ReadWrite.AzureADGroup"),
            ("groupRoleManagementPolicyAssignments", "RoleManagementPolicy.Read.AzureADGroup"),
        )
    ),
    Documented(
        "permission-path",
        "roleManagementPolicies",
        "POST policies/roleManagementPolicies/{id}/rules",
        "api-reference/v1.0/resources/unifiedrolemanagementpolicy.md",
        "no such call: a policy's rules are a fixed set Entra keeps (the resource lists no create for "
        "them), so a live policy always has every rule its file has and restore only PATCHes them; the "
        "generic new-item POST of a {ref} write action is never reached",
    ),
    Documented(
        "permission-path",
        "roleManagementPolicies",
        "PATCH policies/roleManagementPolicies/{id}/rules/{ref}",
        "api-reference/v1.0/api/unifiedrolemanagementpolicyrule-update.md",
        "the permissions file lists the rule update as delegated only; the page (learn.microsoft.com, 2026) "
        "lists Application RoleManagementPolicy.ReadWrite.Directory and RoleManagement.ReadWrite.Directory "
        "(docs/graph.md, PIM for Entra roles)",
    ),
    Documented(
        "permission-path",
        "administrativeUnits",
        "GET directory/administrativeUnits/delta",
        "api-reference/v1.0/api/administrativeunit-delta.md",
        "delta is bound to Collection(administrativeUnit) in the CSDL, so it applies to "
        "directory/administrativeUnits; the page and the permissions file name /administrativeUnits/delta",
        alias="administrativeUnits/delta",
    ),
    *(
        Documented(
            "permission-path",
            "authenticationStrengthPolicies",
            f"{method} identity/conditionalAccess/authenticationStrength/policies{rest}",
            "api-reference/v1.0/api/authenticationstrengthpolicy-get.md (and -update, -delete, "
            "-updateallowedcombinations, authenticationstrengthroot-post-policies.md)",
            "the permissions file lists authentication strengths only under "
            "policies/authenticationStrengthPolicies",
            alias=f"policies/authenticationStrengthPolicies{rest}",
        )
        for method, rest in (
            ("GET", ""),
            ("GET", "/{id}"),
            ("POST", ""),
            ("PATCH", "/{id}"),
            ("DELETE", "/{id}"),
            ("POST", "/{id}/updateAllowedCombinations"),
        )
    ),
    Documented(
        "permission-path",
        "organization",
        "GET organization/{id}",
        "api-reference/v1.0/api/organization-get.md",
        "the page lists Organization.Read.All for an application; the permissions file omits it for this "
        "path",
        alias="organization",
    ),
    Documented(
        "permission",
        "groups",
        "RoleManagement.ReadWrite.Directory",
        "api-reference/v1.0/api/group-post-members.md",
        "adding members to a role-assignable group also needs RoleManagement.ReadWrite.Directory",
    ),
)


def _documented(check: str, t: ObjectType, item: str) -> Documented | None:
    return next((d for d in DOCUMENTED if (d.check, d.type, d.item) == (check, t.name, item)), None)


@pytest.fixture(scope="module")
def schema() -> csdl.Schema:
    return load_schema()


@pytest.fixture(scope="module")
def granted() -> perms_file.Permissions:
    return perms_file.load(require(PERMISSIONS_FILE))


@pytest.fixture(scope="module")
def granted_to_users() -> perms_file.Permissions:
    """The delegated rows: what the types Graph admits for signed-in users only are checked against."""
    return perms_file.load(require(PERMISSIONS_FILE), perms_file.DELEGATED)


# -- dotted paths --------------------------------------------------------------------------------------------


def _entity(schema: csdl.Schema, t: ObjectType) -> str:
    return schema.resolve(t.path)[-1][1]


def _polymorphic(schema: csdl.Schema, t: ObjectType, name: str, top: bool) -> list[str]:
    """The types a value of type `name` can be: derived types too where the catalog keeps `@odata.type`
    (at every depth), or at the top the catalog's `derived` types."""
    if t.keep_odata_type:
        return [name, *schema.derived(name)]
    if top:
        return [name, *(d.odata_type.removeprefix("#") for d in t.derived)]
    return [name]


def _check_path(
    schema: csdl.Schema, t: ObjectType, field: str, path: str, used: set[Documented]
) -> list[str]:
    """Why `path` (a dotted catalog path of `field`) names no v1.0 property of `t`, or []."""
    if path == ODATA_TYPE:
        return [] if t.keep_odata_type or t.derived else [f"{field} {path}: {t.name} keeps no @odata.type"]
    steps, sort_key = parse_dotted(path)
    types = _polymorphic(schema, t, _entity(schema, t), top=True)
    props: list[csdl.Prop] = []
    for i, (name, each) in enumerate(steps):
        if name == "*":  # the keys of an open complex type are data (customSecurityAttributeValue)
            return []
        props = [p for ty in types if (p := schema.properties(ty).get(name))]
        where = f"{field} {path}: {'.'.join(s for s, _ in steps[: i + 1])}"
        if not props:
            doc = _documented("property", t, name)
            if doc is None:
                return [f"{where} is no v1.0 property of {' | '.join(types)}"]
            used.add(doc)
            return []
        contained = i == 0 and (rel := t.relationship(name)) is not None and rel.kind == "contained"
        for p in props:
            if p.navigation and name in t.expand and i == 0:  # expanded inline, kept as a property
                continue
            if p.navigation and not contained:  # (contained items are kept in the owner's file)
                doc = _documented("navigation", t, name)
                if doc is None:
                    return [f"{where} is a navigation property of {p.owner}, not a property"]
                used.add(doc)
            if each and not p.collection:
                return [f"{where}[] steps into {p.owner}.{name}, which is no collection"]
            if not each and p.collection and i < len(steps) - 1:
                return [f"{where} is a collection: step into it with []"]
        types = sorted({ty for p in props for ty in _polymorphic(schema, t, p.type, top=False)})
        if contained:  # its items keep their @odata.type: any derived type's properties
            types = sorted({ty for p in props for ty in (p.type, *schema.derived(p.type))})
    if field == "unordered" and not all(p.collection for p in props):
        return [f"{field} {path} is a single value in v1.0 ({props[0].type}): there is no list to sort"]
    if field == "unordered_words" and any(p.type != "Edm.String" or p.collection for p in props):
        return [f"{field} {path} is no single string"]
    if sort_key and not any(sort_key in schema.properties(ty) for ty in types):
        return [f"{field} {path}: the sort key {sort_key} is no property of {' | '.join(types)}"]
    return []


def _dotted(t: ObjectType) -> Iterator[tuple[str, str]]:
    """(catalog field, dotted path) for every path the type's entry names."""
    fields = (
        "select",
        "read_only",
        "create_only",
        "unordered",
        "unordered_words",
        "volatile",
        "null_is_default",
        "identity",
        "unique",
    )
    for field in fields:
        for path in getattr(t, field):
            yield field, path
    yield "display", t.display
    for ref in t.references:
        yield "references", ref.path
    for prop, _ in t.exclude_when:
        yield "exclude_when", prop
    for rule in t.left_alone:
        yield "left_alone", rule.path
    if t.schedule:
        yield "schedule", t.schedule
    for prop, _ in t.write_actions:
        yield "write_actions", prop


def _path_findings(schema: csdl.Schema, t: ObjectType, used: set[Documented]) -> list[str]:
    return [f for field, path in _dotted(t) for f in _check_path(schema, t, field, path, used)]


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_dotted_paths_name_v1_properties(schema: csdl.Schema, t: ObjectType) -> None:
    """A property the v1.0 schema does not have is either a typo (a list left unsorted, a property never
    written) or a beta-only property Graph v1.0 will not return: a backup must not keep it."""
    assert _path_findings(schema, t, set()) == []


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_excluded_values_are_values_of_the_property(schema: csdl.Schema, t: ObjectType) -> None:
    """`exclude_when` and `left_alone` compare with a value Graph can return: an enum member, or a boolean
    for Edm.Boolean."""
    for prop, value in [*t.exclude_when, *((rule.path, rule.value) for rule in t.left_alone)]:
        ptype = _entity(schema, t)
        for name, _ in parse_dotted(prop)[0]:  # (the paths are dotted, never into lists)
            ptype = schema.properties(ptype)[name].type
        if ptype in schema.enums:
            assert value in schema.enums[ptype].members, f"{t.name}: {value!r} is no {ptype} member"
        elif ptype == "Edm.Boolean":
            assert isinstance(value, bool), f"{t.name}: {prop} is a boolean"


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_relationships_are_navigation_properties(schema: csdl.Schema, t: ObjectType) -> None:
    """Each relationship is a navigation property of the type, read and written on paths the schema has."""
    entity = _entity(schema, t)
    for rel in t.relationships:
        if rel.inverse:
            _check_inverse(schema, t, entity, rel)
            continue
        prop = schema.properties(entity).get(rel.name)
        assert prop is not None and prop.navigation, f"{t.name}: {rel.name} is no navigation property"
        target = schema.resolve(rel.read)[-1]
        assert target[0] == f"{prop.owner}/{rel.name}", f"{t.name}: {rel.read} leads to {target[0]}"
        if rel.on_target:  # written on the holder, through its navigation to the policy's collection
            for owner in rel.targets:
                for path in rel.target_paths("{id}", "{ref}", owner):
                    nav = schema.resolve(path)[-1][0]
                    assert nav.rsplit("/", 1)[1] == t.path.rsplit("/", 1)[1], (
                        f"{t.name}: {path} leads to {nav}"
                    )
            continue
        for path in (rel.add, rel.remove):
            target = schema.resolve(path)[-1]
            assert target[0] == f"{prop.owner}/{rel.name}", f"{t.name}: {path} leads to {target[0]}"
        # (a contained item keeps its @odata.type, and the properties of its derived type)
        kinds = (prop.type, *schema.derived(prop.type)) if rel.kind == "contained" else (prop.type,)
        fields = {f for kind in kinds for f in schema.properties(kind)} | {ODATA_TYPE}
        assert all(f in fields for f in rel.item_fields), f"{t.name}: {rel.item_fields} on {prop.type}"
        assert all(f in rel.item_fields for f in rel.key), f"{t.name}: {rel.name}'s key is not kept"


def _check_inverse(schema: csdl.Schema, t: ObjectType, entity: str, rel: Relationship) -> None:
    """A relationship read from the linked side (`Relationship.inverse`): its read is a navigation property of
    the linked type whose items are of this type, and its add and remove are actions bound to this type that
    take the linked id as `param` (the CSDL's addGroup and removeGroup of a groupLifecyclePolicy)."""
    read = schema.resolve(rel.read)
    assert read[-1][1] == entity and read[-1][2], f"{t.name}: {rel.read} lists {read[-1][1]}"
    assert schema.resolve(rel.inverse.split("?")[0])[-1][1] == read[0][1], f"{t.name}: {rel.inverse}"
    text = require(CSDL_FILE).read_text()
    for path in (rel.add, rel.remove):
        action = re.escape(path.rsplit("/", 1)[-1])
        bound = re.search(
            rf'<Action Name="{action}" IsBound="true">\s*<Parameter Name="bindingParameter" '
            rf'Type="graph\.{entity.rsplit(".", 1)[-1]}"[^>]*/>\s*<Parameter Name="{rel.param}"',
            text,
        )
        assert bound, f"{t.name}: {path} is no action bound to {entity} taking {rel.param}"


# -- query options -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_select_is_sent_only_where_the_schema_allows_it(schema: csdl.Schema, t: ObjectType) -> None:
    """A `$select` where the schema says SelectSupport Supported=false (or Selectable=false) may fail."""
    if select_param(t) is not None:
        ok, why = schema.select_supported(t.path)
        assert ok, f"{t.name}: send_select is on, but {why}"


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_filter_is_sent_only_where_the_schema_allows_it(schema: csdl.Schema, t: ObjectType) -> None:
    """`list_filter` and the `filterable` lookup of an interrupted create send `$filter` on the collection."""
    if t.list_filter:
        assert schema.filter_restriction(t.path) == "", t.name
    if t.filterable:
        assert schema.filter_restriction(t.path, t.unique[0]) == "", t.name


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_delta_only_where_the_schema_tracks_changes(schema: csdl.Schema, t: ObjectType) -> None:
    if t.delta:
        assert schema.change_tracking(t.path), f"{t.name}: no ChangeTracking Supported=true in the schema"


# -- restore writes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_restore_writes_no_computed_property(schema: csdl.Schema, t: ObjectType) -> None:
    """Core.Computed: Graph sets the value itself; a PATCH or POST that sends it is refused or ignored."""
    if not t.restorable:
        return
    types = _polymorphic(schema, t, _entity(schema, t), top=True)
    written = (*t.writable, *t.create_only)
    computed = sorted(
        {f"{p.owner}.{p.name}" for ty in types for n, p in schema.properties(ty).items() if n in written}
        & {
            f"{p.owner}.{p.name}"
            for ty in types
            for p in schema.properties(ty).values()
            if schema.is_computed(p)
        }
    )
    assert computed == [], f"{t.name}: restore writes Computed properties"


# -- permissions ---------------------------------------------------------------------------------------------


def _calls(t: ObjectType) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(reads, writes) entragit makes for `t`: backup and live reads (live.py), restore writes
    (restore/apply.py). `{id}` and `{ref}` stand for keys."""
    item = t.item_path("{id}")
    reads = [("GET", t.path)]
    writes: list[tuple[str, str]] = []
    if not t.singleton:
        reads.append(("GET", item))
    if t.delta:
        reads.append(("GET", f"{t.path}/delta"))
    if t.recycle_bin:
        reads += [("GET", t.recycle_bin.listing), ("GET", t.recycle_bin.item)]
        writes.append(("POST", t.recycle_bin.restore_path("{id}")))
    for rel in t.relationships:
        reads.append(("GET", rel.read))
        # a link written on its target: one pair of paths per collection the target can be of
        pairs = [rel.target_paths("{id}", "{ref}", o) for o in rel.targets] if rel.on_target else []
        for add, remove in pairs or [(rel.add, rel.remove)]:
            writes += [(rel.add_method, add), ("POST" if rel.param else "DELETE", remove)]
    if t.requests is not None:  # created, changed and ended through requests (catalog `Requests`)
        writes.append(("POST", t.requests.path))
    elif not t.singleton and not t.not_recreatable:
        writes += [("POST", t.path) if t.create_method == "POST" else ("PATCH", item)]
        writes += [("DELETE", item)] if t.deletable else []
    if t.requests is None and set(t.writable) - {prop for prop, _ in t.write_actions}:
        writes.append((t.update_method, item))
    writes += [("PATCH" if "{ref}" in path else "POST", path) for _, path in t.write_actions]
    # a new item of a `{ref}` write action is POSTed to the collection (restore/apply.py)
    writes += [
        ("POST", path.rsplit("/", 1)[0]) for _, path in t.write_actions if "{ref}" in path and not t.singleton
    ]
    return reads, (writes if t.restorable else [])


def _held(names: set[str]) -> set[str]:
    """What a set of permissions allows, read as `entragit permissions` reads it: X.ReadWrite.Y includes
    X.Read.Y (permissions.py leaves the Read form out of the list it prints)."""
    return names | {n.replace(".ReadWrite.", ".Read.", 1) for n in names}


def _permission_findings(granted: perms_file.Permissions, t: ObjectType, used: set[Documented]) -> list[str]:
    reads, writes = _calls(t)
    backup, restore = set(t.permissions_backup), set(t.permissions_restore)
    findings: list[str] = []
    useful: set[str] = set()  # the type's permissions some call of the type is granted by (or also requires)
    for method, path in dict.fromkeys([*reads, *writes]):
        call = f"{method} {path}"
        lookup = path
        doc = _documented("permission-path", t, call)
        if doc is not None:
            used.add(doc)
            if not doc.alias:
                continue
            lookup = doc.alias
        grants = granted.granting(method, lookup)
        if not grants:
            findings.append(f"{call}: the permissions file lists no Application permission for {lookup}")
            continue
        held = _held(backup if (method, path) in reads and (method, path) not in writes else backup | restore)
        mine = [g for name, g in grants.items() if name in held]
        if not mine:
            findings.append(
                f"{call}: none of {sorted(held)} is listed; least privileged: {granted.least(method, lookup)}"
            )
        for g in mine:
            useful |= {p for p in backup | restore if g.permission in _held({p})}
            useful |= {p for p in backup | restore if set(g.also_requires) & _held({p})}
    for p in sorted((backup | restore) - useful):
        doc = _documented("permission", t, p)
        if doc is None:
            findings.append(f"{p}: the permissions file lists it for none of the calls {t.name} makes")
        else:
            used.add(doc)
    return findings


@pytest.mark.parametrize("t", CATALOG, ids=lambda t: t.name)
def test_permissions_are_ones_microsoft_lists_for_the_calls(
    granted: perms_file.Permissions, granted_to_users: perms_file.Permissions, t: ObjectType
) -> None:
    """`entragit permissions` (and `--restore`) prints per type the permissions its entry names; each call
    the type makes is granted by one of them, and each of them grants one of the calls (for a type Graph
    admits for signed-in users only, by the delegated rows)."""
    granted = granted_to_users if t.delegated_only else granted
    discovery = EXTENSION_PERMISSIONS if t.extension_target else ()  # the names of its extensions
    assert permissions_by_type(restore=True)[t.name] == sorted(
        {*t.permissions_backup, *t.permissions_restore, *discovery}
    )
    assert _permission_findings(granted, t, set()) == []


def test_report_and_audit_permissions_are_ones_microsoft_lists(granted: perms_file.Permissions) -> None:
    calls = [(r.path, set(r.permissions)) for r in REPORTS] + [
        ("auditLogs/directoryAudits", set(AUDIT_PERMISSIONS))
    ]
    for path, names in calls:
        grants = granted.granting("GET", path)
        assert names & set(grants), f"GET {path}: {sorted(names)} not in {sorted(grants)}"
    grants = granted.granting("POST", EXTENSION_DISCOVERY)
    assert set(EXTENSION_PERMISSIONS) & set(grants), f"POST {EXTENSION_DISCOVERY}: {sorted(grants)}"


def test_every_documented_exception_is_still_needed(
    schema: csdl.Schema, granted: perms_file.Permissions
) -> None:
    """An exception the data no longer calls for is removed, so that the list stays the list of real ones."""
    used: set[Documented] = set()
    for t in CATALOG:
        _path_findings(schema, t, used)
        _permission_findings(granted, t, used)
    assert [d for d in DOCUMENTED if d not in used] == []
