"""What people read (issue 8, item 10): `ls` fits the terminal, counts agree with their number, one number
format in `score`, and `permissions --restore` says which list is for what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from history_repo import RepoBuilder

from entragit import catalog, permissions, wording
from entragit.cli import cli, output
from entragit.cli.output import width

LONG = "Contoso Worldwide Research and Development Laboratory for Very Long Display Names"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    b = RepoBuilder(tmp_path / "backup")
    b.write(
        "entragit.yaml",
        "tenant_id: contoso.onmicrosoft.com\nclient_id: 7d1f3e5a-2c4b-4a9e-8f6d-0b1c2d3e4f5a\n",
    )
    b.put(
        "users",
        {
            "id": "00000000-0000-4000-8000-000000000001",
            "displayName": LONG,
            "userPrincipalName": "research.lab.with.a.long.name@contoso.onmicrosoft.com",
            "jobTitle": "Chief Naming Officer",
        },
    )
    history = [
        {"date": "2026-11-30", "currentScore": 195.68, "maxScore": 389},
        {"date": "2026-12-01", "currentScore": 389, "maxScore": 389},
    ]
    score = {"date": "2026-12-01", "currentScore": 389, "maxScore": 389, "history": history}
    b.write("reports/secureScore.yaml", json.dumps(score))
    b.commit("backup")
    return b.root


def run(repo: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        cli, [*args, "--repo", str(repo)], env={"ENTRAGIT_REPO": "", "NO_COLOR": "1", **env}
    )


def test_ls_fits_the_terminal_width_and_cuts_long_cells(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert LONG in run(repo, "ls").output  # not on a terminal (CliRunner): whole cells, for grep and cut
    monkeypatch.setattr(output, "terminal_width", lambda: 80)  # an 80-column terminal
    r = run(repo, "ls")
    assert r.exit_code == 0, r.output
    table = r.output.splitlines()[:2]
    assert all(width(line) <= 80 for line in table), r.output
    assert "…" in table[1] and LONG not in r.output
    assert table[1].split()[0] == "users"  # short columns stay whole


def test_counts_agree_with_their_number(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "backup")
    users = catalog.by_name("users")
    every = {p.split(".")[0]: "set" for p in users.select} | {"deletedDateTime": None}  # (not soft-deleted)
    b.put("users", {**every, "id": "00000000-0000-4000-8000-000000000001", "displayName": "Ada"})
    b.commit("backup")
    assert run(b.root, "ls").output.splitlines()[-1] == "1 object"
    shown = run(b.root, "show", "Ada")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[-1] == "1 attribute not set (--all shows them)"
    assert [wording.count(n, "object") for n in (0, 1, 2, 1500)] == [
        "0 objects",
        "1 object",
        "2 objects",
        "1,500 objects",
    ]
    assert wording.count(2, "policy", "policies") == "2 policies"


def test_score_prints_every_figure_in_one_format(repo: Path) -> None:
    r = run(repo, "score")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "Secure score: 389.00 / 389.00 (100.0%) on 2026-12-01"
    assert r.output.splitlines()[-1] == "2 days; low 195.68 (2026-11-30), high 389.00 (2026-12-01)"


def test_permissions_restore_prints_both_lists_labelled() -> None:
    """README: `entragit permissions --restore` is "what restore will need on top" of the backup's list."""
    r = CliRunner().invoke(cli, ["permissions", "--restore"])
    assert r.exit_code == 0, r.output
    # The delegated permissions of terms of use agreements (no application permission exists) go to stderr.
    assert "device-code" in r.stderr and "Agreement.ReadWrite.All" in r.stderr
    backup, _, restore = r.stdout.partition("\nrestore needs, on top of those:\n")
    assert backup.splitlines()[0] == "backup needs:"
    assert [p.strip() for p in backup.splitlines()[1:] if p] == permissions.required_permissions()
    extra = [p.strip() for p in restore.splitlines()]
    assert "User.ReadWrite.All" in extra and "User.Read.All" not in extra
    assert sorted({*permissions.required_permissions(), *extra}) == sorted(
        {*permissions.required_permissions(restore=True), *permissions.required_permissions()}
    )
    data = json.loads(CliRunner().invoke(cli, ["permissions", "--restore", "--json"]).output)
    assert data == {"backup": permissions.required_permissions(), "restoreAdditional": extra}
