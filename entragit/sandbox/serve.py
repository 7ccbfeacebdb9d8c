"""`entragit sandbox serve`: build a tenant (state, seed, generated or demo) and serve it until stopped.

Blocking on purpose: it is the foreground process a developer or CI job runs beside entragit. With `--json`
the first and only line on stdout is the connection info, so a script can read one line and go; the client
secret in it is a throwaway credential the sandbox minted for this run.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from entragit.sandbox.errors import SandboxError
from entragit.sandbox.server import Sandbox, start

if TYPE_CHECKING:
    from entragit.sandbox.tenant import Tenant


def build_tenant(
    users: int | None = None, seed_path: str | None = None, state_path: str | None = None
) -> Tenant:
    """The tenant to serve: a saved state wins, then a seed file, then a generated tenant, then the demo."""
    from entragit.sandbox import seed as seed_mod
    from entragit.sandbox.tenant import Tenant

    if state_path and os.path.exists(state_path):
        try:
            return Tenant.load(state_path)
        except SandboxError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SandboxError(f"cannot load sandbox state file {state_path}: {exc}") from exc
    if seed_path:
        data = seed_mod.complete_seed(seed_mod.load_seed_file(seed_path))
    elif users is not None:
        data = seed_mod.generate_seed(users)
    else:
        data = seed_mod.demo_seed()
    return Tenant.from_seed(data)


def tenant_source(users: int | None, seed_path: str | None, state_path: str | None) -> str:
    """Where build_tenant takes the tenant from, in words (for the banner)."""
    if state_path and os.path.exists(state_path):
        return f"loaded from {state_path}"
    if seed_path:
        return f"seeded from {seed_path}"
    if users is not None:
        return "generated"
    return "demo tenant"


def human_banner(box: Sandbox, source: str = "") -> str:
    """How to point entragit (or any Graph client) at this sandbox."""
    info = box.info()
    domain = getattr(box.tenant, "domain", "") or box.tenant_id
    origin = f", {source}" if source else ""
    lines = [
        f"entragit sandbox: emulating tenant {domain} ({box.tenant.user_count()} users{origin})",
        f"  Graph:     {info['graph_url']}/v1.0",
        f"  Authority: {info['authority_host']}/{info['tenant_id']}",
        f"  CA bundle: {info['ca_bundle']}",
        "  Permissions: "
        + (
            ", ".join(box.tenant.permissions)
            if box.tenant.permissions is not None
            else "every permission the sandbox knows (restrict with --permissions)"
        ),
        "",
        "Point entragit or any Graph client at it (the secret is a throwaway credential of this sandbox):",
        f"  export AZURE_TENANT_ID={info['tenant_id']}",
        f"  export AZURE_CLIENT_ID={info['client_id']}",
        f"  export AZURE_CLIENT_SECRET={info['client_secret']}",
        f"  export AZURE_AUTHORITY_HOST={info['authority_host']}",
        f"  export ENTRAGIT_GRAPH_URL={info['graph_url']}",
        f"  export REQUESTS_CA_BUNDLE={info['ca_bundle']}",
        "",
        "Test hooks (no token): /_sandbox/faults, /_sandbox/stats, /_sandbox/throttle, /_sandbox/tenant.",
        "Press Ctrl+C to stop" + (f" (state is saved to {box.state_path})." if box.state_path else "."),
    ]
    return "\n".join(lines)


def run(
    port: int = 0,
    users: int | None = None,
    seed_path: str | None = None,
    state_path: str | None = None,
    throttle: bool = True,
    throttle_budget: int | None = None,
    latency_ms: int = 0,
    json_output: bool = False,
    workdir: str | None = None,
    delta_lag: float = 0.0,
    permissions: list[str] | None = None,
    *,
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop_event`), then stop cleanly (saving the state file, if any)."""
    stream = out or sys.stdout
    started = time.monotonic()
    source = tenant_source(users, seed_path, state_path)
    tenant = build_tenant(users, seed_path, state_path)
    tenant.delta_lag_seconds = delta_lag
    try:
        box = start(
            tenant,
            port=port,
            throttle=throttle,
            throttle_budget=throttle_budget,
            latency_ms=latency_ms,
            state_path=state_path,
            workdir=workdir,
            permissions=permissions,
        )
    except ValueError as exc:
        raise SandboxError(f"--permissions: {exc}") from exc
    except OSError as exc:
        raise SandboxError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    done = stop_event or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: done.set())
    try:
        if json_output:
            stream.write(json.dumps(box.info()) + "\n")
        else:
            stream.write(human_banner(box, source) + f"\n(ready in {time.monotonic() - started:.1f} s)\n")
        stream.flush()
        while not done.wait(timeout=0.5):
            pass
    finally:
        box.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
