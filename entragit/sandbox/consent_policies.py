"""Permission grant policies (resources/permissiongrantpolicy.md): the policies that say which consents users
and admins may grant, and their condition sets.

A policy is created with the id its caller chooses (permissiongrantpolicy-post-permissiongrantpolicies.md:
`{"id": "my-custom-consent-policy", ...}`); the built-in ones, `microsoft-*`, come with every tenant and are
not writable (resources/permissiongrantpolicy.md: "custom" policies are the ones an admin manages). The list
returns each policy with its `includes` and `excludes` condition sets inline (permissiongrantpolicy-list.md),
but a condition set is written on its own: POST `.../{id}/includes` (201 with the set, a new id) and DELETE
`.../{id}/includes/{setId}` (204), the same for `excludes` (permissiongrantpolicy-post-includes.md,
-delete-includes.md, -post-excludes.md, -delete-excludes.md). Each condition set property has its default
(resources/permissiongrantconditionset.md), `permissionType` is required, and `delegatedUserConsentable`
"can't be used in custom permission grant policies".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from entragit.sandbox import documented
from entragit.sandbox.baseline import CONDITION_DEFAULTS
from entragit.sandbox.protocol import Ctx, Response, bad, conflict, not_allowed, not_found, read_only
from entragit.sandbox.schema import TYPES, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

KEY = "policies/permissionGrantPolicies"
BUILT_IN_PREFIX = "microsoft-"
SETS = ("includes", "excludes")
CONDITION_KNOWN = frozenset({"id", "permissionType", *CONDITION_DEFAULTS})
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def built_in(policy_id: str) -> bool:
    return policy_id.lower().startswith(BUILT_IN_PREFIX)


def _refuse_built_in(policy_id: str) -> None:
    if built_in(policy_id):
        bad(f"Permission grant policy '{policy_id}' is a built-in policy and cannot be modified.")


def create(api: GraphApi, body: dict[str, Any]) -> tuple[dict[str, Any], dict]:
    """POST /policies/permissionGrantPolicies: the caller's id, displayName, description; condition sets are
    added afterwards through their own collections."""
    td = TYPES[KEY]
    api.rules.check_known(td, body)
    for prop in body:
        if prop in SETS:
            bad(f"Property '{prop}' cannot be set when creating a permission grant policy.")
    oid = body.get("id")
    if not isinstance(oid, str) or not _ID.fullmatch(oid):
        bad("The property 'id' is required and must be a policy name (letters, digits, '.', '-', '_').")
    if built_in(oid):
        bad(f"The id prefix '{BUILT_IN_PREFIX}' is reserved for built-in permission grant policies.")
    if oid.lower() in {k.lower() for k in api.tenant.coll(KEY).objs}:
        conflict("id")
    documented.check(td, body, creating=True)
    return {
        "id": oid,
        "deletedDateTime": None,
        "displayName": body.get("displayName"),
        "description": body.get("description"),
        "includes": [],
        "excludes": [],
    }, {}


def check_update(old: dict[str, Any], changes: dict[str, Any]) -> None:
    """PATCH of a policy: not a built-in one, and not its condition sets (written on their own)."""
    _refuse_built_in(str(old.get("id")))
    for prop in changes:
        if prop in SETS:
            read_only(prop)


def check_delete(obj: dict[str, Any]) -> None:
    _refuse_built_in(str(obj.get("id")))


def condition_sets(api: GraphApi, ctx: Ctx, method: str, oid: str, rest: list[str]) -> Response:
    """GET, POST `.../{id}/includes|excludes`; GET, DELETE `.../{id}/includes|excludes/{setId}`."""
    which = rest[0].lower()
    policy = api.tenant.coll(KEY).objs[oid]
    items: list[dict[str, Any]] = list(policy.get(which) or [])
    fragment = f"policies/permissionGrantPolicies('{oid}')/{which}"
    if len(rest) == 1:
        if method == "GET":
            return Response(200, {"@odata.context": ctx.context(fragment), "value": items})
        if method != "POST":
            not_allowed()
        _refuse_built_in(oid)
        added = _condition_set(api, ctx)
        _store(api, policy, which, [*items, added])
        api.audit.record(ctx, "Update permission grant policy", "Policy", "Update", [_target(policy)])
        out: dict[str, Any] = {"@odata.context": ctx.context(f"{fragment}/$entity")}
        out.update(added)
        return Response(201, out)
    if len(rest) > 2:
        not_found(rest[-1])
    item: dict[str, Any] | None = next(
        (i for i in items if str(i.get("id")).lower() == rest[1].lower()), None
    )
    if item is None:
        not_found(rest[1])
    if method == "GET":
        return Response(200, {"@odata.context": ctx.context(f"{fragment}/$entity"), **item})
    if method != "DELETE":
        not_allowed()
    _refuse_built_in(oid)
    _store(api, policy, which, [i for i in items if i is not item])
    api.audit.record(ctx, "Update permission grant policy", "Policy", "Update", [_target(policy)])
    return Response(204)


def _condition_set(api: GraphApi, ctx: Ctx) -> dict[str, Any]:
    body = {k: v for k, v in api._body(ctx).items() if not k.startswith("@odata.")}
    for prop in body:
        if prop == "id":
            read_only(prop)
        if prop not in CONDITION_KNOWN:
            bad(f"Property '{prop}' does not exist as a declared property or extension property.")
    if body.get("permissionType") is None:
        bad("The property 'permissionType' is required.")
    if body["permissionType"] == "delegatedUserConsentable":
        bad("The permission type 'delegatedUserConsentable' cannot be used in custom policies.")
    item = {**CONDITION_DEFAULTS, **{k: v for k, v in body.items() if v is not None}, "id": new_guid()}
    documented.check(TYPES[KEY], {"includes": [item]}, only=frozenset({"includes"}))
    return item


def _store(api: GraphApi, policy: dict[str, Any], which: str, items: list[dict[str, Any]]) -> None:
    api.tenant.replace(KEY, {**policy, which: items}, [which])


def _target(policy: dict[str, Any]) -> dict[str, Any]:
    return {"id": policy.get("id"), "displayName": policy.get("displayName"), "type": "Policy"}
