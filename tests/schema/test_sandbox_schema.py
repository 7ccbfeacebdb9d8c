"""The sandbox's answers and tables against Microsoft's Graph v1.0 CSDL.

The sandbox stands in for Graph v1.0 in every other test, so what it serves must be what v1.0 can serve:
a beta-only property there would let entragit back up (and restore) what Graph never returns, and a
collection served as null would let it treat `null` and `[]` as two values where Graph has one (OData JSON
writes an empty collection as `[]`). Each backup's answers are recorded at the sandbox's request handler
(`wire.Recorder`), not as entragit's client reports them, and checked by `wire.response_findings`. The
sandbox itself never reads the CSDL (it must not depend on Microsoft's files at run time); its tables are
checked against it here instead.

Exceptions are listed once, in `DOCUMENTED`, each with its page; a test fails when one is no longer needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from live_helpers import cli_env
from msal_session import session_for

from entragit.cli import cli
from entragit.sandbox import schema as sandbox_schema
from entragit.sandbox.server import Sandbox

from . import csdl, wire
from .data import schema as load_schema

GRAPH = "microsoft.graph."
DOCUMENTED = wire.DOCUMENTED


@pytest.fixture(scope="module")
def schema() -> csdl.Schema:
    return load_schema()


def _backup(box: Sandbox, root: Path) -> None:
    env = cli_env(box)
    for args in (["init", "--tenant-id", box.tenant_id, "--client-id", box.client_id], ["backup"]):
        result = CliRunner().invoke(cli, [args[0], "--repo", str(root), *args[1:]], env=env)
        assert result.exit_code == 0, result.output


def _recorded_backup(box: Sandbox, root: Path) -> list[wire.Call]:
    recorder = wire.Recorder(box)
    _backup(box, root)
    reads = [c for c in recorder.calls if c.method == "GET" and c.status == 200]
    assert len(reads) > 10, "the backup read almost nothing: the recording missed it"
    return recorder.calls


def test_backup_of_the_demo_tenant_reads_only_v1_values(
    schema: csdl.Schema, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Everything a full backup of the default demo seed reads (lists, delta, items, links, deleted items,
    policies, reports, audit records) names v1.0 properties with values of their declared types."""
    calls = _recorded_backup(sandbox, tmp_path / "repo")
    assert wire.response_findings(schema, calls, DOCUMENTED) == []


def test_backup_of_a_generated_tenant_reads_only_v1_values(
    schema: csdl.Schema, sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """The `--users` generator makes every kind the demo has and more (synced users, Microsoft 365 groups,
    guests, deleted objects): its tenant's answers too."""
    calls = _recorded_backup(sandbox_factory(users=200), tmp_path / "repo")
    assert wire.response_findings(schema, calls, DOCUMENTED) == []


# A seed as a user writes one: the fewest properties, and collections left out or set to null.
SPARSE_SEED: dict[str, Any] = {
    "users": [
        {"displayName": "Sparse Sam"},
        {"displayName": "Null Nora", "otherMails": None, "imAddresses": None, "businessPhones": None},
    ],
    "groups": [
        {"displayName": "Sparse group"},
        {"displayName": "Null group", "groupTypes": None, "proxyAddresses": None},
    ],
    "applications": [
        {"displayName": "Sparse app"},
        {"displayName": "Null app", "tags": None, "identifierUris": None, "oauth2RequirePostResponse": None},
    ],
}


def _created(http: requests.Session, url: str, domain: str) -> None:
    """Objects made with the documented minimal POST bodies (user-post-users.md, group-post-groups.md,
    application-post-applications.md, serviceprincipal-post-serviceprincipals.md)."""
    bodies: list[tuple[str, dict[str, Any]]] = [
        (
            "users",
            {
                "accountEnabled": True,
                "displayName": "Posted Pat",
                "mailNickname": "posted.pat",
                "userPrincipalName": f"posted.pat@{domain}",
                "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"},
            },
        ),
        (
            "groups",
            {
                "displayName": "Posted group",
                "mailEnabled": False,
                "mailNickname": "posted",
                "securityEnabled": True,
            },
        ),
        ("applications", {"displayName": "Posted app"}),
    ]
    for path, body in bodies:
        r = http.post(f"{url}/{path}", json=body)
        assert r.status_code == 201, r.text
        if path == "applications":
            r = http.post(f"{url}/servicePrincipals", json={"appId": r.json()["appId"]})
            assert r.status_code == 201, r.text


