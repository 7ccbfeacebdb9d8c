"""Rendering Graph objects to file contents, in this process and in the spawned render workers."""

from __future__ import annotations

import signal
from typing import Any

from entragit import canonical, catalog, render


def graph_user(i: int) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": f"{i:08d}-0000-0000-0000-000000000000",
        "displayName": f"User {i}",
        "userPrincipalName": f"user{i}@contoso.com",
        "accountEnabled": i % 2 == 0,
        "mail": None,
        "manager@delta": [{"id": "m"}],
    }


def test_workers_render_exactly_what_the_calling_process_renders() -> None:
    """Big listings render in spawned workers, small ones in-process: the files must not depend on it.
    Starting the workers leaves the caller's Ctrl-C alone (a blocked SIGINT would be inherited by every
    program the process starts afterwards)."""
    users = catalog.by_name("users")
    drop = ["mail"]
    jobs: list[render.Job] = []
    for i in range(5):
        path = catalog.object_path(users, graph_user(i)["id"])
        jobs.append((path, render.strip_annotations(graph_user(i), users), {"manager": None}, None))
    old = render.render_batch("users", drop, jobs[:1])[0][1]
    jobs[0] = (*jobs[0][:3], old)  # unchanged since the last run: digest only, no YAML
    local = render.render_batch("users", drop, jobs)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    assert signal.SIGINT not in mask
    pool = render.RenderPool(workers=1)
    try:
        assert pool.available()
        remote = pool.submit("users", drop, jobs).result(timeout=60)
    finally:
        pool.close()
    assert signal.pthread_sigmask(signal.SIG_BLOCK, ()) == mask
    assert remote == local
    assert local[0][2] is None
    text = local[1][2]
    assert text is not None
    obj = canonical.load(text.decode("utf-8"))
    assert obj["displayName"] == "User 1" and "mail" not in obj and "manager@delta" not in obj
    assert local[1][3] == "User 1"


def test_without_workers_the_pool_is_unavailable_and_the_caller_renders() -> None:
    pool = render.RenderPool(workers=0)
    assert not pool.available()
    pool.close()


def test_display_name_falls_back_to_the_file_id() -> None:
    users = catalog.by_name("users")
    assert render.display_name(users, {"userPrincipalName": "a@b.c"}, "users/ab/abc.yaml") == "a@b.c"
    assert render.display_name(users, {"displayName": ""}, "users/ab/abc.yaml") == "abc"
