"""Relationships read inside the listing with `$expand` (docs/graph.md, $expand) against the per-object reads.

Graph returns at most 20 related objects per expanded relationship (query-parameters.md;
known-issues/query-parameters.md), so a list that came back with 20 is read again per object: a group with
exactly 20 owners and one with 21 both end up complete, and so does a group of 5,000 members. Whichever way a
relationship was read, the files are the same bytes, and a listing that did not complete changes no file.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import live_helpers
import pytest
import requests
from sandbox.api_helpers import base_seed, gid, guid, security_group, uid

from entragit import canonical, catalog, config, live
from entragit.backup import BackupResult, run_backup
from entragit.config import Config
from entragit.repo.writer import Store
from entragit.sandbox.server import Sandbox

PEOPLE = 5000
GROUPS = catalog.by_name("groups")


def _seed() -> dict[str, Any]:
    """Every relationship kind on both sides of the 20 limit: 20 and 21 group owners, 5,000 members, an app
    with 22 owners, a service principal with 250 app role assignments, an administrative unit of 25."""
    seed = base_seed(users=PEOPLE)
    seed["groups"] += [
        security_group(10, [uid(1)], owners=[uid(n) for n in range(1, 21)]),
        security_group(11, [uid(2)], owners=[uid(n) for n in range(1, 22)]),
        security_group(12, [uid(n) for n in range(1, PEOPLE + 1)], owners=[uid(3)]),
        security_group(13, [uid(n) for n in range(1, 20)], owners=[uid(4)]),
    ]
    seed["applications"][0]["owners"] = [uid(n) for n in range(1, 23)]
    seed["servicePrincipals"][0]["appRoleAssignedTo"] = [
        {"principalId": uid(n), "appRoleId": guid("e", 1)} for n in range(1, 251)
    ]
    seed["directory/administrativeUnits"] = [
        {"id": guid("9", 1), "displayName": "Europe", "members": [uid(n) for n in range(1, 26)]}
    ]
    return seed


@pytest.fixture
def box(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(seed=_seed())


def _repo(path: Path, box: Sandbox) -> Path:
    st = Store.init(path)
    config.save(st.root, Config(tenant_id=box.tenant_id, client_id=box.client_id))
    st.commit_paths(["entragit.yaml"], "entragit init")
    return st.root


def _backup(box: Sandbox, root: Path, **options: Any) -> tuple[BackupResult, dict[str, Any]]:
    """A backup of the sandbox, and the sandbox's request counters for it."""
    http = requests.Session()
    http.trust_env, http.verify = False, box.ca_bundle
    http.post(f"{box.graph_url}/_sandbox/stats/reset")
    client = live_helpers.client_for(box, max_retries=2, backoff_base=0.01)
    try:
        result = run_backup(root, client=client, **options)
    finally:
        client.close()
    return result, http.get(f"{box.graph_url}/_sandbox/stats").json()


def _objects(root: Path) -> dict[str, bytes]:
    """The object files of a repository (reports carry the run's date; they are not read from links)."""
    out = subprocess.run(["git", "-C", str(root), "ls-files"], check=True, capture_output=True, text=True)
    paths = [p for p in out.stdout.splitlines() if catalog.type_for_path(p) is not None]
    return {p: (root / p).read_bytes() for p in paths}


def _per_object(stats: dict[str, Any], suffix: str) -> int:
    """Requests to one relationship endpoint, alone or inside $batch (stats group paths by template)."""
    return sum(n for key, n in stats["by_path"].items() if key.startswith("GET") and key.endswith(suffix))


