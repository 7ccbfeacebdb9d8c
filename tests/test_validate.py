"""`entragit validate`: every check on good and bad object files, through the command the hook runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import live_helpers
import pytest
import requests
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
CA = catalog.by_name("conditionalAccessPolicies")


def _user(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": guid(n, "ab"),
        "displayName": f"Ana {n}",
        "userPrincipalName": f"ana{n}@contoso.com",
        "accountEnabled": True,
        "createdDateTime": "2024-01-01T00:00:00Z",
        "mailNickname": f"ana{n}",
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
    exchange_made = 0
    for path in files:
        rel = path.relative_to(st.root).as_posix()
        problems = validate.check_text(rel, path.read_bytes(), None).problems
        obj = canonical.load(path.read_text(encoding="utf-8"), source=rel)
        if rel.startswith("groups/") and obj["mailEnabled"] and "Unified" not in obj["groupTypes"]:
            # As a new file it is a create, and Graph creates no distribution or mail-enabled security group.
            assert problems == [f"{rel}: mailEnabled: {_EXCHANGE_MADE}"]
            exchange_made += 1
        else:
            assert problems == [], rel
    assert exchange_made >= 1


_EXCHANGE_MADE = "mail-enabled security and distribution groups are made in Exchange, not through Graph"


def _run_at(root: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", "--repo", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def _policy(n: int = 5, **extra: Any) -> dict[str, Any]:
    return {
        "id": guid(n, "ca"),
        "displayName": "Require MFA",
        "state": "enabled",
        "conditions": {
            "applications": {"includeApplications": ["All"]},
            "users": {"includeUsers": ["All"], "excludeGroups": [guid(2, "cd")]},
            "clientAppTypes": ["all"],
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        **extra,
    }


def test_values_graph_documents_as_invalid_are_refused(repo: RepoBuilder) -> None:
    """Issue 26's example: a policy with `state: 'on'` validated, then apply got 400 "The policy state is
    invalid". Members, formats and collection sizes come from the value rules (value_rules.py), which also
    hold for a property no committed file shows an example of."""
    repo.put("conditionalAccessPolicies", _policy())
    repo.commit()
    grant = {"operator": "OR", "builtInControls": ["mfa", "sms"]}
    ca = _edit(repo, _policy(state="on", grantControls=grant), CA)
    user = _edit(repo, _user(usageLocation="Netherlands", businessPhones=["+1 1", "+1 2"], ageGroup="adult"))
    code, lines = _run(repo)
    assert code == 1
    assert lines == [
        f"{ca}: grantControls.builtInControls[1]: 'sms' is not one of block, mfa, compliantDevice, "
        "domainJoinedDevice, approvedApplication, compliantApplication, passwordChange, riskRemediation",
        f"{ca}: state: 'on' is not one of enabled, disabled, enabledForReportingButNotEnforced",
        f"{user}: ageGroup: 'adult' is not one of Minor, NotAdult, Adult",
        f"{user}: businessPhones: holds 2 values, at most 1",
        f"{user}: usageLocation: 'Netherlands' is not a two-letter ISO 3166 country code (US, DE...)",
    ]
    _edit(repo, _policy(state="enabledForReportingButNotEnforced"), CA)
    _edit(repo, _user(usageLocation="NL", businessPhones=["+1 1"], ageGroup="Adult"))
    assert _run(repo) == (0, ["2 changed object files checked, no problems"])


def test_a_new_file_is_a_create_and_needs_what_graph_requires(repo: RepoBuilder) -> None:
    """A file with no committed version is created by apply: the create page's required properties must be
    there (the user's password is the restore's own), and the rules of a create hold (a group Graph can
    make)."""
    policy = _policy(7)
    del policy["state"], policy["conditions"]["users"]
    ca = _edit(repo, policy, CA)
    group = {"id": guid(8, "cd"), "displayName": "Dyn", "mailEnabled": False, "mailNickname": "dyn"}
    dynamic = _edit(repo, {**group, "securityEnabled": True, "groupTypes": ["DynamicMembership"]}, GROUPS)
    code, lines = _run(repo)
    assert code == 1
    assert lines == [
        f"{dynamic}: membershipRule: a dynamic group needs its rule",
        f"{dynamic}: membershipRuleProcessingState: a dynamic group needs its processing state "
        "(On or Paused)",
        f"{ca}: state: required when creating",
        f"{ca}: conditions: needs an applications condition and a users (or clientApplications) condition",
    ]


def test_flags_values_are_members_joined_by_commas(repo: RepoBuilder) -> None:
    guests = {"guestOrExternalUserTypes": "internalGuest,b2bCollaborationGuest", "externalTenants": None}
    conditions = {**_policy()["conditions"], "users": {"includeGuestsOrExternalUsers": guests}}
    _edit(repo, _policy(conditions=conditions), CA)
    assert _run(repo)[0] == 0
    guests["guestOrExternalUserTypes"] = "internalGuest,partner"
    rel = _edit(repo, _policy(conditions=conditions), CA)
    assert _run(repo)[1] == [
        f"{rel}: conditions.users.includeGuestsOrExternalUsers.guestOrExternalUserTypes: "
        "'internalGuest,partner' is not one of none, internalGuest, b2bCollaborationGuest, "
        "b2bCollaborationMember, b2bDirectConnectUser, otherExternalUser, serviceProvider"
    ]


# (collection, an edit) pairs: each written to an existing object of the sandbox by raw HTTP, and checked by
# validate as the same edit of that object's file. The bad ones break one documented rule each.
AGREEMENT: tuple[tuple[str, dict[str, Any], bool], ...] = (
    ("identity/conditionalAccess/policies", {"state": "on"}, False),
    ("identity/conditionalAccess/policies", {"state": "enabledForReportingButNotEnforced"}, True),
    (
        "identity/conditionalAccess/policies",
        {"grantControls": {"operator": "XOR", "builtInControls": []}},
        False,
    ),
    ("users", {"usageLocation": "Netherlands"}, False),
    ("users", {"usageLocation": "NL"}, True),
    ("users", {"ageGroup": "adult"}, False),
    ("users", {"businessPhones": ["+1 1", "+1 2"]}, False),
    ("users", {"accountEnabled": "yes"}, False),
    ("users", {"employeeHireDate": "next monday"}, False),
    ("groups", {"visibility": "Secret"}, False),
    ("directory/administrativeUnits", {"membershipType": "Static"}, False),
    ("directory/administrativeUnits", {"visibility": "HiddenMembership"}, True),
    ("applications", {"signInAudience": "Everyone"}, False),
    ("applications", {"signInAudience": "AzureADMultipleOrgs"}, True),
)


@pytest.mark.parametrize(("collection", "edit", "good"), AGREEMENT, ids=lambda v: str(v)[:40])
def test_validate_and_the_sandbox_judge_a_value_alike(
    graph_session: requests.Session, sandbox: Sandbox, collection: str, edit: dict[str, Any], good: bool
) -> None:
    """One set of rules (value_rules.py) serves validate and the sandbox: a value validate passes, the
    sandbox takes (204), and one it refuses, the sandbox answers 400 — by raw HTTP, not our client."""
    t = next(t for t in catalog.CATALOG if t.path == collection)
    base = f"{sandbox.graph_url}/v1.0/{collection}"
    live = graph_session.get(base, params={"$select": ",".join(t.select), "$top": "50"}).json()["value"]
    obj = next(
        o for o in live if t.name != "groups" or (o.get("securityEnabled") and not o.get("mailEnabled"))
    )
    head = canonical.normalize(t, canonical.canonicalize(t, obj))
    problems = validate.check_object(catalog.object_path(t, obj["id"]), {**head, **edit}, head)
    answer = graph_session.patch(f"{base}/{obj['id']}", json=edit)
    assert (problems == [], answer.status_code) == (good, 204 if good else 400), (problems, answer.text)
