"""The sandbox's OAuth2 authority: OpenID discovery, the v2.0 token endpoint, IMDS-style managed identity.

Only as much of Entra ID's login service as the real client libraries (msal, azure-identity) exercise: the
client-credentials grant with a secret or a client assertion (certificate and federated credentials), and
the managed-identity endpoint. Tokens look like Entra's (three base64url JWT segments with aud, tid, appid,
roles, exp) so that clients that peek inside them work, but the server trusts only its own table of issued
tokens, which is why the signature is an HMAC nobody else needs to verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from entragit.sandbox import assertions
from entragit.sandbox.permissions import ALL_PERMISSIONS

GRAPH_RESOURCE = "https://graph.microsoft.com"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


@dataclass(frozen=True)
class TokenInfo:
    """What the server remembers about an access token it issued."""

    app_id: str
    tenant_id: str
    expires_at: float
    roles: tuple[str, ...]
    kind: str  # "app" (client credentials), "msi" (managed identity), "user" (device code)
    user: str | None = None  # the signed-in user's UPN for delegated tokens
    audience: str = GRAPH_RESOURCE


@dataclass
class OAuthResult:
    """An HTTP answer from the authority: status and a JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def oauth_error(status: int, error: str, aadsts: int, description: str) -> OAuthResult:
    """An error in the shape Entra's token endpoint uses (msal reads `error` and `error_description`)."""
    trace = str(uuid.uuid4())
    return OAuthResult(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{aadsts}: {description} Trace ID: {trace} Timestamp: {_now_iso()}",
            "error_codes": [aadsts],
            "timestamp": _now_iso(),
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
            "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}",
        },
    )


