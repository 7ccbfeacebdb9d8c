"""Name resolution rules: the most precise tier wins, ambiguity is an error that lists candidates."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_repo import RepoBuilder, guid

from entragit.history.resolve import (
    AmbiguousObject,
    ObjectNotFound,
    describe,
    looks_like_path,
    match,
    pick,
    resolve_object,
)
from entragit.repo.entries import Entry


def entry(path: str, name: str | None, *idents: str, type_: str = "users", deleted: bool = False) -> Entry:
    oid = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    return Entry(path, type_, oid, name, list(idents), deleted)


ALICE = entry(f"users/a1/{guid(1, 'a1')}.yaml", "Alice", "alice@contoso.com")
ALICE2 = entry(f"users/b2/{guid(2, 'b2')}.yaml", "alice", "alice.b@contoso.com")
APP = entry(f"applications/c3/{guid(3, 'c3')}.yaml", "Payroll", guid(9, "99"), type_="applications")
SP = entry(f"servicePrincipals/d4/{guid(4, 'd4')}.yaml", "Payroll", guid(9, "99"), type_="servicePrincipals")
GONE = entry(f"users/e5/{guid(5, 'e5')}.yaml", "Old Timer", "old@contoso.com", deleted=True)
ALL = [ALICE, ALICE2, APP, SP, GONE]


def test_tiers_path_then_id_then_identity_then_exact_name_then_any_case() -> None:
    assert match(ALL, ALICE.path) == [ALICE]
    assert match(ALL, ALICE.id.upper()) == [ALICE]
    assert match(ALL, "ALICE@contoso.com") == [ALICE]
    assert match(ALL, "Alice") == [ALICE]  # exact display name beats the case-insensitive "alice"
    assert match(ALL, "ALICE") == [ALICE, ALICE2]
    assert match(ALL, "  Old Timer ") == [GONE]
    assert match(ALL, "nobody") == []


def test_pick_reports_every_candidate_with_path_type_and_name() -> None:
    with pytest.raises(AmbiguousObject) as err:
        pick(ALL, "Payroll", "repo")
    text = str(err.value)
    assert text.startswith("'Payroll' matches 2 objects in repo: ")
    assert f"{APP.path} (applications, Payroll)" in text and f"{SP.path} (servicePrincipals, Payroll)" in text
    assert "give a path or an id" in text
    assert pick(ALL, "nobody", "repo") is None
    assert describe([GONE]) == f"{GONE.path} (users, Old Timer, deleted)"


def test_long_candidate_lists_are_cut() -> None:
    many = [entry(f"groups/{i:02d}/{guid(i, f'{i:02d}')}.yaml", "Team", type_="groups") for i in range(14)]
    text = describe(many)
    assert text.count("(groups, Team)") == 10 and text.endswith("; and 4 more")


def test_looks_like_path() -> None:
    assert looks_like_path("users/ab/x.yaml") and looks_like_path("x.yaml") and looks_like_path("a\\b")
    assert not looks_like_path("alice@contoso.com") and not looks_like_path("Sales EMEA")


def test_resolve_object_on_a_directory(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    uid = guid(7, "77")
    b.put("users", {"id": uid, "displayName": "Zed", "userPrincipalName": "zed@contoso.com"})
    b.commit()
    assert resolve_object(str(b.root), "zed@contoso.com") == f"users/77/{uid}.yaml"
    with pytest.raises(ObjectNotFound, match="no object matches 'Ann'"):
        resolve_object(str(b.root), "Ann")
    with pytest.raises(ObjectNotFound, match="empty object name"):
        resolve_object(str(b.root), "  ")


def test_a_path_or_an_id_resolves_without_building_the_index(tmp_path: Path) -> None:
    """`restore OBJECT` in a CI job runs on a fresh clone: at 100k files, building the name index costs
    seconds. A path or id naming one file at the revision needs none; names and ambiguity still use it."""
    b = RepoBuilder(tmp_path / "r")
    uid, gid = guid(7, "77"), guid(8, "88")
    b.put("users", {"id": uid, "displayName": "Zed", "userPrincipalName": "zed@contoso.com"})
    b.put("groups", {"id": gid, "displayName": "Zed team"})
    b.commit()
    cache = b.root / ".git" / "entragit" / "history"
    path = f"users/77/{uid}.yaml"
    assert resolve_object(str(b.root), uid) == path
    assert resolve_object(str(b.root), uid.upper()) == path
    assert resolve_object(str(b.root), path) == path
    assert not any(cache.glob("index*")), list(cache.iterdir())
    assert resolve_object(str(b.root), "Zed team") == f"groups/88/{gid}.yaml"  # a name: the index
    assert any(cache.glob("index*"))


def test_candidates_show_the_identity_that_tells_them_apart() -> None:
    twin = entry(f"users/f6/{guid(6, 'f6')}.yaml", "Alice", "alice.twin@contoso.com")
    with pytest.raises(AmbiguousObject) as err:
        pick([ALICE, twin], "Alice", "repo")
    assert f"{ALICE.path} (users, Alice, alice@contoso.com)" in str(err.value)
    assert f"{twin.path} (users, Alice, alice.twin@contoso.com)" in str(err.value)
    assert "TYPE/NAME" not in str(err.value)  # same type: the prefix would not help
    with pytest.raises(AmbiguousObject, match="TYPE/NAME such as 'applications/Payroll'"):
        pick(ALL, "Payroll", "repo")  # the shared appId is left out: it tells nothing apart
