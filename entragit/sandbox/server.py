"""The sandbox's HTTPS transport: TLS, OAuth, bearer checks, $batch, throttling, faults, latency, stats.

Everything Graph does *around* an operation lives here; the operations themselves are `GraphApi.handle`
(graph_api.py), which knows nothing about HTTP. One process can run several sandboxes (tests do), each on its
own loopback port with its own tenant, secret and counters.

Counting rule for `/_sandbox/stats`: `requests` counts Graph requests as Graph's limits see them — every
HTTP request under /v1.0, except that a well-formed `$batch` envelope counts as the requests inside it (and
once in `batches`), not as one more. `cpu_seconds` is the serving process's CPU time (all its threads, shared
by every sandbox it runs): benchmarks subtract two readings to know what the emulated Graph itself cost the
machine, since here it shares the cores with the client it serves.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

from requests.structures import CaseInsensitiveDict

from entragit.sandbox import assertions, certs, evolvable
from entragit.sandbox.faults import Faults, FaultSpecError, parse_fault
from entragit.sandbox.oauth import GRAPH_RESOURCE, Authority, OAuthResult, TokenInfo
from entragit.sandbox.permissions import ALL_PERMISSIONS, parse_grant, parse_list
from entragit.sandbox.throttle import Throttle, is_write, tier_budget

if TYPE_CHECKING:
    from entragit.sandbox.tenant import Tenant

GRAPH_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
MAX_BATCH = 20
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
SAVE_INTERVAL_S = 2.0
# Tenant settings tests may change at run time through POST /_sandbox/tenant (see tenant.py).
TENANT_KNOBS: dict[str, Any] = {
    "delta_lag_seconds": float,
    "delta_epoch": int,
    "delta_token_days": float,
    "delta_replay_seconds": float,
    "retention_days": float,
    "permissions": parse_grant,
}

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class _DropConnection(Exception):
    """Raised by a drop_connection fault: close the socket without answering."""


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def graph_error_body(
    code: str,
    message: str,
    request_id: str,
    client_request_id: str,
    extra_inner: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    inner: dict[str, Any] = {
        "date": _utc_stamp(),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    if extra_inner:
        inner.update(extra_inner)
    return {"error": {"code": code, "message": message, "innerError": inner}}


class _Result:
    """One Graph answer before it is put on the wire (or into a $batch envelope)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}


# Graph's own path segments are words (`members`, `$ref`, `microsoft.graph.user`, `oauth2PermissionGrants`);
# anything else (GUIDs, UPNs, base64 ids, `roleAssignments/lAPpYvVp...-1`) is an object id.
_NAME_SEGMENT = re.compile(r"^(\$?[A-Za-z][A-Za-z.]*|oauth2[A-Za-z]+|b2c[A-Za-z]+)$")


def _path_template(path: str) -> str:
    """`/groups/<guid>/members` → `/groups/{id}/members`: stats group by operation, not by object."""
    return "/".join(seg if not seg or _NAME_SEGMENT.match(seg) else "{id}" for seg in path.split("/"))


