"""The read side of a backup repository: what each object looked like at each commit, and when it changed.

Every query must stay fast on 100,000 object files and years of daily commits, so nothing here runs one git
command per object: a tree is read with one `ls-tree`, file contents with one `cat-file --batch`, and "last
changed" with one `git log --name-only` pass. Both the object index (path → id, type, names, deleted) and
the last-change map are cached for one commit under `.git/entragit/history/` (never tracked) and brought up
to date from the diff or log between the cached commit and HEAD, so a warm `ls` reads two JSON files.

The git CLI is run directly (not GitPython's object database, which costs a process or a Python zlib call per
object); `.git/entragit/` belongs to entragit, the rest of `.git` is only read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from entragit import canonical, catalog
from entragit.errors import EntragitError
from entragit.resolve import ObjectNotFound, looks_like_path, pick

CACHE_FORMAT = 2
# git keeps recently inflated delta bases in a cache of 96 MB by default; a history pass over a sharded
# 100k-file repository keeps re-inflating the same tree chains once that overflows: 3.9 s of CPU for
# `git log --name-only` over 100 commits at the default, 0.7 s at 256 MB (peak RSS 330 MB; only a cap).
DELTA_CACHE = "core.deltaBaseCacheLimit=256m"
PROGRESS_MIN = 20_000  # object files from which a cold index build is worth a progress line
WORKTREE_READ_MIN = 2000  # below this, one `cat-file --batch` is cheaper than listing the index


class HistoryError(EntragitError):
    """The repository cannot answer: not a git repository, no backup yet, a git failure."""


class UnknownRevision(EntragitError):
    """A revision the user gave does not name a commit of the repository."""


# --------------------------------------------------------------------------------------------------
# Plain data returned to the CLI


@dataclass(frozen=True)
class Commit:
    sha: str
    time: int  # committer date, seconds since the epoch

    @property
    def short(self) -> str:
        return self.sha[:8]

    @cached_property
    def iso(self) -> str:  # cached: `ls` formats one date per object but only one per commit is needed
        return datetime.fromtimestamp(self.time, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def when(self) -> str:
        """Human form, UTC, minute precision."""
        return datetime.fromtimestamp(self.time, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


class Entry(NamedTuple):
    """What listing and name resolution need about one object file, without loading the whole YAML.

    A NamedTuple because `ls` builds 100k of them from the cache: tuple construction is several times cheaper
    than a dataclass's __init__, and the cache row is the tuple itself.
    """

    path: str
    type: str
    id: str
    display_name: str | None
    identities: list[str]  # values of the type's identity fields beyond id/displayName (UPN, appId...)
    deleted: bool
    account_enabled: bool | None = None  # users only: what seat counting needs
    user_type: str | None = None
    licensed: bool | None = None
    # Ids the object is named by when its display field is itself a reference (a role assignment's
    # roleDefinitionId → principalId, a grant's clientId → resourceId): the display value first.
    refs: list[str] = []  # noqa: RUF012 (NamedTuple default, never mutated)

    @property
    def identity(self) -> str:
        return self.identities[0] if self.identities else ""

    def to_row(self) -> list[Any]:
        return list(self)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Entry:
        return cls._make(row)


class Listed(NamedTuple):
    entry: Entry
    last: Commit | None  # the most recent commit that changed the file

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "path": e.path,
            "type": e.type,
            "id": e.id,
            "displayName": e.display_name,
            "lastBackup": self.last.iso if self.last else None,
            "deleted": e.deleted,
        }


@dataclass(frozen=True)
class ObjectView:
    path: str
    type: str
    commit: Commit
    object: dict[str, Any]
    names: dict[str, str]  # id → display name for ids appearing in the object (members, owners...)


@dataclass(frozen=True)
class Version:
    commit: Commit
    path: str
    state: dict[str, Any] | None  # the object after this commit; None when the commit removed its file
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit.short, "date": self.commit.iso, "summary": self.summary}


@dataclass(frozen=True)
class Difference:
    path: str  # JSON pointer
    op: str  # add | remove | replace | unchanged (only with --all)
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Comparison:
    path: str
    type: str
    display_name: str | None
    a_label: str
    b_label: str
    a_exists: bool
    b_exists: bool
    differences: list[Difference]
    names: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Reading identity fields without a YAML parser
#
# The canonical writer puts identity fields first and quotes every string a YAML 1.1 or 1.2 reader could take
# for something else, so top-level scalars can be read from their line. Anything not provably exact (escapes,
# block scalars, tokens that might be numbers or booleans) makes the caller load the whole file instead.

_UNSURE = object()
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_SPECIAL_WORDS = {"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"}
_BOOLS = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False}


def _raw_field(text: str, key: str) -> tuple[str, str] | None:
    """(value text on the key's line, first char of the next line) for a top-level key, None if absent."""
    prefix = key + ":"
    if text.startswith(prefix):
        start = len(prefix)
    else:
        pos = text.find("\n" + prefix)
        if pos < 0:
            return None
        start = pos + 1 + len(prefix)
    if start < len(text) and text[start] not in " \n\r":
        return None  # a longer key that starts with this one
    end = text.find("\n", start)
    if end < 0:
        return text[start:].strip(), ""
    return text[start:end].strip(), text[end + 1 : end + 2]


def _scalar(raw: str) -> Any:
    if raw in ("", "null", "~", "Null", "NULL"):
        return None
    first = raw[0]
    if first == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner.replace("''", ""):
            return _UNSURE
        return inner.replace("''", "'")
    if first == '"':
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != '"' or '"' in inner or "\\" in inner:
            return _UNSURE
        return inner
    if raw in _BOOLS:
        return _BOOLS[raw]
    if first in "-+.0123456789":
        return raw if _GUID.match(raw) else _UNSURE
    if first in "[]{}!&*|>%@`#,?:" or raw.lower() in _SPECIAL_WORDS or " #" in raw or ": " in raw:
        return _UNSURE
    return raw


def _field(text: str, key: str) -> Any:
    """A top-level scalar's exact value, None if absent or null, _UNSURE if only a YAML parser can tell."""
    found = _raw_field(text, key)
    if found is None:
        return None
    raw, next_first = found
    if raw == "" and next_first in (" ", "-"):
        return _UNSURE  # a block collection
    return _scalar(raw)


def _licensed_from_text(text: str) -> Any:
    found = _raw_field(text, "assignedLicenses")
    if found is None:
        return False
    raw, next_first = found
    if raw in ("[]", "", "null"):
        return raw == "" and next_first in (" ", "-")
    if raw.startswith("["):
        return True
    return _UNSURE


# Identity fields a user types to name an object (besides id and display name) and `ls` shows.
NAMING_FIELDS = ("userPrincipalName", "appId", "mailNickname")


def _identity_fields(t: catalog.ObjectType) -> tuple[str, ...]:
    return tuple(f for f in t.identity if f in NAMING_FIELDS)


def summarize(path: str, t: catalog.ObjectType, text: str) -> Entry:
    """The index entry of one object file; loads the YAML only when the quick line reading cannot be exact."""
    user = t.name == "users"
    naming, ref_keys = _identity_fields(t), _ref_fields(t)
    user_keys = ("accountEnabled", "userType") if user else ()
    keys = tuple(dict.fromkeys(("id", t.display, *naming, *ref_keys, "deletedDateTime", *user_keys)))
    values = {k: _field(text, k) for k in keys}
    licensed = _licensed_from_text(text) if user else None
    if licensed is _UNSURE or any(v is _UNSURE for v in values.values()):
        try:
            obj = _load_text(text, path)
        except HistoryError:
            obj = {}  # a broken file must not hide every other object from `ls`; `show` names the problem
        values = {k: obj.get(k) for k in keys}
        licensed = bool(obj.get("assignedLicenses")) if user else None
    name = values.get(t.display)
    return Entry(
        path=path,
        type=t.name,
        id=str(values.get("id") or _stem(path)),
        display_name=name if isinstance(name, str) else None,
        identities=[str(values[k]) for k in naming if isinstance(values.get(k), (str, int))],
        deleted=is_deleted(values),
        account_enabled=values.get("accountEnabled"),
        user_type=values.get("userType"),
        licensed=licensed,
        refs=[str(values[k]) for k in ref_keys if isinstance(values.get(k), str)],
    )


def _stem(path: str) -> str:
    """The object id a file is named by (`users/ab/abcd.yaml` -> `abcd`)."""
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def _ref_fields(t: catalog.ObjectType) -> tuple[str, ...]:
    """For types named by references (display field ends in Id): the display field and the other id fields."""
    if not t.display.endswith("Id"):
        return ()
    return (t.display, *(f for f in t.identity if f.endswith("Id") and f not in ("id", t.display)))


def _load_text(text: str, where: str) -> dict[str, Any]:
    try:
        obj = canonical.load(text)
    except Exception as exc:  # a hand-edited or corrupted file: name it, do not crash
        raise HistoryError(f"{where}: not a valid object file ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise HistoryError(f"{where}: not a valid object file (top level is not a mapping)")
    return obj


def is_deleted(obj: Mapping[str, Any] | None) -> bool:
    return obj is not None and obj.get("deletedDateTime") not in (None, "")


# --------------------------------------------------------------------------------------------------
# The repository


def _catalog_fingerprint() -> str:
    parts = [f"{t.name}|{t.folder}|{','.join(t.identity)}|{t.shard}" for t in catalog.CATALOG]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


_DATE_REV = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?Z?\Z")


class BackupRepo:
    """One backup repository, read through the git CLI with per-commit caches."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        where = Path(directory or os.environ.get("ENTRAGIT_REPO") or ".")
        if not where.is_dir():
            raise HistoryError(f"{where}: no such directory (pass --repo DIR or set ENTRAGIT_REPO)")
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"],
            cwd=where,
            capture_output=True,
            text=True,
            env=_git_env(),
        )
        if proc.returncode != 0:
            raise HistoryError(f"{where} is not a backup repository (no git repository; run `entragit init`)")
        top, git_dir = proc.stdout.splitlines()[:2]
        self.root = Path(top)
        self.git_dir = Path(git_dir)
        self.cache_dir = self.git_dir / "entragit" / "history"
        self._types: dict[str, catalog.ObjectType | None] = {}
        self._singletons = {catalog.object_path(t, ""): t for t in catalog.CATALOG if t.singleton}
        self._head: Commit | None = None
        self._index: dict[str, dict[str, Entry]] = {}
        self._fingerprint = _catalog_fingerprint()
        # Told about slow first-time work (the CLI shows it on a terminal); silent by default.
        self.progress: Callable[[str], None] = lambda _msg: None

    # -- git plumbing ------------------------------------------------------------------------------

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        proc = subprocess.run(
            ["git", "--no-optional-locks", "-c", "core.quotepath=off", "-c", DELTA_CACHE, *args],
            cwd=self.root,
            input=input,
            capture_output=True,
            env=_git_env(),
        )
        if check and proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip().splitlines()
            raise HistoryError(f"git {args[0]} failed in {self.root}: {msg[-1] if msg else proc.returncode}")
        return proc.stdout

    def _succeeds(self, *args: str) -> bool:
        """Whether a git command that answers by its exit status says yes."""
        proc = subprocess.run(["git", *args], cwd=self.root, capture_output=True, env=_git_env())
        return proc.returncode == 0

    def _log(self, *args: str) -> Iterator[tuple[Commit, list[str]]]:
        """Each commit of a `git log` (newest first) with the file lines (`--name-only`/`--name-status`)."""
        out = self.git("log", "--format=\x01%H %ct", "--no-renames", *args)
        for record in out.decode("utf-8", errors="surrogateescape").split("\x01")[1:]:
            header, *lines = record.split("\n")
            sha, ts = header.split(" ")
            yield Commit(sha, int(ts)), [line for line in lines if line]

    def head(self) -> Commit:
        if self._head is None:
            out = self.git("log", "-1", "--format=%H %ct", "HEAD", check=False).decode().split()
            if len(out) != 2:
                raise HistoryError(f"{self.root} has no backup yet (no commit); run `entragit backup`")
            self._head = Commit(out[0], int(out[1]))
        return self._head

    def commit(self, rev: str | None = None) -> Commit:
        """The commit rev names: anything git accepts (sha, HEAD~2, tag) or a date (last commit by then)."""
        if rev is None or rev == "HEAD":
            return self.head()
        self.head()
        rev = rev.strip()
        if rev and not rev.startswith("-"):
            out = (
                self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
                .decode()
                .strip()
            )
            if out:
                return self._commit_of(out)
            if _DATE_REV.match(rev):
                # A day means its end; dates are UTC like every date entragit prints.
                before = rev.replace(" ", "T") if len(rev) > 10 else f"{rev}T23:59:59"
                before = before if before.endswith("Z") else before + "Z"
                sha = self.git("rev-list", "-1", f"--before={before}", "HEAD").decode().strip()
                if sha:
                    return self._commit_of(sha)
                raise UnknownRevision(f"no backup at or before {rev} in {self.root}")
        raise UnknownRevision(f"unknown revision '{rev}' in {self.root} (see `entragit versions OBJECT`)")

    def _commit_of(self, sha: str) -> Commit:
        out = self.git("log", "-1", "--format=%H %ct", sha).decode().split()
        return Commit(out[0], int(out[1]))

    def commits(self, rev: str = "HEAD") -> list[Commit]:
        """Every commit reachable from rev, newest first (topological order, so a child never follows)."""
        out = self.git("log", "--topo-order", "--format=%H %ct", self.commit(rev).sha).decode()
        return [Commit(s, int(t)) for s, t in (line.split() for line in out.splitlines() if line)]

    def object_type(self, path: str) -> catalog.ObjectType | None:
        """The catalog type of a repository path, None for files that are not object files.

        Memoised on (folder, first two characters of the name): all a non-singleton path's type depends on.
        """
        if not path.endswith(".yaml"):
            return None
        if path in self._singletons:
            return self._singletons[path]
        folder, _, name = path.rpartition("/")
        key = f"{folder}/{name[:2]}"
        if key not in self._types:
            self._types[key] = catalog.type_for_path(path)
        return self._types[key]

    def read_many(self, specs: Sequence[str]) -> list[str | None]:
        """Blob texts for `<sha>` or `<rev>:<path>` specs in one `git cat-file --batch`; None when absent."""
        if not specs:
            return []
        out = self.git("cat-file", "--batch", input=("\n".join(specs) + "\n").encode())
        results: list[str | None] = []
        pos = 0
        for _ in specs:
            nl = out.index(b"\n", pos)
            header = out[pos:nl].split(b" ")
            if len(header) != 3 or not header[2].isdigit():
                results.append(None)  # "<spec> missing" / "ambiguous"
                pos = nl + 1
                continue
            size = int(header[2])
            body = out[nl + 1 : nl + 1 + size]
            results.append(body.decode("utf-8") if header[1] == b"blob" else None)
            pos = nl + 1 + size + 1
        return results

    def read(self, rev: str, path: str) -> str | None:
        return self.read_many([f"{rev}:{path}"])[0]

    def load(self, rev: str, path: str) -> dict[str, Any] | None:
        text = self.read(rev, path)
        return None if text is None else _load_text(text, f"{path} at {rev[:8]}")

    # -- object index ------------------------------------------------------------------------------

    def _tree(self, sha: str) -> dict[str, str]:
        out = self.git("ls-tree", "-r", "-z", "--full-tree", sha)
        tree: dict[str, str] = {}
        for item in out.split(b"\0"):
            if not item:
                continue
            meta, _, raw_path = item.partition(b"\t")
            path = raw_path.decode("utf-8", errors="surrogateescape")
            parts = meta.split(b" ")
            if parts[1] == b"blob" and self.object_type(path) is not None:
                tree[path] = parts[2].decode()
        return tree

    def _diff(self, old: str, new: str) -> tuple[dict[str, str], list[str]]:
        """(changed or added object paths → new blob, removed object paths) between two commits."""
        out = self.git("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new)
        items = out.split(b"\0")
        changed: dict[str, str] = {}
        removed: list[str] = []
        for i in range(0, len(items) - 1, 2):
            meta = items[i].decode()
            path = items[i + 1].decode("utf-8", errors="surrogateescape")
            if not meta.startswith(":") or self.object_type(path) is None:
                continue
            _, new_mode, _, new_blob, status = meta[1:].split(" ")
            if status.startswith("D") or new_mode.startswith("160"):
                removed.append(path)
            else:
                changed[path] = new_blob
        return changed, removed

    def _clean_worktree_blobs(self, blobs: Mapping[str, str]) -> dict[str, str]:
        """Paths whose checked-out file provably holds the wanted blob: index entry has that blob id and
        `git diff-files` (stat comparison; anything doubtful is reported) does not list the path."""
        if not (self.root / ".git").exists():
            return {}
        staged: dict[str, str] = {}
        for item in self.git("ls-files", "-s", "-z").split(b"\0"):
            meta, _, raw = item.partition(b"\t")
            if raw:
                parts = meta.split(b" ")
                staged[raw.decode("utf-8", errors="surrogateescape")] = parts[1].decode()
        dirty = set(
            self.git("diff-files", "--name-only", "-z").decode("utf-8", "surrogateescape").split("\0")
        )
        return {p: b for p, b in blobs.items() if staged.get(p) == b and p not in dirty}

    def _read_blobs(self, blobs: Mapping[str, str]) -> dict[str, str | None]:
        """path → text of the given blobs; from the working tree where it is clean (no zlib, no delta chains:
        several times cheaper than `cat-file` for a whole tree), from the object database otherwise."""
        texts: dict[str, str | None] = {}
        clean = self._clean_worktree_blobs(blobs) if len(blobs) >= WORKTREE_READ_MIN else {}
        for path in clean:
            try:
                with open(self.root / path, "rb") as fh:
                    data = fh.read()
                texts[path] = data.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                pass
        rest = [p for p in blobs if p not in texts]
        texts.update(zip(rest, self.read_many([blobs[p] for p in rest]), strict=True))
        return texts

    def _summarize_blobs(self, blobs: Mapping[str, str]) -> dict[str, Entry]:
        texts = self._read_blobs(blobs)
        return self._summarize((path, texts.get(path)) for path in blobs)

    def _summarize(self, texts: Iterable[tuple[str, str | None]]) -> dict[str, Entry]:
        """path → Entry for each (path, text) of an object file that exists."""
        entries: dict[str, Entry] = {}
        for path, text in texts:
            t = self.object_type(path)
            if text is not None and t is not None:
                entries[path] = summarize(path, t, text)
        return entries

    def index(self, rev: str | None = None) -> dict[str, Entry]:
        """path → Entry for every object file at rev (HEAD by default), from the cache plus a diff."""
        target = self.commit(rev)
        if target.sha in self._index:
            return self._index[target.sha]
        cached = self._load_cache("index")
        entries: dict[str, Entry]
        if cached is not None and (cached["commit"] == target.sha or self._exists(cached["commit"])):
            entries = {row[0]: Entry.from_row(row) for row in cached["entries"]}
            if cached["commit"] != target.sha:
                changed, removed = self._diff(cached["commit"], target.sha)
                for path in removed:
                    entries.pop(path, None)
                entries.update(self._summarize_blobs(changed))
        else:
            tree = self._tree(target.sha)
            if len(tree) >= PROGRESS_MIN:
                self.progress(f"indexing {len(tree)} object files at {target.short} (cached afterwards)")
            entries = self._summarize_blobs(tree)
        if target.sha == self.head().sha and (cached is None or cached["commit"] != target.sha):
            self._save_cache(
                "index", {"commit": target.sha, "entries": [e.to_row() for e in entries.values()]}
            )
        self._index[target.sha] = entries
        return entries

    def _exists(self, sha: str) -> bool:
        return self._succeeds("cat-file", "-e", f"{sha}^{{commit}}")

    def removed_entries(self, rev: str | None = None) -> dict[str, tuple[Entry, Commit]]:
        """Object files in rev's history but not at rev: their last version and the commit removing them."""
        target = self.commit(rev)
        current = self.index(target.sha)
        removed: dict[str, Commit] = {}
        for commit, paths in self._log("--diff-filter=D", "--name-only", target.sha):
            for path in paths:
                if path not in removed and path not in current and self.object_type(path):
                    removed[path] = commit
        texts = self.read_many([f"{commit.sha}^:{path}" for path, commit in removed.items()])
        entries = self._summarize(zip(removed, texts, strict=True))
        return {path: (entry, removed[path]) for path, entry in entries.items()}

    # -- last change of every file -----------------------------------------------------------------

    def _log_names(self, *revs: str) -> tuple[list[Commit], dict[str, int]]:
        """One `git log --name-only` pass: commits (newest first) and, per path, its newest commit's index."""
        commits: list[Commit] = []
        latest: dict[str, int] = {}
        for commit, paths in self._log("--name-only", *revs):
            for path in paths:
                latest.setdefault(path, len(commits))
            commits.append(commit)
        return commits, latest

    def last_changes(self) -> dict[str, Commit]:
        """path → the most recent commit (up to HEAD) that changed it, for every path in HEAD's history."""
        head = self.head()
        cached = self._load_cache("last")
        commits: list[Commit]
        latest: dict[str, int]
        if cached is not None and cached["commit"] == head.sha:
            commits = [Commit(s, t) for s, t in cached["commits"]]
            latest = cached["paths"]
        else:
            if cached is not None and self._is_ancestor(cached["commit"], head.sha):
                new_commits, new_latest = self._log_names(f"{cached['commit']}..{head.sha}")
                commits = new_commits + [Commit(s, t) for s, t in cached["commits"]]
                shift = len(new_commits)
                latest = {p: i + shift for p, i in cached["paths"].items()}
                latest.update(new_latest)
            else:
                self.progress("reading the history of every file (one pass, cached afterwards)")
                commits, latest = self._log_names(head.sha)
            used = sorted(set(latest.values()))
            renumber = {old: new for new, old in enumerate(used)}
            commits = [commits[i] for i in used]
            latest = {p: renumber[i] for p, i in latest.items()}
            self._save_cache(
                "last",
                {"commit": head.sha, "commits": [[c.sha, c.time] for c in commits], "paths": latest},
            )
        return {p: commits[i] for p, i in latest.items()}

    def _is_ancestor(self, old: str, new: str) -> bool:
        return self._succeeds("merge-base", "--is-ancestor", old, new)

    def file_log(self, paths: Sequence[str], rev: str | None = None) -> list[tuple[Commit, str, str]]:
        """(commit, status letter, path) for each commit up to rev that touched one of paths, newest first."""
        result: list[tuple[Commit, str, str]] = []
        for commit, lines in self._log("--name-status", self.commit(rev).sha, "--", *paths):
            for line in lines:
                status, _, path = line.partition("\t")
                result.append((commit, status[:1], path))
        return result

    # -- cache files -------------------------------------------------------------------------------

    def _load_cache(self, name: str) -> dict[str, Any] | None:
        try:
            with open(self.cache_dir / f"{name}.json", encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return None
        if data.get("format") != CACHE_FORMAT or data.get("catalog") != self._fingerprint:
            return None
        return data

    def _save_cache(self, name: str, data: dict[str, Any]) -> None:
        """Best effort: a read-only checkout still answers, only slower next time."""
        data = {"format": CACHE_FORMAT, "catalog": self._fingerprint, **data}
        tmp = self.cache_dir / f"{name}.json.{os.getpid()}.tmp"
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            # json.dumps, not json.dump: only the former uses the C encoder (5x faster on 100k rows).
            tmp.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.cache_dir / f"{name}.json")
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    # -- object resolution -------------------------------------------------------------------------

    def resolve(self, spec: str, rev: str | None = None) -> str:
        """The path of the object spec names at rev; removed objects are found by their last version."""
        spec = spec.strip()
        if not spec:
            raise ObjectNotFound("empty object name")
        target = self.commit(rev)
        where = f"{self.root}" + (f" at {target.short}" if target.sha != self.head().sha else "")
        index = self.index(target.sha)
        if looks_like_path(spec):
            path = self._relative(spec)
            if path in index:
                return path
            if self.object_type(path) is not None and self.file_log([path], target.sha):
                return path
            raise ObjectNotFound(f"{spec}: no such object file in {where} or its history")
        found = pick(index.values(), spec, where)
        if found is not None:
            return found.path
        removed = self.removed_entries(target.sha)
        found = pick((e for e, _ in removed.values()), spec, f"{where} (removed objects)")
        if found is not None:
            return found.path
        raise ObjectNotFound(
            f"no object matches '{spec}' in {where} (tried path, id, userPrincipalName, appId and display "
            "name; see `entragit ls`)"
        )

    def _relative(self, spec: str) -> str:
        p = spec.replace("\\", "/")
        if os.path.isabs(p):
            with contextlib.suppress(ValueError):
                p = Path(p).resolve().relative_to(self.root.resolve()).as_posix()
        while p.startswith("./"):
            p = p[2:]
        return p

    def names(self, rev: str | None = None) -> dict[str, str]:
        """object id → display name, for showing members/owners by name."""
        return {e.id: e.display_name for e in self.index(rev).values() if e.display_name}


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    return env


# --------------------------------------------------------------------------------------------------
# Services used by the CLI


def list_objects(
    repo_dir: str | None,
    type_name: str | None = None,
    deleted: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Listed]:
    """Every object at HEAD (optionally one type; deleted=True only soft-deleted, False only live), sorted."""
    repo = BackupRepo(repo_dir)
    if progress is not None:
        repo.progress = progress
    wanted = catalog.by_name(type_name).name if type_name else None
    repo.head()
    # The history pass is a separate git process: run it while this thread reads the object index.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(repo.last_changes)
        index = repo.index()
        last = pending.result()
    order = {t.name: i for i, t in enumerate(catalog.CATALOG)}
    rows = [
        Listed(e, last.get(e.path))
        for e in index.values()
        if (wanted is None or e.type == wanted) and (deleted is None or e.deleted == deleted)
    ]
    if any(r.entry.refs for r in rows):
        names = repo.names()
        rows = [
            r._replace(entry=r.entry._replace(display_name=" → ".join(names.get(x, x) for x in r.entry.refs)))
            if r.entry.refs
            else r
            for r in rows
        ]
    rows.sort(key=lambda r: (order.get(r.entry.type, 999), (r.entry.display_name or "").lower(), r.entry.id))
    return rows


def show(repo_dir: str | None, spec: str, at: str | None = None) -> ObjectView:
    repo = BackupRepo(repo_dir)
    commit = repo.commit(at)
    path = repo.resolve(spec, commit.sha)
    obj = repo.load(commit.sha, path)
    if obj is None:
        gone = repo.file_log([path], commit.sha)
        when = f" (removed in {gone[0][0].short}, {gone[0][0].when})" if gone else ""
        raise ObjectNotFound(f"{path} does not exist at {at or 'HEAD'}{when}; see `entragit versions {spec}`")
    t = repo.object_type(path)
    return ObjectView(path, t.name if t else "", commit, obj, _names_for(repo, [obj], commit.sha))


def _names_for(repo: BackupRepo, objs: Iterable[Any], rev: str | None = None) -> dict[str, str]:
    ids: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if _GUID.match(v):
                ids.add(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for obj in objs:
        walk(obj)
    if not ids:
        return {}
    names = repo.names(rev)
    if rev is not None and rev != repo.head().sha:
        names = {**repo.names(), **names}
    return {i: names[i] for i in ids if i in names}


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested values as (dotted.path[i], scalar) pairs; empty containers stay as one pair, to be visible."""
    if isinstance(value, dict):
        if not value and prefix:
            return [(prefix, {})]
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        if not value:
            return [(prefix, [])]
        out = []
        for i, v in enumerate(value):
            out.extend(flatten(v, f"{prefix}[{i}]"))
        return out
    return [(prefix, value)]


def search(
    pairs: Iterable[tuple[str, Any]], text: str, names: Mapping[str, str] | None = None
) -> list[tuple[str, Any]]:
    """Pairs whose attribute path or value (or the name of an id value) contains text, ignoring case."""
    needle = text.lower()
    names = names or {}
    out = []
    for k, v in pairs:
        shown = format_value(v)
        extra = names.get(v, "") if isinstance(v, str) else ""
        if needle in k.lower() or needle in shown.lower() or needle in extra.lower():
            out.append((k, v))
    return out


def format_value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    return str(v)


# -- versions --------------------------------------------------------------------------------------


def _candidate_paths(repo: BackupRepo, path: str) -> list[str]:
    """The object's file in both the flat and the sharded layout, so history survives a change of layout."""
    t = repo.object_type(path)
    if t is None or t.singleton:
        return [path]
    oid = _stem(path)
    return sorted({path, f"{t.folder}/{oid}.yaml", f"{t.folder}/{oid[:2]}/{oid}.yaml"})


def _versions(repo: BackupRepo, path: str, rev: str | None = None) -> list[Version]:
    log = repo.file_log(_candidate_paths(repo, path), rev)
    # Group by commit: a layout change removes one path and adds another in the same commit.
    events: list[tuple[Commit, str | None]] = []
    for commit, status, changed in log:
        if events and events[-1][0].sha == commit.sha:
            if status != "D":
                events[-1] = (commit, changed)
            continue
        events.append((commit, None if status == "D" else changed))
    events.reverse()  # oldest first
    texts = repo.read_many([f"{c.sha}:{p}" for c, p in events if p is not None])
    it = iter(texts)
    states: list[dict[str, Any] | None] = []
    for c, p in events:
        if p is None:
            states.append(None)
        else:
            text = next(it)
            states.append(None if text is None else _load_text(text, f"{p} at {c.short}"))
    t = repo.object_type(path)
    lists = {r.name for r in t.relationships} if t else set()
    versions: list[Version] = []
    prev: dict[str, Any] | None = None
    seen = False
    for (c, p), state in zip(events, states, strict=True):
        versions.append(Version(c, p or path, state, summarize_change(prev, state, seen, lists)))
        seen = seen or state is not None
        prev = state
    versions.reverse()
    return versions


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
        return "restored (file re-added)" if existed else "created"
    parts: list[str] = []
    if not is_deleted(old) and is_deleted(new):
        parts.append("soft-deleted")
    elif is_deleted(old) and not is_deleted(new):
        parts.append("restored")
    for key in sorted(set(old) | set(new), key=lambda k: (k != "displayName", k)):
        a, b = old.get(key), new.get(key)
        if a == b or (key == "deletedDateTime" and is_deleted(old) != is_deleted(new)):
            continue
        if key == "displayName" and isinstance(a, str) and isinstance(b, str):
            parts.append(f'renamed "{a}" → "{b}"')
        elif (
            isinstance(a, (list, type(None)))
            and isinstance(b, (list, type(None)))
            and _scalars(a)
            and _scalars(b)
        ):
            ca, cb = Counter(map(_hashable, a or [])), Counter(map(_hashable, b or []))
            added, removed = sum((cb - ca).values()), sum((ca - cb).values())
            parts.append(f"{key} (+{added} −{removed})" if added or removed else f"{key} (reordered)")
        else:
            parts.append(key)
    if len(parts) > 6:
        parts = [*parts[:5], f"… {len(parts) - 5} more"]
    return ", ".join(parts) or "no attribute change"


def _scalars(v: list[Any] | None) -> bool:
    return all(not isinstance(x, (dict, list)) for x in v or [])


def _hashable(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


def versions(repo_dir: str | None, spec: str) -> tuple[str, list[Version]]:
    repo = BackupRepo(repo_dir)
    path = repo.resolve(spec)
    return path, _versions(repo, path)


# -- compare ---------------------------------------------------------------------------------------

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


LiveFetcher = Callable[[str, "catalog.ObjectType", str], "dict[str, Any] | None"]


def compare(
    repo_dir: str | None,
    spec: str,
    rev_a: str | None = None,
    rev_b: str | None = None,
    include_unchanged: bool = False,
    live: LiveFetcher | None = None,
) -> Comparison:
    """Two versions of one object: by default the one before the latest change against the latest.

    rev_b == "live" compares with the tenant now, through `live(repo_root, type, object_id)` (canonical form).
    """
    repo = BackupRepo(repo_dir)
    path = repo.resolve(spec)
    t = repo.object_type(path)
    history = _versions(repo, path)
    if not history:
        raise ObjectNotFound(f"{path} has no committed version in {repo.root}")
    a_obj: dict[str, Any] | None
    b_obj: dict[str, Any] | None
    if rev_a is None:
        b_ver = history[0]
        a_ver = history[1] if len(history) > 1 else None
        a_obj = a_ver.state if a_ver else None
        b_obj = b_ver.state
        a_label = f"{a_ver.commit.short} ({a_ver.commit.when})" if a_ver else "(nothing: first version)"
        b_label = f"{b_ver.commit.short} ({b_ver.commit.when})"
    else:
        a_obj, a_label = _state_at(repo, path, rev_a)
        if rev_b is None:
            b_obj, b_label = _state_at(repo, path, "HEAD")
        elif rev_b == "live":
            if live is None:
                raise HistoryError("comparing with the live tenant needs a Graph connection")
            oid = _stem(path)
            b_obj = live(str(repo.root), t, oid) if t else None
            b_label = "live"
        else:
            b_obj, b_label = _state_at(repo, path, rev_b)
    differences = diff(a_obj or {}, b_obj or {}, include_unchanged)
    name_src = b_obj or a_obj or {}
    return Comparison(
        path=path,
        type=t.name if t else "",
        display_name=name_src.get("displayName"),
        a_label=a_label,
        b_label=b_label,
        a_exists=a_obj is not None,
        b_exists=b_obj is not None,
        differences=differences,
        names=_names_for(repo, [d.old for d in differences] + [d.new for d in differences]),
    )


def _state_at(repo: BackupRepo, path: str, rev: str) -> tuple[dict[str, Any] | None, str]:
    """The object at rev (in whichever layout it had then) and the label naming that commit."""
    commit = repo.commit(rev)
    label = f"{commit.short} ({commit.when})"
    for p in _candidate_paths(repo, path):
        text = repo.read(commit.sha, p)
        if text is not None:
            return _load_text(text, f"{p} at {commit.short}"), label
    return None, label


# -- restore points --------------------------------------------------------------------------------


def restore_points(repo_dir: str | None, specs: Sequence[str]) -> tuple[list[tuple[str, str]], list[Commit]]:
    """Commits at which every given object exists and is not soft-deleted, newest first.

    Also returns (path, latest display name) of each object, for the caller to say what was matched.
    """
    repo = BackupRepo(repo_dir)
    paths = list(dict.fromkeys(repo.resolve(s) for s in specs))
    alive_at: list[dict[str, bool]] = []
    names: list[tuple[str, str]] = []
    for path in paths:
        found = _versions(repo, path)
        alive_at.append({v.commit.sha: v.state is not None and not is_deleted(v.state) for v in found})
        last = next((v.state for v in found if v.state), {})
        names.append((path, str(last.get("displayName") or _stem(path))))
    state = [False] * len(paths)
    points: list[Commit] = []
    for c in reversed(repo.commits()):
        for i, changes in enumerate(alive_at):
            if c.sha in changes:
                state[i] = changes[c.sha]
        if all(state):
            points.append(c)
    points.reverse()
    return names, points


# -- live ------------------------------------------------------------------------------------------


def fetch_live(repo_root: str, t: catalog.ObjectType, object_id: str) -> dict[str, Any] | None:
    """The object as the tenant has it now, in canonical form; None when Graph no longer has it.

    Reads exactly as a backup run does (same client from entragit.yaml + environment credentials, same
    $select, relationship reads and canonicalisation: the backup's own reader), so that an unchanged object
    compares equal to its latest file. A soft-deleted object is read from deletedItems and keeps the links of
    its file, as the backup keeps them.
    """
    from entragit import backup, config
    from entragit.graph.client import GraphError
    from entragit.store import Store

    cfg = config.load(repo_root)
    client = backup.build_client(cfg)
    try:
        reader = backup._Run(Store.open(repo_root), client, cfg, full=True, progress=None)
        sel = catalog.select_param(t)
        params = {"$select": reader._trim_select(t, sel)} if sel else None
        perm = reader._perm(t)

        def get(path: str) -> dict[str, Any] | None:
            try:
                return client.get(path, params, required_permission=perm)
            except GraphError as exc:
                if exc.status == 404:
                    return None
                raise

        raw = get(t.item_path(object_id))
        if raw is not None:
            linked = t.relationships and not t.singleton
            links = reader._read_relationships(t, [object_id], t.relationships)[object_id] if linked else {}
            return reader._canonical(t, raw, links)
        deleted = get(f"directory/deletedItems/{object_id}") if t.soft_delete_cast else None
        if deleted is None:
            return None
        return reader._canonical(t, deleted, reader._previous_links(t, catalog.object_path(t, object_id)))
    finally:
        client.close()
