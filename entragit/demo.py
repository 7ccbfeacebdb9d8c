"""`entragit demo`: a new user's first look, with no tenant, no credentials and no network.

Starts the emulated tenant in-process, backs it up into a fresh repository, then changes the tenant the way
a careless admin would (through plain Graph calls, as any other tool would), backs up again and shows the
commit: the point is to see that a tenant change becomes a readable git diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from entragit import config
from entragit.backup import BackupResult, run_backup
from entragit.config import Config
from entragit.graph.auth import AuthConfig, token_provider
from entragit.graph.client import GraphClient
from entragit.store import Store

ACTOR = "careless.admin@demo"  # shows up as the actor of the changes in the sandbox's audit log


def _say(msg: str) -> None:
    click.echo(msg)


def _client_for(box: Any) -> GraphClient:
    auth = AuthConfig(
        tenant_id=box.tenant_id,
        client_id=box.client_id,
        method="secret",
        authority_host=box.authority_host,
        graph_url=box.graph_url,
        ca_bundle=box.ca_bundle,
    )
    token = token_provider(auth, {"AZURE_CLIENT_SECRET": box.client_secret})
    return GraphClient(box.graph_url, token, ca_bundle=box.ca_bundle)


def _first(
    client: GraphClient, path: str, params: dict[str, str], pick: Callable[[dict[str, Any]], bool]
) -> Any:
    for item in client.list(path, params):
        if pick(item):
            return item
    return None


def careless_changes(client: GraphClient) -> list[str]:
    """A few changes an admin might make on a Friday afternoon; returns what was done, for the narration."""
    hdr = {"X-Sandbox-Actor": ACTOR}
    done: list[str] = []
    select = "id,displayName,userPrincipalName,userType,accountEnabled,onPremisesSyncEnabled"
    users = list(client.list("users", {"$select": select}))
    # Cloud-only members: synced users can only be changed on-premises, and break-glass accounts are sacred.
    members = [
        u
        for u in users
        if u.get("userType") != "Guest"
        and u.get("accountEnabled")
        and not u.get("onPremisesSyncEnabled")
        and "breakglass" not in str(u.get("userPrincipalName")).lower()
    ]
    # Leave the first users (often the admin accounts) alone.
    renamed, victim, newcomer = members[-1], members[-2], members[-3]

    client.request(
        "PATCH",
        f"users/{renamed['id']}",
        json={"displayName": f"{renamed['displayName']} (old)", "jobTitle": "Intern"},
        headers=hdr,
    )
    done.append(f"renamed user {renamed['userPrincipalName']} and changed their job title")

    def newcomer_not_in(g: dict[str, Any]) -> bool:
        if g.get("membershipRule") or g.get("mailEnabled"):
            return False  # dynamic or mail-enabled: Graph cannot add members to these
        members = client.list(f"groups/{g['id']}/members", {"$select": "id"})
        return all(m.get("id") != newcomer["id"] for m in members)

    group = _first(
        client, "groups", {"$select": "id,displayName,membershipRule,mailEnabled"}, newcomer_not_in
    )
    if group:
        client.request(
            "POST",
            f"groups/{group['id']}/members/$ref",
            json={"@odata.id": f"{client.base_url}/directoryObjects/{newcomer['id']}"},
            headers=hdr,
        )
        done.append(f"added {newcomer['userPrincipalName']} to group {group['displayName']}")

    policy = _first(client, "identity/conditionalAccess/policies", {}, lambda p: True)
    if policy:
        client.request("DELETE", f"identity/conditionalAccess/policies/{policy['id']}", headers=hdr)
        done.append(f"deleted conditional access policy {policy['displayName']!r}")

    client.request("DELETE", f"users/{victim['id']}", headers=hdr)
    done.append(f"deleted user {victim['userPrincipalName']} (soft delete: restorable for 30 days)")

    location = _first(
        client,
        "identity/conditionalAccess/namedLocations",
        {},
        lambda n: n.get("@odata.type") == "#microsoft.graph.ipNamedLocation",
    )
    if location:
        ranges = list(location.get("ipRanges") or [])
        ranges.append({"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "0.0.0.0/1"})
        client.request(
            "PATCH",
            f"identity/conditionalAccess/namedLocations/{location['id']}",
            json={"@odata.type": "#microsoft.graph.ipNamedLocation", "ipRanges": ranges, "isTrusted": True},
            headers=hdr,
        )
        done.append(f"trusted half the internet (0.0.0.0/1) in named location {location['displayName']!r}")
    return done


def _git(root: Path, *args: str) -> str:
    color = "--color=always" if sys.stdout.isatty() and "NO_COLOR" not in os.environ else "--color=never"
    out = subprocess.run(
        ["git", "-C", str(root), "--no-pager", *args[:1], color, *args[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout


def _report(result: BackupResult) -> None:
    _say(f"  {result.summary()}")
    for err in result.errors:
        _say(f"  error: {err}")


def run_demo(directory: str | Path | None = None) -> Path:
    """Run the whole demo; returns the repository it created."""
    from entragit.sandbox import seed
    from entragit.sandbox.server import start
    from entragit.sandbox.tenant import Tenant

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="entragit-demo-"))
    if root.exists() and any(p.name != ".git" for p in root.iterdir()):
        from entragit.errors import UsageError

        raise UsageError(f"{root}: the demo needs an empty or new directory")
    _say("Starting an emulated Entra tenant (local HTTPS, no network, no credentials needed)...")
    with start(Tenant.from_seed(seed.demo_seed()), throttle=True) as box:
        client = _client_for(box)
        store = Store.init(root)
        config.save(
            store.root,
            Config(
                tenant_id=box.tenant_id,
                client_id=box.client_id,
                graph_url=box.graph_url,
                authority_host=box.authority_host,
            ),
        )
        store.commit_paths([config.CONFIG_FILE], "entragit init (demo tenant)")
        _say(f"Backup repository: {store.root}")

        _say("\n1. First backup: every object becomes one YAML file, the run one commit.")
        _report(run_backup(store.root, client=client))

        _say("\n2. A careless admin changes the tenant:")
        for line in careless_changes(client):
            _say(f"   - {line}")

        _say("\n3. Second backup: only what changed is written and committed.")
        _report(run_backup(store.root, client=client))

        _say("\n$ git log --stat -1\n")
        _say(_git(store.root, "log", "--stat", "-1"))
        _say("$ git diff HEAD~1 HEAD\n")
        _say(_git(store.root, "diff", "HEAD~1", "HEAD"))
        client.close()

    _say("Explore it (the emulated tenant has stopped; everything below reads the repository):")
    _say(f"  cd {store.root}")
    _say("  entragit ls users                 # every user, deleted ones dimmed")
    _say("  entragit show <user principal name or display name>")
    _say("  entragit versions <object>        # the backups in which it changed")
    _say("  entragit compare <object> HEAD~1 HEAD")
    _say("  git log --stat                    # plain git works too")
    return store.root
