from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from restore_env import Env, make_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """Each test its own sandbox and backup repository: restores change the tenant."""
    yield from make_env(tmp_path)
