"""`entragit sandbox ...`: run the emulated Graph tenant that the demo, the tests and the benchmarks use."""

from __future__ import annotations

import click

from entragit.errors import EntragitError
from entragit.sandbox import serve as serve_mod
from entragit.sandbox.errors import SandboxError


@click.group("sandbox")
def sandbox_group() -> None:
    """A local emulated Microsoft Graph tenant (HTTPS + OAuth), for trying entragit without a real tenant."""


@sandbox_group.command("serve")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option(
    "--users", type=click.IntRange(0), default=None, help="Generate a deterministic tenant of N users."
)
@click.option(
    "--seed",
    "seed_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Load the tenant from a JSON or YAML seed file.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Persist changes here; loaded instead of the seed when it exists.",
)
@click.option("--throttle/--no-throttle", default=True, show_default=True, help="Emulate Graph throttling.")
@click.option(
    "--throttle-budget",
    type=click.IntRange(1),
    default=None,
    help="Resource units per 10 s per app (default: by tenant size, 3,500/5,000/8,000).",
)
@click.option(
    "--latency-ms", type=click.IntRange(0), default=0, show_default=True, help="Added to every response."
)
@click.option(
    "--delta-lag",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Seconds before a change shows in delta rounds (Graph replicates with a delay).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the generated CA here and reuse it on restart (default: a temporary folder, removed on exit).",
)
@click.option(
    "--permissions",
    default=None,
    metavar="P1,P2,...",
    help="Application permissions granted to the printed client (default: every permission the sandbox "
    "knows); calls they do not cover get Graph's 403.",
)
@click.option(
    "--json", "json_output", is_flag=True, help="Print one JSON line with connection details when ready."
)
def serve(
    port: int,
    users: int | None,
    seed_path: str | None,
    state_path: str | None,
    throttle: bool,
    throttle_budget: int | None,
    latency_ms: int,
    json_output: bool,
    workdir: str | None,
    delta_lag: float,
    permissions: str | None,
) -> None:
    """Serve Graph v1.0 and an OAuth2 authority on https://127.0.0.1:PORT until interrupted."""
    if users is not None and seed_path:
        raise click.UsageError("--users and --seed are mutually exclusive")
    try:
        serve_mod.run(
            port=port,
            users=users,
            seed_path=seed_path,
            state_path=state_path,
            throttle=throttle,
            throttle_budget=throttle_budget,
            latency_ms=latency_ms,
            json_output=json_output,
            workdir=workdir,
            delta_lag=delta_lag,
            permissions=None
            if permissions is None
            else [p.strip() for p in permissions.split(",") if p.strip()],
        )
    except SandboxError as exc:
        # The sandbox knows nothing of entragit's errors; the CLI turns its own into the one-line form.
        raise EntragitError(str(exc)) from exc


COMMANDS: list[click.Command] = [sandbox_group]