class Stats:
    """Request counters for /_sandbox/stats (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.batches = 0
            self.resource_units = 0
            self.throttled = 0
            self.faults = 0
            self.token_requests = 0
            self.connections = 0
            self.by_path: dict[str, int] = {}

    def count(self, method: str, path: str) -> None:
        key = f"{method} {_path_template(path)}"
        with self._lock:
            self.requests += 1
            self.by_path[key] = self.by_path.get(key, 0) + 1

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "batches": self.batches,
                "resource_units": self.resource_units,
                "throttled": self.throttled,
                "faults": self.faults,
                "token_requests": self.token_requests,
                "connections": self.connections,
                "cpu_seconds": round(time.process_time(), 3),
                "by_path": dict(sorted(self.by_path.items())),
            }


class Sandbox:
    """A running sandbox: where it listens, how to authenticate, and the tenant behind it."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        host: str,
        throttle: Throttle,
        latency_ms: int,
        state_path: str | None,
        workdir: str,
        own_workdir: bool,
        client_id: str,
        port: int = 0,
    ) -> None:
        from entragit.sandbox.graph_api import GraphApi

        self.tenant = tenant
        self.tenant_id: str = tenant.tenant_id
        self.client_id = client_id
        self.client_secret = secrets.token_urlsafe(30)
        self.host = host
        self.throttle = throttle
        self.latency_ms = latency_ms
        self.state_path = state_path
        self.workdir = workdir
        self._own_workdir = own_workdir
        self.faults = Faults()
        self.stats = Stats()
        self.api = GraphApi(tenant)
        aliases = (getattr(tenant, "domain", "") or "",)
        self._grants: dict[str, tuple[str, ...]] = {}
        self.authority = Authority(
            self.tenant_id, aliases, {client_id: self.client_secret}, roles_for=self._roles_for
        )
        self.authority.credentials.update(assertions.registrations(tenant.credentials))
        files = certs.write_certificates(workdir, reuse=not own_workdir)
        self.ca_bundle = files.ca_pem
        self._ssl = certs.server_context(files)
        self._server = _Server((host, port), _Handler, self)
        self._server.sandbox = self
        self.port: int = self._server.server_address[1]
        hostname = host if ":" not in host else f"[{host}]"
        self.graph_url = f"https://{hostname}:{self.port}"
        self.authority_host = self.graph_url
        self.authority.host = self.authority_host
        # Tokens for Graph: the public resource URI, its app id, or this sandbox's own URL as resource.
        self.audiences = frozenset(
            {GRAPH_RESOURCE, GRAPH_APP_ID, self.graph_url.lower(), f"https://localhost:{self.port}"}
        )
        self.base_url = f"{self.graph_url}/v1.0"
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._stopped = False
        self._save_lock = threading.Lock()
        self._last_save_s = 0.0
        self._thread = threading.Thread(target=self._serve, name=f"sandbox:{self.port}", daemon=True)
        self._saver: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def _serve(self) -> None:
        # A short poll interval makes stop() quick (shutdown waits for the loop to notice).
        self._server.serve_forever(poll_interval=0.05)

    def _start(self) -> None:
        self._thread.start()
        if self.state_path:
            self._saver = threading.Thread(
                target=self._save_loop, name=f"sandbox-save:{self.port}", daemon=True
            )
            self._saver.start()

    def add_client(
        self, client_id: str, secret: str | None = None, permissions: list[str] | None = None
    ) -> str:
        """Let another application get tokens (e.g. to test per-app throttling, or a read-only backup app
        beside a restore app); returns its secret. `permissions`: its application permissions (default:
        every permission the sandbox knows)."""
        secret = secret or secrets.token_urlsafe(30)
        if permissions is not None:
            self._grants[client_id] = tuple(parse_list(permissions))
        self.authority.add_client(client_id, secret)
        return secret

    def _roles_for(self, client_id: str) -> tuple[str, ...]:
        """The application permissions a client's next token carries."""
        if client_id in self._grants:
            return self._grants[client_id]
        if client_id == self.client_id and self.tenant.permissions is not None:
            return tuple(self.tenant.permissions)
        return ALL_PERMISSIONS

    def info(self) -> dict[str, str]:
        """The six values a client needs (the `sandbox serve --json` line)."""
        return {
            "graph_url": self.graph_url,
            "authority_host": self.authority_host,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "ca_bundle": self.ca_bundle,
        }

    def stop(self) -> None:
        """Stop serving, close open connections, save state (when persisted), remove the generated files."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self._dirty.set()  # wake the saver so it sees _stopping at once
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        if self._saver is not None:
            self._saver.join(timeout=5)
        if self.state_path:
            self.save_state()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- persistence -----------------------------------------------------------------------------------------

    def save_state(self) -> None:
        """Write the tenant to state_path atomically (temp file in the same folder, then rename)."""
        if not self.state_path:
            return
        with self._save_lock:
            self._dirty.clear()
            target = os.path.abspath(self.state_path)
            folder = os.path.dirname(target) or "."
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".sandbox-state-", suffix=".tmp", dir=folder)
            os.close(fd)
            began = time.monotonic()
            try:
                with self.tenant.lock:
                    self.tenant.save(tmp)
                os.replace(tmp, target)
                self._last_save_s = time.monotonic() - began
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def _save_loop(self) -> None:
        # Saving holds the tenant lock (requests wait), so a big tenant is saved less often: never more than
        # a tenth of the time is spent saving.
        while not self._stopping.is_set():
            if self._dirty.wait(timeout=5) and not self._stopping.is_set():
                self._stopping.wait(max(SAVE_INTERVAL_S, 10 * self._last_save_s))  # coalesce bursts of writes
                if not self._stopping.is_set():
                    try:
                        self.save_state()
                    except Exception as exc:  # keep serving; the next write (or stop) tries again
                        self._dirty.set()
                        print(
                            f"entragit sandbox: cannot save state to {self.state_path}: {exc}",
                            file=sys.stderr,
                        )
                        self._stopping.wait(30)

    # -- one Graph request -----------------------------------------------------------------------------------

    def execute(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        body: Any,
        token: TokenInfo,
        target: str,
        request_id: str,
        client_request_id: str,
    ) -> _Result:
        """Faults, throttling and the operation itself for one (possibly batched) Graph request."""
        from entragit.sandbox.graph_api import Request

        self.stats.count(method, path)
        fault = self.faults.take(method, target)
        if fault is not None:
            self.stats.add("faults")
            if fault.drop_connection:
                raise _DropConnection()
            fheaders: dict[str, str] = {}
            if fault.retry_after is not None:
                fheaders["Retry-After"] = _fmt_retry(fault.retry_after)
            extra = {"code": str(fault.status), "status": str(fault.status)} if fault.status == 429 else None
            return _Result(
                fault.status,
                graph_error_body(fault.error_code, fault.error_message, request_id, client_request_id, extra),
                fheaders,
            )
        decision = self.throttle.charge(token.app_id, self.tenant_id, method, path, query)
        if not decision.allowed:
            self.stats.add("throttled")
            return _Result(
                429,
                graph_error_body(
                    "TooManyRequests",
                    "Please retry again later.",
                    request_id,
                    client_request_id,
                    {"code": "429", "message": "Please retry after", "status": "429"},
                ),
                dict(decision.headers),
            )
        self.stats.add("resource_units", decision.resource_units)
        asked = evolvable.asked(headers)
        later = [] if asked or not is_write(method) else evolvable.later_members_sent(path, body)
        if later:
            message = f"The value '{later[0]}' needs the request header 'Prefer: {evolvable.PREFERENCE}'."
            return _Result(400, graph_error_body("BadRequest", message, request_id, client_request_id))
        actor = headers.get("X-Sandbox-Actor") or token.user
        req = Request(
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            base_url=self.base_url,
            app_id=token.app_id,
            actor=actor,
            roles=token.roles,
            delegated=token.kind == "user",
        )
        try:
            resp = self.api.handle(req)
        except Exception as exc:  # a sandbox bug: answer like Graph would (inside a batch: this request only)
            return _Result(
                500,
                graph_error_body(
                    "generalException",
                    f"Sandbox internal error: {type(exc).__name__}: {exc}",
                    request_id,
                    client_request_id,
                ),
            )
        out_headers = dict(decision.headers)
        if resp.headers:
            out_headers.update(resp.headers)
        rbody = resp.body if asked else evolvable.hide_later_members(path, resp.body)
        if isinstance(rbody, dict) and isinstance(rbody.get("error"), dict):
            inner = rbody["error"].setdefault("innerError", {})
            if isinstance(inner, dict):
                inner.setdefault("date", _utc_stamp())
                inner["request-id"] = request_id
                inner["client-request-id"] = client_request_id
        if is_write(method) and resp.status < 400 and self.state_path:
            self._dirty.set()
        return _Result(resp.status, rbody, out_headers)


def _fmt_retry(seconds: float) -> str:
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


class _Server(ThreadingHTTPServer):
    """Threaded HTTPS server; TLS handshakes run in the connection's own thread, not the accept loop."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    sandbox: Sandbox

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], box: Sandbox) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = box
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind's reverse DNS lookup of the host name (slow on some machines).
        import socketserver

        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(15)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = self.sandbox._ssl.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self._conns_lock:
            self._conns.add(conn)
        self.sandbox.stats.add("connections")
        try:
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass
        finally:
            with self._conns_lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def close_connections(self) -> None:
        """Cut keep-alive connections so no client keeps talking to a stopped sandbox."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A handler bug must not kill the server; the handler itself answers 500 where it still can.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "entragit-sandbox"
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    wbufsize = 65536
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return self.server_version

    # -- plumbing --------------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self, status: int, body: Any, headers: Mapping[str, str] | None = None, graph: bool = False
    ) -> None:
        content_type = None
        if body is None:
            payload = b""
        elif isinstance(body, bytes):
            payload = body
            content_type = "application/octet-stream"
        elif isinstance(body, str):
            payload = body.encode("utf-8")
            content_type = "text/plain;charset=utf-8"
        else:
            payload = _encode(body).encode("utf-8")
            content_type = GRAPH_JSON if graph and status < 400 else "application/json"
        self.send_response(status)
        sent_type = False
        if headers:
            for key, value in headers.items():
                if key.lower() == "content-type":
                    sent_type = True
                self.send_header(key, value)
        if content_type and not sent_type:
            self.send_header("Content-Type", content_type)
        if status not in (204, 304) or payload:
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, {"error": {"code": "BadRequest", "message": "Malformed request body."}})
            return
        split = urlsplit(self.path)
        path = split.path
        try:
            if path == "/v1.0" or path.startswith("/v1.0/"):
                self._graph(split.path[len("/v1.0") :], split.query, raw)
            elif path.startswith("/_sandbox/"):
                self._admin(path[len("/_sandbox") :], raw)
            elif path.startswith("/metadata/identity/oauth2/token"):
                self._managed_identity(split.query)
            elif path.startswith("/beta/") or path == "/beta":
                rid = str(uuid.uuid4())
                self._send(
                    400,
                    graph_error_body("BadRequest", "The sandbox serves Graph v1.0 only.", rid, rid),
                    {"request-id": rid},
                )
            else:
                self._oauth(path, raw)
        except _DropConnection:
            self._drop()
        except (ConnectionError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        except Exception as exc:  # a sandbox bug: answer like Graph would, keep serving
            rid = str(uuid.uuid4())
            self._send(
                500,
                graph_error_body(
                    "generalException", f"Sandbox internal error: {type(exc).__name__}: {exc}", rid, rid
                ),
                {"request-id": rid},
            )

    # -- OAuth -----------------------------------------------------------------------------------------------

    def _oauth(self, path: str, raw: bytes) -> None:
        box = self.server.sandbox
        parts = [p for p in path.split("/") if p]
        if not parts:
            self._send(404, {"error": "not_found", "error_description": "Unknown endpoint."})
            return
        tenant, rest = parts[0], "/".join(parts[1:])
        target = path
        fault = box.faults.take(self.command, target)
        if fault is not None:
            box.stats.add("faults")
            if fault.drop_connection:
                raise _DropConnection()
            headers = {"Retry-After": _fmt_retry(fault.retry_after)} if fault.retry_after is not None else {}
            err = (
                "temporarily_unavailable" if fault.status >= 500 or fault.status == 429 else "invalid_request"
            )
            self._send(
                fault.status,
                {
                    "error": err,
                    "error_description": f"AADSTS90000: {fault.error_message}",
                    "error_codes": [90000],
                },
                headers,
            )
            return
        if rest in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
            if not box.authority.knows_tenant(tenant):
                self._send(
                    400,
                    {
                        "error": "invalid_tenant",
                        "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                        "error_codes": [90002],
                    },
                )
                return
            self._send(200, box.authority.openid_configuration(box.authority_host, tenant))
        elif rest in ("discovery/v2.0/keys", "discovery/keys"):
            self._send(200, {"keys": []})
        elif rest == "oauth2/v2.0/devicecode" and self.command == "POST":
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            self._send_oauth(box.authority.device_code(box.authority_host, tenant, form))
        elif rest in ("oauth2/v2.0/token", "oauth2/token") and self.command == "POST":
            box.stats.add("token_requests")
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            basic = self.headers.get("Authorization", "")
            if basic.lower().startswith("basic "):  # client_secret_basic
                with contextlib.suppress(ValueError, UnicodeDecodeError):
                    user, _, password = base64.b64decode(basic[6:].strip()).decode("utf-8").partition(":")
                    form.setdefault("client_id", unquote_plus(user))
                    form.setdefault("client_secret", unquote_plus(password))
            if "scope" not in form and form.get("resource"):  # the v1 endpoint names a resource instead
                form["scope"] = form["resource"].rstrip("/") + "/.default"
            self._send_oauth(box.authority.token(tenant, form))
        else:
            self._send(
                404,
                {"error": "invalid_request", "error_description": f"AADSTS900561: Unknown endpoint {path}."},
            )

    def _send_oauth(self, result: OAuthResult) -> None:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **result.headers}
        self._send(result.status, result.body, headers)

    def _managed_identity(self, query: str) -> None:
        box = self.server.sandbox
        params = dict(parse_qsl(query, keep_blank_values=True))
        if self.headers.get("Metadata", "").lower() != "true":
            self._send(
                400,
                {"error": "invalid_request", "error_description": "Required metadata header not specified"},
            )
            return
        box.stats.add("token_requests")
        self._send_oauth(box.authority.managed_identity(params.get("resource", ""), box.client_id))

    # -- admin -----------------------------------------------------------------------------------------------

    def _admin(self, path: str, raw: bytes) -> None:
        box = self.server.sandbox
        method = self.command
        if path == "/faults":
            if method == "DELETE":
                box.faults.clear()
                self._send(204, None)
            elif method == "GET":
                self._send(200, {"faults": box.faults.active()})
            elif method == "POST":
                try:
                    spec = json.loads(raw or b"null")
                    specs = spec if isinstance(spec, list) else [spec]
                    parsed = [parse_fault(s) for s in specs]
                except (ValueError, FaultSpecError) as exc:
                    self._send(400, {"error": {"code": "BadRequest", "message": f"bad fault: {exc}"}})
                    return
                for fault in parsed:
                    box.faults.add(fault)
                self._send(201, {"faults": box.faults.active()})
            else:
                self._send(405, {"error": {"code": "MethodNotAllowed", "message": method}})
        elif path == "/stats" and method == "GET":
            self._send(200, box.stats.snapshot())
        elif path == "/stats/reset" and method == "POST":
            box.stats.reset()
            box.throttle.reset()
            self._send(204, None)
        elif path == "/throttle" and method in ("GET", "POST", "PATCH"):
            if method != "GET":
                try:
                    spec = json.loads(raw or b"{}")
                    if "enabled" in spec:
                        box.throttle.enabled = bool(spec["enabled"])
                    if spec.get("budget") is not None:
                        box.throttle.budget = int(spec["budget"])
                    for quota in ("write_quota", "tenant_write_quota"):  # writes per 150 s / per 5 min
                        if spec.get(quota) is not None:
                            if int(spec[quota]) < 1:
                                raise ValueError(f"{quota} must be a positive number of writes")
                            setattr(box.throttle, quota, int(spec[quota]))
                    if spec.get("latency_ms") is not None:
                        box.latency_ms = int(spec["latency_ms"])
                except (ValueError, TypeError, AttributeError) as exc:
                    self._send(
                        400, {"error": {"code": "BadRequest", "message": f"bad throttle settings: {exc}"}}
                    )
                    return
                box.throttle.reset()
            self._send(
                200,
                {
                    "enabled": box.throttle.enabled,
                    "budget": box.throttle.budget,
                    "write_quota": box.throttle.write_quota,
                    "tenant_write_quota": box.throttle.tenant_write_quota,
                    "latency_ms": box.latency_ms,
                },
            )
        elif path == "/tokens/expire" and method == "POST":
            box.authority.expire_all()
            self._send(204, None)
        elif path == "/state/save" and method == "POST":
            box.save_state()
            self._send(204, None)
        elif path == "/tenant" and method in ("GET", "POST", "PATCH"):
            self._tenant_knobs(box, method, raw)
        else:
            self._send(
                404, {"error": {"code": "NotFound", "message": f"unknown sandbox admin endpoint {path}"}}
            )

    def _tenant_knobs(self, box: Sandbox, method: str, raw: bytes) -> None:
        """GET/POST /_sandbox/tenant: the tenant's test knobs, `advance_seconds` to move its clock, and
        `credentials` to register apps' certificates and federated identity credentials."""
        tenant = box.tenant
        if method != "GET":
            try:
                spec = json.loads(raw or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                unknown = set(spec) - set(TENANT_KNOBS) - {"advance_seconds", "credentials"}
                if unknown:
                    raise ValueError(
                        f"unknown setting(s) {sorted(unknown)}; "
                        f"known: {[*TENANT_KNOBS, 'advance_seconds', 'credentials']}"
                    )
                if "credentials" in spec:  # app credentials the token endpoint checks (assertions.py)
                    box.authority.credentials.update(assertions.registrations(spec["credentials"]))
                with tenant.lock:
                    for name, kind in TENANT_KNOBS.items():
                        if name in spec and hasattr(tenant, name):
                            setattr(tenant, name, kind(spec[name]))
                    if spec.get("advance_seconds"):
                        tenant.advance(float(spec["advance_seconds"]))
            except (ValueError, TypeError) as exc:
                self._send(400, {"error": {"code": "BadRequest", "message": f"bad tenant settings: {exc}"}})
                return
            if box.state_path:
                box._dirty.set()
        body: dict[str, Any] = {name: getattr(tenant, name) for name in TENANT_KNOBS if hasattr(tenant, name)}
        if hasattr(tenant, "now"):
            body["now"] = tenant.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        self._send(200, body)

    # -- Graph -----------------------------------------------------------------------------------------------

    def _graph(self, raw_path: str, raw_query: str, raw: bytes) -> None:
        box = self.server.sandbox
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        client_request_id = self.headers.get("client-request-id") or request_id
        base_headers = {
            "request-id": request_id,
            "client-request-id": client_request_id,
            "Cache-Control": "no-cache",
        }
        path = unquote(raw_path) or "/"
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        target = "/v1.0" + path + ("?" + unquote(raw_query) if raw_query else "")
        method = self.command

        if path == "/$metadata" and method in ("GET", "HEAD"):  # Graph serves its CSDL without a token
            from entragit.sandbox.metadata import csdl

            box.stats.count(method, path)
            xml = _Result(
                200, csdl(), {"Content-Type": "application/xml;charset=utf-8", "OData-Version": "4.0"}
            )
            self._finish_graph(started, xml, base_headers)
            return
        token, reason = box.authority.check(self.headers.get("Authorization"), box.audiences)
        if token is None:
            box.stats.count(method, path)
            self._finish_graph(
                started,
                _Result(
                    401,
                    graph_error_body("InvalidAuthenticationToken", reason, request_id, client_request_id),
                    {
                        "WWW-Authenticate": f'Bearer realm="", authorization_uri="{box.authority_host}/'
                        f'{box.tenant_id}/oauth2/v2.0/authorize", client_id="{GRAPH_APP_ID}"'
                    },
                ),
                base_headers,
            )
            return

        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                box.stats.count(method, path)
                self._finish_graph(
                    started,
                    _Result(
                        400,
                        graph_error_body(
                            "BadRequest",
                            "Unable to read JSON request payload. Please ensure Content-Type header is set "
                            "and payload is of valid JSON format.",
                            request_id,
                            client_request_id,
                        ),
                    ),
                    base_headers,
                )
                return

        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(self.headers.items())
        if path == "/$batch" and method == "POST":
            result = self._batch(box, body, headers, token, request_id, client_request_id, target)
        else:
            result = box.execute(
                method, path, query, headers, body, token, target, request_id, client_request_id
            )
        self._finish_graph(started, result, base_headers)

    def _finish_graph(self, started: float, result: _Result, base_headers: dict[str, str]) -> None:
        box = self.server.sandbox
        if box.latency_ms > 0:
            remaining = box.latency_ms / 1000.0 - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
        headers = dict(base_headers)
        headers.update(result.headers)
        self._send(result.status, result.body, headers, graph=True)

    def _batch(
        self,
        box: Sandbox,
        body: Any,
        outer_headers: Mapping[str, str],
        token: TokenInfo,
        request_id: str,
        client_request_id: str,
        target: str,
    ) -> _Result:
        def bad(message: str, code: str = "BadRequest") -> _Result:
            box.stats.count("POST", "/$batch")
            return _Result(400, graph_error_body(code, message, request_id, client_request_id))

        fault = box.faults.take("POST", target)
        if fault is not None:
            # A fault aimed at the envelope itself (e.g. match "\$batch") fails the whole batch.
            box.stats.count("POST", "/$batch")
            box.stats.add("faults")
            if fault.drop_connection:
                raise _DropConnection()
            fheaders = {"Retry-After": _fmt_retry(fault.retry_after)} if fault.retry_after is not None else {}
            return _Result(
                fault.status,
                graph_error_body(fault.error_code, fault.error_message, request_id, client_request_id),
                fheaders,
            )
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            return bad("Invalid batch payload format.")
        items = body["requests"]
        if not items:
            return bad("Invalid batch payload format: the batch contains no requests.")
        if len(items) > MAX_BATCH:
            return bad(f"Number of batch request steps exceeds the maximum of {MAX_BATCH}.")
        seen: dict[str, dict[str, Any]] = {}
        for item in items:
            if not isinstance(item, dict):
                return bad("Invalid batch payload format.")
            rid = item.get("id")
            if not isinstance(rid, str) or not rid:
                return bad("Batch request id is required and must be a non-empty string.")
            if not isinstance(item.get("method"), str) or not isinstance(item.get("url"), str):
                return bad(f"Batch request {rid} must have 'method' and 'url'.")
            if rid.lower() in seen:
                return bad(f"Batch request ids must be unique; '{rid}' is repeated.")
            ih = item.get("headers") or {}
            if not isinstance(ih, dict):
                return bad(f"Batch request {rid}: 'headers' must be an object.")
            if item.get("body") is not None and not any(k.lower() == "content-type" for k in ih):
                return bad(f"Write request id : {rid} does not contain Content-Type header or body.")
            seen[rid.lower()] = item
        order = _dependency_order(items)
        if isinstance(order, str):
            return bad(order)

        box.stats.add("batches")
        results: dict[str, _Result] = {}
        for item in order:
            rid = item["id"]
            deps = [str(d).lower() for d in (item.get("dependsOn") or [])]
            failed = [d for d in deps if not 200 <= results[d].status < 300]
            if failed:
                box.stats.count(item["method"].upper(), _relative(item["url"])[0])
                results[rid.lower()] = _Result(
                    424,
                    graph_error_body(
                        "FailedDependency", "Failed dependency.", str(uuid.uuid4()), client_request_id
                    ),
                    {"Content-Type": "application/json"},
                )
                continue
            results[rid.lower()] = self._inner(box, item, outer_headers, token, client_request_id)

        responses = []
        for item in items:
            res = results[item["id"].lower()]
            entry: dict[str, Any] = {"id": item["id"], "status": res.status, "headers": res.headers}
            if res.body is not None:
                entry["body"] = res.body
            responses.append(entry)
        return _Result(200, {"responses": responses}, {"OData-Version": "4.0"})

    def _inner(
        self,
        box: Sandbox,
        item: dict[str, Any],
        outer_headers: Mapping[str, str],
        token: TokenInfo,
        client_request_id: str,
    ) -> _Result:
        method = item["method"].upper()
        rel_path, rel_query = _relative(item["url"])
        request_id = str(uuid.uuid4())
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(
            {k: str(v) for k, v in (item.get("headers") or {}).items()}
        )
        if "X-Sandbox-Actor" not in headers and outer_headers.get("X-Sandbox-Actor"):
            headers["X-Sandbox-Actor"] = outer_headers["X-Sandbox-Actor"]
        if rel_path is None:
            box.stats.count(method, item["url"])
            return _Result(
                400,
                graph_error_body(
                    "BadRequest",
                    "Invalid request URL in batch: use a relative URL.",
                    request_id,
                    client_request_id,
                ),
                {"Content-Type": "application/json"},
            )
        query = dict(parse_qsl(rel_query, keep_blank_values=True))
        target = "/v1.0" + rel_path + ("?" + unquote(rel_query) if rel_query else "")
        res = box.execute(
            method, rel_path, query, headers, item.get("body"), token, target, request_id, client_request_id
        )
        out = {k: v for k, v in res.headers.items() if k.lower() not in ("request-id", "client-request-id")}
        if res.body is not None and not any(k.lower() == "content-type" for k in out):
            out["Content-Type"] = GRAPH_JSON if res.status < 400 else "application/json"
        return _Result(res.status, res.body, out)


def _relative(url: str) -> tuple[Any, str]:
    """Split an inner batch URL (`/users?$top=5`, `users`) into (decoded path, raw query). The URL is relative
    to the version: `/v1.0/users` names a segment `v1.0`, which Graph answers with "Resource not found for the
    segment 'v1.0'" (msgraph-sdk-javascript#1178), as the API layer does for any unknown segment."""
    if "://" in url:
        return None, ""
    path, _, query = url.partition("?")
    if not path.startswith("/"):
        path = "/" + path
    return unquote(path), query


def _dependency_order(items: list[dict[str, Any]]) -> list[dict[str, Any]] | str:
    """Execution order honouring dependsOn (stable otherwise), or an error message (bad reference, cycle)."""
    by_id = {str(i["id"]).lower(): i for i in items}
    for item in items:
        deps = item.get("dependsOn") or []
        if not isinstance(deps, list):
            return f"Batch request {item['id']}: 'dependsOn' must be a list of ids."
        for dep in deps:
            if str(dep).lower() not in by_id:
                return f"Batch request {item['id']} depends on '{dep}', which is not in the batch."
    ordered: list[dict[str, Any]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(item: dict[str, Any]) -> bool:
        key = str(item["id"]).lower()
        if state.get(key) == 2:
            return True
        if state.get(key) == 1:
            return False
        state[key] = 1
        for dep in item.get("dependsOn") or []:
            if not visit(by_id[str(dep).lower()]):
                return False
        state[key] = 2
        ordered.append(item)
        return True

    for item in items:
        if not visit(item):
            return "Batch requests have circular dependsOn references."
    return ordered


def start(
    tenant: Tenant,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    throttle: bool = True,
    throttle_budget: int | None = None,
    latency_ms: int = 0,
    state_path: str | None = None,
    workdir: str | None = None,
    permissions: list[str] | None = None,
) -> Sandbox:
    """Serve `tenant` over HTTPS on host:port (0: any free port) from background threads, once listening.

    `workdir` keeps the CA and server certificate (reused when still valid, left in place on stop); without
    it they go to a temporary folder removed by stop(). `permissions` replaces the tenant's grant to the
    sandbox's client (seed file `permissions`; default: every permission the sandbox knows).
    """
    if permissions is not None:
        tenant.permissions = parse_list(permissions)
    from entragit.sandbox.seed import SANDBOX_CLIENT_ID

    own = workdir is None
    work = workdir or tempfile.mkdtemp(prefix="entragit-sandbox-")
    budget = throttle_budget if throttle_budget is not None else tier_budget(tenant.user_count())
    try:
        box = Sandbox(
            tenant,
            host=host,
            port=port,
            throttle=Throttle(budget, enabled=throttle),
            latency_ms=latency_ms,
            state_path=state_path,
            workdir=work,
            own_workdir=own,
            client_id=SANDBOX_CLIENT_ID,
        )
    except BaseException:
        if own:
            shutil.rmtree(work, ignore_errors=True)
        raise
    box._start()
    return box


__all__ = ["Sandbox", "start"]
