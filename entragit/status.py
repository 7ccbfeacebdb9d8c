"""`entragit status` and `entragit fleet`: how each backup repository is doing, for people and pipelines.

An MSP's summary job asks one question per tenant: did last night's backup run, did it complete, and has the
tenant drifted from it? The answers come from the repository alone (no Graph request):

- the last backup commit (`backup <domain>: ...` subjects; a failed type is a `Failed-Type: <type> (<reason>)`
  trailer, see `backup._commit_message`);
- the last run record (`.git/entragit/last-run.json`, see `repo/records.py`), newer than that commit when a
  run found nothing to commit or failed before committing;
- the drift record (`.git/entragit/drift.json`) that a `plan` writes;
- object counts per type from the history index of HEAD;
- the references at HEAD to objects that are gone (`repo/dangling.py`), each with the command that brings its
  object back.

A backup older than `STALE_AFTER` is stale: the scheduled run stopped, or fails before it records anything.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from entragit import config
from entragit.errors import EntragitError
from entragit.repo import dangling, records
from entragit.repo.reader import BackupRepo

STALE_AFTER = timedelta(days=2)
_SUBJECT = re.compile(r"backup (?P<domain>\S+): ")
_FAILED = re.compile(r"^Failed-Type: (?P<type>\S+) \((?P<reason>.*)\)$", re.MULTILINE)
_ISO = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class RepoStatus:
    """One backup repository's state; `result` is "ok", "failed" (some types or steps failed), "none" (no
    backup yet) or "error" (the repository could not be read: `error` says why)."""

    repo: str
    tenant_id: str | None = None
    domain: str | None = None
    last_backup: str | None = None  # ISO-8601 UTC of the latest run (record) or backup commit
    commit: str | None = None  # the latest backup commit
    result: str = "none"
    failed_types: dict[str, str] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)  # live objects per type at HEAD
    soft_deleted: int = 0
    last_change: str | None = None  # ISO-8601 UTC of the latest backup commit (a run commits only changes)
    drift: dict[str, Any] | None = None  # the drift record as `plan` wrote it
    dangling: list[dict[str, Any]] = field(default_factory=list)  # `Dangling.to_json` of each, at HEAD
    stale: bool = False
    error: str | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.drift and self.drift.get("drifted"))

    def to_json(self) -> dict[str, Any]:
        """camelCase keys, as Graph's and the other commands' JSON (`ls --json`)."""
        return {_camel(k): v for k, v in asdict(self).items()}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime(_ISO)


def _parse_iso(text: Any) -> datetime | None:
    try:
        return datetime.strptime(str(text), _ISO).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _last_backup_commit(repo: BackupRepo) -> tuple[str, int, str] | None:
    """(sha, committer time, message) of the newest commit a backup made."""
    out = repo.git("log", "-1", "--format=%H %ct%n%B", "-E", "--grep=^backup [^ ]+: ", "HEAD", check=False)
    text = out.decode("utf-8", "replace")
    if not text.strip():
        return None
    header, _, message = text.partition("\n")
    sha, ts = header.split()
    return sha, int(ts), message


def repo_status(repo_dir: str | os.PathLike[str], *, now: datetime | None = None) -> RepoStatus:
    """The status of one backup repository; an unreadable one is a status with result "error", so that a
    fleet report still lists every tenant."""
    status = RepoStatus(repo=str(repo_dir))
    try:
        repo = BackupRepo(repo_dir)
        status.repo = str(repo.root)
        status.tenant_id = config.load(repo.root).tenant_id
        _fill(status, repo)
    except EntragitError as exc:
        status.result, status.error = "error", str(exc)
        return status
    _judge(status, now or datetime.now(timezone.utc))
    return status


def _judge(status: RepoStatus, now: datetime) -> None:
    when = _parse_iso(status.last_backup)
    status.stale = when is None or now - when > STALE_AFTER


def _fill(status: RepoStatus, repo: BackupRepo) -> None:
    found = _last_backup_commit(repo)
    if found is not None:
        sha, ts, message = found
        subject = _SUBJECT.match(message)
        status.domain = subject.group("domain") if subject else None
        status.commit, status.last_backup = sha, _iso(ts)
        status.last_change = status.last_backup
        status.failed_types = {m.group("type"): m.group("reason") for m in _FAILED.finditer(message)}
        status.result = "failed" if status.failed_types else "ok"
    run = records.read(repo.git_dir, records.LAST_RUN)
    run_time = _parse_iso(run.get("time")) if run else None
    committed = _parse_iso(status.last_backup) if status.last_backup else None
    if run and run_time and (committed is None or run_time >= committed):
        status.last_backup = run["time"]
        failed = run.get("failed")
        status.failed_types = {str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {}
        status.result = "failed" if status.failed_types or run.get("errors") else "ok"
    status.drift = records.read(repo.git_dir, records.DRIFT)
    if found is not None:
        for entry in repo.index().values():
            if entry.deleted:
                status.soft_deleted += 1
            else:
                status.objects[entry.type] = status.objects.get(entry.type, 0) + 1
        status.dangling = [d.to_json() for d in dangling.current(repo)]


def _rank(s: RepoStatus) -> tuple[int, str]:
    """Failures first (unreadable, failed, never backed up), then stale backups, then drift, then the rest."""
    if s.result in ("error", "failed", "none"):
        order = 0
    elif s.stale:
        order = 1
    elif s.drifted:
        order = 2
    else:
        order = 3
    return order, s.domain or s.tenant_id or s.repo


def fleet(paths: Sequence[str], *, now: datetime | None = None) -> list[RepoStatus]:
    """One status per repository, worst first. A path to a `.json` file is a saved `entragit status --json`
    (what each job of a matrix pipeline hands its summary job), read instead of a repository."""
    now = now or datetime.now(timezone.utc)
    rows = [
        _from_json(p, now)
        if _is_saved(p)
        else repo_status(p, now=now)
        if Path(p).exists()
        else RepoStatus(repo=p, result="error", error=f"{p}: no such directory")
        for p in paths
    ]
    return sorted(rows, key=_rank)


def _is_saved(path: str) -> bool:
    return path.endswith(".json") and Path(path).is_file()


def _from_json(path: str, now: datetime) -> RepoStatus:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        fields = {_camel(f): f for f in RepoStatus.__dataclass_fields__}
        known = {fields[k]: v for k, v in data.items() if k in fields}
        status = RepoStatus(**known)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        return RepoStatus(repo=path, result="error", error=f"{path}: not a saved status ({exc})")
    if status.result != "error":
        _judge(status, now)  # at the summary's time, not the job's
    return status
