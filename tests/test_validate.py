"""`entragit validate`: every check on good and bad object files, through the command the hook runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import live_helpers
import pytest
from click.testing import CliRunner
from history_repo import RepoBuilder, guid

from entragit import canonical, catalog, config, validate
from entragit.backup import run_backup
from entragit.cli import cli
from entragit.config import Config
from entragit.repo.writer import Store
from entragit.sandbox.server import Sandbox

USERS = catalog.by_name("users")
GROUPS = catalog.by_name("groups")


def _user(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": guid(n, "ab"),
        "displayName": f"Ana {n}",
        "userPrincipalName": f"ana{n}@contoso.com",
        "accountEnabled": True,
        "createdDateTime": "2024-01-01T00:00:00Z",
        "usageLocation": "NL",
        "passwordPolicies": None,
        "proxyAddresses": ["SMTP:ana@contoso.com"],
        **extra,
    }


@pytest.fixture
def repo(tmp_path: Path) -> RepoBuilder:
    """A backup repository whose HEAD holds one user and one group, as a backup writes them."""
    b = RepoBuilder(tmp_path / "backup")
    b.put("users", _user())
    b.put("groups", {"id": guid(2, "cd"), "displayName": "Finance", "securityEnabled": True, "members": []})
    b.write("entragit.yaml", "tenant_id: x\n")
    b.commit()
    return b


def _edit(
    b: RepoBuilder, obj: dict[str, Any], t: catalog.ObjectType = USERS, path: str | None = None, **raw: Any
) -> str:
    """Write obj as a backup would, then `raw` values as they are, in canonical form: a careful hand edit
    whose values may be wrong."""
    rel = path or catalog.object_path(t, obj["id"])
    b.write(rel, canonical.dump(canonical.normalize(t, {**canonical.canonicalize(t, obj), **raw})))
    return rel


def _run(b: RepoBuilder, *args: str) -> tuple[int, list[str]]:
    return _run_at(b.root, *args)


def test_good_files_pass_silently(repo: RepoBuilder) -> None:
    rel = _edit(repo, _user(accountEnabled=False, usageLocation="DE"))
    new = _edit(repo, _user(3))  # a new file: no HEAD version, the kinds of the other users' values
    assert _run(repo, str(repo.root / rel), str(repo.root / new)) == (0, ["2 files checked, no problems"])
    # no FILE: the changed and untracked object files
    assert _run(repo) == (0, ["2 changed object files checked, no problems"])


def test_declared_type_from_head_version(repo: RepoBuilder) -> None:
    """The example of issue 11: a boolean at HEAD must stay a boolean (or null: unset is null)."""
    rel = _edit(repo, _user(accountEnabled="maybe-not", usageLocation=7))
    code, lines = _run(repo)
    assert code == 1
    assert lines == [
        f"{rel}: accountEnabled: expected a boolean, got 'maybe-not'",
        f"{rel}: usageLocation: expected a string, got 7",
    ]
    _edit(repo, _user(accountEnabled=None))
    assert _run(repo) == (0, ["1 changed object file checked, no problems"])


def test_catalog_rules_for_relationships_and_unordered_lists(repo: RepoBuilder) -> None:
    rel = _edit(repo, _user(), manager=["x"], businessPhones="+31 20 555 0100")
    group = _edit(repo, {"id": guid(2, "cd"), "displayName": "Finance"}, GROUPS, members=[1], owners=None)
    code, lines = _run(repo)
    assert code == 1
    assert f"{rel}: manager: expected a string, got a list" in lines
    assert f"{rel}: businessPhones: expected a list, got '+31 20 555 0100'" in lines
    assert f"{group}: members[0]: expected a string, got 1" in lines
    assert f"{group}: owners: expected a list, got null" in lines


def test_unknown_property(repo: RepoBuilder) -> None:
    rel = _edit(repo, _user(acountEnabled=True))
    assert _run(repo) == (1, [f"{rel}: acountEnabled: not a property entragit backs up for users"])


def test_an_agent_user_file_names_its_kind_which_an_edit_cannot_change(repo: RepoBuilder) -> None:
    """agentuser.md: an agent user is a user whose file keeps `@odata.type`; Graph never changes an object's
    kind, so neither may an edit (nor name a kind entragit does not back up)."""
    agent = _user(4, **{"@odata.type": "#microsoft.graph.agentUser"})
    rel = _edit(repo, agent)
    # a new file with @odata.type: no "not a property" line
    assert _run(repo) == (0, ["1 changed object file checked, no problems"])
    repo.commit()
    _edit(repo, _user(4))  # the type line removed
    was = "'#microsoft.graph.agentUser'"
    assert _run(repo) == (1, [f"{rel}: @odata.type: the kind of an object cannot change (committed: {was})"])
    _edit(repo, agent, **{"@odata.type": "#microsoft.graph.user"})
    code, lines = _run(repo)
    assert code == 1 and lines == [
        f"{rel}: @odata.type: '#microsoft.graph.user' is not a kind of users entragit knows "
        "(#microsoft.graph.agentUser)"
    ]


def test_read_only_property_unchanged_from_head(repo: RepoBuilder) -> None:
    rel = _edit(repo, _user(createdDateTime="2020-01-01T00:00:00Z", proxyAddresses=["SMTP:x@contoso.com"]))
    code, lines = _run(repo)
    assert code == 1
    assert lines == [
        f"{rel}: createdDateTime: read-only, changed from '2024-01-01T00:00:00Z' to a value no committed "
        "version has",
        f"{rel}: proxyAddresses: read-only, changed from a list to a value no committed version has",
    ]


def test_read_only_value_of_an_older_version_passes(repo: RepoBuilder) -> None:
    """`git checkout OLD -- FILE` then commit: the pre-commit hook accepts what `apply` accepts."""
    rel = catalog.object_path(USERS, guid(1, "ab"))
    old = (repo.root / rel).read_text()
    repo.put("users", _user(proxyAddresses=["SMTP:ana@contoso.com", "smtp:ana@fabrikam.com"]))
    repo.commit()
    repo.git("checkout", "HEAD~1", "--", rel)
    assert (repo.root / rel).read_text() == old
    assert _run(repo) == (0, ["1 changed object file checked, no problems"])


def test_kinds_from_other_committed_files_where_head_has_none(repo: RepoBuilder) -> None:
    """A new file (or an unset property) takes its kinds from the type's other committed files."""
    new = _edit(repo, _user(3), accountEnabled="yes", createdDateTime=5)
    code, lines = _run(repo)
    assert code == 1
    assert lines == [
        f"{new}: accountEnabled: expected a boolean, got 'yes'",
        f"{new}: createdDateTime: expected a string, got 5",
    ]


