"""Bearer tokens for Graph from msal, for every way a scheduled pipeline or an admin can authenticate.

Credentials come from the azure-identity environment variable names (AZURE_CLIENT_SECRET, ...), never from
entragit.yaml, so no secret ends up in a backup repository. Tokens live only in msal's in-memory cache, which
hands back the cached token until shortly before it expires and then fetches a new one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from entragit.errors import EntragitError
from entragit.graph.client import build_session, exc_line, tls_failure, unreachable_reason

METHODS = ("secret", "certificate", "federated", "managed-identity", "device-code")

# Workload identity federation: the audience Entra expects in a federated assertion, and the variables GitHub
# Actions sets in a job with `permissions: id-token: write`.
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_OIDC_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_OIDC_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

# Authority hosts msal can validate through Microsoft's instance discovery. Anything else (the sandbox, a
# test double) is trusted as configured: discovery would fail for it.
KNOWN_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "sts.windows.net",
        "login.microsoftonline.us",
        "login-us.microsoftonline.com",
        "login.usgovcloudapi.net",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.microsoftonline.de",
    }
)

TOKEN_ATTEMPTS = 3  # tries of the identity endpoint per token, when it answers with a server error
# Seconds before the second try, twice that before the third. msal answers a repeated token request from its
# own cache of the 429/5xx for the response's Retry-After, or 5 s without one (ThrottledHttpClient's default
# throttle time), so asking sooner would only get the same error back.
TOKEN_RETRY_DELAY = 5.0

# Client ids that mean "the system-assigned managed identity" rather than a user-assigned one.
_SYSTEM_ASSIGNED = frozenset({"", "system", "system-assigned"})


class AuthError(EntragitError):
    """Getting a token failed; the message names the method and never contains a credential."""


@dataclass
class AuthConfig:
    tenant_id: str
    client_id: str
    method: str = "secret"
    authority_host: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    ca_bundle: str | None = None

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def scope(self) -> str:
        return f"{self.graph_url.rstrip('/')}/.default"


def _require(env: Mapping[str, str], name: str, method: str) -> str:
    value = env.get(name)
    if not value:
        raise AuthError(f"auth method '{method}' needs the environment variable {name}, which is not set")
    return value


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _is_known_host(authority_host: str) -> bool:
    return (urlsplit(authority_host).hostname or "").lower() in KNOWN_AUTHORITY_HOSTS


def _load_certificate(path: str, password: str | None) -> dict[str, str]:
    """msal's certificate credential from a PEM (key + certificate) or PKCS#12 file.

    The key is handed to msal decrypted, so its passphrase handling does not matter; the SHA-1 thumbprint is
    what Entra matches against the certificate uploaded to the app registration (x5t).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AuthError(f"cannot read certificate file {path}: {exc.strerror or exc}") from None
    pwd = password.encode() if password else None
    key: Any
    cert: x509.Certificate | None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(_pem_block(data, b"PRIVATE KEY"), pwd)
            cert = x509.load_pem_x509_certificate(_pem_block(data, b"CERTIFICATE"))
        else:
            key, cert, _ = pkcs12.load_key_and_certificates(data, pwd)
    except (ValueError, TypeError) as exc:
        # An encrypted PEM key opened with a wrong password can also decrypt to bytes that are not a key
        # at all, and then the error is the parser's ("ASN.1 parsing error"), not "bad decrypt".
        encrypted = (
            isinstance(exc, TypeError)
            or "decrypt" in str(exc).lower()
            or "password" in str(exc).lower()
            or (b"-----BEGIN" in data and b"ENCRYPTED" in _pem_block(data, b"PRIVATE KEY"))
        )
        if encrypted and not password:
            detail = "the private key is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD"
        elif encrypted:
            detail = "AZURE_CLIENT_CERTIFICATE_PASSWORD does not decrypt the private key"
        else:
            detail = f"expected a PEM (private key + certificate) or PKCS#12 file: {exc}"
        raise AuthError(f"certificate file {path}: {detail}") from None
    if key is None or cert is None:
        raise AuthError(f"certificate file {path} must contain both the private key and the certificate")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "private_key": key_pem,
        "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),  # x5t: what Entra matches
    }


def _pem_block(data: bytes, label: bytes) -> bytes:
    """The first PEM block whose label ends with `label` (PRIVATE KEY also matches RSA/EC/ENCRYPTED ...)."""
    lines = data.splitlines(keepends=True)
    out: list[bytes] = []
    inside = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(b"-----BEGIN") and stripped.rstrip(b"-").endswith(label):
            inside = True
        if inside:
            out.append(line)
            if stripped.startswith(b"-----END"):
                return b"".join(out)
    raise ValueError(f"no {label.decode()} block found")


