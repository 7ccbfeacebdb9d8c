"""The read side of the backup repository: history through the git CLI, with per-commit caches.

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
import gc
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property, wraps
from pathlib import Path
from typing import Any, TypeVar, cast

from entragit import catalog
from entragit.errors import UsageError
from entragit.repo import git as gitcli
from entragit.repo import idmap
from entragit.repo.authorship import NOTES_REF, UNATTRIBUTED, parse_note
from entragit.repo.entries import Entry, load_text, summarize
from entragit.repo.git import RepoError, UnknownRevision
from entragit.repo.roles import BUILT_IN_ROLE_NAMES

NAMES_DIRECT_MAX = 50  # ids from which `names` reads the index rather than their files
DIGEST_CHUNK = 5000  # blobs read at a time when only a digest or a summary of each is kept
TREE_FROM = 200  # paths of one revision in a read_many from which its tree is listed to name blobs

CACHE_FORMAT = 3  # 3: index entries carry `mail` among their identities
# git keeps recently inflated delta bases in a cache of 96 MB by default; a history pass over a sharded
# 100k-file repository keeps re-inflating the same tree chains once that overflows: 3.9 s of CPU for
# `git log --name-only` over 100 commits at the default, 0.7 s at 256 MB (peak RSS 330 MB; only a cap).
DELTA_CACHE = "core.deltaBaseCacheLimit=256m"
PROGRESS_MIN = 20_000  # object files from which a cold index build is worth a progress line
WORKTREE_READ_MIN = 2000  # below this, one `cat-file --batch` is cheaper than listing the index


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def gc_paused(func: F) -> F:
    """Run func with the cyclic garbage collector off: building 100k index entries (tuples holding lists)
    otherwise triggers full collections over everything built so far, a third of a warm `ls`. What these
    functions build has no reference cycles, so nothing is left for the collector once it is back on."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return cast(F, wrapper)


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


@dataclass(frozen=True)
class LoggedCommit:
    commit: Commit
    author: str
    email: str
    message: str
    changes: list[tuple[str, str]]  # (status letter A/M/D, path) of every file the commit touched

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    def trailers(self, key: str) -> list[str]:
        """Values of `key: value` lines in the message's last paragraph (git's trailer block)."""
        last = self.message.rsplit("\n\n", 1)[-1]
        prefix = f"{key}: "
        return [line[len(prefix) :] for line in last.split("\n") if line.startswith(prefix)]


@dataclass(frozen=True)
class Attribution:
    """Who made the changes of one commit (repo.authorship): its author, unless the commit holds the changes
    no audit record explained, whose actors a later run may have named in the commit's note."""

    author: str  # `Name <email>`
    unattributed: bool
    notes: dict[str, str]  # path → `Name <email>`, from the note

    def actor(self, path: str) -> str:
        if self.unattributed:
            return self.notes.get(path, "unattributed")
        return self.author


def _catalog_fingerprint() -> str:
    parts = [f"{t.name}|{t.folder}|{','.join(t.identity)}|{t.shard}" for t in catalog.CATALOG]
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


# A UTC date or time; a time may carry an offset instead (`2026-11-01T09:00+01:00`, as other tools print).
_DATE_REV = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})([T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-](\d{2}):?(\d{2}))?)?Z?\Z"
)
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})\Z")


class InvalidDate(UsageError):
    """A revision shaped like a date that names no day or time of the calendar (2026-02-30, 25:00)."""


def _check_date(text: str) -> None:
    """Refuse a date-shaped revision that is not a real date, time and offset."""
    m = _DATE_REV.match(text)
    try:
        if m is None:
            raise ValueError(text)
        y, mo, d, _time, h, mi, sec, _offset, oh, om = m.groups()
        datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
        if oh is not None and (int(oh) > 23 or int(om) > 59):
            raise ValueError(text)
    except ValueError:
        raise InvalidDate(
            f"invalid date '{text}' (a backup date is YYYY-MM-DD, optionally with HH:MM and an offset)"
        ) from None


