"""Tenant reports read back from the repository: secure score over time, and the billable seat estimate.

Both answer from what backups already committed, so they work offline, in CI, and for any past date. The
secure score's trend has two sources: each version of `reports/secureScore.yaml` embeds the daily `history`
Graph still held at that backup (about 90 days, oldest first), and the file's git history keeps the days Graph
has since forgotten. They are merged per day, the newest backup's value winning, so the first backup already
shows a trend and years of backups do not repeat a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from entragit.errors import EntragitError
from entragit.history.entries import Entry, load_text
from entragit.history.repo import BackupRepo

SECURE_SCORE_FILE = "reports/secureScore.yaml"
SPARKS = "▁▂▃▄▅▆▇█"


class ReportError(EntragitError):
    """The repository holds nothing to report on (no backup of that report yet)."""


@dataclass(frozen=True)
class ScorePoint:
    date: str  # ISO 8601 UTC
    current: float
    maximum: float | None

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date, "currentScore": self.current, "maxScore": self.maximum}


@dataclass(frozen=True)
class ScoreReport:
    current: float
    maximum: float | None
    date: str
    history: list[ScorePoint]  # oldest first

    def to_json(self) -> dict[str, Any]:
        return {
            "currentScore": self.current,
            "maxScore": self.maximum,
            "date": self.date,
            "history": [p.to_json() for p in self.history],
        }


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _iso(v: Any, fallback: str) -> str:
    """A Graph date (`2019-03-19T15:21:00Z`, with or without fractions/offset) as ISO 8601 UTC seconds."""
    if not isinstance(v, str) or not v:
        return fallback
    text = v.strip().replace("Z", "+00:00")
    if "." in text:  # Graph sends 7 fractional digits, more than fromisoformat takes before 3.11
        head, _, rest = text.partition(".")
        tz = next((rest[i:] for i in range(len(rest)) if rest[i] in "+-"), "")
        text = head + tz
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _points(obj: dict[str, Any], fallback_date: str) -> list[ScorePoint]:
    """Every score record in one version of the report file: any embedded history, then the record itself
    (last, so that it is the file's latest point and wins over a history entry of its own day)."""
    records: list[dict[str, Any]] = []
    for key in ("history", "value", "records"):
        if isinstance(obj.get(key), list):
            records.extend(r for r in obj[key] if isinstance(r, dict))
    records.append(obj)
    points = []
    for r in records:
        current = _number(r.get("currentScore"))
        if current is None:
            continue
        date = _iso(r.get("createdDateTime") or r.get("date"), fallback_date)
        points.append(ScorePoint(date, current, _number(r.get("maxScore"))))
    return points


def score(repo_dir: str | None) -> ScoreReport:
    """The latest secure score and its history, oldest first, one point per day.

    A day seen by several backups takes the value of the newest one: Graph recomputes a day's score until the
    day is over, and a later backup's embedded history has the final figure.
    """
    repo = BackupRepo(repo_dir)
    head = repo.head()
    present = [c for c, status, _ in repo.file_log([SECURE_SCORE_FILE]) if status != "D"]
    if not present:
        raise ReportError(
            f"no secure score in {repo.root} yet ({SECURE_SCORE_FILE} is written by `entragit backup`)"
        )
    texts = repo.read_many([f"{c.sha}:{SECURE_SCORE_FILE}" for c in present])
    by_day: dict[str, ScorePoint] = {}
    latest: ScorePoint | None = None
    # Oldest first, so that newer versions of a day overwrite older ones.
    for commit, text in zip(reversed(present), reversed(texts), strict=True):
        if text is None:
            continue
        points = _points(load_text(text, f"{SECURE_SCORE_FILE} at {commit.short}"), commit.iso)
        for p in sorted(points, key=lambda p: p.date):
            by_day[p.date[:10]] = p
        if commit.sha == present[0].sha and points:
            latest = points[-1]
    if latest is None:
        raise ReportError(f"{SECURE_SCORE_FILE} at {head.short} has no currentScore")
    history = sorted(by_day.values(), key=lambda p: p.date)
    return ScoreReport(latest.current, latest.maximum, latest.date, history)


def sparkline(values: list[float], width: int = 60) -> str:
    """A one-line trend: the last `width` values scaled between their min and max."""
    values = values[-width:]
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[len(SPARKS) // 2] * len(values)
    scale = (len(SPARKS) - 1) / (high - low)
    return "".join(SPARKS[round((v - low) * scale)] for v in values)


@dataclass(frozen=True)
class SeatReport:
    billable: list[Entry]
    guests: list[Entry]
    disabled: list[Entry]
    licensed: list[Entry]
    total: int
    commit: str = ""
    date: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def reclaim(self) -> list[Entry]:
        """Licensed users that are not billable (guests, disabled): licenses to review. By path, not by
        `in` on the billable list: that was quadratic, a minute for 60k users."""
        billed = {e.path for e in self.billable}
        return [e for e in self.licensed if e.path not in billed]

    def to_json(self) -> dict[str, Any]:
        return {
            "billable": len(self.billable),
            "guests": len(self.guests),
            "disabled": len(self.disabled),
            "licensed": len(self.licensed),
            "total": self.total,
        }


def seats(repo_dir: str | None) -> SeatReport:
    """Estimated billable users from the latest backup's user files.

    Billable = enabled member users holding at least one license. Soft-deleted users are not counted; guests
    and disabled users are reported apart (a disabled user that still holds a license is a seat to reclaim).
    """
    repo = BackupRepo(repo_dir)
    head = repo.head()
    users = [e for e in repo.index().values() if e.type == "users" and not e.deleted]
    if not users:
        raise ReportError(f"no user files at {head.short} in {repo.root}; run `entragit backup` first")
    guests = [e for e in users if e.guest]
    disabled = [e for e in users if e.account_enabled is False]
    licensed = [e for e in users if e.licensed]
    billable = [e for e in licensed if e.account_enabled is not False and not e.guest]
    key = lambda e: ((e.display_name or "").lower(), e.id)  # noqa: E731
    return SeatReport(
        billable=sorted(billable, key=key),
        guests=sorted(guests, key=key),
        disabled=sorted(disabled, key=key),
        licensed=sorted(licensed, key=key),
        total=len(users),
        commit=head.short,
        date=head.iso,
    )
