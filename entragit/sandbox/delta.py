"""Delta query (NOTES §5) over the change log: initial rounds by id order, incremental ones in O(changes).

A round is a chain of `@odata.nextLink`s ending in an `@odata.deltaLink`. Tokens are opaque and carry the
original query (selected properties and relationships, `id eq` filter), the watermark (change sequence number
the round is complete up to), the position inside the round and the time the token was minted. Page sizes are
the server's choice: about 200 objects or 500 links per page, so a big group's members arrive in slices on
consecutive pages, the group repeated on each. Changes become visible only `tenant.delta_lag_seconds` after
they happen (Graph's replication delay); tokens older than `tenant.delta_token_days` or minted before
`tenant.delta_epoch` changed answer 410 Gone with a Location to start over; with
`tenant.delta_replay_seconds` set, recent changes are replayed in the following round too.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from entragit.sandbox import extensions
from entragit.sandbox.custom_attributes import DELTA_REFUSAL
from entragit.sandbox.odata import build_link, decode_token, encode_token, equality_terms, parse_filter
from entragit.sandbox.protocol import ApiError, Ctx, Response, bad
from entragit.sandbox.schema import TYPES, TypeDef, project

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

PAGE_OBJECTS = 200
PAGE_LINKS = 500
MAX_FILTER_IDS = 50
_MEMBERS_BY_DEFAULT = ("groups", "directory/administrativeUnits")


def _relationships(td: TypeDef) -> list[str]:
    names = [rel.name for rel in td.relationships if rel.delta]
    if td.key == "users":
        names.append("manager")
    return names


def handle(api: GraphApi, ctx: Ctx, td: TypeDef) -> Response:
    tenant = api.tenant
    q = ctx.q
    for option in ("$top", "$orderby", "$expand", "$search", "$count", "$skip"):
        if option in q:
            bad(f"The query option '{option}' is not supported with delta query.", "Request_UnsupportedQuery")
    skiptoken = q.get("$skiptoken")
    deltatoken = q.get("$deltatoken")
    if (skiptoken or deltatoken) and ("$select" in q or "$filter" in q) and deltatoken != "latest":
        bad("$select and $filter cannot be combined with a $skiptoken or $deltatoken (the token has them).",
            "Request_UnsupportedQuery")  # fmt: skip
    now = tenant.now_ts()
    if skiptoken or (deltatoken and deltatoken != "latest"):
        state = decode_token(skiptoken or deltatoken or "")
        if state is None or state.get("k") != td.key:
            bad("The delta token is invalid.", "Request_BadRequest" if state is None else "BadRequest")
        # "a Location header containing a request URL with an empty $deltaToken (same as the initial query)"
        # (concepts/delta-query-overview.md, Synchronization reset).
        fresh = build_link(ctx.base, f"{td.key}/delta", [*_original_query(state), ("$deltatoken", "")])
        if int(state.get("e", -1)) != tenant.delta_epoch:
            raise ApiError(410, "resyncRequired", "Resync required: start a new full delta round.",
                           headers={"Location": fresh})  # fmt: skip
        if now - float(state.get("t", 0)) > tenant.delta_token_days * 86400:
            raise ApiError(410, "syncStateNotFound", "The delta token has expired: start a new full sync.",
                           headers={"Location": fresh})  # fmt: skip
    else:
        select, rels = _parse_select(api, ctx, td)
        ids = _parse_filter(ctx)
        state = {"k": td.key, "sel": select, "rels": rels, "ids": ids, "e": tenant.delta_epoch, "t": now}
        if deltatoken == "latest":
            state.update({"m": "d", "w": tenant.visible_seq()})
            return _page(ctx, td, [], None, state, first=True)
        visible = tenant.visible_seq()
        state.update({"m": "i", "w": tenant.replay_watermark(visible, 0), "a": None, "p": None})
        return _initial(api, ctx, td, state, first=True)
    if state.get("m") == "i":
        return _initial(api, ctx, td, state, first=False)
    return _incremental(api, ctx, td, state)


def _original_query(state: dict[str, Any]) -> list[tuple[str, str]]:
    params = []
    fields = list(state.get("sel") or []) + list(state.get("rels") or [])
    if state.get("sel") is not None and fields:
        params.append(("$select", ",".join(fields)))
    if state.get("ids"):
        params.append(("$filter", " or ".join(f"id eq '{i}'" for i in state["ids"])))
    return params


def _parse_select(api: GraphApi, ctx: Ctx, td: TypeDef) -> tuple[list[str] | None, list[str]]:
    raw = ctx.q.get("$select")
    if raw is None:
        # Without $select, groups and administrative units track their members too (api/group-delta.md
        # Response 1, concepts/delta-query-groups.md, api/administrativeunit-delta.md).
        return None, [rel for rel in ("members",) if td.key in _MEMBERS_BY_DEFAULT]
    names = _relationships(td)
    select: list[str] = []
    rels: list[str] = []
    for prop in (p.strip() for p in raw.split(",")):
        if not prop:
            continue
        rel = next((n for n in names if n.lower() == prop.lower()), None)
        if rel is not None:
            rels.append(rel)
        elif prop.lower() == "customsecurityattributes":  # sandbox/custom_attributes.py, Delta
            bad(DELTA_REFUSAL, "BadRequest")
        elif td.known is not None and prop not in td.known and not prop.startswith("extension_"):
            bad(
                f"Could not find a property named '{prop}' on type 'microsoft.graph.{td.entity}'.",
                "BadRequest",
            )
        elif prop in td.single_only:  # as for any collection read (concepts/delta-query-overview.md)
            raise ApiError(501, "NotImplemented", "This operation target is not yet supported.")
        else:
            select.append(prop)
    extensions.check_select(api.tenant, td, select)
    return select, rels  # [] = only relationships selected: items carry just their id


def _parse_filter(ctx: Ctx) -> list[str] | None:
    raw = ctx.q.get("$filter")
    if raw is None:
        return None
    terms = equality_terms(parse_filter(raw).ast)
    if terms is None or any(prop.lower() != "id" for prop, _ in terms):
        bad("Delta query only supports $filter on id with the eq operator, combined with or.",
            "Request_UnsupportedQuery")  # fmt: skip
    ids = [str(v) for _, values in terms for v in values]
    if len(ids) > MAX_FILTER_IDS:
        bad(f"Delta query supports at most {MAX_FILTER_IDS} ids in $filter.", "Request_UnsupportedQuery")
    return ids


def _project(td: TypeDef, obj: dict[str, Any], sel: list[str] | None) -> dict[str, Any]:
    """An object as delta returns it: its selected properties (`[]`: only links selected → just the id)."""
    if sel is not None and not sel:
        return {"id": obj["id"]}
    return project(td, obj, sel)


def _target_type(api: GraphApi, oid: str) -> str:
    """A link's @odata.type: its target's own type, derived (an agent identity) or not."""
    key = api.tenant.where.get(oid)
    obj = api.tenant.get(key, oid) if key is not None else None
    if key is None and oid in api.tenant.deleted:
        key, obj = api.tenant.deleted[oid]["key"], api.tenant.deleted[oid]["obj"]
    if key is None:
        return "#microsoft.graph.directoryObject"
    return str((obj or {}).get("@odata.type") or TYPES[key].odata_type)


def _links_of(api: GraphApi, td: TypeDef, oid: str, rel: str) -> list[str]:
    if rel == "manager":
        mgr = api.tenant.manager.get(oid)
        return [mgr] if mgr else []
    return list(api.tenant.members(f"{td.key}#{rel}", oid))


def _initial(api: GraphApi, ctx: Ctx, td: TypeDef, state: dict[str, Any], first: bool) -> Response:
    coll = api.tenant.coll(td.key)
    order: list[str] = sorted(i for i in state["ids"] if i in coll.objs) if state.get("ids") else coll.order
    rels: list[str] = state.get("rels") or []
    items: list[dict[str, Any]] = []
    budget = PAGE_LINKS
    partial = state.get("p")
    anchor = partial[0] if partial else state.get("a")
    start = bisect.bisect_right(order, anchor) if anchor else 0
    queue: list[tuple[str, int]] = []
    if partial:
        queue.append((partial[0], int(partial[1])))
    next_partial = None
    last_done = state.get("a")
    i = start
    while len(items) < PAGE_OBJECTS:
        if queue:
            oid, offset = queue.pop()
        elif i < len(order):
            oid, offset = order[i], 0
            i += 1
        else:
            break
        obj = coll.objs.get(oid)
        if obj is None:
            last_done = oid
            continue
        item = _project(td, obj, state.get("sel"))
        links = [(rel, t) for rel in rels for t in _links_of(api, td, oid, rel)]
        chunk = links[offset : offset + budget]
        for rel in rels:
            entries = [{"@odata.type": _target_type(api, t), "id": t} for r, t in chunk if r == rel]
            if entries:  # a group without members carries no members@delta (samples)
                item[f"{rel}@delta"] = entries
        items.append(item)
        budget -= len(chunk)
        if offset + len(chunk) < len(links):
            next_partial = [oid, offset + len(chunk)]
            break
        last_done = oid
        if budget <= 0:
            break
    more = next_partial is not None or i < len(order)
    if more:
        nxt = dict(state, a=last_done, p=next_partial)
        return _page(ctx, td, items, nxt, None, first)
    done = {k: v for k, v in state.items() if k not in ("a", "p")}
    done.update({"m": "d", "t": api.tenant.now_ts()})
    return _page(ctx, td, items, None, done, first)


def _incremental(api: GraphApi, ctx: Ctx, td: TypeDef, state: dict[str, Any]) -> Response:
    tenant = api.tenant
    coll = tenant.coll(td.key)
    if state.get("m") == "d":
        # First page of a new round: fix the round's upper bound and find where the watermark sits in the log.
        upper = tenant.visible_seq()
        pos = bisect.bisect_right(coll.log_seq, int(state["w"]))
        state = dict(state, m="n", s=upper, pos=pos)
    upper = int(state["s"])
    pos = int(state["pos"])
    rels = set(state.get("rels") or [])
    ids = set(state["ids"]) if state.get("ids") else None
    minimal = "return=minimal" in ctx.headers.get("prefer", "").replace(" ", "").lower()
    touched: dict[str, dict[str, Any]] = {}
    links = 0
    while pos < len(coll.log) and coll.log_seq[pos] <= upper:
        if len(touched) >= PAGE_OBJECTS or links >= PAGE_LINKS:
            break
        oid, rel, target = coll.log[pos]
        pos += 1
        if ids is not None and oid not in ids:
            continue
        if rel is not None and rel not in rels:
            continue
        entry = touched.setdefault(oid, {"links": {}, "props": set(), "whole": False})
        if rel is not None and target is not None:
            entry["links"].setdefault(rel, {})[target] = None
            links += 1
        elif rel is None and target:
            entry["props"].update(target.split(","))
        elif rel is None:
            entry["whole"] = True
    items = []
    for oid, entry in touched.items():
        obj = coll.objs.get(oid)
        if obj is not None and entry["props"] == {"customSecurityAttributes"} and not entry["links"]:
            # "Only properties included in $select are tracked for changes" (concepts/delta-query-users.md),
            # and a delta round is never given customSecurityAttributes (sandbox/custom_attributes.py)
            continue
        if obj is None:
            reason = (
                "changed" if oid in tenant.deleted and tenant.deleted[oid]["key"] == td.key else "deleted"
            )
            items.append({"id": oid, "@removed": {"reason": reason}})
            continue
        item = _project(td, obj, state.get("sel"))
        if minimal and not entry["whole"]:
            # Prefer: return=minimal → only the properties that changed (null when cleared), plus id.
            item = {k: v for k, v in item.items() if k == "id" or k in entry["props"]}
        for rel, targets in entry["links"].items():
            current = set(_links_of(api, td, oid, rel))
            out = []
            for target in targets:
                link: dict[str, Any] = {"@odata.type": _target_type(api, target), "id": target}
                if target not in current:
                    link["@removed"] = {"reason": "deleted"}
                out.append(link)
            item[f"{rel}@delta"] = out
        items.append(item)
    if pos < len(coll.log) and coll.log_seq[pos] <= upper:
        return _page(ctx, td, items, dict(state, pos=pos), None, False)
    done = {k: v for k, v in state.items() if k not in ("s", "pos")}
    done.update({"m": "d", "w": tenant.replay_watermark(upper, int(state["w"])), "t": tenant.now_ts()})
    return _page(ctx, td, items, None, done, False)


def _page(
    ctx: Ctx,
    td: TypeDef,
    items: list[dict[str, Any]],
    next_state: dict[str, Any] | None,
    delta_state: dict[str, Any] | None,
    first: bool,
) -> Response:
    fragment = td.context
    state = next_state or delta_state or {}
    fields = (
        list(state.get("sel") or []) + list(state.get("rels") or [])
        if first and state.get("sel") is not None
        else []
    )
    if fields:
        fragment += f"({','.join(fields)})"
    body: dict[str, Any] = {"@odata.context": ctx.context(fragment)}
    path = f"{td.key}/delta"
    if next_state is not None:
        body["@odata.nextLink"] = build_link(ctx.base, path, [("$skiptoken", encode_token(next_state))])
    if delta_state is not None:
        body["@odata.deltaLink"] = build_link(ctx.base, path, [("$deltatoken", encode_token(delta_state))])
    body["value"] = items
    return Response(200, body)
