"""An object of a backup repository as the live tenant has it now, for `compare OBJECT live` and restore.

It is read through the one live reader with the repository's own settings (its excluded attributes trim the
`$select` as they trim a backup's), so an object nobody changed since the last backup equals its file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from entragit import config, live
from entragit.catalog import ObjectType
from entragit.graph.client import GraphClient, RetryNotice
from entragit.repo.reader import BackupRepo


def live_object(
    repo_root: str,
    t: ObjectType,
    object_id: str,
    *,
    client: GraphClient | None = None,
    prompt: Callable[[str], None] | None = None,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> dict[str, Any] | None:
    """The object in canonical form as a backup into repo_root would write it now; None when Graph has it
    neither live nor soft-deleted. Without `client`, one is built from entragit.yaml and the environment."""
    repo = BackupRepo(repo_root)
    cfg = config.load(repo.root)
    graph = live.connect(cfg, prompt=prompt, on_retry=on_retry) if client is None else client

    def file_links(t: ObjectType, path: str) -> Mapping[str, Any]:
        committed = repo.load("HEAD", path) or {}
        return {r.name: committed[r.name] for r in t.relationships if r.name in committed}

    try:
        return live.Reader(graph, cfg).read_object(t, object_id, file_links)
    finally:
        if client is None:
            graph.close()