class TokenProvider:
    """Callable returning a bearer token; `invalidate()` drops cached tokens after Graph rejected one."""

    def __init__(
        self, config: AuthConfig, env: Mapping[str, str], prompt: Callable[[str], None] | None = None
    ) -> None:
        if config.method not in METHODS:
            raise AuthError(f"unknown auth method '{config.method}' (choose one of: {', '.join(METHODS)})")
        if config.method == "device-code" and prompt is None:
            raise AuthError(
                "auth method 'device-code' signs in interactively and needs a terminal to prompt on"
            )
        self.config = config
        self._env = env
        self._prompt = prompt or (lambda _msg: None)
        self._lock = threading.Lock()
        self._secrets: list[str] = []
        self._oidc_session: requests.Session | None = None
        self._credential = self._credential_for(config.method)
        self._app: Any = None
        self._session: requests.Session | None = None

    def _credential_for(self, method: str) -> Any:
        env = self._env
        if method == "secret":
            secret = _require(env, "AZURE_CLIENT_SECRET", method)
            self._secrets.append(secret)
            return secret
        if method == "certificate":
            path = _require(env, "AZURE_CLIENT_CERTIFICATE_PATH", method)
            password = env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None
            if password:
                self._secrets.append(password)
            cred = _load_certificate(path, password)
            self._secrets.append(cred["private_key"])
            return cred
        if method == "federated":
            url, request_token = env.get(GITHUB_OIDC_URL), env.get(GITHUB_OIDC_TOKEN)
            if url and request_token:
                return {"client_assertion": self._github_oidc(url, request_token)}
            if not env.get("AZURE_FEDERATED_TOKEN_FILE"):
                raise AuthError(
                    "auth method 'federated' needs the environment variable AZURE_FEDERATED_TOKEN_FILE, "
                    "which is not set (in GitHub Actions: give the job `permissions: id-token: write`, "
                    f"which sets {GITHUB_OIDC_URL})"
                )
            return {"client_assertion": self._assertion_reader(env["AZURE_FEDERATED_TOKEN_FILE"])}
        return None

    def _github_oidc(self, url: str, request_token: str) -> Callable[[], str]:
        """GitHub Actions' OIDC token for Entra, asked for on every use: it lives only minutes, and msal calls
        this again each time it needs a new Graph token. The request token is a secret like any other.

        GitHub documents the request: GET the URL with `audience=` added, `Authorization: bearer <request
        token>`, answer `{"value": "<jwt>"}` (docs.github.com, "Configuring OpenID Connect in cloud
        providers", requesting the JWT using environment variables)."""
        self._secrets.append(request_token)
        target = f"{url}{'&' if '?' in url else '?'}audience={quote(FEDERATION_AUDIENCE, safe='')}"
        where = "the GitHub Actions OIDC token endpoint"

        def fetch() -> str:
            if self._oidc_session is None:
                self._oidc_session = build_session(self.config.ca_bundle, self._env, target_url=url)
            try:
                resp = self._oidc_session.get(
                    target, headers={"Authorization": f"Bearer {request_token}"}, timeout=30
                )
            except requests.exceptions.SSLError as exc:
                raise AuthError(f"auth method 'federated': {tls_failure(url, exc)}") from None
            except requests.RequestException as exc:
                raise AuthError(f"auth method 'federated': cannot reach {where}: {exc_line(exc)}") from None
            if resp.status_code != 200:
                raise AuthError(
                    f"auth method 'federated': {where} answered HTTP {resp.status_code} (does the job have "
                    "`permissions: id-token: write`?)"
                )
            try:
                value = resp.json()["value"]
            except (ValueError, KeyError, TypeError):
                value = None
            if not isinstance(value, str) or not value:
                raise AuthError(f"auth method 'federated': {where} sent no token (no `value` in its answer)")
            if value not in self._secrets:
                self._secrets[:] = [*self._secrets[-7:], value]
            return value

        return fetch

    def _assertion_reader(self, path: str) -> Callable[[], str]:
        """Re-read the token file on every use: the platform (Kubernetes, CI) rotates it behind our back."""

        def read() -> str:
            try:
                assertion = Path(path).read_text().strip()
            except OSError as exc:
                raise AuthError(
                    f"auth method 'federated': cannot read AZURE_FEDERATED_TOKEN_FILE {path}: "
                    f"{exc.strerror or exc}"
                ) from None
            if not assertion:
                raise AuthError(f"auth method 'federated': AZURE_FEDERATED_TOKEN_FILE {path} is empty")
            if assertion not in self._secrets:
                self._secrets[:] = [*self._secrets[-7:], assertion]  # scrub recent assertions, stay small
            return assertion

        return read

    def _http(self) -> requests.Session:
        if self._session is None:
            self._session = build_session(
                self.config.ca_bundle, self._env, target_url=self.config.authority_host
            )
        return self._session

    def _make_app(self) -> Any:
        cfg = self.config
        http = self._http()
        if cfg.method == "managed-identity":
            identity: Any
            if cfg.client_id.strip().lower() in _SYSTEM_ASSIGNED:
                identity = msal.SystemAssignedManagedIdentity()
            else:
                identity = msal.UserAssignedManagedIdentity(client_id=cfg.client_id)
            return msal.ManagedIdentityClient(identity, http_client=http)
        common: dict[str, Any] = {"authority": cfg.authority, "http_client": http}
        if not _is_known_host(cfg.authority_host):
            common["instance_discovery"] = False
        if cfg.method == "device-code":
            return msal.PublicClientApplication(cfg.client_id, **common)
        return msal.ConfidentialClientApplication(cfg.client_id, client_credential=self._credential, **common)

    def _acquire(self) -> dict[str, Any]:
        cfg = self.config
        if self._app is None:
            self._app = self._make_app()
        app = self._app
        if cfg.method == "managed-identity":
            return dict(app.acquire_token_for_client(resource=cfg.graph_url.rstrip("/")))
        if cfg.method == "device-code":
            return self._device_code(app)
        return dict(app.acquire_token_for_client(scopes=[cfg.scope]))

    def _device_code(self, app: Any) -> dict[str, Any]:
        scopes = [self.config.scope]
        for account in app.get_accounts():
            result = app.acquire_token_silent(scopes, account=account)
            if result and "access_token" in result:
                return dict(result)
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            return dict(flow)
        self._prompt(
            flow.get("message") or f"Enter code {flow['user_code']} at {flow.get('verification_uri')}"
        )
        return dict(app.acquire_token_by_device_flow(flow))

    def __call__(self) -> str:
        with self._lock:
            result = self._acquire_retrying()
        token = result.get("access_token")
        if token:
            return str(token)
        error = str(result.get("error") or "no access_token in the response")
        description = _first_line(str(result.get("error_description") or ""))
        raise self._fail(f"{error}: {description}" if description else error)

    def _acquire_retrying(self) -> dict[str, Any]:
        """A token, asking again when the identity endpoint answered with a server error (msal raises
        MsalServiceError for an answer that is not OAuth's, such as a 500 or 503 page) or dropped the
        connection: one bad second at login.microsoftonline.com must not fail a night's backup. A host that
        does not resolve or refuses fails at once, as Graph's does."""
        where = (
            "the managed identity endpoint"
            if self.config.method == "managed-identity"
            else self.config.authority_host
        )
        for attempt in range(TOKEN_ATTEMPTS):
            last = attempt + 1 == TOKEN_ATTEMPTS
            try:
                return self._acquire()
            except AuthError:
                raise
            except requests.exceptions.SSLError as exc:
                raise self._fail(tls_failure(self.config.authority_host, exc)) from None
            except requests.RequestException as exc:
                if last or unreachable_reason(exc) is not None:
                    raise self._fail(f"cannot reach {where}: {exc_line(exc)}") from None
            except msal.exceptions.MsalServiceError as exc:
                if last:
                    raise self._fail(
                        f"{where} answered {exc_line(exc)} ({TOKEN_ATTEMPTS} attempts)"
                    ) from None
            except ValueError as exc:  # msal raises ValueError for unusable authorities and tenants
                raise self._fail(str(exc)) from None
            time.sleep(TOKEN_RETRY_DELAY * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _fail(self, detail: str) -> AuthError:
        cfg = self.config
        who = "managed identity" if cfg.method == "managed-identity" else f"client {cfg.client_id}"
        text = f"auth method '{cfg.method}' got no Graph token for {who} in tenant {cfg.tenant_id}: {detail}"
        return AuthError(" ".join(_scrub(text, self._secrets).split()))

    def invalidate(self) -> None:
        """Forget cached access tokens so the next call fetches a fresh one (refresh tokens are kept)."""
        with self._lock:
            app = self._app
            if app is None:
                return
            if self.config.method == "managed-identity":
                self._app = None  # its cache is private; a new client starts empty
                return
            cache = app.token_cache
            for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(item)


def token_provider(
    config: AuthConfig, env: Mapping[str, str] = os.environ, *, prompt: Callable[[str], None] | None = None
) -> Callable[[], str]:
    """A callable returning a Graph bearer token for config.method; missing settings fail here, early.

    Credentials are read from `env`. Managed identity is the exception: msal finds its endpoint
    (IDENTITY_ENDPOINT, MSI_ENDPOINT, AZURE_POD_IDENTITY_AUTHORITY_HOST, or IMDS) in os.environ itself.
    For managed identity, config.client_id selects a user-assigned identity; "", "system" or
    "system-assigned" select the system-assigned one. `prompt` shows device-code's sign-in instructions (the
    caller decides where: this layer never writes to the screen).
    """
    return TokenProvider(config, env, prompt)