def test_both_ways_of_reading_relationships_write_the_same_files(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expanded, stats = _backup(box, _repo(tmp_path / "expanded", box))
    assert expanded.ok, expanded.errors
    monkeypatch.setattr(live.Reader, "expand_in_listing", False)
    per_object, old_stats = _backup(box, _repo(tmp_path / "per-object", box))
    assert per_object.ok, per_object.errors

    files = _objects(tmp_path / "expanded")
    assert files == _objects(tmp_path / "per-object")
    group = {n: canonical.load(files[catalog.object_path(GROUPS, gid(n))].decode()) for n in (10, 11, 12, 13)}
    assert (len(group[10]["owners"]), len(group[11]["owners"])) == (20, 21)
    assert len(group[12]["members"]) == PEOPLE and len(group[13]["members"]) == 19
    app = canonical.load(files[catalog.object_path(catalog.by_name("applications"), guid("c", 1))].decode())
    sp = canonical.load(
        files[catalog.object_path(catalog.by_name("servicePrincipals"), guid("f", 1))].decode()
    )
    assert len(app["owners"]) == 22 and len(sp["appRoleAssignedTo"]) == 250
    unit = catalog.object_path(catalog.by_name("administrativeUnits"), guid("9", 1))
    assert len(canonical.load(files[unit].decode())["members"]) == 25

    # Only the lists that came back full (20 or more) were read again per object; before, every group's.
    full_owners = sum(1 for g in group.values() if len(g["owners"]) >= 20)
    assert _per_object(stats, "/groups/{id}/owners") == full_owners == 2
    sizes = [len(box.tenant.members("groups#members", oid)) for oid in box.tenant.coll("groups").objs]
    pages = sum(-(-n // 999) for n in sizes if n >= 20)  # pages of 999 ids of each full list: 6 for 5,000
    assert 0 < pages < len(sizes)
    assert _per_object(stats, "/groups/{id}/members") == pages
    # 250 assignments in one page of 999, not three of Graph's default 100
    assert _per_object(stats, "/servicePrincipals/{id}/appRoleAssignedTo") == 1
    assert _per_object(old_stats, "/groups/{id}/owners") == len(box.tenant.coll("groups").objs)
    assert stats["resource_units"] < old_stats["resource_units"]


def _groups_failing(box: Sandbox, root: Path, change: tuple[str, str, Any], fault: str) -> BackupResult:
    """After a first backup, one change through Graph (method, path, body), then a full backup (groups are
    listed only in a full run) while the group requests matching `fault` are refused with 403; the groups'
    files must then be exactly the first backup's, in the work tree as in git."""
    first, _ = _backup(box, root)
    assert first.ok, first.errors
    before = _objects(root)
    http = requests.Session()
    http.trust_env, http.verify = False, box.ca_bundle
    client = live_helpers.client_for(box)
    try:
        method, path, body = change
        client.request(method, path, json=body)
        r = http.post(f"{box.graph_url}/_sandbox/faults", json={"match": fault, "status": 403, "times": 100})
        assert r.status_code < 300, r.text
        failed, _ = _backup(box, root, full=True)
    finally:
        http.delete(f"{box.graph_url}/_sandbox/faults")
        client.close()
    assert [e.split(":")[0] for e in failed.errors] == ["groups"]
    after = _objects(root)
    assert {p: b for p, b in after.items() if p.startswith("groups/")} == {
        p: b for p, b in before.items() if p.startswith("groups/")
    }
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    return failed


def test_a_failed_expanded_listing_changes_no_file_of_its_type(box: Sandbox, tmp_path: Path) -> None:
    """The second listing of groups (their owners, expanded) fails: groups keep their files, other types
    commit as usual (docs/architecture.md, a failed type contributes nothing)."""
    member = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{uid(4999)}"}
    fault = r"/groups\?.*\$expand=owners"
    _groups_failing(
        box, _repo(tmp_path / "repo", box), ("POST", f"groups/{gid(13)}/members/$ref", member), fault
    )


def test_an_object_missing_from_the_second_listing_is_marked_gone() -> None:
    """Groups are listed twice (Graph expands one relationship per request): a group deleted between the two
    listings has no owners to show, so it carries GONE (its file is neither written nor deleted), while a
    full list (20) is read again and a shorter one is taken as it came."""
    owners = next(r for r in GROUPS.relationships if r.name == "owners")
    values: dict[str, dict[str, Any]] = {"a": {}, "b": {}, "c": {}}
    inline = {"a": [{"id": uid(1)}], "c": [{"id": uid(n)} for n in range(1, 21)]}
    again = live.Reader._take_inline(owners, ["a", "b", "c"], inline, values)
    assert again == ["c"]
    assert values == {"a": {"owners": [uid(1)]}, "b": {live.GONE: True}, "c": {}}


def test_objects_are_handed_on_as_their_reads_complete(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 1M users a type's relationships are tens of millions of ids: the listing yields the objects its
    pages completed at once (while the first chunk of per-object reads is already on its way), then one
    chunk of per-object reads at a time, never the whole type together."""
    monkeypatch.setattr(live, "READ_CHUNK", 1)
    monkeypatch.setattr(live, "CHUNKS_IN_FLIGHT", 1)
    started: list[str] = []
    relationships = live.Reader.relationships

    def counted(self: live.Reader, t: Any, ids: Any, rels: Any) -> Any:
        started.extend(ids)
        return relationships(self, t, ids, rels)

    monkeypatch.setattr(live.Reader, "relationships", counted)
    client = live_helpers.client_for(box)
    try:
        seen: list[tuple[str, int]] = []
        for item, values in live.Reader(client).listing(GROUPS):
            seen.append((str(item["id"]), len(started)))
            assert live.GONE not in values
    finally:
        client.close()
    read_again = [gid(12), gid(10), gid(11)]  # 5,000 members; 20 and 21 owners
    assert [oid for oid, _ in seen[-3:]] == read_again
    assert all(n <= 1 for _, n in seen[:-3])  # complete from the listings: one chunk in flight at most
    # The first chunk handed on before the last one was even started (the next starts as one is handed on).
    assert seen[-3][1] < len(read_again) == seen[-1][1]
    assert sorted(oid for oid, _ in seen) == sorted(box.tenant.coll("groups").objs)


def test_a_read_failing_after_objects_were_handed_on_changes_no_file_of_the_type(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last chunk's read fails after other groups were already rendered into the run: none of their
    files change, other types commit, and the next run takes the change."""
    monkeypatch.setattr(live, "READ_CHUNK", 1)
    root = _repo(tmp_path / "repo", box)
    change = ("PATCH", f"groups/{gid(1)}", {"description": "renamed during the outage"})
    _groups_failing(box, root, change, rf"/groups/{gid(11)}/owners")
    again, _ = _backup(box, root, full=True)
    assert again.ok, again.errors
    assert b"renamed during the outage" in (root / catalog.object_path(GROUPS, gid(1))).read_bytes()


class _Listings:
    """Graph's three listings of groups as `Reader.listing` asks for them (the groups themselves, then members
    and owners each expanded in a listing of ids), each returning one group twice, as a page boundary moving
    under a listing can."""

    max_workers = 1

    def map_concurrent(self, fn: Callable[[Any], Any], items: Any) -> list[Any]:
        return [fn(x) for x in items]

    def send(self, method: str, path: str, **_: Any) -> Any:
        """getAvailableExtensionProperties: a tenant without directory extensions."""
        assert (method, path) == ("POST", "directoryObjects/getAvailableExtensionProperties")
        return SimpleNamespace(json=lambda: {"value": []})

    def list(self, path: str, params: dict[str, str], **_: Any) -> list[dict[str, Any]]:
        if path == "servicePrincipals":  # (an empty discovery answer is checked against their count)
            return []
        groups = [{"id": gid(1), "displayName": "a"}, {"id": gid(2), "displayName": "b"}]
        groups.append({**groups[0], "displayName": "a, later"})
        if "$expand" not in params:
            return groups
        rel = "members" if params["$expand"].startswith("members") else "owners"
        return [{"id": g["id"], rel: [{"id": uid(7)}]} for g in groups]


def test_an_object_listed_twice_comes_twice_with_its_links() -> None:
    reader = live.Reader(_Listings())  # type: ignore[arg-type]
    got = [(item["displayName"], values) for item, values in reader.listing(GROUPS)]
    links = {"members": [uid(7)], "owners": [uid(7)]}
    assert got == [("a", links), ("b", links), ("a, later", links)]  # the caller keeps the later copy
