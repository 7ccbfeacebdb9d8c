"""The one module through which restore reaches the repository and the live tenant.

Restore needs four things from the rest of entragit: a Graph connection built from `entragit.yaml`
(`live.connect`), the live object exactly as a backup would write it (`history.tenant.live_object`, through
the one live reader: an unchanged object plans nothing), name resolution as the history commands do it
(`history.resolve`), and file texts at a revision (`repo.reader`). Keeping those imports here keeps the rest
of restore/ to plans and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from entragit import config, live
from entragit.catalog import ObjectType
from entragit.graph.client import GraphClient
from entragit.history.resolve import resolve as resolve_spec
from entragit.history.tenant import live_object
from entragit.repo.reader import BackupRepo
from entragit.repo.writer import Store


@dataclass(frozen=True)
class Revision:
    sha: str
    short: str
    when: str  # UTC, minute precision


@dataclass(frozen=True)
class Version:
    """An object's file at one commit: the text and the commit it was read at."""

    path: str
    text: str
    revision: Revision


def _repo(repo_dir: str | None) -> BackupRepo:
    return BackupRepo(repo_dir)


def _revision(repo: BackupRepo, rev: str | None) -> Revision:
    c = repo.commit(rev)
    return Revision(c.sha, c.short, c.when)


def repo_root(repo_dir: str | None) -> str:
    return str(_repo(repo_dir).root)


def revision(repo_dir: str | None, rev: str | None) -> Revision:
    """The commit rev names (HEAD when None); UnknownRevision (one line) otherwise."""
    return _revision(_repo(repo_dir), rev)


def connect(repo_dir: str | None, prompt: Callable[[str], None] | None = None) -> GraphClient:
    """A Graph client for the tenant the repository backs up (credentials from the environment)."""
    return live.connect(config.load(_repo(repo_dir).root), prompt=prompt)


def read_live(repo_dir: str, t: ObjectType, object_id: str, client: GraphClient) -> dict[str, Any] | None:
    """The object as a backup would write it now (soft-deleted copy included); None when Graph has none."""
    return live_object(repo_dir, t, object_id, client=client)


def resolve(repo_dir: str | None, spec: str, rev: str | None) -> str:
    """Repository path of the object spec names at rev, also of objects removed before it."""
    return resolve_spec(_repo(repo_dir), spec, rev)


def object_paths(repo_dir: str | None, rev: str | None) -> list[str]:
    """Every object file at rev, except those of objects soft-deleted at rev (nothing to bring back)."""
    return sorted(p for p, e in _repo(repo_dir).index(rev).items() if not e.deleted)


def read_files(repo_dir: str | None, rev: str, paths: Sequence[str]) -> list[str | None]:
    """Texts of paths at rev (None where the file does not exist there), in one git call."""
    return _repo(repo_dir).read_many([f"{rev}:{p}" for p in paths])


def versions(repo_dir: str | None, path: str, rev: str | None) -> list[Version]:
    """Every committed version of path up to rev, newest first (removals left out)."""
    repo = _repo(repo_dir)
    found = [(c, p) for c, status, p in repo.file_log([path], rev) if status != "D"]
    texts = repo.read_many([f"{c.sha}:{p}" for c, p in found])
    return [
        Version(p, text, Revision(c.sha, c.short, c.when))
        for (c, p), text in zip(found, texts, strict=True)
        if text is not None
    ]


def names(repo_dir: str | None, rev: str | None) -> dict[str, str]:
    """object id → display name at rev, to show linked ids by name."""
    return _repo(repo_dir).names(rev)


def commit_file(repo_dir: str | None, paths: Sequence[str], message: str) -> str:
    """Commit these files of the repository (restored objects, the id map), leaving other work alone; the
    new HEAD (unchanged when the files already match it)."""
    return Store.open(repo_root(repo_dir)).commit_paths(list(paths), message)
