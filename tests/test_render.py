"""Rendering Graph objects to file contents, in this process and in the spawned render workers."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import live_helpers
import pytest
from sandbox.api_helpers import base_seed, guid, uid

from entragit import canonical, catalog, config, live, render, tenant_reports
from entragit.backup import BackupResult, run_backup
from entragit.config import Config
from entragit.graph.client import page_link
from entragit.repo.writer import Store
from entragit.sandbox.server import Sandbox


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


def _page(users: list[dict[str, Any]], **links: str) -> bytes:
    body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", **links, "value": users}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def test_workers_render_exactly_what_the_calling_process_renders() -> None:
    """Pages of a big delta round render in spawned workers, small rounds in-process: the files must not
    depend on it. Starting the workers leaves the caller's Ctrl-C alone (a blocked SIGINT would be
    inherited by every program the process starts afterwards)."""
    users = [graph_user(i) for i in range(5)]
    users.append({"id": "gone", "@removed": {"reason": "deleted"}})
    content = _page(users, **{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users/delta?$skiptoken=x"})
    local = live.render_round_page("users", ["mail"], content, tenant_reports.seat_code)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    assert signal.SIGINT not in mask
    pool = render.RenderPool(workers=1)
    try:
        assert pool.available()
        remote = pool.submit(
            live.render_round_page, "users", ["mail"], content, tenant_reports.seat_code
        ).result(60)
    finally:
        pool.close()
    assert signal.pthread_sigmask(signal.SIG_BLOCK, ()) == mask
    assert remote == local
    rendered, seats, next_link, delta_link, count = local
    assert (next_link, delta_link, count) == (
        "https://graph.microsoft.com/v1.0/users/delta?$skiptoken=x",
        None,
        6,
    )
    assert len(rendered) == 5 and dict(seats)[graph_user(0)["id"]] == "emu"  # enabled member, unlicensed
    text = rendered[1][2]
    assert text is not None
    obj = canonical.load(text.decode("utf-8"))
    assert obj["displayName"] == "User 1" and "mail" not in obj and "manager@delta" not in obj
    assert obj["manager"] == "m" and rendered[1][3] == "User 1"


def test_the_guests_sponsors_reach_the_workers_once_packed_and_never_a_stale_copy() -> None:
    """The guests' sponsors go with every page of the users' round, packed once (`render.pack`): a worker
    decodes them on the first page and keeps them, and a value packed later (the next round's) replaces
    them instead of being taken for the one it holds."""
    guest = {**graph_user(7), "userType": "Guest"}
    content = _page([graph_user(1), guest])
    gid = guest["id"]
    first = render.pack({gid: {"sponsors": [{"id": "s1"}]}})
    second = render.pack({gid: {"sponsors": ["s2", "s3"]}})

    def sponsors(page: live.RenderedPage) -> dict[str, Any]:
        return {r[3]: canonical.load(r[2].decode("utf-8")).get("sponsors") for r in page[0] if r[2]}

    pool = render.RenderPool(workers=1)
    try:
        assert pool.available()
        got = [
            sponsors(pool.submit(live.render_round_page, "users", [], content, None, side).result(60))
            for side in (first, first, second)
        ]
    finally:
        pool.close()
    assert got[0] == got[1] == {"User 1": None, "User 7": ["s1"]}
    assert got[2] == {"User 1": None, "User 7": ["s2", "s3"]}
    assert sponsors(live.render_round_page("users", [], content, None, second)) == got[2]


def test_a_page_that_is_not_json_renders_nothing_and_says_so() -> None:
    assert live.render_round_page("users", [], b'{"value": [', None) == ([], [], None, None, None)


def test_page_links_are_found_in_the_bytes_as_json_reads_them() -> None:
    link = 'https://graph.microsoft.com/v1.0/users/delta?$skiptoken=a"b\\c\u00e9'
    content = _page([graph_user(1)], **{"@odata.nextLink": link})
    assert page_link(content, "nextLink") == json.loads(content)["@odata.nextLink"] == link
    assert page_link(content, "deltaLink") is None
    spaced = b'{ "@odata.deltaLink" :\n "https://x/delta?$deltatoken=t", "value": [] }'
    assert page_link(spaced, "deltaLink") == "https://x/delta?$deltatoken=t"
    assert page_link(b'{"@odata.nextLink": 5}', "nextLink") is None


def test_the_digest_tells_an_unchanged_file_and_sees_every_change() -> None:
    """A run skips writing an object whose digest matches the previous run's; any change of the file's
    text, however small, must change it, and Graph's key order must not."""
    users = catalog.by_name("users")
    path = catalog.object_path(users, graph_user(1)["id"])

    def rendered(raw: dict[str, Any], old: str | None = None) -> render.Rendered:
        return render.render(users, path, render.canonical_of(users, raw, {"manager": "m"}, []), old)

    first = rendered(graph_user(1))
    assert first[2] is not None
    assert rendered(dict(reversed(list(graph_user(1).items()))), first[1]) == (*first[:2], None, *first[3:])
    for change in ({"displayName": "User 1 "}, {"accountEnabled": None}, {"jobTitle": "1"}, {"jobTitle": 1}):
        other = rendered({**graph_user(1), **change}, first[1])
        assert other[1] != first[1] and other[2] is not None, change


def test_without_workers_the_pool_is_unavailable_and_the_caller_renders() -> None:
    pool = render.RenderPool(workers=0)
    assert not pool.available()
    pool.close()


def test_display_name_falls_back_to_the_file_id() -> None:
    users = catalog.by_name("users")
    assert render.display_name(users, {"userPrincipalName": "a@b.c"}, "users/ab/abc.yaml") == "a@b.c"
    assert render.display_name(users, {"displayName": ""}, "users/ab/abc.yaml") == "abc"


APPS = 600  # more than two render chunks (backup.LISTED_CHUNK), so a listing of them goes to the workers


def _apps_seed() -> dict[str, Any]:
    seed = base_seed()
    seed["applications"] += [
        {
            "id": guid("c", n),
            "appId": guid("d", n),
            "displayName": f"App {n:03d}",
            "owners": [uid(n % 12 + 1)],
        }
        for n in range(2, APPS + 2)
    ]
    return seed


def repo_for(box: Sandbox, path: Path) -> Path:
    store = Store.init(path)
    config.save(store.root, Config(tenant_id=box.tenant_id, client_id=box.client_id))
    store.commit_paths(["entragit.yaml"], "entragit init")
    return store.root


def tracked(root: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(root), "ls-files"], check=True, capture_output=True, text=True)
    return out.stdout.split()


