"""The report's pieces on their own: a policy in words, Markdown escaping, charts at their edges.

The policy values follow Graph's documentation: conditionalaccessusers.md (includeUsers `All`,
`GuestsOrExternalUsers`; includeGuestsOrExternalUsers), conditionalaccessapplications.md (`Office365`,
`MicrosoftAdminPortals`, includeUserActions `urn:user:registersecurityinfo`), conditionalaccesslocations.md
(`AllTrusted`), conditionalaccessgrantcontrols.md (builtInControls, operator, authenticationStrength) and
signinfrequencysessioncontrol.md (frequencyInterval `everyTime`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from entragit.report import svg
from entragit.report.conditional_access import Namer, describe
from entragit.report.markdown import code, text

NAMES = {"u1": "Ana Ruiz", "g1": "Finance", "r1": "Global Administrator", "loc1": "Paris office", "bg": "BG"}
NAMER = Namer(
    name=lambda i: NAMES.get(i, i),
    app=lambda a: {"app-1": "Payroll Sync"}.get(a, a),
    break_glass=lambda i: i == "bg",
)


def test_a_policy_reads_as_who_which_apps_when_and_what() -> None:
    policy = {
        "id": "p1",
        "displayName": "Guests: MFA and compliant device",
        "state": "enabledForReportingButNotEnforced",
        "conditions": {
            "users": {
                "includeUsers": ["GuestsOrExternalUsers", "u1"],
                "includeGroups": ["g1"],
                "includeRoles": ["r1"],
                "excludeUsers": ["bg"],
                "excludeGroups": [],
                "includeGuestsOrExternalUsers": {
                    "guestOrExternalUserTypes": "b2bCollaborationGuest,internalGuest"
                },
            },
            "applications": {
                "includeApplications": ["Office365", "app-1"],
                "excludeApplications": ["MicrosoftAdminPortals"],
                "includeUserActions": ["urn:user:registersecurityinfo"],
            },
            "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"],
            "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted", "loc1"]},
            "platforms": {"includePlatforms": ["android", "iOS"], "excludePlatforms": []},
            "signInRiskLevels": ["high", "medium"],
        },
        "grantControls": {
            "operator": "AND",
            "builtInControls": ["mfa", "compliantDevice"],
            "authenticationStrength": {"id": "s1", "displayName": "Phishing-resistant MFA"},
        },
        "sessionControls": {
            "signInFrequency": {"isEnabled": True, "frequencyInterval": "everyTime"},
            "persistentBrowser": {"isEnabled": True, "mode": "never"},
        },
    }
    p = describe(policy, "identity/conditionalAccess/policies/p1.yaml", NAMER)
    assert p.report_only and p.state.startswith("report-only")
    assert p.applies_to == [
        "guests and external users",
        "Ana Ruiz",
        "members of Finance",
        "holders of Global Administrator",
        "external users (b2bCollaborationGuest, internalGuest)",
    ]
    assert p.excludes == ["BG"] and p.break_glass_excluded == ["BG"]
    assert p.applications == [
        "Office 365",
        "Payroll Sync",
        "except Microsoft admin portals",
        "registering security information",
    ]
    assert "client apps: browsers, mobile apps and desktop clients" in p.conditions
    assert "locations: any location except all trusted locations, Paris office" in p.conditions
    assert "platforms: android, iOS" in p.conditions
    assert "sign-in risk: high, medium" in p.conditions
    assert p.requires == (
        "requires multifactor authentication and a device marked compliant and "
        "authentication strength Phishing-resistant MFA"
    )
    assert p.session == ["sign in again every time", "persistent browser sessions: never"]


def test_block_wins_and_or_reads_as_or() -> None:
    base = {"id": "p", "displayName": "x", "state": "enabled", "conditions": {}}
    blocked = describe({**base, "grantControls": {"builtInControls": ["block"]}}, "p.yaml", NAMER)
    assert blocked.requires == "blocks access" and blocked.state == "on" and not blocked.report_only
    either = {"operator": "OR", "builtInControls": ["mfa", "passwordChange"]}
    assert describe({**base, "grantControls": either}, "p.yaml", NAMER).requires == (
        "requires multifactor authentication or a password change"
    )
    session_only = describe({**base, "grantControls": None}, "p.yaml", NAMER)
    assert session_only.requires == "grants access (no grant control)"


def test_markdown_text_is_inert_whatever_the_name() -> None:
    hostile = "a|b <script>x</script> **y** [l](http://e) ![i](x)\n# h\r\n| c\x00`d`\u2028e $m$"
    out = text(hostile)
    assert "\n" not in out and "\r" not in out and "\x00" not in out and "\u2028" not in out
    assert "<" not in out and ">" not in out
    assert not re.search(r"(?<!\\)[|*\[\]`!$]", out)  # every Markdown character is escaped
    assert text("Ana & Ben") == "Ana &amp; Ben"
    assert code("entragit restore users/ab/x.yaml") == "`entragit restore users/ab/x.yaml`"
    assert code("a `b` c") == "`` a `b` c ``"


def test_charts_without_data_and_with_hostile_labels_stay_valid_svg() -> None:
    empty = ET.fromstring(svg.line_chart("Score", "points", []).encode())
    assert "no data yet" in ET.tostring(empty, encoding="unicode")
    bars = svg.bar_chart("C & <D>", "n", [date(2026, 1, 1), date(2026, 1, 2)], [("<x>&", [0, 3])])
    root = ET.fromstring(bars.encode())
    points = [e for e in root.iter() if e.get("class") == "point"]
    assert len(points) == 1  # an empty day draws nothing, but keeps its slot
    assert points[0].findtext("{http://www.w3.org/2000/svg}title") == "<x>&: 3 on 2026-01-02"


def test_a_soft_deleted_object_past_its_30_days_is_marked() -> None:
    from entragit.report.markdown import render
    from entragit.report.model import Charts, Deleted, Report

    def deleted(name: str, when: str, until: str) -> Deleted:
        path = f"users/ab/{name}.yaml"
        return Deleted("users", name, path, True, when, until, f"entragit restore {path}")

    report = Report(
        tenant="Contoso",
        as_of="2026-11-04T02:00:00Z",
        since="2026-10-05",
        last_backup={"commit": "abc", "date": "2026-11-04T02:00:00Z", "complete": True, "failedTypes": []},
        objects=[],
        seats=None,
        score=None,
        charts=Charts([], {}, [], {}),
        changes=[],
        changes_total=0,
        deleted=[
            deleted("recent", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            deleted("old", "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"),
        ],
        policies=[],
        privileged=[],
        credentials=[],
    )
    md = render(report, "../")
    assert "| 2026-12-01 | `entragit restore users/ab/recent.yaml` |" in md
    assert "| 2026-10-01 (passed: purged by now) | `entragit restore users/ab/old.yaml` |" in md
