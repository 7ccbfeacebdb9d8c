"""Token acquisition through real msal against the sandbox's OAuth endpoints, for each auth method.

What users rely on: a token arrives for every documented credential source, and every failure is one line that
names what to fix and never repeats the secret, the token or the assertion.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
import requests
from cert_helpers import cert_pem, key_pem, self_signed
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from github_oidc import github_oidc
from graph_helpers import auth_config

from entragit.graph import auth
from entragit.graph.auth import (
    AuthConfig,
    AuthError,
    TokenProvider,
    _is_known_host,
    _load_certificate,
    token_provider,
)
from entragit.graph.client import GraphClient
from entragit.sandbox.server import Sandbox


def _works(box: Sandbox, token: object) -> None:
    """The token is accepted by Graph (the sandbox), not merely a non-empty string."""
    client = GraphClient(box.graph_url, token, ca_bundle=box.ca_bundle, env={})  # type: ignore[arg-type]
    assert client.get("organization")["value"][0]["id"] == box.tenant_id


def test_secret(sandbox: Sandbox) -> None:
    provider = token_provider(auth_config(sandbox), env={"AZURE_CLIENT_SECRET": sandbox.client_secret})
    first = provider()
    assert first and provider() == first  # cached by msal, not fetched per call
    _works(sandbox, provider)


def test_token_is_renewed_before_it_expires(sandbox: Sandbox) -> None:
    # msal hands out its cached token until five minutes before expiry; a token that is already that close
    # to expiring is never handed out, so a long backup never sends a token that dies mid-run.
    sandbox.authority.token_lifetime = 200
    provider = token_provider(auth_config(sandbox), env={"AZURE_CLIENT_SECRET": sandbox.client_secret})
    assert provider() != provider()
    _works(sandbox, provider)


def test_wrong_secret_is_one_line_without_the_secret(sandbox: Sandbox) -> None:
    wrong = "not-the-secret-" + "x" * 20
    provider = token_provider(auth_config(sandbox), env={"AZURE_CLIENT_SECRET": wrong})
    with pytest.raises(AuthError) as info:
        provider()
    text = str(info.value)
    assert "invalid_client" in text
    assert sandbox.client_id in text
    assert wrong not in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("method", "variable"),
    [
        ("secret", "AZURE_CLIENT_SECRET"),
        ("certificate", "AZURE_CLIENT_CERTIFICATE_PATH"),
        ("federated", "AZURE_FEDERATED_TOKEN_FILE"),
    ],
)
def test_missing_environment_variable_is_named(method: str, variable: str) -> None:
    config = AuthConfig(tenant_id="t", client_id="c", method=method)
    with pytest.raises(AuthError) as info:
        token_provider(config, env={})
    assert variable in str(info.value)
    assert f"'{method}'" in str(info.value)


def test_unknown_method_lists_the_valid_ones() -> None:
    with pytest.raises(AuthError) as info:
        token_provider(AuthConfig(tenant_id="t", client_id="c", method="password"), env={})
    assert "managed-identity" in str(info.value)


def _certificate_file(path: Path, password: str | None = None) -> Path:
    key, cert = self_signed()
    path.write_bytes(key_pem(key, password) + cert_pem(cert))
    return path


def test_certificate(sandbox: Sandbox, tmp_path: Path) -> None:
    pem = _certificate_file(tmp_path / "app.pem")
    # Entra finds the uploaded certificate by its SHA-1 thumbprint (the assertion's x5t header).
    data = pem.read_bytes()
    cert = x509.load_pem_x509_certificate(data[data.index(b"-----BEGIN CERTIFICATE") :])
    assert _load_certificate(str(pem), None)["thumbprint"] == cert.fingerprint(hashes.SHA1()).hex().upper()
    provider = token_provider(
        auth_config(sandbox, "certificate"), env={"AZURE_CLIENT_CERTIFICATE_PATH": str(pem)}
    )
    _works(sandbox, provider)


def test_encrypted_certificate_needs_its_password(sandbox: Sandbox, tmp_path: Path) -> None:
    pem = _certificate_file(tmp_path / "app.pem", password="hunter2-pass")
    env = {"AZURE_CLIENT_CERTIFICATE_PATH": str(pem), "AZURE_CLIENT_CERTIFICATE_PASSWORD": "hunter2-pass"}
    _works(sandbox, token_provider(auth_config(sandbox, "certificate"), env=env))
    with pytest.raises(AuthError) as info:
        token_provider(auth_config(sandbox, "certificate"), env={"AZURE_CLIENT_CERTIFICATE_PATH": str(pem)})
    assert "AZURE_CLIENT_CERTIFICATE_PASSWORD" in str(info.value)
    assert str(pem) in str(info.value)
    # (About one wrong password in 256 passes the padding check and fails as ASN.1, not as a bad decrypt.)
    for n in range(400):
        env["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = f"wrong-password-{n}"
        with pytest.raises(AuthError) as info:
            token_provider(auth_config(sandbox, "certificate"), env=env)
        assert "does not decrypt" in str(info.value)
        assert "wrong-password" not in str(info.value)


def test_pkcs12_certificate(sandbox: Sandbox, tmp_path: Path) -> None:
    # Portal-exported certificates are often .pfx; azure-identity accepts them under the same variable.
    key, cert = self_signed()
    pfx = tmp_path / "app.pfx"
    pfx.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"app", key, cert, None, serialization.BestAvailableEncryption(b"pfx-pass")
        )
    )
    env = {"AZURE_CLIENT_CERTIFICATE_PATH": str(pfx), "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pfx-pass"}
    _works(sandbox, token_provider(auth_config(sandbox, "certificate"), env=env))


def _jwt(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_federated_token_file_is_reread_on_refresh(sandbox: Sandbox, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    claims = {
        "iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:contoso/tenant-backup:ref:refs/heads/main",
        "aud": "api://AzureADTokenExchange",
        "exp": int(time.time()) + 600,
    }
    token_file.write_text(_jwt(claims))
    provider = token_provider(
        auth_config(sandbox, "federated"), env={"AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    )
    _works(sandbox, provider)
    # The platform rotates the file; after the cached token is dropped, the new content is what gets sent.
    rotated = "not-a-jwt-rotated-assertion"
    token_file.write_text(rotated)
    assert isinstance(provider, TokenProvider)
    provider.invalidate()
    with pytest.raises(AuthError) as info:
        provider()
    assert "invalid_client" in str(info.value)
    assert rotated not in str(info.value)


def test_federated_token_file_missing_at_use(sandbox: Sandbox, tmp_path: Path) -> None:
    gone = tmp_path / "nope"
    provider = token_provider(
        auth_config(sandbox, "federated"), env={"AZURE_FEDERATED_TOKEN_FILE": str(gone)}
    )
    with pytest.raises(AuthError) as info:
        provider()
    assert "AZURE_FEDERATED_TOKEN_FILE" in str(info.value)
    assert str(gone) in str(info.value)


def test_managed_identity_through_imds(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # msal reads these from the process environment; point its IMDS client at the sandbox.
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", sandbox.graph_url)
    config = auth_config(sandbox, "managed-identity")
    _works(sandbox, token_provider(config, env={}))
    config.client_id = "system"
    _works(sandbox, token_provider(config, env={}))


def test_device_code_prompts_once_then_uses_the_cache(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[str] = []
    provider = token_provider(auth_config(sandbox, "device-code"), env={}, prompt=shown.append)
    _works(sandbox, provider)
    assert len(shown) == 1 and "devicelogin" in shown[0]
    assert capsys.readouterr() == ("", "")  # the auth layer never writes to the screen itself
    assert isinstance(provider, TokenProvider)
    provider.invalidate()  # access token gone; the refresh token gets a new one without a second prompt
    _works(sandbox, provider)
    assert len(shown) == 1


def test_device_code_without_a_prompt_is_refused_up_front(sandbox: Sandbox) -> None:
    with pytest.raises(AuthError, match=r"device-code.*terminal"):
        token_provider(auth_config(sandbox, "device-code"), env={})


def test_requests_ca_bundle_elsewhere_does_not_break_trust(sandbox: Sandbox) -> None:
    env = {
        "AZURE_CLIENT_SECRET": sandbox.client_secret,
        "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
    }
    _works(sandbox, token_provider(auth_config(sandbox), env=env))


def test_untrusted_authority_is_one_line_error(sandbox: Sandbox) -> None:
    config = auth_config(sandbox)
    config.ca_bundle = None
    env = {
        "AZURE_CLIENT_SECRET": sandbox.client_secret,
        "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt",
    }
    with pytest.raises(AuthError) as info:
        token_provider(config, env=env)()
    text = str(info.value)
    assert "TLS" in text and "REQUESTS_CA_BUNDLE" in text
    assert sandbox.client_secret not in text
    assert "\n" not in text


def test_only_microsoft_hosts_use_instance_discovery() -> None:
    assert _is_known_host("https://login.microsoftonline.com")
    assert _is_known_host("https://login.microsoftonline.us")
    assert _is_known_host("https://login.chinacloudapi.cn")
    assert not _is_known_host("https://127.0.0.1:8443")


# ---------------------------------------------------------------------------------------------------------
# GitHub Actions: `permissions: id-token: write` and nothing else


def test_federated_in_github_actions_fetches_the_oidc_token(sandbox: Sandbox, tmp_path: Path) -> None:
    """With ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN set, the assertion is GitHub's OIDC token for the audience
    Entra expects, fetched again whenever msal needs a new Graph token; no token file is needed."""
    with github_oidc() as gh:
        provider = token_provider(auth_config(sandbox, "federated"), env=gh.env())
        _works(sandbox, provider)
        assert [r["audience"] for r in gh.requests] == ["api://AzureADTokenExchange"]
        assert gh.requests[0]["api-version"] == "2.0"  # the URL's own query is kept
        assert gh.requests[0]["authorization"] == f"Bearer {gh.request_token}"
        assert isinstance(provider, TokenProvider)
        provider.invalidate()
        _works(sandbox, provider)
        assert len(gh.requests) == 2 and gh.issued[0] != gh.issued[1]


def test_github_oidc_refusal_is_one_line_without_the_request_token(sandbox: Sandbox) -> None:
    with github_oidc() as gh:
        gh.status = 403
        provider = token_provider(auth_config(sandbox, "federated"), env=gh.env())
        with pytest.raises(AuthError) as info:
            provider()
    text = str(info.value)
    assert "HTTP 403" in text and "id-token: write" in text and "'federated'" in text
    assert gh.request_token not in text and "\n" not in text


def test_federated_without_github_or_token_file_says_what_to_do() -> None:
    config = AuthConfig(tenant_id="t", client_id="c", method="federated")
    with pytest.raises(AuthError) as info:
        token_provider(config, env={"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/y"})  # no request token
    assert "AZURE_FEDERATED_TOKEN_FILE" in str(info.value) and "id-token: write" in str(info.value)


def _token_faults(box: Sandbox, **spec: object) -> None:
    http = requests.Session()
    http.trust_env = False
    http.verify = box.ca_bundle
    http.delete(f"{box.graph_url}/_sandbox/faults")
    if spec:
        r = http.post(f"{box.graph_url}/_sandbox/faults", json={"match": "oauth2/v2.0/token", **spec})
        assert r.status_code == 201, r.text


def test_identity_endpoint_errors_are_retried_and_the_last_is_one_line(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 page or a dropped connection from the token endpoint is asked again (msal itself raises
    MsalServiceError for an answer that is not OAuth's, which reached users as a traceback); one that keeps
    failing is a one-line error naming the authority, without the secret."""
    # msal keeps a 5xx for its Retry-After (5 s without one) and answers from that: "0" keeps none
    monkeypatch.setattr(auth, "TOKEN_RETRY_DELAY", 0.0)
    env = {"AZURE_CLIENT_SECRET": sandbox.client_secret}
    _token_faults(sandbox, status=503, times=2, retry_after=0)
    _works(sandbox, token_provider(auth_config(sandbox), env=env))
    _token_faults(sandbox, drop_connection=True, times=1)
    _works(sandbox, token_provider(auth_config(sandbox), env=env))

    _token_faults(sandbox, status=500, times=None, retry_after=0)
    with pytest.raises(AuthError) as info:
        token_provider(auth_config(sandbox), env=env)()
    text = str(info.value)
    assert "\n" not in text and sandbox.client_secret not in text
    assert "HTTP Error: 500" in text and "3 attempts" in text
    assert sandbox.authority_host.split("//")[-1] in text
    _token_faults(sandbox)


def test_the_client_reads_the_permissions_its_tokens_carry(sandbox: Sandbox) -> None:
    """What a backup asks Graph for depends on them (custom security attribute values read as null, not a
    403, without their permission): an app-only token's `roles`, a device-code token's `scp`
    (access-token-claims-reference.md); nothing readable from a token that is no JWT."""
    sandbox.tenant.permissions = ["User.Read.All", "CustomSecAttributeAssignment.ReadWrite.All"]
    app = token_provider(auth_config(sandbox), env={"AZURE_CLIENT_SECRET": sandbox.client_secret})
    granted = {"User.Read.All", "CustomSecAttributeAssignment.ReadWrite.All"}
    assert GraphClient(sandbox.graph_url, app, ca_bundle=sandbox.ca_bundle, env={}).granted() == granted
    user = token_provider(auth_config(sandbox, "device-code"), env={}, prompt=lambda _m: None)
    assert GraphClient(sandbox.graph_url, user, ca_bundle=sandbox.ca_bundle, env={}).granted() == granted
    assert GraphClient(sandbox.graph_url, lambda: "opaque", env={}).granted() is None
