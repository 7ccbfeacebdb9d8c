"""Shared fixtures: a real in-process sandbox over HTTPS, and a session that got its token through msal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from msal_session import session_for, user_session_for

from entragit.sandbox import seed as seed_mod
from entragit.sandbox.server import Sandbox, start
from entragit.sandbox.tenant import Tenant


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on free loopback ports; all are stopped at teardown."""
    started: list[Sandbox] = []

    def make(seed: dict[str, Any] | None = None, users: int | None = None, **kwargs: Any) -> Sandbox:
        if seed is not None:
            data = seed_mod.complete_seed(seed)
        elif users is not None:
            data = seed_mod.generate_seed(users)
        else:
            data = seed_mod.demo_seed()
        kwargs.setdefault("throttle", False)
        box = start(Tenant.from_seed(data), **kwargs)
        started.append(box)
        return box

    yield make
    for box in started:
        box.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory()


@pytest.fixture
def graph_session(sandbox: Sandbox) -> requests.Session:
    return session_for(sandbox)


@pytest.fixture
def user_session(sandbox: Sandbox) -> requests.Session:
    """Signed in as the sandbox's user: the types Graph admits for users only (catalog `delegated_only`)."""
    return user_session_for(sandbox)
