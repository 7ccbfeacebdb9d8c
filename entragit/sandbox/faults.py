"""Injected failures for tests: "the next n requests whose path matches R fail with status S".

Tests of retry and safety logic need Graph to misbehave on cue (a 503 on page 3 of a listing, a 429 without
Retry-After, a dropped connection). Faults are matched with `re.search` against the request path
*including* `/v1.0` and the query string, decoded (e.g. `/v1.0/users?$top=999&$skiptoken=...`); inside a
`$batch` each inner request is matched as if it had been sent alone. The oldest matching fault wins and
loses one of its `times`. With `probability` p a matching request fails only with chance p (soak tests of
retry logic); `times` then counts the failures actually injected, and `seed` makes the draws one fault's own
sequence, so that a schedule replays (the draws are in arrival order: concurrent requests can still swap).
`after` n lets the first n matching requests through ("page 3 of a listing fails": after 2).
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from entragit.sandbox.errors import SandboxError

# Graph error codes that fit each status (concepts/errors.md; docs/graph.md, Error bodies).
FAULT_CODES: dict[int, str] = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Authorization_RequestDenied",
    404: "Request_ResourceNotFound",
    405: "Request_BadRequest",
    409: "Request_MultipleObjectsWithSameKeyValue",
    410: "resyncRequired",
    412: "Request_PreconditionFailed",
    423: "resourceLocked",
    429: "TooManyRequests",
    500: "generalException",
    501: "notSupported",
    502: "BadGateway",
    503: "serviceNotAvailable",
    504: "GatewayTimeout",
}

FAULT_MESSAGES: dict[int, str] = {
    400: "Invalid request.",
    401: "Access token validation failure.",
    403: "Insufficient privileges to complete the operation.",
    404: "Resource does not exist or one of its queried reference-property objects are not present.",
    409: "Another object with the same value for property already exists.",
    410: "The delta token is no longer valid; a full resync is required.",
    429: "Please retry again later.",
    500: "An unexpected error occurred.",
    502: "Bad gateway.",
    503: "The service is temporarily unavailable. Please retry later.",
    504: "The request timed out.",
}


class FaultSpecError(SandboxError):
    """A POST /_sandbox/faults body that cannot be understood."""


@dataclass
class Fault:
    pattern: re.Pattern[str]
    status: int
    times: int | None  # None: until cleared
    retry_after: float | None
    drop_connection: bool
    method: str | None
    code: str | None
    message: str | None
    probability: float = 1.0
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    seed: int | None = None
    after: int = 0  # matching requests still let through before the fault applies

    def describe(self) -> dict[str, Any]:
        return {
            "match": self.pattern.pattern,
            "status": self.status,
            "times": self.times,
            "retry_after": self.retry_after,
            "drop_connection": self.drop_connection,
            "method": self.method,
            "probability": self.probability,
            "seed": self.seed,
            "after": self.after,
        }

    @property
    def error_code(self) -> str:
        return self.code or FAULT_CODES.get(self.status, "UnknownError")

    @property
    def error_message(self) -> str:
        return self.message or FAULT_MESSAGES.get(self.status, "Injected failure.")


def parse_fault(spec: Any) -> Fault:
    """Validate a fault description (the JSON body of POST /_sandbox/faults)."""
    if not isinstance(spec, dict):
        raise FaultSpecError("fault must be a JSON object")
    match = spec.get("match", "")
    if not isinstance(match, str):
        raise FaultSpecError("'match' must be a regular expression string")
    try:
        pattern = re.compile(match)
    except re.error as exc:
        raise FaultSpecError(f"'match' is not a valid regular expression: {exc}") from exc
    drop = bool(spec.get("drop_connection", False))
    status = spec.get("status", 503 if not drop else 0)
    if not isinstance(status, int) or (not drop and not 100 <= status <= 599):
        raise FaultSpecError("'status' must be an HTTP status code")
    times = spec.get("times", 1)
    if times is not None and (not isinstance(times, int) or times < 1):
        raise FaultSpecError("'times' must be a positive integer or null (until cleared)")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (
        isinstance(retry_after, bool) or not isinstance(retry_after, (int, float))
    ):
        raise FaultSpecError("'retry_after' must be a number of seconds or null")
    method = spec.get("method")
    if method is not None and not isinstance(method, str):
        raise FaultSpecError("'method' must be an HTTP method")
    code = spec.get("code")
    message = spec.get("message")
    probability = spec.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 < probability <= 1:
        raise FaultSpecError("'probability' must be a number in (0, 1]")
    after = spec.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise FaultSpecError("'after' must be a number of requests, 0 or more")
    seed = spec.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultSpecError("'seed' must be an integer or null")
    return Fault(
        pattern=pattern,
        status=status,
        times=times,
        retry_after=float(retry_after) if retry_after is not None else None,
        drop_connection=drop,
        method=method.upper() if method else None,
        code=str(code) if code else None,
        message=str(message) if message else None,
        probability=float(probability),
        rng=random.Random(seed),
        seed=seed,
        after=after,
    )


class Faults:
    """The active faults of one sandbox (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def take(self, method: str, target: str) -> Fault | None:
        """The fault that applies to this request, consuming one of its uses."""
        if not self._faults:  # fast path without the lock; a racing add only delays the fault by one request
            return None
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.method and fault.method != method.upper():
                    continue
                if not fault.pattern.search(target):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                if fault.probability < 1.0 and fault.rng.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[i]
                return fault
        return None
