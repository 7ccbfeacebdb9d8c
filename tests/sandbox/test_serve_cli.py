"""`entragit sandbox serve` as users run it: its own process, one JSON line, clean shutdown, saved state."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from msal_session import session_for

from entragit.cli import cli
from entragit.sandbox.serve import run

KEYS = {"graph_url", "authority_host", "tenant_id", "client_id", "client_secret", "ca_bundle"}


class Served:
    """A `sandbox serve --json` child process and the line it printed."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entragit", "sandbox", "serve", "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("sandbox serve printed nothing within 60 s") from None
        if not line:
            _, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"sandbox serve exited: {err}")
        self.info: dict[str, str] = json.loads(line)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def test_json_line_then_serving_then_clean_exit(served: list[Served]) -> None:
    s = Served("--no-throttle")
    served.append(s)
    assert set(s.info) == KEYS
    assert s.info["graph_url"].startswith("https://127.0.0.1:")
    http = session_for(s.info)
    r = http.get(f"{s.info['graph_url']}/v1.0/users", params={"$top": "5"})
    assert r.status_code == 200
    assert len(r.json()["value"]) == 5
    code, out, err = s.stop()
    assert code == 0
    assert out == ""  # exactly one line on stdout, already read
    assert "Traceback" not in err
    assert not os.path.exists(s.info["ca_bundle"])  # generated files are cleaned up


def test_state_survives_a_restart(served: list[Served], tmp_path: Path) -> None:
    state = tmp_path / "tenant-state.json"
    first = Served("--no-throttle", "--state", str(state))
    served.append(first)
    http = session_for(first.info)
    base = f"{first.info['graph_url']}/v1.0"
    uid = http.get(f"{base}/users", params={"$top": "1", "$select": "id"}).json()["value"][0]["id"]
    assert http.patch(f"{base}/users/{uid}", json={"jobTitle": "Persisted Title"}).status_code == 204
    code, _, err = first.stop(signal.SIGINT)
    assert code == 0, err
    assert state.exists()
    assert not list(tmp_path.glob(".sandbox-state-*"))  # no temp file left behind

    second = Served("--no-throttle", "--state", str(state))
    served.append(second)
    http2 = session_for(second.info)
    r = http2.get(f"{second.info['graph_url']}/v1.0/users/{uid}", params={"$select": "jobTitle"})
    assert r.status_code == 200
    assert r.json()["jobTitle"] == "Persisted Title"
    assert second.info["client_secret"] != first.info["client_secret"]  # fresh throwaway secret per run
    assert second.stop()[0] == 0


def test_fixed_port_users_and_workdir_options(served: list[Served], tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    work = tmp_path / "work"
    s = Served(
        "--port", str(port), "--users", "60", "--throttle-budget", "100", "--latency-ms", "1",
        "--workdir", str(work),
    )  # fmt: skip
    served.append(s)
    assert s.info["graph_url"] == f"https://127.0.0.1:{port}"
    assert s.info["ca_bundle"] == str(work / "ca.pem")
    http = session_for(s.info)
    r = http.get(f"{s.info['graph_url']}/v1.0/users", params={"$top": "999", "$select": "id"})
    assert r.status_code == 200
    assert len(r.json()["value"]) == 60
    assert s.stop()[0] == 0
    assert (work / "ca.pem").exists()  # kept for the next run


def test_delta_lag_hides_a_change_from_delta_until_it_has_replicated(served: list[Served]) -> None:
    s = Served("--no-throttle", "--delta-lag", "1.5")
    served.append(s)
    http = session_for(s.info)
    base = f"{s.info['graph_url']}/v1.0"
    link = http.get(f"{base}/users/delta", params={"$deltatoken": "latest"}).json()["@odata.deltaLink"]
    uid = http.get(f"{base}/users", params={"$top": "1", "$select": "id"}).json()["value"][0]["id"]
    assert http.patch(f"{base}/users/{uid}", json={"jobTitle": "Replicating"}).status_code == 204
    assert http.get(f"{base}/users/{uid}", params={"$select": "jobTitle"}).json()["jobTitle"] == "Replicating"
    early = http.get(link).json()
    assert uid not in {item["id"] for item in early["value"]}
    time.sleep(1.6)
    late = http.get(early["@odata.deltaLink"]).json()
    assert uid in {item["id"] for item in late["value"]}  # not lost: it shows in the next round
    assert s.stop()[0] == 0


def test_malformed_seed_is_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken-seed.json"
    bad.write_text('{"users": [ {"id": ', encoding="utf-8")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--json", "--seed", str(bad)])
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.count("\n") == 0
    assert "broken-seed.json" in message
    assert "Traceback" not in message


def test_missing_seed_file_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--seed", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml" in result.output


def test_users_and_seed_together_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--users", "5", "--seed", str(tmp_path / "s.json")])
    assert result.exit_code == 2


def test_port_in_use_is_one_line(sandbox: Any) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--port", str(sandbox.port)])
    assert result.exit_code == 1
    assert str(sandbox.port) in result.output
    assert "Traceback" not in result.output


def test_human_banner_tells_how_to_point_clients_at_it() -> None:
    out = io.StringIO()
    stop = threading.Event()
    t = threading.Thread(target=run, kwargs={"throttle": False, "out": out, "stop_event": stop})
    t.start()
    try:
        for _ in range(200):
            if "Ctrl+C" in out.getvalue():
                break
            threading.Event().wait(0.05)
        text = out.getvalue()
    finally:
        stop.set()
        t.join(timeout=10)
    for var in (
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_AUTHORITY_HOST",
        "ENTRAGIT_GRAPH_URL",
        "REQUESTS_CA_BUNDLE",
    ):
        assert f"export {var}=" in text
    assert "https://127.0.0.1:" in text
    assert not t.is_alive()


def test_unreadable_state_file_is_one_line_naming_it(tmp_path: Path) -> None:
    state = tmp_path / "corrupt-state.json"
    state.write_text("this is not a saved tenant", encoding="utf-8")
    result = CliRunner().invoke(cli, ["sandbox", "serve", "--json", "--state", str(state)])
    assert result.exit_code == 1
    assert "corrupt-state.json" in result.output
    assert result.output.strip().count("\n") == 0
    assert "Traceback" not in result.output
