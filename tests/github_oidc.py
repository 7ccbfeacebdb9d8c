"""A local HTTPS server that stands in for GitHub Actions' OIDC token request endpoint.

A job with `permissions: id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL (with `?api-version=2.0`) and
ACTIONS_ID_TOKEN_REQUEST_TOKEN; a GET of the URL with `&audience=...` and `Authorization: bearer <token>`
answers `{"count": ..., "value": "<jwt>"}` (docs.github.com: "Configuring OpenID Connect in cloud providers").
The JWT carries GitHub's claims (iss, sub, aud, exp); it is unsigned here, which is all the sandbox's token
endpoint looks at today.
"""

from __future__ import annotations

import base64
import json
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from entragit.sandbox import certs

ISSUER = "https://token.actions.githubusercontent.com"


def jwt(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'test'})}.{part(claims)}.c2lnbmF0dXJl"


@dataclass
class OidcEndpoint:
    url: str  # what ACTIONS_ID_TOKEN_REQUEST_URL holds
    request_token: str  # what ACTIONS_ID_TOKEN_REQUEST_TOKEN holds
    subject: str
    requests: list[dict[str, str]] = field(default_factory=list)  # audience and authorization of each GET
    status: int = 200  # set to refuse (a job without id-token: write)
    issued: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
        }


@contextmanager
def github_oidc(subject: str = "repo:contoso/entra-backup:ref:refs/heads/main") -> Iterator[OidcEndpoint]:
    """Serve the endpoint on a free loopback port over TLS signed by the sandbox's CA (one per process)."""
    endpoint = OidcEndpoint(url="", request_token="ghs-request-token-" + "r" * 24, subject=subject)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            endpoint.requests.append(
                {
                    "audience": (query.get("audience") or [""])[0],
                    "api-version": (query.get("api-version") or [""])[0],
                    "authorization": self.headers.get("Authorization", ""),
                }
            )
            if (
                endpoint.status != 200
                or self.headers.get("Authorization") != f"Bearer {endpoint.request_token}"
            ):
                self._answer(endpoint.status if endpoint.status != 200 else 401, {"message": "Unauthorized"})
                return
            now = int(time.time())
            token = jwt(
                {
                    "iss": ISSUER,
                    "sub": endpoint.subject,
                    "aud": (query.get("audience") or ["https://github.com/contoso"])[0],
                    "iat": now,
                    "nbf": now,
                    "exp": now + 300,
                    "jti": f"jti-{len(endpoint.requests)}",
                }
            )
            endpoint.issued.append(token)
            self._answer(200, {"count": 1, "value": token})

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with tempfile.TemporaryDirectory() as tmp:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = certs.server_context(certs.write_certificates(tmp)).wrap_socket(
            server.socket, server_side=True
        )
        endpoint.url = f"https://127.0.0.1:{server.server_address[1]}/_apis/token?api-version=2.0"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield endpoint
        finally:
            server.shutdown()
            server.server_close()
