"""The sandbox's permission table (`entragit/sandbox/permissions.py`) against Microsoft's permissions file.

The sandbox decides which application permissions admit each call; every other test (least privilege,
`entragit permissions`, the 403 hints) relies on that decision being Graph's. For each call the sandbox's
table covers (the calls entragit makes, its reports and audit reads, and every other row of the table), the
permission sets the sandbox admits are compared with those the file lists for the Application scheme
(`least`, `AlsoRequires` read as "and one of these"). A finding is a permission (or `A+B` pair) the sandbox
admits and the file does not list, or one the file lists that the sandbox refuses. Permissions the sandbox
does not know (agent identity, Intune, cross-cloud ones a tenant backup never holds) are out of scope unless
the file marks them least privileged for the call: a token in the sandbox cannot carry them.

Where the file and the doc page disagree (the page wins: docs/graph.md), the divergence is listed once in
`DOCUMENTED`, with its page; a test fails when an entry is no longer needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from entragit.catalog import CATALOG, REPORTS
from entragit.sandbox import permissions as sandbox

from . import permissions as perms_file
from .data import PERMISSIONS_FILE, require
from .test_catalog_schema import _calls


@dataclass(frozen=True)
class Documented:
    """A divergence from the file the doc page justifies. `kind`: "admits" (the sandbox admits `permission`,
    the file omits it), "refuses" (the file lists it, the page does not), "unlisted" (the file lists no
    Application permission for the call; the page's row is used and not compared)."""

    kind: str
    method: str
    path: str
    permission: str
    page: str
    why: str


_DIRECTORY_ALONE = (
    "the file lists Directory.Read.All alone (it is the AlsoRequires partner); the page's Application row is "
    "Application.ReadWrite.OwnedBy or Application.ReadWrite.All, each with Directory.Read.All, or "
    "Directory.ReadWrite.All"
)
_CA_WRITE = (
    "the file lists each permission alone; the page (and docs/graph.md) needs "
    "Policy.ReadWrite.ConditionalAccess and Policy.Read.All together to write a policy"
)
_NAMED_LOCATION_WRITE = (
    "the file lists the read permission Policy.Read.All beside Policy.ReadWrite.ConditionalAccess; writing a "
    "named location needs the write permission"
)

_APPLIES_TO_PAIRS = (
    "the file lists each permission alone; the page reads the policy's holders with \"Policy.Read.All and "
    'Application.Read.All" (or Policy.ReadWrite.ApplicationConfiguration and Application.Read.All)'
)
_APP_MANAGEMENT_PAIR = (
    "the file lists Application.Read.All and Policy.ReadWrite.ApplicationConfiguration each alone, for the "
    "application's POST only; the page assigns and removes on applications and service principals with "
    '"Application.Read.All and Policy.ReadWrite.ApplicationConfiguration"'
)
DOCUMENTED: tuple[Documented, ...] = (
    *(
        Documented(
            "refuses",
            "GET",
            f"policies/{kind}Policies/{{id}}/appliesTo",
            permission,
            f"{kind.lower()}policy-list-appliesto.md",
            _APPLIES_TO_PAIRS,
        )
        for kind in ("claimsMapping", "tokenIssuance", "tokenLifetime", "homeRealmDiscovery", "appManagement")
        for permission in (
            "Application.Read.All",
            "Policy.Read.All",
            "Policy.ReadWrite.ApplicationConfiguration",
        )
    ),
    *(
        Documented(
            "refuses",
            "POST",
            "applications/{ref}/appManagementPolicies/$ref",
            permission,
            "appmanagementpolicy-post-appliesto.md",
            _APP_MANAGEMENT_PAIR,
        )
        for permission in ("Application.Read.All", "Policy.ReadWrite.ApplicationConfiguration")
    ),
    *(
        Documented(
            "unlisted", method, path, "", "appmanagementpolicy-post-appliesto.md", _APP_MANAGEMENT_PAIR
        )
        for method, path in (
            ("DELETE", "applications/{ref}/appManagementPolicies/{id}/$ref"),
            ("POST", "servicePrincipals/{ref}/appManagementPolicies/$ref"),
            ("DELETE", "servicePrincipals/{ref}/appManagementPolicies/{id}/$ref"),
        )
    ),
    Documented(
        "unlisted",
        "POST",
        "groups/{id}/members/$ref",
        "",
        "group-post-members.md",
        "the file has no POST row for /groups/{id}/members; the page lists GroupMember.ReadWrite.All, "
        "Group.ReadWrite.All, Directory.ReadWrite.All",
    ),
    Documented(
        "unlisted",
        "GET",
        "directory/administrativeUnits/delta",
        "",
        "administrativeunit-delta.md",
        "the file names /administrativeUnits/delta; the page lists the administrative unit read permissions",
    ),
    *(
        Documented(
            "unlisted",
            method,
            path,
            "",
            "authenticationstrengthpolicy-get.md, authenticationstrengthroot-list-policies.md",
            "the file lists authentication strengths under policies/authenticationStrengthPolicies only",
        )
        for method, path in (
            ("GET", "identity/conditionalAccess/authenticationStrength/policies"),
            ("GET", "identity/conditionalAccess/authenticationStrength/policies/{id}"),
            ("POST", "identity/conditionalAccess/authenticationStrength/policies"),
            ("PATCH", "identity/conditionalAccess/authenticationStrength/policies/{id}"),
            ("DELETE", "identity/conditionalAccess/authenticationStrength/policies/{id}"),
            (
                "POST",
                "identity/conditionalAccess/authenticationStrength/policies/{id}/updateAllowedCombinations",
            ),
        )
    ),
    *(
        Documented(
            "refuses", "POST", f"{kind}/{{id}}/owners/$ref", "Directory.Read.All", page, _DIRECTORY_ALONE
        )
        for kind, page in (
            ("applications", "application-post-owners.md"),
            ("servicePrincipals", "serviceprincipal-post-owners.md"),
        )
    ),
    Documented(
        "refuses",
        "POST",
        "servicePrincipals/{id}/appRoleAssignedTo",
        "Directory.Read.All",
        "serviceprincipal-post-approleassignedto.md",
        "the file lists Directory.Read.All alone (it is an AlsoRequires partner); the page needs "
        "AppRoleAssignment.ReadWrite.All with it",
    ),
    *(
        Documented("unlisted", "GET", f"{kind}/$count", "", page, "$count counts the list: the list's row")
        for kind, page in (("users", "user-list.md"), ("groups", "group-list.md"))
    ),
    *(
        Documented("refuses", method, path, permission, page, _CA_WRITE)
        for method, path, page in (
            ("POST", "identity/conditionalAccess/policies", "conditionalaccessroot-post-policies.md"),
            ("PATCH", "identity/conditionalAccess/policies/{id}", "conditionalaccesspolicy-update.md"),
            ("DELETE", "identity/conditionalAccess/policies/{id}", "conditionalaccesspolicy-delete.md"),
        )
        for permission in ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "Application.Read.All")
        if method != "DELETE" or permission != "Application.Read.All"
    ),
    *(
        Documented("refuses", method, path, "Policy.Read.All", page, _NAMED_LOCATION_WRITE)
        for method, path, page in (
            (
                "POST",
                "identity/conditionalAccess/namedLocations",
                "conditionalaccessroot-post-namedlocations.md",
            ),
            ("PATCH", "identity/conditionalAccess/namedLocations/{id}", "namedlocation-update.md"),
            ("DELETE", "identity/conditionalAccess/namedLocations/{id}", "namedlocation-delete.md"),
        )
    ),
    *(
        Documented(
            kind,
            "DELETE",
            "identity/conditionalAccess/authenticationContextClassReferences/{id}",
            permission,
            "authenticationcontextclassreference-update.md",
            "the file's DELETE row names the read permission Policy.Read.ConditionalAccess where its PATCH "
            "row names Policy.ReadWrite.ConditionalAccess; a write needs the write permission",
        )
        for kind, permission in (
            ("refuses", "Policy.Read.ConditionalAccess"),
            ("admits", "Policy.ReadWrite.ConditionalAccess"),
        )
    ),
    *(
        Documented(
            "refuses",
            "POST",
            "directory/administrativeUnits/{id}/members/$ref",
            permission,
            "administrativeunit-post-members.md",
            "the file files creating a group inside the unit (POST .../members with a group body, which the "
            "sandbox does not serve) under the same path as adding a member by reference",
        )
        for permission in ("Group.Create", "Group.ReadWrite.All")
    ),
    Documented(
        "unlisted",
        "GET",
        "organization/{id}",
        "",
        "organization-get.md",
        "the file lists only Intune and User.Read.All rows for /organization/{id}; the page lists "
        "Organization.Read.All, Directory.Read.All, Organization.ReadWrite.All, Directory.ReadWrite.All",
    ),
    *(
        Documented("refuses", "GET", "organization", permission, "organization-list.md", why)
        for permission, why in (
            (
                "DeviceManagementServiceConfig.Read.All",
                "an Intune permission the file marks least privileged for Intune's use of /organization; the "
                "page's least privileged permission is Organization.Read.All",
            ),
            (
                "User.Read.All",
                "User.Read reads only id, displayName and verifiedDomains of the organization "
                "(includes/rbac-for-apis/rbac-organization-apis-read.md); a backup needs all properties",
            ),
        )
    ),
    *(
        Documented(
            "refuses",
            method,
            path,
            permission,
            page,
            "an Intune permission the file lists for Intune's pages on this path (intune-*-user-*.md, "
            "intune-*-organization-*.md); the page the sandbox follows lists User.* / Organization.* "
            "permissions only",
        )
        for method, path, page, permissions in (
            ("GET", "organization", "organization-get.md", ("Read", "ReadWrite")),
            ("GET", "users", "user-list.md", ("Read", "ReadWrite")),
            ("GET", "users/{id}", "user-get.md", ("Read", "ReadWrite")),
            ("POST", "users", "user-post-users.md", ("ReadWrite",)),
            ("PATCH", "users/{id}", "user-update.md", ("ReadWrite",)),
            ("DELETE", "users/{id}", "user-delete.md", ("ReadWrite",)),
        )
        for permission in (f"DeviceManagementConfiguration.{p}.All" for p in permissions)
    ),
    *(
        Documented(
            "admits",
            "GET",
            f"policies/{path}",
            permission,
            "policyroot-list-rolemanagementpolicies.md",
            "the file lists the RoleManagementPolicy permissions as delegated only; the page's Application "
            "row for Entra roles starts with RoleManagementPolicy.Read.Directory and lists "
            "RoleManagementPolicy.ReadWrite.Directory",
        )
        for path in (
            "roleManagementPolicies",
            "roleManagementPolicies/{id}",
            "roleManagementPolicies/{id}/rules",
            "roleManagementPolicies/{id}/rules/{id}",
            "roleManagementPolicyAssignments",
            "roleManagementPolicyAssignments/{id}",
        )
        for permission in ("RoleManagementPolicy.Read.Directory", "RoleManagementPolicy.ReadWrite.Directory")
    ),
    *(
        Documented(
            "admits",
            "GET",
            f"policies/{path}",
            permission,
            "policyroot-list-rolemanagementpolicies.md",
            "the file has no RoleManagementPolicy.*.AzureADGroup permission; the page's row "
            '"For PIM for groups" lists them for settings whose scope is a group (sandbox/pim.py admits them '
            "for those only)",
        )
        for path in (
            "roleManagementPolicies",
            "roleManagementPolicies/{id}",
            "roleManagementPolicies/{id}/rules",
            "roleManagementPolicies/{id}/rules/{id}",
            "roleManagementPolicyAssignments",
            "roleManagementPolicyAssignments/{id}",
        )
        for permission in (
            "RoleManagementPolicy.Read.AzureADGroup",
            "RoleManagementPolicy.ReadWrite.AzureADGroup",
        )
    ),
    *(
        Documented(
            "refuses",
            "GET",
            path,
            "RoleManagement.Read.All",
            "policyroot-list-rolemanagementpolicyassignments.md",
            "the page lists RoleManagement.Read.All as well; the sandbox knows no RoleManagement.Read.All "
            "(its tokens never carry it: admitting it here would make it a permission every role "
            "management read row must then list), and entragit reads with RoleManagement.Read.Directory",
        )
        for path in (
            "policies/roleManagementPolicyAssignments",
            "policies/roleManagementPolicyAssignments/{id}",
        )
    ),
    Documented(
        "unlisted",
        "PATCH",
        "policies/roleManagementPolicies/{id}/rules/{id}",
        "",
        "unifiedrolemanagementpolicyrule-update.md",
        "the file lists only delegated permissions; the page (learn.microsoft.com, 2026) lists Application "
        "RoleManagementPolicy.ReadWrite.Directory and RoleManagement.ReadWrite.Directory for Entra roles",
    ),
    Documented(
        "refuses",
        "GET",
        "auditLogs/directoryAudits",
        "Directory.Read.All",
        "directoryaudit-list.md",
        "the page's Application row is AuditLog.Read.All; the file adds Directory.Read.All, which reads the "
        "directory, not its audit log",
    ),
)


