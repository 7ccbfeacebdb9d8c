"""Catalog entries of the token and sign-in policies and the applications and service principals they apply
to: claims mapping, token issuance, token lifetime and home realm discovery policies (stsPolicy) and app
management policies.

Each policy's file keeps the ids of the objects it applies to (`appliesTo`), read from the policy's own
`appliesTo` navigation (tokenlifetimepolicy-list-appliesto.md and the same page of each kind): one read per
policy, and policies are few, where reading each application's and service principal's policy navigations
would cost one read per holder. Graph writes the assignment on the holder, not on the policy
(application-post-tokenlifetimepolicies.md: `POST /applications/{id}/tokenLifetimePolicies/$ref` with the
policy's `@odata.id`), so the relationship is `on_target`: a restore adds and removes it there, after both the
policy and the holder exist (the links phase), with ids rewritten through the id map like every link.

Which holders take which policy (the assign pages; a navigation the schema has without an assign page, such
as a service principal's tokenLifetimePolicies, is not written):
- token lifetime, token issuance: applications;
- claims mapping, home realm discovery: service principals;
- app management: applications and service principals (appmanagementpolicy-post-appliesto.md).

`definition` (an stsPolicy's rules) is kept as Graph returns it, a list of JSON texts, not parsed into YAML:
Graph stores the text as sent and returns it verbatim (the resource pages: "converted to a string with
quotations escaped"; their own examples hold newlines and spaces inside the text), so a parsed form written
back would be a different text, and the next backup would show a change nobody made. Keeping the text makes
the round trip byte-stable; `entragit compare` still shows which text changed.

The tenant-wide default, `policies/defaultAppManagementPolicy` (resources/tenantappmanagementpolicy.md: what
applies to every app no app management policy is assigned to), is a singleton: always there, PATCHed back.
"""

from __future__ import annotations

from entragit.catalog.model import ObjectType, Relationship, _names

# The list pages read with Policy.Read.All; the appliesTo pages with "Policy.Read.All and
# Application.Read.All".
_READ = ("Policy.Read.All", "Application.Read.All")
# The create, update and delete pages: Policy.ReadWrite.ApplicationConfiguration. The assign pages:
# "Policy.ReadWrite.ApplicationConfiguration and Application.ReadWrite.All" (token lifetime, issuance, claims
# mapping, home realm discovery); "Application.Read.All and Policy.ReadWrite.ApplicationConfiguration" (app
# management), which Application.ReadWrite.All does not stand in for: both are listed.
_WRITE = ("Policy.ReadWrite.ApplicationConfiguration", "Application.ReadWrite.All")


def _applies_to(nav: str, holders: tuple[str, ...]) -> Relationship:
    """The policy's `appliesTo`, written on each holder as `{holder}/{ref}/{nav}/$ref` (`{owner}` is the
    holder's collection, `{ref}` its id, `{id}` the policy's)."""
    return Relationship(
        name="appliesTo",
        read=f"policies/{nav}/{{id}}/appliesTo",
        add=f"{{owner}}/{{ref}}/{nav}/$ref",
        remove=f"{{owner}}/{{ref}}/{nav}/{{id}}/$ref",
        targets=holders,
        on_target=True,
    )


def _sts_policy(nav: str, holders: tuple[str, ...], notes: str, security: str = "") -> ObjectType:
    """An stsPolicy collection (resources/stspolicy.md): displayName and definition required on create
    (tokenlifetimepolicy-post-tokenlifetimepolicies.md ...); deleted for good (tokenlifetimepolicy-delete.md:
    no deletedItems), so a restore creates a deleted one anew and links it again."""
    return ObjectType(
        name=nav,
        path=f"policies/{nav}",
        select=_names("id displayName description definition isOrganizationDefault"),
        read_only=_names("id deletedDateTime"),
        relationships=(_applies_to(nav, holders),),
        rank=55,
        permissions_backup=_READ,
        permissions_restore=_WRITE,
        notes=notes,
        security=security,
    )


CLAIMS_MAPPING: ObjectType = _sts_policy(
    "claimsMappingPolicies",
    ("servicePrincipals",),
    "Recreated from its file when deleted and assigned again to its service principals.",
)
TOKEN_ISSUANCE: ObjectType = _sts_policy(
    "tokenIssuancePolicies",
    ("applications",),
    "Recreated from its file when deleted and assigned again to its applications.",
)
TOKEN_LIFETIME: ObjectType = _sts_policy(
    "tokenLifetimePolicies",
    ("applications",),
    "Recreated from its file when deleted and assigned again to its applications (one per application: "
    "application-post-tokenlifetimepolicies.md).",
    security="how long the tokens of the applications it applies to stay valid",
)
HOME_REALM_DISCOVERY: ObjectType = _sts_policy(
    "homeRealmDiscoveryPolicies",
    ("servicePrincipals",),
    "Recreated from its file when deleted and assigned again to its service principals.",
    security="where the sign-in of the applications it applies to goes, and whether cloud passwords are "
    "checked",
)

# resources/appmanagementpolicy.md: restrictions on the credentials of the apps it applies to, over the
# tenant-wide default. appmanagementpolicy-post.md requires displayName and description.
APP_MANAGEMENT: ObjectType = ObjectType(
    name="appManagementPolicies",
    path="policies/appManagementPolicies",
    select=_names("id displayName description isEnabled restrictions"),
    read_only=_names("id deletedDateTime"),
    relationships=(_applies_to("appManagementPolicies", ("applications", "servicePrincipals")),),
    rank=55,
    permissions_backup=_READ,
    permissions_restore=(*_WRITE, "Application.Read.All"),
    notes="Recreated from its file when deleted and assigned again to its applications and service "
    "principals (one per holder: appmanagementpolicy-post-appliesto.md).",
    security="which credentials the applications it applies to may be given, and for how long",
)

DEFAULT_APP_MANAGEMENT: ObjectType = ObjectType(
    name="defaultAppManagementPolicy",
    path="policies/defaultAppManagementPolicy",
    select=_names(
        "id displayName description isEnabled applicationRestrictions servicePrincipalRestrictions"
    ),
    send_select=False,
    fill_missing=False,
    read_only=("id",),
    singleton=True,
    rank=55,
    permissions_backup=("Policy.Read.All",),
    # tenantappmanagementpolicy-update.md: Policy.ReadWrite.ApplicationConfiguration.
    permissions_restore=("Policy.ReadWrite.ApplicationConfiguration",),
    notes="The tenant-wide credential restrictions, PATCHed back (a singleton: never deleted).",
    security="which credentials every application and service principal may be given, and for how long",
)
