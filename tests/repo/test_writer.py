"""The backup repository: minimal writes, one commit per snapshot, interruption recovery."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from gitcmd import git

from entragit.repo.writer import Author, Part, RepoError, Snapshot, Store


@pytest.fixture
def st(tmp_path: Path) -> Store:
    s = Store.init(tmp_path / "repo")
    (s.root / "entragit.yaml").write_text("tenant_id: t\nclient_id: c\n")
    s.commit_paths(["entragit.yaml"], "entragit init")
    return s


def test_init_configures_git_for_many_files(tmp_path: Path) -> None:
    s = Store.init(tmp_path / "new")
    assert git(s.root, "config", "feature.manyFiles").strip() == "true"
    assert git(s.root, "config", "core.quotepath").strip() == "false"
    assert (s.root / ".git" / "entragit").is_dir()


def test_init_in_an_existing_repository_keeps_its_history(tmp_path: Path) -> None:
    root = tmp_path / "existing"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README").write_text("hi\n")
    git(root, "add", "README")
    git(root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "first")
    s = Store.init(root)
    assert s.head() == git(root, "rev-parse", "HEAD").strip()


def test_snapshot_writes_commits_and_skips_when_unchanged(st: Store) -> None:
    sha = st.write_snapshot({"users/a.yaml": "id: a\n", "groups/g.yaml": "id: g\n"}, "backup: 2 added")
    assert sha and sha == st.head()
    assert git(st.root, "log", "-1", "--format=%s").strip() == "backup: 2 added"
    assert sorted(git(st.root, "ls-files").split()) == ["entragit.yaml", "groups/g.yaml", "users/a.yaml"]
    assert st.write_snapshot({"users/a.yaml": "id: a\n"}, "nothing") is None
    assert st.head() == sha


def test_snapshot_touches_only_changed_files(st: Store) -> None:
    st.write_snapshot({"users/a.yaml": "id: a\n", "users/b.yaml": "id: b\n"}, "one")
    before = (st.root / "users/b.yaml").stat().st_mtime_ns
    sha = st.write_snapshot(
        {"users/a.yaml": "id: a\nx: 1\n", "users/b.yaml": "id: b\n", "users/c.yaml": None}, "two"
    )
    assert sha
    assert (st.root / "users/b.yaml").stat().st_mtime_ns == before
    assert git(st.root, "show", "--name-status", "--format=", "HEAD").split() == ["M", "users/a.yaml"]


def test_delete_and_unicode_names(st: Store) -> None:
    st.write_snapshot({"users/a.yaml": "id: a\n", "reports/é ü.yaml": "x: 1\n"}, "one")
    st.write_snapshot({"users/a.yaml": None}, "del")
    assert not (st.root / "users/a.yaml").exists()
    assert git(st.root, "status", "--porcelain") == ""
    deleted = git(st.root, "show", "--name-status", "-z", "--format=", "HEAD").split("\0")
    assert deleted == ["D", "users/a.yaml", ""]
    added = git(st.root, "show", "--name-status", "-z", "--format=", "HEAD~1").split("\0")
    assert added == ["A", "reports/é ü.yaml", "A", "users/a.yaml", ""]
    assert git(st.root, "show", "--name-status", "--format=", "HEAD~2").split() == ["A", "entragit.yaml"]


def test_commit_without_a_git_identity(st: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(st.root.parent))  # no ~/.gitconfig
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    assert st.write_snapshot({"users/z.yaml": "id: z\n"}, "ci run")


def test_interrupted_run_is_rolled_back_by_the_next_session(
    st: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    st.write_snapshot({"users/a.yaml": "id: a\n", "users/b.yaml": "id: b\n"}, "one")
    head = st.head()
    real = Store._git

    def dies_before_moving_head(self: Store, *args: str, **kwargs: object) -> str:
        if args[:1] == ("update-ref",) and "HEAD" in args:
            raise KeyboardInterrupt  # work tree and index already at the new commit, HEAD not yet
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_git", dies_before_moving_head)
    monkeypatch.setattr(Snapshot, "close", lambda self: None)  # killed: no cleanup runs
    with pytest.raises(KeyboardInterrupt):
        st.write_snapshot(
            {"users/a.yaml": "id: a\nnew: 1\n", "users/c.yaml": "id: c\n", "users/b.yaml": None}, "x"
        )
    monkeypatch.setattr(Store, "_git", real)
    monkeypatch.undo()
    assert git(st.root, "status", "--porcelain"), "the interrupted run left the tree off HEAD"
    assert (st.root / ".git/entragit/run.lock").exists()

    with st.session(["users"]):
        pass
    assert st.head() == head
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert (st.root / "users/a.yaml").read_text() == "id: a\n"
    assert not (st.root / ".git/entragit/run.lock").exists()
    assert st.write_snapshot({"users/c.yaml": "id: c\n"}, "next run")


def test_killed_while_streaming_changes_nothing(st: Store) -> None:
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    head = st.head()
    snap = st.snapshot()
    snap.put("users/a.yaml", b"id: a\nhalf: 1\n")
    snap.put("users/n.yaml", b"id: n\n")
    snap.close()  # the process "dies" before commit: fast-import abandons the stream
    assert st.head() == head
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert st.write_snapshot({"users/n.yaml": "id: n\n"}, "next")


def test_a_failed_run_whose_rollback_git_refuses_shows_its_own_error_and_the_next_session_rolls_back(
    st: Store,
) -> None:
    """A run fails (here: the disk is full) and git cannot write the rollback either (its index is locked,
    as on a full disk `git rm --cached` cannot write it): the run's error is the one the user sees, not the
    rollback's, and the next session puts the files back."""
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    head = st.head()
    snap = st.snapshot()
    snap.put("users/a.yaml", b"id: a\nhalf: 1\n")
    snap.put("users/n.yaml", b"id: n\n")
    snap._writers.flush()
    lock = st.root / ".git/index.lock"
    lock.write_text("")
    with pytest.raises(OSError, match="No space left"):
        try:
            raise OSError(28, "No space left on device")
        finally:
            snap.close()
    assert (st.root / ".git/entragit/run.lock").exists()
    lock.unlink()
    with st.session(["users"]):
        pass
    assert st.head() == head
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert (st.root / "users/a.yaml").read_text() == "id: a\n"