class BackupRepo:
    """One backup repository, read through the git CLI with per-commit caches."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        where = Path(directory or ".").absolute()  # errors name it
        if not where.is_dir():
            raise RepoError(f"{where}: no such directory (pass --repo DIR or set ENTRAGIT_REPO)")
        out = gitcli.run(where, "rev-parse", "--show-toplevel", "--absolute-git-dir", check=False).decode()
        if len(out.splitlines()) < 2:
            raise RepoError(f"{where} is not a backup repository (no git repository; run `entragit init`)")
        top, git_dir = out.splitlines()[:2]
        self.root = Path(top)
        self.git_dir = Path(git_dir)
        self.cache_dir = self.git_dir / "entragit" / "history"
        self._types: dict[str, catalog.ObjectType | None] = {}
        self._singletons = {catalog.object_path(t, ""): t for t in catalog.CATALOG if t.singleton}
        self._head: Commit | None = None
        self._index: dict[str, dict[str, Entry]] = {}
        self._successors: dict[str, idmap.Successors] = {}
        self._fingerprint = _catalog_fingerprint()
        # Told about slow first-time work (the CLI shows it on a terminal); silent by default.
        self.progress: Callable[[str], None] = lambda _msg: None

    # -- git plumbing ------------------------------------------------------------------------------

    def git(
        self, *args: str, input: bytes | None = None, check: bool = True, answers: tuple[int, ...] = (0,)
    ) -> bytes:
        """A read-only git command: no optional locks (a backup may be running), paths never quoted."""
        read_only = ("--no-optional-locks", "-c", "core.quotepath=off", "-c", DELTA_CACHE)
        return gitcli.run(self.root, *read_only, *args, input=input, check=check, answers=answers)

    def _succeeds(self, *args: str) -> bool:
        return gitcli.succeeds(self.root, *args)

    def _log(self, *args: str) -> Iterator[tuple[Commit, list[str]]]:
        """Each commit of a `git log` (newest first) with the file lines (`--name-only`/`--name-status`)."""
        out = self.git("log", "--format=\x01%H %ct", "--no-renames", *args)
        for record in out.decode("utf-8", errors="surrogateescape").split("\x01")[1:]:
            header, *lines = record.split("\n")
            sha, ts = header.split(" ")
            yield Commit(sha, int(ts)), [line for line in lines if line]

    def log_details(self, *args: str) -> Iterator[LoggedCommit]:
        """Each commit of a `git log` (newest first) with its author, message and `--name-status` lines, in
        one pass: what a report needs to say who changed what and whether a backup was complete."""
        fmt = "--format=\x01%H %ct\x1f%an\x1f%ae\x1f%B\x02"
        out = self.git("log", fmt, "--name-status", "--no-renames", self.head().sha, *args)
        for record in out.decode("utf-8", errors="surrogateescape").split("\x01")[1:]:
            header, _, files = record.partition("\x02")
            stamp, author, email, message = header.split("\x1f", 3)
            sha, ts = stamp.split(" ")
            changes = []
            for line in files.split("\n"):
                status, tab, path = line.partition("\t")
                if tab:
                    changes.append((status[:1], path))
            yield LoggedCommit(Commit(sha, int(ts)), author, email, message.strip(), changes)

    def _commits(self, *args: str, check: bool = True) -> list[Commit]:
        """The commits a `git log` with these arguments lists, newest first."""
        out = self.git("log", "--format=%H %ct", *args, check=check).decode()
        return [Commit(sha, int(ts)) for sha, ts in (line.split() for line in out.splitlines() if line)]

    def head(self) -> Commit:
        if self._head is None:
            found = self._commits("-1", "HEAD", check=False)
            if not found:
                raise RepoError(f"{self.root} has no backup yet (no commit); run `entragit backup`")
            self._head = found[0]
        return self._head

    def commit(self, rev: str | None = None) -> Commit:
        """The commit rev names: anything git accepts (sha, HEAD~2, tag) or a date (last commit by then)."""
        if rev is None or rev == "HEAD":
            return self.head()
        self.head()
        rev = rev.strip()
        if rev and not rev.startswith("-"):
            sha = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).strip()
            if sha:
                return self._commits("-1", sha.decode())[0]
            if _DATE_REV.match(rev):
                _check_date(rev)  # git's --before= reads 2026-13-45 as some date: refuse it instead
                # A day means its end; dates are UTC like every date entragit prints.
                before = rev.replace(" ", "T") if len(rev) > 10 else f"{rev}T23:59:59"
                before = before if _OFFSET.search(before) else before + "Z"
                found = self._commits("-1", f"--before={before}", "HEAD")
                if found:
                    return found[0]
                raise UnknownRevision(f"no backup at or before {rev} in {self.root}")
        raise UnknownRevision(f"unknown revision '{rev}' in {self.root} (see `entragit versions OBJECT`)")

    def commits(self, rev: str = "HEAD") -> list[Commit]:
        """Every commit reachable from rev, newest first (topological order, so a child never follows)."""
        return self._commits("--topo-order", self.commit(rev).sha)

    def attributions(self, shas: Iterable[str]) -> dict[str, Attribution]:
        """sha → who made its changes, for these commits, in one `git log --no-walk` (notes included)."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        fmt = f"--format=%x01%H%x00%an <%ae>%x00%(trailers:key={UNATTRIBUTED},valueonly)%x00%N"
        out = self.git(
            "log",
            "--no-walk=unsorted",
            "--stdin",
            f"--notes={NOTES_REF}",
            fmt,
            input="\n".join(wanted).encode(),
        ).decode("utf-8", "replace")
        found: dict[str, Attribution] = {}
        for record in out.split("\x01")[1:]:
            sha, author, unattributed, note = [*record.split("\x00"), "", "", ""][:4]
            found[sha] = Attribution(author, bool(unattributed.strip()), parse_note(note))
        return found

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

    def read_blob(self, spec: str) -> bytes | None:
        """The bytes of one `<rev>:<path>` (a binary file beside an object's file), None when absent."""
        out = self.git("cat-file", "--batch", input=(spec + "\n").encode())
        header, _, rest = out.partition(b"\n")
        parts = header.split(b" ")
        if len(parts) != 3 or not parts[2].isdigit():
            return None
        return rest[: int(parts[2])]

    def read_many(self, specs: Sequence[str]) -> list[str | None]:
        """Blob texts for `<sha>` or `<rev>:<path>` specs in one `git cat-file --batch`; None when absent.

        git resolves each `<rev>:<path>` by walking the trees down from the commit: at 100k files that is ten
        times the cost of reading the blobs (27 s against 3). Many paths of one revision are therefore
        turned into blob ids through one listing of its tree first."""
        if not specs:
            return []
        revs = Counter(spec.partition(":")[0] for spec in specs if ":" in spec)
        trees = {rev: self._tree(rev) for rev, n in revs.items() if n >= TREE_FROM}
        if trees:
            specs = [
                trees[rev].get(path, spec) if rev in trees else spec
                for spec in specs
                for rev, _, path in [spec.partition(":")]
            ]
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

    def digests_of(self, sha: str, paths: Sequence[str], digest: Callable[[bytes], str]) -> dict[str, str]:
        """digest(text) of each path's file at commit sha (paths it lacks are left out), read as the index
        reads a revision (`_texts`): a whole-tenant plan asks which files a backup would now write
        differently, and needs no text held for that."""
        tree = self._tree(sha)
        blobs = {path: tree[path] for path in paths if path in tree}
        return {path: digest(text.encode("utf-8")) for path, text in self._texts(blobs) if text is not None}

    def files_of(self, sha: str, ids: Iterable[str]) -> list[tuple[catalog.ObjectType, str, str]]:
        """(type, path, text) of the object files the ids have at commit sha, read directly: a file per
        candidate type in one `cat-file`, no index built (seconds on a fresh clone of 100k files)."""
        candidates = list(
            dict.fromkeys(
                (t, catalog.object_path(t, i))
                for i in ids
                if i and "/" not in i and i not in (".", "..")
                for t in catalog.CATALOG
                if not t.singleton
            )
        )
        texts = self.read_many([f"{sha}:{p}" for _t, p in candidates])
        return [(t, p, text) for (t, p), text in zip(candidates, texts, strict=True) if text is not None]

    def mentioning(self, sha: str, needles: Collection[str]) -> list[str]:
        """Object files at commit sha whose text holds any of needles (ids), in one `git grep` over the tree:
        who referred to an object that a restore brings back under a new id. Reading every file to parse it
        would cost seconds at 100k objects; the fixed-string search costs a fraction of that, and the few
        files it finds are parsed by the caller, which checks where the id stands."""
        if not needles:
            return []
        out = self.git(
            "grep",
            "-l",
            "-z",
            "-F",
            "-I",
            "-f",
            "-",
            sha,
            input="\n".join(sorted(needles)).encode(),
            answers=(0, 1),
        )
        prefix = f"{sha}:"
        paths = (p.removeprefix(prefix) for p in out.decode("utf-8", "surrogateescape").split("\0") if p)
        return sorted(p for p in paths if catalog.parse_path(p) is not None)

    def extension_definitions(self, sha: str) -> list[dict[str, Any]]:
        """Every directory extension definition the application files at commit sha keep (their
        extensionProperties): the names a plan takes for its objects' extension values where Graph's
        discovery shows none, and those a restore clears. One `git grep` finds the few files holding any."""
        folder = catalog.by_name("applications").folder + "/"
        out = self.git("grep", "-l", "-z", "^extensionProperties:", sha, "--", folder, answers=(0, 1))
        paths = [p.removeprefix(f"{sha}:") for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
        found: list[dict[str, Any]] = []
        for path, text in zip(paths, self.read_many([f"{sha}:{p}" for p in paths]), strict=True):
            items = (load_text(text, path).get("extensionProperties") if text else None) or []
            found += [i for i in items if isinstance(i, dict)]
        return found

    def read(self, rev: str, path: str) -> str | None:
        return self.read_many([f"{rev}:{path}"])[0]

    def load(self, rev: str, path: str) -> dict[str, Any] | None:
        text = self.read(rev, path)
        return None if text is None else load_text(text, f"{path} at {rev[:8]}")

    def successors(self, rev: str | None = None) -> idmap.Successors:
        """The id map at rev (HEAD by default): which recreated object succeeds which hard-deleted one."""
        sha = self.commit(rev).sha
        if sha not in self._successors:
            where = f"{idmap.FILE} at {sha[:8]}"
            self._successors[sha] = idmap.parse(self.read(sha, idmap.FILE), where)
        return self._successors[sha]

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

    def _read_blobs(self, blobs: Mapping[str, str], clean: Collection[str]) -> dict[str, str | None]:
        """path → text of the given blobs; from the working tree where it is clean (no zlib, no delta chains:
        several times cheaper than `cat-file` for a whole tree), from the object database otherwise."""
        texts: dict[str, str | None] = {}
        root = f"{self.root}{os.sep}"
        for path in blobs:
            if path in clean:
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    texts[path] = _read_file(root + path).decode("utf-8")
        rest = [p for p in blobs if p not in texts]
        texts.update(zip(rest, self.read_many([blobs[p] for p in rest]), strict=True))
        return texts

    def _texts(self, blobs: Mapping[str, str]) -> Iterator[tuple[str, str | None]]:
        """(path, text) of the given blobs, DIGEST_CHUNK at a time, for callers that keep only a summary or a
        digest of each: the first index of a 100k-file revision held every text at once (330 MB)."""
        clean = self._clean_worktree_blobs(blobs) if len(blobs) >= WORKTREE_READ_MIN else {}
        paths = list(blobs)
        for start in range(0, len(paths), DIGEST_CHUNK):
            part = {path: blobs[path] for path in paths[start : start + DIGEST_CHUNK]}
            texts = self._read_blobs(part, clean)
            yield from ((path, texts.get(path)) for path in part)

    def _summarize_blobs(self, blobs: Mapping[str, str]) -> dict[str, Entry]:
        return self._summarize(self._texts(blobs))

    def _summarize(self, texts: Iterable[tuple[str, str | None]]) -> dict[str, Entry]:
        """path → Entry for each (path, text) of an object file that exists."""
        entries: dict[str, Entry] = {}
        for path, text in texts:
            t = self.object_type(path)
            if text is not None and t is not None:
                entries[path] = summarize(path, t, text)
        return entries

    @gc_paused
    def index(self, rev: str | None = None) -> dict[str, Entry]:
        """path → Entry for every object file at rev (HEAD by default), from the cache plus a diff."""
        target = self.commit(rev)
        if target.sha in self._index:
            return self._index[target.sha]
        cached = self._load_cache(
            "index", lambda d: (str(d["commit"]), {row[0]: Entry.from_row(row) for row in d["entries"]})
        )
        cached_commit = cached[0] if cached is not None else None
        entries: dict[str, Entry]
        if cached is not None and (cached[0] == target.sha or self._exists(cached[0])):
            entries = cached[1]
            if cached[0] != target.sha:
                changed, removed = self._diff(cached[0], target.sha)
                for path in removed:
                    entries.pop(path, None)
                entries.update(self._summarize_blobs(changed))
        else:
            tree = self._tree(target.sha)
            if len(tree) >= PROGRESS_MIN:
                self.progress(f"indexing {len(tree)} object files at {target.short} (cached afterwards)")
            entries = self._summarize_blobs(tree)
        if target.sha == self.head().sha and cached_commit != target.sha:
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

    @gc_paused
    def last_changes(self) -> dict[str, Commit]:
        """path → the most recent commit (up to HEAD) that changed it, for every path in HEAD's history."""
        head = self.head()
        cached = self._load_cache("last", _parse_last)
        commits: list[Commit]
        latest: dict[str, int]
        if cached is not None and cached[0] == head.sha:
            _, commits, latest = cached
        else:
            if cached is not None and self.is_ancestor(cached[0], head.sha):
                new_commits, new_latest = self._log_names(f"{cached[0]}..{head.sha}")
                commits = new_commits + cached[1]
                shift = len(new_commits)
                latest = {p: i + shift for p, i in cached[2].items()}
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

    def is_ancestor(self, old: str, new: str) -> bool:
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

    def _load_cache(self, name: str, parse: Callable[[dict[str, Any]], T]) -> T | None:
        """The cache file parsed, or None when it is missing, of another format or damaged in any way: it
        is only a cache, so anything wrong with it (a hand edit, another version's rows) means rebuild."""
        try:
            with open(self.cache_dir / f"{name}.json", encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("format") != CACHE_FORMAT or data.get("catalog") != self._fingerprint:
                return None
            return parse(data)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None

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

    def names(self, rev: str | None = None, ids: Collection[str] | None = None) -> dict[str, str]:
        """object id → display name, for showing members/owners by name (built-in roles by their template id:
        backups keep custom role definitions only). Given a few `ids`, only their files are read: a plan of
        one object on a fresh clone should not build the whole index to name three members. The id of a
        recreated object's predecessor is named as its successor is (the id map's)."""
        names = dict(BUILT_IN_ROLE_NAMES)
        successors = self.successors(rev)
        if ids is not None and len(ids) <= NAMES_DIRECT_MAX:
            last = {i: successors.last(i) for i in ids}
            for t, path, text in self.files_of(self.commit(rev).sha, {*ids, *last.values()}):
                entry = summarize(path, t, text)
                if entry.display_name:
                    names[entry.id] = entry.display_name
        else:
            names.update((e.id, e.display_name) for e in self.index(rev).values() if e.display_name)
            last = successors.last_ids
        for old, new in last.items():
            if old not in names and new in names:
                names[old] = names[new]
        return names


def _parse_last(data: dict[str, Any]) -> tuple[str, list[Commit], dict[str, int]]:
    """(commit, commits newest first, path → index into commits) of the last-change cache; raises if bad."""
    commits = [Commit(str(sha), int(t)) for sha, t in data["commits"]]
    paths: dict[str, int] = data["paths"]
    if not all(isinstance(i, int) and 0 <= i < len(commits) for i in paths.values()):
        raise ValueError("last-change cache points outside its commit list")
    return str(data["commit"]), commits, paths


def _read_file(path: str) -> bytes:
    """A whole file through os.open/os.read: a third of the cost of Path.read_bytes, which matters when a
    cold `ls` reads 100,000 small object files (1.4 s → 0.4 s)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(fd, 1 << 16)]
        while len(chunks[-1]) == 1 << 16:
            chunks.append(os.read(fd, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(fd)
