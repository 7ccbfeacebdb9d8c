"""The catalog: every Entra object type entragit backs up, as data.

Each type is one `ObjectType` entry; backup, restore, history, the permissions command and the tests all read
their behaviour from these entries instead of from per-type classes. Adding a type means adding an entry to
the module of its area and to `CATALOG` below (plus sandbox support and tests). What is special about a type
is said as data too: objects it leaves out (`exclude_when`), properties written through an action
(`write_actions`), creation by PATCH (`create_method`), ids of other objects it holds (`references`).

- `model`: the dataclasses an entry is made of (`ObjectType`, `Relationship`, `Reference`, ...), the helpers
  that build entries, the conventions of their string fields, and the functions that read one entry;
- `directory`: users, groups, administrative units;
- `applications`: applications, service principals, delegated permission grants;
- `extensions`: directory extensions (definitions a relationship of their application, values properties of
  the objects they target) and the action that discovers them;
- `conditional_access`: policies, named locations, authentication contexts and strengths;
- `roles`: custom role definitions, role assignments, PIM schedules and role settings (of directory roles
  and of groups);
- `security_attributes`: custom security attribute sets and definitions, and the opt-in to their values;
- `tenant`: the tenant's singletons (authentication methods and authorization policies, organization);
- `tenant_policies`: the tenant-wide policy singletons (security defaults, authentication flows, admin
  consent requests), activity-based timeout, custom permission grant and feature rollout policies;
- `group_policies`: the tenant's group and password settings (from setting templates) and the Microsoft 365
  group expiration policy;
- `token_policies`: claims mapping, token issuance, token lifetime, home realm discovery and app management
  policies, with the applications and service principals they apply to, and the default app management
  policy;
- `intune`: device compliance policies (with their assignments and scheduled actions);
- `cross_tenant`: cross-tenant access (the policy, its default, the partner configurations);
- `domains`: the tenant's domains with their federation configuration;
- `terms_of_use`: terms of use agreements (delegated only; their PDFs kept beside their files);
- `reports`: the tenant reports and the audit log's permission.

This module assembles `CATALOG` and looks types up in it; every public name of the package is importable
from here.
"""

from __future__ import annotations

from entragit.catalog import (
    applications,
    conditional_access,
    cross_tenant,
    directory,
    domains,
    group_policies,
    intune,
    roles,
    security_attributes,
    tenant,
    tenant_policies,
    terms_of_use,
    token_policies,
)
from entragit.catalog.extensions import EXTENSION_DISCOVERY, EXTENSION_PERMISSIONS, EXTENSION_PREFIX
from entragit.catalog.model import (
    RANK_APP_ROLE_ASSIGNMENTS,
    RANK_EXTENSION_DEFINITIONS,
    RANK_EXTENSION_VALUES,
    RANK_LINKS,
    DerivedType,
    Grant,
    LeftAlone,
    ObjectType,
    OptIn,
    RecycleBin,
    Reference,
    Relationship,
    Requests,
    Scopes,
    Steps,
    attachment_path,
    delta_select_param,
    dotted_values,
    is_backed_up,
    not_in_delta,
    object_path,
    opted_out,
    parse_dotted,
    select_param,
    walk,
)
from entragit.catalog.reports import AUDIT_PERMISSIONS, REPORTS, SECURE_SCORE_DAYS, Report, report
from entragit.errors import UsageError

__all__ = [
    "AUDIT_PERMISSIONS",
    "CATALOG",
    "EXTENSION_DISCOVERY",
    "EXTENSION_PERMISSIONS",
    "EXTENSION_PREFIX",
    "RANK_APP_ROLE_ASSIGNMENTS",
    "RANK_EXTENSION_DEFINITIONS",
    "RANK_EXTENSION_VALUES",
    "RANK_LINKS",
    "REPORTS",
    "SECURE_SCORE_DAYS",
    "DerivedType",
    "Grant",
    "LeftAlone",
    "ObjectType",
    "OptIn",
    "RecycleBin",
    "Reference",
    "Relationship",
    "Report",
    "Requests",
    "Scopes",
    "Steps",
    "attachment_path",
    "by_name",
    "delta_select_param",
    "dotted_values",
    "is_backed_up",
    "not_in_delta",
    "object_path",
    "opted_out",
    "parse_dotted",
    "parse_path",
    "report",
    "restore_order",
    "select_param",
    "type_for_path",
    "walk",
]

