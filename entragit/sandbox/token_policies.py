"""The demo tenant's token and sign-in policies and the apps they apply to.

A policy is assigned through a `$ref` on the application or service principal
(schema.APPLICATION_POLICY_LINKS, SERVICE_PRINCIPAL_POLICY_LINKS), so the seed puts each policy's id in its
holder's navigation and the tenant builds the links from there. The definitions follow the examples of each
resource page (resources/tokenlifetimepolicy.md, claimsmappingpolicy.md, homerealmdiscoverypolicy.md,
tokenissuancepolicy.md; appmanagementpolicy-post.md for the restrictions).
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

Obj = dict[str, Any]


def _sts(oid: str, name: str, kind: str, rules: Obj, default: bool = False) -> Obj:
    return {
        "id": oid,
        "deletedDateTime": None,
        "definition": [json.dumps({kind: {"Version": 1, **rules}}, separators=(",", ":"))],
        "description": None,
        "displayName": name,
        "isOrganizationDefault": default,
    }


def seed(tenant_id: str, apps: list[Obj], sps: list[Obj]) -> dict[str, list[Obj]]:
    """One policy of each kind; the token lifetime, token issuance and app management policies applied to
    the first application, the claims mapping and home realm discovery policies to the first service
    principal, the app management policy to it as well (a policy may apply to both kinds of holder). Their
    ids are their own (uuid5 of the tenant), so that the rest of a generated tenant is as before."""
    counter = itertools.count()

    def new_id() -> str:
        return str(uuid.uuid5(uuid.UUID(tenant_id), f"token-policy:{next(counter)}"))

    lifetime = _sts(
        new_id(), "Short access tokens", "TokenLifetimePolicy", {"AccessTokenLifetime": "01:00:00"}
    )
    issuance = _sts(
        new_id(),
        "Signed SAML assertions",
        "TokenIssuancePolicy",
        {
            "SigningAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "TokenResponseSigningPolicy": "TokenOnly",
            "SamlTokenVersion": "2.0",
        },
    )
    claims = _sts(
        new_id(),
        "Employee id in tokens",
        "ClaimsMappingPolicy",
        {
            "IncludeBasicClaimSet": "true",
            "ClaimsSchema": [{"Source": "user", "ID": "employeeid", "JwtClaimType": "employeeid"}],
        },
    )
    realm = _sts(
        new_id(),
        "Contoso federated sign-in",
        "HomeRealmDiscoveryPolicy",
        {"AccelerateToFederatedDomain": True, "AllowCloudPasswordValidation": False},
    )
    management = {
        "id": new_id(),
        "deletedDateTime": None,
        "description": "No client secrets; certificates for a year at most",
        "displayName": "Credential management",
        "isEnabled": True,
        "restrictions": {
            "passwordCredentials": [
                {
                    "restrictionType": "passwordAddition",
                    "maxLifetime": None,
                    "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z",
                    "state": "enabled",
                }
            ],
            "keyCredentials": [
                {
                    "restrictionType": "asymmetricKeyLifetime",
                    "maxLifetime": "P365D",
                    "restrictForAppsCreatedAfterDateTime": "2024-01-01T00:00:00Z",
                    "state": "enabled",
                }
            ],
        },
    }
    if apps:
        apps[0]["tokenLifetimePolicies"] = [lifetime["id"]]
        apps[0]["tokenIssuancePolicies"] = [issuance["id"]]
        apps[0]["appManagementPolicies"] = [management["id"]]
    if sps:
        sps[0]["claimsMappingPolicies"] = [claims["id"]]
        sps[0]["homeRealmDiscoveryPolicies"] = [realm["id"]]
        sps[0]["appManagementPolicies"] = [management["id"]]
    return {
        "policies/tokenLifetimePolicies": [lifetime],
        "policies/tokenIssuancePolicies": [issuance],
        "policies/claimsMappingPolicies": [claims],
        "policies/homeRealmDiscoveryPolicies": [realm],
        "policies/appManagementPolicies": [management],
    }
