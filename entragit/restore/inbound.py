"""Inbound references: what other objects held of an object that a restore brings back under a new id.

A hard-deleted object comes back with a new id. By then Graph has dropped the links other objects had to it
(memberships, ownerships, a manager, app role assignments) and the objects that were nothing but a reference
to it (its directory role assignments, OAuth2 grants), while values such as conditional access conditions
keep the old id, which now names nothing: a policy that included the group silently stops applying to its
members. Bringing the object back whole means putting each of those references back on the object that held
it, pointing at the successor.

The catalog is the one source, as for outbound references: an inbound reference is a relationship or a
`Reference` entry of another type whose value at the revision is the old id. This module decides what each
holder should look like; the planner reads the holders and plans them as it plans any object, so that the
guards, `--only` and `--dry-run` see those actions like every other.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from entragit.catalog import ObjectType, Steps, parse_dotted, walk


def is_link_object(t: ObjectType) -> bool:
    """Objects that are nothing but references fixed at creation (directory role assignments, OAuth2 grants):
    Graph deletes them with the object they name, so the reference comes back by creating them again."""
    fixed = set(t.create_only)
    return bool(t.references) and not t.relationships and all(_top(r.path) in fixed for r in t.references)


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _mapped(key: str, ids: Collection[str], app_ids: Collection[str]) -> Collection[str]:
    """The old values a reference of this key can hold: object ids, or an application's appId."""
    return {"id": ids, "appId": app_ids}.get(key, ())


def restored(
    t: ObjectType,
    at_revision: Mapping[str, Any],
    live: Mapping[str, Any],
    ids: Collection[str],
    app_ids: Collection[str] = (),
) -> tuple[dict[str, Any], set[str]]:
    """The holder as it should be: its live object with every reference it held at the revision to one of
    the old `ids` (or `app_ids`) put back, still as the old value (the plan maps it to the successor, as it
    maps every reference), and the top-level properties and relationships that changes.

    Only the references are restored: the holder's other properties stay as they are live, since its own
    restore was not asked for. A reference is added where live lacks it (Graph dropped the link) and kept
    where live still has the old id (conditional access keeps ids of deleted objects); a single value
    (a manager) is put back only where live has none or the old one, never over a newer choice."""
    out: dict[str, Any] = json.loads(json.dumps(live))
    touched: set[str] = set()
    for rel in t.relationships:
        value = at_revision.get(rel.name)
        if rel.kind == "ref-single":
            if value in ids and out.get(rel.name) in (None, value):
                out[rel.name] = value
                touched.add(rel.name)
            continue
        items = [
            v
            for v in value or ()
            if (v.get("principalId") if isinstance(v, Mapping) else v) in ids
            and (not isinstance(v, Mapping) or "principalId" in v)
        ]
        if items:
            have = list(out.get(rel.name) or [])
            out[rel.name] = have + [i for i in items if i not in have]
            touched.add(rel.name)
    for ref in t.references:
        wanted = _mapped(ref.key, ids, app_ids)
        steps = parse_dotted(ref.path)[0]
        for parent, key in walk(at_revision, steps):
            values = parent[key] if isinstance(parent[key], list) else [parent[key]]
            held = [v for v in values if any(i in wanted for i in ref.ids_in(v))]
            if not held:
                continue
            touched.add(_top(ref.path))
            if any(each for _, each in steps):
                continue  # inside a list of objects: the old id is kept where live still has it
            _put_back(out, steps, held, isinstance(parent[key], list))
    return out, touched


def _put_back(obj: dict[str, Any], steps: Steps, held: list[str], is_list: bool) -> None:
    """Add the held values at the dotted path in obj (a live object), where the path's parents exist."""
    node: Any = obj
    for name, _ in steps[:-1]:
        node = node.get(name) if isinstance(node, dict) else None
    last = steps[-1][0]
    if not isinstance(node, dict):
        return
    if is_list:
        have = list(node.get(last) or [])
        node[last] = have + [v for v in held if v not in have]
    elif node.get(last) in (None, held[0]):
        node[last] = held[0]