def test_file_name_and_folder(repo: RepoBuilder) -> None:
    other = guid(9, "ef")
    renamed = _edit(repo, _user(9), path=catalog.object_path(USERS, other))
    unsharded = _edit(repo, _user(4), path=f"users/{guid(4, 'ab')}.yaml")
    code, lines = _run(repo)
    assert code == 1
    assert f"{renamed}: id: '{guid(9, 'ab')}' differs from the file name" in lines
    assert f"{unsharded}: a users file belongs at {catalog.object_path(USERS, guid(4, 'ab'))}" in lines


def test_parse_utf8_duplicate_keys_and_form(repo: RepoBuilder) -> None:
    base = catalog.object_path(USERS, guid(1, "ab"))
    prefix = b"id: " + guid(1, "ab").encode() + b"\ndisplayName: "
    (repo.root / base).write_bytes(prefix + b"\xff\n")
    dup = _edit(repo, _user(5))
    (repo.root / dup).write_text((repo.root / dup).read_text() + "displayName: again\n")
    broken = _edit(repo, _user(6))
    (repo.root / broken).write_text("id: [1\n")
    unordered = _edit(repo, _user(7))
    text = (repo.root / unordered).read_text().split("\n", 2)
    (repo.root / unordered).write_text(f"{text[1]}\n{text[0]}\n{text[2]}")
    code, lines = _run(repo)
    assert code == 1
    assert f"{base}: not UTF-8 (byte 0xff at offset {len(prefix)})" in lines
    assert any(line.startswith(f"{dup}: invalid YAML: ") and "duplicate key" in line for line in lines)
    assert any(line.startswith(f"{broken}: invalid YAML: ") for line in lines)
    assert f"{unordered}: not in canonical form (key order, list order or quoting differ)" in lines
    assert len(lines) == 4


