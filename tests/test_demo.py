"""`entragit demo`: no credentials, no network; the careless admin's changes shown as a diff."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from gitcmd import git

from entragit import catalog
from entragit.cli import cli


def test_demo_backs_up_changes_and_shows_the_diff(tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    env = {k: "" for k in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "ENTRAGIT_GRAPH_URL")}
    result = CliRunner().invoke(cli, ["demo", str(repo)], env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert str(repo) in out and "git log --stat -1" in out and "entragit ls" in out
    assert "error" not in out.lower()

    subjects = git(repo, "log", "--format=%s").splitlines()
    assert len(subjects) == 3 and subjects[-1].startswith("entragit init")
    assert subjects[0].startswith("backup ") and "1 deleted" in subjects[0]

    changed = {
        line.split("\t")[1]: line.split("\t")[0]
        for line in git(repo, "show", "--name-status", "--format=", "HEAD").splitlines()
    }
    by_type: dict[str, list[str]] = {}
    for path in changed:
        t = catalog.type_for_path(path)
        by_type.setdefault(t.name if t else path, []).append(changed[path])
    assert sorted(by_type["users"]) == ["M", "M"]  # renamed + soft-deleted
    assert by_type["conditionalAccessPolicies"] == ["D"]
    assert by_type["namedLocations"] == ["M"]
    assert "M" in by_type["groups"]
    assert "0.0.0.0/1" in out  # the diff is shown
    assert git(repo, "status", "--porcelain") == ""


def test_demo_refuses_a_directory_with_files(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 2 and "empty" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"
