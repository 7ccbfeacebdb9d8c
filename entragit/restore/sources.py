"""The one module through which restore reaches the repository and the live tenant.

Restore needs five things from the rest of entragit: a Graph connection built from `entragit.yaml`
(`live.connect`), the live object exactly as a backup would write it (`history.tenant.live_objects`, through
the one live reader: an unchanged object plans nothing), name resolution as the history commands do it
(`history.resolve`), file texts at a revision (`repo.reader`), and the committed files `apply` checks
work-tree files against (`validate.Committed`; the checks themselves are validate's). Keeping those imports
here keeps the rest of restore/ to plans and writes. A command opens the repository once (`Backup`) and hands
it down, so that a whole-tenant plan, its guards and its record share one reader and its caches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from entragit import catalog, config, live, render
from entragit.catalog import ObjectType
from entragit.errors import UsageError
from entragit.graph.client import GraphClient
from entragit.history.resolve import AmbiguousObject, ObjectNotFound
from entragit.history.resolve import resolve as resolve_spec
from entragit.history.tenant import Key, Live, live_objects, live_unlike
from entragit.repo import records
from entragit.repo.entries import linked_name
from entragit.repo.reader import BackupRepo
from entragit.repo.writer import Store
from entragit.validate import Committed

__all__ = ["Backup", "Live", "Revision", "Version", "linked_name"]


WORK_TREE = "the work tree"  # the short name of `apply`'s desired state


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


class Backup:
    """The backup repository a restore reads and records to, opened once per command: every question a
    plan asks of it (names, revisions, file texts, the committed files apply checks against) goes through
    one `BackupRepo`, whose caches (index, commits, names) serve them all."""

    def __init__(self, repo_dir: str | None) -> None:
        self.repo = BackupRepo(repo_dir)
        self.root = str(self.repo.root)

    def reopened(self) -> None:
        """After a commit of its own: HEAD moved, so the caches that name it are dropped."""
        self.repo = BackupRepo(self.root)

    def revision(self, rev: str | None) -> Revision:
        """The commit rev names (HEAD when None); UnknownRevision (one line) otherwise."""
        return _revision(self.repo, rev)

    def worktree_revision(self) -> Revision:
        """The work tree as the desired state of `apply`: based on HEAD, named so in plans and commits."""
        head = self.repo.head()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
        return Revision(head.sha, WORK_TREE, now)

    def worktree_paths(self, specs: Sequence[str]) -> list[str]:
        """Object files in the work tree (tracked or new, ignored ones left out) under the PATHs given
        (files or folders; all when none); a PATH naming nothing there is a UsageError."""
        repo = self.repo
        prefixes = [_relative(repo.root, s) for s in specs]
        out = repo.git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
        listed = sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})
        paths = [
            p for p in listed if (repo.root / p).is_file() and catalog.parse_path(p) and _under(p, prefixes)
        ]
        for spec, prefix in zip(specs, prefixes, strict=True):
            if not (repo.root / prefix).exists() and not any(
                _under(p, [prefix]) for p in self.committed_paths()
            ):
                raise UsageError(f"{spec}: no such file or folder in {repo.root}")
        return paths

    def removed_paths(self, specs: Sequence[str]) -> list[str]:
        """Committed object files (see committed_paths) under the PATHs given that the work tree lacks."""
        repo = self.repo
        prefixes = [_relative(repo.root, s) for s in specs]
        return [p for p in self.committed_paths() if _under(p, prefixes) and not (repo.root / p).is_file()]

    def worktree_texts(self, paths: Sequence[str]) -> list[str]:
        root = self.repo.root
        return [(root / p).read_text(encoding="utf-8", errors="surrogateescape") for p in paths]

    def committed_paths(self) -> list[str]:
        """Object files at HEAD or at the latest backup commit (a merged pull request may come after it)."""
        repo = self.repo
        revs = {repo.head().sha, *filter(None, [_last_backup(repo)])}
        return sorted({p for rev in revs for p in repo.index(rev)})

    def committed_text(self, paths: Sequence[str]) -> list[str | None]:
        """Texts of paths at HEAD, else at the latest backup commit (None when at neither)."""
        repo = self.repo
        texts = repo.read_many([f"{repo.head().sha}:{p}" for p in paths])
        backup = _last_backup(repo)
        missing = [i for i, t in enumerate(texts) if t is None]
        if backup and missing:
            for i, text in zip(
                missing, repo.read_many([f"{backup}:{paths[i]}" for i in missing]), strict=True
            ):
                texts[i] = text
        return texts

    def committed(self) -> Committed:
        """What work-tree files are checked against besides their own committed version (validate.Committed):
        the files at HEAD, then at the latest backup commit."""
        repo = self.repo
        return Committed(repo, [repo.head().sha, *filter(None, [_last_backup(repo)])])

    def connect(self, prompt: Callable[[str], None] | None = None) -> GraphClient:
        """A Graph client for the tenant the repository backs up, signed in as the restore app when
        entragit.yaml names one (`restore_client_id`, RESTORE_-prefixed credentials), else as the backup
        app."""
        cfg, env = config.load(self.repo.root).for_restore()
        return live.connect(cfg, env, prompt=prompt)

    def out_of_reach(self) -> list[ObjectType]:
        """The types the restore's sign-in cannot read or write: those Graph admits for a signed-in user
        only (catalog `delegated_only`) when the restore signs in as an app."""
        cfg, _env = config.load(self.repo.root).for_restore()
        return [] if cfg.signs_in_user else [t for t in catalog.CATALOG if t.delegated_only]

    def unreadable(self, types: Collection[ObjectType], client: GraphClient) -> list[str]:
        """One line per property of these types that the app cannot read (`live.Reader.unreadable`): a live
        read leaves it out, so a plan neither compares nor writes it, and says so."""
        reader = live.Reader(client, config.load(self.repo.root))
        names: dict[tuple[str, str], list[str]] = {}
        for t in sorted(types, key=lambda t: t.rank):
            for prop, permission in reader.unreadable(t).items():
                names.setdefault((prop, permission), []).append(t.name)
        return [
            f"{prop} of {', '.join(n)} not compared: the app lacks the Graph application permission {perm}"
            for (prop, perm), n in names.items()
        ]

    def read_live_many(self, keys: Sequence[tuple[ObjectType, str]], client: GraphClient) -> list[Live]:
        """The objects as a backup would write them now (soft-deleted copies included; None where Graph has
        none), in order; many objects of one type are read as a full backup reads them (history.tenant)."""
        return live_objects(self.repo, keys, client)

    def read_live_unlike(self, files: Mapping[Key, str], client: GraphClient) -> dict[Key, Live]:
        """The live objects a backup would not write as the texts given (None for those Graph has no more)."""
        return live_unlike(self.repo, files, client)

    def resolve(self, spec: str, rev: str | None) -> str:
        """Repository path of the object spec names at rev, also of objects removed before it."""
        return resolve_spec(self.repo, spec, rev)

    def resolve_then_and_now(self, spec: str, rev: str) -> str:
        """The object spec names at rev or at HEAD: an admin restoring to last week types the name the object
        has now, or had then. Both finding one object (through the id map, for one recreated since) is that
        object, at rev's path where it has one; two different objects are ambiguous, one line naming both."""
        repo = self.repo
        found: dict[str, str] = {}  # the object's last id → its path, rev's first
        missing: list[ObjectNotFound] = []
        for where in (rev, None):
            try:
                path = resolve_spec(repo, spec, where)
            except ObjectNotFound as exc:
                missing.append(exc)
                continue
            parsed = catalog.parse_path(path)
            found.setdefault(repo.successors().last(parsed[1]) if parsed else path, path)
        if not found:
            raise missing[0]
        if len(found) > 1:
            then, now = found.values()
            raise AmbiguousObject(
                f"'{spec}' names {then} at {rev[:8]} and {now} now: give a path or an id to say which"
            )
        return next(iter(found.values()))

    def object_paths(self, rev: str | None) -> list[str]:
        """Every object file at rev, except those of objects soft-deleted at rev (nothing to bring back)."""
        return sorted(p for p, e in self.repo.index(rev).items() if not e.deleted)

    def attachment(self, revision: Revision, path: str) -> bytes | None:
        """A binary file beside an object's file (catalog `attachments`) as the revision has it (the work
        tree's for `apply`), None when it has none."""
        if revision.short == WORK_TREE:
            target = Path(self.repo.root) / path
            return target.read_bytes() if target.is_file() else None
        return self.repo.read_blob(f"{revision.sha}:{path}")

    def read_files(self, rev: str, paths: Sequence[str]) -> list[str | None]:
        """Texts of paths at rev (None where the file does not exist there), in one git call."""
        return self.repo.read_many([f"{rev}:{p}" for p in paths])

    def extensions_defined(self, rev: str) -> frozenset[str]:
        """The directory extension names the application files at rev define (their extensionProperties)."""
        return frozenset(str(d.get("name")) for d in self.repo.extension_definitions(rev))

    def mentioning(self, rev: str, ids: Collection[str]) -> list[str]:
        """Object files at rev whose text holds any of ids (one `git grep`; the caller parses them)."""
        return self.repo.mentioning(rev, ids)

    def file_digests(self, rev: str, paths: Sequence[str]) -> dict[str, str]:
        """path → digest of its text at rev (`render.text_digest`), for the paths rev has; no text is kept."""
        return self.repo.digests_of(rev, paths, render.text_digest)

    def versions(self, path: str, rev: str | None) -> list[Version]:
        """Every committed version of path up to rev, newest first (removals left out)."""
        repo = self.repo
        found = [(c, p) for c, status, p in repo.file_log([path], rev) if status != "D"]
        texts = repo.read_many([f"{c.sha}:{p}" for c, p in found])
        return [
            Version(p, text, Revision(c.sha, c.short, c.when))
            for (c, p), text in zip(found, texts, strict=True)
            if text is not None
        ]

    def alive_until(self, path: str, alive: Callable[[str], bool]) -> Revision | None:
        """The last commit whose tree holds path's object alive (`alive` judges a version's text): the one
        before the change that marked it deleted or removed its file, HEAD when it is alive there, None when
        it never was. Not the commit of its last version: a backup commits only what changed, so the files
        of the objects that referred to it may have changed after."""
        newer: str | None = None
        for c, status, p in self.repo.file_log([path], None):
            text = self.repo.read(c.sha, p) if status != "D" else None
            if text is not None and alive(text):
                return self.revision(f"{newer}^" if newer else None)
            newer = c.sha
        return None

    def names(self, rev: str | None, ids: Collection[str] | None = None) -> dict[str, str]:
        """object id → display name at rev, to show linked ids by name."""
        return self.repo.names(rev, ids)

    def commit_file(self, paths: Sequence[str], message: str) -> str:
        """Commit these files of the repository (restored objects, the id map), leaving other work alone;
        the new HEAD (unchanged when the files already match it)."""
        after = Store.open(self.root).commit_paths(list(paths), message)
        self.reopened()
        return after

    def record_drift(self, data: Mapping[str, Any]) -> str | None:
        """Keep the result of a whole-tenant plan where `status` and `fleet` read it (repo.records); why it
        could not be kept (a read-only repository: a plan writes nothing else, so it runs), else None."""
        try:
            records.write(self.repo.git_dir, records.DRIFT, data)
        except OSError as exc:
            return exc.strerror or str(exc)
        return None

    @contextlib.contextmanager
    def locked(self, command: str) -> Iterator[None]:
        """The repository held for a command that writes the tenant and then records it: the lock a backup
        takes (another backup, restore or apply is refused, naming its holder), and room to record the
        result checked before anything is written to the tenant (a read-only or full disk is one line)."""
        store = Store.open(self.root)
        with store.locked(command):
            store.check_room()
            yield


def _revision(repo: BackupRepo, rev: str | None) -> Revision:
    c = repo.commit(rev)
    return Revision(c.sha, c.short, c.when)


def _relative(root: Path, spec: str) -> str:
    """A PATH argument as a repository path: relative to the current directory when it is there, else to
    the repository root."""
    here = (Path.cwd() / spec).absolute()
    if here.exists() and here.is_relative_to(root):
        return here.relative_to(root).as_posix()
    return Path(spec).as_posix().strip("/")


def _under(path: str, prefixes: Sequence[str]) -> bool:
    return not prefixes or any(p in ("", ".") or path == p or path.startswith(p + "/") for p in prefixes)


def _last_backup(repo: BackupRepo) -> str | None:
    out = repo.git("log", "-1", "--format=%H", "--grep=^backup ", "HEAD").decode().strip()
    return out or None
