"""The id map as history reads it: which recreated object succeeds which hard-deleted one.

A restore that recreates a hard-deleted object gets a new id from Graph (an application also a new appId) and
records old → new in the tracked `idmap.yaml` (`ids`, `appIds`; restore/idmap.py writes it). For history the
two are one object: its versions run on from the predecessor's into the successor's, a comparison across the
restore does not count ids that differ only by the map, and the predecessor is no longer "removed". A
successor may itself be recreated later, so ids chain (old → mid → new); every question here is answered for
the last id of a chain. Reading the map belongs to the repository layer, so that history never imports
restore; writing it stays with restore.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from entragit import canonical
from entragit.catalog import ObjectType
from entragit.repo.entries import load_text

FILE = "idmap.yaml"


def rewrite(
    t: ObjectType, obj: Mapping[str, Any], ids: Mapping[str, str], app_ids: Mapping[str, str]
) -> dict[str, Any]:
    """obj with every reference to a recreated object (members, owners, policy conditions, principals, an
    application ID URI naming an old appId) pointing at its successor; the object's own id is left alone."""
    if not ids and not app_ids:
        return dict(obj)
    out = canonical.rewrite_references(t, obj, ids, app_ids)
    # An application ID URI names the appId (`api://<appId>`), in the application's identifierUris and in
    # its service principal's servicePrincipalNames (serviceprincipal.md): both follow the new appId.
    field = URI_LISTS.get(t.name)
    uris = out.get(field) if field else None
    if field and isinstance(uris, list):
        out[field] = sorted(app_uri(str(u), app_ids) for u in uris)
    return out


URI_LISTS = {"applications": "identifierUris", "servicePrincipals": "servicePrincipalNames"}


def app_uri(uri: str, app_ids: Mapping[str, str]) -> str:
    """An application ID URI naming an old appId (`api://<appId>`, the default) with the new one."""
    for old, new in app_ids.items():
        uri = uri.replace(old, new)
    return uri


def _last(chain: Mapping[str, str], start: str) -> str:
    """The last id of the chain from start (start itself when it has no successor). A cycle, which only a
    hand edit can make, has no last id: all of its ids stand for the least of them, so they stay one."""
    walked = [start]
    while walked[-1] in chain:
        step = chain[walked[-1]]
        if step in walked:
            return min(walked[walked.index(step) :])
        walked.append(step)
    return walked[-1]


@dataclass(frozen=True)
class Successors:
    """The id map of one revision: `ids` and `appIds` as recorded, old → new."""

    ids: Mapping[str, str] = field(default_factory=dict)
    app_ids: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def last_ids(self) -> dict[str, str]:
        """Every recorded old id → the last id of its chain."""
        return {old: _last(self.ids, old) for old in self.ids}

    @cached_property
    def last_app_ids(self) -> dict[str, str]:
        return {old: _last(self.app_ids, old) for old in self.app_ids}

    def last(self, oid: str) -> str:
        """The id the object oid was last recreated as (oid when it never was)."""
        return self.last_ids.get(oid, oid)

    def lineage(self, oid: str) -> list[str]:
        """The ids one object has had, newest first: the last id of oid's chain, then the ids it succeeded."""
        found = [self.last(oid)]
        step = found
        while step:
            step = sorted(old for old, new in self.ids.items() if new in step and old not in found)
            found += step
        return found

    def as_last(self, t: ObjectType, obj: Mapping[str, Any]) -> dict[str, Any]:
        """obj as its last successor would hold it: its own id (an application's appId too) and every
        reference through the map, so that two versions across a recreation differ only where they do."""
        out = rewrite(t, obj, self.last_ids, self.last_app_ids)
        if isinstance(out.get("id"), str):
            out["id"] = self.last(out["id"])
        if t.name == "applications" and isinstance(out.get("appId"), str):
            out["appId"] = self.last_app_ids.get(out["appId"], out["appId"])
        return out


def parse(text: str | None, where: str = FILE) -> Successors:
    """The map a revision's `idmap.yaml` holds (an empty one when there is none)."""
    if text is None:
        return Successors()
    data = load_text(text, where)
    ids, app_ids = data.get("ids") or {}, data.get("appIds") or {}
    if not isinstance(ids, dict) or not isinstance(app_ids, dict):
        return Successors()
    return Successors({str(k): str(v) for k, v in ids.items()}, {str(k): str(v) for k, v in app_ids.items()})