def test_a_page_put_at_once_is_marked_before_its_files_change_and_rolled_back_after_a_kill(st: Store) -> None:
    """`put_many` writes the run marker once for a page of files: every one of them must be in it before
    any lands in the work tree, or a kill mid-page leaves a file the next session does not put back."""
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    head = st.head()
    page = [("users/a.yaml", b"id: a\nnew: 1\n"), *((f"users/n{i}.yaml", b"id: n\n") for i in range(300))]
    snap = st.snapshot()
    snap.put_many(page)
    snap._writers.flush()
    marked = (st.root / ".git/entragit/run.lock").read_text().splitlines()[1:]
    assert marked == [path for path, _ in page]
    assert (st.root / "users/n299.yaml").read_bytes() == b"id: n\n"
    assert snap._proc is not None
    snap._proc.kill()  # the run is killed here: no cleanup of its own runs, git's stream ends early
    snap._proc.wait()
    with st.session(["users"]):
        pass
    assert st.head() == head
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert (st.root / "users/a.yaml").read_text() == "id: a\n"


def test_interrupted_before_commit_after_staging(st: Store) -> None:
    """Killed between `update-index` and `commit`: staged paths go back to HEAD too."""
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    (st.root / ".git/entragit/run.lock").write_text(json.dumps({"paths": ["users/a.yaml", "users/n.yaml"]}))
    (st.root / "users/a.yaml").write_text("half\n")
    (st.root / "users/n.yaml").write_text("id: n\n")
    git(st.root, "add", "users")
    with st.session(["users"]):
        pass
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_marker_cut_short_by_a_full_disk_is_rolled_back_without_its_last_line(st: Store) -> None:
    """The disk fills while a page's paths are added to the marker: its last line is the start of a path
    (here a folder's name) whose file was never written. The rollback undoes the rest and leaves it be
    (it once failed with IsADirectoryError, a traceback for the user)."""
    st.write_snapshot({"users/a/a.yaml": "id: a\n"}, "one")
    (st.root / "users/a/a.yaml").write_text("half\n")
    (st.root / "users/b").mkdir()  # a folder HEAD lacks, as on a first run
    (st.root / "users/b/b.yaml").write_text("id: b\n")
    header = json.dumps({"head": st.head()})
    (st.root / ".git/entragit/run.lock").write_text(f"{header}\nusers/a/a.yaml\nusers/b/b.yaml\nusers/b")
    with st.session(["users"]):
        pass
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert (st.root / "users/a/a.yaml").read_text() == "id: a\n"


