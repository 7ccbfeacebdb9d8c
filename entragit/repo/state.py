"""The backup's incremental state on disk: `.git/entragit/state/state.json`, its big maps in parts beside it.

At 100k users the state is 17 MB of JSON, nearly all of it the per-object maps (the users' digests and seat
codes, the applications' input digests). Written whole, a run that changed nothing spent a fifth of a second
of its CPU encoding maps it had read and left as they were. So every map of more than `PART_ENTRIES` entries
(of strings: digests, seat codes) is kept in a file of its own under `parts/`, named by the digest of its
text, and the state file refers to it by that name: a save writes only the maps that differ from those the
load read, and a part never changes once written.

A save writes the new parts first, then the state file (atomically), then removes the parts nothing refers
to any more: a run killed in between leaves the last complete state, plus unreferenced parts the next
save removes. A state whose part is missing or damaged is no state (the next run lists everything), like
a damaged state file.

Its folder is not where entragit kept the state before parts (`.git/entragit/state.json`, read when the
folder has none, removed by the first save): an older entragit finds no state, so lists everything, instead
of taking a part's reference for the users' digests and seat codes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

FOLDER = "state"  # (in `.git/entragit`)
FILE = "state.json"
PARTS = "parts"
LEGACY = "state.json"  # (in `.git/entragit`: the whole state in one file, before parts)
PART_ENTRIES = 512  # (a map this small costs less to write again than a file of its own)
_REF = "$part"


class Damaged(ValueError):
    """A part the state file names is missing or not JSON."""


class StateFiles:
    """The state of one repository (`home`: its `.git/entragit`), remembering which parts its last load read
    so that a save need not write them again."""

    def __init__(self, home: Path, write: Callable[[Path, bytes], None]) -> None:
        self.dir = home / FOLDER
        self._legacy = home / LEGACY
        self._write = write  # (atomic and synced: the writer's)
        self._read: dict[tuple[str, str], tuple[str, Any]] = {}  # (type, key) → (part name, value)

    def load(self) -> Any:
        """The state file's JSON with its parts put back in; raises ValueError (or FileNotFoundError) when it
        cannot be read whole."""
        path = self.dir / FILE
        state = json.loads((path if path.is_file() else self._legacy).read_text(encoding="utf-8"))
        types = state.get("types") if isinstance(state, dict) else None
        for type_name, values in (types or {}).items() if isinstance(types, dict) else ():
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if isinstance(value, dict) and set(value) == {_REF}:
                    name = str(value[_REF])
                    values[key] = self._part(name)
                    # (a copy: the caller's edits to its map must not pass for the part's content)
                    self._read[(type_name, key)] = (name, dict(values[key]))
        return state

    def _part(self, name: str) -> Any:
        try:
            return json.loads((self.dir / PARTS / name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Damaged(f"{PARTS}/{name}: {exc}") from exc

    def save(self, head: str | None, types: Mapping[str, Mapping[str, Any]]) -> None:
        (self.dir / PARTS).mkdir(parents=True, exist_ok=True)
        kept: set[str] = set()
        out: dict[str, dict[str, Any]] = {}
        for type_name, values in types.items():
            out[type_name] = dict(values)
            for key, value in values.items():
                if _flat(value):
                    name = self._stored(type_name, key, value)
                    out[type_name][key] = {_REF: name}
                    kept.add(name)
        data = json.dumps({"head": head, "types": out}, separators=(",", ":"), sort_keys=True)
        self._write(self.dir / FILE, data.encode("utf-8"))
        self._legacy.unlink(missing_ok=True)
        self._prune(kept)

    def _stored(self, type_name: str, key: str, value: Mapping[str, Any]) -> str:
        """The name of the part holding `value`: the one the load read where the value is unchanged (and
        the file still there), else a new file."""
        read = self._read.get((type_name, key))
        if read is not None and read[1] == value and (self.dir / PARTS / read[0]).is_file():
            return read[0]
        text = json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")
        name = hashlib.blake2b(text, digest_size=16).hexdigest() + ".json"
        path = self.dir / PARTS / name
        if not path.is_file():
            self._write(path, text)
        self._read[(type_name, key)] = (name, dict(value))
        return name

    def _prune(self, kept: set[str]) -> None:
        folder = self.dir / PARTS
        for name in os.listdir(folder):
            if name not in kept:
                (folder / name).unlink(missing_ok=True)


def _flat(value: Any) -> bool:
    """A map kept as a part: big, and of strings only (a copy of it cannot share anything with it)."""
    return (
        isinstance(value, dict)
        and len(value) > PART_ENTRIES
        and all(isinstance(v, str) for v in value.values())
    )
