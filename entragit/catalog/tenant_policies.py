"""Catalog entries of the tenant-wide policies under `policies/` that an attacker with a privileged account
changes to weaken the tenant: security defaults, self-service sign-up, the admin consent workflow (singletons,
which always exist: a restore writes the backed-up values back), the activity-based timeout policies, the
custom permission grant policies and the feature rollout policies (cloud sign-in staged to pilot groups).

`externalIdentitiesPolicy` is beta only (not in the v1.0 schema) and is not kept.
"""

from __future__ import annotations

from entragit.catalog.model import _POLICY_READ, ObjectType, Reference, Relationship, _names

SECURITY_DEFAULTS: ObjectType = ObjectType(
    name="identitySecurityDefaultsEnforcementPolicy",
    path="policies/identitySecurityDefaultsEnforcementPolicy",
    select=_names("id displayName description isEnabled"),
    send_select=False,
    fill_missing=False,
    # identitysecuritydefaultsenforcementpolicy-update.md: isEnabled is the one property of the request body.
    read_only=_names("id displayName description"),
    singleton=True,
    rank=75,
    permissions_backup=_POLICY_READ,
    # The page's least privileged write permission; the permissions file pairs it with Policy.Read.All
    # (AlsoRequires), which the backup holds already.
    permissions_restore=("Policy.ReadWrite.SecurityDefaults",),
    notes="Security defaults on or off (isEnabled).",
)

AUTHENTICATION_FLOWS: ObjectType = ObjectType(
    name="authenticationFlowsPolicy",
    path="policies/authenticationFlowsPolicy",
    select=_names("id displayName description selfServiceSignUp"),
    send_select=False,
    fill_missing=False,
    # authenticationflowspolicy-update.md: "The properties id, type, and description cannot be modified."
    read_only=_names("id displayName description"),
    singleton=True,
    rank=75,
    permissions_backup=_POLICY_READ,
    permissions_restore=("Policy.ReadWrite.AuthenticationFlows",),
    notes="Self-service sign-up for guests (selfServiceSignUp.isEnabled).",
)

# A reviewer is a query naming a user, a group's members or a role's holders
# (adminconsentrequestpolicy-update.md example; resources/accessreviewreviewerscope.md):
# `/users/{id}`, `/groups/{id}/transitiveMembers/microsoft.graph.user`,
# `/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '{id}'`, with or without `/v1.0`.
# Each object id inside the query is a reference, rewritten when that object is recreated under a new id.
ADMIN_CONSENT_REQUEST: ObjectType = ObjectType(
    name="adminConsentRequestPolicy",
    path="policies/adminConsentRequestPolicy",
    select=_names("id isEnabled notifyReviewers remindersEnabled requestDurationInDays reviewers"),
    # The policy has no name (the get page's response has no displayName, nor an id).
    identity=("id",),
    display="id",
    unique=("id",),
    send_select=False,
    fill_missing=False,
    # resources/adminconsentrequestpolicy.md: version "When the policy is updated, this version is updated.
    # Read-only." It changes with every write, so it is not kept (noise in diffs).
    read_only=("id",),
    unordered=("reviewers:query",),
    singleton=True,
    rank=75,
    # adminconsentrequestpolicy-update.md: PUT of the whole policy, the five properties required.
    update_method="PUT",
    references=(Reference("reviewers[].query", ("users", "groups", "roleDefinitions"), embedded=True),),
    permissions_backup=_POLICY_READ,
    permissions_restore=("Policy.ReadWrite.ConsentRequest",),
    notes="Written whole (PUT, as Graph requires); reviewer ids inside each query follow recreated objects.",
)

# resources/activitybasedtimeoutpolicy.md: the idle sign-out of web sessions, one policy active as the
# organization default. A deleted policy is gone for good (it is no type directory/deletedItems keeps):
# a restore creates it anew from its file.
ACTIVITY_BASED_TIMEOUT: ObjectType = ObjectType(
    name="activityBasedTimeoutPolicies",
    path="policies/activityBasedTimeoutPolicies",
    select=_names("id displayName description definition isOrganizationDefault"),
    read_only=("id",),
    rank=76,
    permissions_backup=_POLICY_READ,
    permissions_restore=("Policy.ReadWrite.ApplicationConfiguration",),
    notes="Recreated from its file when deleted (Graph keeps no deleted policies).",
)

