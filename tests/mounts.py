"""Real mounts for tests of a repository whose disk refuses writes: a read-only bind, a tiny tmpfs, as an
admin's machine or a CI runner has them. Skipped where the test process may not mount (not root)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def mounted(target: Path, *options: str) -> Iterator[None]:
    """`mount OPTIONS target` for the duration; lazily unmounted after."""
    done = subprocess.run(["mount", *options, str(target)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """path (a folder) read-only in place, through a read-only bind mount over itself."""
    done = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.decode().strip()}")
    with mounted(path, "-o", "remount,ro,bind"):  # the one mount, unmounted after
        yield