def _calls_covered() -> list[tuple[str, str]]:
    """Every call the sandbox's table covers, as a concrete (method, path): entragit's calls first (they
    reach the `**` rows), then each plain row of the table."""
    calls: list[tuple[str, str]] = []
    for t in CATALOG:
        reads, writes = _calls(t)
        calls += reads + writes
    calls += [("GET", r.path) for r in REPORTS] + [("GET", "auditLogs/directoryAudits")]
    calls += [(r.method, r.template) for r in sandbox.RULES if r.method != "*" and "**" not in r.template]
    unique = {(m, perms_file.normalize(p)): (m, p) for m, p in reversed(calls)}  # the first spelling
    return [c for c in reversed(unique.values()) if sandbox.rule_for(*c) is not None]


def _admitted_by_file(grants: dict[str, perms_file.Grant], held: set[str]) -> bool:
    return any(
        name in held and (not g.also_requires or bool(set(g.also_requires) & held))
        for name, g in grants.items()
    )


def _admitted_by_sandbox(rule: sandbox.Rule, held: set[str]) -> bool:
    return sandbox.satisfied(rule.alternatives, sandbox.effective(held))


def _candidates(rule: sandbox.Rule, grants: dict[str, perms_file.Grant]) -> list[frozenset[str]]:
    """Permission sets to try: each single permission in scope, then each pair either side names."""
    known = set(sandbox.ALL_PERMISSIONS) | {n for n, g in grants.items() if g.least}
    singles = [frozenset({p}) for p in sorted(known | set(grants)) if p in known]
    pairs = {frozenset(alt.split("+")) for alt in rule.alternatives if "+" in alt}
    pairs |= {frozenset({n, a}) for n, g in grants.items() for a in g.also_requires if n in known}
    return singles + sorted(pairs, key=sorted)


