"""A small, thread-safe Microsoft Graph client: paging, $batch, delta rounds, retries.

Why not msgraph-sdk: a backup tool needs untyped JSON that round-trips unknown properties exactly,
synchronous code and few dependencies (docs/architecture.md). The contract callers rely on is "complete or
exception":
every read either returns everything Graph has or raises GraphError, so a failed listing can never look like a
mass deletion.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import errno
import json
import os
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from entragit import __version__
from entragit.errors import EntragitError

T = TypeVar("T")
R = TypeVar("R")
JSONList = list[dict[str, Any]]  # the class defines a method named `list`, so annotate through this alias
Kept = list[Any]  # what list_many's `keep` takes of a page (`list` is a method name in GraphClient)

# Statuses that mean "not processed, try again later" (429) or "transient server trouble" (5xx).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Error codes Graph uses when a delta token can no longer be used (besides 410 Gone).
DELTA_EXPIRED_CODES = frozenset({"syncStateNotFound", "resyncRequired"})
BATCH_SIZE = 20  # Graph's documented maximum number of requests in one $batch
MAX_RETRY_AFTER = 300.0  # never sleep longer than this on one Retry-After, whatever the server says
# Longest gap between two $batch POSTs while Graph throttles (see _BatchWindow): pacing must slow a backup
# down to the budget's rate, never stall it.
MAX_PACED_WAIT = 1.0
# Most wall-clock time one client (one run) spends waiting to retry, whatever the cause and however many
# workers wait at once: a run against a Graph that keeps failing ends after this, with the last error. A 100k
# user backup takes about 70 s in all (README), so 15 minutes only ever stops a run that is not getting on.
RETRY_BUDGET = 900.0


class RawPage(NamedTuple):
    """A page body as Graph sent it, with the links that continue or end the round found in its bytes."""

    content: bytes
    next_link: str | None
    delta_link: str | None


_LINK_VALUE = re.compile(rb'\s*:\s*"((?:[^"\\]|\\.)*)"')


def page_link(content: bytes, name: str) -> str | None:
    """`@odata.<name>` of a page body, found without decoding the page (Graph writes it before `value`).

    A quote inside a JSON string is always escaped, so the quoted key can only be a key; one of a nested
    object would be found first, which is why whoever decodes the page checks the link against it."""
    key = b'"@odata.' + name.encode("ascii") + b'"'
    at = content.find(key)
    if at < 0:
        return None
    match = _LINK_VALUE.match(content, at + len(key))
    if match is None:
        return None
    try:
        link = json.loads(b'"' + match.group(1) + b'"')
    except ValueError:
        return None
    return link if isinstance(link, str) else None


class GraphError(EntragitError):
    """A Graph request that failed for good; str() is one line naming the request and Graph's error."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        *,
        method: str,
        url: str,
        display: str | None = None,
        hint: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.url = url
        self.display = display or url
        self.hint = hint
        super().__init__(self._line())

    def _line(self) -> str:
        status = f"{self.status} " if self.status is not None else ""
        code = f"{self.code}: " if self.code else ""
        text = f"{self.method} {self.display}: {status}{code}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split())  # one line, whatever the server put in its message


class GraphUnreachable(GraphError):
    """The Graph host could not be reached at all (its name does not resolve, or it refuses connections)
    before it ever answered: a wrong URL or a missing network, which retrying does not mend. The line names
    the host, not the request, so that every request failing this way reads the same."""

    def _line(self) -> str:
        host = urlsplit(self.url).netloc or self.url
        return f"cannot reach Graph at {host}: {self.message} ({self.hint})"


class DeltaExpired(GraphError):
    """The delta token was rejected (410 Gone, syncStateNotFound, resyncRequired): list everything again."""


@dataclass
class DeltaRound:
    """One delta round: every changed entry (merged per id) and the deltaLink to start the next round from."""

    items: list[dict[str, Any]]
    delta_link: str


@dataclass(frozen=True)
class Write:
    """One write for `GraphClient.write_many`: method, path under the version root, JSON body."""

    method: str
    path: str
    body: Any = None
    required_permission: str | None = None


WriteResult = Any  # the response body (dict), None for an empty one (204), or the GraphError for that write
WriteResults = list[WriteResult]  # annotated through this alias, as JSONList


@dataclass(frozen=True)
class RetryNotice:
    """A request about to be retried, handed to the client's `on_retry` callback: the client never prints, so
    the CLI decides whether and how a person sees it (`retrying users: 503, attempt 3 of 9`)."""

    what: str  # the request: a path under the version root (`users`), or `$batch` requests
    status: str  # `503`, `429`, `connection lost`, `timed out`
    attempt: int  # the attempt about to be made (the first retry is attempt 2)
    max: int | None  # the last attempt allowed; None for throttling, which is bounded by time instead
    wait: float  # seconds before it