def test_session_refuses_user_edits_and_staged_work(st: Store) -> None:
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    (st.root / "users/a.yaml").write_text("id: a\nmine: 1\n")
    with pytest.raises(RepoError, match=r"uncommitted edit.*users/a.yaml"), st.session(["users"]):
        pass
    git(st.root, "checkout", "--", "users/a.yaml")
    (st.root / "notes.txt").write_text("x")
    git(st.root, "add", "notes.txt")
    with pytest.raises(RepoError, match="staged"), st.session(["users"]):
        pass
    git(st.root, "rm", "-q", "--cached", "notes.txt")
    (st.root / "entragit.yaml").write_text("tenant_id: t\nclient_id: c\n# edited\n")
    with st.session(["users"]):  # edits outside the backed-up folders are the user's business
        pass


def test_concurrent_sessions_are_refused(st: Store) -> None:
    other = Store.open(st.root)
    with (
        st.session(["users"]),
        pytest.raises(RepoError, match="another entragit backup"),
        other.session(["users"]),
    ):
        pass


def test_state_is_tied_to_head_and_untracked(st: Store) -> None:
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    st.save_state({"users": {"deltaLink": "https://x/delta?$deltatoken=1", "digests": {"users/a.yaml": "d"}}})
    assert st.load_state()["types"]["users"]["deltaLink"].endswith("=1")
    assert "state.json" not in git(st.root, "ls-files")
    (st.root / "extra.txt").write_text("x")
    git(st.root, "add", "extra.txt")
    git(st.root, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "-m", "manual")
    assert st.load_state() == {}


def test_push_without_remote_is_a_clear_error(st: Store) -> None:
    with pytest.raises(RepoError, match="no remote"):
        st.push()


