"""`GET /v1.0/$metadata`: the CSDL document of what the sandbox emulates, generated from its schema.

Every response's `@odata.context` points at `$metadata`, and OData clients read it to learn types. Graph's own
document declares namespace `microsoft.graph` with alias `graph`, entity types deriving from `graph.entity` or
`graph.directoryObject`, and an entity container of entity sets and singletons; this one does the same for
the collections, singletons and navigations of schema.py only, in OData's CSDL XML format.

Property types are taken from the values the demo tenant holds: a string that parses as a timestamp is
Edm.DateTimeOffset, other strings (ids too, as Graph declares them) Edm.String, a JSON object the complex type
Graph names it where COMPLEX_TYPES knows the name, else Edm.Untyped; complex types are declared open (the
sandbox does not model their members).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import quoteattr

from entragit.sandbox import intune
from entragit.sandbox.schema import TYPES, TypeDef

NAMESPACE = "microsoft.graph"
ALIAS = "graph"

# Complex values whose Graph type name the sandbox knows (resources/<type>.md).
COMPLEX_TYPES: dict[str, str] = {
    "passwordProfile": "passwordProfile",
    "assignedLicenses": "assignedLicense",
    "assignedPlans": "assignedPlan",
    "identities": "objectIdentity",
    "onPremisesExtensionAttributes": "onPremisesExtensionAttributes",
    "employeeOrgData": "employeeOrgData",
    "signInActivity": "signInActivity",
    "passwordCredentials": "passwordCredential",
    "keyCredentials": "keyCredential",
    "appRoles": "appRole",
    "requiredResourceAccess": "requiredResourceAccess",
    "web": "webApplication",
    "spa": "spaApplication",
    "publicClient": "publicClientApplication",
    "api": "apiApplication",
    "info": "informationalUrl",
    "conditions": "conditionalAccessConditionSet",
    "grantControls": "conditionalAccessGrantControls",
    "sessionControls": "conditionalAccessSessionControls",
    "ipRanges": "ipRange",
    "verifiedDomains": "verifiedDomain",
    "defaultUserRolePermissions": "defaultUserRolePermissions",
    "rolePermissions": "unifiedRolePermission",
    "prepaidUnits": "licenseUnitsDetail",
    "servicePlans": "servicePlanInfo",
    "initiatedBy": "auditActivityInitiator",
    "targetResources": "targetResource",
    "additionalDetails": "keyValue",
    "controlScores": "controlScore",
    "averageComparativeScores": "averageComparativeScore",
}
# ...of which these are collections (what the type says when the demo tenant holds no value to look at).
_COMPLEX_COLLECTIONS = frozenset(
    {
        "assignedLicenses", "assignedPlans", "identities", "passwordCredentials", "keyCredentials",
        "appRoles", "requiredResourceAccess", "ipRanges", "verifiedDomains", "rolePermissions",
        "servicePlans", "targetResources", "additionalDetails", "controlScores", "averageComparativeScores",
    }
)  # fmt: skip
# Enumerations of the emulated properties (resources/<type>.md): (entity, property) → (enum type, members).
ENUMS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("conditionalAccessPolicy", "state"): (
        "conditionalAccessPolicyState",
        ("enabled", "disabled", "enabledForReportingButNotEnforced"),
    ),
    ("countryNamedLocation", "countryLookupMethod"): (
        "countryLookupMethodType",
        ("clientIpAddress", "authenticatorAppGps"),
    ),
    ("authenticationStrengthPolicy", "policyType"): (
        "authenticationStrengthPolicyType",
        ("builtIn", "custom"),
    ),
}
# Containers between the service root and nested collections: path → entity type (resources/<type>.md).
CONTAINERS: dict[str, str] = {
    "directory": "directory",
    "identity": "identityContainer",
    "identity/conditionalAccess": "conditionalAccessRoot",
    "identity/conditionalAccess/authenticationStrength": "authenticationStrengthRoot",
    "roleManagement": "roleManagement",
    "roleManagement/directory": "rbacApplication",
    "policies": "policyRoot",
    "auditLogs": "auditLogRoot",
    "security": "security",
}
SINGLETON_TYPES = {
    "policies/authorizationPolicy": "authorizationPolicy",
    "policies/authenticationMethodsPolicy": "authenticationMethodsPolicy",
    "policies/identitySecurityDefaultsEnforcementPolicy": "identitySecurityDefaultsEnforcementPolicy",
    "policies/authenticationFlowsPolicy": "authenticationFlowsPolicy",
    "policies/adminConsentRequestPolicy": "adminConsentRequestPolicy",
    "policies/defaultAppManagementPolicy": "tenantAppManagementPolicy",
}
# resources/ipnamedlocation.md, resources/countrynamedlocation.md: what each derived type adds.
NAMED_LOCATION_SUBTYPES: dict[str, tuple[str, ...]] = {
    "ipNamedLocation": ("ipRanges", "isTrusted"),
    "countryNamedLocation": (
        "countriesAndRegions",
        "countryLookupMethod",
        "includeUnknownCountriesAndRegions",
    ),
}
# Navigations computed from links (graph_api's derived navigations and relationships).
_NAVIGATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "users": (
        ("manager", "graph.directoryObject"),
        ("directReports", "Collection(graph.directoryObject)"),
        ("memberOf", "Collection(graph.directoryObject)"),
        ("transitiveMemberOf", "Collection(graph.directoryObject)"),
        ("ownedObjects", "Collection(graph.directoryObject)"),
        ("appRoleAssignments", "Collection(graph.appRoleAssignment)"),
    ),
    "groups": (
        ("memberOf", "Collection(graph.directoryObject)"),
        ("transitiveMemberOf", "Collection(graph.directoryObject)"),
        ("transitiveMembers", "Collection(graph.directoryObject)"),
        ("appRoleAssignments", "Collection(graph.appRoleAssignment)"),
    ),
    "servicePrincipals": (
        ("memberOf", "Collection(graph.directoryObject)"),
        ("appRoleAssignments", "Collection(graph.appRoleAssignment)"),
        ("appRoleAssignedTo", "Collection(graph.appRoleAssignment)"),
    ),
}
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_SKIP = {"@odata.type", "@odata.context", "id"}


def _primitive(value: Any) -> str:
    if isinstance(value, bool):
        return "Edm.Boolean"
    if isinstance(value, int):
        return "Edm.Int32"
    if isinstance(value, float):
        return "Edm.Double"
    if isinstance(value, str) and _TIME.match(value):
        return "Edm.DateTimeOffset"
    return "Edm.String"


def _type_of(entity: str, name: str, values: Iterable[Any]) -> str:
    """The CSDL type of a property from its observed values (None values say nothing)."""
    enum = ENUMS.get((entity, name))
    if enum is not None:
        return f"{ALIAS}.{enum[0]}"
    seen = [v for v in values if v is not None]
    if not seen and name in COMPLEX_TYPES:
        inner = f"{ALIAS}.{COMPLEX_TYPES[name]}"
        return f"Collection({inner})" if name in _COMPLEX_COLLECTIONS else inner
    collection = any(isinstance(v, list) for v in seen)
    items = [i for v in seen for i in (v if isinstance(v, list) else [v]) if i is not None]
    if any(isinstance(i, dict) for i in items):
        inner = f"{ALIAS}.{COMPLEX_TYPES[name]}" if name in COMPLEX_TYPES else "Edm.Untyped"
    else:
        inner = _primitive(items[0]) if items else "Edm.String"
    return f"Collection({inner})" if collection else inner


def _properties(entity: str, objs: list[dict[str, Any]], declared: Iterable[str]) -> list[tuple[str, str]]:
    names = sorted({*declared, *(k for o in objs for k in o)} - _SKIP)
    names = [n for n in names if not n.startswith("@") and "@" not in n]
    return [(n, _type_of(entity, n, (o.get(n) for o in objs))) for n in names]


def _property_xml(props: list[tuple[str, str]]) -> list[str]:
    return [f"<Property Name={quoteattr(n)} Type={quoteattr(t)}/>" for n, t in props]


def _entity_types(sample: dict[str, Any]) -> list[str]:
    out = [
        '<EntityType Name="entity" Abstract="true"><Key><PropertyRef Name="id"/></Key>'
        '<Property Name="id" Type="Edm.String" Nullable="false"/></EntityType>',
        '<EntityType Name="directoryObject" BaseType="graph.entity">'
        '<Property Name="deletedDateTime" Type="Edm.DateTimeOffset"/></EntityType>',
    ]
    for key, td in TYPES.items():
        out.append(_entity_type(td, [o for o in sample.get(key) or [] if isinstance(o, dict)]))
    for path, name in SINGLETON_TYPES.items():
        obj = sample.get(path)
        objs = [obj] if isinstance(obj, dict) else []
        out.append(_typed(name, "graph.entity", _properties(name, objs, ()), []))
    for path, name in CONTAINERS.items():
        out.append(_typed(name, "graph.entity", [], _container_navigations(path)))
    return out


def _subtypes(td: TypeDef) -> dict[str, tuple[str, ...]]:
    """The derived types of a polymorphic collection and their own properties."""
    if td.key == intune.KEY:
        return {k.removeprefix("#microsoft.graph."): v for k, v in intune.PLATFORMS.items()}
    return NAMED_LOCATION_SUBTYPES if td.polymorphic else {}


def _entity_type(td: TypeDef, objs: list[dict[str, Any]]) -> str:
    base = "graph.directoryObject" if td.directory_object else "graph.entity"
    declared = set(td.known or ()) - {"deletedDateTime"}
    subtypes = _subtypes(td)
    derived = {p for props in subtypes.values() for p in props}
    # (a compliance policy's stored navigation properties are no properties of it)
    hidden = derived | (set(intune.NAVIGATION) if td.key == intune.KEY else set())
    own = [{k: v for k, v in o.items() if k not in hidden} for o in objs]
    navs = [(rel.name, "Collection(graph.directoryObject)") for rel in td.relationships]
    navs += list(_NAVIGATIONS.get(td.key, ()))
    xml = _typed(
        td.entity, base, _properties(td.entity, own, declared - derived), [(n, t, False) for n, t in navs]
    )
    if td.polymorphic:
        for sub, props in subtypes.items():
            mine = [
                {k: o.get(k) for k in props}
                for o in objs
                if o.get("@odata.type") == f"#microsoft.graph.{sub}"
            ]
            xml += _typed(sub, f"{ALIAS}.{td.entity}", _properties(sub, mine, props), [])
    return xml


def _typed(name: str, base: str, props: list[tuple[str, str]], navs: list[tuple[str, str, bool]]) -> str:
    nav_xml = [
        f"<NavigationProperty Name={quoteattr(n)} Type={quoteattr(t)}"
        + (' ContainsTarget="true"' if contained else "")
        + "/>"
        for n, t, contained in navs
    ]
    return (
        f"<EntityType Name={quoteattr(name)} BaseType={quoteattr(base)}>"
        + "".join(_property_xml(props) + nav_xml)
        + "</EntityType>"
    )


def _children(path: str) -> list[str]:
    """Collections, singletons and containers one segment below `path` ("" is the service root)."""
    depth = path.count("/") + 1 if path else 0
    out = []
    for child in [*TYPES, *SINGLETON_TYPES, *CONTAINERS]:
        parts = child.split("/")
        if len(parts) == depth + 1 and "/".join(parts[:depth]) == path:
            out.append(child)
    return out


def _container_navigations(path: str) -> list[tuple[str, str, bool]]:
    navs = []
    for child in _children(path):
        name = child.split("/")[-1]
        if child in TYPES:
            navs.append((name, f"Collection({ALIAS}.{TYPES[child].entity})", True))
        elif child in SINGLETON_TYPES:
            navs.append((name, f"{ALIAS}.{SINGLETON_TYPES[child]}", True))
        else:
            navs.append((name, f"{ALIAS}.{CONTAINERS[child]}", True))
    return navs


def _container() -> str:
    parts = ['<EntityContainer Name="GraphService">']
    for child in _children(""):
        if child == "appRoleAssignments":  # reached through users, groups and servicePrincipals only
            continue
        if child in TYPES:
            entity = TYPES[child].entity
            parts.append(
                f"<EntitySet Name={quoteattr(child)} EntityType={quoteattr(f'{NAMESPACE}.{entity}')}/>"
            )
        elif child in CONTAINERS:
            kind = CONTAINERS[child]
            parts.append(f"<Singleton Name={quoteattr(child)} Type={quoteattr(f'{NAMESPACE}.{kind}')}/>")
    parts.append('<EntitySet Name="directoryObjects" EntityType="microsoft.graph.directoryObject"/>')
    parts.append("</EntityContainer>")
    return "".join(parts)


def _complex_and_enum_types() -> list[str]:
    out = [
        f'<ComplexType Name={quoteattr(name)} OpenType="true"/>'
        for name in sorted(set(COMPLEX_TYPES.values()))
    ]
    for enum, members in sorted(set(ENUMS.values())):
        body = "".join(f'<Member Name={quoteattr(m)} Value="{i}"/>' for i, m in enumerate(members))
        out.append(f"<EnumType Name={quoteattr(enum)}>{body}</EnumType>")
    return out


@functools.lru_cache(maxsize=1)
def csdl() -> str:
    """The whole document (built once: it depends on the schema and the demo tenant only)."""
    from entragit.sandbox.seed import demo_seed

    sample = demo_seed()
    schema = (
        f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{NAMESPACE}" Alias="{ALIAS}">'
        + "".join(_complex_and_enum_types() + _entity_types(sample))
        + _container()
        + "</Schema>"
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
        f"<edmx:DataServices>{schema}</edmx:DataServices></edmx:Edmx>"
    )
