"""Client assertions at the sandbox's token endpoint, checked as Entra checks them once an app has
credentials registered: certificate assertions (x5t, signature, audience, expiry; Microsoft identity platform
"Certificate credentials") and federated tokens (issuer, subject, audience of the app's
federatedIdentityCredentials, federatedidentitycredential.md; AADSTS700211/700212/700213, 700024).
Raw HTTP, plus entragit's one-line error for a rejected GitHub token."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import msal
import pytest
import requests
from cert_helpers import cert_pem, key_pem, self_signed
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from github_oidc import github_oidc

from entragit.graph.auth import AuthConfig, AuthError, token_provider
from entragit.sandbox.assertions import ClientCredentials, FederatedCredential
from entragit.sandbox.server import Sandbox

from .transport_helpers import plain_session

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GITHUB = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:contoso/entra-backup:ref:refs/heads/main"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None) -> str:
    signed = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256()) if key else b"unsigned"
    return f"{signed}.{_b64(signature)}"


def _post(box: Sandbox, assertion: str) -> requests.Response:
    return requests.post(
        f"{box.authority_host}/{box.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": box.client_id,
            "scope": "https://graph.microsoft.com/.default",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        },
        verify=box.ca_bundle,
        timeout=10,
    )


def _federated(**claims: Any) -> str:
    now = int(time.time())
    base = {"iss": GITHUB, "sub": SUBJECT, "aud": "api://AzureADTokenExchange", "iat": now, "exp": now + 300}
    return _jwt({"alg": "RS256", "typ": "JWT"}, {**base, **claims})


@pytest.fixture
def federated_box(sandbox: Sandbox) -> Sandbox:
    sandbox.authority.credentials[sandbox.client_id] = ClientCredentials(
        federated=[FederatedCredential(GITHUB, SUBJECT)]
    )
    return sandbox


def _code(r: requests.Response) -> int:
    return int(r.json()["error_codes"][0])


def test_federated_token_matching_a_credential_is_exchanged(federated_box: Sandbox) -> None:
    r = _post(federated_box, _federated())
    assert r.status_code == 200 and r.json()["access_token"]


@pytest.mark.parametrize(
    ("claims", "code", "named"),
    [
        (
            {"sub": "repo:contoso/entra-backup:pull_request"},
            700213,
            "subject 'repo:contoso/entra-backup:pull_request'",
        ),
        ({"iss": "https://gitlab.com"}, 700211, "issuer 'https://gitlab.com'"),
        ({"aud": "https://github.com/contoso"}, 700212, "audience 'https://github.com/contoso'"),
    ],
)
def test_federated_mismatch_names_the_claim(
    federated_box: Sandbox, claims: dict[str, Any], code: int, named: str
) -> None:
    r = _post(federated_box, _federated(**claims))
    assert r.status_code == 400 and r.json()["error"] == "invalid_request" and _code(r) == code
    assert (
        f"AADSTS{code}: No matching federated identity record found for presented assertion {named}"
        in (r.json()["error_description"])
    )


def test_expired_federated_token(federated_box: Sandbox) -> None:
    r = _post(federated_box, _federated(exp=int(time.time()) - 3600))
    assert r.status_code == 401 and _code(r) == 700024


def test_unregistered_client_keeps_todays_check(sandbox: Sandbox) -> None:
    """No credentials registered for the app: only the shape and expiry are checked, as before."""
    assert _post(sandbox, _federated(sub="anything")).status_code == 200


# ---------------------------------------------------------------------------------------------------------
# certificate assertions


@pytest.fixture
def cert_box(sandbox: Sandbox) -> tuple[Sandbox, rsa.RSAPrivateKey, Any]:
    key, cert = self_signed()
    sandbox.authority.credentials[sandbox.client_id] = ClientCredentials(certificates=[cert])
    return sandbox, key, cert


def _cert_assertion(box: Sandbox, key: rsa.RSAPrivateKey, cert: Any, **claims: Any) -> str:
    now = int(time.time())
    base = {
        "aud": f"{box.authority_host}/{box.tenant_id}/oauth2/v2.0/token",
        "iss": box.client_id,
        "sub": box.client_id,
        "jti": "j",
        "nbf": now,
        "exp": now + 600,
    }
    header = {"alg": "RS256", "typ": "JWT", "x5t": _b64(cert.fingerprint(hashes.SHA1()))}
    return _jwt(header, {**base, **claims}, key)


def test_certificate_assertion_from_msal_is_accepted(
    cert_box: tuple[Sandbox, rsa.RSAPrivateKey, Any],
) -> None:
    box, key, cert = cert_box
    app = msal.ConfidentialClientApplication(
        box.client_id,
        client_credential={
            "private_key": key_pem(key).decode(),
            "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),
        },
        authority=f"{box.authority_host}/{box.tenant_id}",
        instance_discovery=False,
        http_client=plain_session(box),
    )
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    assert cert_pem(cert)  # the registered certificate is a plain X.509 certificate


def test_certificate_assertion_rejections(cert_box: tuple[Sandbox, rsa.RSAPrivateKey, Any]) -> None:
    box, key, cert = cert_box
    assert _post(box, _cert_assertion(box, key, cert)).status_code == 200
    other_key, other_cert = self_signed()
    unknown = _post(box, _cert_assertion(box, other_key, other_cert))
    assert unknown.status_code == 401 and _code(unknown) == 700027
    assert "The key was not found" in unknown.json()["error_description"]
    assert other_cert.fingerprint(hashes.SHA1()).hex().upper() in unknown.json()["error_description"]
    forged = _post(box, _cert_assertion(box, other_key, cert))  # x5t of the registered one, another key
    assert _code(forged) == 700027 and "did not match" in forged.json()["error_description"]
    wrong_aud = _post(
        box, _cert_assertion(box, key, cert, aud="https://login.microsoftonline.com/x/oauth2/v2.0/token")
    )
    assert wrong_aud.status_code == 401 and _code(wrong_aud) == 50012
    expired = _post(box, _cert_assertion(box, key, cert, exp=int(time.time()) - 3600))
    assert _code(expired) == 700024


def test_entragit_names_the_method_and_the_reason(sandbox: Sandbox) -> None:
    """A GitHub job whose subject the app does not trust (a pull request run): one line, no token."""
    sandbox.authority.credentials[sandbox.client_id] = ClientCredentials(
        federated=[FederatedCredential(GITHUB, SUBJECT)]
    )
    config = AuthConfig(
        tenant_id=sandbox.tenant_id,
        client_id=sandbox.client_id,
        method="federated",
        authority_host=sandbox.authority_host,
        graph_url=sandbox.graph_url,
        ca_bundle=sandbox.ca_bundle,
    )
    with github_oidc(subject="repo:contoso/entra-backup:pull_request") as gh:
        provider = token_provider(config, env=gh.env())
        with pytest.raises(AuthError) as info:
            provider()
    text = str(info.value)
    assert text.startswith("auth method 'federated' got no Graph token for client")
    assert "AADSTS700213" in text and "repo:contoso/entra-backup:pull_request" in text
    assert "\n" not in text and not any(token in text for token in gh.issued)


def test_credentials_registered_through_the_tenant_endpoint(sandbox: Sandbox) -> None:
    """POST /_sandbox/tenant {"credentials": ...}: what `sandbox serve` users (and CI dry runs) configure."""
    _key, cert = self_signed()
    url = f"{sandbox.graph_url}/_sandbox/tenant"
    spec = {
        sandbox.client_id: {
            "federated": [{"issuer": GITHUB, "subject": SUBJECT}],
            "certificates": [cert_pem(cert).decode()],
        }
    }
    r = requests.post(url, json={"credentials": spec}, verify=sandbox.ca_bundle, timeout=10)
    assert r.status_code == 200, r.text
    assert _post(sandbox, _federated()).status_code == 200
    assert _code(_post(sandbox, _federated(sub="repo:other/repo:ref:refs/heads/main"))) == 700213
    bad = requests.post(
        url,
        json={"credentials": {sandbox.client_id: {"federated": [{"issuer": GITHUB}]}}},
        verify=sandbox.ca_bundle,
    )
    assert bad.status_code == 400 and "issuer and subject" in bad.json()["error"]["message"]


def test_a_seed_file_registers_federated_credentials(sandbox_factory: Any, tmp_path: Any) -> None:
    """`credentials:` in a seed file (as in POST /_sandbox/tenant) registers an app's federated identity
    credentials: the sandbox then checks a federated token's issuer and subject as Entra does."""
    from entragit.sandbox import seed as seed_mod
    from entragit.sandbox.seed import SANDBOX_CLIENT_ID

    data = seed_mod.demo_seed()
    data["credentials"] = {SANDBOX_CLIENT_ID: {"federated": [{"issuer": GITHUB, "subject": SUBJECT}]}}
    box = sandbox_factory(seed=data)
    assert _post(box, _federated()).status_code == 200
    r = _post(box, _federated(sub="repo:someone/else:ref:refs/heads/main"))
    assert r.status_code == 400 and _code(r) == 700213
    path = tmp_path / "bad.yaml"
    path.write_text("credentials: {x: {federated: [{issuer: 1}]}}\n")
    with pytest.raises(Exception, match=r"bad.yaml: credentials.x.federated: each needs issuer and subject"):
        seed_mod.load_seed_file(path)
