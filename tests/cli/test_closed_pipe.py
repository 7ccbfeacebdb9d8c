"""Issue 8, item 6: a reader that closes the pipe early ends every command the same quiet way.

`entragit ls | head -3` used to exit 1 (click's BrokenPipeError handling) while `ls --json | head -c 10`
exited 0 (the reader left in the middle of one large write, which Linux reports as a short write). Now every
command ends as `git log | head` ends git: killed by SIGPIPE (the shell shows 141), nothing on stderr. The
commands run in a real child process writing into a real pipe, whose reader is gone before they write or
leaves after the first bytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from history_repo import RepoBuilder

USERS = 2_000  # `ls` and `ls --json` well over a 64 KiB pipe buffer: a reader that leaves early cuts them


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = RepoBuilder(tmp_path_factory.mktemp("pipe") / "backup")
    b.write("entragit.yaml", "tenant_id: t\nclient_id: c\n")
    for i in range(USERS):
        uid = f"00000000-0000-4000-8000-{i:012d}"
        b.put("users", {"id": uid, "displayName": f"User {i}", "userPrincipalName": f"user{i}@contoso.com"})
    b.commit("backup")
    return b.root


def _start(repo: Path, args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "ENTRAGIT_REPO": str(repo)}
    return subprocess.Popen(
        [sys.executable, "-m", "entragit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=repo,
    )


@pytest.mark.parametrize(
    "args", [["ls"], ["ls", "--json"], ["versions", "User 7"], ["permissions", "--json"]]
)
def test_a_reader_closing_early_ends_the_command_by_sigpipe_quietly(big_repo: Path, args: list[str]) -> None:
    child = _start(big_repo, args)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the interpreter is still starting: nothing has been written yet
    err = child.stderr.read()
    assert child.wait(timeout=60) == -signal.SIGPIPE
    assert err == b""


@pytest.mark.parametrize(("args", "first"), [(["ls"], b"TYPE"), (["ls", "--json"], b"[\n  {")])
def test_a_reader_leaving_in_the_middle_of_the_output_ends_it_the_same_way(
    big_repo: Path, args: list[str], first: bytes
) -> None:
    """`| head -c 10`: the reader takes the start of a large output and goes; this used to end 0 for JSON."""
    child = _start(big_repo, args)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.read(len(first)) == first
    child.stdout.close()
    err = child.stderr.read()
    assert child.wait(timeout=60) == -signal.SIGPIPE
    assert err == b""
