"""`git -C ROOT ARGS` for tests that check what a run left in a repository, with git's own output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The command's stdout; a failing command fails the test (CalledProcessError). `env` adds variables."""
    return subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    ).stdout
