"""Domains and their federation configuration over raw HTTP, as the v1.0 pages document them
(api-reference/v1.0/: resources/domain.md, api/domain-list.md, domain-get.md, domain-update.md,
domain-delete.md; resources/internaldomainfederation.md, api/domain-list-federationconfiguration.md,
domain-post-federationconfiguration.md, internaldomainfederation-get.md, -update.md, -delete.md) and, where
the pages are silent, the field reports docs/graph.md (Domains) names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from entragit.sandbox.domains import demo_domains

from .api_helpers import DOMAIN, Graph, assert_error, base_seed, user

CUSTOM = "contoso.com"
FEDERATED = "contoso-acquired.com"
FED = "federationConfiguration"
NEW_FEDERATION = {
    "@odata.type": "#microsoft.graph.internalDomainFederation",
    "displayName": "Contoso",
    "issuerUri": "http://contoso.com/adfs/services/trust",
    "metadataExchangeUri": "https://sts.contoso.com/adfs/services/trust/mex",
    "signingCertificate": "MIIE3jCCAsagAwIBAgIQQcyDaZz3MI",
    "passiveSignInUri": "https://sts.contoso.com/adfs/ls",
    "preferredAuthenticationProtocol": "wsFed",
    "federatedIdpMfaBehavior": "rejectMfaByFederatedIdp",
}


def _seed(**extra: Any) -> dict[str, Any]:
    seed: dict[str, Any] = base_seed()
    seed["domains"] = demo_domains(DOMAIN)
    seed.update(extra)
    return seed


def _graph(graph_factory: Callable[..., Graph], **kwargs: Any) -> Graph:
    return graph_factory(_seed(), **kwargs)


def _verified_domains(g: Graph) -> dict[str, dict[str, Any]]:
    org = g.get("organization").json()["value"][0]
    return {d["name"]: d for d in org["verifiedDomains"]}


def test_list_and_get_domains(graph_factory: Callable[..., Graph]) -> None:
    """domain-list.md, domain-get.md: the domains keyed by their name, each with authenticationType,
    isDefault, isInitial, isRoot, isVerified, the password policy and supportedServices; the federation
    configuration is a navigation property, never inline (resources/domain.md); $select cuts the answer."""
    g = _graph(graph_factory)
    listed = {d["id"]: d for d in g.get("domains").json()["value"]}
    assert sorted(listed) == sorted([DOMAIN, CUSTOM, FEDERATED])
    assert listed[DOMAIN]["isInitial"] is True and listed[DOMAIN]["isDefault"] is True
    assert listed[FEDERATED]["authenticationType"] == "Federated"
    assert listed[CUSTOM]["authenticationType"] == "Managed"
    assert all(FED not in d for d in listed.values())
    got = g.get(f"domains/{CUSTOM.upper()}").json()
    assert got["id"] == CUSTOM and got["passwordValidityPeriodInDays"] == 365
    selected = g.get("domains", {"$select": "id,isDefault"}).json()["value"]
    assert all(set(d) == {"id", "isDefault"} for d in selected)
    assert_error(g.get("domains/nowhere.example"), 404, "Request_ResourceNotFound")


def test_update_domain_settings(graph_factory: Callable[..., Graph]) -> None:
    """domain-update.md: PATCH, 204; the example sets isDefault and supportedServices. resources/domain.md:
    one default domain per company (making one default takes it from the other), supportedServices values
    Graph adds or removes are Email, OfficeCommunicationsOnline and Yammer, id/isInitial/isRoot/isVerified/
    isAdminManaged describe the domain and are not written. The organization's verifiedDomains follow."""
    g = _graph(graph_factory)
    r = g.patch(f"domains/{CUSTOM}", {"isDefault": True, "passwordValidityPeriodInDays": 180})
    assert r.status_code == 204, r.text
    assert g.get(f"domains/{CUSTOM}").json()["isDefault"] is True
    assert g.get(f"domains/{DOMAIN}").json()["isDefault"] is False
    assert g.get(f"domains/{CUSTOM}").json()["passwordValidityPeriodInDays"] == 180
    assert _verified_domains(g)[CUSTOM]["isDefault"] is True
    services = ["Email", "OfficeCommunicationsOnline", "Intune", "Yammer"]
    assert g.patch(f"domains/{CUSTOM}", {"supportedServices": services}).status_code == 204
    assert_error(g.patch(f"domains/{CUSTOM}", {"supportedServices": ["Email"]}), 400, "Request_BadRequest")
    assert_error(g.patch(f"domains/{CUSTOM}", {"isDefault": False}), 400, "Request_BadRequest")
    for prop, value in (("isVerified", False), ("isInitial", True), ("isRoot", False), ("id", "x.com")):
        assert_error(g.patch(f"domains/{DOMAIN}", {prop: value}), 400, "Request_BadRequest")
    assert_error(g.patch(f"domains/{CUSTOM}", {"passwordValidityPeriodInDays": "long"}), 400, "BadRequest")