# resources/permissiongrantpolicy.md: which consents a user or an admin may grant. Graph lists the built-in
# policies (ids `microsoft-*`, the same in every tenant, not writable) with the custom ones: only these are
# kept. The list returns each policy's condition sets inline (permissiongrantpolicy-list.md), but they are
# written one by one (permissiongrantpolicy-post-includes.md, -delete-includes.md, and the same for excludes).
_CONDITION_SETS = ("includes", "excludes")
PERMISSION_GRANT_POLICIES: ObjectType = ObjectType(
    name="permissionGrantPolicies",
    path="policies/permissionGrantPolicies",
    select=_names("id displayName description includes excludes"),
    send_select=False,
    volatile=tuple(f"{c}[].id" for c in _CONDITION_SETS),
    unordered=(
        *_CONDITION_SETS,
        *(
            f"{c}[].{p}"
            for c in _CONDITION_SETS
            for p in _names(
                "clientApplicationIds clientApplicationPublisherIds clientApplicationTenantIds permissions"
            )
        ),
    ),
    # The caller names a policy: `id` is required on create
    # (permissiongrantpolicy-post-permissiongrantpolicies.md).
    create_only=("id",),
    unique=("id",),
    exclude_id_prefixes=("microsoft-",),
    sub_collections=_CONDITION_SETS,
    references=tuple(
        Reference(f"{c}[].clientApplicationIds", ("applications",), key="appId") for c in _CONDITION_SETS
    ),
    rank=76,
    permissions_backup=("Policy.Read.PermissionGrant",),
    permissions_restore=("Policy.ReadWrite.PermissionGrant",),
    notes="Custom policies only; condition sets are added and removed one by one.",
)

# resources/featurerolloutpolicy.md: a cloud sign-in feature (password hash sync, pass-through
# authentication, seamless SSO, certificate-based or multifactor authentication...) staged to pilot groups
# (`appliesTo`: groups only, at most 10 per feature) or to the whole organization. Deleted for good.
# Every call is delegated only (each page's Application row: "Not supported."; Microsoft's permissions file
# marks Policy.Read.HybridAuthentication least privileged to list them, Policy.ReadWrite.HybridAuthentication
# to write them), like terms of use agreements (catalog/terms_of_use.py): an app-only run leaves the files
# alone and says why. The list "Supports $expand" (featurerolloutpolicies-list.md;
# featurerolloutpolicy-get.md, Example 2: `$expand=appliesTo`); a group is added by `POST .../appliesTo/$ref`
# (featurerolloutpolicy-post-appliesto.md) and removed by `DELETE .../appliesTo/{id}/$ref`
# (featurerolloutpolicy-delete-appliesto.md), after the policy and the group exist (the links phase), with
# ids rewritten through the id map like every link.
_ROLLOUT = "policies/featureRolloutPolicies"
FEATURE_ROLLOUT_POLICIES: ObjectType = ObjectType(
    name="featureRolloutPolicies",
    path=_ROLLOUT,
    select=_names("id displayName description feature isEnabled isAppliedToOrganization"),
    read_only=("id",),
    # featurerolloutpolicy-update.md lists description, displayName, isAppliedToOrganization and isEnabled:
    # the feature is chosen by the create.
    create_only=("feature",),
    relationships=(
        Relationship(
            name="appliesTo",
            read=f"{_ROLLOUT}/{{id}}/appliesTo",
            add=f"{_ROLLOUT}/{{id}}/appliesTo/$ref",
            remove=f"{_ROLLOUT}/{{id}}/appliesTo/{{ref}}/$ref",
            targets=("groups",),
            expand="appliesTo",
            # "Each feature supports a maximum of 10 groups" (resources/featurerolloutpolicy.md)
            removals_first=True,
        ),
    ),
    # Before the links phase (RANK_LINKS), which adds the groups once the policy exists.
    rank=61,
    delegated_only=(
        "Graph has no application permission for feature rollout policies (Policy.Read.HybridAuthentication "
        "and Policy.ReadWrite.HybridAuthentication are delegated only): sign in as a user with --auth "
        "device-code (a Hybrid Identity Administrator)"
    ),
    permissions_backup=("Policy.Read.HybridAuthentication",),
    permissions_restore=("Policy.ReadWrite.HybridAuthentication",),
    security="which users sign in through a cloud authentication feature still being staged",
    notes="Recreated from its file when deleted, with its groups added again (recreated groups by their new "
    "ids).",
)