def _findings(granted: perms_file.Permissions, used: set[Documented]) -> list[str]:
    findings: list[str] = []
    for method, path in _calls_covered():
        rule = sandbox.rule_for(method, path)
        assert rule is not None
        docs = [
            d
            for d in DOCUMENTED
            if d.method == method and perms_file.normalize(d.path) == perms_file.normalize(path)
        ]
        grants = granted.granting(method, path)
        unlisted = [d for d in docs if d.kind == "unlisted"]
        if unlisted:
            used.update(unlisted)
            continue
        if not grants:
            findings.append(f"{method} {path}: the file lists no Application permission ({rule.page})")
            continue
        for held in _candidates(rule, grants):
            mine, theirs = _admitted_by_sandbox(rule, set(held)), _admitted_by_file(grants, set(held))
            if mine == theirs or (len(held) > 1 and any(_admitted_by_file(grants, {p}) for p in held)):
                continue
            kind, name = ("admits" if mine else "refuses"), "+".join(sorted(held))
            doc = next(
                (d for d in docs if d.kind == kind and "+".join(sorted(d.permission.split("+"))) == name),
                None,
            )
            if doc is not None:
                used.add(doc)
            else:
                findings.append(f"{method} {path}: the sandbox {kind} {name} ({rule.page})")
    return findings


@pytest.fixture(scope="module")
def granted() -> perms_file.Permissions:
    return perms_file.load(require(PERMISSIONS_FILE))


def test_every_row_of_the_table_is_checked() -> None:
    """A `**` or `*` row that no call reaches would escape the comparison."""
    reached = {sandbox.rule_for(*c) for c in _calls_covered()}
    assert [f"{r.method} {r.template}" for r in sandbox.RULES if r not in reached] == []


def test_sandbox_admits_what_microsoft_lists(granted: perms_file.Permissions) -> None:
    """Each call the sandbox serves admits exactly the application permissions Microsoft's file lists for it
    (single ones and `AlsoRequires` pairs), but for the documented exceptions."""
    assert _findings(granted, set()) == []


def test_every_documented_exception_is_still_needed(granted: perms_file.Permissions) -> None:
    used: set[Documented] = set()
    _findings(granted, used)
    assert [d for d in DOCUMENTED if d not in used] == []
