"""History queries over hand-built repositories: index, last change, versions, compare, restore points.

Real-backup coverage of every command is in tests/cli/test_history_cli.py; these pin the edge cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_repo import RepoBuilder, guid

from entragit import canonical, catalog, history, render
from entragit.history.diff import Difference, diff, summarize_change
from entragit.history.resolve import AmbiguousObject, ObjectNotFound, resolve
from entragit.repo import reader as repo_module
from entragit.repo.entries import summarize
from entragit.repo.git import RepoError, UnknownRevision
from entragit.repo.reader import BackupRepo

ALICE = guid(1, "a1")
BOB = guid(2, "b0")
SALES = guid(3, "c3")
APP = guid(4, "d4")
APP_ID = guid(5, "e5")
SP = guid(6, "f6")
CA = guid(7, "07")


def user(uid: str, name: str, upn: str, **extra: object) -> dict[str, object]:
    return {"id": uid, "displayName": name, "userPrincipalName": upn, "accountEnabled": True, **extra}


@pytest.fixture
def built(tmp_path: Path) -> RepoBuilder:
    """Four commits: create; rename + member added; soft-delete Bob + CA policy removed; restore Bob."""
    b = RepoBuilder(tmp_path / "repo")
    b.write("entragit.yaml", "tenant_id: t\n")
    b.put("users", user(ALICE, "Alice Smith", "alice@contoso.com"))
    b.put("users", user(BOB, "Bob Jones", "bob@contoso.com"))
    b.put("groups", {"id": SALES, "displayName": "Sales", "mailNickname": "salesteam", "members": [ALICE]})
    b.put("applications", {"id": APP, "appId": APP_ID, "displayName": "Payroll"})
    b.put("servicePrincipals", {"id": SP, "appId": APP_ID, "displayName": "Payroll"})
    b.put("conditionalAccessPolicies", {"id": CA, "displayName": "Require MFA", "state": "enabled"})
    b.commit("backup 1")
    b.put(
        "groups",
        {"id": SALES, "displayName": "Sales EMEA", "mailNickname": "salesteam", "members": [ALICE, BOB]},
    )
    b.commit("backup 2")
    b.put("users", user(BOB, "Bob Jones", "bob@contoso.com", deletedDateTime="2026-01-02T03:04:05Z"))
    b.remove("conditionalAccessPolicies", CA)
    b.commit("backup 3")
    b.put("users", user(BOB, "Bob Jones", "bob@contoso.com"))
    b.commit("backup 4")
    return b


# -- quick field reading ---------------------------------------------------------------------------

TRICKY = [
    "yes", "on", "No", "0123", "1e3", "null", "~", "2024-01-01", " lead", "trail ", "a: b", "x #y", "#hash",
    "'quoted'", '"dq"', "it's", "multi\nline", "tab\there", "emoji 🎉", "Ünïcode", "- dash", "[br]", "{x}",
    "*star", "&amp", "!bang", "%pct", "@at", "`tick", "true", "False", "12345678-1234-1234-1234-1234567890ab",
    "-1", ".5",
    "back\\slash", "",
]  # fmt: skip


@pytest.mark.parametrize("name", TRICKY)
def test_index_fields_read_from_lines_equal_a_full_yaml_load(name: str) -> None:
    t = catalog.by_name("users")
    obj = canonical.canonicalize(t, user(ALICE, name, f"{name}@x.com" if name else "", assignedLicenses=[]))
    text = canonical.dump(obj)
    entry = summarize(catalog.object_path(t, ALICE), t, text)
    loaded = canonical.load(text)
    assert entry.display_name == loaded["displayName"]
    assert entry.identities == (
        [loaded["userPrincipalName"]] if loaded["userPrincipalName"] is not None else []
    )
    assert entry.id == ALICE and entry.deleted is False and entry.licensed is False


def test_index_reads_deleted_enabled_guest_and_licenses() -> None:
    t = catalog.by_name("users")
    obj = user(
        ALICE,
        "A",
        "a@x.com",
        accountEnabled=False,
        userType="Guest",
        assignedLicenses=[{"skuId": guid(9), "disabledPlans": []}],
        deletedDateTime="2026-01-01T00:00:00Z",
    )
    e = summarize("users/a1/x.yaml", t, canonical.dump(canonical.canonicalize(t, obj)))
    assert (e.deleted, e.account_enabled, e.user_type, e.licensed) == (True, False, "Guest", True)


# -- index and last change -------------------------------------------------------------------------


def test_index_lists_object_files_only_with_types_and_names(built: RepoBuilder) -> None:
    index = BackupRepo(built.root).index()
    assert "entragit.yaml" not in index
    by_id = {e.id: e for e in index.values()}
    assert set(by_id) == {ALICE, BOB, SALES, APP, SP}
    assert by_id[SALES].path == f"groups/c3/{SALES}.yaml" and by_id[SALES].display_name == "Sales EMEA"
    assert by_id[APP].identity == APP_ID and by_id[ALICE].identity == "alice@contoso.com"


def test_index_cache_is_updated_from_the_diff_and_matches_a_cold_build(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    repo.index()
    cache = built.root / ".git" / "entragit" / "history" / "index.json"
    assert json.loads(cache.read_text())["commit"] == repo.head().sha
    built.put("users", user(ALICE, "Alice Cooper", "alice@contoso.com"))
    built.remove("users", BOB)
    built.put("users", user(guid(8, "99"), "Carol", "carol@contoso.com"))
    built.commit()
    warm = BackupRepo(built.root).index()
    cache.unlink()
    cold = BackupRepo(built.root).index()
    assert warm == cold
    assert {e.display_name for e in warm.values() if e.type == "users"} == {"Alice Cooper", "Carol"}


def test_index_and_digests_read_in_chunks_equal_one_read(
    built: RepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 100k-file revision is read DIGEST_CHUNK blobs at a time (so its texts are never all held): chunks of
    one file must give the same index, from the checkout and from git alike, and the same digests."""
    paths = sorted(BackupRepo(built.root).index())
    whole = BackupRepo(built.root)._summarize_blobs(BackupRepo(built.root)._tree("HEAD"))
    digests = BackupRepo(built.root).digests_of("HEAD", paths, render.text_digest)
    monkeypatch.setattr(repo_module, "DIGEST_CHUNK", 1)
    monkeypatch.setattr(repo_module, "WORKTREE_READ_MIN", 0)
    built.put("users", user(ALICE, "Edited Not Committed", "alice@contoso.com"))  # this one from git
    repo = BackupRepo(built.root)
    assert repo._summarize_blobs(repo._tree("HEAD")) == whole
    assert repo.digests_of("HEAD", [*paths, "users/zz/missing.yaml"], render.text_digest) == digests
    assert len(digests) == len(paths) > 1
    bob = f"users/b0/{BOB}.yaml"
    assert digests[bob] == render.text_digest((built.root / bob).read_bytes())  # the committed text's digest


