"""Sessions that talk to a sandbox the way a real Graph client does: a bearer token from msal, the sandbox CA.

A plain module rather than part of conftest.py: `from conftest import ...` resolves to whichever conftest
pytest imported under that name first, which breaks as soon as a test folder gets a conftest of its own.
"""

from __future__ import annotations

import msal
import requests

from entragit.sandbox.server import Sandbox


def token_for(box: Sandbox) -> str:
    """A bearer token obtained the way a real client gets one: msal against the sandbox authority."""
    http = requests.Session()
    http.trust_env = False
    http.verify = box.ca_bundle
    app = msal.ConfidentialClientApplication(
        box.client_id,
        client_credential=box.client_secret,
        authority=f"{box.authority_host}/{box.tenant_id}",
        instance_discovery=False,
        http_client=http,
    )
    result = app.acquire_token_for_client(scopes=[f"{box.graph_url}/.default"])
    assert "access_token" in result, result.get("error_description")
    return str(result["access_token"])


def session_for(box: Sandbox) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = box.ca_bundle
    s.headers["Authorization"] = f"Bearer {token_for(box)}"
    return s
