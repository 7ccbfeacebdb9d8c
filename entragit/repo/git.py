"""The one way entragit runs git: one environment, one error class, messages fit for one line.

GitPython's `Repo` still opens and configures repositories (discovery, settings, remotes); every command that
touches files or history runs the git CLI here. A command per object would be fatal at 100k files, so callers
pass path lists on stdin (`--stdin`, `--pathspec-from-file`) rather than looping.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from entragit.errors import EntragitError


class RepoError(EntragitError):
    """The backup repository is missing, busy, dirty or damaged, or git refused an operation."""


class UnknownRevision(RepoError):
    """A revision the user gave does not name a commit of the repository."""


def redact(text: str) -> str:
    """Drop credentials embedded in remote URLs (https://user:token@host) from git's messages."""
    return re.sub(r"(\w+://)[^/@\s]+@", r"\1***@", text)


def env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """git's environment: never prompt (CI has nobody to answer), English messages, literal pathspecs (object
    ids and names never act as globs)."""
    out = dict(os.environ)
    out["GIT_TERMINAL_PROMPT"] = "0"
    out["GIT_LITERAL_PATHSPECS"] = "1"
    out.setdefault("LC_ALL", "C")
    out.update(extra or {})
    return out


def error_line(stderr: bytes, status: int) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return redact(lines[-1] if lines else f"git exited with status {status}")


def run(
    cwd: str | Path,
    *args: str,
    input: bytes | None = None,
    extra_env: Mapping[str, str] | None = None,
    check: bool = True,
    answers: tuple[int, ...] = (0,),
) -> bytes:
    """stdout of one git command in cwd; RepoError naming the command and git's last line when it fails.
    `answers` are the exit codes that are answers, not failures (`git grep` exits 1 for "no match")."""
    proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, env=env(extra_env))
    if check and proc.returncode not in answers:
        name = next((a for a in args if not a.startswith("-") and "=" not in a), args[0])
        raise RepoError(f"git {name} failed in {cwd}: {error_line(proc.stderr, proc.returncode)}")
    return proc.stdout


def succeeds(cwd: str | Path, *args: str) -> bool:
    """Whether a git command that answers by its exit status says yes."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env()).returncode == 0
