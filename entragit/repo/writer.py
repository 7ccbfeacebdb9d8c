"""The write side of the backup repository: files in a git work tree, one commit per backup run.

History is read back by `entragit.repo.reader`; both run git through `entragit.repo.git`.

Everything goes through the git CLI, never GitPython's `index.add` per file: git's own commands stage 100k
paths in seconds where the pure-Python index takes minutes. Only touched paths are written and
staged, so a run where 1% of objects changed costs about 1% of a full one.

Interruption safety: before the first file is written, the list of paths about to change is saved in
`.git/entragit/run.lock`. The marker is removed only after the commit. If a run dies in between, the next run
finds the marker and puts exactly those paths back to HEAD before doing anything else, so the work tree never
keeps a half-written snapshot and a partial run can never be committed by accident.

Incremental state (delta links, content digests) lives in `.git/entragit/state/` (`repo.state`), outside
the tracked tree: it never shows in a diff, and losing it only costs a full listing. It is tied to the HEAD it
was written for; if HEAD moved behind entragit's back (a manual commit, a reset) the state is ignored.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import IO, Any

import git
from git.exc import InvalidGitRepositoryError, NoSuchPathError

from entragit.repo import git as gitcli
from entragit.repo.authorship import NOTES_REF, ident
from entragit.repo.git import RepoError
from entragit.repo.state import StateFiles

try:  # POSIX advisory lock; on other systems the lock file alone guards (best effort)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

STATE_DIR = "entragit"
RUN_MARKER = "run.lock"
LOCK_FILE = "lock"
PENDING_REF = "refs/entragit/pending"  # the commit being built, until the work tree has been moved to it
TMP_SUFFIX = ".entragit-tmp"
# What a file system says when it will not take a backup's writes (other OSErrors are not about the disk).
_WRITE_REFUSED = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO}

_DEFAULT_IDENTITY = {
    "GIT_AUTHOR_NAME": "entragit",
    "GIT_AUTHOR_EMAIL": "entragit@localhost",
    "GIT_COMMITTER_NAME": "entragit",
    "GIT_COMMITTER_EMAIL": "entragit@localhost",
}


@dataclass(frozen=True)
class Author:
    """Who a commit is authored by when it is not the repository's identity (an audited actor)."""

    name: str
    email: str
    time: int | None = None  # author date, seconds since the epoch; None: now


@dataclass(frozen=True)
class Part:
    """One commit of a run: its message, its author (None: the repository's identity) and its paths (None:
    every touched path no other part names)."""

    message: str
    paths: frozenset[str] | None = None
    author: Author | None = None


