"""Run records in `.git/entragit/`: what the last backup run and the last drift check found.

A backup commits only when something changed, so git alone cannot tell a quiet day from a day without a run,
nor show a run that failed before it changed a file. `last-run.json` (written by every completed backup) and
`drift.json` (written by `entragit plan`) say so; `entragit status` reads them. Both are compact JSON objects
and, like all of `.git/entragit/`, never tracked: losing them only makes `status` fall back to the commits.

- `last-run.json`: `{"time": ISO-8601 UTC, "commit": sha or null, "head": sha, "failed": {type: reason},
  "errors": count, "summary": the run's summary line}`.
- `drift.json`: `{"time": ISO-8601 UTC, "against": the commit compared with, "drifted": bool,
  "changes": count, "summary": one line}` (written by the plan service; status shows what is there).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LAST_RUN = "last-run.json"
DRIFT = "drift.json"
_DIR = "entragit"


def write(git_dir: str | os.PathLike[str], name: str, data: Mapping[str, Any]) -> None:
    """Replace one record atomically (a reader never sees half a file)."""
    folder = Path(git_dir) / _DIR
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(dict(data), separators=(",", ":"), sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / name)


def read(git_dir: str | os.PathLike[str], name: str) -> dict[str, Any] | None:
    """One record, or None when it is missing or damaged (a record is a hint, never a reason to fail)."""
    try:
        data = json.loads((Path(git_dir) / _DIR / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
