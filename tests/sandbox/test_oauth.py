"""The sandbox's OAuth2 authority, driven by real msal and raw HTTP: discovery, client credentials, errors."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import msal
import pytest
import requests
from cert_helpers import cert_pem, key_pem, self_signed
from msal_session import token_for

from entragit.sandbox.server import Sandbox

from .transport_helpers import plain_session, stats


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _token_url(box: Sandbox) -> str:
    return f"{box.authority_host}/{box.tenant_id}/oauth2/v2.0/token"


def _msal_app(
    box: Sandbox, credential: Any, client_id: str | None = None
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id or box.client_id,
        client_credential=credential,
        authority=f"{box.authority_host}/{box.tenant_id}",
        instance_discovery=False,
        http_client=plain_session(box),
    )


def _read_organization(box: Sandbox, token: str) -> requests.Response:
    """Present a token to Graph the way any app would: one read every app may make."""
    return plain_session(box).get(
        f"{box.graph_url}/v1.0/organization", headers={"Authorization": f"Bearer {token}"}
    )


def test_openid_configuration_has_the_endpoints_msal_needs(sandbox: Sandbox) -> None:
    r = plain_session(sandbox).get(
        f"{sandbox.authority_host}/{sandbox.tenant_id}/v2.0/.well-known/openid-configuration"
    )
    assert r.status_code == 200
    doc = r.json()
    base = f"{sandbox.authority_host}/{sandbox.tenant_id}"
    assert doc["issuer"] == f"{base}/v2.0"
    assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    assert doc["device_authorization_endpoint"] == f"{base}/oauth2/v2.0/devicecode"
    assert doc["jwks_uri"].startswith(sandbox.authority_host)


def test_discovery_also_answers_for_the_tenant_domain(sandbox: Sandbox) -> None:
    domain = sandbox.tenant.domain
    r = plain_session(sandbox).get(f"{sandbox.authority_host}/{domain}/v2.0/.well-known/openid-configuration")
    assert r.status_code == 200
    assert r.json()["token_endpoint"].endswith(f"/{domain}/oauth2/v2.0/token")


def test_unknown_tenant_is_rejected(sandbox: Sandbox) -> None:
    other = str(uuid.uuid4())
    s = plain_session(sandbox)
    r = s.get(f"{sandbox.authority_host}/{other}/v2.0/.well-known/openid-configuration")
    assert r.status_code == 400
    r = s.post(
        f"{sandbox.authority_host}/{other}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": sandbox.client_id},
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "90002" in r.json()["error_description"]


def test_msal_client_credentials_token_is_jwt_shaped_and_accepted_by_graph(sandbox: Sandbox) -> None:
    result = _msal_app(sandbox, sandbox.client_secret).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] > 3000
    claims = _claims(result["access_token"])
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["tid"] == sandbox.tenant_id
    assert claims["appid"] == sandbox.client_id
    assert "Directory.ReadWrite.All" in claims["roles"]
    assert claims["exp"] > time.time() + 3000
    assert _read_organization(sandbox, result["access_token"]).status_code == 200


def test_token_response_scope_is_a_string(sandbox: Sandbox) -> None:
    r = plain_session(sandbox).post(
        _token_url(sandbox),
        data={
            "grant_type": "client_credentials",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body["scope"], str)
    assert r.headers["Cache-Control"] == "no-store"


def test_wrong_secret_is_invalid_client_through_msal_and_raw(sandbox: Sandbox) -> None:
    result = _msal_app(sandbox, "wrong-secret").acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert result.get("error") == "invalid_client"
    assert "7000215" in result["error_description"]
    r = plain_session(sandbox).post(
        _token_url(sandbox),
        data={
            "grant_type": "client_credentials",
            "client_id": sandbox.client_id,
            "client_secret": "wrong",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert sandbox.client_secret not in r.text


def test_unknown_client_id_is_invalid_client(sandbox: Sandbox) -> None:
    unknown = str(uuid.uuid4())
    result = _msal_app(sandbox, sandbox.client_secret, client_id=unknown).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert result.get("error") == "invalid_client"
    assert unknown in result["error_description"]


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, 400, "unsupported_grant_type"),
        ({}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "User.Read"}, 400, "invalid_scope"),
        (
            {"grant_type": "client_credentials", "client_assertion_type": "x", "client_assertion": "a.b.c"},
            400,
            "invalid_request",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": "garbage",
            },
            401,
            "invalid_client",
        ),
    ],
)
def test_token_endpoint_errors_use_the_oauth_shape(
    sandbox: Sandbox, form: dict[str, str], status: int, error: str
) -> None:
    data = {"client_id": sandbox.client_id, "scope": "https://graph.microsoft.com/.default", **form}
    if form.get("grant_type") == "client_credentials" and "client_assertion" not in form:
        data["client_secret"] = sandbox.client_secret
    r = plain_session(sandbox).post(_token_url(sandbox), data=data)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == error
    assert body["error_description"].startswith("AADSTS")
    assert isinstance(body["error_codes"], list)


def test_certificate_credential_through_msal(sandbox: Sandbox) -> None:
    key, cert = self_signed()
    credential = {"private_key": key_pem(key).decode(), "public_certificate": cert_pem(cert).decode()}
    result = _msal_app(sandbox, credential).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert "access_token" in result, result
    assert _claims(result["access_token"])["appid"] == sandbox.client_id


def test_federated_assertion_callable_through_msal(sandbox: Sandbox) -> None:
    calls: list[int] = []

    def assertion() -> str:
        calls.append(1)
        header = base64.urlsafe_b64encode(b'{"alg":"RS256","typ":"JWT"}').rstrip(b"=").decode()
        claims = {
            "iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:contoso/entra-backup:ref:refs/heads/main",
            "aud": "api://AzureADTokenExchange",
            "exp": int(time.time()) + 600,
        }
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{payload}.c2ln"

    result = _msal_app(sandbox, {"client_assertion": assertion}).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert "access_token" in result, result
    assert calls


def test_expired_client_assertion_is_rejected(sandbox: Sandbox) -> None:
    claims = {"iss": sandbox.client_id, "sub": sandbox.client_id, "exp": int(time.time()) - 3600}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = plain_session(sandbox).post(
        _token_url(sandbox),
        data={
            "grant_type": "client_credentials",
            "client_id": sandbox.client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": f"eyJhbGciOiJub25lIn0.{payload}.x",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_managed_identity_through_msal(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", sandbox.authority_host)
    for var in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"):
        monkeypatch.delenv(var, raising=False)
    client = msal.ManagedIdentityClient(
        msal.SystemAssignedManagedIdentity(), http_client=plain_session(sandbox)
    )
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    assert _read_organization(sandbox, result["access_token"]).status_code == 200


def test_managed_identity_requires_the_metadata_header(sandbox: Sandbox) -> None:
    r = plain_session(sandbox).get(
        f"{sandbox.authority_host}/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": "https://graph.microsoft.com"},
    )
    assert r.status_code == 400


def test_token_endpoint_fault_injection(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    s = plain_session(box)
    s.post(f"{box.graph_url}/_sandbox/faults", json={"match": "oauth2/v2.0/token", "status": 503, "times": 1})
    data = {
        "grant_type": "client_credentials",
        "client_id": box.client_id,
        "client_secret": box.client_secret,
        "scope": "https://graph.microsoft.com/.default",
    }
    r = s.post(_token_url(box), data=data)
    assert r.status_code == 503
    assert r.json()["error"] == "temporarily_unavailable"
    assert s.post(_token_url(box), data=data).status_code == 200


def test_token_requests_are_counted_separately_from_graph_requests(sandbox: Sandbox) -> None:
    token_for(sandbox)
    got = stats(sandbox)
    assert got["token_requests"] >= 1
    assert got["requests"] == 0


def test_plain_http_is_not_served(sandbox: Sandbox) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{sandbox.port}/v1.0/users", timeout=5)


def test_device_code_flow_through_msal_public_client(sandbox: Sandbox) -> None:
    app = msal.PublicClientApplication(
        sandbox.client_id,
        authority=f"{sandbox.authority_host}/{sandbox.tenant_id}",
        instance_discovery=False,
        http_client=plain_session(sandbox),
    )
    flow = app.initiate_device_flow(scopes=["https://graph.microsoft.com/Directory.Read.All"])
    assert "user_code" in flow and "message" in flow, flow
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["upn"].startswith("admin@")
    assert "Directory.Read.All" in claims["scp"]
    assert app.get_accounts()[0]["username"] == claims["upn"]
    assert _read_organization(sandbox, result["access_token"]).status_code == 200
    # The refresh token works too (msal uses it once the access token is gone).
    again = app.acquire_token_silent(
        ["https://graph.microsoft.com/Directory.Read.All"], account=app.get_accounts()[0], force_refresh=True
    )
    assert again and "access_token" in again
    assert again["access_token"] != result["access_token"]


def test_token_for_another_resource_is_refused_by_graph(sandbox: Sandbox) -> None:
    result = _msal_app(sandbox, sandbox.client_secret).acquire_token_for_client(
        scopes=["https://management.azure.com/.default"]
    )
    assert "access_token" in result, result
    r = _read_organization(sandbox, result["access_token"])
    assert r.status_code == 401
    assert "audience" in r.json()["error"]["message"]


def test_additional_client_gets_tokens_with_its_own_app_id(sandbox: Sandbox) -> None:
    other = str(uuid.uuid4())
    secret = sandbox.add_client(other)
    result = _msal_app(sandbox, secret, client_id=other).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    assert "access_token" in result, result
    assert _claims(result["access_token"])["appid"] == other


def test_client_secret_basic_and_v1_resource_parameter(sandbox: Sandbox) -> None:
    r = plain_session(sandbox).post(
        f"{sandbox.authority_host}/{sandbox.tenant_id}/oauth2/token",
        data={"grant_type": "client_credentials", "resource": "https://graph.microsoft.com"},
        auth=(sandbox.client_id, sandbox.client_secret),
    )
    assert r.status_code == 200, r.text
    assert _claims(r.json()["access_token"])["aud"] == "https://graph.microsoft.com"
    bad = plain_session(sandbox).post(
        _token_url(sandbox),
        data={"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"},
        auth=(sandbox.client_id, "wrong"),
    )
    assert bad.status_code == 401


def test_app_only_tokens_list_the_granted_permissions_in_roles(sandbox: Sandbox) -> None:
    """access-token-claims-reference.md (learn.microsoft.com): `roles` holds the permissions the app was
    granted, which "the client credential flow uses ... in place of user scopes for application tokens";
    "Claims are present only if a value exists to fill it", so an app granted nothing gets no `roles`. A
    changed grant shows in the next token."""

    def token(client_id: str, secret: str) -> dict[str, Any]:
        r = plain_session(sandbox).post(
            _token_url(sandbox),
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "https://graph.microsoft.com/.default",
            },
        )
        assert r.status_code == 200, r.text
        return _claims(r.json()["access_token"])

    reader = str(uuid.uuid4())
    secret = sandbox.add_client(
        reader, permissions=["User.Read.All", "CustomSecAttributeAssignment.Read.All"]
    )
    claims = token(reader, secret)
    assert sorted(claims["roles"]) == ["CustomSecAttributeAssignment.Read.All", "User.Read.All"]
    assert "scp" not in claims
    sandbox.tenant.permissions = ["User.Read.All"]
    assert token(sandbox.client_id, sandbox.client_secret)["roles"] == ["User.Read.All"]
    nothing = str(uuid.uuid4())
    assert "roles" not in token(nothing, sandbox.add_client(nothing, permissions=[]))


def test_a_default_scope_user_token_lists_the_granted_delegated_permissions_in_scp(sandbox: Sandbox) -> None:
    """scopes-oidc.md (".default when the user has already given consent"): with `.default`, "all Microsoft
    Graph delegated permissions that have been granted for that user will be included in the access token",
    in `scp` (access-token-claims-reference.md: "Only included for user tokens"); no `roles`."""
    sandbox.tenant.permissions = ["User.Read.All", "CustomSecAttributeAssignment.Read.All"]
    app = msal.PublicClientApplication(
        sandbox.client_id,
        authority=f"{sandbox.authority_host}/{sandbox.tenant_id}",
        instance_discovery=False,
        http_client=plain_session(sandbox),
    )
    flow = app.initiate_device_flow(scopes=["https://graph.microsoft.com/.default"])
    claims = _claims(app.acquire_token_by_device_flow(flow)["access_token"])
    assert sorted(claims["scp"].split()) == ["CustomSecAttributeAssignment.Read.All", "User.Read.All"]
    assert "roles" not in claims