class Authority:
    """Issues and checks tokens for one tenant.

    `clients` maps client id → secret (None: the client may only authenticate with an assertion).
    `roles_for` names the application permissions granted to a client id: its tokens carry them in `roles`
    (read at issue time, as Entra does: a changed grant shows in the next token).
    Tokens expire after `token_lifetime` seconds; expired ones are pruned as new ones are issued.
    """

    def __init__(
        self,
        tenant_id: str,
        tenant_aliases: tuple[str, ...] = (),
        clients: Mapping[str, str | None] | None = None,
        token_lifetime: int = 3599,
        roles_for: Callable[[str], tuple[str, ...]] | None = None,
    ) -> None:
        self.roles_for: Callable[[str], tuple[str, ...]] = roles_for or (lambda _client: ALL_PERMISSIONS)
        self.tenant_id = tenant_id
        self.tenant_aliases = {tenant_id.lower(), *(a.lower() for a in tenant_aliases if a)}
        self.clients: dict[str, str | None] = dict(clients or {})
        # Certificates and federated identity credentials per client (sandbox/assertions.py).
        self.credentials: dict[str, assertions.ClientCredentials] = {}
        self.token_lifetime = token_lifetime
        self._key = secrets.token_bytes(32)
        self._tokens: dict[str, TokenInfo] = {}
        self._lock = threading.Lock()
        self._last_prune = time.monotonic()
        self._device_codes: dict[str, tuple[str, str, float]] = {}  # code → (client id, scope, expiry)
        self._refresh_tokens: dict[str, tuple[str, str, float]] = {}
        self.host = ""  # the authority host, set by the server (issuer of id tokens)
        self.domain = next((a for a in self.tenant_aliases if a != tenant_id.lower()), "")
        self.admin_user = "admin"

    # -- discovery -------------------------------------------------------------------------------------------

    def knows_tenant(self, tenant: str) -> bool:
        return tenant.lower() in self.tenant_aliases

    def openid_configuration(self, host: str, tenant: str) -> dict[str, Any]:
        """The v2.0 discovery document; msal reads it in its constructor (authorization + token endpoints)."""
        base = f"{host}/{tenant}"
        return {
            "issuer": f"{host}/{self.tenant_id}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{host}/{self.tenant_id}/discovery/v2.0/keys",
            "userinfo_endpoint": f"{host}/oidc/userinfo",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "tid",
                "oid",
                "name",
                "preferred_username",
            ],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "request_uri_parameter_supported": False,
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
        }

    # -- issuing ---------------------------------------------------------------------------------------------

    def _mint(
        self, app_id: str, audience: str, kind: str, extra: Mapping[str, Any] | None = None
    ) -> tuple[str, int]:
        now = int(time.time())
        exp = now + self.token_lifetime
        header = {"typ": "JWT", "alg": "HS256", "kid": "entragit-sandbox"}
        roles = tuple(self.roles_for(app_id))
        payload: dict[str, Any] = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": exp,
            "appid": app_id,
            "azp": app_id,
            "idtyp": "app" if kind != "user" else "user",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{app_id}")),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{app_id}")),
            "tid": self.tenant_id,
            "roles": list(roles),
            "ver": "1.0",
            "uti": _b64url(secrets.token_bytes(16)),
        }
        if extra:
            payload.update(extra)
        if not payload["roles"]:
            # access-token-claims-reference.md: "Claims are present only if a value exists to fill it" (an
            # app granted no application permission gets no `roles`; a user token has `scp` instead)
            del payload["roles"]
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(payload, separators=(",", ":")).encode())
        )
        signature = _b64url(hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest())
        token = f"{signing_input}.{signature}"
        user = str(payload["upn"]) if kind == "user" and payload.get("upn") else None
        info = TokenInfo(app_id, self.tenant_id, float(exp), roles, kind, user, audience)
        with self._lock:
            self._tokens[token] = info
            if time.monotonic() - self._last_prune > 60:
                self._last_prune = time.monotonic()
                cutoff = time.time()
                for key in [k for k, v in self._tokens.items() if v.expires_at <= cutoff]:
                    del self._tokens[key]
        return token, self.token_lifetime

    def token(self, tenant: str, form: Mapping[str, str]) -> OAuthResult:
        """POST {tenant}/oauth2/v2.0/token."""
        if not self.knows_tenant(tenant):
            return oauth_error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud.",
            )
        grant = form.get("grant_type", "")
        if grant in (DEVICE_CODE_GRANT, "refresh_token"):
            return self._user_grant(grant, form)
        if grant != "client_credentials":
            if not grant:
                return oauth_error(
                    400,
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: 'grant_type'.",
                )
            return oauth_error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        client_id = form.get("client_id", "")
        if not client_id:
            return oauth_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        if client_id not in self.clients:
            return oauth_error(
                401,
                "invalid_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the "
                f"directory '{self.tenant_id}'.",
            )
        problem = self._check_credential(client_id, form)
        if problem is not None:
            return problem
        scope = form.get("scope", "")
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return oauth_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        audience = scopes[0][: -len("/.default")] or GRAPH_RESOURCE
        token, lifetime = self._mint(client_id, audience, "app")
        return OAuthResult(
            200,
            {
                "token_type": "Bearer",
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": token,
                # msal crashes on a null scope; Entra omits it for this grant, we send what was asked.
                "scope": scope,
            },
        )

    # -- device code (a public client acting for a signed-in admin) ------------------------------------------

    def device_code(self, host: str, tenant: str, form: Mapping[str, str]) -> OAuthResult:
        """POST {tenant}/oauth2/v2.0/devicecode.

        The sandbox has no browser: the code counts as approved at once by the tenant's administrator, so the
        client's first poll gets its token.
        """
        if not self.knows_tenant(tenant):
            return oauth_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        client_id = form.get("client_id", "")
        if client_id not in self.clients:
            return oauth_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.tenant_id}'.",
            )
        code = secrets.token_urlsafe(24)
        user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
        with self._lock:
            self._device_codes[code] = (client_id, form.get("scope", ""), time.time() + 900)
        uri = f"{host}/devicelogin"
        return OAuthResult(
            200,
            {
                "user_code": user_code,
                "device_code": code,
                "verification_uri": uri,
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
                f"{user_code} to authenticate. (The entragit sandbox approves it automatically.)",
            },
        )

    def _user_grant(self, grant: str, form: Mapping[str, str]) -> OAuthResult:
        client_id = form.get("client_id", "")
        with self._lock:
            if grant == DEVICE_CODE_GRANT:
                entry = self._device_codes.pop(form.get("device_code", ""), None)
            else:
                entry = self._refresh_tokens.get(form.get("refresh_token", ""))
        if entry is None or entry[0] != client_id or entry[2] < time.time():
            what = "device code" if grant == DEVICE_CODE_GRANT else "refresh token"
            return oauth_error(400, "invalid_grant", 70000, f"The provided {what} is invalid or expired.")
        scope = form.get("scope") or entry[1]
        upn = f"{self.admin_user}@{self.domain}" if self.domain else self.admin_user
        user_oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{upn}"))
        asked = [s.rsplit("/", 1)[-1] for s in scope.split() if s not in _OIDC_SCOPES]
        if ".default" in asked:
            # scopes-oidc.md, ".default when the user has already given consent": "all Microsoft Graph
            # delegated permissions that have been granted for that user will be included in the access
            # token" (the sandbox's consent is the client's grant)
            asked = list(self.roles_for(client_id))
        delegated = " ".join(asked)
        access, lifetime = self._mint(
            client_id,
            GRAPH_RESOURCE,
            "user",
            {"upn": upn, "unique_name": upn, "oid": user_oid, "sub": user_oid, "scp": delegated, "roles": []},
        )
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh_tokens[refresh] = (client_id, scope, time.time() + 90 * 86400)
        now = int(time.time())
        id_claims = {
            "aud": client_id,
            "iss": f"{self.host}/{self.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "name": "Sandbox Administrator",
            "oid": user_oid,
            "preferred_username": upn,
            "sub": user_oid,
            "tid": self.tenant_id,
            "ver": "2.0",
        }
        id_token = ".".join(
            (
                _b64url(b'{"typ":"JWT","alg":"none"}'),
                _b64url(json.dumps(id_claims, separators=(",", ":")).encode()),
                _b64url(b"sandbox"),
            )
        )
        client_info = _b64url(json.dumps({"uid": user_oid, "utid": self.tenant_id}).encode())
        return OAuthResult(
            200,
            {
                "token_type": "Bearer",
                "scope": scope,
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": access,
                "refresh_token": refresh,
                "id_token": id_token,
                "client_info": client_info,
            },
        )

    def _check_credential(self, client_id: str, form: Mapping[str, str]) -> OAuthResult | None:
        if "client_assertion" in form or "client_assertion_type" in form:
            if form.get("client_assertion_type") != JWT_BEARER:
                return oauth_error(
                    400,
                    "invalid_request",
                    50027,
                    f"The client_assertion_type is not supported; expected '{JWT_BEARER}'.",
                )
            claims = _peek_jwt(form.get("client_assertion", ""))
            if claims is None:
                return oauth_error(
                    401, "invalid_client", 50027, "Invalid JWT token. The token is not in a valid format."
                )
            # A certificate assertion names the client as issuer and subject; a federated token comes from an
            # external identity provider (an https issuer such as GitHub's) whose subject the app trusts.
            if claims.get("exp") is not None and float(claims["exp"]) < time.time() - 300:
                return oauth_error(
                    401, "invalid_client", 700024, "Client assertion is not within its valid time range."
                )
            issuer = str(claims.get("iss", ""))
            if issuer != client_id and not issuer.startswith("https://"):
                return oauth_error(
                    401,
                    "invalid_client",
                    700021,
                    "Client assertion application identifier doesn't match 'client_id' parameter.",
                )
            registered = self.credentials.get(client_id)
            if registered:  # certificates or federated credentials registered: checked as Entra does
                endpoints = tuple(f"{self.host}/{alias}/oauth2/v2.0/token" for alias in self.tenant_aliases)
                assertion = form.get("client_assertion", "")
                rejected = assertions.check(assertion, client_id, endpoints, registered)
                if rejected is not None:
                    return oauth_error(*rejected)
            return None
        secret = self.clients.get(client_id)
        given = form.get("client_secret")
        if given is None:
            return oauth_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.",
            )
        if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
            return oauth_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in "
                "the request is the client secret value, not the client secret ID, for a secret added to "
                f"app "
                f"'{client_id}'.",
            )
        return None

    def managed_identity(self, resource: str, client_id: str | None) -> OAuthResult:
        """GET /metadata/identity/oauth2/token (the IMDS shape msal.ManagedIdentityClient reads)."""
        if not resource:
            return OAuthResult(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Required audience parameter not specified",
                },
            )
        app_id = client_id or next(iter(self.clients), "")
        token, lifetime = self._mint(app_id, resource.rstrip("/").removesuffix("/.default"), "msi")
        return OAuthResult(
            200,
            {
                "access_token": token,
                "client_id": app_id,
                "expires_in": str(lifetime),
                "expires_on": str(int(time.time()) + lifetime),
                "ext_expires_in": str(lifetime),
                "not_before": str(int(time.time())),
                "resource": resource,
                "token_type": "Bearer",
            },
        )

    # -- checking --------------------------------------------------------------------------------------------

    def check(
        self, authorization: str | None, audiences: frozenset[str] = frozenset()
    ) -> tuple[TokenInfo | None, str]:
        """Validate an `Authorization` header; returns (info, "") or (None, Graph-style reason).

        `audiences`, when given, are the resources the caller serves (a token for another API is refused).
        """
        if not authorization:
            return None, "Access token is empty."
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, "Access token is empty."
        with self._lock:
            info = self._tokens.get(token)
        if info is None:
            if token.count(".") != 2:
                return None, "IDX14100: JWT is not well formed, there are no dots (.)."
            return None, "Access token validation failure. Invalid audience."
        if info.expires_at <= time.time():
            return None, "Lifetime validation failed, the token is expired."
        if audiences and info.audience.rstrip("/").lower() not in audiences:
            return None, "Access token validation failure. Invalid audience."
        return info, ""

    def add_client(self, client_id: str, secret: str | None = None) -> None:
        """Register another application that may get tokens (it has its own throttling budget)."""
        self.clients[client_id] = secret

    def expire_all(self) -> None:
        """Test hook: make every issued token expired (clients must fetch a new one)."""
        with self._lock:
            self._tokens = {
                k: TokenInfo(v.app_id, v.tenant_id, 0.0, v.roles, v.kind, v.user, v.audience)
                for k, v in self._tokens.items()
            }


def _peek_jwt(text: str) -> dict[str, Any] | None:
    parts = text.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None
