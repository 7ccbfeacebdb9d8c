"""Resuming an interrupted restore without creating an object twice.

Before each creation the old id is marked pending in the id map (saved, so a killed process leaves the mark
behind), and the mark is cleared when the new id is recorded. A creation whose mark an earlier run left is
one that may have reached Graph without its answer reaching us: the object is looked up by the properties
that identify it (the catalog's `unique`: userPrincipalName, mailNickname and displayName, appId, a role
assignment's principal, role and scope, ...), created no earlier than the mark, and adopted if found.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from entragit.catalog import ObjectType
from entragit.graph.client import GraphClient, odata_string

# Graph's clock against ours: an object created just after the mark may carry a slightly earlier stamp.
SKEW = timedelta(minutes=5)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    try:  # whole seconds are enough; Graph writes up to seven fractional digits, always in UTC
        return datetime.fromisoformat(stamp[:19]).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def find_created(
    client: GraphClient, t: ObjectType, body: Mapping[str, Any], since: str, taken: set[str]
) -> str | None:
    """The id of a live object of type t that a creation with this body made at or after `since` (None when
    there is none); ids in `taken` (successors of other objects) are never adopted."""
    keys = [k for k in t.unique if body.get(k) is not None]
    if not keys:
        return None
    params: dict[str, str] = {}
    if t.filterable and isinstance(body[keys[0]], str):
        params["$filter"] = f"{keys[0]} eq {odata_string(body[keys[0]])}"
    start = _parse(since)
    for obj in client.list(t.path, params, required_permission=" and ".join(t.permissions_restore) or None):
        if any(obj.get(k) != body.get(k) for k in keys) or str(obj.get(t.key)) in taken:
            continue
        created = _parse(obj.get("createdDateTime") or obj.get("createdOn"))
        if start is not None and created is not None and created < start - SKEW:
            continue  # older than the interrupted run: someone else's object
        return str(obj[t.key])
    return None