class _RetryBudget:
    """Wall-clock seconds in which some request of the client waits to be retried: concurrent waits count
    once, so the bound is on how long the run is held up, not on how many workers happened to wait."""

    def __init__(self, seconds: float, sleep: Callable[[float], None]) -> None:
        self.seconds = seconds
        self._sleep = sleep
        self._spent = 0.0
        self._waiting = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def wait(self, seconds: float, announce: Callable[[], None] = lambda: None) -> bool:
        """Announce and sleep `seconds`; False, without either, when that would overrun the budget."""
        with self._lock:
            now = time.monotonic()
            spent = self._spent + (now - self._since if self._waiting else 0.0)
            if spent + seconds > self.seconds:
                return False
            if not self._waiting:
                self._since = now
            self._waiting += 1
        try:
            announce()
            self._sleep(seconds)
        finally:
            with self._lock:
                self._waiting -= 1
                if not self._waiting:
                    self._spent += time.monotonic() - self._since
        return True


@dataclass
class _Backoff:
    """Exponential backoff with jitter; overridable so tests do not sleep for real seconds."""

    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def delay(self, attempt: int) -> float:
        # "Equal jitter": half fixed, half random, so concurrent workers spread out but still back off.
        ceiling = min(self.cap, self.base * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def odata_string(value: object) -> str:
    """A string literal of a `$filter`: in single quotes, a quote inside doubled (OData URL conventions)."""
    return "'" + str(value).replace("'", "''") + "'"


# Requests Graph limits to one a second per tenant, whose 429s carry no Retry-After (`GraphClient._ca_wait`).
_CA_LIMITED = re.compile(r"/identity/conditionalAccess/(policies|namedLocations)(/|$)", re.IGNORECASE)


def _ca_verify(ca_bundle: str | None, env: Mapping[str, str]) -> str | bool:
    """The `verify` value requests would use if it honoured the environment, but with ca_bundle winning."""
    if ca_bundle:
        return ca_bundle
    return env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True


def _bypass_proxy(url: str, env: Mapping[str, str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def build_session(
    ca_bundle: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    pool_size: int = 10,
    target_url: str | None = None,
) -> requests.Session:
    """A requests session whose TLS trust is exactly what we decided, not what the environment overrides.

    requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override Session.verify (requests issue #3829), which
    breaks trust of a private CA such as the sandbox's; trust_env=False stops that, so proxies and the CA
    bundle from the environment are applied here explicitly instead.
    """
    env = os.environ if env is None else env
    session = requests.Session()
    session.trust_env = False
    session.verify = _ca_verify(ca_bundle, env)
    if target_url is None or not _bypass_proxy(target_url, env):
        for scheme in ("https", "http"):
            proxy = env.get(f"{scheme.upper()}_PROXY") or env.get(f"{scheme}_proxy")
            if proxy:
                session.proxies[scheme] = proxy
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 10), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = f"entragit/{__version__}"
    return session


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header: Graph sends fractional seconds; HTTP also allows a date."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _jittered(seconds: float) -> float:
    """At least what Retry-After asked, plus up to 20% so throttled workers do not all wake together."""
    return seconds * random.uniform(1.0, 1.2)


class _BatchWindow:
    """Client-wide pacing of $batch POSTs under throttling: how many may be in flight, and how far apart.

    Graph's resource-unit budget is shared by every request of the app. When it runs dry, concurrent batches
    only collect 429s for each other, and even one batch at a time, resent as soon as Retry-After allows,
    asks for its 20 requests every round trip while the budget refills a few. So a throttled round halves the
    number of batches in flight and (at least) doubles the gap between batch POSTs; clean rounds shrink the
    gap again and add one batch per `limit` clean rounds (additive increase, multiplicative decrease, as TCP
    does). Only a round sent since the last decrease may change anything: the other batches that were in
    flight when the budget ran out report the same news and must not halve the limit again and again.
    """

    def __init__(self, ceiling: int, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.gap = 0.0  # seconds between the starts of two batch POSTs; 0 while Graph is not throttling
        self._sleep = sleep
        self._in_flight = 0
        self._next_send = 0.0  # monotonic time before which no batch POST starts
        self._epoch = 0  # bumped by every decrease
        self._clean = 0
        self._cond = threading.Condition()

    def acquire(self) -> int:
        """Wait for a free slot and the batch's turn; the ticket tells which decrease the round follows."""
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1
            now = time.monotonic()
            send_at = max(now, self._next_send)
            self._next_send = send_at + self.gap
            ticket = self._epoch
        if send_at > now:
            self._sleep(send_at - now)
        return ticket

    def release(self, ticket: int, throttled: bool | None, hint: float = 0.0) -> None:
        """Free the slot and learn from the round: throttled None (the POST itself failed) teaches nothing.

        `hint` is how long the throttled round's requests need at the rate Retry-After implies.
        """
        with self._cond:
            self._in_flight -= 1
            if throttled is not None and ticket == self._epoch:
                if throttled:
                    self.limit = max(1, self.limit // 2)
                    self.gap = min(MAX_PACED_WAIT, max(self.gap * 2, hint))
                    self._epoch += 1
                    self._clean = 0
                else:
                    self.gap = self.gap * 0.8 if self.gap > 0.001 else 0.0
                    self._clean += 1
                    if self._clean >= self.limit and self.limit < self.ceiling:
                        self.limit += 1
                        self._clean = 0
            self._cond.notify_all()


def _error_parts(body: Any, fallback: str) -> tuple[str, str]:
    """(code, message) from a Graph error body, or the HTTP reason when the body is not Graph's shape."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = str(err.get("code") or "")
        message = str(err.get("message") or "") or fallback
        return code, message
    return "", fallback


def _query(params: Mapping[str, Any] | None) -> str:
    """Encode OData query options readably ($select=id,displayName) the way Graph documents them."""
    if not params:
        return ""
    return urlencode({k: str(v) for k, v in params.items()}, quote_via=quote, safe="$,'()*:/@")


def _with_query(url: str, query: str) -> str:
    """`url` with more query options: a path may already carry its own (`groups?$filter=...`)."""
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def map_concurrent(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """Apply fn to items on a thread pool; results in input order; the first exception cancels the rest.

    A fresh pool per call keeps nested use (a worker that itself fans out) free of deadlocks.
    """
    todo = list(items)
    if not todo:
        return []
    if max_workers <= 1 or len(todo) == 1:
        return [fn(x) for x in todo]
    pool = ThreadPoolExecutor(max_workers=min(max_workers, len(todo)), thread_name_prefix="entragit-graph")
    try:
        futures: list[Future[R]] = [pool.submit(fn, x) for x in todo]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for fut in futures:
            exc = fut.exception() if fut in done else None
            if exc is not None:
                for other in futures:
                    other.cancel()
                raise exc
        return [fut.result() for fut in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def merge_delta_entry(into: dict[str, Any], entry: Mapping[str, Any]) -> None:
    """Fold a repeated delta entry into the first one seen for the same id.

    Large groups arrive as several entries, each carrying a slice of `members@delta`; later scalar properties
    override earlier ones; an `@removed` marker, once seen, is kept.
    """
    for key, value in entry.items():
        if key.endswith("@delta") and isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + value
        elif key == "@removed" and value is None and "@removed" in into:
            continue
        else:
            into[key] = value


def token_permissions(token: str) -> frozenset[str] | None:
    """The permissions an access token says its bearer holds: app-only tokens list the application
    permissions granted in `roles`, user tokens the delegated ones in `scp` (space separated); a claim
    without a value is left out of the token, so an app granted nothing has no `roles` at all
    (access-token-claims-reference.md, learn.microsoft.com). The payload is decoded, not verified: the token
    came from the identity platform over TLS to this process, and this only tells what to ask Graph for
    (a read Graph answers without error but empty when a permission is missing). None when the token is
    no readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict):
        return None
    scopes = claims.get("scp")
    if isinstance(scopes, str):
        return frozenset(scopes.split())
    roles = claims.get("roles")
    return frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset()


class GraphClient:
    """Graph over one shared requests session (urllib3's pool is thread-safe) sized for max_workers.

    The pool holds several connections per worker so that nested fan-out (a map_concurrent worker calling
    list_many) reuses connections instead of opening and discarding them with urllib3's "pool is full"
    warnings on stderr.
    """

    def __init__(
        self,
        graph_url: str,
        token: Callable[[], str],
        *,
        ca_bundle: str | None = None,
        api_version: str = "v1.0",
        max_workers: int = 8,
        max_retries: int = 8,
        max_throttle_wait: float = 900.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        timeout: float | tuple[float, float] = (15.0, 120.0),
        env: Mapping[str, str] | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        retry_budget: float = RETRY_BUDGET,
        app: str = "",
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.app = app  # the client id the tokens are for: a 403 names the app that lacks the permission
        self.api_version = api_version
        self.base_url = f"{self.graph_url}/{api_version}"
        self.max_workers = max(1, max_workers)
        self.max_retries = max(0, max_retries)
        self.max_throttle_wait = max_throttle_wait
        self._pause_until = 0.0  # monotonic time before which nobody sends: Graph's RU bucket is shared
        # Conditional access policies and named locations: 1 request per second per tenant, and their 429s
        # carry no Retry-After (throttling-limits.md; docs/graph.md, Throttling). Such a 429 is retried one
        # interval after the last of them Graph answered (`_ca_answered`): the generic backoff retried within
        # the second and was refused again, a second and more a run. (Twice the backoff base: the documented
        # second by default; tests that shrink one shrink both.)
        self.ca_interval = 2 * backoff_base
        self._ca_answered = 0.0
        self.timeout = timeout
        self.backoff = _Backoff(base=backoff_base, cap=backoff_cap)
        self._token = token
        self._session = build_session(
            ca_bundle, env, pool_size=max(self.max_workers * 4, 32), target_url=self.graph_url
        )
        self._lock = threading.Lock()
        # Unthrottled, batches go out as fast as the callers' workers send them (several list_many calls of
        # max_workers each run at once in a backup, up to the connection pool); throttling narrows that.
        self._window = _BatchWindow(self.max_workers * 4, sleep=lambda s: self.backoff.sleep(s))
        self.stats: dict[str, int] = {"requests": 0, "retries": 0, "throttled": 0, "batched": 0}
        self.on_retry = on_retry
        self._budget = _RetryBudget(retry_budget, sleep=lambda s: self.backoff.sleep(s))
        # Whether Graph ever answered: until then a name that does not resolve or a refused connection is a
        # wrong URL or no network, not a transient fault (see GraphUnreachable).
        self.reached = False
        self.unreachable: GraphUnreachable | None = None

    # -- plumbing ----------------------------------------------------------------------------------------

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] = self.stats.get(key, 0) + n

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Absolute URL for a path under the API version root; absolute URLs (next/delta links) verbatim."""
        if path.startswith(("https://", "http://")):
            return path
        return _with_query(f"{self.base_url}/{path.lstrip('/')}", _query(params))

    def _display(self, url: str) -> str:
        """What an error message calls a request: the path under the version root, without the query."""
        short = url.split("?", 1)[0]
        prefix = self.base_url + "/"
        return short[len(prefix) :] if short.startswith(prefix) else short

    def _failure(self, status: int | None, code: str, message: str, method: str, url: str) -> GraphError:
        return GraphError(status, code, message, method=method, url=url, display=self._display(url))

    def _retry_wait(self, delay: float, what: str, status: str, attempt: int, most: int | None) -> bool:
        """Wait `delay` before attempt number `attempt` (telling on_retry first); False, at once, when the
        run's retry budget would be overrun: the caller then raises its last error."""
        notice = RetryNotice(what, status, attempt, most, delay)
        callback = self.on_retry
        return self._budget.wait(delay, (lambda: callback(notice)) if callback else lambda: None)

    def _budget_hint(self, attempts: int) -> str:
        budget = f"{self._budget.seconds:g} s"
        return f"gave up after {attempts} attempts: the run's retry budget of {budget} is used up"

    def _what(self, method: str, url: str) -> str:
        display = self._display(url)
        return display if method.upper() == "GET" else f"{method.upper()} {display}"

    def granted(self) -> frozenset[str] | None:
        """The permissions the app's current token carries (`token_permissions`), None when it says nothing
        readable. What an app holds shows in its next token (a grant's change after msal cached one shows
        within the token's hour)."""
        return token_permissions(self._token())

    def _refresh_token(self) -> str:
        invalidate = getattr(self._token, "invalidate", None)
        if callable(invalidate):
            invalidate()
        return self._token()

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run fn over items on up to max_workers threads (results in order; first failure raises)."""
        return map_concurrent(fn, items, self.max_workers)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        required_permission: str | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """One logical request with retries; returns the successful response or raises GraphError.

        idempotent defaults to "not a POST"; a $batch of GETs passes True since resending it is harmless.
        """
        if idempotent is None:
            idempotent = method.upper() != "POST"
        if self.unreachable is not None and not self.reached:
            # Graph never answered and its host cannot be reached: each further request would wait as
            # long again for the same answer (a name that does not resolve takes the resolver seconds).
            gone = self.unreachable
            raise GraphUnreachable(None, gone.code, gone.message, method=method, url=gone.url, hint=gone.hint)
        url = self.url(path, params)
        request_id = str(uuid.uuid4())
        attempt = 0  # failures other than 429, bounded by max_retries
        throttled_for = 0.0  # seconds slept on 429s, bounded by max_throttle_wait
        throttle_tries = 0
        refreshed = False
        # A create that timed out at a gateway (500/502/504) may have happened: resending could make a
        # duplicate. 429 and 503 mean "not processed", so they are safe to resend for any method.
        retry_on = RETRYABLE_STATUSES if idempotent else NOT_PROCESSED_STATUSES
        token = self._token()
        over_budget = False
        ca_limited = _CA_LIMITED.search(urlsplit(url).path) is not None
        while True:
            self._wait_for_gate()
            hdrs = {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "client-request-id": request_id,
            }
            hdrs.update(with_enum_members(headers))
            self._count("requests")
            try:
                resp = self._session.request(method, url, json=json, headers=hdrs, timeout=self.timeout)
            except requests.exceptions.SSLError as exc:
                # A trust problem does not heal by retrying; say where trust comes from.
                message = tls_failure(urlsplit(url).netloc, exc)
                raise self._failure(None, "TLSError", message, method, url) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = None if self.reached else unreachable_reason(exc)
                if reason is not None:
                    hint = "check ENTRAGIT_GRAPH_URL, or graph_url and cloud in entragit.yaml"
                    gone = GraphUnreachable(
                        None, "HostUnreachable", reason, method=method, url=url, hint=hint
                    )
                    self.unreachable = gone
                    raise gone from None
                resend = idempotent or isinstance(exc, requests.ConnectTimeout)
                lost = "timed out" if isinstance(exc, requests.Timeout) else "connection lost"
                delay = self.backoff.delay(attempt)
                if (
                    not resend
                    or attempt >= self.max_retries
                    or not self._retry_wait(
                        delay, self._what(method, url), lost, attempt + 2, self.max_retries + 1
                    )
                ):
                    message = f"no response from Graph after {attempt + 1} attempt(s): {exc_line(exc)}"
                    raise self._failure(None, type(exc).__name__, message, method, url) from None
                self._count("retries")
                attempt += 1
                continue
            self.reached = True
            status = resp.status_code
            if ca_limited and status != 429:
                self._ca_answered = time.monotonic()
            if status == 401 and not refreshed:
                # A token can expire between msal's cache check and Graph's; fetch a fresh one, once.
                refreshed = True
                self._count("retries")
                resp.close()
                token = self._refresh_token()
                continue
            if status == 429:
                # Throttling is Graph saying "later", not "broken": wait as told for up to max_throttle_wait.
                self._count("throttled")
                wait_s = _retry_after(resp.headers)
                delay = _jittered(wait_s) if wait_s is not None else self.backoff.delay(throttle_tries)
                if wait_s is None and ca_limited:
                    delay = self._ca_wait()
                if throttled_for + delay <= self.max_throttle_wait:
                    resp.close()
                    if wait_s is not None:
                        # A Retry-After speaks for the shared RU bucket; a bare 429 (conditional access:
                        # 1 request/s) concerns only its own kind of request, so others carry on.
                        self._close_gate(delay)
                    if self._retry_wait(delay, self._what(method, url), "429", throttle_tries + 2, None):
                        self._count("retries")
                        throttled_for += delay
                        throttle_tries += 1
                        continue
                    over_budget = True
            elif status in retry_on and attempt < self.max_retries:
                wait_s = _retry_after(resp.headers)
                resp.close()
                delay = _jittered(wait_s) if wait_s is not None else self.backoff.delay(attempt)
                what = self._what(method, url)
                if self._retry_wait(delay, what, str(status), attempt + 2, self.max_retries + 1):
                    self._count("retries")
                    attempt += 1
                    continue
                over_budget = True
            if status >= 400:
                tries = attempt + throttle_tries + 1
                hint = self._budget_hint(tries) if over_budget else ""
                raise self._error(resp, method, url, required_permission, attempts=tries, hint=hint)
            return resp

    def _close_gate(self, seconds: float) -> None:
        with self._lock:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)

    def _ca_wait(self) -> float:
        """How long a refused conditional access request waits: until one interval after the last one
        Graph answered, or a whole interval when that has passed (another application took the second)."""
        left = self._ca_answered + self.ca_interval - time.monotonic()
        return left if left > 0 else self.ca_interval

    def _wait_for_gate(self) -> None:
        """Hold back while Graph has told any worker to wait: requests sent into a 429 only cost quota."""
        remaining = self._pause_until - time.monotonic()
        if remaining > 0:
            self.backoff.sleep(remaining)

    def _error(
        self,
        resp: requests.Response,
        method: str,
        url: str,
        required_permission: str | None,
        *,
        attempts: int = 1,
        display: str | None = None,
        hint: str = "",
    ) -> GraphError:
        try:
            body = resp.json()
        except ValueError:
            body = None
        text = resp.reason or ""
        if body is None and resp.text:
            text = resp.text.strip().splitlines()[0][:200] if resp.text.strip() else text
        return error_from(
            resp.status_code,
            body,
            method=method,
            url=url,
            display=display or self._display(url),
            required_permission=required_permission,
            fallback=text or f"HTTP {resp.status_code}",
            attempts=attempts,
            hint=hint,
            app=self.app,
        )

    # -- public API --------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        required_permission: str | None = None,
    ) -> dict[str, Any] | None:
        """Any Graph call; the parsed JSON body, or None for an empty body (204)."""
        resp = self.send(
            method, path, params=params, json=json, headers=headers, required_permission=required_permission
        )
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            body = resp.json()
        except ValueError:
            raise self._failure(
                resp.status_code, "InvalidResponse", "response body is not JSON", method, resp.url
            ) from None
        return body if isinstance(body, dict) else {"value": body}

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        required_permission: str | None = None,
    ) -> dict[str, Any]:
        body = self.request(
            "GET", path, params=params, headers=headers, required_permission=required_permission
        )
        return body or {}

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        required_permission: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Each page body in turn, following @odata.nextLink verbatim (headers are resent on every page)."""
        url: str | None = self.url(path, params)
        while url:
            page = self.get(url, headers=headers, required_permission=required_permission)
            yield page
            url = page.get("@odata.nextLink")

    def raw_pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, required_permission: str | None = None
    ) -> Iterator[RawPage]:
        """Each page body undecoded, following its nextLink verbatim: the next request leaves as soon as the
        link is found, and the JSON is decoded where the objects are rendered (a worker process)."""
        url: str | None = self.url(path, params)
        while url:
            content = self.send("GET", url, required_permission=required_permission).content
            page = RawPage(content, page_link(content, "nextLink"), page_link(content, "deltaLink"))
            yield page
            url = page.next_link

    def list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        required_permission: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection; a failure on any page raises GraphError (never a partial list)."""
        for page in self.pages(path, params, headers, required_permission=required_permission):
            yield from page.get("value", [])

    def delta(
        self,
        path_or_link: str,
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        required_permission: str | None = None,
    ) -> DeltaRound:
        """One delta round: a path (`users/delta`) with params, or a saved deltaLink used verbatim.

        Raises DeltaExpired when Graph rejects the token; the caller then does a full listing.
        """
        merged: dict[str, dict[str, Any]] = {}
        anonymous: JSONList = []
        for page in self.pages(path_or_link, params, headers, required_permission=required_permission):
            for entry in page.get("value", []):
                key = entry.get("id")
                if not isinstance(key, str):
                    anonymous.append(entry)
                elif key in merged:
                    merge_delta_entry(merged[key], entry)
                else:
                    merged[key] = dict(entry)
            delta_link = page.get("@odata.deltaLink")
            if delta_link:
                return DeltaRound(items=[*merged.values(), *anonymous], delta_link=str(delta_link))
        message = "delta round ended without an @odata.deltaLink"
        raise self._failure(None, "NoDeltaLink", message, "GET", self.url(path_or_link, params))

    def list_many(
        self,
        paths: Sequence[str],
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        required_permission: str | None = None,
        keep: Callable[[JSONList], Kept] | None = None,
        convert: Callable[[Kept], R] | None = None,
    ) -> dict[str, Any]:
        """Read many small collections (e.g. `groups/{id}/owners`) through $batch, 20 per batch, concurrently.

        Inner 429/5xx responses are retried after the longest inner Retry-After (only those requests);
        each inner @odata.nextLink is followed with plain GETs. Any inner failure raises GraphError naming
        the path. `keep` reduces each page to what the caller needs as the page arrives, and `convert` turns
        each complete collection of kept items into what the caller keeps: the members of a tenant's big
        groups are millions of objects, their ids a fraction of that memory.
        """

        def run(chunk: Sequence[str]) -> dict[str, Any]:
            bodies = self._run_batch(chunk, params, headers, required_permission)
            out: dict[str, Any] = {}
            for path in list(bodies):
                body = bodies.pop(path) or {}  # a first page is dropped once kept, not when the chunk ends
                items = kept(body)
                next_link = body.get("@odata.nextLink")
                del body
                if next_link:  # sequential by nature; other batches keep the other workers busy
                    for page in self.pages(
                        next_link, headers=headers, required_permission=required_permission
                    ):
                        items.extend(kept(page))
                out[path] = items if convert is None else convert(items)
            return out

        def kept(page: dict[str, Any]) -> Kept:
            value = page.get("value", [])
            return list(value) if keep is None else keep(value)

        return self._batched(paths, run)

    def get_many(
        self,
        paths: Sequence[str],
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        required_permission: str | None = None,
        missing_ok: bool = True,
    ) -> dict[str, dict[str, Any] | None]:
        """GET many single objects (e.g. `users/{id}/manager`) through $batch, 20 per batch, concurrently.

        A 404 gives None when missing_ok (a user without a manager); any other failure raises GraphError.
        """

        def run(chunk: Sequence[str]) -> dict[str, dict[str, Any] | None]:
            return self._run_batch(chunk, params, headers, required_permission, missing_ok=missing_ok)

        return self._batched(paths, run)

    def _batched(self, paths: Sequence[str], run: Callable[[Sequence[str]], dict[str, R]]) -> dict[str, R]:
        """`run` over the unique paths in chunks of one $batch each, concurrently; keyed by the caller's
        spelling of each path (with or without a leading `/`)."""
        unique = list(dict.fromkeys(p.lstrip("/") for p in paths))
        chunks = [unique[i : i + BATCH_SIZE] for i in range(0, len(unique), BATCH_SIZE)]
        results: dict[str, R] = {}
        for part in self.map_concurrent(run, chunks):
            results.update(part)
        return {p: results[p.lstrip("/")] for p in dict.fromkeys(paths)}

    def _run_batch(
        self,
        chunk: Sequence[str],
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        required_permission: str | None,
        *,
        missing_ok: bool = False,
    ) -> dict[str, dict[str, Any] | None]:
        """GET each path of one chunk (<= 20) through $batch: body per path (None: 404 and missing_ok)."""
        query = _query(params)
        pending = {str(i): path for i, path in enumerate(chunk, 1)}
        out: dict[str, dict[str, Any] | None] = {}
        # Counts rounds in a row in which nothing succeeded: under sustained throttling every round still
        # gets some requests through, and giving up then would fail a backup that is merely slow.
        stalled = 0
        throttled_for = 0.0
        last_failure: tuple[int, Any] = (0, None)
        while pending:
            responses = self._paced(partial(self._post_batch, pending, query, headers), len(pending))
            retry: dict[str, str] = {}
            retry_statuses: list[int] = []
            waits: list[float] = []
            for rid, path in pending.items():
                resp = responses.get(rid)
                if resp is None:
                    retry[rid] = path  # a response went missing: ask again rather than lose the path
                    retry_statuses.append(0)
                    continue
                status = int(resp.get("status", 0))
                inner_headers = _ci(resp.get("headers") or {})
                body = resp.get("body")
                if status in RETRYABLE_STATUSES:
                    if status == 429:
                        self._count("throttled")
                    retry[rid] = path
                    retry_statuses.append(status)
                    last_failure = (status, body)
                    ra = _retry_after(inner_headers)
                    if ra is not None:
                        waits.append(ra)
                    continue
                if status == 404 and missing_ok:
                    out[path] = None
                    continue
                if status >= 400 or not isinstance(body, dict):
                    url = self.url(path, params)
                    raise error_from(
                        status,
                        body,
                        method="GET",
                        url=url,
                        display=f"{path} (in $batch)",
                        required_permission=required_permission,
                        fallback=f"HTTP {status}",
                        app=self.app,
                    )
                out[path] = body
            if retry:
                if len(retry) < len(pending):  # progress: the limits below count rounds without any
                    stalled, throttled_for = 0, 0.0
                only_throttled = all(s == 429 for s in retry_statuses)
                if only_throttled:
                    delay = _jittered(max(waits)) if waits else self.backoff.delay(min(stalled, 8))
                    throttled_for += delay
                    give_up = throttled_for > self.max_throttle_wait
                    stalled += 1
                else:
                    stalled += 1
                    delay = _jittered(max(waits)) if waits else self.backoff.delay(stalled - 1)
                    give_up = stalled > self.max_retries
                first = next(iter(retry.values()))
                why = ""
                if not give_up:
                    if waits and 429 in retry_statuses:
                        self._close_gate(delay)
                    more = f" and {len(retry) - 1} more" if len(retry) > 1 else ""
                    what = f"{first}{more} (in $batch)"
                    most = None if only_throttled else self.max_retries + 1
                    commonest = max(set(retry_statuses), key=retry_statuses.count)
                    status_text = str(commonest) if commonest else "no response"
                    give_up = not self._retry_wait(delay, what, status_text, stalled + 1, most)
                    why = self._budget_hint(stalled) if give_up else ""
                if give_up:
                    status, body = last_failure
                    raise error_from(
                        status or 503,
                        body,
                        method="GET",
                        url=self.url(first, params),
                        display=f"{first} (in $batch)",
                        fallback="no response in the $batch answer",
                        attempts=stalled,
                        hint=why,
                    )
                self._count("retries", len(retry))
            pending = retry
        return out

    def write_many(self, writes: Sequence[Write]) -> WriteResults:
        """Independent writes, 20 to a $batch (json-batching.md), several batches at once; the result of each,
        in order: its response body (None when empty) or its GraphError. A lone write goes as itself.

        Only inner 429s and 503s ("not processed") are resent, after their Retry-After (throttling.md), and
        while they wait the client's gate holds every other request back: resending anything else could
        repeat a creation that happened."""
        if len(writes) == 1:
            w = writes[0]
            try:
                return [self.request(w.method, w.path, w.body, required_permission=w.required_permission)]
            except GraphError as exc:
                return [exc]
        chunks = [list(range(i, min(i + BATCH_SIZE, len(writes)))) for i in range(0, len(writes), BATCH_SIZE)]
        results: WriteResults = [None] * len(writes)

        def run(chunk: list[int]) -> None:
            for i, result in zip(chunk, self._write_batch([writes[i] for i in chunk]), strict=True):
                results[i] = result

        self.map_concurrent(run, chunks)
        return results

    def _write_batch(self, writes: Sequence[Write]) -> WriteResults:
        pending = {str(i): w for i, w in enumerate(writes, 1)}
        out: dict[str, WriteResult] = {}
        throttled_for = 0.0
        rounds = 0
        while pending:
            body = {"requests": [_inner_write(rid, w) for rid, w in pending.items()]}
            try:
                answers = self._paced(partial(self._post_writes, body, len(pending)), len(pending))
            except GraphError as exc:
                # The envelope itself failed (a dropped connection, a 500 for the whole batch): each write
                # in it may or may not have happened, so none is resent, and each one's result is that
                # failure rather than the whole restore's end.
                out.update(dict.fromkeys(pending, exc))
                break
            retry: dict[str, Write] = {}
            waits: list[float] = []
            for rid, w in pending.items():
                answer = answers.get(rid)
                url = self.url(w.path)
                display = f"{w.path} (in $batch)"
                if answer is None:  # may have happened: never resent
                    out[rid] = GraphError(
                        None, "NoResponse", "no answer in the $batch response", method=w.method, url=url
                    )
                    continue
                status = int(answer.get("status", 0))
                if status in NOT_PROCESSED_STATUSES:
                    self._count("throttled" if status == 429 else "retries")
                    retry[rid] = w
                    wait_s = _retry_after(_ci(answer.get("headers") or {}))
                    if wait_s is not None:
                        waits.append(wait_s)
                    out[rid] = error_from(
                        status, answer.get("body"), method=w.method, url=url, display=display, app=self.app
                    )
                    continue
                reply = answer.get("body")
                if status >= 400:
                    out[rid] = error_from(
                        status,
                        reply,
                        method=w.method,
                        url=url,
                        display=display,
                        required_permission=w.required_permission,
                        fallback=f"HTTP {status}",
                        app=self.app,
                    )
                else:
                    out[rid] = reply if isinstance(reply, dict) and reply else None
            if not retry:
                break
            delay = _jittered(max(waits)) if waits else self.backoff.delay(min(rounds, 8))
            throttled_for += delay
            if throttled_for > self.max_throttle_wait:
                break  # the last 429 stays each write's result
            if waits:
                self._close_gate(delay)
            first = next(iter(retry.values()))
            more = f" and {len(retry) - 1} more" if len(retry) > 1 else ""
            if not self._retry_wait(
                delay, f"{first.method} {first.path}{more} (in $batch)", "429", rounds + 2, None
            ):
                break
            self._count("retries", len(retry))
            rounds += 1
            pending = retry
        return [out[str(i)] for i in range(1, len(writes) + 1)]

    def _paced(self, post: Callable[[], dict[str, dict[str, Any]]], size: int) -> dict[str, dict[str, Any]]:
        """One $batch round through the client's batch window: its inner responses by id. The window learns
        whether the round was throttled, and how long it should wait: Retry-After is what one refused request
        needs, a round like this one needs it `size` times."""
        ticket = self._window.acquire()
        throttled: bool | None = None
        hint = 0.0
        try:
            answers = post()
            refused = [r for r in answers.values() if int(r.get("status", 0)) == 429]
            throttled = bool(refused)
            if refused:
                longest = max(_retry_after(_ci(r.get("headers") or {})) or 0.0 for r in refused)
                hint = longest * size
        finally:
            self._window.release(ticket, throttled, hint)
        return answers

    def _post_writes(self, body: Mapping[str, Any], size: int) -> dict[str, dict[str, Any]]:
        """One $batch POST of writes (never resent as a whole: a write may have happened); answers by id."""
        self._count("batched", size)
        http = self.send("POST", "$batch", json=body, idempotent=False)
        envelope = http.json() if http.content else {}
        return {str(r.get("id")): r for r in (envelope or {}).get("responses", []) if isinstance(r, dict)}

    def _post_batch(
        self, pending: Mapping[str, str], query: str, headers: Mapping[str, str] | None
    ) -> dict[str, dict[str, Any]]:
        """One $batch POST of a GET per pending path (keyed by request id); the inner responses by id."""
        requests_body = []
        for rid, path in pending.items():
            url = _with_query("/" + path, query)
            inner = {"id": rid, "method": "GET", "url": url, "headers": with_enum_members(headers)}
            requests_body.append(inner)
        self._count("batched", len(requests_body))
        http = self.send("POST", "$batch", json={"requests": requests_body}, idempotent=True)
        try:
            envelope = http.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict):
            raise GraphError(
                http.status_code,
                "InvalidResponse",
                "the $batch response body is not a JSON object",
                method="POST",
                url=http.url,
                display="$batch",
            )
        return {str(r.get("id")): r for r in envelope.get("responses", []) if isinstance(r, dict)}


def _inner_write(rid: str, w: Write) -> dict[str, Any]:
    """One request of a write $batch; a body needs its Content-Type (json-batching.md)."""
    inner: dict[str, Any] = {"id": rid, "method": w.method, "url": "/" + w.path.lstrip("/")}
    if w.body is None:
        inner["headers"] = with_enum_members(None)
    else:
        inner["body"] = w.body
        inner["headers"] = with_enum_members({"Content-Type": "application/json"})
    return inner


ENUM_MEMBERS = "include-unknown-enum-members"


def with_enum_members(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The headers with `Prefer: include-unknown-enum-members` added to any preference they state (RFC 7240:
    one comma-separated list). Without it Graph answers a member after an evolvable enumeration's
    `unknownFutureValue` (a CA policy's `linux`) with the sentinel, which a backup could not restore
    (best-practices-concept.md, Evolvable enums); an inner $batch request carries its own headers
    (json-batching.md), so each needs it too."""
    out = {k: v for k, v in (headers or {}).items() if k.lower() != "prefer"}
    stated = [v for k, v in (headers or {}).items() if k.lower() == "prefer"]
    out["Prefer"] = ", ".join([ENUM_MEMBERS, *stated])
    return out


def _ci(headers: Mapping[str, Any]) -> requests.structures.CaseInsensitiveDict[str]:
    return requests.structures.CaseInsensitiveDict({str(k): str(v) for k, v in headers.items()})


def tls_failure(where: str, exc: BaseException) -> str:
    """The message for a failed TLS handshake: retrying will not help, so say where trust comes from."""
    return (
        f"TLS failure talking to {where} (trusted CAs come from the configured CA bundle or"
        f" REQUESTS_CA_BUNDLE): {exc_line(exc)}"
    )


def exc_line(exc: BaseException) -> str:
    """The root cause of a requests/urllib3 failure, short: urllib3 wraps it in "Max retries exceeded"."""
    cause: BaseException = exc
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None)
    if isinstance(reason, BaseException):
        cause = reason
    text = " ".join(str(cause).split())
    # NewConnectionError reads "HTTPSConnection(host=..., port=...): Failed to establish ...": keep the end.
    if "): " in text:
        text = text.split("): ", 1)[1]
    return text[:300] if text else type(cause).__name__


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a connection failure means the host cannot be reached at all (the name does not resolve, the
    connection is refused), or None for a failure that may be transient (reset, dropped, timed out)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        cause = todo.pop()
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, (urllib3.exceptions.NameResolutionError, socket.gaierror)):
            return "the host name does not resolve"
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        inner = [getattr(cause, "reason", None), cause.__cause__, cause.__context__, *cause.args[:1]]
        todo.extend(e for e in inner if isinstance(e, BaseException))
    return None


def error_from(
    status: int,
    body: Any,
    *,
    method: str,
    url: str,
    display: str,
    required_permission: str | None = None,
    fallback: str = "",
    attempts: int = 1,
    hint: str = "",
    app: str = "",
) -> GraphError:
    """GraphError (or DeltaExpired) from a status and a Graph error body; adds a hint users can act on
    (`hint`, when given, is the reason the client gave up and wins)."""
    code, message = _error_parts(body, fallback or f"HTTP {status}")
    if hint:
        pass  # the caller's reason for giving up says more than any generic hint
    elif status == 403 and required_permission:
        hint = (
            f"the app {app + ' ' if app else ''}needs the Graph application permission {required_permission}"
        )
    elif status == 403 and app:
        hint = f"the app {app} lacks the Graph permission this call needs"
    elif status == 401:
        hint = "the access token was rejected; check tenant id, client id and credentials"
    elif status in RETRYABLE_STATUSES and attempts > 1:
        hint = f"gave up after {attempts} attempts"
    cls = DeltaExpired if status == 410 or code in DELTA_EXPIRED_CODES else GraphError
    return cls(status, code, message, method=method, url=url, display=display, hint=hint)
