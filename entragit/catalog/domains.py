"""Catalog entry of the tenant's domains, each with its federation configuration (resources/domain.md,
resources/internaldomainfederation.md).

A domain's federation configuration decides who signs its users in: an attacker who federates a domain with
an identity provider of their own, or swaps its token signing certificate, signs in as any of its users and
may have its MFA trusted. So the configuration is kept in the domain's file, and `entragit report` calls its
changes out. Everything in it is public (the signing certificates are the public part of the IdP's key).
"""

from __future__ import annotations

from entragit.catalog.model import ObjectType, _contained, _names

# domain-list.md / domain-get.md: Domain.Read.All; domain-update.md: Domain.ReadWrite.All. The federation
# configuration has permissions of its own since October 2025 (Microsoft Graph changelog;
# domain-list-federationconfiguration.md, domain-post-federationconfiguration.md,
# internaldomainfederation-update.md, -delete.md): Domain.Read.All no longer reads it.
_READ = ("Domain.Read.All", "Domain-InternalFederation.Read.All")
_WRITE = ("Domain.ReadWrite.All", "Domain-InternalFederation.ReadWrite.All")

# A domain has at most one (domain-list-federationconfiguration.md: "returns only one object in the
# collection"), so the item has no key: the one in the file is the one live. The list answers 404 for a
# managed domain (same page). Graph makes the domain Federated when one is created and Managed again when it
# is deleted, which is how a restore changes authenticationType (docs/graph.md, Domains). Its id is Graph's
# and signingCertificateUpdateStatus Graph's record of its certificate rollover: neither is kept.
_FEDERATION = _contained(
    "federationConfiguration",
    "domains",
    _names(
        """
        activeSignInUri displayName federatedIdpMfaBehavior isSignedAuthenticationRequestRequired issuerUri
        metadataExchangeUri nextSigningCertificate passiveSignInUri passwordResetUri
        preferredAuthenticationProtocol promptLoginBehavior signOutUri signingCertificate
        """
    ),
    (),
    expand=False,  # resources/domain.md: federationConfiguration "Doesn't support $expand"
    missing_is_404=True,
)

DOMAINS: ObjectType = ObjectType(
    name="domains",
    path="domains",
    # availabilityStatus is null but in a verify's answer, state the status of Graph's own asynchronous
    # operations (domain.md): neither is configuration.
    select=_names(
        """
        id authenticationType isAdminManaged isDefault isInitial isRoot isVerified
        passwordNotificationWindowInDays passwordValidityPeriodInDays supportedServices
        """
    ),
    identity=("id", "authenticationType", "isDefault"),
    display="id",
    # resources/domain.md: the id is the domain's name, immutable; isInitial, isRoot, isVerified and
    # isAdminManaged describe how the domain was added and verified. authenticationType follows the
    # federation configuration (above): a PATCH to Federated is refused.
    read_only=_names("id authenticationType isAdminManaged isInitial isRoot isVerified"),
    unordered=("supportedServices",),
    relationships=(_FEDERATION,),
    # domain.md: "There's only one default domain per company"; domain-update.md's example sets it to true.
    sole_true=("isDefault",),
    unique=("id",),
    # domain-delete.md: "Deleted domains are not recoverable"; a domain is added and proven by DNS
    # (domain.md: create, verificationDnsRecords, verify), which no restore can do for the admin.
    not_recreatable=(
        "a deleted domain comes back only by proving ownership again: add {id} (admin center or POST "
        "/domains), publish the TXT record GET /domains/{id}/verificationDnsRecords lists at its DNS host, "
        "verify it (POST /domains/{id}/verify), then restore again for its settings and federation"
    ),
    rank=64,  # its settings before its federation configuration (a contained relationship: RANK_LINKS)
    permissions_backup=_READ,
    permissions_restore=_WRITE,
    security="which identity provider signs a domain's users in, with which certificate, whose MFA counts",
    notes="A deleted domain is not recreated: it must be added and verified through DNS again.",
)