def _backup(box: Sandbox, root: Path) -> BackupResult:
    client = live_helpers.client_for(box)
    try:
        return run_backup(root, client=client, types=["applications"])
    finally:
        client.close()


def test_a_big_listing_renders_in_the_workers_to_the_same_files(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Applications are listed on every run; hundreds of them are rendered by the workers, in chunks that
    carry the last run's digests. The files are those the backup process renders itself, an unchanged
    object costs no write, and a changed one is the only change."""
    box = sandbox_factory(seed=_apps_seed())
    chunks: list[int] = []
    submit = render.RenderPool.submit

    def counting(pool: render.RenderPool, fn: Callable[..., Any], *args: Any) -> Any:
        if fn is live.render_listed:
            chunks.append(len(args[2]))
        return submit(pool, fn, *args)

    monkeypatch.setattr(render.RenderPool, "submit", counting)
    pooled = tmp_path / "pooled"
    first = _backup(box, repo_for(box, pooled))
    assert first.ok, first.errors
    assert len(chunks) > 2

    monkeypatch.setattr(render.RenderPool, "available", lambda _pool: False)
    local = tmp_path / "local"
    assert _backup(box, repo_for(box, local)).ok
    files = {p: (pooled / p).read_bytes() for p in tracked(pooled) if p.startswith("applications/")}
    assert len(files) == sum(chunks) > APPS  # every application went through a worker
    assert files == {p: (local / p).read_bytes() for p in tracked(local) if p.startswith("applications/")}

    monkeypatch.undo()
    assert _backup(box, pooled).commit is None  # nothing changed: no commit
    client = live_helpers.client_for(box)
    try:
        client.request("PATCH", f"applications/{guid('c', 300)}", json={"displayName": "Renamed"})
    finally:
        client.close()
    again = _backup(box, pooled)
    assert again.commit is not None
    changed = subprocess.run(
        ["git", "-C", str(pooled), "diff", "--name-only", "HEAD~1", "HEAD", "--", "applications"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert changed == [catalog.object_path(catalog.by_name("applications"), guid("c", 300))]


def test_an_input_digest_does_not_depend_on_where_the_links_came_from() -> None:
    """An application's extension definitions are read from Graph on its turn and taken from its file on the
    others (`live.in_sweep`): the same links in another key order, at either level, are the same input, so
    the application is not rendered again every run its source changes; a different value is not."""
    apps = catalog.by_name("applications")
    seed = render.input_seed(apps, [])
    raw = {"id": "a1", "displayName": "Payroll"}
    definition = {"name": "extension_1_costCenter", "dataType": "String", "targetObjects": ["User"]}
    from_graph = {"owners": ["u1"], "federatedIdentityCredentials": [], "extensionProperties": [definition]}
    from_file = {"extensionProperties": [dict(reversed(definition.items()))], "owners": ["u1"]}
    from_file["federatedIdentityCredentials"] = []
    assert render.input_digest(seed, raw, from_graph) == render.input_digest(seed, raw, from_file)
    assert render.input_digest(seed, raw, {**from_graph, "owners": ["u2"]}) != render.input_digest(
        seed, raw, from_graph
    )
    assert render.input_digest(render.input_seed(apps, ["notes"]), raw, from_graph) != render.input_digest(
        seed, raw, from_graph
    )