def test_push_to_a_remote(st: Store, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(st.root, "remote", "add", "origin", str(bare))
    st.write_snapshot({"users/a.yaml": "id: a\n"}, "one")
    st.push()
    assert git(bare, "log", "-1", "--format=%s").strip() == "one"


def test_open_rejects_a_non_repository(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="entragit init"):
        Store.open(tmp_path)


def test_commit_paths_without_changes_is_not_an_error(st: Store) -> None:
    head = st.head()
    assert st.commit_paths(["entragit.yaml"], "again") == head
    assert git(st.root, "log", "--format=%s").split("\n")[0] == "entragit init"


def test_commit_paths_records_a_file_already_removed_with_git_rm(st: Store) -> None:
    """A pull request that deletes an object's file, merged, then `apply --prune`: the file is in neither the
    work tree nor the index, and `git add` refuses such a path ("pathspec did not match"); the record of the
    prune must commit the deletion all the same, beside a file that did change."""
    (st.root / "groups").mkdir()
    (st.root / "groups" / "g.yaml").write_text("id: g\n")
    (st.root / "notes.yaml").write_text("a: 1\n")
    st.commit_paths(["groups/g.yaml", "notes.yaml"], "two files")
    git(st.root, "rm", "-q", "groups/g.yaml")
    (st.root / "notes.yaml").write_text("a: 2\n")
    st.commit_paths(["groups/g.yaml", "notes.yaml"], "prune recorded")
    assert git(st.root, "show", "--name-status", "--format=%s", "HEAD").split() == [
        "prune", "recorded", "D", "groups/g.yaml", "M", "notes.yaml"
    ]  # fmt: skip


def test_a_chain_of_commits_lands_at_once_each_with_its_author_and_files(st: Store) -> None:
    """One run, three actors: three commits in one fast-import stream, the branch moved once, to the last."""
    head = st.head()
    snap = st.snapshot()
    for name in ("a", "b", "c", "r"):
        snap.put(f"users/{name}.yaml", f"id: {name}\n".encode())
    ana = Author("Ana Ruiz", "ana@contoso.com", 1_700_000_000)
    evil = Author("Eve\nauthor X <x@x> 1 +0000", "e>ve@contoso.com", 1_700_000_100)
    shas = snap.commit_chain(
        [
            Part("by ana\n", frozenset({"users/a.yaml", "users/b.yaml"}), ana),
            Part("nobody\n", frozenset({"users/missing.yaml"}), ana),
            Part("by eve\n", frozenset({"users/c.yaml"}), evil),
            Part("the rest\n"),
        ]
    )
    assert shas[1] is None and all(shas[i] for i in (0, 2, 3))
    assert st.head() == shas[3]
    log = git(st.root, "log", "--format=%H|%an|%ae|%at|%cn|%s", f"{head}..HEAD").splitlines()
    assert [[*line.split("|")[1:4], line.split("|")[5]] for line in reversed(log)] == [
        ["Ana Ruiz", "ana@contoso.com", "1700000000", "by ana"],
        ["Eve author X ‹x@x› 1 +0000", "e›ve@contoso.com", "1700000100", "by eve"],
        [log[0].split("|")[1], log[0].split("|")[2], log[0].split("|")[3], "the rest"],
    ]
    assert [line.split("|")[0] for line in reversed(log)] == [shas[0], shas[2], shas[3]]
    files = [git(st.root, "show", "--name-only", "--format=", s).split() for s in (shas[0], shas[2], shas[3])]
    assert files == [["users/a.yaml", "users/b.yaml"], ["users/c.yaml"], ["users/r.yaml"]]
    assert len(git(st.root, "reflog", "--format=%H", "HEAD").split()) == 2  # init + this run: HEAD moved once
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_chain_that_fails_its_check_lands_no_commit(st: Store) -> None:
    """The work tree differs from the chain's last tree (a file edited meanwhile): none of the run's commits
    lands, and the session after puts the files back."""
    head = st.head()
    snap = st.snapshot()
    snap.put("users/a.yaml", b"id: a\n")
    snap.put("users/b.yaml", b"id: b\n")
    snap._writers.flush()
    (st.root / "users/b.yaml").write_text("edited\n")
    with pytest.raises(RepoError, match="do not match"):
        snap.commit_chain([Part("a\n", frozenset({"users/a.yaml"}), Author("A", "a@x")), Part("rest\n")])
    snap.close()
    assert st.head() == head
    assert git(st.root, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_machine_without_a_git_identity_commits_as_entragit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI runner often has no user.name/user.email anywhere git looks (GIT_CONFIG_GLOBAL pointing nowhere
    included): init and backup commit as entragit instead of failing with git's "unable to auto-detect"."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    st = Store.init(tmp_path / "repo")
    (st.root / "entragit.yaml").write_text("tenant_id: x\n")
    st.commit_paths(["entragit.yaml"], "entragit init")
    author = subprocess.run(
        ["git", "-C", str(st.root), "log", "-1", "--format=%an <%ae>"], capture_output=True, text=True
    ).stdout.strip()
    assert author == "entragit <entragit@localhost>"
