"""Where Microsoft's Graph metadata is read from (docs/graph.md, "Schema and permissions data"), and what a
test does without it: skip, or fail under ENTRAGIT_REQUIRE_SCHEMA=1 (as `.ci/run` sets)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from . import csdl

DATA = Path(
    os.environ.get("ENTRAGIT_GRAPH_METADATA")
    or Path(__file__).resolve().parents[3] / "shared" / "graph" / "msgraph-metadata"
)
CSDL_FILE = DATA / "graph-v1.0.xml"
PERMISSIONS_FILE = DATA / "graph-permissions.json"


def require(path: Path) -> Path:
    if path.is_file():
        return path
    reason = f"Graph metadata not found: {path} (set ENTRAGIT_GRAPH_METADATA=dir; see docs/graph.md)"
    if os.environ.get("ENTRAGIT_REQUIRE_SCHEMA") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@cache
def schema() -> csdl.Schema:
    """The v1.0 CSDL, read once per test process (restore tests check every scenario's writes against it)."""
    return csdl.load(require(CSDL_FILE))
