"""Backup progress as a person and a pipeline see it: live on a terminal, absent in pipes and CI logs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from live_helpers import sandbox_env

from entragit import config
from entragit.backup import RunStatus
from entragit.cli.progress import render_status
from entragit.config import Config
from entragit.repo.writer import Store
from entragit.sandbox.server import Sandbox

REDRAW = "\r\x1b[2K"


def _repo(box: Sandbox, path: Path) -> Path:
    st = Store.init(path)
    config.save(st.root, Config(tenant_id=box.tenant_id, client_id=box.client_id))
    st.commit_paths(["entragit.yaml"], "entragit init")
    return st.root


def _backup(repo: Path, box: Sandbox, *args: str, tty: bool) -> tuple[int, str, str]:
    """`entragit backup` in a child process whose stderr is a pseudo-terminal (tty) or a pipe."""
    env = {**os.environ, **sandbox_env(box), "NO_COLOR": "1", "ENTRAGIT_REPO": str(repo)}
    cmd = [sys.executable, "-m", "entragit", "backup", *args]
    if not tty:
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)  # bytes: keep \r
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    out = proc.communicate(timeout=120)[0]
    os.close(leader)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def slow_box(sandbox_factory: object) -> Sandbox:
    # Latency makes the run last long enough for several redraws of the status line.
    return sandbox_factory(latency_ms=40)  # type: ignore[operator]


def test_a_terminal_sees_a_live_status_line_and_a_pipe_sees_none(slow_box: Sandbox, tmp_path: Path) -> None:
    repo = _repo(slow_box, tmp_path / "repo")
    code, out, err = _backup(repo, slow_box, "--full", tty=True)
    assert code == 0, err
    assert REDRAW in err and "requests" in err  # redrawn in place, with the Graph request count
    assert "types done" in err  # how far the run is
    assert err.rstrip().endswith(REDRAW.strip()) or err.endswith(REDRAW)  # cleared at the end
    assert out.startswith("backup: ")  # stdout holds the summary only

    code, out, err = _backup(repo, slow_box, "--full", tty=False)
    assert code == 0 and err == ""  # CI logs: nothing but errors
    assert out.count("\n") == 1 and out.startswith("backup: ")


def test_progress_flags_override_the_terminal_check(slow_box: Sandbox, tmp_path: Path) -> None:
    repo = _repo(slow_box, tmp_path / "repo")
    code, _out, err = _backup(repo, slow_box, "--no-progress", tty=True)
    assert code == 0 and REDRAW not in err and err == ""
    code, _out, err = _backup(repo, slow_box, "--quiet", "--progress", "--full", tty=True)
    assert code == 0 and err == ""  # --quiet wins
    code, _out, err = _backup(repo, slow_box, "--progress", "--full", tty=False)
    assert code == 0 and REDRAW in err  # asked for in a pipe: given


def test_status_line_text() -> None:
    status = RunStatus()
    assert render_status(status) == ""
    status.count("users", 12000)
    status.count("groups", 3100)
    status.count("applications", 40)
    status.finished["users"] = "delta"
    status.count("servicePrincipals")
    status.finished["servicePrincipals"] = "failed"
    status.types = 15
    status.requests = lambda: {"requests": 4211, "throttled": 12, "retries": 0}
    assert render_status(status) == (
        "groups 3,100 · applications 40 · 2/15 types done · servicePrincipals failed"
        " · 4,211 requests, 12 throttled"
    )