def _default_reads(http: requests.Session, url: str) -> Iterator[str]:
    """Every collection the sandbox serves, read without $select (the default property set), and its first
    item."""
    for key in sandbox_schema.TYPES:
        if key in ("appRoleAssignments", "auditLogs/directoryAudits", "security/secureScores"):
            continue
        items = http.get(f"{url}/{key}").json().get("value") or []
        yield key
        if items and key not in ("organization", "subscribedSkus"):
            http.get(f"{url}/{key}/{items[0]['id']}")
    for key in sandbox_schema.SINGLETONS:
        http.get(f"{url}/{key}")


def test_unset_values_read_back_as_v1_values(
    schema: csdl.Schema, sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    """A hand-written seed leaves values out (or null), and objects created by POST carry only what was
    sent: unset collections still read back as [] and unset non-nullable values as their default, in a
    backup and in the default property sets."""
    box = sandbox_factory(seed=SPARSE_SEED)
    http = session_for(box)
    recorder = wire.Recorder(box)
    _created(http, box.base_url, box.tenant.domain)
    list(_default_reads(http, box.base_url))
    _backup(box, tmp_path / "repo")
    findings = wire.response_findings(schema, recorder.calls, DOCUMENTED)
    assert findings == [], "\n".join(findings)
    assert wire.write_findings(schema, recorder.calls, DOCUMENTED) == []


# -- the sandbox's own tables ---------------------------------------------------------------------------


def _entity(td: sandbox_schema.TypeDef) -> str:
    return f"{GRAPH}{td.entity}"


def _v1_properties(schema: csdl.Schema, td: sandbox_schema.TypeDef) -> dict[str, csdl.Prop]:
    """The type's properties, its derived types' included (a named location is an ip- or a
    countryNamedLocation)."""
    props: dict[str, csdl.Prop] = {}
    for name in (*reversed(schema.derived(_entity(td))), _entity(td)):
        props.update(schema.properties(name))
    return props


def _typed() -> list[sandbox_schema.TypeDef]:
    return [td for td in sandbox_schema.TYPES.values() if td.known is not None]


@pytest.mark.parametrize("td", _typed(), ids=lambda td: td.key)
def test_known_properties_are_v1_properties(schema: csdl.Schema, td: sandbox_schema.TypeDef) -> None:
    """`known` is what the sandbox accepts in writes and `$select`: a beta-only name there is accepted where
    Graph v1.0 answers 400."""
    props = _v1_properties(schema, td)
    names = {*(td.known or ()), *(td.default_select or ())} - {"@odata.type"}
    extra = {n for n in names if n not in props and (_entity(td), n) not in DOCUMENTED.properties}
    assert extra == set()


@pytest.mark.parametrize("td", _typed(), ids=lambda td: td.key)
def test_collections_and_defaults_follow_the_schema(schema: csdl.Schema, td: sandbox_schema.TypeDef) -> None:
    """`lists` names exactly the known collection properties (each read back as [] when unset); `defaults`
    only non-nullable single values, and every non-nullable boolean the type knows has one."""
    props = _v1_properties(schema, td)
    known = [props[n] for n in td.known or () if n in props and not props[n].navigation]
    assert td.lists == {p.name for p in known if p.collection}
    defaults = dict(td.defaults)
    assert all(not props[n].nullable and not props[n].collection for n in defaults)
    booleans = {p.name for p in known if p.type == "Edm.Boolean" and not p.nullable}
    assert booleans <= set(defaults) | set(td.required)


def test_nested_members_are_the_v1_members(schema: csdl.Schema) -> None:
    """The complex values whose members the sandbox checks in writes list exactly the v1.0 members."""
    for (_, path), (ctype, members) in sandbox_schema.NESTED_KNOWN.items():
        assert members == set(schema.properties(f"{GRAPH}{ctype}")), path


def test_every_documented_exception_is_still_needed(schema: csdl.Schema) -> None:
    for owner, name in DOCUMENTED.properties:
        assert name not in schema.properties(owner), f"{owner}.{name} is in the CSDL now"
    for path, _ in DOCUMENTED.paths:
        assert wire.resolve(schema, path) is None, f"{path} is typed by the CSDL now"
