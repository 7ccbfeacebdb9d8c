"""Client assertions checked as Entra checks them at the token endpoint.

Two kinds reach `client_credentials` with `client_assertion_type=...jwt-bearer`:

- a **certificate assertion**, signed by the app itself (issuer and subject are its client id): its `x5t`
  header (base64url SHA-1 thumbprint) must name a certificate registered for the app, the signature (RS256 or
  PS256) must verify with that certificate's key (else AADSTS700027), the audience must be the token endpoint
  (else AADSTS50012), and it must not have expired (Microsoft identity platform, "Certificate credentials":
  claims `aud`, `exp`, `iss`, `sub`, header `x5t`);
- a **federated token** from an external identity provider (GitHub, GitLab, Kubernetes ...): its issuer,
  subject and audience must match one of the federated identity credentials registered for the app
  (federatedidentitycredential.md: `issuer`, `subject`, `audiences`), and it must not have expired. Entra
  says which claim matched nothing: AADSTS700211 (issuer), AADSTS700213 (subject), AADSTS700212
  (audience); an expired assertion is AADSTS700024.

An app with nothing registered here is checked as before (the sandbox's historic leniency for tests that
predate registrations); registering anything makes the checks strict for that app.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLOCK_SKEW = 300  # seconds Entra tolerates on `exp` and `nbf`


class Rejection(NamedTuple):
    status: int
    error: str
    aadsts: int
    description: str


@dataclass(frozen=True)
class FederatedCredential:
    """One federatedIdentityCredential of an app: what an external token must say to be exchanged."""

    issuer: str
    subject: str
    audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)


@dataclass
class ClientCredentials:
    """What is registered for one app: certificates (keyCredentials) and federated identity credentials."""

    certificates: list[x509.Certificate] = field(default_factory=list)
    federated: list[FederatedCredential] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.certificates or self.federated)


def registrations(spec: Any) -> dict[str, ClientCredentials]:
    """Client id → credentials from JSON (POST /_sandbox/tenant `credentials`):
    `{"<client id>": {"federated": [{"issuer", "subject", "audiences"?}], "certificates": ["<PEM>"]}}`.
    ValueError naming the first problem."""
    if not isinstance(spec, dict):
        raise ValueError("credentials: expected an object of client id → {federated, certificates}")
    out: dict[str, ClientCredentials] = {}
    for client_id, entry in spec.items():
        if not isinstance(entry, dict) or set(entry) - {"federated", "certificates"}:
            raise ValueError(f"credentials.{client_id}: expected {{federated: [...], certificates: [...]}}")
        federated = []
        for item in entry.get("federated") or []:
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("issuer", "subject")
            ):
                raise ValueError(f"credentials.{client_id}.federated: each needs issuer and subject strings")
            audiences = item.get("audiences") or ["api://AzureADTokenExchange"]
            federated.append(FederatedCredential(item["issuer"], item["subject"], tuple(map(str, audiences))))
        try:
            certificates = [
                x509.load_pem_x509_certificate(str(p).encode()) for p in entry.get("certificates") or []
            ]
        except ValueError:
            raise ValueError(f"credentials.{client_id}.certificates: not a PEM certificate") from None
        out[str(client_id)] = ClientCredentials(certificates, federated)
    return out


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes] | None:
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _expired(claims: dict[str, Any], now: float) -> Rejection | None:
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp < now - CLOCK_SKEW:
        return Rejection(
            401,
            "invalid_client",
            700024,
            f"Client assertion is not within its valid time range. Current time: {_iso(now)}, expiry time of "
            f"assertion {_iso(exp) if isinstance(exp, (int, float)) else 'missing'}.",
        )
    return None


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(ts))


def check(
    assertion: str,
    client_id: str,
    token_endpoints: tuple[str, ...],
    registered: ClientCredentials,
    *,
    now: float | None = None,
) -> Rejection | None:
    """None when `assertion` authenticates `client_id`, else Entra's error. `token_endpoints` are the URLs
    (with the tenant's id or a domain of it) a certificate assertion's `aud` may name."""
    now = time.time() if now is None else now
    parsed = _parse(assertion)
    if parsed is None:
        return Rejection(
            401, "invalid_client", 50027, "Invalid JWT token. The token is not in a valid format."
        )
    header, claims, signed, signature = parsed
    if claims.get("iss") == client_id and claims.get("sub") == client_id:
        return _check_certificate(header, claims, signed, signature, token_endpoints, registered, now)
    return _check_federated(claims, registered, now)


def _check_federated(claims: dict[str, Any], registered: ClientCredentials, now: float) -> Rejection | None:
    expired = _expired(claims, now)
    if expired:
        return expired
    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    aud = claims.get("aud")
    audiences = {str(a) for a in aud} if isinstance(aud, list) else {str(aud)}
    by_issuer = [c for c in registered.federated if c.issuer == issuer]
    if not by_issuer:
        return _no_record(700211, "issuer", issuer)
    by_subject = [c for c in by_issuer if c.subject == subject]
    if not by_subject:
        return _no_record(700213, "subject", subject)
    if not any(audiences & set(c.audiences) for c in by_subject):
        return _no_record(700212, "audience", ", ".join(sorted(audiences)))
    return None


def _no_record(code: int, claim: str, value: str) -> Rejection:
    return Rejection(
        400,
        "invalid_request",
        code,
        f"No matching federated identity record found for presented assertion {claim} '{value}'. Please "
        "check your federated identity credential Subject, Audience and Issuer against the presented "
        "assertion.",
    )


def _check_certificate(
    header: dict[str, Any],
    claims: dict[str, Any],
    signed: bytes,
    signature: bytes,
    token_endpoints: tuple[str, ...],
    registered: ClientCredentials,
    now: float,
) -> Rejection | None:
    try:  # base64url of the SHA-1 thumbprint, padded or not
        thumbprint = _b64url_decode(str(header.get("x5t", "")).rstrip("="))
    except ValueError:
        thumbprint = b""
    cert = next((c for c in registered.certificates if c.fingerprint(hashes.SHA1()) == thumbprint), None)
    if cert is None:
        shown = thumbprint.hex().upper()
        return Rejection(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of "
            f"key used by client: '{shown}']",
        )
    if not _signature_ok(cert, str(header.get("alg", "")), signed, signature):
        return Rejection(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The provided signature value did not "
            "match the expected signature value.]",
        )
    aud = claims.get("aud")
    if not isinstance(aud, str) or aud.lower() not in {e.lower() for e in token_endpoints}:
        # the message users report from Entra for an assertion whose aud is not the token endpoint
        return Rejection(
            401, "invalid_client", 50012, "Client assertion audience claim does not match Realm issuer."
        )
    return _expired(claims, now)


def _signature_ok(cert: x509.Certificate, alg: str, signed: bytes, signature: bytes) -> bool:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    pad: padding.AsymmetricPadding
    if alg == "RS256":
        pad = padding.PKCS1v15()
    elif alg == "PS256":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashlib.sha256().digest_size)
    else:
        return False
    try:
        key.verify(signature, signed, pad, hashes.SHA256())
    except InvalidSignature:
        return False
    return True
