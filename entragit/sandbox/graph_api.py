"""Graph v1.0 semantics of the emulated tenant, as a pure request → response function (no sockets).

server.py parses HTTP, authenticates, throttles and handles $batch; everything a Graph v1.0 endpoint does
with a request once it is admitted happens here. Fidelity over convenience: where Graph refuses a request,
so do we, with its status, error code and (where known) message — see docs/graph.md.

This module routes a request and implements reading (paging, $select, $filter, $count, $expand), links and
deletedItems; rules.py decides what writes Graph accepts, audit.py records them, delta.py answers delta
queries, protocol.py holds the Request/Response contract and Graph's error shape.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import unquote

from entragit.sandbox import (
    agreements,
    consent_policies,
    contained,
    cross_tenant,
    documented,
    extensions,
    feature_rollout,
    group_policies,
    intune,
    invitations,
    licenses,
    permissions,
    pim,
    pim_groups,
)
from entragit.sandbox import custom_attributes as csa
from entragit.sandbox import delta as delta_mod
from entragit.sandbox import domains as domains_mod
from entragit.sandbox import expand as expand_mod
from entragit.sandbox.audit import Auditor
from entragit.sandbox.expand import Expansion
from entragit.sandbox.merge import merge_patch
from entragit.sandbox.odata import (
    Filter,
    QueryError,
    build_link,
    conjuncts,
    decode_token,
    encode_token,
    equality_terms,
    parse_filter,
    prefix_term,
)
from entragit.sandbox.protocol import (
    DYNAMIC_REFUSAL,
    LAST_OWNER,
    MAIL_GROUP_WRITE,
    REF_EXISTS,
    SP_NAME_TAKEN,
    SYNC_REFUSAL,
    ZERO_GUID,
    ApiError,
    Ctx,
    Request,
    Response,
    bad,
    conflict,
    error_response,
    invalid_value,
    nested_refusal,
    not_allowed,
    not_found,
    read_only,
    segment_not_found,
)
from entragit.sandbox.rules import Rules, unsupported_bind
from entragit.sandbox.schema import (
    CASTS,
    ONE_POLICY_PER_OWNER,
    RECYCLE_BINS,
    SINGLETON_WRITES,
    SINGLETONS,
    TOKEN_POLICY_KEYS,
    TYPES,
    TypeDef,
    new_b64_id,
    new_guid,
    path_index,
    project,
    undeclared_member,
)
from entragit.sandbox.tenant import DIRECTORY_KEYS, Tenant

__all__ = ["ApiError", "GraphApi", "Request", "Response", "error_response", "make_request"]

_log = logging.getLogger(__name__)
_QUERY_OPTIONS = {
    "$select", "$filter", "$top", "$skiptoken", "$count", "$orderby", "$expand", "$search", "$skip",
    "$deltatoken", "$format",
}  # fmt: skip
_LINKED_PRINCIPALS = ("users", "groups", "servicePrincipals")
# Read-only navigations computed from links: name (lower case) → the collections that have it.
_DERIVED_NAVIGATION: dict[str, tuple[str, ...]] = {
    "directreports": ("users",),
    "memberof": _LINKED_PRINCIPALS,
    "ownedobjects": _LINKED_PRINCIPALS,
    "transitivememberof": _LINKED_PRINCIPALS,
    "transitivemembers": ("groups",),
    # claimsmappingpolicy-list-appliesto.md, tokenlifetimepolicy-list-appliesto.md, ...,
    # appmanagementpolicy-list-appliesto.md: the applications and service principals holding the policy.
    "appliesto": (*TOKEN_POLICY_KEYS, "policies/appManagementPolicies"),
}
_ADVANCED_KEYS = ("users", "groups", "applications", "servicePrincipals", "directory/administrativeUnits")


def _full_namespace(segment: str) -> str:
    """`graph.user` → `microsoft.graph.user`: Graph's CSDL declares namespace microsoft.graph with the alias
    graph, and OData accepts either in a type cast or bound operation (the SDKs' URL templates use the alias,
    e.g. `/groups/{id}/members/graph.user`). A UPN such as `graph.admin@contoso.com` is an id, not a name."""
    if segment[:6].lower() == "graph." and "@" not in segment:
        return "microsoft." + segment
    return segment


def _missing_eventual(what: str) -> None:
    """Graph's 400 for an advanced query (`what`: "$count", a filter operator...) sent without the
    `ConsistencyLevel: eventual` header."""
    bad(
        f"{what} is not supported because the 'ConsistencyLevel:eventual' header is missing. "
        "Refer to https://aka.ms/graph-docs/advanced-queries for more information",
        "Request_UnsupportedQuery",
    )


# Relationships a listing filters on by their `/$count` (`eq 0`, `ne 0`), and what holds their items.
# application.md: extensionProperties "Supports `$expand` and `$filter` (`/$count eq 0`, `/$count ne 0`)".
_COUNTED: dict[str, dict[str, Callable[[Tenant, dict[str, Any]], list[dict[str, Any]]]]] = {
    "applications": {"extensionProperties": extensions.definitions_of},
}


def _with_related(
    tenant: Tenant, nav: str, related: Callable[[Tenant, dict[str, Any]], Any], obj: dict[str, Any]
) -> dict[str, Any]:
    return {**obj, nav: related(tenant, obj)}


class GraphApi:
    """Every Graph v1.0 operation of the sandbox except $batch and authentication."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.rules = Rules(tenant)
        self.audit = Auditor(tenant)
        self._paths = path_index()
        self._last_purge = 0.0
        self._pim_seen: tuple[int, ...] = ()  # `_pim_housekeeping`: the collections' versions it last saw
        self._pim_next: dt.datetime | None = None  # and the next schedule end then
        self._cand_cache: dict[tuple[str, str], tuple[int, list[str]]] = {}  # `_candidates`

    # ------------------------------------------------------------------------------------- dispatch

    def handle(self, req: Request) -> Response:
        with self.tenant.lock:
            try:
                now = self.tenant.now_ts()
                if now - self._last_purge > 60:
                    self.tenant.purge_expired()
                    self._last_purge = now
                self._pim_housekeeping()
                if req.roles is not None:
                    permissions.authorize(
                        self.tenant, req.method, req.path, req.body, req.roles, req.app_id, req.delegated
                    )
                resp = self._dispatch(req)
                if req.method.upper() == "GET":
                    csa.hide_unless_permitted(resp.body, req.roles)
                return resp
            except ApiError as exc:
                if req.method.upper() in ("POST", "PATCH", "PUT", "DELETE"):
                    self.audit.failed(req, exc.message)
                resp = error_response(exc.status, exc.code, exc.message, exc.details)
                resp.headers.update(exc.headers)
                return resp
            except QueryError as exc:
                return error_response(exc.status, exc.code, exc.message)
            except (
                Exception
            ) as exc:  # a sandbox bug: answer like a failing service, keep the traceback in logs
                _log.exception("sandbox Graph API failed on %s %s", req.method, req.path)
                return error_response(
                    500, "InternalServerError", f"Sandbox internal error: {type(exc).__name__}"
                )

    def _dispatch(self, req: Request) -> Response:
        q: dict[str, str] = {}
        for name, value in req.query.items():
            option = name.lower()
            if option.startswith("$"):
                if option not in _QUERY_OPTIONS:
                    bad(f"Query option '{name}' is not allowed.", "BadRequest")
                q[option] = value
        ctx = Ctx(req, q, {k.lower(): str(v) for k, v in req.headers.items()})
        method = req.method.upper()
        segs = [_full_namespace(unquote(s)) for s in req.path.split("/") if s]
        if not segs:
            segment_not_found("")
        m = re.fullmatch(r"(applications|servicePrincipals)\(appId='([^']*)'\)", segs[0], re.IGNORECASE)
        if m:
            key = "applications" if m.group(1).lower() == "applications" else "servicePrincipals"
            found = self.tenant.coll(key).find("appId", m.group(2))
            if not found:
                not_found(m.group(2))
            segs = [key, next(iter(found)), *segs[1:]]
        low = [seg.lower() for seg in segs]
        if low[:2] == ["directory", "deleteditems"]:
            return self._deleted_items(ctx, method, segs[2:])
        for bin_path, key in RECYCLE_BINS.items():
            prefix = bin_path.lower().split("/")
            if low[: len(prefix)] == prefix:
                return self._recycle_bin(ctx, method, key, bin_path, segs[len(prefix) :])
        if low == ["directoryobjects", "getbyids"] or low == ["directoryobjects", "microsoft.graph.getbyids"]:
            if method != "POST":
                not_allowed()
            return self._get_by_ids(ctx)
        if low == ["directoryobjects", "getavailableextensionproperties"] or low == [
            "directoryobjects",
            "microsoft.graph.getavailableextensionproperties",
        ]:
            if method != "POST":
                not_allowed()
            return extensions.get_available(self, ctx)
        if low[0] == "directoryobjects" and len(segs) == 2 and method == "GET":
            found_obj = self.tenant.directory_object(segs[1])
            if found_obj is None:
                not_found(segs[1])
            key, obj = found_obj
            return self._entity(ctx, TYPES[key], obj, "directoryObjects", with_type=True)
        if low[0] == "domains":
            return domains_mod.handle(self, ctx, method, segs[1:])
        if low[:3] == ["identitygovernance", "termsofuse", "agreements"]:
            return agreements.handle(self, ctx, method, segs[3:])
        if low[:2] == ["devicemanagement", "devicecompliancepolicies"]:
            return intune.handle(self, ctx, method, segs[2:])
        if low[:2] == ["policies", "crosstenantaccesspolicy"]:
            return cross_tenant.handle(self, ctx, method, segs[2:])
        if low == ["invitations"]:
            if method != "POST":
                not_allowed()
            return invitations.create_invitation(self, ctx)
        if pim_groups.handles(low):
            answered = pim_groups.handle(self, ctx, method, segs)
            if answered is not None:
                return answered
        if pim.handles(low):
            answered = pim.handle(self, ctx, method, segs)
            if answered is not None:
                return answered
        for prefix, key in self._paths:
            if low[: len(prefix)] == prefix:
                rest = segs[len(prefix) :]
                if key in SINGLETONS:
                    return self._singleton(ctx, method, key, rest)
                return self._collection(ctx, method, key, rest)
        segment_not_found(segs[0])

    def _collection(self, ctx: Ctx, method: str, key: str, rest: list[str]) -> Response:
        td = TYPES[key]
        if not rest:
            if method == "GET":
                return self._list(ctx, td)
            if method == "POST":
                if not td.creatable:
                    not_allowed()
                return self._create(ctx, td)
            not_allowed()
        head = rest[0].lower()
        if len(rest) == 1 and head in (
            "delta",
            "delta()",
            "microsoft.graph.delta",
            "microsoft.graph.delta()",
        ):
            if not td.delta:
                segment_not_found(rest[0])
            if method != "GET":
                not_allowed()
            return delta_mod.handle(self, ctx, td)
        if len(rest) == 1 and head == "$count":
            return self._count_segment(ctx, td)
        oid = self._resolve_id(td, rest[0])
        if len(rest) == 1:
            if method == "GET":
                return self._get_item(ctx, td, oid)
            if method == "PATCH":
                return self._update(ctx, td, oid)
            if method == "DELETE":
                return self._delete(ctx, td, oid)
            not_allowed()
        return self._navigation(ctx, method, td, oid, rest[1:])

    def _resolve_id(self, td: TypeDef, raw: str) -> str:
        coll = self.tenant.coll(td.key)
        if raw in coll.objs:
            return raw
        if raw.lower() in coll.objs:
            return raw.lower()
        if td.key == "users" and "@" in raw:
            for oid in coll.find("userPrincipalName", raw):
                return oid
        if td.key == "identity/conditionalAccess/authenticationContextClassReferences":
            return raw  # PATCH creates it (upsert)
        if td.key in (csa.SETS, csa.DEFINITIONS):
            for oid in coll.objs:  # case insensitive ids (resources/attributeset.md, ...definition.md)
                if oid.lower() == raw.lower():
                    return oid
        not_found(raw)

    # ------------------------------------------------------------------------------------- reading

    def _select(self, ctx: Ctx, td: TypeDef, collection: bool) -> list[str] | None:
        raw = ctx.q.get("$select")
        if raw is None:
            return None
        props = [p.strip() for p in raw.split(",") if p.strip()]
        for prop in props:
            if prop == "*":
                continue
            if td.known is not None and prop not in td.known and not prop.startswith("extension_"):
                bad(
                    f"Could not find a property named '{prop}' on type 'microsoft.graph.{td.entity}'.",
                    "BadRequest",
                )
            if collection and prop in td.single_only:
                raise ApiError(
                    501,
                    "NotImplemented",
                    "This operation target is not yet supported.",  # concepts/delta-query-overview.md
                )
        extensions.check_select(self.tenant, td, props)
        if "*" in props:
            return None
        return props

    def _context_for(self, fragment: str, select: list[str] | None, entity: bool = False) -> str:
        text = fragment + (f"({','.join(select)})" if select else "")
        return text + ("/$entity" if entity else "")

    def _entity(
        self, ctx: Ctx, td: TypeDef, obj: dict[str, Any], fragment: str | None = None, with_type: bool = False
    ) -> Response:
        select = self._select(ctx, td, collection=False)
        body = {"@odata.context": ctx.context(self._context_for(fragment or td.entity_context, select, True))}
        body.update(project(td, obj, select, with_type=with_type))
        return Response(200, body)

    def _get_item(self, ctx: Ctx, td: TypeDef, oid: str) -> Response:
        obj = self.tenant.get(td.key, oid)
        if obj is None:
            not_found(oid)
        if "$expand" in ctx.q:
            return self._expanded(ctx, td, obj)
        return self._entity(ctx, td, obj)

    def _expanded(self, ctx: Ctx, td: TypeDef, obj: dict[str, Any]) -> Response:
        """`$expand=members|owners|manager` on a single object."""
        spec = expand_mod.expansion(td.key, td.entity, ctx.q["$expand"])
        resp = self._entity(ctx, td, obj)
        self._expand(td, obj, resp.body or {}, spec)
        return resp

    def _expand(self, td: TypeDef, obj: dict[str, Any], out: dict[str, Any], spec: Expansion) -> None:
        """Inline the one expanded relationship (sandbox/expand.py has the documented rules): at most 20
        related objects, with no nextLink for the rest."""
        name, options = spec
        select = [p.strip() for p in options["$select"].split(",")] if "$select" in options else None
        rel = td.relationship(name)
        if rel is not None:
            targets = list(self.tenant.members(f"{td.key}#{rel.name}", obj["id"]))[: expand_mod.MAX_RELATED]
            out[rel.name] = [self._directory_item(t, select) for t in targets]
        elif contained.find(td.key, name) is not None:
            held = contained.find(td.key, name)
            assert held is not None
            items = self.tenant.contained_items(held.key, obj["id"])[: expand_mod.MAX_RELATED]
            out[held.name] = [contained.project(held, i) for i in items]
        elif name == "appRoleAssignedTo":
            assignments = TYPES["appRoleAssignments"]
            coll = self.tenant.coll(assignments.key)
            found = sorted(coll.find("resourceId", obj["id"]))[: expand_mod.MAX_RELATED]
            out[name] = [project(assignments, coll.objs[i], select) for i in found]
        elif name == "manager":
            chain = self._manager_chain(obj["id"], options, select)
            if chain is not None:
                out["manager"] = chain
        elif name == "allowedValues":
            out[name] = csa.expanded(obj)
        elif name == "principal":
            out["principal"] = self._directory_item(str(obj.get("principalId")), None)
        else:  # roleDefinition
            role = self.rules.role_definition(str(obj.get("roleDefinitionId")))
            out["roleDefinition"] = project(TYPES["roleManagement/directory/roleDefinitions"], role or {})

    def _manager_chain(
        self, oid: str, options: dict[str, str], select: list[str] | None
    ) -> dict[str, Any] | None:
        """The manager, and with `$levels=n|max` their managers nested inside (user-list-manager.md: "$levels
        can be max or a number between 1 and 1000"; "$levels is required" with $select inside the expand)."""
        raw = options.get("$levels")
        if select is not None and raw is None:
            bad("The $levels parameter is required when $select is used in $expand=manager.")
        levels = 1
        if raw is not None:
            if raw.lower() == "max":
                levels = 1000
            elif raw.isdigit() and 1 <= int(raw) <= 1000:
                levels = int(raw)
            else:
                bad(f"Invalid $levels value '{raw}': use max or a number between 1 and 1000.")
        chain: dict[str, Any] | None = None
        holder: dict[str, Any] | None = None
        seen = {oid}
        current = self.tenant.manager.get(oid)
        while current is not None and current not in seen and levels > 0:
            item = self._directory_item(current, select)
            if holder is None:
                chain = item
            else:
                holder["manager"] = item
            holder, levels = item, levels - 1
            seen.add(current)
            current = self.tenant.manager.get(current)
        return chain

    def _top(self, ctx: Ctx, td: TypeDef | None, default: int = 100) -> int:
        raw = ctx.q.get("$top")
        max_top = td.max_top if td is not None else 999
        if td is not None and td.key == "users" and "signinactivity" in ctx.q.get("$select", "").lower():
            max_top = 500  # users with signInActivity page at most 500 (NOTES §3.2)
        if raw is None:
            return min(default, max_top)
        try:
            top = int(raw)
        except ValueError:
            bad(f"Invalid page size specified: '{raw}'. Must be between 1 and {max_top} inclusive.")
        if top < 1 or top > max_top:
            bad(f"Invalid page size specified: '{raw}'. Must be between 1 and {max_top} inclusive.")
        return top

    def _filter(self, ctx: Ctx, td: TypeDef) -> Filter | None:
        raw = ctx.q.get("$filter")
        if raw is None:
            return None
        flt = parse_filter(raw)
        counted = _COUNTED.get(td.key, {})
        for nav, related in counted.items():
            if nav.lower() in (p.lower() for p in flt.properties):
                # Only `/$count eq 0` and `/$count ne 0`, as the resource page lists them.
                mentions = re.findall(rf"\b{nav}\b(/\$count\s+(?:eq|ne)\s+0\b)?", raw, re.IGNORECASE)
                if not all(mentions):
                    bad(
                        f"Unsupported or invalid query filter clause specified for property '{nav}' "
                        f"of resource '{td.resource}'.",
                        "Request_UnsupportedQuery",
                    )
                flt.extra = partial(_with_related, self.tenant, nav, related)
        if td.filterable is not None:
            for prop in sorted(flt.properties):
                if prop in counted:
                    continue
                if prop not in td.filterable and not prop.startswith("extension_"):
                    bad(
                        f"Unsupported or invalid query filter clause specified for property '{prop}' "
                        f"of resource '{td.resource}'.",
                        "Request_UnsupportedQuery",
                    )
        return flt

    def _check_advanced(self, ctx: Ctx, td: TypeDef, flt: Filter | None) -> None:
        """ConsistencyLevel: eventual + $count=true gate advanced queries on directory objects (NOTES §6)."""
        reason = None
        if flt is not None and flt.advanced:
            reason = "Operator in the $filter clause"
            for op in ("ne", "not", "endsWith"):
                if re.search(rf"\b{op}\b", ctx.q.get("$filter", ""), re.IGNORECASE):
                    reason = f"Operator '{op}'"
                    break
        if "$search" in ctx.q and not ctx.eventual:
            bad(
                "Request with $search query parameter only works through MSGraph with a special request "
                "header: 'ConsistencyLevel: eventual'",
                "Request_UnsupportedQuery",
            )
        if ctx.count and not ctx.eventual and td.key in _ADVANCED_KEYS:
            reason = reason or "$count"
        if reason is None:
            return
        if td.key not in _ADVANCED_KEYS:
            return
        if not ctx.eventual:
            _missing_eventual(reason)
        if not ctx.count:
            bad(
                f"{reason} is not supported because the required parameters might be missing. "
                "Try adding $count=true query parameter and ConsistencyLevel:eventual header. "
                "Refer to https://aka.ms/graph-docs/advanced-queries for more information",
                "Request_UnsupportedQuery",
            )

    def _pim_housekeeping(self) -> None:
        """Expire PIM schedules whose end has passed and keep PIM for Groups' onboarding in step, before
        every request; but only when a collection they read changed or the clock passed the next end:
        run on each of a backup's thousand requests they were a sixth of the sandbox's CPU, which shares
        the machine's cores with the client under test."""
        schedules = (pim.ELIGIBILITY, pim.ASSIGNMENT, pim_groups.ELIGIBILITY, pim_groups.ASSIGNMENT)
        watched = (*schedules, pim.POLICIES, pim.POLICY_ASSIGNMENTS, "groups")

        def state() -> tuple[int, ...]:
            return (*(self.tenant.coll(k).version for k in watched), len(self.tenant.deleted))

        now = self.tenant.now()
        if self._pim_seen == state() and (self._pim_next is None or now < self._pim_next):
            return
        pim.expire(self.tenant)
        pim_groups.expire(self.tenant)
        pim_groups.sync(self.tenant)
        ends = [
            end
            for key in schedules
            for obj in self.tenant.coll(key).objs.values()
            if (end := pim.end_of(obj)) is not None
        ]
        self._pim_seen, self._pim_next = state(), min(ends, default=None)

    def _candidates(self, td: TypeDef, flt: Filter | None) -> list[str] | None:
        """Ids that can match, from an index (O(matches)); None when the filter needs a scan. Kept per
        filter while the collection is unchanged: each page of a listing asks again (sorting six thousand
        guests' ids for each of sixty pages was a tenth of the sandbox's CPU in a backup)."""
        if flt is None:
            return None
        coll = self.tenant.coll(td.key)
        key = (td.key, flt.text)
        cached = self._cand_cache.get(key)
        if cached is not None and cached[0] == coll.version:
            return cached[1]
        found = self._index_candidates(td, flt, coll)
        if found is not None:
            if len(self._cand_cache) > 64:
                self._cand_cache.clear()
            self._cand_cache[key] = (coll.version, found)
        return found

    def _index_candidates(self, td: TypeDef, flt: Filter, coll: Any) -> list[str] | None:
        for term in [flt.ast, *conjuncts(flt.ast)]:
            eq = equality_terms(term)
            if eq is not None and all(p == "id" or p in td.indexed for p, _ in eq):
                ids: set[str] = set()
                for prop, values in eq:
                    for value in values:
                        if prop == "id":
                            if isinstance(value, str) and value in coll.objs:
                                ids.add(value)
                        elif isinstance(value, str):
                            ids |= coll.find(prop, value)
                return sorted(ids)
            pre = prefix_term(term)
            if pre is not None and pre[0] in td.prefixed:
                return sorted(coll.prefix(pre[0], pre[1]))
        return None

    def _search(self, ctx: Ctx) -> Callable[[dict[str, Any]], bool] | None:
        raw = ctx.q.get("$search")
        if raw is None:
            return None
        terms = []
        for part in re.split(r"\s+(?:AND|OR)\s+", raw.strip().strip('"')):
            part = part.strip().strip('"')
            if ":" not in part:
                bad(
                    "Syntax error: character ':' is not valid at position 0 in '$search'.",
                    "Request_UnsupportedQuery",
                )
            prop, text = part.split(":", 1)
            terms.append((prop, text.lower()))

        def match(obj: dict[str, Any]) -> bool:
            return all(text in str(obj.get(prop) or "").lower() for prop, text in terms)

        return match

    def _list(self, ctx: Ctx, td: TypeDef) -> Response:
        if td.key == "subscribedSkus":
            for option in ("$filter", "$top", "$orderby", "$count", "$search"):
                if option in ctx.q:
                    bad(
                        f"Query option '{option}' is not supported on subscribedSkus.",
                        "Request_UnsupportedQuery",
                    )
        if td.key == "auditLogs/directoryAudits":
            objs = list(reversed(self.tenant.coll(td.key).objs.values()))
            return self._list_objects(ctx, td, objs, td.context)
        if td.key == "security/secureScores":
            objs = sorted(
                self.tenant.coll(td.key).objs.values(),
                key=lambda o: str(o.get("createdDateTime")),
                reverse=True,
            )
            return self._list_objects(ctx, td, objs, td.context)
        if td.directory_object:
            self._no_skip(ctx)
        select = self._select(ctx, td, collection=True)
        flt = self._filter(ctx, td)
        self._check_advanced(ctx, td, flt)
        top = self._top(ctx, td)
        search = self._search(ctx)
        expand = expand_mod.expansion(td.key, td.entity, ctx.q["$expand"]) if "$expand" in ctx.q else None
        if expand is not None:
            top = min(top, expand_mod.MAX_PAGE)
        if "$orderby" in ctx.q or search is not None:
            coll = self.tenant.coll(td.key)
            return self._list_objects(ctx, td, [coll.objs[i] for i in coll.order], td.context, flt, search)
        state = self._state(ctx)
        coll = self.tenant.coll(td.key)
        candidates = self._candidates(td, flt)
        ordered: Sequence[str] = candidates if candidates is not None else coll.order
        start = 0
        if state is not None:
            start = bisect.bisect_right(ordered, str(state.get("a", "")))
        items: list[dict[str, Any]] = []
        last = None
        more = False
        for i in range(start, len(ordered)):
            obj = coll.objs.get(ordered[i])
            if obj is None or (flt is not None and not flt.matches(obj)):
                continue
            if len(items) == top:
                more = True
                break
            item = project(td, obj, select)
            if expand is not None:
                self._expand(td, obj, item, expand)
            items.append(item)
            last = ordered[i]
        body: dict[str, Any] = {"@odata.context": ctx.context(self._context_for(td.context, select))}
        if ctx.count and state is None:
            if flt is None:
                body["@odata.count"] = len(coll.objs)
            else:
                body["@odata.count"] = sum(1 for i in ordered if i in coll.objs and flt.matches(coll.objs[i]))
        if more and last is not None:
            body["@odata.nextLink"] = self._next_link(ctx, {"a": last})
        body["value"] = items
        return Response(200, body)

    @staticmethod
    def _no_skip(ctx: Ctx) -> None:
        """Directory object collections page only by $skiptoken (api/user-list.md, group-list.md); the
        service's answer as reported in msgraph-metadata#135."""
        if "$skip" in ctx.q:
            bad("'$skip' is not supported by the service.")

    def _state(self, ctx: Ctx) -> dict[str, Any] | None:
        raw = ctx.q.get("$skiptoken")
        if raw is None:
            return None
        state = decode_token(raw)
        if state is None:
            bad(f"Invalid skip token '{raw[:40]}'.", "Request_BadRequest")
        return state

    def _next_link(self, ctx: Ctx, state: dict[str, Any]) -> str:
        params = [(k, v) for k, v in ctx.req.query.items() if k.lower() != "$skiptoken"]
        params.append(("$skiptoken", encode_token(state)))
        return build_link(ctx.base, ctx.req.path, params)

    def _orderby(
        self, ctx: Ctx, td: TypeDef, objs: list[dict[str, Any]], flt: Filter | None
    ) -> list[dict[str, Any]]:
        raw = ctx.q.get("$orderby")
        if raw is None:
            return objs
        keys = []
        for part in raw.split(","):
            words = part.split()
            if not words:
                continue
            prop = words[0]
            desc = len(words) > 1 and words[1].lower() == "desc"
            allowed = {
                "displayName",
                "userPrincipalName",
                "createdDateTime",
                "deletedDateTime",
                "activityDateTime",
            }
            if td.key in _ADVANCED_KEYS and prop not in allowed:
                bad(f"Order by '{prop}' is not supported.", "Request_UnsupportedQuery")
            keys.append((prop, desc))
        advanced = flt is not None or any(p in ("deletedDateTime", "createdDateTime") for p, _ in keys)
        if td.key in _ADVANCED_KEYS and advanced and not (ctx.eventual and ctx.count):
            bad(
                "Sorting is not supported because the 'ConsistencyLevel:eventual' header and $count=true are "
                "missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
                "Request_UnsupportedQuery",
            )
        out = list(objs)
        for prop, desc in reversed(keys):

            def sort_key(o: dict[str, Any], p: str = prop) -> tuple[bool, str]:
                return (o.get(p) is None, str(o.get(p) or "").lower())

            out.sort(key=sort_key, reverse=desc)
        return out

    def _list_objects(
        self,
        ctx: Ctx,
        td: TypeDef,
        objs: list[dict[str, Any]],
        fragment: str,
        flt: Filter | None = None,
        search: Callable[[dict[str, Any]], bool] | None = None,
        select: list[str] | None = None,
        with_type: bool = False,
        item: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        use_filter: bool = True,
    ) -> Response:
        """Offset-paged listing of an already-materialised object list (small or ordered collections)."""
        if select is None:
            select = self._select(ctx, td, collection=True)
        if flt is None and use_filter:
            flt = self._filter(ctx, td)
            self._check_advanced(ctx, td, flt)
        top = self._top(ctx, td)
        state = self._state(ctx)
        matched = [o for o in objs if (flt is None or flt.matches(o)) and (search is None or search(o))]
        matched = self._orderby(ctx, td, matched, flt)
        offset = int(state.get("o", 0)) if state else 0
        if td.key == "security/secureScores" and "$skip" in ctx.q and state is None:
            try:
                offset = max(0, int(ctx.q["$skip"]))
            except ValueError:
                bad(f"Invalid value '{ctx.q['$skip']}' for $skip.")
        page = matched[offset : offset + top]
        body: dict[str, Any] = {"@odata.context": ctx.context(self._context_for(fragment, select))}
        if ctx.count and state is None:
            body["@odata.count"] = len(matched)
        if offset + top < len(matched):
            body["@odata.nextLink"] = self._next_link(ctx, {"o": offset + top})
        render = item or (lambda o: project(td, o, select, with_type=with_type))
        body["value"] = [render(o) for o in page]
        return Response(200, body)

    def _count_segment(self, ctx: Ctx, td: TypeDef) -> Response:
        if not ctx.eventual and td.key in _ADVANCED_KEYS:
            _missing_eventual("$count")
        flt = self._filter(ctx, td)
        objs = self.tenant.coll(td.key).objs.values()
        count = sum(1 for o in objs if flt is None or flt.matches(o))
        return Response(200, count, {"Content-Type": "text/plain"})

    def _directory_item(self, oid: str, select: list[str] | None) -> dict[str, Any]:
        found = self.tenant.directory_object(oid)
        if found is None:
            return {"@odata.type": "#microsoft.graph.directoryObject", "id": oid}
        key, obj = found
        return project(TYPES[key], obj, select, with_type=True)

    # ---------------------------------------------------------------------------------- navigation

    def _get_by_ids(self, ctx: Ctx) -> Response:
        """POST directoryObjects/getByIds: up to 1000 ids, optionally restricted to some types."""
        body = self._body(ctx)
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or len(ids) > 1000:
            bad("Invalid value specified for property 'ids' of resource 'DirectoryObject'.")
        wanted = {str(t).lower().split(".")[-1] for t in body.get("types") or []}
        out = []
        for oid in ids:
            found = self.tenant.directory_object(str(oid))
            if found is None or (wanted and TYPES[found[0]].entity.lower() not in wanted):
                continue
            out.append(project(TYPES[found[0]], found[1], with_type=True))
        return Response(200, {"@odata.context": ctx.context("directoryObjects"), "value": out})

    def _add_password(self, ctx: Ctx, td: TypeDef, oid: str) -> Response:
        """addPassword: the only way to get a client secret; secretText is returned once and never stored."""
        body = ctx.req.body if isinstance(ctx.req.body, dict) else {}
        spec = body.get("passwordCredential") or {}
        if not isinstance(spec, dict):
            invalid_value(td, "passwordCredential")
        secret = base64.b64encode(os.urandom(30)).decode().replace("/", "~").replace("+", ".")[:40]
        start = self.tenant.now()
        credential = {
            "customKeyIdentifier": None,
            "displayName": spec.get("displayName"),
            "endDateTime": spec.get("endDateTime")
            or (start + dt.timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "hint": secret[:3],
            "keyId": new_guid(),
            "startDateTime": spec.get("startDateTime") or start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        obj = dict(self.tenant.coll(td.key).objs[oid])
        obj["passwordCredentials"] = [
            *list(obj.get("passwordCredentials") or []),
            dict(credential, secretText=None),
        ]
        self.tenant.replace(td.key, obj, ["passwordCredentials"])
        self.audit.record(
            ctx,
            f"Update {td.audit_noun} – Certificates and secrets management ",
            td.audit_category,
            "Update",
            [self.audit.target(td.key, obj, [("KeyDescription", None, credential["keyId"])])],
        )
        out: dict[str, Any] = {"@odata.context": ctx.context("microsoft.graph.passwordCredential")}
        out.update(credential)
        out["secretText"] = secret
        return Response(200, out)

    def _remove_password(self, ctx: Ctx, td: TypeDef, oid: str) -> Response:
        body = self._body(ctx)
        key_id = body.get("keyId")
        obj = dict(self.tenant.coll(td.key).objs[oid])
        creds = list(obj.get("passwordCredentials") or [])
        kept = [c for c in creds if c.get("keyId") != key_id]
        if len(kept) == len(creds):
            bad(f"No password credential found with keyId '{key_id}'.")
        obj["passwordCredentials"] = kept
        self.tenant.replace(td.key, obj, ["passwordCredentials"])
        self.audit.record(
            ctx,
            f"Update {td.audit_noun} – Certificates and secrets management ",
            td.audit_category,
            "Update",
            [self.audit.target(td.key, obj, [("KeyDescription", key_id, None)])],
        )
        return Response(204)

    def _navigation(self, ctx: Ctx, method: str, td: TypeDef, oid: str, rest: list[str]) -> Response:
        name = rest[0]
        low = name.lower()
        if td.key in ("applications", "servicePrincipals") and len(rest) == 1:
            action = low.removeprefix("microsoft.graph.")
            if action in ("addpassword", "removepassword"):
                if method != "POST":
                    not_allowed()
                if action == "addpassword":
                    return self._add_password(ctx, td, oid)
                return self._remove_password(ctx, td, oid)
        if td.key == "applications" and low == "extensionproperties":
            return extensions.handle(self, ctx, method, oid, rest[1:])
        if td.key == consent_policies.KEY and low in consent_policies.SETS:
            return consent_policies.condition_sets(self, ctx, method, oid, rest)
        if td.key == group_policies.LIFECYCLE:
            action = low.removeprefix("microsoft.graph.")
            if len(rest) != 1 or action not in ("addgroup", "removegroup"):
                segment_not_found(name)
            return group_policies.lifecycle_action(self, ctx, method, oid, action)
        if td.key == "groups" and low == "grouplifecyclepolicies" and len(rest) == 1:
            if method != "GET":
                not_allowed()
            return group_policies.policies_of_group(self, ctx, oid)
        held = contained.find(td.key, name)
        if held is not None:
            return contained.handle(self, ctx, method, held, oid, rest[1:])
        rel = td.relationship(name)
        if rel is not None:
            return self._relationship(ctx, method, td, oid, f"{td.key}#{rel.name}", rel.targets, rest[1:])
        licensed = td.key in ("users", "groups")
        if licensed and low in ("assignlicense", "microsoft.graph.assignlicense") and len(rest) == 1:
            if method != "POST":
                not_allowed()
            return licenses.assign_license(self, ctx, td.key, oid)
        if td.key == "users" and low == "manager":
            return self._manager(ctx, method, oid, rest[1:])
        derived = self._derived_links(td, oid, low)
        if derived is not None:
            if method != "GET":
                not_allowed()
            return self._read_links(ctx, derived, rest[1:])
        if td.key == "servicePrincipals" and low == "approleassignedto":
            return self._app_role_assigned_to(ctx, method, oid, rest[1:])
        if (
            td.key in ("users", "groups", "servicePrincipals")
            and low == "approleassignments"
            and len(rest) == 1
        ):
            if method != "GET":
                not_allowed()
            coll = self.tenant.coll("appRoleAssignments")
            objs = [coll.objs[i] for i in sorted(coll.find("principalId", oid))]
            fragment = f"{td.key}('{oid}')/appRoleAssignments"
            return self._list_objects(ctx, TYPES["appRoleAssignments"], objs, fragment)
        if td.key == csa.DEFINITIONS and low == "allowedvalues":
            return csa.allowed_values(self, ctx, method, td, oid, rest[1:])
        if td.key == "identity/conditionalAccess/authenticationStrength/policies" and low in (
            "updateallowedcombinations",
            "microsoft.graph.updateallowedcombinations",
        ):
            if method != "POST":
                not_allowed()
            return self._update_combinations(ctx, oid)
        segment_not_found(name)

    def _derived_links(self, td: TypeDef, oid: str, nav: str) -> list[str] | None:
        """Ids behind a read-only navigation computed from links (memberOf, directReports...), or None when
        `nav` is not one of this type's."""
        if td.key not in _DERIVED_NAVIGATION.get(nav, ()):
            return None
        if nav == "directreports":
            return sorted(self.tenant.reports.get(oid, set()))
        if nav == "appliesto":  # the policy's own links, kept on the app or service principal
            held = "#" + td.key.rsplit("/", 1)[1]
            return sorted(c for r, c in self.tenant.backrefs.get(oid, set()) if r.endswith(held))
        if nav in ("memberof", "ownedobjects"):
            wanted = "#members" if nav == "memberof" else "#owners"
            return sorted(c for r, c in self.tenant.backrefs.get(oid, set()) if r.endswith(wanted))
        return self._transitive(oid, up=nav == "transitivememberof")

    def _read_links(self, ctx: Ctx, ids: list[str], rest: list[str]) -> Response:
        """GET of a directoryObject collection, whole, cast to one type (`.../microsoft.graph.group`) or
        counted (`.../$count`, `.../microsoft.graph.user/$count`)."""
        if not rest:
            return self._link_list(ctx, ids)
        if rest == ["$count"]:
            return self._link_count(ctx, ids)
        cast = CASTS.get(rest[0].lower())
        if cast is not None and len(rest) == 1:
            return self._link_list(ctx, ids, TYPES[cast].context, cast)
        if cast is not None and rest[1:] == ["$count"]:
            return self._link_count(ctx, ids, cast)
        segment_not_found(rest[-1])

    def _link_list(
        self, ctx: Ctx, ids: list[str], fragment: str = "directoryObjects", cast: str | None = None
    ) -> Response:
        """A directoryObject collection (members, owners, memberOf...): items carry their @odata.type."""
        self._no_skip(ctx)
        raw = ctx.q.get("$select")
        select = [p.strip() for p in raw.split(",") if p.strip()] if raw is not None else None
        flt = parse_filter(ctx.q["$filter"]) if "$filter" in ctx.q else None
        if ((flt is not None and flt.advanced) or ctx.count) and not (ctx.eventual and ctx.count):
            bad(
                "The query is not supported because the 'ConsistencyLevel:eventual' header or $count=true is "
                "missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
                "Request_UnsupportedQuery",
            )
        if cast is not None:
            ids = [i for i in ids if self.tenant.where.get(i) == cast]
        if flt is not None:
            ids = [
                i
                for i in ids
                if (found := self.tenant.directory_object(i)) is not None and flt.matches(found[1])
            ]
        body: dict[str, Any] = {"@odata.context": ctx.context(self._context_for(fragment, select))}
        page = self._window(ctx, ids, body)
        body["value"] = [self._directory_item(i, select) for i in page]
        return Response(200, body)

    def _ref_list(self, ctx: Ctx, ids: list[str]) -> Response:
        """GET .../members/$ref: references only, paged like the objects themselves (100, $top up to 999)."""
        self._no_skip(ctx)
        body: dict[str, Any] = {"@odata.context": ctx.context("Collection($ref)")}
        page = self._window(ctx, ids, body)
        body["value"] = [{"@odata.id": f"{ctx.base}/directoryObjects/{i}"} for i in page]
        return Response(200, body)

    def _window(self, ctx: Ctx, ids: list[str], body: dict[str, Any]) -> list[str]:
        """This request's page of an id list (100 by default, $top up to 999); sets @odata.count (first page,
        when asked) and @odata.nextLink on `body`."""
        top = self._top(ctx, None)
        state = self._state(ctx)
        offset = int(state.get("o", 0)) if state else 0
        if ctx.count and state is None:
            body["@odata.count"] = len(ids)
        if offset + top < len(ids):
            body["@odata.nextLink"] = self._next_link(ctx, {"o": offset + top})
        return ids[offset : offset + top]

    def _link_count(self, ctx: Ctx, ids: list[str], cast: str | None = None) -> Response:
        if not ctx.eventual:
            _missing_eventual("$count")
        if cast is not None:
            ids = [i for i in ids if self.tenant.where.get(i) == cast]
        return Response(200, len(ids), {"Content-Type": "text/plain"})

    def _transitive(self, oid: str, up: bool) -> list[str]:
        """Group memberships followed through nested groups (each object once, cycles tolerated)."""
        seen: dict[str, None] = {}
        queue = [oid]
        while queue:
            current = queue.pop(0)
            if up:
                nxt = sorted(c for r, c in self.tenant.backrefs.get(current, set()) if r == "groups#members")
            else:
                nxt = list(self.tenant.members("groups#members", current))
            for other in nxt:
                if other not in seen and other != oid:
                    seen[other] = None
                    if self.tenant.where.get(other) == "groups":
                        queue.append(other)
        return list(seen)

    def _ref_target(self, body: Any) -> str:
        if body is None or body == "":  # as observed for an empty POST .../$ref (semantic-link-labs#1082)
            bad(
                "An unexpected 'EndOfInput' node was found when reading from the JSON reader. "
                "A 'StartObject' node was expected."
            )
        if not isinstance(body, dict) or not isinstance(body.get("@odata.id"), str):
            bad("Invalid request body: a JSON object with '@odata.id' is required.", "Request_BadRequest")
        return self.rules.id_from_url(body["@odata.id"])

    def _relationship(
        self,
        ctx: Ctx,
        method: str,
        td: TypeDef,
        oid: str,
        rel: str,
        targets: tuple[str, ...],
        rest: list[str],
    ) -> Response:
        container = self.tenant.get(td.key, oid)
        assert container is not None
        rel_name = rel.split("#")[1]
        if not rest:
            if method == "GET":
                return self._link_list(ctx, list(self.tenant.members(rel, oid)))
            not_allowed()
        if rest[0].lower() in CASTS or rest == ["$count"]:
            if method != "GET":
                not_allowed()
            return self._read_links(ctx, list(self.tenant.members(rel, oid)), rest)
        if rest[0] == "$ref" and len(rest) == 1:
            if method == "GET":
                return self._ref_list(ctx, list(self.tenant.members(rel, oid)))
            if method != "POST":
                not_allowed()
            target = self._ref_target(ctx.req.body)
            self._add_links(ctx, td, container, rel, targets, [target])
            if td.key == feature_rollout.KEY:
                return feature_rollout.added(target)
            return Response(204)
        if len(rest) == 2 and rest[1] == "$ref":
            if method != "DELETE":
                not_allowed()
            target = rest[0]
            self._check_link_write(td, container, rel_name)
            if target not in self.tenant.members(rel, oid):
                not_found(target)
            if td.key == "groups" and rel_name == "owners" and self._last_user_owner(oid, target):
                bad(LAST_OWNER)
            self.tenant.remove_link(rel, oid, target)
            self.audit.link(ctx, td, container, rel_name, target, add=False)
            return Response(204)
        if len(rest) == 1 and method == "GET":
            if rest[0] not in self.tenant.members(rel, oid):
                not_found(rest[0])
            body = {"@odata.context": ctx.context("directoryObjects/$entity")}
            body.update(self._directory_item(rest[0], None))
            return Response(200, body)
        segment_not_found(rest[-1])

    def _last_user_owner(self, group_id: str, target: str) -> bool:
        """api/group-delete-owners.md: "the last owner (a user object) of the group cannot be removed"."""
        if self.tenant.where.get(target) != "users":
            return False
        owners = self.tenant.members("groups#owners", group_id)
        return not any(o != target and self.tenant.where.get(o) == "users" for o in owners)

    def _check_link_write(self, td: TypeDef, container: dict[str, Any], rel_name: str) -> None:
        if td.key == "groups":
            types = container.get("groupTypes") or []
            if container.get("onPremisesSyncEnabled"):
                bad(SYNC_REFUSAL)
            if "Unified" not in types and container.get("mailEnabled"):
                bad(MAIL_GROUP_WRITE)
            if rel_name == "members" and "DynamicMembership" in types:
                bad(DYNAMIC_REFUSAL)
        dynamic_au = str(container.get("membershipType") or "").lower() == "dynamic"
        if td.key == "directory/administrativeUnits" and rel_name == "members" and dynamic_au:
            bad(DYNAMIC_REFUSAL)

    def _add_links(
        self,
        ctx: Ctx,
        td: TypeDef,
        container: dict[str, Any],
        rel: str,
        allowed: tuple[str, ...],
        target_ids: list[str],
    ) -> None:
        """All-or-nothing: validate every target first, then link them."""
        rel_name = rel.split("#")[1]
        self._check_link_write(td, container, rel_name)
        existing = self.tenant.members(rel, container["id"])
        seen: set[str] = set()
        for target in target_ids:
            found = self.tenant.directory_object(target)
            if found is None:
                not_found(target)
            if found[0] not in allowed:
                bad(
                    f"An object of type '{TYPES[found[0]].resource}' cannot be added to the '{rel_name}' "
                    f"of a {TYPES[td.key].resource}."
                )
            if target in existing or target in seen:
                bad(REF_EXISTS.format(rel_name))
            if rel in ONE_POLICY_PER_OWNER and (existing or seen):
                bad(f"A {TYPES[td.key].resource} can be assigned only one policy of type '{rel_name}'.")
            if target == container["id"]:
                bad(f"An object cannot be added to its own '{rel_name}'.")
            if td.key == feature_rollout.KEY:
                feature_rollout.check_link(found[1], len(existing) + len(seen))
            nested = td.key == "groups" and rel_name == "members" and found[0] == "groups"
            if nested and container.get("isAssignableToRole"):
                bad("Nesting groups is not supported for groups that can be assigned to a role.")
            seen.add(target)
        for target in target_ids:
            self.tenant.add_link(rel, container["id"], target)
            self.audit.link(ctx, td, container, rel_name, target, add=True)

    def _manager(self, ctx: Ctx, method: str, oid: str, rest: list[str]) -> Response:
        users = TYPES["users"]
        if not rest:
            if method != "GET":
                not_allowed()
            mgr = self.tenant.manager.get(oid)
            if mgr is None or mgr not in self.tenant.coll("users").objs:
                not_found("manager")
            return self._entity(ctx, users, self.tenant.coll("users").objs[mgr], "directoryObjects", True)
        if rest != ["$ref"]:
            segment_not_found(rest[-1])
        user = self.tenant.coll("users").objs[oid]
        if method == "GET":
            mgr = self.tenant.manager.get(oid)
            if mgr is None:
                not_found("manager")
            body = {"@odata.context": ctx.context("$ref"), "@odata.id": f"{ctx.base}/directoryObjects/{mgr}"}
            return Response(200, body)
        if method == "PUT":  # api/user-post-manager.md documents PUT only
            target = self._ref_target(ctx.req.body)
            found = self.tenant.directory_object(target)
            if found is None:
                not_found(target)
            if found[0] != "users":
                bad("The manager of a user must be a user.")
            if target == oid:
                bad("A user cannot be their own manager.")
            if user.get("onPremisesSyncEnabled"):
                bad(SYNC_REFUSAL)
            old = self.tenant.manager.get(oid)
            if old != target:
                self.tenant.set_manager(oid, target)
            self.audit.record(
                ctx,
                "Set user manager",
                "UserManagement",
                "Update",
                [
                    self.audit.target("users", user, [("Manager", old, target)]),
                    self.audit.target("users", found[1]),
                ],
            )
            return Response(204)
        if method == "DELETE":
            old = self.tenant.manager.get(oid)
            if old is None:
                not_found("manager")
            if user.get("onPremisesSyncEnabled"):
                bad(SYNC_REFUSAL)
            self.tenant.set_manager(oid, None)
            self.audit.record(
                ctx,
                "Remove user manager",
                "UserManagement",
                "Update",
                [self.audit.target("users", user, [("Manager", old, None)])],
            )
            return Response(204)
        not_allowed()

    def _app_role_assigned_to(self, ctx: Ctx, method: str, sp_id: str, rest: list[str]) -> Response:
        td = TYPES["appRoleAssignments"]
        coll = self.tenant.coll("appRoleAssignments")
        fragment = f"servicePrincipals('{sp_id}')/appRoleAssignedTo"
        if not rest:
            if method == "GET":
                objs = [coll.objs[i] for i in sorted(coll.find("resourceId", sp_id))]
                return self._list_objects(ctx, td, objs, fragment)
            if method != "POST":
                not_allowed()
            return self._create_app_role_assignment(ctx, sp_id, fragment)
        if len(rest) != 1:
            segment_not_found(rest[-1])
        aid = rest[0]
        obj = coll.objs.get(aid)
        if obj is None or obj.get("resourceId") != sp_id:
            not_found(aid)
        if method == "GET":
            return self._entity(ctx, td, obj, fragment)
        if method == "DELETE":
            coll.remove(aid)
            self.tenant.record("appRoleAssignments", aid)
            principal = self.tenant.directory_object(str(obj["principalId"]))
            kind = {"User": "user", "Group": "group"}.get(str(obj.get("principalType")), "service principal")
            targets = [
                self.audit.target("servicePrincipals", self.tenant.coll("servicePrincipals").objs[sp_id])
            ]
            if principal is not None:
                targets.insert(0, self.audit.target(principal[0], principal[1]))
            self.audit.record(
                ctx, f"Remove app role assignment from {kind}", "ApplicationManagement", "Unassign", targets
            )
            return Response(204)
        not_allowed()

    def _create_app_role_assignment(self, ctx: Ctx, sp_id: str, fragment: str) -> Response:
        body = self._body(ctx)
        td = TYPES["appRoleAssignments"]
        self.rules.check_known(td, body, {"principalId", "resourceId", "appRoleId", "@odata.type"})
        for prop in td.required:
            if not body.get(prop):
                invalid_value(td, prop)
        if str(body["resourceId"]).lower() != sp_id.lower():
            invalid_value(td, "resourceId")
        principal = self.tenant.directory_object(str(body["principalId"]))
        if principal is None:
            not_found(str(body["principalId"]))
        if principal[0] not in ("users", "groups", "servicePrincipals"):
            invalid_value(td, "principalId")
        resource = self.tenant.coll("servicePrincipals").objs[sp_id]
        role_ids = {str(r.get("id")) for r in resource.get("appRoles") or []}
        if body["appRoleId"] != ZERO_GUID and body["appRoleId"] not in role_ids:
            bad(f"Permission being assigned was not found on application '{resource.get('appId')}'.")
        coll = self.tenant.coll("appRoleAssignments")
        for aid in coll.find("principalId", str(body["principalId"])):
            other = coll.objs[aid]
            if other.get("resourceId") == sp_id and other.get("appRoleId") == body["appRoleId"]:
                bad("Permission being assigned already exists on the object.")
        obj = self.tenant.complete_assignment(
            {
                "id": new_b64_id(),
                "deletedDateTime": None,
                "appRoleId": body["appRoleId"],
                "createdDateTime": self.tenant.stamp(fraction=True),
                "principalId": str(body["principalId"]),
            },
            sp_id,
        )
        assert obj is not None
        ordered = {
            k: obj.get(k)
            for k in (
                "id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName",
                "principalId", "principalType", "resourceDisplayName", "resourceId",
            )
        }  # fmt: skip
        self.tenant.insert("appRoleAssignments", ordered)
        kind = {"users": "user", "groups": "group"}.get(principal[0], "service principal")
        self.audit.record(
            ctx,
            f"Add app role assignment {'grant ' if kind == 'user' else ''}to {kind}",
            "ApplicationManagement",
            "Assign",
            [
                self.audit.target(principal[0], principal[1], [("AppRole.Id", None, body["appRoleId"])]),
                self.audit.target("servicePrincipals", resource),
            ],
        )
        out: dict[str, Any] = {"@odata.context": ctx.context(f"{fragment}/$entity")}
        out.update(ordered)
        return Response(201, out)

    # -------------------------------------------------------------------------------------- writing

    def _body(self, ctx: Ctx) -> dict[str, Any]:
        body = ctx.req.body
        if body is None or body == "":
            bad("Empty Payload. JSON content expected.", "BadRequest")
        if not isinstance(body, dict):
            bad("Invalid request body: a JSON object is expected.", "BadRequest")
        return body

    def _create(self, ctx: Ctx, td: TypeDef) -> Response:
        body = self._body(ctx)
        Creator = Callable[[TypeDef, dict[str, Any]], tuple[dict[str, Any], dict]]
        creators: dict[str, Creator] = {
            "users": self.rules.create_user,
            "groups": self.rules.create_group,
            "applications": self.rules.create_application,
            "servicePrincipals": self.rules.create_service_principal,
            "identity/conditionalAccess/policies": self.rules.create_ca_policy,
            "identity/conditionalAccess/namedLocations": self.rules.create_named_location,
            "identity/conditionalAccess/authenticationStrength/policies": self.rules.create_auth_strength,
            "identity/conditionalAccess/authenticationContextClassReferences": self.rules.create_auth_context,
            "directory/administrativeUnits": self.rules.create_au,
            "roleManagement/directory/roleDefinitions": self.rules.create_role_definition,
            "roleManagement/directory/roleAssignments": self.rules.create_role_assignment,
            "oauth2PermissionGrants": self.rules.create_grant,
            "policies/activityBasedTimeoutPolicies": self.rules.create_sts_policy,
            **{key: self.rules.create_sts_policy for key in TOKEN_POLICY_KEYS},
            "policies/appManagementPolicies": self.rules.create_app_management_policy,
            consent_policies.KEY: lambda _td, b: consent_policies.create(self, b),
            group_policies.SETTINGS: lambda _td, b: group_policies.create_setting(self, b),
            group_policies.LIFECYCLE: lambda _td, b: group_policies.create_lifecycle_policy(self, b),
            feature_rollout.KEY: lambda _td, b: feature_rollout.create(self, b),
            csa.SETS: partial(csa.create_set, self.tenant),
            csa.DEFINITIONS: partial(csa.create_definition, self.tenant),
        }
        creator = creators.get(td.key)
        if creator is None:
            not_allowed()
        if td.key in csa.HOLDERS and csa.PROPERTY in body:
            # "assigned or updated only through a PATCH" (concepts/custom-security-attributes-examples.md)
            bad("Custom security attributes can be assigned only by updating the object (PATCH).")
        checked = extensions.check_values(self.tenant, td, body, {})
        values = {k: checked.pop(k) for k in list(checked) if k.startswith(extensions.PREFIX)}
        obj, binds = creator(td, checked)
        obj.update((k, v) for k, v in values.items() if v is not None)
        self.tenant.insert(td.key, obj)
        for rel_name, ids in binds.items():
            rel = td.relationship(rel_name)
            assert rel is not None
            for target in ids:
                self.tenant.add_link(f"{td.key}#{rel.name}", obj["id"], target)
                self.audit.link(ctx, td, obj, rel.name, target, add=True)
        self.audit.record(
            ctx,
            f"Add {td.audit_noun}",
            td.audit_category,
            "Add",
            [
                self.audit.target(
                    td.key, obj, [(k, None, v) for k, v in sorted(obj.items()) if v not in (None, [], {})]
                )
            ],
        )
        out: dict[str, Any] = {"@odata.context": ctx.context(f"{td.entity_context}/$entity")}
        out.update(project(td, obj))
        return Response(201, out, {"Location": f"{ctx.base}/{td.key}/{obj['id']}"})

    def _update_combinations(self, ctx: Ctx, oid: str) -> Response:
        body = self._body(ctx)
        td = TYPES["identity/conditionalAccess/authenticationStrength/policies"]
        obj = dict(self.tenant.coll(td.key).objs[oid])
        if obj.get("policyType") == "builtIn":
            bad("Built-in authentication strength policies cannot be changed.")
        combos = body.get("allowedCombinations")
        if not isinstance(combos, list) or not combos:
            invalid_value(td, "allowedCombinations")
        previous = obj.get("allowedCombinations") or []
        obj["allowedCombinations"] = combos
        obj["modifiedDateTime"] = self.tenant.stamp(fraction=True)
        self.tenant.replace(td.key, obj)
        self.audit.record(
            ctx,
            "Update authentication strength policy",
            td.audit_category,
            "Update",
            [self.audit.target(td.key, obj, [("allowedCombinations", previous, combos)])],
        )
        refs = [
            p["id"]
            for p in self.tenant.coll("identity/conditionalAccess/policies").objs.values()
            if ((p.get("grantControls") or {}).get("authenticationStrength") or {}).get("id") == oid
        ]
        result = {
            "@odata.context": ctx.context("microsoft.graph.updateAllowedCombinationsResult"),
            "additionalInformation": None,
            "conditionalAccessReferences": refs,
            "currentCombinations": combos,
            "previousCombinations": previous,
        }
        return Response(200, result)

    # -------------------------------------------------------------------------------------- update

    def _update(self, ctx: Ctx, td: TypeDef, oid: str) -> Response:
        body = self._body(ctx)
        coll = self.tenant.coll(td.key)
        if (
            td.key == "identity/conditionalAccess/authenticationContextClassReferences"
            and oid not in coll.objs
        ):
            obj, _ = self.rules.create_auth_context(td, {**body, "id": oid})
            self.tenant.insert(td.key, obj)
            self.audit.record(
                ctx, f"Add {td.audit_noun}", td.audit_category, "Add", [self.audit.target(td.key, obj)]
            )
            return Response(204)
        if not td.updatable:
            not_allowed()
        if td.key == csa.DEFINITIONS:
            return csa.update_definition(self, ctx, td, oid, body)
        if td.key == csa.SETS:
            csa.check_set_update({k: v for k, v in body.items() if not k.startswith("@odata.")})
        old = coll.objs[oid]
        bindable = [r.name for r in td.relationships] if td.key == "groups" else []
        binds = self.rules.binds(body, bindable)
        changes = {k: v for k, v in body.items() if not k.endswith("@odata.bind")}
        kind = changes.pop("@odata.type", None)
        if kind is not None and td.polymorphic and kind != old.get("@odata.type"):
            bad(f"The @odata.type of a {td.resource} cannot be changed.")
        changes = {k: v for k, v in changes.items() if not k.startswith("@odata.")}
        changes = extensions.check_values(self.tenant, td, changes, old)
        if td.key == consent_policies.KEY:
            consent_policies.check_update(old, changes)
        if td.key == group_policies.SETTINGS:
            changes = group_policies.setting_update(self, old, changes)
        known: set[str] | None = None
        if td.known is not None:
            known = set(td.known) | set(old)
        self.rules.check_known(td, changes, known)
        for prop in changes:
            if prop in td.read_only or prop in td.create_only:
                read_only(prop)
        new = merge_patch(old, {k: v for k, v in changes.items() if k != csa.PROPERTY})
        if td.key in csa.HOLDERS and csa.PROPERTY in changes:
            new[csa.PROPERTY] = csa.assign(self.tenant, old.get(csa.PROPERTY), changes[csa.PROPERTY])
        new.pop("passwordProfile", None)
        self.rules.validate_update(td, old, new, changes)
        if binds:
            rel_added = binds.get("members", []) + binds.get("owners", [])
            if rel_added:
                for rel_name, ids in binds.items():
                    rel = td.relationship(rel_name)
                    assert rel is not None
                    self._add_links(ctx, td, old, f"{td.key}#{rel.name}", rel.targets, ids)
        modified = [(k, old.get(k), new.get(k)) for k in sorted(changes) if old.get(k) != new.get(k)]
        if "passwordProfile" in changes:
            modified.append(("PasswordProfile", None, None))
        if modified:
            if td.key in ("identity/conditionalAccess/policies", "identity/conditionalAccess/namedLocations"):
                new["modifiedDateTime"] = self.tenant.stamp(fraction=True)
            if td.key == "identity/conditionalAccess/authenticationStrength/policies":
                new["modifiedDateTime"] = self.tenant.stamp(fraction=True)
            self.tenant.replace(td.key, new, [m[0] for m in modified])
        if modified or not binds:
            self.audit.record(
                ctx,
                f"Update {td.audit_noun}",
                td.audit_category,
                "Update",
                [self.audit.target(td.key, new, modified)],
            )
        if td.key == group_policies.LIFECYCLE:  # grouplifecyclepolicy-update.md: 200 with the policy
            return self._get_item(ctx, td, oid)
        return Response(204)

    # -------------------------------------------------------------------------------------- delete

    def _delete(self, ctx: Ctx, td: TypeDef, oid: str) -> Response:
        if not td.deletable:
            not_allowed()
        obj = self.tenant.coll(td.key).objs[oid]
        if td.key == "roleManagement/directory/roleDefinitions" and obj.get("isBuiltIn"):
            bad("Built-in role definitions cannot be deleted.")
        if (
            td.key == "identity/conditionalAccess/authenticationStrength/policies"
            and obj.get("policyType") == "builtIn"
        ):
            bad("Built-in authentication strength policies cannot be deleted.")
        if td.key == "groups":
            if obj.get("onPremisesSyncEnabled"):
                bad(SYNC_REFUSAL)
            if "Unified" not in (obj.get("groupTypes") or []) and obj.get("mailEnabled"):
                bad(MAIL_GROUP_WRITE)
        if td.key == "users" and obj.get("onPremisesSyncEnabled"):
            bad(SYNC_REFUSAL)
        if td.key == consent_policies.KEY:
            consent_policies.check_delete(obj)
        if td.key == group_policies.LIFECYCLE:
            for group_id in list(self.tenant.members(f"{td.key}#groups", oid)):
                self.tenant.remove_link(f"{td.key}#groups", oid, group_id, log=False)
        target = self.audit.target(td.key, obj)
        if td.directory_object or td.soft_delete:
            self.tenant.delete(td.key, oid)
        else:
            self.tenant.coll(td.key).remove(oid)
            self.tenant.record(td.key, oid)
        self.audit.record(ctx, f"Delete {td.audit_noun}", td.audit_category, "Delete", [target])
        return Response(204)

    # -------------------------------------------------------------------------------- deletedItems

    def _deleted_items(self, ctx: Ctx, method: str, rest: list[str]) -> Response:
        self.tenant.purge_expired()
        if not rest:
            if method == "GET":  # Graph's answer (microsoft-graph-docs-contrib#4424): a type cast is required
                bad(
                    "Searches against this resource are not supported. "
                    "Only specific instances can be queried.",
                    "Request_UnsupportedQuery",
                )
            not_allowed()
        head = rest[0]
        key = CASTS.get(head.lower())
        if key is not None:
            td = TYPES[key]
            if len(rest) == 1:
                if method != "GET":
                    not_allowed()
                self._no_skip(ctx)
                objs = sorted(self.tenant.deleted_of(key), key=lambda o: str(o["id"]))
                return self._list_objects(ctx, td, objs, td.context)
            rest = rest[1:]
            head = rest[0]
        item = self.tenant.deleted_item(head, DIRECTORY_KEYS)
        if item is None:
            not_found(head)
        oid = str(item["obj"]["id"])
        td = TYPES[item["key"]]
        if len(rest) == 1:
            if method == "GET":
                select = self._select(ctx, td, collection=False)
                body = {"@odata.context": ctx.context(self._context_for("directoryObjects", select, True))}
                body.update(project(td, item["obj"], select, with_type=True))
                if not select:
                    body["deletedDateTime"] = item["obj"].get("deletedDateTime")
                return Response(200, body)
            if method == "DELETE":
                if item["key"] == "directory/administrativeUnits":
                    # directory-deleteditems-delete.md (2026): AUs "cannot be permanently deleted by using
                    # the deletedItems API"; they expire after 30 days. The status is not documented.
                    bad("Administrative units cannot be permanently deleted from deleted items.")
                return self._purge(ctx, item)
            not_allowed()
        if len(rest) == 2 and rest[1].lower() in ("restore", "microsoft.graph.restore"):
            if method != "POST":
                not_allowed()
            return self._restore(ctx, oid, item)
        segment_not_found(rest[-1])

    def _recycle_bin(self, ctx: Ctx, method: str, key: str, bin_path: str, rest: list[str]) -> Response:
        """The recycle bin of a type that is not a directory object: custom role definitions
        (resources/unifiedroledefinition.md and resources/directoryrolemanagementdeleteditemcontainer.md,
        2026: list, get, restore, and DELETE to remove one for good; deletedDateTime is set while there)."""
        self.tenant.purge_expired()
        td = TYPES[key]
        if not rest:
            if method != "GET":
                not_allowed()
            self._no_skip(ctx)
            objs = sorted(self.tenant.deleted_of(key), key=lambda o: str(o["id"]))
            return self._list_objects(ctx, td, objs, bin_path)
        item = self.tenant.deleted_item(rest[0], (key,))
        if item is None:
            not_found(rest[0])
        oid = str(item["obj"]["id"])
        if len(rest) == 1:
            if method == "GET":
                return self._entity(ctx, td, item["obj"], bin_path)
            if method == "DELETE":
                return self._purge(ctx, item)
            not_allowed()
        if len(rest) == 2 and rest[1].lower() in ("restore", "microsoft.graph.restore"):
            if method != "POST":
                not_allowed()
            if isinstance(ctx.req.body, dict) and ctx.req.body:
                self.rules.check_known(td, ctx.req.body, ())  # the page documents no request body
            for other in self.tenant.coll(key).find("displayName", str(item["obj"].get("displayName"))):
                conflict("displayName", [other])  # as on create: display names are unique
            restored = self.tenant.restore(oid)
            target = self.audit.target(key, restored)
            self.audit.record(ctx, f"Restore {td.audit_noun}", td.audit_category, "Update", [target])
            body_out: dict[str, Any] = {"@odata.context": ctx.context(f"{td.entity_context}/$entity")}
            body_out.update(project(td, restored))
            return Response(200, body_out)
        segment_not_found(rest[-1])

    def _purge(self, ctx: Ctx, item: dict[str, Any]) -> Response:
        """DELETE of a recycle-bin entry: gone for good, audited as a "Hard delete" of its kind."""
        td = TYPES[item["key"]]
        target = self.audit.target(td.key, item["obj"])
        self.tenant.purge(str(item["obj"]["id"]))
        self.audit.record(ctx, f"Hard delete {td.audit_noun}", td.audit_category, "Delete", [target])
        return Response(204)

    def _restore(self, ctx: Ctx, oid: str, item: dict[str, Any]) -> Response:
        key = item["key"]
        td = TYPES[key]
        body = ctx.req.body if isinstance(ctx.req.body, dict) else {}
        obj = dict(item["obj"])
        if key == "users":
            self.rules.check_known(td, body, {"newUserPrincipalName", "autoReconcileProxyConflict"})
            new_upn = body.get("newUserPrincipalName")
            if new_upn:
                obj["userPrincipalName"] = self.rules.validate_upn(new_upn)
            else:
                for other in self.tenant.coll("users").find(
                    "userPrincipalName", str(obj.get("userPrincipalName"))
                ):
                    conflict("userPrincipalName", [other])
            proxies = obj.get("proxyAddresses") or []
            clash = self.tenant.proxy_conflicts(proxies, exclude=oid)
            if clash:
                if body.get("autoReconcileProxyConflict") is True:
                    taken = {
                        a.lower() for a in proxies if self.tenant.proxies.get(a.lower()) not in (None, oid)
                    }
                    obj["proxyAddresses"] = [a for a in proxies if a.lower() not in taken]
                else:
                    conflict("proxyAddresses", clash)
        else:
            if body:
                self.rules.check_known(td, body, ())
            if key == "groups" and "Unified" in (obj.get("groupTypes") or []):
                self.rules.unified_conflicts(str(obj.get("mailNickname")))
            if key in ("groups",):
                clash = self.tenant.proxy_conflicts(obj.get("proxyAddresses") or [], exclude=oid)
                if clash:
                    conflict("proxyAddresses", clash)
            if key == "applications":  # identifierUris are unique among live applications
                self.rules.check_identifier_uris(obj.get("identifierUris"), oid)
            if key == "servicePrincipals" and self.tenant.sp_by_app_id(str(obj.get("appId"))) is not None:
                raise ApiError(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    SP_NAME_TAKEN.format(obj.get("appId")),
                )
        item["obj"] = obj
        restored = self.tenant.restore(oid)
        self.audit.record(
            ctx, f"Restore {td.audit_noun}", td.audit_category, "Update", [self.audit.target(key, restored)]
        )
        body_out: dict[str, Any] = {"@odata.context": ctx.context("directoryObjects/$entity")}
        body_out.update(project(td, restored, with_type=True))
        return Response(200, body_out)

    # ------------------------------------------------------------------------------------ singletons

    def _singleton(self, ctx: Ctx, method: str, path: str, rest: list[str]) -> Response:
        fragment, ro = SINGLETONS[path]
        obj = self.tenant.singletons.get(path)
        if obj is None:
            not_found(path.split("/")[-1])
        if rest:
            if (
                path == "policies/authenticationMethodsPolicy"
                and rest[0].lower() == "authenticationmethodconfigurations"
            ):
                return self._method_configuration(ctx, method, obj, rest[1:])
            segment_not_found(rest[0])
        if method == "GET":
            select = [p.strip() for p in ctx.q["$select"].split(",")] if "$select" in ctx.q else None
            base = fragment.replace("/$entity", "")
            entity = fragment.endswith("/$entity")
            body: dict[str, Any] = {"@odata.context": ctx.context(self._context_for(base, select, entity))}
            if select:
                body.update({p: obj.get(p) for p in select})
                body.setdefault("id", obj.get("id"))
            else:
                body.update(obj)
            return Response(200, body)
        if path in SINGLETON_WRITES:
            return self._write_policy(ctx, method, path, obj)
        if method != "PATCH":
            not_allowed()
        changes = {k: v for k, v in self._body(ctx).items() if not k.startswith("@odata.")}
        known = set(obj) | {"description", "displayName"}
        if path == "policies/authorizationPolicy":
            known |= {
                "allowInvitesFrom", "allowedToSignUpEmailBasedSubscriptions", "allowedToUseSSPR",
                "allowEmailVerifiedUsersToJoinOrganization", "blockMsolPowerShell",
                "defaultUserRolePermissions", "guestUserRoleId", "allowUserConsentForRiskyApps",
            }  # fmt: skip
        else:
            known |= {"registrationEnforcement"}
        for prop in changes:
            if prop in ro or prop == "authenticationMethodConfigurations":
                read_only(prop)
            if prop not in known:
                bad(f"Property '{prop}' does not exist as a declared property or extension property.")
        nested = undeclared_member(path, changes)
        if nested is not None:
            bad(nested_refusal(*nested))
        merged = merge_patch(obj, changes)  # a new dict: a state save may be serialising the old one
        if path == "policies/authorizationPolicy":
            documented.check_singleton(path, "AuthorizationPolicy", merged, frozenset(changes))
        modified = [(k, obj.get(k), merged[k]) for k in sorted(changes) if obj.get(k) != merged[k]]
        obj = merged
        if path == "policies/authenticationMethodsPolicy" and modified:
            obj["lastModifiedDateTime"] = self.tenant.stamp(fraction=True)
        self.tenant.singletons[path] = obj
        noun = (
            "authorization policy"
            if path.endswith("authorizationPolicy")
            else "authentication methods policy"
        )
        target = {"id": obj.get("id"), "displayName": obj.get("displayName"), "type": "Policy"}
        self.audit.record(
            ctx, f"Update {noun}", "Policy", "Update", [self.audit.with_modified(target, modified)]
        )
        return Response(204)

    def _write_policy(self, ctx: Ctx, method: str, path: str, obj: dict[str, Any]) -> Response:
        """A write to a policy singleton of `SINGLETON_WRITES`: its update page's method and body. A PUT
        replaces the writable properties whole and needs each of them (adminconsentrequestpolicy-update.md);
        a PATCH merges the ones sent. Read-only and unknown properties are refused, values are judged by the
        value rules, and the admin consent policy's version counts its updates
        (resources/adminconsentrequestpolicy.md)."""
        verb, resource, writable, required = SINGLETON_WRITES[path]
        if method != verb:
            not_allowed()
        _, ro = SINGLETONS[path]
        changes = {k: v for k, v in self._body(ctx).items() if not k.startswith("@odata.")}
        for prop in changes:
            if prop in ro:
                read_only(prop)
            if prop not in writable:
                bad(f"Property '{prop}' does not exist as a declared property or extension property.")
        missing = sorted(required - set(changes))
        if missing:
            bad(f"The property '{missing[0]}' is required when updating resource '{resource}'.")
        nested = undeclared_member(path, changes)
        if nested is not None:
            bad(nested_refusal(*nested))
        merged = {**obj, **changes} if verb == "PUT" else merge_patch(obj, changes)
        documented.check_singleton(path, resource, merged, frozenset(changes))
        modified = [(k, obj.get(k), merged[k]) for k in sorted(changes) if obj.get(k) != merged[k]]
        if "version" in merged:
            merged["version"] = int(merged["version"] or 0) + 1
        self.tenant.singletons[path] = merged
        target = {"id": merged.get("id", path.rsplit("/", 1)[-1]), "type": "Policy"}
        target["displayName"] = merged.get("displayName", target["id"])
        noun = self.audit.singleton_noun(path)
        self.audit.record(
            ctx, f"Update {noun}", "Policy", "Update", [self.audit.with_modified(target, modified)]
        )
        return Response(204)

    def _method_configuration(
        self, ctx: Ctx, method: str, policy: dict[str, Any], rest: list[str]
    ) -> Response:
        configs = list(policy.get("authenticationMethodConfigurations") or [])
        if not rest:
            if method != "GET":
                not_allowed()
            return Response(
                200,
                {
                    "@odata.context": ctx.context(
                        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations"
                    ),
                    "value": configs,
                },
            )
        config = next((c for c in configs if str(c.get("id")).lower() == rest[0].lower()), None)
        if config is None or len(rest) > 1:
            not_found(rest[0])
        if method == "GET":
            body = {
                "@odata.context": ctx.context(
                    "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"
                )
            }
            body.update(config)
            return Response(200, body)
        if method != "PATCH":
            not_allowed()
        changes = self._body(ctx)
        kind = changes.get("@odata.type")
        if kind is None:  # fido2authenticationmethodconfiguration-update.md: "must be included in the body"
            bad("The @odata.type property is required when updating an authentication method configuration.")
        if kind != config.get("@odata.type"):
            bad("The @odata.type of an authentication method configuration cannot be changed.")
        if "id" in changes and changes["id"] != config.get("id"):
            read_only("id")
        for prop in changes:
            if prop.endswith("@odata.bind"):
                unsupported_bind(prop)
        updated = merge_patch(config, {k: v for k, v in changes.items() if k != "@odata.type"})
        documented.check_one(
            "policies/authenticationMethodsPolicy",
            "AuthenticationMethodConfiguration",
            "authenticationMethodConfigurations[].state",
            updated.get("state"),
            updated,
        )
        modified = [
            (k, config.get(k), updated[k])
            for k in sorted(changes)
            if k != "@odata.type" and config.get(k) != updated[k]
        ]
        self.tenant.singletons["policies/authenticationMethodsPolicy"] = {
            **policy,
            "authenticationMethodConfigurations": [updated if c is config else c for c in configs],
            "lastModifiedDateTime": self.tenant.stamp(fraction=True),
        }
        config = updated
        target = {"id": config.get("id"), "displayName": config.get("id"), "type": "Policy"}
        self.audit.record(
            ctx,
            "Update authentication method configuration",
            "Policy",
            "Update",
            [self.audit.with_modified(target, modified)],
        )
        return Response(204)

    # ----------------------------------------------------------------------------------------- audit


def make_request(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    base_url: str = "https://127.0.0.1/v1.0",
    app_id: str = "",
    actor: str | None = None,
) -> Request:
    """Convenience constructor for in-process callers (tests, the demo)."""
    return Request(method, path, dict(query or {}), dict(headers or {}), body, base_url, app_id, actor)
