"""Sessions that talk to a sandbox the way a real Graph client does: a bearer token from msal, the sandbox CA.

A plain module rather than part of conftest.py: `from conftest import ...` resolves to whichever conftest
pytest imported under that name first, which breaks as soon as a test folder gets a conftest of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

import msal
import requests

from entragit.sandbox.server import Sandbox


def token_for(box: Sandbox | Mapping[str, str]) -> str:
    """A bearer token obtained the way a real client gets one: msal against the sandbox authority.

    Takes a Sandbox or the connection details that `sandbox serve --json` prints (the same six keys)."""
    info = box.info() if isinstance(box, Sandbox) else box
    http = requests.Session()
    http.trust_env = False
    http.verify = info["ca_bundle"]
    app = msal.ConfidentialClientApplication(
        info["client_id"],
        client_credential=info["client_secret"],
        authority=f"{info['authority_host']}/{info['tenant_id']}",
        instance_discovery=False,
        http_client=http,
    )
    result = app.acquire_token_for_client(scopes=[f"{info['graph_url']}/.default"])
    assert "access_token" in result, result.get("error_description")
    return str(result["access_token"])


def session_for(box: Sandbox | Mapping[str, str]) -> requests.Session:
    info = box.info() if isinstance(box, Sandbox) else box
    s = requests.Session()
    s.trust_env = False
    s.verify = info["ca_bundle"]
    s.headers["Authorization"] = f"Bearer {token_for(info)}"
    return s


def user_session_for(box: Sandbox) -> requests.Session:
    """A session signed in as the sandbox's user (device code, which the sandbox approves at once): a
    delegated token, for the calls Graph admits for a signed-in user only (terms of use agreements)."""
    info = box.info()
    http = requests.Session()
    http.trust_env = False
    http.verify = info["ca_bundle"]
    app = msal.PublicClientApplication(
        info["client_id"],
        authority=f"{info['authority_host']}/{info['tenant_id']}",
        instance_discovery=False,
        http_client=http,
    )
    flow = app.initiate_device_flow(scopes=[f"{info['graph_url']}/.default"])
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result.get("error_description")
    s = requests.Session()
    s.trust_env = False
    s.verify = info["ca_bundle"]
    s.headers["Authorization"] = f"Bearer {result['access_token']}"
    return s
