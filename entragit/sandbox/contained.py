"""Entities contained in a directory object or policy, each collection under its owner's path.

Three collections Graph v1.0 keeps inside their owner (`ContainsTarget="true"` in the CSDL):

- `applications/{id}/federatedIdentityCredentials` (resources/federatedidentitycredential.md,
  application-post-federatedidentitycredentials.md, federatedidentitycredential-update.md, -delete.md):
  name, issuer, subject and audiences required; "Maximum of 20 objects can be added to an application";
  name at most 120 characters, URL friendly, "immutable once created", an alternate key (an item is addressed
  by its id or its name); issuer and subject at most 600 characters, their combination unique on the app;
  audiences "can only accept a single value". `claimsMatchingExpression` (flexible credentials) is beta
  only: the v1.0 schema (msgraph-metadata, 2026-08) has no such property, so v1.0 refuses it.
- `servicePrincipals/{id}/delegatedPermissionClassifications` (resources/delegatedpermissionclassification.md,
  serviceprincipal-post-delegatedpermissionclassifications.md, -delete-): permissionId required on create,
  "listed in the oauth2PermissionScopes collection of the servicePrincipal", permissionName its `value`;
  classification low, medium or high (permissionClassificationType). The resource has no Update method.
- `identity/conditionalAccess/authenticationStrength/policies/{id}/combinationConfigurations`
  (authenticationstrengthpolicy-post-combinationconfigurations.md, authenticationcombinationconfiguration-
  update.md, -delete.md): polymorphic, `@odata.type` required on create; "only fido2combinationConfigurations
  may be created, and these may only be created for custom authentication strength policies", whose
  appliesToCombinations may only be `fido2`.

The items live beside the owners (`Tenant.contained`), not in them, so that no listing of the owners returns
them: a soft-deleted owner keeps them and gets them back when restored; a purge drops them. Where Graph's
pages give no wording for a refusal, the message here is ours; the status and code are Graph's generic
400 `Request_BadRequest`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from entragit.sandbox.protocol import Ctx, Response, bad, not_allowed, not_found, segment_not_found
from entragit.sandbox.schema import TYPES, new_b64_id, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

FIC_LIMIT = 20
_URL_FRIENDLY = re.compile(r"[A-Za-z0-9\-_.~]+")
_FIDO2 = "#microsoft.graph.fido2CombinationConfiguration"
_X509 = "#microsoft.graph.x509CertificateCombinationConfiguration"


@dataclass(frozen=True)
class Contained:
    """One contained collection: its owner, navigation name, entity and what a write may hold."""

    owner: str  # the owner's collection key
    name: str  # navigation property
    entity: str
    props: tuple[str, ...]  # as returned, after id
    required: tuple[str, ...]
    updatable: bool = True
    polymorphic: bool = False
    b64_ids: bool = False

    @property
    def key(self) -> str:
        return f"{self.owner}#{self.name}"


FEDERATED = Contained(
    "applications",
    "federatedIdentityCredentials",
    "federatedIdentityCredential",
    ("name", "issuer", "subject", "description", "audiences"),
    ("name", "issuer", "subject", "audiences"),
)
CLASSIFICATIONS = Contained(
    "servicePrincipals",
    "delegatedPermissionClassifications",
    "delegatedPermissionClassification",
    ("permissionId", "permissionName", "classification"),
    ("permissionId",),
    updatable=False,
    b64_ids=True,
)
COMBINATIONS = Contained(
    "identity/conditionalAccess/authenticationStrength/policies",
    "combinationConfigurations",
    "authenticationCombinationConfiguration",
    ("appliesToCombinations", "allowedAAGUIDs", "allowedIssuerSkis", "allowedPolicyOIDs"),
    ("@odata.type", "appliesToCombinations"),
    polymorphic=True,
)
CONTAINED: tuple[Contained, ...] = (FEDERATED, CLASSIFICATIONS, COMBINATIONS)
_DERIVED_PROPS = {_FIDO2: ("allowedAAGUIDs",), _X509: ("allowedIssuerSkis", "allowedPolicyOIDs")}


def find(owner: str, nav: str) -> Contained | None:
    return next((c for c in CONTAINED if c.owner == owner and c.name.lower() == nav.lower()), None)


def project(c: Contained, item: dict[str, Any]) -> dict[str, Any]:
    """An item as Graph returns it (derived types: their own properties only)."""
    out: dict[str, Any] = {}
    props = c.props
    if c.polymorphic:
        kind = str(item.get("@odata.type"))
        out["@odata.type"] = kind
        props = ("appliesToCombinations", *_DERIVED_PROPS.get(kind, ()))
    out["id"] = item["id"]
    for prop in props:
        value = item.get(prop)
        out[prop] = [] if value is None and prop in _LISTS else value
    return out


_LISTS = frozenset(
    {"audiences", "appliesToCombinations", "allowedAAGUIDs", "allowedIssuerSkis", "allowedPolicyOIDs"}
)


def handle(api: GraphApi, ctx: Ctx, method: str, c: Contained, owner_id: str, rest: list[str]) -> Response:
    """GET/POST on the collection, GET/PATCH/DELETE on one item (a credential also by its name)."""
    items = api.tenant.contained_items(c.key, owner_id)
    fragment = f"{c.owner}('{owner_id}')/{c.name}"
    if not rest:
        if method == "GET":
            value = [project(c, i) for i in items]
            return Response(200, {"@odata.context": ctx.context(fragment), "value": value})
        if method != "POST":
            not_allowed()
        item = _create(api, c, owner_id, _body(ctx), items)
        api.tenant.set_contained(c.key, owner_id, [*items, item])
        _audit(api, ctx, c, owner_id)
        out = {"@odata.context": ctx.context(f"{fragment}/$entity"), **project(c, item)}
        return Response(201, out)
    if len(rest) != 1:
        segment_not_found(rest[-1])
    ref = rest[0]
    found = next((i for i in items if i["id"] == ref or (c is FEDERATED and i.get("name") == ref)), None)
    if found is None:
        not_found(ref)
    if method == "GET":
        return Response(200, {"@odata.context": ctx.context(f"{fragment}/$entity"), **project(c, found)})
    if method == "DELETE":
        api.tenant.set_contained(c.key, owner_id, [i for i in items if i is not found])
        _audit(api, ctx, c, owner_id)
        return Response(204)
    if method != "PATCH" or not c.updatable:
        not_allowed()
    body = _body(ctx)
    updated = _update(api, c, owner_id, found, body, [i for i in items if i is not found])
    api.tenant.set_contained(c.key, owner_id, [updated if i is found else i for i in items])
    _audit(api, ctx, c, owner_id)
    return Response(204)


def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.req.body
    if not isinstance(body, dict):
        bad("Empty Payload. JSON content expected.", "BadRequest")
    return body


def _invalid(c: Contained, prop: str) -> NoReturn:
    bad(f"Invalid value specified for property '{prop}' of resource '{c.entity}'.", "Request_BadRequest")


def _check_known(c: Contained, body: dict[str, Any], kind: str | None) -> None:
    allowed = {"id", *c.props} if not c.polymorphic else {"id", "appliesToCombinations"}
    if c.polymorphic:
        allowed |= set(_DERIVED_PROPS.get(kind or "", ()))
    for prop in body:
        if prop.startswith("@odata."):
            continue
        if prop not in allowed:
            bad(
                f"Property '{prop}' does not exist as a declared property or extension property.",
                "Request_BadRequest",
            )


def _create(
    api: GraphApi, c: Contained, owner_id: str, body: dict[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    kind = body.get("@odata.type") if c.polymorphic else None
    _check_known(c, body, kind)
    if "id" in body:
        _invalid(c, "id")
    for prop in c.required:
        if body.get(prop) in (None, "", []):
            _invalid(c, prop)
    item: dict[str, Any] = {"id": new_b64_id()[:23] if c.b64_ids else new_guid()}
    if c.polymorphic:
        item["@odata.type"] = kind
    item.update({p: body.get(p) for p in c.props if p in body})
    _VALIDATE[c.name](api, c, owner_id, item, items)
    return item


def _update(
    api: GraphApi,
    c: Contained,
    owner_id: str,
    old: dict[str, Any],
    body: dict[str, Any],
    others: list[dict[str, Any]],
) -> dict[str, Any]:
    kind = body.get("@odata.type", old.get("@odata.type")) if c.polymorphic else None
    if c.polymorphic and kind != old.get("@odata.type"):
        bad(f"The @odata.type of a {c.entity} cannot be changed.", "Request_BadRequest")
    _check_known(c, body, kind)
    if "id" in body and body["id"] != old["id"]:
        _invalid(c, "id")
    if c is FEDERATED and "name" in body and body["name"] != old.get("name"):
        # federatedidentitycredential.md: name "is immutable after it's created"
        bad("Property 'name' is read-only and cannot be updated.", "Request_BadRequest")
    new = {**old, **{k: v for k, v in body.items() if not k.startswith("@odata.") and k != "id"}}
    _VALIDATE[c.name](api, c, owner_id, new, others)
    return new


def _federated(
    api: GraphApi, c: Contained, _owner: str, item: dict[str, Any], others: list[dict[str, Any]]
) -> None:
    name = item.get("name")
    if not isinstance(name, str) or len(name) > 120 or not _URL_FRIENDLY.fullmatch(name):
        _invalid(c, "name")
    for prop in ("issuer", "subject", "description"):
        value = item.get(prop)
        if value is not None and (not isinstance(value, str) or len(value) > 600):
            _invalid(c, prop)
    audiences = item.get("audiences")
    if not isinstance(audiences, list) or len(audiences) != 1 or not isinstance(audiences[0], str):
        _invalid(c, "audiences")
    if len(audiences[0]) > 600:
        _invalid(c, "audiences")
    if any(o.get("name") == name for o in others):
        bad(
            f"A federated identity credential named '{name}' already exists on the application.",
            "Request_BadRequest",
        )
    if any((o.get("issuer"), o.get("subject")) == (item["issuer"], item["subject"]) for o in others):
        bad(
            "A federated identity credential with the same issuer and subject already exists on the "
            "application.",
            "Request_BadRequest",
        )
    if len(others) >= FIC_LIMIT:
        bad(
            f"An application can have at most {FIC_LIMIT} federated identity credentials.",
            "Request_BadRequest",
        )


def _classification(
    api: GraphApi, c: Contained, owner_id: str, item: dict[str, Any], others: list[dict[str, Any]]
) -> None:
    sp = api.tenant.coll("servicePrincipals").objs[owner_id]
    scopes = {str(s.get("id")): s for s in sp.get("oauth2PermissionScopes") or [] if isinstance(s, dict)}
    scope = scopes.get(str(item.get("permissionId")))
    if scope is None:
        _invalid(c, "permissionId")
    name = item.get("permissionName")
    if name is None:
        item["permissionName"] = scope.get("value")
    elif name != scope.get("value"):
        _invalid(c, "permissionName")
    if item.get("classification") not in ("low", "medium", "high"):
        _invalid(c, "classification")
    if any(o.get("permissionId") == item["permissionId"] for o in others):
        bad("The permission is already classified.", "Request_BadRequest")


def _combination(
    api: GraphApi, c: Contained, owner_id: str, item: dict[str, Any], others: list[dict[str, Any]]
) -> None:
    policy = api.tenant.coll(c.owner).objs[owner_id]
    if policy.get("policyType") == "builtIn":
        bad("Built-in authentication strength policies cannot be changed.", "Request_BadRequest")
    kind = item.get("@odata.type")
    if kind != _FIDO2:  # "only fido2combinationConfigurations may be created"
        _invalid(c, "@odata.type")
    applies = item.get("appliesToCombinations")
    if applies != ["fido2"]:
        _invalid(c, "appliesToCombinations")
    aaguids = item.get("allowedAAGUIDs")
    if aaguids is not None and (
        not isinstance(aaguids, list) or not all(isinstance(a, str) for a in aaguids)
    ):
        _invalid(c, "allowedAAGUIDs")


_VALIDATE: dict[str, Callable[..., None]] = {
    FEDERATED.name: _federated,
    CLASSIFICATIONS.name: _classification,
    COMBINATIONS.name: _combination,
}


def _audit(api: GraphApi, ctx: Ctx, c: Contained, owner_id: str) -> None:
    """The owner is what the audit log names (an admin sees "Update application")."""
    td = TYPES[c.owner]
    owner = api.tenant.coll(c.owner).objs[owner_id]
    api.audit.record(
        ctx, f"Update {td.audit_noun}", td.audit_category, "Update", [api.audit.target(c.owner, owner)]
    )
