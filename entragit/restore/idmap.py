"""The id map: which new object stands for which hard-deleted one, tracked in the backup repository.

A recreated object gets a new id from Graph (and an application a new appId). Every later plan reads the
revision's files through this map, so references to the old object (memberships, conditional access
conditions, role assignments) point at its successor, and re-planning after a restore is empty. It is
written after each creation, so an interrupted restore never loses a mapping, and before each creation with
the old id marked pending, so that a rerun looks for what the interrupted one may have created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entragit import canonical
from entragit.catalog import ObjectType
from entragit.repo import idmap as repo_idmap
from entragit.repo.idmap import FILE

__all__ = ["FILE", "IdMap", "load", "save"]


@dataclass
class IdMap:
    ids: dict[str, str] = field(default_factory=dict)  # old object id → new object id
    app_ids: dict[str, str] = field(default_factory=dict)  # old appId → new appId
    # old id → when its creation was sent, until the new id is known (resume.py)
    pending: dict[str, str] = field(default_factory=dict)

    def new_id(self, old: str) -> str:
        return self.ids.get(old, old)

    def rewrite(self, t: ObjectType, obj: dict[str, Any]) -> dict[str, Any]:
        """obj with every reference to a recreated object pointing at its successor."""
        if not self.ids and not self.app_ids:
            return obj
        return repo_idmap.rewrite(t, obj, self.ids, self.app_ids)

    def app_uri(self, uri: str) -> str:
        return repo_idmap.app_uri(uri, self.app_ids)


def load(root: str | Path) -> IdMap:
    path = Path(root) / FILE
    if not path.is_file():
        return IdMap()
    data = canonical.load(path.read_text(encoding="utf-8"), source=FILE)
    return IdMap(dict(data.get("ids") or {}), dict(data.get("appIds") or {}), dict(data.get("pending") or {}))


def save(root: str | Path, idmap: IdMap) -> None:
    data: dict[str, Any] = {
        "ids": dict(sorted(idmap.ids.items())),
        "appIds": dict(sorted(idmap.app_ids.items())),
    }
    if idmap.pending:
        data["pending"] = dict(sorted(idmap.pending.items()))
    text = canonical.dump(data)
    path = Path(root) / FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