def test_index_reads_committed_content_even_when_the_checkout_was_edited(
    built: RepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo_module, "WORKTREE_READ_MIN", 0)  # take the working-tree fast path for any size
    built.put("users", user(ALICE, "Edited Not Committed", "alice@contoso.com"))
    (built.root / f"users/b0/{BOB}.yaml").unlink()
    index = BackupRepo(built.root).index()
    assert {e.display_name for e in index.values() if e.type == "users"} == {"Alice Smith", "Bob Jones"}


def test_a_broken_file_is_listed_by_its_id_and_show_names_the_problem(built: RepoBuilder) -> None:
    built.write(f"users/a1/{ALICE}.yaml", "id: [unclosed\ndisplayName: x\n")
    built.commit()
    index = BackupRepo(built.root).index()
    assert index[f"users/a1/{ALICE}.yaml"].id == ALICE and len(index) == 5
    with pytest.raises(RepoError, match=f"users/a1/{ALICE}.yaml at .*: not a valid object file"):
        history.show(str(built.root), f"users/a1/{ALICE}.yaml")


def test_index_at_an_old_revision_does_not_replace_the_head_cache(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    first = repo.commits()[-1]
    old = repo.index(first.sha)
    assert any(e.type == "conditionalAccessPolicies" for e in old.values())
    assert next(e for e in old.values() if e.id == SALES).display_name == "Sales"
    again = BackupRepo(built.root)
    assert not any(e.type == "conditionalAccessPolicies" for e in again.index().values())


def test_last_change_is_the_last_commit_that_touched_each_file_incrementally(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    commits = repo.commits()  # newest first
    last = repo.last_changes()
    assert last[f"users/a1/{ALICE}.yaml"] == commits[3]
    assert last[f"groups/c3/{SALES}.yaml"] == commits[2]
    assert last[f"users/b0/{BOB}.yaml"] == commits[0]
    built.put("users", user(ALICE, "Alice Smith", "alice2@contoso.com"))
    newest = built.commit()
    incremental = BackupRepo(built.root).last_changes()
    assert incremental[f"users/a1/{ALICE}.yaml"].sha == newest
    (built.root / ".git" / "entragit" / "history" / "last.json").unlink()
    assert BackupRepo(built.root).last_changes() == incremental


def test_list_objects_filters_by_type_and_deleted_state(built: RepoBuilder) -> None:
    built.put("users", user(BOB, "Bob Jones", "bob@contoso.com", deletedDateTime="2026-02-01T00:00:00Z"))
    built.commit()
    everything = history.list_objects(str(built.root))
    assert [r.entry.type for r in everything][:2] == ["users", "users"]
    assert [r.entry.display_name for r in history.list_objects(str(built.root), "users", True)] == [
        "Bob Jones"
    ]
    assert [r.entry.display_name for r in history.list_objects(str(built.root), "USERS", False)] == [
        "Alice Smith"
    ]
    row = everything[0].to_json()
    assert set(row) == {"path", "type", "id", "displayName", "lastBackup", "deleted"}
    assert row["lastBackup"].endswith("Z")


# -- revisions and resolution ----------------------------------------------------------------------


def test_unknown_revision_is_a_one_line_error_naming_it(built: RepoBuilder) -> None:
    with pytest.raises(UnknownRevision, match="unknown revision 'nope'"):
        history.show(str(built.root), ALICE, "nope")
    with pytest.raises(UnknownRevision, match="--oops"):
        BackupRepo(built.root).commit("--oops")


def test_a_date_names_the_last_commit_before_it(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    second = repo.commits()[2]
    assert repo.commit(second.iso).sha == second.sha
    day = second.iso[:10]
    on_that_day = [c for c in repo.commits() if c.iso[:10] == day]
    assert repo.commit(day).sha == on_that_day[0].sha  # a day means its end (UTC)
    with pytest.raises(UnknownRevision, match="no backup at or before 2000-01-01"):
        repo.commit("2000-01-01")


def test_not_a_repository_and_empty_repository_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="not a backup repository"):
        BackupRepo(tmp_path)
    RepoBuilder(tmp_path / "empty")
    with pytest.raises(RepoError, match="no backup yet"):
        history.list_objects(str(tmp_path / "empty"))


@pytest.mark.parametrize(
    "spec",
    [f"users/a1/{ALICE}.yaml", f"./users/a1/{ALICE}.yaml", ALICE, ALICE.upper(), "alice@contoso.com",
     "ALICE@contoso.com", "Alice Smith", "alice smith"],
)  # fmt: skip
def test_resolve_accepts_path_id_upn_and_display_name(built: RepoBuilder, spec: str) -> None:
    assert resolve(BackupRepo(built.root), spec) == f"users/a1/{ALICE}.yaml"


def test_resolve_absolute_path_inside_the_repository(built: RepoBuilder) -> None:
    assert resolve(BackupRepo(built.root), str(built.root / "users" / "a1" / f"{ALICE}.yaml")).endswith(
        ALICE + ".yaml"
    )


def test_app_and_its_service_principal_share_name_and_appid_so_both_are_listed(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    for spec in ("Payroll", APP_ID):
        with pytest.raises(AmbiguousObject) as err:
            resolve(repo, spec)
        assert f"applications/d4/{APP}.yaml (applications, Payroll)" in str(err.value)
        assert f"servicePrincipals/f6/{SP}.yaml (servicePrincipals, Payroll)" in str(err.value)
    assert resolve(repo, SP) == f"servicePrincipals/f6/{SP}.yaml"


def test_exact_display_name_beats_case_insensitive(built: RepoBuilder) -> None:
    built.put("groups", {"id": guid(10, "aa"), "displayName": "sales emea"})
    built.commit()
    repo = BackupRepo(built.root)
    assert resolve(repo, "Sales EMEA") == f"groups/c3/{SALES}.yaml"
    with pytest.raises(AmbiguousObject, match="matches 2 objects"):
        resolve(repo, "SALES emea")


def test_renamed_object_is_found_by_new_name_and_old_name_at_old_revision(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    assert resolve(repo, "Sales EMEA") == f"groups/c3/{SALES}.yaml"
    first = repo.commits()[-1].sha
    assert resolve(repo, "Sales", first) == f"groups/c3/{SALES}.yaml"
    with pytest.raises(ObjectNotFound, match="no object matches 'Sales'"):
        resolve(repo, "Sales")


def test_removed_object_is_found_by_its_last_name_and_its_path(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    path = f"identity/conditionalAccess/policies/{CA}.yaml"
    assert resolve(repo, "Require MFA") == path
    assert resolve(repo, path) == path
    assert resolve(repo, CA) == path
    with pytest.raises(ObjectNotFound, match=r"users/zz/nothing\.yaml"):
        resolve(repo, "users/zz/nothing.yaml")


def test_show_of_a_removed_object_at_head_points_to_versions(built: RepoBuilder) -> None:
    with pytest.raises(ObjectNotFound, match=r"does not exist at HEAD \(removed in"):
        history.show(str(built.root), "Require MFA")
    first = BackupRepo(built.root).commits()[-1].sha
    assert history.show(str(built.root), "Require MFA", first).object["state"] == "enabled"


# -- versions --------------------------------------------------------------------------------------


def test_versions_summaries_cover_create_rename_members_soft_delete_restore_and_delete(
    built: RepoBuilder,
) -> None:
    root = str(built.root)
    _, group = history.versions(root, "Sales EMEA")
    assert [v.summary for v in group] == ['renamed "Sales" → "Sales EMEA", members (+1 −0)', "created"]
    _, bob = history.versions(root, "bob@contoso.com")
    assert [v.summary for v in bob] == ["restored", "soft-deleted", "created"]
    _, ca = history.versions(root, "Require MFA")
    assert [v.summary for v in ca] == ["deleted", "created"]
    assert ca[0].state is None
    assert set(ca[0].to_json()) == {"commit", "date", "summary", "by"}


def test_versions_follow_an_object_across_a_change_of_folder_layout(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    flat = f"users/{ALICE}.yaml"
    b.put("users", user(ALICE, "Alice", "a@x.com"), path=flat)
    b.commit()
    (b.root / flat).unlink()
    b.put("users", user(ALICE, "Alice B", "a@x.com"))
    b.commit()
    _, found = history.versions(str(b.root), "Alice B")
    assert [v.summary for v in found] == ['renamed "Alice" → "Alice B"', "created"]


def test_summarize_change_lists_few_attributes_and_counts_list_elements() -> None:
    old = {"id": "1", "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "owners": ["x", "y"]}
    new = {"id": "1", "a": 2, "b": 3, "c": 4, "d": 5, "e": 6, "f": 7, "g": 8, "owners": ["y", "x"]}
    assert summarize_change(old, new) == "a, b, c, d, e, … 3 more"
    assert summarize_change({"owners": ["x", "y"]}, {"owners": ["y", "x"]}) == "owners (reordered)"
    assert summarize_change({"owners": None}, {"owners": ["x"]}) == "owners (+1 −0)"
    assert summarize_change({"imAddresses": []}, {"imAddresses": None}) == "imAddresses"  # not "reordered"
    assert summarize_change({"x": 1}, {"x": 1}) == "no attribute change"
    assert summarize_change({"deletedDateTime": "a"}, {"deletedDateTime": "b"}) == "deletedDateTime"
    assert (
        summarize_change({"deletedDateTime": None, "x": 1}, {"deletedDateTime": "b", "x": 2})
        == "soft-deleted, x"
    )
    assert summarize_change({"x": 1}, None) == "deleted"
    assert summarize_change(None, {"x": 1}, existed=True) == "restored (file re-added)"


# -- compare ---------------------------------------------------------------------------------------


def test_diff_compares_id_lists_by_element_not_by_index() -> None:
    a = {"members": ["a", "b", "c"]}
    b = {"members": ["a", "c", "d", "e"]}
    assert diff(a, b) == [
        Difference("/members/1", "remove", "b", None),
        Difference("/members/-", "add", None, "d"),
        Difference("/members/-", "add", None, "e"),
    ]


def test_diff_matches_objects_in_lists_by_their_key_and_escapes_pointers() -> None:
    a = {"creds": [{"keyId": "k1", "name": "old"}, {"keyId": "k2", "name": "x"}], "a/b": {"c~d": 1}}
    b = {"creds": [{"keyId": "k2", "name": "x"}, {"keyId": "k1", "name": "new"}], "a/b": {"c~d": 2}}
    assert diff(a, b) == [
        Difference("/creds/1/name", "replace", "old", "new"),
        Difference("/a~1b/c~0d", "replace", 1, 2),
    ]


def test_diff_of_lists_without_a_key_is_element_wise_and_reorder_is_one_replace() -> None:
    one = {"signInType": "emailAddress", "issuer": "contoso.com"}
    two = {"signInType": "userName", "issuer": "contoso.com"}
    assert diff({"identities": [one]}, {"identities": [two, one]}) == [
        Difference("/identities/-", "add", None, two)
    ]
    assert diff({"x": [one, two]}, {"x": [two, one]}) == [Difference("/x", "replace", [one, two], [two, one])]


def test_diff_reports_added_removed_and_replaced_attributes_and_unchanged_with_all() -> None:
    a = {"id": "1", "gone": True, "same": "s", "t": 1}
    b = {"id": "1", "new": None, "same": "s", "t": "1"}
    ops = {(d.path, d.op) for d in diff(a, b)}
    assert ops == {("/gone", "remove"), ("/new", "add"), ("/t", "replace")}
    every = diff(a, b, include_unchanged=True)
    assert (
        Difference("/same", "unchanged", "s", "s") in every
        and Difference("/id", "unchanged", "1", "1") in every
    )


def test_compare_defaults_to_previous_against_latest_with_member_names(built: RepoBuilder) -> None:
    result = history.compare(str(built.root), "Sales EMEA")
    assert {(d.path, d.op, d.old, d.new) for d in result.differences} == {
        ("/displayName", "replace", "Sales", "Sales EMEA"),
        ("/members/-", "add", None, BOB),
    }
    assert result.names[BOB] == "Bob Jones"


def test_compare_rev_a_against_latest_and_two_revisions(built: RepoBuilder) -> None:
    root = str(built.root)
    commits = BackupRepo(built.root).commits()
    only_a = history.compare(root, BOB, commits[1].sha)  # soft-deleted → latest (restored)
    assert [(d.path, d.op) for d in only_a.differences] == [("/deletedDateTime", "replace")]
    both = history.compare(root, "Require MFA", commits[3].sha, commits[0].sha)
    assert not both.b_exists and {d.op for d in both.differences} == {"remove"}
    with pytest.raises(UnknownRevision, match="'deadbeef'"):
        history.compare(root, BOB, commits[1].sha, "deadbeef")


# -- restore points --------------------------------------------------------------------------------


def test_restore_points_are_commits_where_all_objects_exist_and_are_not_deleted(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    c = repo.commits()  # newest first: 4, 3, 2, 1
    found, points = history.restore_points(str(built.root), ["Bob Jones", "Require MFA"])
    assert [name for _, name in found] == ["Bob Jones", "Require MFA"]
    assert points == [c[2], c[3]]  # Bob soft-deleted in 3, CA removed in 3; restoring Bob in 4 is not enough
    _, bob_only = history.restore_points(str(built.root), ["Bob Jones"])
    assert bob_only == [c[0], c[2], c[3]]


def test_caches_survive_rewritten_history(built: RepoBuilder) -> None:
    """A cache for a commit that is no longer an ancestor (amend, reset) is rebuilt, never trusted."""
    BackupRepo(built.root).index()
    BackupRepo(built.root).last_changes()
    built.git("reset", "-q", "--hard", "HEAD~2")
    built.put("users", user(guid(11, "cc"), "Dora", "dora@contoso.com"))
    new = built.commit()
    repo = BackupRepo(built.root)
    assert "Dora" in {e.display_name for e in repo.index().values()}
    assert repo.last_changes()[f"users/cc/{guid(11, 'cc')}.yaml"].sha == new
    assert all(c.sha != built.git("rev-parse", "ORIG_HEAD").strip() for c in repo.last_changes().values())
    (built.root / ".git" / "entragit" / "history" / "index.json").write_text("{not json")
    assert BackupRepo(built.root).index() == repo.index()  # a corrupt cache is ignored


# -- QA round: what admins type, and cold-start cost -----------------------------------------------------


def test_unsharded_path_finds_the_sharded_file_now_and_a_removed_file_in_history(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    assert resolve(repo, f"users/{ALICE}.yaml") == f"users/a1/{ALICE}.yaml"
    assert resolve(repo, f"Users/{ALICE.upper()}.yaml") == f"users/a1/{ALICE}.yaml"  # pasted in upper case
    assert resolve(repo, f"{SALES}.yaml") == f"groups/c3/{SALES}.yaml"
    assert resolve(repo, f"{CA}.yaml") == f"identity/conditionalAccess/policies/{CA}.yaml"  # removed in 3
    with pytest.raises(ObjectNotFound, match="no such object file"):
        resolve(repo, f"groups/{ALICE}.yaml")


def test_type_prefix_picks_the_app_or_its_service_principal(built: RepoBuilder) -> None:
    repo = BackupRepo(built.root)
    assert resolve(repo, "servicePrincipals/Payroll") == f"servicePrincipals/f6/{SP}.yaml"
    assert resolve(repo, f"APPLICATIONS/{APP_ID}") == f"applications/d4/{APP}.yaml"
    assert resolve(repo, "identity/conditionalAccess/policies/Require MFA").endswith(f"{CA}.yaml")
    with pytest.raises(ObjectNotFound, match="no object matches 'users/Payroll'"):
        resolve(repo, "users/Payroll")


def test_built_in_role_template_ids_are_named(built: RepoBuilder) -> None:
    names = BackupRepo(built.root).names()
    assert names["62e90394-69f5-4237-9190-012177145e10"] == "Global Administrator"
    assert names[ALICE] == "Alice Smith"


def test_big_object_files_are_read_whole(tmp_path: Path) -> None:
    """The index reads clean files in 64 KiB chunks; a group with thousands of members is bigger."""
    b = RepoBuilder(tmp_path / "big")
    members = [guid(i, "aa") for i in range(3000)]  # ~130 KB of YAML
    path = b.put("groups", {"id": SALES, "displayName": "Everyone", "members": members})
    for i in range(repo_module.WORKTREE_READ_MIN):  # enough files for the working-tree read path
        b.put("users", user(guid(i, "ab"), f"U{i}", f"u{i}@contoso.com"))
    b.commit()
    assert (b.root / path).stat().st_size > 1 << 16  # more than one read
    assert repo_module._read_file(str(b.root / path)) == (b.root / path).read_bytes()
    assert BackupRepo(b.root).index()[path].display_name == "Everyone"


def test_gc_is_paused_while_building_and_restored_after_even_on_error() -> None:
    import gc

    seen: list[bool] = []

    @repo_module.gc_paused
    def build(fail: bool) -> None:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("boom")

    build(False)
    with pytest.raises(ValueError):
        build(True)
    assert seen == [False, False] and gc.isenabled()


def test_mail_names_an_object_and_a_cache_of_the_previous_format_is_rebuilt(built: RepoBuilder) -> None:
    guest = guid(8, "08")
    built.put("users", user(guest, "Ann", "ann_fabrikam.com#EXT#@contoso.com", mail="ann@fabrikam.com"))
    built.commit()
    repo = BackupRepo(built.root)
    assert resolve(repo, "ANN@fabrikam.com") == f"users/08/{guest}.yaml"
    assert repo.index()[f"users/08/{guest}.yaml"].identity == "ann_fabrikam.com#EXT#@contoso.com"
    cache = repo.cache_dir / "index.json"
    stale = json.loads(cache.read_text())
    stale["format"] = repo_module.CACHE_FORMAT - 1
    stale["entries"] = [[*row[:4], row[4][:1], *row[5:]] for row in stale["entries"]]  # no mail
    cache.write_text(json.dumps(stale))
    assert resolve(BackupRepo(built.root), "ann@fabrikam.com") == f"users/08/{guest}.yaml"


def test_a_relative_path_is_read_in_the_given_repository_when_the_current_folder_is_another(
    built: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = RepoBuilder(tmp_path / "other-tenant")
    other.put("users", user(ALICE, "Someone Else", "else@fabrikam.com"))  # the same relative path
    other.commit()
    monkeypatch.chdir(other.root)
    repo = BackupRepo(built.root)
    assert resolve(repo, f"users/a1/{ALICE}.yaml") == f"users/a1/{ALICE}.yaml"
    assert history.show(str(built.root), f"users/a1/{ALICE}.yaml").object["displayName"] == "Alice Smith"


def test_ls_removed_lists_hard_deleted_objects_with_the_backup_that_removed_them(
    built: RepoBuilder, tmp_path: Path
) -> None:
    rows = history.list_objects(str(built.root), removed=True)
    assert [(r.entry.display_name, r.removed) for r in rows] == [("Require MFA", True)]
    log = built.git(
        "log", "--format=%H", "--diff-filter=D", "--", f"identity/conditionalAccess/policies/{CA}.yaml"
    )
    assert rows[0].last is not None and rows[0].last.sha == log.split()[0]
    assert rows[0].to_json()["deleted"] is True
    assert history.list_objects(str(built.root), "users", removed=True) == []
    b = RepoBuilder(tmp_path / "moved")  # a change of folder layout removes no object
    flat = f"users/{ALICE}.yaml"
    b.put("users", user(ALICE, "Alice", "a@x.com"), path=flat)
    b.commit()
    (b.root / flat).unlink()
    b.put("users", user(ALICE, "Alice", "a@x.com"))
    b.commit()
    assert history.list_objects(str(b.root), removed=True) == []


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("index", lambda d: {**d, "entries": [*d["entries"][:1], [1, 2]]}),  # a row of another shape
        ("index", lambda d: {k: v for k, v in d.items() if k != "commit"}),
        ("last", lambda d: {**d, "paths": dict.fromkeys(d["paths"], 10_000)}),  # indices past the list
        ("last", lambda d: {**d, "commits": "oops"}),
    ],
)
def test_a_damaged_cache_is_rebuilt_not_a_traceback(built: RepoBuilder, name: str, damage: object) -> None:
    expected = [r.to_json() for r in history.list_objects(str(built.root))]
    cache = BackupRepo(built.root).cache_dir / f"{name}.json"
    data = json.loads(cache.read_text())
    assert data["format"] == repo_module.CACHE_FORMAT
    cache.write_text(json.dumps(damage(data)))  # type: ignore[operator]
    assert [r.to_json() for r in history.list_objects(str(built.root))] == expected


def test_summaries_count_lists_of_objects_by_their_key() -> None:
    """A new client secret or IP range is one addition, not just the attribute's name."""
    old = {"passwordCredentials": [{"keyId": "k1", "displayName": "ci"}]}
    new = {"passwordCredentials": [{"keyId": "k1", "displayName": "ci (renamed)"}, {"keyId": "k2"}]}
    assert summarize_change(old, new) == "passwordCredentials (+1 −0 ~1)"
    ranges = [{"cidrAddress": "203.0.113.0/24"}, {"cidrAddress": "198.51.100.0/24"}]
    assert summarize_change({"ipRanges": ranges}, {"ipRanges": ranges[:1]}) == "ipRanges (+0 −1)"
    assert summarize_change({"ipRanges": ranges}, {"ipRanges": ranges[::-1]}) == "ipRanges (reordered)"
    assert summarize_change({"x": [{"v": 1}]}, {"x": [{"v": 1}, {"v": 2}]}) == "x (+1 −0)"  # no key


def test_a_hand_edited_id_map_with_a_cycle_still_gives_one_history(tmp_path: Path) -> None:
    """idmap.yaml is tracked and can be edited by hand: a cycle (a → b → a) must not hang `versions` or
    `compare`, and a member whose id differs only by the map is no difference of its group."""
    b = RepoBuilder(tmp_path / "repo")
    b.put("users", user(ALICE, "Alice", "alice@contoso.com"))
    b.put("groups", {"id": SALES, "displayName": "Sales", "mailNickname": "sales", "members": [ALICE]})
    first = b.commit()
    b.remove("users", ALICE)
    b.commit()
    b.put("users", user(BOB, "Alice", "alice@contoso.com"))
    b.put("groups", {"id": SALES, "displayName": "Sales", "mailNickname": "sales", "members": [BOB]})
    b.write("idmap.yaml", f"ids:\n  {ALICE}: {BOB}\n  {BOB}: {ALICE}\nappIds: {{}}\n")
    b.commit("restore: 1 object")

    path, found = history.versions(str(b.root), ALICE)
    assert [v.summary.split(",")[0] for v in found][1:] == ["deleted", "created"]
    assert {path, found[0].path} == {catalog.object_path(catalog.by_name("users"), BOB)}
    assert history.compare(str(b.root), "Sales", first, "HEAD").differences == []