def test_authentication_type_follows_the_federation_configuration(
    graph_factory: Callable[..., Graph],
) -> None:
    """domain-list-federationconfiguration.md: one object for a federated domain, 404 for one without;
    domain-post-federationconfiguration.md: 201 with the object (its id Graph's); internaldomainfederation-
    update.md: 200 with the updated object; -delete.md: 204. Creating the configuration makes the domain
    Federated and deleting it Managed (microsoft-graph-docs#21881); a PATCH of authenticationType to
    Federated is refused (microsoft-graph-docs#5401)."""
    g = _graph(graph_factory)
    assert_error(g.get(f"domains/{CUSTOM}/{FED}"), 404, "Request_ResourceNotFound")
    assert_error(g.patch(f"domains/{CUSTOM}", {"authenticationType": "Federated"}), 400, "Request_BadRequest")
    r = g.post(f"domains/{CUSTOM}/{FED}", NEW_FEDERATION)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["id"] and created["issuerUri"] == NEW_FEDERATION["issuerUri"]
    assert created["@odata.type"] == "#microsoft.graph.internalDomainFederation"
    assert g.get(f"domains/{CUSTOM}").json()["authenticationType"] == "Federated"
    assert _verified_domains(g)[CUSTOM]["type"] == "Federated"
    listed = g.get(f"domains/{CUSTOM}/{FED}").json()["value"]
    assert [c["id"] for c in listed] == [created["id"]]
    item = f"domains/{CUSTOM}/{FED}/{created['id']}"
    r = g.patch(
        item,
        {"displayName": "Contoso name change", "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["displayName"] == "Contoso name change"
    assert g.get(item).json()["federatedIdpMfaBehavior"] == "acceptIfMfaDoneByFederatedIdp"
    assert g.delete(item).status_code == 204
    assert g.get(f"domains/{CUSTOM}").json()["authenticationType"] == "Managed"
    assert_error(g.get(f"domains/{CUSTOM}/{FED}"), 404, "Request_ResourceNotFound")


def test_federation_configuration_writes_are_judged(graph_factory: Callable[..., Graph]) -> None:
    """The create and update pages' values: federatedIdpMfaBehavior, promptLoginBehavior and
    preferredAuthenticationProtocol are enumerations; a property outside the tables is refused; one
    configuration per domain (domain-list-federationconfiguration.md); a configuration needs its signing
    certificate (microsoft-graph-docs-contrib#1389); a PATCH of authenticationType to Managed defederates
    (migrate-from-federation-to-cloud-authentication: Update-MgDomain -AuthenticationType Managed)."""
    g = _graph(graph_factory)
    existing = g.get(f"domains/{FEDERATED}/{FED}").json()["value"][0]
    item = f"domains/{FEDERATED}/{FED}/{existing['id']}"
    assert_error(g.patch(item, {"promptLoginBehavior": "sometimes"}), 400, "Request_BadRequest")
    assert_error(g.patch(item, {"supportsMfa": True}), 400, "Request_BadRequest")
    assert_error(g.post(f"domains/{FEDERATED}/{FED}", NEW_FEDERATION), 409, "Request_BadRequest")
    no_certificate = {k: v for k, v in NEW_FEDERATION.items() if k != "signingCertificate"}
    assert_error(g.post(f"domains/{CUSTOM}/{FED}", no_certificate), 400, "Request_BadRequest")
    bad_protocol = dict(NEW_FEDERATION, preferredAuthenticationProtocol="kerberos")
    assert_error(g.post(f"domains/{CUSTOM}/{FED}", bad_protocol), 400, "Request_BadRequest")
    assert g.patch(f"domains/{FEDERATED}", {"authenticationType": "Managed"}).status_code == 204
    assert g.get(f"domains/{FEDERATED}").json()["authenticationType"] == "Managed"
    assert_error(g.get(f"domains/{FEDERATED}/{FED}"), 404, "Request_ResourceNotFound")


def test_delete_domain(graph_factory: Callable[..., Graph]) -> None:
    """domain-delete.md: 204, "Deleted domains are not recoverable"; "Attempts to delete will fail if there
    are any resources or objects still dependent on the domain" (a user signing in with it); the default and
    the initial domain stay."""
    seed = _seed()
    seed["users"].append(user(90, userPrincipalName=f"pat@{CUSTOM}", mail=f"pat@{CUSTOM}"))
    g = graph_factory(seed)
    assert_error(g.delete(f"domains/{CUSTOM}"), 400, "Request_BadRequest")
    assert_error(g.delete(f"domains/{DOMAIN}"), 400, "Request_BadRequest")
    assert g.delete(f"domains/{FEDERATED}").status_code == 204
    assert_error(g.get(f"domains/{FEDERATED}"), 404, "Request_ResourceNotFound")
    assert_error(g.get(f"domains/{FEDERATED}/{FED}"), 404, "Request_ResourceNotFound")
    assert FEDERATED not in _verified_domains(g)


def test_permissions(graph_factory: Callable[..., Graph]) -> None:
    """domain-list.md: Domain.Read.All; domain-list-federationconfiguration.md (2025-11): the federation
    configuration takes Domain-InternalFederation.Read.All (or its ReadWrite form), no longer Domain.Read.All;
    domain-update.md: Domain.ReadWrite.All."""
    reader = _graph(graph_factory, permissions=["Domain.Read.All"])
    assert reader.get("domains").status_code == 200
    assert_error(reader.get(f"domains/{FEDERATED}/{FED}"), 403, "Authorization_RequestDenied")
    assert_error(reader.patch(f"domains/{CUSTOM}", {"isDefault": True}), 403, "Authorization_RequestDenied")
    both = _graph(graph_factory, permissions=["Domain.Read.All", "Domain-InternalFederation.Read.All"])
    assert both.get(f"domains/{FEDERATED}/{FED}").status_code == 200
    assert_error(both.post(f"domains/{CUSTOM}/{FED}", NEW_FEDERATION), 403, "Authorization_RequestDenied")
