"""`entragit report` end to end over a repository built by real backups of the sandbox.

The story, one backup a day from 2026-11-01: a group renamed with one member in and one out, a group with a
hostile name (Markdown, HTML, `|`, a newline) excluded from a conditional access policy, two client secrets
(one expiring in nine days, one expired: Graph's addPassword, application-addpassword.md, takes the
endDateTime the caller asks for); then a Global Administrator soft-deleted and a policy deleted, plus a
commit made by hand by a person; then a new secure score day and a backup in which named locations could
not be read (a 403, so the commit carries a Failed-Type trailer). Every section is checked against that.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from daily_backups import DailyBackups as Built
from daily_backups import daily_backups
from gitcmd import git

from entragit import catalog
from entragit.cli import cli
from entragit.report.settings import SETTINGS

HOSTILE = "Evil | <img src=x onerror=alert(1)> **bold** [click](http://x)\n# heading `code`"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with daily_backups(tmp_path_factory, "report") as b:
        box, root = b.box, b.root
        b.ids["group"] = b.find("groups", "Project Aurora")
        b.ids["legacy"] = b.find("identity/conditionalAccess/policies", "Block legacy authentication")
        b.ids["admins_ca"] = b.find("identity/conditionalAccess/policies", "Require MFA for administrators")
        b.ids["alex"] = b.find("users", "Alex Wilber")
        b.ids["app"] = b.find("applications", "Payroll Sync")
        members = [m["id"] for m in b.graph("GET", f"groups/{b.ids['group']}/members?$select=id")["value"]]
        users = [u["id"] for u in b.graph("GET", "users?$select=id")["value"]]
        b.ids["leaving"] = members[0]
        b.ids["joining"] = next(u for u in users if u not in members and u != b.ids["alex"])
        b.backup()  # 11-01

        g = b.ids["group"]
        b.graph("PATCH", f"groups/{g}", {"displayName": "Project Borealis"})
        ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{b.ids['joining']}"}
        b.graph("POST", f"groups/{g}/members/$ref", ref)
        b.graph("DELETE", f"groups/{g}/members/{b.ids['leaving']}/$ref")
        hostile = {
            "displayName": HOSTILE,
            "mailEnabled": False,
            "mailNickname": "evil",
            "securityEnabled": True,
        }
        b.ids["hostile"] = b.graph("POST", "groups", hostile)["id"]
        policy = b.graph("GET", f"identity/conditionalAccess/policies/{b.ids['legacy']}")
        users_cond = policy["conditions"]["users"]
        excluded = [*users_cond["excludeGroups"], b.ids["hostile"]]
        b.graph(
            "PATCH",
            f"identity/conditionalAccess/policies/{b.ids['legacy']}",
            {"conditions": {"users": {"excludeGroups": excluded}}},
        )
        # A compromised admin weakens the tenant: security defaults off, the consent workflow on for a
        # reviewer of their choosing (identitysecuritydefaultsenforcementpolicy-update.md,
        # adminconsentrequestpolicy-update.md).
        b.graph("PATCH", "policies/identitySecurityDefaultsEnforcementPolicy", {"isEnabled": False})
        consent = {
            "isEnabled": True,
            "notifyReviewers": False,
            "remindersEnabled": False,
            "requestDurationInDays": 30,
            "reviewers": [{"query": f"/users/{b.ids['joining']}", "queryType": "MicrosoftGraph"}],
        }
        b.graph("PUT", "policies/adminConsentRequestPolicy", consent)
        # ...and opens Microsoft 365 group creation to every user (groupsetting-update.md: the values whole).
        rules = next(
            x for x in b.graph("GET", "groupSettings")["value"] if x["displayName"] == "Group.Unified"
        )
        opened = [
            {**v, "value": "true"} if v["name"] == "EnableGroupCreation" else v for v in rules["values"]
        ]
        b.graph("PATCH", f"groupSettings/{rules['id']}", {"values": opened})
        b.ids["group_rules"] = rules["id"]
        for name, end in (("soon", "2026-11-13T12:00:00Z"), ("old", "2026-10-20T00:00:00Z")):
            body = {"passwordCredential": {"displayName": name, "endDateTime": end}}
            b.graph("POST", f"applications/{b.ids['app']}/addPassword", body)
        b.backup()  # 11-02

        b.graph("DELETE", f"users/{b.ids['alex']}")
        b.graph("DELETE", f"identity/conditionalAccess/policies/{b.ids['admins_ca']}")
        b.backup()  # 11-03
        # A person's own commit (an edit reviewed in a pull request): the report names its author.
        hand = root / catalog.object_path(catalog.by_name("groups"), g)
        lines = hand.read_text().splitlines()
        edited = ["description: edited by hand" if x.startswith("description:") else x for x in lines]
        hand.write_text("\n".join(edited) + "\n")
        date = "2026-11-03T12:00:00Z"
        ident = {"GIT_AUTHOR_NAME": "Jane Admin", "GIT_AUTHOR_EMAIL": "jane@contoso.com"}
        ident.update({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        git(root, "commit", "-q", "-am", "Describe the project group", env=ident)

        newer = b.new_secure_score_day()
        b.ids["score"] = str(newer["currentScore"])
        fault = {"match": "namedLocations", "status": 403, "times": 100}
        assert b.http.post(f"{box.graph_url}/_sandbox/faults", json=fault).status_code < 300
        b.backup(partial=True)  # 11-04
        b.http.delete(f"{box.graph_url}/_sandbox/faults")
        yield b


def run(b: Built, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--repo", str(b.root)], env=b.env)


@pytest.fixture(scope="module")
def data(built: Built) -> dict[str, Any]:
    r = run(built, "report", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.fixture(scope="module")
def written(built: Built) -> Path:
    r = run(built, "report")
    assert r.exit_code == 0, r.output
    return built.root / "report"


def names_by_id(b: Built) -> dict[str, str]:
    rows = json.loads(run(b, "ls", "--json").output)
    # (a cross-tenant partner is named by its tenant id: no other name to show)
    return {row["id"]: row["displayName"] for row in rows if row["displayName"] not in (None, "", row["id"])}


def test_overview_names_the_tenant_the_partial_last_backup_counts_seats_and_score(
    built: Built, data: dict
) -> None:
    assert data["tenant"].startswith("Contoso (")
    last = data["last_backup"]
    assert last["commit"] == built.commits[-1][:8]  # the backup, not the hand commit before it
    assert last["complete"] is False
    assert [f["type"] for f in last["failedTypes"]] == ["namedLocations"]
    assert "403" in last["failedTypes"][0]["reason"]
    assert data["as_of"] == "2026-11-04T02:00:00Z"
    counts = {o["type"]: o for o in data["objects"]}
    listed = json.loads(run(built, "ls", "users", "--json").output)
    assert counts["users"]["count"] == sum(1 for u in listed if not u["deleted"])
    assert counts["users"]["softDeleted"] == sum(1 for u in listed if u["deleted"]) >= 1
    seats = json.loads(run(built, "seats", "--json").output)
    assert data["seats"]["billable"] == seats["billable"]
    assert data["score"]["current"] == float(built.ids["score"])


def test_recent_changes_say_what_changed_with_attributes_and_who(built: Built, data: dict) -> None:
    by_path: dict[str, list[dict]] = {}
    for c in data["changes"]:
        by_path.setdefault(c["path"], []).append(c)
    group = catalog.object_path(catalog.by_name("groups"), built.ids["group"])
    renamed = next(c for c in by_path[group] if "renamed" in c["summary"])
    assert renamed["kind"] == "changed" and renamed["name"] == "Project Borealis"
    assert 'renamed "Project Aurora" → "Project Borealis"' in renamed["summary"]
    assert "members (+1 −1)" in renamed["summary"]
    assert renamed["by"] is None  # a backup: its git author is the pipeline, not the admin
    by_hand = next(c for c in by_path[group] if c["by"])
    assert by_hand["by"] == "Jane Admin" and "description" in by_hand["summary"]
    alex = catalog.object_path(catalog.by_name("users"), built.ids["alex"])
    assert [c["kind"] for c in by_path[alex]] == ["soft-deleted", "created"]  # newest first
    policy = catalog.object_path(catalog.by_name("conditionalAccessPolicies"), built.ids["admins_ca"])
    assert by_path[policy][0]["kind"] == "deleted"
    assert by_path[policy][0]["name"] == "Require MFA for administrators"
    assert data["changes_total"] == len(data["changes"])

    defaults = by_path["policies/identitySecurityDefaultsEnforcementPolicy.yaml"]
    assert [c["security"] for c in defaults] == [["security defaults turned off"], []]  # then created
    assert (
        defaults[0]["summary"] == "security defaults turned off" and defaults[0]["date"][:10] == "2026-11-02"
    )
    consent = by_path["policies/adminConsentRequestPolicy.yaml"][0]
    assert consent["security"] == [
        "admin consent requests turned on",
        "admin consent reviewers changed (+1 −0)",
    ]
    rules = by_path[f"groupSettings/{built.ids['group_rules']}.yaml"][0]
    assert rules["security"] == ["Microsoft 365 group creation by all users turned on"]
    assert all(not c["security"] for c in data["changes"] if c["type"] not in SETTINGS)

    later = json.loads(run(built, "report", "--json", "--since", "2026-11-03").output)
    assert later["since"] == "2026-11-03"
    assert {c["date"][:10] for c in later["changes"]} == {"2026-11-03", "2026-11-04"}


def test_deleted_objects_with_restore_dates_and_commands(built: Built, data: dict) -> None:
    deleted = {d["path"]: d for d in data["deleted"]}
    alex = deleted[catalog.object_path(catalog.by_name("users"), built.ids["alex"])]
    assert alex["soft"] is True and alex["name"] == "Alex Wilber"
    when = datetime.fromisoformat(alex["deleted"][:19])
    assert alex["restorable_until"] == (when + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert alex["command"] == f"entragit restore {alex['path']}"
    policy = deleted[
        catalog.object_path(catalog.by_name("conditionalAccessPolicies"), built.ids["admins_ca"])
    ]
    assert policy["soft"] is False and policy["restorable_until"] is None
    assert policy["name"] == "Require MFA for administrators"
    assert policy["deleted"].startswith("2026-11-03")


def test_conditional_access_in_plain_words_with_names_and_break_glass(data: dict) -> None:
    policies = {p["name"]: p for p in data["policies"]}
    assert "Require MFA for administrators" not in policies  # deleted
    legacy = policies["Block legacy authentication"]
    assert legacy["state"] == "on" and not legacy["report_only"]
    assert legacy["applies_to"] == ["everyone"]
    assert f"members of {HOSTILE}" in legacy["excludes"]
    assert {"Break Glass Admin 1", "Break Glass Admin 2", "Emergency Access Exclusions"} <= set(
        legacy["break_glass_excluded"]
    )
    assert HOSTILE not in legacy["break_glass_excluded"]
    assert legacy["requires"] == "blocks access"
    assert any("Exchange ActiveSync" in c for c in legacy["conditions"])
    outside = policies["Require MFA outside trusted locations"]
    assert outside["report_only"] is True
    assert outside["requires"] == "requires multifactor authentication"
    assert any("all trusted locations" in c and "Corporate HQ" in c for c in outside["conditions"])


def test_privileged_role_holders_and_expiring_credentials(built: Built, data: dict) -> None:
    holders = {(h["role"], h["principal"]) for h in data["privileged"]}
    assert ("Global Administrator", "Break Glass Admin 1") in holders
    assert ("Privileged Role Administrator", "Tier 0 Administrators") in holders
    assert not any(GUID.fullmatch(p) for _, p in holders)
    assert all(h["role"] != "Global Reader" for h in data["privileged"])  # not a privileged role
    creds = {c["name"]: c for c in data["credentials"]}
    assert creds["soon"]["application"] == "Payroll Sync" and creds["soon"]["kind"] == "secret"
    assert creds["soon"]["days_left"] == 9  # 2026-11-13T12:00 from the last backup, 2026-11-04T02:00
    assert creds["old"]["days_left"] < 0
    assert "sandbox" not in creds  # the app's own secret expires in two years


def test_charts_are_valid_svg_with_a_viewbox_and_their_data_points(
    built: Built, written: Path, data: dict
) -> None:
    charts = data["charts"]
    expected = {
        "secure-score.svg": 2 * len(charts["score"]),  # current and maximum per day
        "objects.svg": sum(len(points) for points in charts["objects"].values()),
        "changes.svg": sum(1 for counts in charts["changes"].values() for n in counts if n),
    }
    for name, points in expected.items():
        text = (written / name).read_text()
        root = ET.fromstring(text.encode())
        assert root.tag == f"{SVG}svg" and root.get("version") == "1.1"
        assert len(root.get("viewBox", "").split()) == 4
        assert root.find(f"{SVG}title") is not None
        assert "<script" not in text and "prefers-color-scheme" in text
        marks = [e for e in root.iter() if e.get("class") == "point"]
        assert len(marks) == points > 0
        assert all(m.find(f"{SVG}title") is not None for m in marks)
    assert len(charts["objects"]["users"]) == 4  # one point per backup day
    # Eight series at most (the legend's room): the smallest types are summed, so the total still holds.
    assert len(charts["objects"]) <= 8 and "other types" in charts["objects"]
    files = len(json.loads(run(built, "ls", "--json").output))
    assert sum(points[-1][1] for points in charts["objects"].values()) == files
    assert sum(charts["changes"]["groups"]) >= 3


def test_one_data_point_still_renders() -> None:
    from datetime import date

    from entragit.report import svg

    root = ET.fromstring(svg.line_chart("Score", "points", [("current", [(date(2026, 1, 1), 5.0)])]).encode())
    (point,) = [e for e in root.iter() if e.get("class") == "point"]
    assert 0 < float(point.get("cx", "-1")) < 720 and 0 < float(point.get("cy", "-1")) < 300
    assert "2026-01-01" in ET.tostring(root, encoding="unicode")


def test_markdown_names_objects_links_files_and_escapes_hostile_names(
    built: Built, written: Path, data: dict
) -> None:
    md = (written / "README.md").read_text()
    for section in (
        "## Overview",
        "## Charts",
        "## Recent changes since 2026-10-05",
        "## Deleted objects",
        "## Conditional access in plain words",
        "## Privileged access",
    ):
        assert section in md
    assert "![Secure score over time](secure-score.svg)" in md
    assert "(report-only: not enforced)" in md and "**Break-glass exclusions:**" in md
    assert "**partial**" in md and "namedLocations" in md
    assert "| Jane Admin |" in md
    # The flipped security settings are called out in words above the day tables.
    callout = md.split("**Security settings changed:**", 1)[1].split("###", 1)[0]
    assert "- 2026-11-02: security defaults turned off ([Security Defaults](" in callout
    assert "admin consent requests turned on, admin consent reviewers changed (+1 −0)" in callout
    # Links lead from report/ to the object files (a file deleted since is in the repository's history).
    targets = {(written / t).resolve() for t in re.findall(r"\]\(([^)]+\.yaml)\)", md)}
    gone = {(built.root / c["path"]).resolve() for c in data["changes"] if c["kind"] == "deleted"}
    assert len(targets) > 50 and {t for t in targets if not t.is_file()} <= gone
    # Hostile text never becomes markup: no raw HTML, no extra heading, no table broken by a bar.
    assert "<img" not in md and "\n# heading" not in md and "**bold**" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    tables = [block for block in md.split("\n\n") if block.startswith("|")]
    for block in tables:
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block
    # Ids never appear where the repository knows a name (link targets and commands aside).
    shown = re.sub(r"\]\([^)]*\)|`[^`]*`", "", md)
    named = names_by_id(built)
    assert not [i for i in GUID.findall(shown) if i in named]


def test_out_folder_and_bad_since(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    r = run(built, "report", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "changes.svg",
        "objects.svg",
        "secure-score.svg",
    ]
    targets = re.findall(r"\]\(([^)]+\.yaml)\)", (out / "README.md").read_text())
    assert targets and (out / targets[0]).resolve().is_file()
    bad = run(built, "report", "--since", "2026-02-30")
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0 and "--since" in bad.output


def test_a_repository_without_a_backup_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    tenant, client = "0b5e2c1d-4a3f-4e6b-9d8c-7f1a2b3c4d5e", "7d1c5b2e-3f4a-4b6c-8d9e-0a1b2c3d4e5f"
    args = ["init", "--repo", str(root), "--tenant-id", tenant, "--client-id", client]
    assert CliRunner().invoke(cli, args, env={"ENTRAGIT_REPO": ""}).exit_code == 0
    r = CliRunner().invoke(cli, ["report", "--repo", str(root)], env={"ENTRAGIT_REPO": ""})
    assert r.exit_code == 1 and "has no backup yet" in r.output and r.output.count("\n") == 1
    assert not (root / "report").exists()
