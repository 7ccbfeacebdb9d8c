"""A Graph client for a sandbox, built the way every entragit command builds one: `live.connect` from an
entragit.yaml configuration and the azure-identity environment the sandbox prints."""

from __future__ import annotations

from typing import Any

from entragit import live
from entragit.config import Config
from entragit.graph.client import GraphClient
from entragit.sandbox.server import Sandbox


def sandbox_config(box: Sandbox) -> Config:
    return Config(tenant_id=box.tenant_id, client_id=box.client_id)


def sandbox_env(box: Sandbox) -> dict[str, str]:
    """What `entragit sandbox serve --json` tells a user to export."""
    return {
        "ENTRAGIT_GRAPH_URL": box.graph_url,
        "AZURE_AUTHORITY_HOST": box.authority_host,
        "AZURE_CLIENT_SECRET": box.client_secret,
        "REQUESTS_CA_BUNDLE": box.ca_bundle,
    }


def cli_env(box: Sandbox) -> dict[str, str]:
    """The environment for running the CLI against the sandbox: no repository from the caller's environment,
    no colour codes in the output the tests read."""
    return {**sandbox_env(box), "ENTRAGIT_REPO": "", "NO_COLOR": "1"}


def client_for(box: Sandbox, **options: Any) -> GraphClient:
    """A client as the backup builds it; retry tests pass small backoffs in `options`."""
    return live.connect(sandbox_config(box), sandbox_env(box), **options)
