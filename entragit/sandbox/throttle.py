"""Graph's identity-and-access throttling, as documented (docs/graph.md, Throttling).

Independent limits. Resource units are a token bucket (a burst up to the quota passes, then the documented
rate applies); the write quotas count the writes of the last window ("N requests per 150 s"), so a refused
write's Retry-After is the whole seconds until the oldest write in the window leaves it:
- resource units (RU) per application+tenant: 3,500 / 5,000 / 8,000 per 10 s for tenants of <50 / 50–500 /
  >500 users, each request costing per the published table with its $select/$expand/$top modifiers;
- writes per application+tenant: 3,000 per 150 s (each POST/PATCH/PUT/DELETE is one write and 1 RU);
- writes per tenant (all applications): 18,000 per 5 min;
- conditional access policies and named locations: 1 request per second per tenant, and those 429s carry no
  Retry-After (clients must back off on their own);
- identity and access reports (`auditLogs/...`, `reports/...`): 5 requests per 10 s per application+tenant.
A refused request consumes nothing. Clients learn the cost from `x-ms-resource-unit` and the pressure from
`x-ms-throttle-limit-percentage` once more than 80% of the budget is used.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
WRITE_QUOTA = 3000
WRITE_WINDOW_S = 150.0
RU_WINDOW_S = 10.0
CA_RATE_PER_S = 1.0
TENANT_WRITE_QUOTA = 18000
TENANT_WRITE_WINDOW_S = 300.0
REPORTS_QUOTA = 5
REPORTS_WINDOW_S = 10.0

_ID = r"[^/]+"
# (method, compiled path pattern, base cost). First match wins; unlisted requests cost 1 RU.
_COSTS: tuple[tuple[str, re.Pattern[str], int], ...] = tuple(
    (method, re.compile(pattern, re.IGNORECASE), cost)
    for method, pattern, cost in (
        ("GET", rf"^/groups/{_ID}/transitiveMembers(/.*)?$", 5),
        ("GET", rf"^/domains/{_ID}/domainNameReferences$", 4),
        ("POST", rf"^/(me|users/{_ID})/(checkMemberGroups|checkMemberObjects)$", 4),
        ("POST", r"^/.*/isMemberOf$", 4),
        ("GET", rf"^/groups/{_ID}/members(/.*)?$", 3),
        ("GET", r"^/subscribedSkus(/.*)?$", 3),
        ("GET", r"^/contracts(/.*)?$", 3),
        ("POST", r"^/directoryObjects/(getByIds|getObjectsById)$", 5),
        ("POST", r"^/getObjectsById$", 5),
        ("GET", rf"^/(me|users/{_ID})/(memberOf|ownedObjects|licenseDetails|transitiveMemberOf)(/.*)?$", 2),
        ("POST", rf"^/(me|users/{_ID})/(getMemberGroups|getMemberObjects)$", 2),
        ("GET", r"^/users(/delta)?$", 2),
        ("GET", rf"^/applications/{_ID}/extensionProperties(/.*)?$", 2),
        ("GET", r"^/applications(/delta)?$", 2),
        ("GET", r"^/oauth2PermissionGrants(/.*)?$", 2),
        ("GET", rf"^/servicePrincipals/{_ID}/appRoleAssignments(/.*)?$", 2),
    )
)

# "Using $select for directoryObjects/getByIds and getObjectsById results in 2 ResourceUnits" (not 5 - 1).
_GET_BY_IDS = re.compile(r"^/(directoryObjects/(getByIds|getObjectsById)|getObjectsById)$", re.I)
_GET_BY_IDS_SELECT_COST = 2

_CA_PATH = re.compile(
    r"^/(identity/conditionalAccess/(policies|namedLocations)"
    r"|identityProtection|riskDetections|riskyUsers)(/|$)",
    re.IGNORECASE,
)


_REPORTS_PATH = re.compile(r"^/(auditLogs|reports)(/|$)", re.IGNORECASE)


def tier_budget(user_count: int) -> int:
    """RU per 10 s for an application in a tenant of this size."""
    if user_count < 50:
        return 3500
    if user_count <= 500:
        return 5000
    return 8000


def is_write(method: str) -> bool:
    return method.upper() in WRITE_METHODS


def is_conditional_access(path: str) -> bool:
    return bool(_CA_PATH.match(path))


def is_report(path: str) -> bool:
    return bool(_REPORTS_PATH.match(path))


def request_cost(method: str, path: str, query: Mapping[str, str]) -> int:
    """Resource units for one request, with the documented modifiers.

    $select −1, $expand +1, $top < 20 −1, never below 1.
    """
    method = method.upper()
    if method in WRITE_METHODS and not _is_read_action(method, path):
        return 1
    base = 1
    for m, pattern, cost in _COSTS:
        if m == method and pattern.match(path):
            base = cost
            break
    keys = {k.lower().lstrip("$"): v for k, v in query.items()}
    if "select" in keys and method == "POST" and _GET_BY_IDS.match(path):
        base = _GET_BY_IDS_SELECT_COST
    elif "select" in keys:
        base -= 1
    if "expand" in keys:
        base += 1
    top = keys.get("top")
    if top is not None:
        try:
            if int(top) < 20:
                base -= 1
        except ValueError:
            pass
    return max(base, 1)


def _is_read_action(method: str, path: str) -> bool:
    """POST actions that only read (getByIds, checkMemberGroups...) are priced by the table, not as writes."""
    return method == "POST" and any(m == "POST" and p.match(path) for m, p, _ in _COSTS)


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` tokens are available (0 when they are)."""
        if self.tokens >= amount:
            return 0.0
        return (min(amount, self.capacity) - self.tokens) / self.rate


