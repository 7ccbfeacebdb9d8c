"""When a PIM schedule ends, by the file's own `requestSchedule` (catalog `ObjectType.schedule`).

A restore cannot bring back a schedule whose end has passed: Graph refuses a request whose end is in the
past (docs/graph.md, PIM refusals), and a time-bound role that ran out is meant to be gone. The plan skips
such a file and says when it ended. Expirations are `noExpiration`, `afterDateTime` (`endDateTime`) or
`afterDuration` (`duration` from `startDateTime`): resources/expirationpattern.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def now() -> datetime:
    """The restore's clock (tests that move the sandbox's clock move this one with it)."""
    return datetime.now(timezone.utc)


def _time(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _duration(text: Any) -> timedelta | None:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (`P365D`, `PT8H`); None otherwise."""
    m = _DURATION.fullmatch(text) if isinstance(text, str) and text not in ("P", "PT") else None
    if m is None:
        return None
    weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def end_of(info: Any) -> datetime | None:
    """When a requestSchedule ends; None for one that does not (or that cannot be read)."""
    if not isinstance(info, Mapping):
        return None
    expiration = info.get("expiration")
    if not isinstance(expiration, Mapping):
        return None
    kind = str(expiration.get("type") or "").lower()
    if kind == "afterdatetime":
        return _time(expiration.get("endDateTime"))
    if kind == "afterduration":
        start, length = _time(info.get("startDateTime")), _duration(expiration.get("duration"))
        return start + length if start is not None and length is not None else None
    return None


def ended(info: Any) -> datetime | None:
    """The end of a schedule that has ended by now, else None."""
    end = end_of(info)
    return end if end is not None and end <= now() else None
