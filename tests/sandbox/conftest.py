"""Fixtures for the sandbox Graph-semantics tests: a raw-HTTP Graph caller on a small seeded tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from msal_session import session_for

from entragit.sandbox.server import Sandbox

from .api_helpers import Graph, base_seed


@pytest.fixture
def graph_factory(sandbox_factory: Callable[..., Sandbox]) -> Callable[..., Graph]:
    """Graph callers on fresh sandboxes (base_seed() unless a seed is given); stopped with sandbox_factory."""

    def make(seed: dict[str, Any] | None = None, **kwargs: Any) -> Graph:
        box = sandbox_factory(seed=seed if seed is not None else base_seed(), **kwargs)
        return Graph(box, session_for(box))

    return make


@pytest.fixture
def g(graph_factory: Callable[..., Graph]) -> Graph:
    return graph_factory()
