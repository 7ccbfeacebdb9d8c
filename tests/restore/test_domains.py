"""Domains back from the backup: changed settings (the default domain, the password policy) and the federation
configuration are written back (PATCH; POST, PATCH or DELETE of the configuration, which makes the domain
Federated or Managed again), and a deleted domain, which only DNS verification brings back, is refused by name
in the plan: nothing is written for it and the restore exits 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from restore_env import Env, git, make_env

INITIAL = "contoso.onmicrosoft.com"
CUSTOM = "contoso.com"
FEDERATED = "contoso-acquired.com"
FED = "federationConfiguration"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def _file(env: Env, name: str) -> dict:
    return dict(yaml.safe_load((env.root / f"domains/{name}.yaml").read_text()))


def _configuration(env: Env, name: str) -> dict:
    items = env.graph("GET", f"domains/{name}/{FED}")["value"]
    assert len(items) == 1, items
    return dict(items[0])


def test_backup_keeps_each_domain_with_its_federation_configuration(env: Env) -> None:
    assert sorted(p.name for p in (env.root / "domains").iterdir()) == [
        f"{FEDERATED}.yaml",
        f"{CUSTOM}.yaml",
        f"{INITIAL}.yaml",
    ]
    federated = _file(env, FEDERATED)
    assert federated["authenticationType"] == "Federated"
    [kept] = federated[FED]
    live = _configuration(env, FEDERATED)
    # Graph's id and its certificate rollover status are not kept: the file is the configuration alone
    assert "id" not in kept and "signingCertificateUpdateStatus" not in kept
    assert kept["signingCertificate"] == live["signingCertificate"]
    assert kept["issuerUri"] == live["issuerUri"]
    assert _file(env, CUSTOM)[FED] == [] and _file(env, INITIAL)["isDefault"] is True

    # an incremental backup re-lists the domains and records a swapped signing certificate
    env.graph("PATCH", f"domains/{FEDERATED}/{FED}/{live['id']}", {"signingCertificate": "MIIEswapped"})
    env.ok("backup")
    assert _file(env, FEDERATED)[FED][0]["signingCertificate"] == "MIIEswapped"
    out = env.ok("versions", f"domains/{FEDERATED}.yaml").output
    assert "federationConfiguration" in out, out
    shown = env.ok("compare", f"domains/{FEDERATED}.yaml", env.baseline, "HEAD").output
    assert "MIIEswapped" in shown, shown


def test_changed_settings_and_federation_are_written_back(env: Env) -> None:
    env.graph("PATCH", f"domains/{CUSTOM}", {"isDefault": True, "passwordValidityPeriodInDays": 30})
    env.graph("PATCH", f"domains/{CUSTOM}", {"supportedServices": ["Email", "Intune"]})
    live = _configuration(env, FEDERATED)
    env.graph(
        "PATCH",
        f"domains/{FEDERATED}/{FED}/{live['id']}",
        {"signingCertificate": "MIIEattacker", "federatedIdpMfaBehavior": "enforceMfaByFederatedIdp"},
    )
    plan = env.plan()
    changed = {a["path"]: (a["action"], [c["path"] for c in a["changes"]]) for a in plan["actions"]}
    # the initial domain is made the default again; contoso.com's isDefault false is what that true
    # leaves, not a write of its own (Graph has one default domain)
    assert changed[f"domains/{INITIAL}.yaml"] == ("update", ["isDefault"])
    action, props = changed[f"domains/{CUSTOM}.yaml"]
    assert action == "update" and sorted(props) == ["passwordValidityPeriodInDays", "supportedServices"]
    assert changed[f"domains/{FEDERATED}.yaml"][0] == "link"  # the configuration PATCHed
    env.restore("--all")
    assert env.graph("GET", f"domains/{INITIAL}")["isDefault"] is True
    custom = env.graph("GET", f"domains/{CUSTOM}")
    assert custom["isDefault"] is False and custom["passwordValidityPeriodInDays"] == 365
    assert sorted(custom["supportedServices"]) == ["Email", "Intune", "OfficeCommunicationsOnline"]
    back = _configuration(env, FEDERATED)
    assert back["id"] == live["id"]  # updated in place, not recreated
    assert back["signingCertificate"] == live["signingCertificate"]
    assert back["federatedIdpMfaBehavior"] == "acceptIfMfaDoneByFederatedIdp"
    env.assert_empty()


def test_deleted_federation_configuration_is_created_again(env: Env) -> None:
    """Deleting the configuration makes the domain Managed; POSTing it back makes it Federated again."""
    before = _configuration(env, FEDERATED)
    env.graph("DELETE", f"domains/{FEDERATED}/{FED}/{before['id']}")
    assert env.graph("GET", f"domains/{FEDERATED}")["authenticationType"] == "Managed"
    env.ok("backup")
    env.restore(f"domains/{FEDERATED}.yaml", "--at", env.baseline)
    assert env.graph("GET", f"domains/{FEDERATED}")["authenticationType"] == "Federated"
    after = _configuration(env, FEDERATED)
    assert {k: v for k, v in after.items() if k not in ("id", "signingCertificateUpdateStatus")} == {
        k: v for k, v in before.items() if k not in ("id", "signingCertificateUpdateStatus")
    }
    env.assert_empty("--at", env.baseline)


def test_a_domain_federated_since_is_managed_again(env: Env) -> None:
    """An attacker federates a managed domain with an IdP of their own: the restore deletes the configuration
    the revision lacks, which makes the domain Managed again."""
    body = {
        "displayName": "Not ours",
        "issuerUri": "http://evil.example/adfs/services/trust",
        "passiveSignInUri": "https://evil.example/adfs/ls",
        "signingCertificate": "MIIEevil",
        "preferredAuthenticationProtocol": "saml",
    }
    env.graph("POST", f"domains/{CUSTOM}/{FED}", body)
    env.restore("--all")
    assert env.graph("GET", f"domains/{CUSTOM}")["authenticationType"] == "Managed"
    r = env.http.get(f"{env.box.graph_url}/v1.0/domains/{CUSTOM}/{FED}")
    assert r.status_code == 404, r.text
    env.assert_empty()


def test_deleted_domain_is_refused_naming_the_dns_verification(env: Env) -> None:
    env.graph("DELETE", f"domains/{FEDERATED}")
    env.ok("backup")
    plan = env.plan("--at", env.baseline)
    [action] = [a for a in plan["actions"] if a["path"] == f"domains/{FEDERATED}.yaml"]
    assert action["action"] == "refuse"
    assert f"add {FEDERATED}" in action["reason"]
    assert f"GET /domains/{FEDERATED}/verificationDnsRecords" in action["reason"]
    assert f"POST /domains/{FEDERATED}/verify" in action["reason"]
    head = git(env, "rev-parse", "HEAD")
    r = env.run("restore", "--yes", "--all", "--at", env.baseline)
    assert r.exit_code == 1, r.output
    assert f"domains/{FEDERATED}.yaml ({FEDERATED})" in r.output
    # nothing written for it: no domain, no configuration, no restore commit
    gone = env.http.get(f"{env.box.graph_url}/v1.0/domains/{FEDERATED}")
    assert gone.status_code == 404
    assert git(env, "rev-parse", "HEAD") == head


def test_report_calls_out_a_swapped_signing_certificate(env: Env) -> None:
    """A domain's federation decides who signs its users in: the report lists its changes with the
    tenant-wide security settings, setting by setting."""
    live = _configuration(env, FEDERATED)
    env.graph(
        "PATCH",
        f"domains/{FEDERATED}/{FED}/{live['id']}",
        {"federatedIdpMfaBehavior": "rejectMfaByFederatedIdp"},
    )
    env.ok("backup")
    data = json.loads(env.ok("report", "--json").output)
    flagged = [c for c in data["changes"] if c["security"]]
    assert [(c["type"], c["kind"], c["name"]) for c in flagged] == [("domains", "changed", FEDERATED)]
    assert any(
        "federatedIdpMfaBehavior" in s and "rejectMfaByFederatedIdp" in s for s in flagged[0]["security"]
    )