# A restore goes by rank (`restore_order`), not in this order.
CATALOG: tuple[ObjectType, ...] = (
    directory.USERS,
    directory.GROUPS,
    applications.APPLICATIONS,
    applications.SERVICE_PRINCIPALS,
    conditional_access.POLICIES,
    conditional_access.NAMED_LOCATIONS,
    conditional_access.AUTHENTICATION_CONTEXTS,
    conditional_access.AUTHENTICATION_STRENGTHS,
    directory.ADMINISTRATIVE_UNITS,
    security_attributes.ATTRIBUTE_SETS,
    security_attributes.DEFINITIONS,
    roles.ROLE_DEFINITIONS,
    roles.ROLE_ASSIGNMENTS,
    roles.ROLE_ELIGIBILITY_SCHEDULES,
    roles.ROLE_ASSIGNMENT_SCHEDULES,
    roles.ROLE_MANAGEMENT_POLICIES,
    roles.ROLE_MANAGEMENT_POLICY_ASSIGNMENTS,
    roles.GROUP_ELIGIBILITY_SCHEDULES,
    roles.GROUP_ASSIGNMENT_SCHEDULES,
    roles.GROUP_ROLE_MANAGEMENT_POLICIES,
    roles.GROUP_ROLE_MANAGEMENT_POLICY_ASSIGNMENTS,
    applications.OAUTH2_PERMISSION_GRANTS,
    tenant.AUTHENTICATION_METHODS_POLICY,
    tenant.AUTHORIZATION_POLICY,
    tenant_policies.SECURITY_DEFAULTS,
    tenant_policies.AUTHENTICATION_FLOWS,
    tenant_policies.ADMIN_CONSENT_REQUEST,
    tenant_policies.ACTIVITY_BASED_TIMEOUT,
    tenant_policies.PERMISSION_GRANT_POLICIES,
    tenant_policies.FEATURE_ROLLOUT_POLICIES,
    group_policies.GROUP_SETTINGS,
    group_policies.GROUP_LIFECYCLE_POLICIES,
    token_policies.CLAIMS_MAPPING,
    token_policies.TOKEN_ISSUANCE,
    token_policies.TOKEN_LIFETIME,
    token_policies.HOME_REALM_DISCOVERY,
    token_policies.APP_MANAGEMENT,
    token_policies.DEFAULT_APP_MANAGEMENT,
    tenant.ORGANIZATION,
    intune.COMPLIANCE_POLICIES,
    terms_of_use.AGREEMENTS,
    cross_tenant.CROSS_TENANT_ACCESS_POLICY,
    cross_tenant.CROSS_TENANT_DEFAULT,
    cross_tenant.CROSS_TENANT_PARTNERS,
    domains.DOMAINS,
)

_BY_NAME = {t.name: t for t in CATALOG}
_BY_NAME_LOWER = {t.name.lower(): t for t in CATALOG}


def by_name(name: str) -> ObjectType:
    """The catalog entry called `name` (case-insensitive); a UsageError listing valid names otherwise."""
    t = _BY_NAME.get(name) or _BY_NAME_LOWER.get(name.lower())
    if t is None:
        valid = ", ".join(sorted(_BY_NAME))
        raise UsageError(f"unknown object type {name!r}; valid types: {valid}")
    return t


def restore_order() -> tuple[ObjectType, ...]:
    """Restorable types in the order a restore processes them."""
    return tuple(sorted((t for t in CATALOG if t.restorable), key=lambda t: t.rank))


def parse_path(relpath: str) -> tuple[ObjectType, str] | None:
    """(type, object id) of a repository path, or None when the path is not an object file.

    For a singleton the id returned is the last path segment (`authorizationPolicy`)."""
    relpath = relpath.replace("\\", "/")
    while relpath.startswith("./"):
        relpath = relpath[2:]
    if not relpath.endswith(".yaml"):
        return None
    for t in CATALOG:
        if t.singleton and relpath == f"{t.path}.yaml":
            return t, t.path.rsplit("/", 1)[-1]
    head, _, filename = relpath.rpartition("/")
    object_id = filename[: -len(".yaml")]
    if not object_id:
        return None
    for t in CATALOG:
        if t.singleton:
            continue
        if t.shard:
            if head == f"{t.folder}/{object_id[:2]}":
                return t, object_id
        elif head == t.folder:
            return t, object_id
    return None


def type_for_path(relpath: str) -> ObjectType | None:
    """The catalog type whose object file `relpath` is, or None (entragit.yaml, reports, stray files)."""
    parsed = parse_path(relpath)
    return parsed[0] if parsed else None
