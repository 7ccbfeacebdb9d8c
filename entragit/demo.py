"""`entragit demo`: a new user's first look, with no tenant, no credentials and no network.

Starts the emulated tenant in-process, backs it up into a fresh repository, then changes the tenant the way
a careless admin would (through plain Graph calls, as any other tool would), backs up again and shows the
commit: the point is to see that a tenant change becomes a readable git diff.

What happens is reported step by step to a callback (`DemoStep`); the words on the screen are the CLI's.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entragit import config, live
from entragit.backup import BackupResult, run_backup
from entragit.config import Config
from entragit.errors import UsageError
from entragit.graph.client import GraphClient
from entragit.repo.writer import Store

ACTOR = "careless.admin@demo"  # shows up as the actor of the changes in the sandbox's audit log


@dataclass
class DemoStep:
    """One step of the demo: `kind` is started, repository, backup, changes or commit."""

    kind: str
    repo: Path | None = None
    result: BackupResult | None = None
    changes: list[str] = field(default_factory=list)
    log: str = ""  # `git log --stat -1` of the last backup
    diff: str = ""  # its diff


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


def _git(root: Path, *args: str, color: bool) -> str:
    out = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "--no-pager",
            *args[:1],
            f"--color={'always' if color else 'never'}",
            *args[1:],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout


def run_demo(
    directory: str | Path | None, on_step: Callable[[DemoStep], None], *, color: bool = False
) -> Path:
    """Run the whole demo, reporting each step; returns the repository it created. `color` asks git for
    colored log and diff text (the caller knows whether its screen shows colors)."""
    from entragit.sandbox import seed
    from entragit.sandbox.server import start
    from entragit.sandbox.tenant import Tenant

    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="entragit-demo-"))
    if root.exists() and any(p.name != ".git" for p in root.iterdir()):
        raise UsageError(f"{root}: the demo needs an empty or new directory")
    on_step(DemoStep("started"))
    with start(Tenant.from_seed(seed.demo_seed()), throttle=True) as box:
        cfg = Config(
            tenant_id=box.tenant_id,
            client_id=box.client_id,
            graph_url=box.graph_url,
            authority_host=box.authority_host,
            attribution=False,  # the demo's one app makes every change: one commit to show, not one per actor
        )
        client = live.connect(
            cfg, {"AZURE_CLIENT_SECRET": box.client_secret, "REQUESTS_CA_BUNDLE": box.ca_bundle}
        )
        store = Store.init(root)
        config.save(store.root, cfg)
        store.commit_paths([config.CONFIG_FILE], "entragit init (demo tenant)")
        on_step(DemoStep("repository", repo=store.root))
        on_step(DemoStep("backup", repo=store.root, result=run_backup(store.root, client=client)))
        on_step(DemoStep("changes", changes=careless_changes(client)))
        on_step(DemoStep("backup", repo=store.root, result=run_backup(store.root, client=client)))
        on_step(
            DemoStep(
                "commit",
                repo=store.root,
                log=_git(store.root, "log", "--stat", "-1", color=color),
                diff=_git(store.root, "diff", "HEAD~1", "HEAD", color=color),
            )
        )
        client.close()
    return store.root