def _atomic_write(path: Path, data: bytes, *, sync: bool = False) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    with open(tmp, "wb") as fh:
        fh.write(data)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    """A backup repository rooted at `root` (a git work tree)."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        if repo.working_tree_dir is None:
            raise RepoError(
                f"{repo.git_dir}: a bare repository cannot hold backups; use a clone with a work tree"
            )
        self.root = Path(repo.working_tree_dir)
        self._root = str(self.root)  # (string joins: an incremental run reads a thousand files by path)
        self.state_dir = Path(repo.git_dir) / STATE_DIR
        self._state = StateFiles(self.state_dir, partial(_atomic_write, sync=True))
        self._lock_fh: IO[str] | None = None
        self.recovered: list[str] = []  # paths an interrupted earlier run left, put back by `session`

    # ------------------------------------------------------------------ opening

    @classmethod
    def init(cls, directory: str | Path) -> Store:
        """Open the git repository at `directory`, creating it (and the directory) if needed."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        try:
            repo = git.Repo(path)
            if Path(repo.working_tree_dir or "").resolve() != path.resolve():
                # Inside someone else's work tree: the backup gets its own repository.
                repo = git.Repo.init(path)
        except InvalidGitRepositoryError:
            repo = git.Repo.init(path)
        store = cls(repo)
        store._configure()
        return store

    @classmethod
    def open(cls, directory: str | Path) -> Store:
        path = Path(directory).absolute()
        try:
            repo = git.Repo(path)
        except NoSuchPathError:
            raise RepoError(
                f"{path}: no such directory; create a backup repository there with "
                f"`entragit init --repo {path} --tenant-id TENANT --client-id CLIENT`"
            ) from None
        except InvalidGitRepositoryError:
            with contextlib.suppress(InvalidGitRepositoryError, NoSuchPathError):
                outer = git.Repo(path, search_parent_directories=True).working_tree_dir
                if outer and (Path(outer) / "entragit.yaml").exists():
                    raise RepoError(
                        f"{path} is inside the backup repository {outer}; run there or pass --repo {outer}"
                    ) from None
            raise RepoError(
                f"{path}: not a backup repository; create one with "
                "`entragit init --tenant-id TENANT --client-id CLIENT` in it (or pass --repo)"
            ) from None
        return cls(repo)

    def _configure(self) -> None:
        """Settings that keep git fast with tens of thousands of files and readable with unicode names."""
        with self.repo.config_writer() as cw:
            cw.set_value("feature", "manyFiles", "true")
            cw.set_value("core", "quotepath", "false")
        self.state_dir.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ git helpers

    def _git(self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
        """Run one git command in the work tree (see entragit.repo.git)."""
        return gitcli.run(self.root, *args, input=stdin, extra_env=env).decode("utf-8", "surrogateescape")

    def head(self) -> str | None:
        out = gitcli.run(self.root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
        return out.decode().strip() or None

    def _identity_env(self) -> dict[str, str]:
        """CI machines often have no git identity: commit as `entragit` then, rather than fail the backup.

        git itself is asked (its configuration files, GIT_CONFIG_GLOBAL and the like are its business)."""
        configured = [
            gitcli.run(self.root, "config", "--get", key, check=False).strip()
            for key in ("user.name", "user.email")
        ]
        if all(configured):
            return {}
        env = {k: v for k, v in _DEFAULT_IDENTITY.items() if not os.environ.get(k)}
        if os.environ.get("EMAIL"):
            env.pop("GIT_AUTHOR_EMAIL", None)
            env.pop("GIT_COMMITTER_EMAIL", None)
        return env

    # ------------------------------------------------------------------ files

    def read_text(self, relpath: str) -> str | None:
        try:
            with open(os.path.join(self._root, relpath), encoding="utf-8") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def read_bytes(self, relpath: str) -> bytes | None:
        """The work tree's bytes at relpath; None where there is no file."""
        return _read_bytes(os.path.join(self._root, relpath))

    def tracked_files(self, folders: Sequence[str]) -> list[str]:
        """Paths tracked under these folders (one `git ls-files` for all)."""
        if not folders:
            return []
        out = self._git("ls-files", "-z", "--", *[f.rstrip("/") + "/" for f in folders])
        return [p for p in out.split("\0") if p]

    def holding(self, folder: str, keys: Sequence[str]) -> list[str]:
        """Tracked files under folder whose top-level key among keys holds something other than null or an
        empty list: two `git grep`s of the work tree (files with the key, less those where it holds nothing;
        a top-level key is on one line of a file), where reading every file to find the few holding a value
        costs seconds at 100k objects (every application's file says `extensionProperties: []`: parsing the
        2,000 of them cost a no-change run a CPU-second)."""
        if not keys:
            return []
        names = "|".join(re.escape(k) for k in keys)

        def grep(pattern: str) -> set[str]:
            where = folder.rstrip("/") + "/"
            out = gitcli.run(self.root, "grep", "-l", "-z", "-E", pattern, "--", where, answers=(0, 1))
            return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}

        return sorted(grep(f"^({names}):") - grep(f"^({names}): (null|\\[\\])$"))

    def all_tracked(self) -> list[str]:
        """Every path in the index (one `git ls-files`; equals HEAD's after check_clean)."""
        return [p for p in self._git("ls-files", "-z").split("\0") if p]

    def commit_paths(self, paths: Sequence[str], message: str) -> str:
        """Commit exactly these paths (e.g. entragit.yaml at init), leaving other staged work alone.

        Nothing to commit (the files already match HEAD) is not an error: HEAD is returned. A path already
        removed with `git rm` (in neither the work tree nor the index: a merged pull request that deleted an
        object's file, then `apply --prune`) is committed as the deletion it is: `git add` would refuse it."""
        indexed = {p for p in self._git("ls-files", "-z", "--", *paths).split("\0") if p}
        present = [p for p in paths if p in indexed or (self.root / p).exists()]
        if present:
            self._git("add", "-A", "--", *present)
        if self.head() and not self._git("diff", "--cached", "--name-only", "HEAD", "--", *paths).strip():
            return self.head() or ""
        self._git("commit", "-q", "--no-verify", "-m", message, "--", *paths, env=self._identity_env())
        return self.head() or ""

    # ------------------------------------------------------------------ run session

    @contextlib.contextmanager
    def session(self, folders: Sequence[str]) -> Iterator[Store]:
        """Exclusive use of the repository for one backup run (`locked`): repairs what an interrupted
        earlier run left behind, and refuses to start if the user has their own uncommitted edits in the
        folders the backup writes (they would be overwritten or swept into the backup commit)."""
        with self.locked("backup"), _writes_to(self.root):
            self.recovered = self.recover()
            self.check_clean(folders)
            yield self

    @contextlib.contextmanager
    def locked(self, command: str) -> Iterator[Store]:
        """Exclusive use of the repository for one command that writes it (a backup, a restore, an apply):
        two of them at once would each see the other's files in the work tree (a backup's commit then fails
        with "the files on disk do not match"). Takes the lock, naming the command in it for the message
        another one prints; a repository that cannot be written is one line here, before the command does
        anything."""
        with _writes_to(self.root):
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._acquire_lock(command)
        try:
            yield self
        finally:
            self._release_lock()

    def check_room(self, size: int = 1 << 20) -> None:
        """Fail (one line) unless `size` bytes can be written into the repository now: a command that
        writes the tenant first and records it after checks that it will be able to record (a full disk,
        a quota) before its first write."""
        probe = self.state_dir / f"room.{os.getpid()}{TMP_SUFFIX}"
        try:
            with _writes_to(self.root):
                fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    _write_all(fd, bytes(size))
                    os.fsync(fd)
                finally:
                    os.close(fd)
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()

    def _acquire_lock(self, command: str) -> None:
        fh = open(self.state_dir / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 (held across the session)
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                other, holder = _lock_holder(fh.read())
                fh.close()
                raise RepoError(
                    f"{self.root}: another entragit {other} is running in this repository{holder}"
                ) from None
        # Who holds it, for the message another run prints (the lock is the flock, not this text).
        fh.seek(0)
        fh.truncate()
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": int(time.time())}
        fh.write(json.dumps({**me, "command": command}))
        fh.flush()
        self._lock_fh = fh

    def _release_lock(self) -> None:
        if self._lock_fh is not None:
            if fcntl is not None:
                fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def recover(self) -> list[str]:
        """Undo the file writes of a run that was killed before its commit; returns the paths restored."""
        marker = self.state_dir / RUN_MARKER
        if not marker.exists():
            return []
        paths = _marker_paths(marker.read_text(encoding="utf-8", errors="surrogateescape"))
        self._restore_paths(paths)
        with contextlib.suppress(RepoError):
            self._git("update-ref", "-d", PENDING_REF)
        marker.unlink()
        return paths

    def _restore_paths(self, paths: Sequence[str]) -> None:
        """Put these paths back to HEAD in the index and the work tree (removing those HEAD lacks)."""
        paths = sorted(set(paths))
        if not paths:
            return
        in_head = self._paths_in_head(paths)
        tracked = [p for p in paths if p in in_head]
        untracked = [p for p in paths if p not in in_head]
        if tracked:
            self._git(
                "checkout", "HEAD", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=_nul(tracked)
            )
        if untracked:
            self._git(
                "rm",
                "-q",
                "--cached",
                "--ignore-unmatch",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
                stdin=_nul(untracked),
            )
            for p in untracked:
                with contextlib.suppress(FileNotFoundError):
                    (self.root / p).unlink()
                self._prune_empty_dirs(p)

    def _prune_empty_dirs(self, relpath: str) -> None:
        """Remove the folders an undone first write created (an interrupted first run leaves no trace)."""
        parent = (self.root / relpath).parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone)
                if parent.exists():
                    return
            parent = parent.parent

    def _paths_in_head(self, paths: Sequence[str]) -> set[str]:
        if self.head() is None:
            return set()
        out = self._git("cat-file", "--batch-check", stdin="".join(f"HEAD:{p}\n" for p in paths).encode())
        return {p for p, line in zip(paths, out.splitlines(), strict=True) if not line.endswith(" missing")}

    def check_clean(self, folders: Sequence[str]) -> None:
        """Refuse to run over the user's own uncommitted work in the backup's folders or in the index."""
        out = self._git("status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames")
        prefixes = tuple(f.rstrip("/") + "/" for f in folders)
        staged: list[str] = []
        edited: list[str] = []
        for entry in out.split("\0"):
            if len(entry) < 4:
                continue
            x, y, path = entry[0], entry[1], entry[3:]
            if x not in (" ", "?"):
                staged.append(path)
            elif y != " " and path.startswith(prefixes):
                edited.append(path)
        if staged:
            raise RepoError(
                f"{self.root}: {len(staged)} staged change(s) in the index (e.g. {staged[0]}); "
                "commit or unstage them before a backup"
            )
        if edited:
            raise RepoError(
                f"{self.root}: {len(edited)} uncommitted edit(s) in backed-up files (e.g. {edited[0]}); "
                "commit or discard them (git checkout -- PATH) before a backup"
            )

    # ------------------------------------------------------------------ snapshot

    def snapshot(self) -> Snapshot:
        """A new commit built while a backup run produces files (see Snapshot)."""
        return Snapshot(self)

    def write_snapshot(
        self, files: Mapping[str, str | None], message: str, *, compared: bool = False
    ) -> str | None:
        """Commit these file changes as one commit and update the work tree; None when nothing changed.

        `files` maps repo paths to their new text, or to None for a file to delete. Paths whose bytes already
        match are left out (`compared=True`: the caller already did that).
        """
        snap = self.snapshot()
        try:
            for relpath, text in files.items():
                if text is None:
                    snap.delete(relpath)
                    continue
                data = text.encode("utf-8")
                if not compared and _read_bytes(os.path.join(self.root, relpath)) == data:
                    continue
                snap.put(relpath, data)
            return snap.commit(message)
        finally:
            snap.close()

    # ------------------------------------------------------------------ incremental state

    def load_state(self, folders: Sequence[str] = ()) -> dict[str, Any]:
        """The incremental state if it still describes the files, else an empty one (→ full listing).

        It was written for one HEAD. Commits made since on top of it that change nothing in `folders` (a
        report, a README, CI templates) leave the backed-up files as the state knows them, so it still holds;
        any other move of HEAD (a reset, an edit of an object file, a restore's commit) discards it."""
        try:
            state = self._state.load()
        except (FileNotFoundError, ValueError):
            return {}
        if not isinstance(state, dict) or not self._state_holds(str(state.get("head")), folders):
            return {}
        types = state.get("types")
        return {"head": state["head"], "types": types if isinstance(types, dict) else {}}

    def _state_holds(self, state_head: str, folders: Sequence[str]) -> bool:
        head = self.head()
        if state_head == head:
            return True
        if (
            not folders
            or head is None
            or not gitcli.succeeds(self.root, "merge-base", "--is-ancestor", state_head, head)
        ):
            return False
        changed = self._git(
            "diff", "--name-only", f"{state_head}..{head}", "--", *[f.rstrip("/") + "/" for f in folders]
        )
        return not changed.strip()

    def save_state(self, types: Mapping[str, Any]) -> None:
        """Record state for the current HEAD; call only after the run's commit succeeded."""
        self._state.save(self.head(), types)

    def load_json(self, name: str) -> dict[str, Any]:
        """A JSON mapping kept in .git/entragit/ (never tracked); empty when missing or damaged."""
        try:
            data = json.loads((self.state_dir / name).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_json(self, name: str, data: Mapping[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        _atomic_write(self.state_dir / name, text.encode("utf-8"), sync=True)

    # ------------------------------------------------------------------ notes

    def note(self, commit: str) -> str:
        """The attribution note on a commit (`git notes --ref=entragit-audit`), '' when it has none."""
        out = gitcli.run(self.root, "notes", f"--ref={NOTES_REF}", "show", commit, check=False)
        return out.decode("utf-8", "replace")

    def set_note(self, commit: str, text: str) -> None:
        """Replace the attribution note on a commit (idempotent: a run that dies after it repeats it)."""
        self._git(
            "notes",
            f"--ref={NOTES_REF}",
            "add",
            "-f",
            "-F",
            "-",
            commit,
            stdin=text.encode("utf-8"),
            env=self._identity_env(),
        )

    # ------------------------------------------------------------------ push

    def push_remote(self) -> str:
        """The remote `push` goes to (the branch's upstream, else origin, else the only one); checked before
        a run so that a missing remote fails in a second, not after the whole listing."""
        remotes = [r.name for r in self.repo.remotes]
        if not remotes:
            raise RepoError(
                f"--push: the backup repository {self.root} has no remote; "
                "add one with `git remote add origin URL`"
            )
        remote = "origin" if "origin" in remotes else remotes[0]
        with contextlib.suppress(TypeError, ValueError):
            tracking = self.repo.active_branch.tracking_branch()
            if tracking is not None:
                remote = tracking.remote_name
        return remote

    def push(self) -> None:
        self._git("push", "-q", self.push_remote(), "HEAD")


class Snapshot:
    """One backup commit, built while the run is still listing Graph.

    Each changed file is written to the work tree and its content streamed into `git fast-import` as soon as
    it is produced (from any thread), so that file writes overlap the network waits and git never writes one
    loose object per file (at 100k files: seconds instead of minutes on a slow file system). `commit` then
    has fast-import build the commit on top of HEAD, refreshes the index for the touched paths (their objects
    already exist, nothing is written again), checks the index tree equals the commit's and moves the branch.

    Interruption safety: every path is appended to `.git/entragit/run.lock` before its file changes; the
    marker is removed after the branch moved. A run killed in between leaves the marker, and the next run
    (or `close` after an exception) puts exactly those paths back to HEAD. fast-import runs with `--done`,
    so a stream that ends early updates no ref.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._marker_fd: int | None = None
        self._marks: dict[str, int] = {}
        self._deletes: set[str] = set()
        self._next_mark = 1
        self._writers = _FileWriters()

    def _stdin(self) -> IO[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "fast-import", "--quiet", "--done"],
                cwd=self.store.root,
                env=gitcli.env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _widen_pipe(self._proc.stdin)
        assert self._proc.stdin is not None
        return self._proc.stdin

    def _note(self, relpaths: Sequence[str]) -> None:
        """Append paths to the run marker before their files change (caller holds the lock)."""
        if self._marker_fd is None:
            marker = self.store.state_dir / RUN_MARKER
            self.store.state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
            os.write(fd, json.dumps({"head": self.store.head()}).encode() + b"\n")
            self._marker_fd = fd
        _write_all(self._marker_fd, "".join(f"{p}\n" for p in relpaths).encode("utf-8", "surrogateescape"))

    def put(self, relpath: str, data: bytes) -> None:
        """The new content of a file: written to the work tree and to git's pack (thread-safe)."""
        self.put_many([(relpath, data)])

    def put_many(self, files: Sequence[tuple[str, bytes]]) -> None:
        """New contents of files, in one write of the marker and one of git's stream: at 100k files, a
        write per file was seconds of system calls, and a stream write blocked whenever git had not yet
        read the previous 64 KiB."""
        if not files:
            return
        with self._lock:
            self._note([relpath for relpath, _ in files])
            chunks = []
            for relpath, data in files:
                mark = self._next_mark
                self._next_mark += 1
                chunks.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
                self._marks[relpath] = mark
                self._deletes.discard(relpath)
            self._stdin().write(b"".join(chunks))
        for relpath, data in files:
            self._writers.submit(relpath, os.path.join(self.store.root, relpath), data)

    def delete(self, relpath: str) -> None:
        path = os.path.join(self.store.root, relpath)
        if not os.path.lexists(path):
            return
        with self._lock:
            self._note([relpath])
            self._marks.pop(relpath, None)
            self._deletes.add(relpath)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def discard(self, paths: Iterable[str]) -> None:
        """Leave these paths out after all (a type that failed half-way): back to HEAD on disk too."""
        self._writers.flush()
        chosen: list[str] = []
        with self._lock:
            for p in paths:
                if self._marks.pop(p, None) is not None or p in self._deletes:
                    self._deletes.discard(p)
                    chosen.append(p)
        self.store._restore_paths(chosen)

    def flush(self) -> None:
        """Wait until every file put so far is in the work tree (they are written on background threads)."""
        self._writers.flush()

    @property
    def touched(self) -> list[str]:
        return sorted([*self._marks, *self._deletes])

    def commit(self, message: str) -> str | None:
        """Commit the changes on top of HEAD; None (and no commit) when there are none."""
        return next((c for c in reversed(self.commit_chain([Part(message)])) if c), None)

    def commit_chain(self, parts: Sequence[Part]) -> list[str | None]:
        """The changes as a chain of commits on top of HEAD, one per part in order (a part without paths
        makes none), built in the one fast-import stream so that HEAD moves once, to the last: all of the
        run's commits land or none. Returns each part's commit (None for a part that made none)."""
        store = self.store
        head = store.head()
        self._writers.flush()
        if not self._marks and not self._deletes:
            self.close()
            return [None] * len(parts)
        committer = _ident("GIT_COMMITTER_IDENT", store)
        default_author = _ident("GIT_AUTHOR_IDENT", store)
        claimed: set[str] = set().union(*(p.paths for p in parts if p.paths is not None))
        if not any(p.paths is None for p in parts):
            raise ValueError("commit_chain: one part must take the paths the others do not name")
        out: list[bytes] = []
        made: list[bool] = []
        for part in parts:
            mods = sorted(
                (p, m)
                for p, m in self._marks.items()
                if (p in part.paths if part.paths else p not in claimed)
            )
            dels = sorted(p for p in self._deletes if (p in part.paths if part.paths else p not in claimed))
            made.append(bool(mods or dels))
            if not (mods or dels):
                continue
            msg = part.message.encode("utf-8")
            author = default_author if part.author is None else _author_ident(part.author, committer)
            out.append(b"commit " + PENDING_REF.encode() + b"\n")
            out.append(b"author " + author + b"\n")
            out.append(b"committer " + committer + b"\n")
            out.append(b"data %d\n%s\n" % (len(msg), msg))
            if head and made.count(True) == 1:  # the first commit of the chain; the others follow it
                out.append(b"from " + head.encode() + b"\n")
            for relpath, mark in mods:
                out.append(b"M 100644 :%d %s\n" % (mark, _fi_path(relpath)))
            for relpath in dels:
                out.append(b"D %s\n" % _fi_path(relpath))
            out.append(b"\n")
        out.append(b"done\n")
        stdin = self._stdin()
        proc = self._proc
        assert proc is not None
        # The index is refreshed while fast-import builds the trees and finishes its pack: update-index
        # hashes every touched file again (its stat data is what keeps the next `git status` fast), and at
        # 100k files that is seconds. --info-only: the blobs are fast-import's, not yet visible to others.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="entragit-index")
        indexing = pool.submit(
            store._git,
            "update-index",
            "--add",
            "--remove",
            "--info-only",
            "-z",
            "--stdin",
            stdin=_nul(self.touched),
        )
        pool.shutdown(wait=False)
        with contextlib.suppress(BrokenPipeError):
            stdin.write(b"".join(out))
            stdin.close()
        err = proc.stderr.read() if proc.stderr else b""
        futures_wait([indexing])  # (a failed commit's index entries are put back by close(), with its files)
        if proc.wait() != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines() or ["fast-import failed"]
            # Its last line is often "dumping crash report to …"; the cause is the first fatal or error line.
            line = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[-1])
            raise RepoError(f"git fast-import failed in {store.root}: {line}")
        if proc.stderr:
            proc.stderr.close()
        self._proc = None
        new = store._git("rev-parse", "--verify", PENDING_REF).strip()
        indexing.result()
        try:
            tree: str | None = store._git("write-tree").strip()
        except RepoError:
            tree = None  # a file edited meanwhile: its blob (hashed --info-only) is in no object store
        if tree != store._git("rev-parse", f"{new}^{{tree}}").strip():
            raise RepoError(
                f"{store.root}: the files on disk do not match the commit being made; nothing was committed"
            )
        chain = store._git("rev-list", f"--max-count={made.count(True)}", new).split()
        if head:
            store._git("update-ref", "-m", "entragit backup", "HEAD", new, head)
        else:
            store._git("update-ref", "-m", "entragit backup", "HEAD", new)
        with contextlib.suppress(RepoError):
            store._git("update-ref", "-d", PENDING_REF)
        self._finish_marker()
        self._writers.stop()
        self._marks.clear()
        self._deletes.clear()
        shas = iter(reversed(chain))
        return [next(shas) if m else None for m in made]

    def _finish_marker(self) -> None:
        if self._marker_fd is not None:
            os.close(self._marker_fd)
            self._marker_fd = None
            with contextlib.suppress(FileNotFoundError):
                (self.store.state_dir / RUN_MARKER).unlink()

    def close(self) -> None:
        """Abandon what was not committed: fast-import exits without touching any ref, files go back."""
        with contextlib.suppress(Exception):
            self._writers.flush()
        self._writers.stop()
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        if self._marker_fd is not None:
            os.close(self._marker_fd)
            self._marker_fd = None
            if sys.exc_info()[1] is None:
                self.store.recover()
                return
            # Closed while the run's own error propagates (a full disk, a dead listing): that error is the
            # one to show. A rollback git cannot write now either (`git rm --cached` needs the disk) leaves
            # the marker, and the next session finishes it before it changes anything.
            with contextlib.suppress(RepoError, OSError):
                self.store.recover()


class _FileWriters:
    """Work-tree file writes on two background threads, so the listing thread never waits for the disk.

    A path always goes to the same thread (by hash), so two writes of one path land in order. Started on
    first use; `flush` waits for everything queued and re-raises the first write error."""

    WORKERS = 2

    def __init__(self) -> None:
        self._queues: list[queue.Queue[tuple[str, bytes] | None]] = []
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            if not self._queues:
                self._spawn()

    def _spawn(self) -> None:
        for i in range(self.WORKERS):
            q: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=2000)
            t = threading.Thread(target=self._run, args=(q,), name=f"entragit-write-{i}", daemon=True)
            self._threads.append(t)
            t.start()
            self._queues.append(q)

    def _run(self, q: queue.Queue[tuple[str, bytes] | None]) -> None:
        while True:
            job = q.get()
            try:
                if job is None:
                    return
                path, data = job
                if self._error is None:
                    try:
                        try:
                            _write_file(path, data)
                        except FileNotFoundError:  # first file of a new shard folder
                            os.makedirs(os.path.dirname(path), exist_ok=True)
                            _write_file(path, data)
                    except BaseException as exc:
                        self._error = exc
            finally:
                q.task_done()

    def submit(self, relpath: str, path: str, data: bytes) -> None:
        if len(self._queues) < self.WORKERS:
            self._start()
        if self._error is not None:
            self.flush()
        self._queues[hash(relpath) % self.WORKERS].put((path, data))

    def flush(self) -> None:
        for q in self._queues:
            q.join()
        if self._error is not None:
            exc, self._error = self._error, None
            raise RepoError(f"cannot write a backup file: {exc}")

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        for q in self._queues:
            q.put(None)
        for t in self._threads:
            t.join()
        self._queues.clear()
        self._threads.clear()


@contextlib.contextmanager
def _writes_to(root: Path) -> Iterator[None]:
    """A file system that refuses writes (read-only mount, full disk, permissions) is one line naming the
    repository and the reason, not a traceback; what was written is undone by the caller's cleanup."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_REFUSED:
            raise
        where = exc.filename or root
        raise RepoError(f"{where}: cannot write to the backup repository: {exc.strerror or exc}") from None


def _lock_holder(text: str) -> tuple[str, str]:
    """The command holding the lock ('backup' when the file does not say) and ' (pid 123 on host, since
    2026-12-02 04:40 UTC)' from the lock file, or '' when it says nothing."""
    try:
        info = json.loads(text)
        command = str(info.get("command") or "backup")
        since = datetime.fromtimestamp(int(info["since"]), tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return command, f" (pid {int(info['pid'])} on {info['host']}, since {since})"
    except (ValueError, KeyError, TypeError, AttributeError):
        return "backup", ""


def _marker_paths(text: str) -> list[str]:
    """Paths listed in a run marker: a JSON header line, then one path per line. A last line without its
    newline is a write the disk cut short (ENOSPC): the marker is written before its files, so that file was
    never touched, and the cut path may name a folder or another file."""
    lines = text.split("\n")
    try:
        header = json.loads(lines[0]) if lines[0] else {}
    except ValueError:
        header = {}
    paths = [ln for ln in lines[1:-1] if ln]
    if isinstance(header, dict) and isinstance(header.get("paths"), list):
        paths += [str(p) for p in header["paths"]]
    return paths


def _widen_pipe(pipe: IO[bytes] | None) -> None:
    """Give git's input pipe 1 MiB instead of Linux's 64 KiB, so that a page of files (about 460 KB for
    200 users) goes in without waiting for fast-import to read the start of it: at 100k users that was 1.7
    CPU seconds of wake-ups. Where the system does not allow it (not Linux, a lower pipe-max-size), the
    default stays."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if pipe is None or setpipe is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), setpipe, 1 << 20)


def _write_file(path: str, data: bytes) -> None:
    """Three system calls per file (open() adds fstat, ioctl and lseek): at 100k files the kernel's file
    creation is a large share of a full backup's CPU."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """All of `data`: os.write may take only part of it (a full disk, a signal)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _ident(var: str, store: Store) -> bytes:
    """`Name <email> time tz` as git would use for a commit now, with entragit's fallback identity."""
    env = gitcli.env(store._identity_env())
    out = subprocess.run(["git", "var", var], cwd=store.root, env=env, capture_output=True, check=False)
    ident = out.stdout.strip()
    if out.returncode != 0 or not ident:
        ident = f"entragit <entragit@localhost> {int(time.time())} +0000".encode()
    return ident


def _author_ident(author: Author, committer: bytes) -> bytes:
    """`Name <email> time +0000` for an actor: names made safe for the header line (repo.authorship)."""
    when = author.time if author.time is not None else int(committer.rsplit(b" ", 2)[-2])
    return f"{ident(author.name, author.email)} {when} +0000".encode()


def _fi_path(relpath: str) -> bytes:
    """A path in fast-import syntax: C-style quoted when it holds characters the plain form cannot carry."""
    if any(c in relpath for c in '"\\\n') or relpath.startswith(" "):
        return json.dumps(relpath, ensure_ascii=False).encode("utf-8")
    return relpath.encode("utf-8")


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _nul(paths: Iterable[str]) -> bytes:
    return b"".join(p.encode("utf-8") + b"\0" for p in paths)