@dataclass
class _Window:
    """The writes of the last `span` seconds: at most `quota` of them."""

    quota: int
    span: float
    times: deque[float] = field(default_factory=deque)

    def wait_for(self, now: float) -> float:
        """Seconds until the window admits one more write (0 when it does now)."""
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        if len(self.times) < self.quota:
            return 0.0
        return self.times[len(self.times) - self.quota] + self.span - now

    def take(self, now: float) -> None:
        self.times.append(now)


@dataclass
class Decision:
    """The throttle's verdict on one request: allowed or not, what it cost, and the headers to send."""

    allowed: bool
    resource_units: int
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    reason: str = ""  # ResourceUnitLimitExceeded | WriteLimitExceeded | ConditionalAccessLimitExceeded


class Throttle:
    """Token buckets per application+tenant (RU, writes) and per tenant (conditional access).

    `budget` is RU per 10 s (the tier for the tenant size unless overridden). Thread-safe; callers must not
    hold it while sleeping.
    """

    def __init__(
        self,
        budget: int,
        *,
        enabled: bool = True,
        write_quota: int = WRITE_QUOTA,
        tenant_write_quota: int | None = None,
    ) -> None:
        self.enabled = enabled
        self.budget = budget
        self.write_quota = write_quota  # per application+tenant per WRITE_WINDOW_S
        self.tenant_write_quota = TENANT_WRITE_QUOTA if tenant_write_quota is None else tenant_write_quota
        self._lock = threading.Lock()
        self._ru: dict[tuple[str, str], _Bucket] = {}
        self._writes: dict[tuple[str, str], _Window] = {}
        self._ca: dict[str, _Bucket] = {}
        self._tenant_writes: dict[str, _Window] = {}
        self._reports: dict[tuple[str, str], _Bucket] = {}

    def reset(self) -> None:
        with self._lock:
            for table in (self._ru, self._writes, self._ca, self._tenant_writes, self._reports):
                table.clear()

    @staticmethod
    def _window(table: dict, key: object, quota: int, span: float) -> _Window:
        window = table.get(key)
        if window is None or window.quota != quota:
            window = table[key] = _Window(quota, span, window.times if window is not None else deque())
        return window

    def _bucket(self, table: dict, key: object, capacity: float, rate: float, now: float) -> _Bucket:
        bucket = table.get(key)
        if bucket is None:
            bucket = table[key] = _Bucket(capacity, rate, capacity, now)
        else:
            bucket.refill(now)
        return bucket

    def charge(
        self, app_id: str, tenant_id: str, method: str, path: str, query: Mapping[str, str]
    ) -> Decision:
        """Decide one Graph request; an allowed request is charged, a refused one is not."""
        method = method.upper()
        if is_conditional_access(path):
            return self._charge_ca(app_id, tenant_id, method)
        if is_report(path) and method == "GET":
            return self._charge_report(app_id, tenant_id)
        cost = request_cost(method, path, query)
        if not self.enabled:
            return Decision(True, cost, {"x-ms-resource-unit": str(cost)})
        write = is_write(method) and not _is_read_action(method, path)
        key = (app_id, tenant_id)
        now = time.monotonic()
        with self._lock:
            ru = self._bucket(self._ru, key, self.budget, self.budget / RU_WINDOW_S, now)
            wait = ru.wait_for(cost)
            reason = "ResourceUnitLimitExceeded"
            scope_kind = "Read" if not write else "ReadWrite"
            scope = "Tenant_Application"
            wb = tb = None
            if write:
                wb = self._window(self._writes, key, self.write_quota, WRITE_WINDOW_S)
                wwait = wb.wait_for(now)
                if wwait > wait:
                    wait, reason, scope_kind = wwait, "WriteLimitExceeded", "Write"
                tb = self._window(
                    self._tenant_writes, tenant_id, self.tenant_write_quota, TENANT_WRITE_WINDOW_S
                )
                twait = tb.wait_for(now)
                if twait > wait:
                    wait, reason, scope_kind, scope = twait, "WriteLimitExceeded", "Write", "Tenant"
            if wait > 0:
                # A write quota's Retry-After is whole seconds, as Graph sends it; the RU bucket keeps its
                # finer figure (the time it refills what this request costs).
                retry = (
                    float(max(1, math.ceil(wait)))
                    if reason == "WriteLimitExceeded"
                    else max(round(wait, 3), 0.001)
                )
                headers = {
                    "Retry-After": _fmt_seconds(retry),
                    "x-ms-throttle-scope": f"{scope}/{scope_kind}/{app_id}/{tenant_id}",
                    "x-ms-throttle-information": reason,
                    "x-ms-throttle-limit-percentage": "1.0",
                }
                return Decision(False, 0, headers, retry, reason)
            ru.tokens -= cost
            if wb is not None and tb is not None:
                wb.take(now)
                tb.take(now)
            used = 1.0 - ru.tokens / ru.capacity
        headers = {"x-ms-resource-unit": str(cost)}
        if used > 0.8:
            headers["x-ms-throttle-limit-percentage"] = f"{used:.1f}"
        return Decision(True, cost, headers)

    def _charge_ca(self, app_id: str, tenant_id: str, method: str) -> Decision:
        if not self.enabled:
            return Decision(True, 1, {"x-ms-resource-unit": "1"})
        now = time.monotonic()
        with self._lock:
            bucket = self._bucket(self._ca, tenant_id, 1.0, CA_RATE_PER_S, now)
            if bucket.tokens < 1.0:
                kind = "Write" if is_write(method) else "Read"
                headers = {
                    "x-ms-throttle-scope": f"Tenant/{kind}/{app_id}/{tenant_id}",
                    "x-ms-throttle-information": "ConditionalAccessLimitExceeded",
                }
                # Documented: these 429s do not return Retry-After.
                return Decision(False, 0, headers, None, "ConditionalAccessLimitExceeded")
            bucket.tokens -= 1.0
        return Decision(True, 1, {"x-ms-resource-unit": "1"})

    def _charge_report(self, app_id: str, tenant_id: str) -> Decision:
        if not self.enabled:
            return Decision(True, 1, {"x-ms-resource-unit": "1"})
        now = time.monotonic()
        with self._lock:
            bucket = self._bucket(
                self._reports, (app_id, tenant_id), REPORTS_QUOTA, REPORTS_QUOTA / REPORTS_WINDOW_S, now
            )
            wait = bucket.wait_for(1)
            if wait > 0:
                retry = max(round(wait, 3), 0.001)
                headers = {
                    "Retry-After": _fmt_seconds(retry),
                    "x-ms-throttle-scope": f"Tenant_Application/Read/{app_id}/{tenant_id}",
                    "x-ms-throttle-information": "ReportsLimitExceeded",
                }
                return Decision(False, 0, headers, retry, "ReportsLimitExceeded")
            bucket.tokens -= 1
        return Decision(True, 1, {"x-ms-resource-unit": "1"})


def _fmt_seconds(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"
