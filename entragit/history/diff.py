"""Attribute-level differences between two versions of an object, and the one-line summary of a change."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from entragit.repo.entries import is_deleted


@dataclass(frozen=True)
class Difference:
    path: str  # JSON pointer
    op: str  # add | remove | replace | unchanged (only with --all)
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op, "old": self.old, "new": self.new}


def summarize_change(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    existed: bool = True,
    lists: Iterable[str] = (),
) -> str:
    """One line such as `renamed "A" → "B", members (+2 −1)`, `created`, `soft-deleted` or `deleted`."""
    if new is None:
        return "deleted" if old is not None or existed else "no change"
    if old is None:
        first = "restored (file re-added)" if existed else "created"
        # Already in the recycle bin when first backed up: say so, or the next "deleted" looks sudden.
        return f"{first}, soft-deleted" if is_deleted(new) else first
    parts: list[str] = []
    if not is_deleted(old) and is_deleted(new):
        parts.append("soft-deleted")
    elif is_deleted(old) and not is_deleted(new):
        parts.append("restored")
    for key in sorted(set(old) | set(new), key=lambda k: (k not in ("displayName", "userPrincipalName"), k)):
        a, b = old.get(key), new.get(key)
        if a == b or (key == "deletedDateTime" and is_deleted(old) != is_deleted(new)):
            continue
        if key == "displayName" and isinstance(a, str) and isinstance(b, str):
            parts.append(f'renamed "{a}" → "{b}"')
        elif key == "userPrincipalName" and isinstance(a, str) and isinstance(b, str):
            parts.append(f'UPN "{a}" → "{b}"')  # the old sign-in name is what people search for later
        elif isinstance(a, (list, type(None))) and isinstance(b, (list, type(None))) and (a or b):
            parts.append(f"{key} {_list_change(a or [], b or [])}")
        else:
            parts.append(key)
    if len(parts) > 6:
        parts = [*parts[:5], f"… {len(parts) - 5} more"]
    return ", ".join(parts) or "no attribute change"


def _list_change(a: list[Any], b: list[Any]) -> str:
    """`(+2 −1)` elements added and removed; for objects with a key (ipRanges by cidrAddress, app secrets by
    keyId) also `~1` changed in place, so that a new client secret reads as one addition."""
    key = _list_key(a, b)
    if key is not None:
        a_by = {_hashable(x[key]): x for x in a}
        b_by = {_hashable(x[key]): x for x in b}
        added, removed = len(b_by.keys() - a_by.keys()), len(a_by.keys() - b_by.keys())
        changed = sum(1 for k in a_by.keys() & b_by.keys() if a_by[k] != b_by[k])
        if added or removed or changed:
            return f"(+{added} −{removed}" + (f" ~{changed}" if changed else "") + ")"
        return "(reordered)"
    ca, cb = Counter(map(_hashable, a)), Counter(map(_hashable, b))
    added, removed = sum((cb - ca).values()), sum((ca - cb).values())
    return f"(+{added} −{removed})" if added or removed else "(reordered)"


def _hashable(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


_LIST_KEYS = (
    "id",
    "keyId",
    "principalId",
    "resourceAppId",
    "skuId",
    "servicePlanId",
    "cidrAddress",
    "name",
)


def _ptr(base: str, key: Any) -> str:
    return f"{base}/{str(key).replace('~', '~0').replace('/', '~1')}"


def diff(a: Any, b: Any, include_unchanged: bool = False) -> list[Difference]:
    """Attribute-level differences as JSON-pointer operations.

    Unlike jsonpatch, lists are compared by element (ids added/removed, objects matched on their key) rather
    than by index, so one new member is one `add`, not a cascade of index replacements.
    """
    out: list[Difference] = []
    _diff("", a, b, out, include_unchanged)
    return out


def _diff(ptr: str, a: Any, b: Any, out: list[Difference], keep: bool) -> None:
    if a == b and type(a) is type(b):
        if keep:
            out.append(Difference(ptr, "unchanged", a, b))
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            p = _ptr(ptr, k)
            if k not in b:
                out.append(Difference(p, "remove", a[k], None))
            elif k not in a:
                out.append(Difference(p, "add", None, b[k]))
            else:
                _diff(p, a[k], b[k], out, keep)
        return
    if isinstance(a, list) and isinstance(b, list):
        _diff_list(ptr, a, b, out, keep)
        return
    out.append(Difference(ptr or "", "replace", a, b))


def _list_key(a: list[Any], b: list[Any]) -> str | None:
    items = a + b
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for key in _LIST_KEYS:
        if all(key in x for x in items):
            ka, kb = [_hashable(x[key]) for x in a], [_hashable(x[key]) for x in b]
            if len(set(ka)) == len(ka) and len(set(kb)) == len(kb):
                return key
    return None


def _diff_list(ptr: str, a: list[Any], b: list[Any], out: list[Difference], keep: bool) -> None:
    key = _list_key(a, b)
    if key is not None:
        a_by = {_hashable(x[key]): (i, x) for i, x in enumerate(a)}
        b_by = {_hashable(x[key]): (i, x) for i, x in enumerate(b)}
        for k, (i, x) in a_by.items():
            if k not in b_by:
                out.append(Difference(_ptr(ptr, i), "remove", x, None))
        for k, (i, x) in b_by.items():
            if k in a_by:
                _diff(_ptr(ptr, i), a_by[k][1], x, out, keep)
            else:
                out.append(Difference(_ptr(ptr, "-"), "add", None, x))
        return
    # No key: compare as multisets, so one inserted element is one `add`, not a cascade of shifted replaces.
    ca, cb = Counter(map(_hashable, a)), Counter(map(_hashable, b))
    if ca == cb:
        out.append(Difference(ptr, "replace", a, b))  # same elements, new order
        return
    extra_a, extra_b = ca - cb, cb - ca
    for i, x in enumerate(a):
        h = _hashable(x)
        if extra_a[h] > 0:
            extra_a[h] -= 1
            out.append(Difference(_ptr(ptr, i), "remove", x, None))
        elif keep:
            out.append(Difference(_ptr(ptr, i), "unchanged", x, x))
    for x in b:
        h = _hashable(x)
        if extra_b[h] > 0:
            extra_b[h] -= 1
            out.append(Difference(_ptr(ptr, "-"), "add", None, x))