def test_fix_rewrites_form_only(repo: RepoBuilder) -> None:
    rel = catalog.object_path(USERS, guid(1, "ab"))
    good = (repo.root / rel).read_text()
    head, rest = good.split("\n", 1)
    (repo.root / rel).write_text(rest + head + "\n")
    assert _run(repo, "--fix") == (
        0,
        [
            f"{rel}: rewritten in canonical form",
            "1 changed object file checked, no problems, 1 rewritten in canonical form",
        ],
    )
    assert (repo.root / rel).read_text() == good
    assert _run(repo) == (0, ["0 changed object files checked, no problems"])


def test_explicit_files_outside_or_missing(repo: RepoBuilder, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("a: 1\n")
    code, lines = _run(repo, str(outside), str(repo.root / "users/ab/nothing.yaml"))
    assert code == 1
    assert lines == [
        f"{outside}: outside the backup repository {repo.root}",
        "users/ab/nothing.yaml: no such file",
    ]


def test_other_yaml_files_only_parse(repo: RepoBuilder) -> None:
    """entragit.yaml and reports are not object files: valid YAML is all validate asks of them."""
    repo.write("reports/seats.yaml", "anything: [1, 2]\n")
    files = (str(repo.root / "reports/seats.yaml"), str(repo.root / "entragit.yaml"))
    assert _run(repo, *files) == (0, ["2 files checked, no problems"])
    repo.write("entragit.yaml", "tenant_id: [\n")
    code, lines = _run(repo, str(repo.root / "entragit.yaml"))
    assert code == 1 and lines[0].startswith("entragit.yaml: invalid YAML")


def test_pre_commit_hook_definition() -> None:
    """A backup repository lists this repository as a hook repository: the hook exists and runs validate."""
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "entragit-validate"]
    assert hook["entry"] == "entragit validate" and hook["language"] == "python"
    for t in catalog.CATALOG:
        assert re.search(hook["files"], catalog.object_path(t, guid(1, "ab"))), t.name
    assert not re.search(hook["files"], "entragit.yaml")
    assert not re.search(hook["files"], "reports/seats.yaml")


def test_every_file_a_backup_writes_passes(tmp_path: Path, sandbox: Sandbox) -> None:
    """No false alarms: what a backup of the sandbox wrote is valid, also as new files (no HEAD version)."""
    st = Store.init(tmp_path / "b")
    config.save(st.root, Config(tenant_id=sandbox.tenant_id, client_id=sandbox.client_id))
    st.commit_paths(["entragit.yaml"], "entragit init")
    assert run_backup(st.root, client=live_helpers.client_for(sandbox)).commit
    files = sorted(p for p in st.root.rglob("*.yaml") if ".git" not in p.parts)
    assert len({catalog.type_for_path(str(p.relative_to(st.root))) for p in files} - {None}) >= 10
    assert _run_at(st.root, *map(str, files)) == (0, [f"{len(files)} files checked, no problems"])
    for path in files:
        rel = path.relative_to(st.root).as_posix()
        assert validate.check_text(rel, path.read_bytes(), None).problems == [], rel


def _run_at(root: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", "--repo", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()
