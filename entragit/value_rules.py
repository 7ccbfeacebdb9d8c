"""Graph's documented rules for property values, as one table read three ways.

`entragit validate` and `entragit apply` check an object file against it before anything is sent, so a value
Graph would refuse (`state: 'on'` on a conditional access policy) is one line naming the file and property,
not a 400 halfway through an apply. The sandbox refuses a write that breaks it, with Graph's own error, so
the sandbox and the client cannot drift apart. And `tests/schema/test_value_rules.py` checks the table against
Microsoft's published v1.0 schema (CSDL): each kind and collection shape, each enumeration's members, that every
enumeration-typed property entragit keeps and every property it writes has a rule. The table is the
project's own data; the CSDL is the oracle, not a runtime input (it is not shipped).

Each resource (a Graph collection path, as the catalog and the sandbox name it) lists its rules as lines of a
small notation, one property each, its dotted path first (catalog notation: `a.b`, `list[].c`):

    path kind[*] [modifier ...] [: member member ... [| member ...]]

- kind: string, boolean, integer, number (a Double: a whole number is fine), datetime, date, guid, object;
  `*` makes it a collection of that kind;
- `enum=Name`: the members are those of the schema's enumeration `Name` (the test compares them);
  `enum=A|B` where derived types type one property with different enumerations (a compliance policy's
  passwordRequiredType): the members are all of theirs;
  without it the members are a string's documented values (the page lists them, the test cannot);
- `flags`: a flags enumeration, written as members joined by commas (`"a,b"`);
- `max=N`: the longest string; `items=N`: the most items of a collection;
- `rule=NAME`: a documented rule beyond kind and members (`RULES`: a country code, an object id...).

Members after an evolvable enumeration's `unknownFutureValue` follow a `|` (`: android ... all | linux`):
Graph shows them, and takes them in a write, only from a request that sends `Prefer:
include-unknown-enum-members` (best-practices-concept.md, Evolvable enums; Microsoft's API guidelines,
graph/patterns/evolvable-enums.md); otherwise it answers them with the sentinel. The client sends that header
on every request, and the sandbox hides or refuses them without it, which is what this marker tells it.
The test checks the members after the `|` are exactly the schema's after its `unknownFutureValue`.
`unknownFutureValue` itself is no value.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("string", "boolean", "integer", "number", "datetime", "date", "guid", "object")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UPN_LOCAL = re.compile(r"^[A-Za-z0-9'.\-_!#^~]+$")
_GROUP_NICK_BAD = frozenset('@()\\[]";:.<>, ')

# ISO 3166-1 alpha-2, officially assigned codes (user.md usageLocation; countrynamedlocation.md).
COUNTRIES = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)
PASSWORD_POLICIES = frozenset({"DisablePasswordExpiration", "DisableStrongPassword", "None"})
# conditionalaccessusers.md: includeUsers/excludeUsers take object ids or these keywords.
USER_KEYWORDS = frozenset({"All", "None", "GuestsOrExternalUsers"})


def _cidr(value: Any) -> bool:
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return True


def _upn(value: Any) -> bool:
    """user.md: `alias@domain`; the alias at most 64 characters of letters, digits and ' . - _ ! # ^ ~, not
    starting or ending with a period. Whether the domain is verified only the tenant knows."""
    if not isinstance(value, str) or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return (
        bool(local and domain)
        and len(local) <= 64
        and bool(_UPN_LOCAL.match(local))
        and not local.startswith(".")
        and not local.endswith(".")
    )


@dataclass(frozen=True)
class Rule:
    """A documented rule beyond kind and members: `test` judges one value, `says` what it must be."""

    test: Callable[[Any], bool]
    says: str


def _idle_timeout(text: Any) -> bool:
    """`[d.]hh:mm:ss` of at least 5 minutes and under a day (resources/activitybasedtimeoutpolicy.md: "The
    minimum value is 5 minutes; the maximum value is 1 day", a day's maximum being 23:59:59)."""
    m = re.fullmatch(r"(?:(\d+)\.)?(\d{2}):(\d{2}):(\d{2})", text) if isinstance(text, str) else None
    if m is None:
        return False
    days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        return False
    return 300 <= ((days * 24 + hours) * 60 + minutes) * 60 + seconds < 86400


def _timeout_definition(value: Any) -> bool:
    """One item of an activity-based timeout policy's `definition`: the JSON text of
    `{"ActivityBasedTimeoutPolicy": {"Version": 1, "ApplicationPolicies": [{"ApplicationId": ...,
    "WebSessionIdleTimeout": ...}]}}` (resources/activitybasedtimeoutpolicy.md: Version "Set value of 1",
    ApplicationId `default` or the Azure portal's application id)."""
    try:
        policy = json.loads(value)["ActivityBasedTimeoutPolicy"] if isinstance(value, str) else None
    except (ValueError, KeyError, TypeError):
        return False
    if not isinstance(policy, dict) or policy.get("Version") != 1:
        return False
    apps = policy.get("ApplicationPolicies")
    return (
        isinstance(apps, list)
        and bool(apps)
        and all(
            isinstance(a, dict)
            and a.get("ApplicationId") in ("default", AZURE_PORTAL_APP_ID)
            and _idle_timeout(a.get("WebSessionIdleTimeout"))
            for a in apps
        )
    )


AZURE_PORTAL_APP_ID = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"


def _sts_definition(kind: str) -> Callable[[Any], bool]:
    """One item of an stsPolicy's `definition`: the JSON text of an object whose one key names the policy's
    kind, holding `"Version": 1` (resources/claimsmappingpolicy.md: "converted to a string with quotations
    escaped", Version "Set value of 1"; tokenlifetimepolicy.md, tokenissuancepolicy.md,
    homerealmdiscoverypolicy.md: the same shape under their own key)."""

    def test(value: Any) -> bool:
        try:
            parsed = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            return False
        if not isinstance(parsed, dict) or list(parsed) != [kind]:
            return False
        return isinstance(parsed[kind], dict) and parsed[kind].get("Version") == 1

    return test


_STS_KINDS = ("ClaimsMappingPolicy", "TokenIssuancePolicy", "TokenLifetimePolicy", "HomeRealmDiscoveryPolicy")

RULES: Mapping[str, Rule] = {
    "country": Rule(lambda v: v in COUNTRIES, "a two-letter ISO 3166 country code (US, DE...)"),
    "guid": Rule(lambda v: isinstance(v, str) and bool(_GUID.match(v)), "an object id (a GUID)"),
    "user_ref": Rule(
        lambda v: isinstance(v, str) and (bool(_GUID.match(v)) or v in USER_KEYWORDS),
        "an object id or one of All, None, GuestsOrExternalUsers",
    ),
    "cidr": Rule(_cidr, "an IP range in CIDR notation (203.0.113.0/24)"),
    "upn": Rule(_upn, "alias@domain, the alias of letters, digits and ' . - _ ! # ^ ~ (at most 64)"),
    "password_policies": Rule(
        lambda v: all(p.strip() in PASSWORD_POLICIES for p in str(v).split(",")),
        "DisablePasswordExpiration, DisableStrongPassword or None, comma-separated",
    ),
    "mail_nickname": Rule(
        lambda v: isinstance(v, str) and all(ord(c) < 128 and c not in _GROUP_NICK_BAD for c in v),
        'ASCII without spaces or any of @ ( ) \\ [ ] " ; : . < > ,',
    ),
    "auth_context_id": Rule(
        lambda v: isinstance(v, str) and bool(re.fullmatch(r"c([1-9]|[1-9][0-9])", v)), "c1 to c99"
    ),
    "timeout_definition": Rule(
        _timeout_definition,
        'the JSON text {"ActivityBasedTimeoutPolicy": {"Version": 1, "ApplicationPolicies": [{"ApplicationId":'
        ' "default", "WebSessionIdleTimeout": "hh:mm:ss"}]}}, a timeout from 00:05:00 to 23:59:59',
    ),
    **{
        f"{kind[0].lower()}{kind[1:]}_definition": Rule(
            _sts_definition(kind), f'the JSON text {{"{kind}": {{"Version": 1, ...}}}}'
        )
        for kind in _STS_KINDS
    },
}


@dataclass(frozen=True)
class Value:
    """What one property's value must be (see the module docstring for the notation)."""

    kind: str
    many: bool = False
    members: tuple[str, ...] = ()
    enum: str | None = None  # the schema's enumeration the members are checked against
    flags: bool = False
    max_length: int | None = None
    max_items: int | None = None
    rule: str | None = None  # a key of RULES
    evolvable: tuple[str, ...] = ()  # the members after the schema's unknownFutureValue (after `|`)


@dataclass(frozen=True)
class Problem:
    """One broken rule: `where` names the value (`conditions.users.includeGroups[2]`), `path` the rule's
    dotted path (`conditions.users.includeGroups`), `what` which kind of rule: kind, member, length, items,
    rule, required, or a cross-property check's own name. `text` says it for a person."""

    where: str
    path: str
    what: str
    text: str
    kind: str = ""  # for `kind` problems, the kind that was expected


# A rule across properties: the object and whether the write creates it → what it breaks.
Check = Callable[[Mapping[str, Any], bool], Iterator[Problem]]


@dataclass(frozen=True)
class Resource:
    """The rules of one Graph collection: its properties' values, and what its create page requires.

    `required` lists properties a create must send (`a|b`: at least one of them); `documented` names the
    pages the rules come from."""

    path: str
    documented: tuple[str, ...]
    values: Mapping[str, Value]
    required: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()


def _parse(spec: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for raw in spec.strip().splitlines():
        if not raw.strip():
            continue
        line, _, members = raw.partition(" : ")
        path, kind, *mods = line.split()
        many = kind.endswith("*")
        known, _, later = members.partition(" | ")
        options: dict[str, Any] = {
            "kind": kind.rstrip("*"),
            "many": many,
            "members": tuple(known.split()) + tuple(later.split()),
            "evolvable": tuple(later.split()),
        }
        for mod in mods:
            name, _, arg = mod.partition("=")
            if name == "flags":
                options["flags"] = True
            elif name == "enum":
                options["enum"] = arg
            elif name == "max":
                options["max_length"] = int(arg)
            elif name == "items":
                options["max_items"] = int(arg)
            elif name == "rule":
                options["rule"] = arg
            else:
                raise ValueError(f"value rules: unknown modifier {mod!r} in {raw.strip()!r}")
        if options["kind"] not in KINDS or (options.get("rule") and options["rule"] not in RULES):
            raise ValueError(f"value rules: unknown kind or rule in {raw.strip()!r}")
        out[path] = Value(**options)
    return out


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = "null" if value is None else repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _kind_fits(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if not isinstance(value, str):
        return False
    if kind == "datetime":
        return bool(_DATETIME.match(value))
    if kind == "date":
        return bool(_DATE.match(value))
    if kind == "guid":
        return bool(_GUID.match(value))
    return True


_ARTICLE = {"integer": "an integer", "object": "a mapping", "datetime": "a date and time (ISO 8601)"}


def _one(where: str, path: str, rule: Value, value: Any) -> Iterator[Problem]:
    """Problems of one scalar (or one item of a collection) against its rule."""
    if not _kind_fits(rule.kind, value):
        expected = _ARTICLE.get(rule.kind, f"a {rule.kind}")
        yield Problem(where, path, "kind", f"expected {expected}, got {_shown(value)}", rule.kind)
        return
    if rule.members:
        parts = [p.strip() for p in value.split(",")] if rule.flags else [value]
        if any(p not in rule.members for p in parts):
            yield Problem(where, path, "member", f"{_shown(value)} is not one of {', '.join(rule.members)}")
            return
    if rule.max_length is not None and len(value) > rule.max_length:
        yield Problem(where, path, "length", f"longer than {rule.max_length} characters")
    if rule.rule is not None and not RULES[rule.rule].test(value):
        yield Problem(where, path, "rule", f"{_shown(value)} is not {RULES[rule.rule].says}")


@functools.lru_cache(maxsize=4096)
def steps_of(path: str) -> tuple[str, ...]:
    """A dotted path's steps; `@odata.type` is one step, not two. Cached: `check` walks every rule's path for
    every file `apply` checks and every write the sandbox judges."""
    return tuple(s.replace("\0", ".") for s in path.replace("@odata.type", "@odata\0type").split("."))


def _at(obj: Any, steps: tuple[str, ...], where: str) -> Iterator[tuple[str, Any]]:
    """(where, value) of every value a dotted path reaches; absent steps reach nothing."""
    if not steps:
        yield where, obj
        return
    step, rest = steps[0], steps[1:]
    name, each = (step[:-2], True) if step.endswith("[]") else (step, False)
    if not isinstance(obj, dict) or name not in obj:
        return
    here = f"{where}.{name}" if where else name
    value = obj[name]
    if each:
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _at(item, rest, f"{here}[{i}]")
    else:
        yield from _at(value, rest, here)


def check_value(path: str, rule: Value, value: Any, where: str | None = None) -> list[Problem]:
    """Problems of the value at one rule's path (null is always allowed: canonical form writes an unset
    property as null, and Graph takes null as "clear it")."""
    where = where or path
    if value is None:
        return []
    if not rule.many:
        return list(_one(where, path, rule, value))
    if not isinstance(value, list):
        return [Problem(where, path, "kind", f"expected a list, got {_shown(value)}", "list")]
    out = [p for i, item in enumerate(value) for p in _one(f"{where}[{i}]", path, rule, item)]
    if rule.max_items is not None and len(value) > rule.max_items:
        out.append(Problem(where, path, "items", f"holds {len(value)} values, at most {rule.max_items}"))
    return out


def check(
    resource_path: str, obj: Mapping[str, Any], *, creating: bool = False, only: frozenset[str] | None = None
) -> list[Problem]:
    """Every broken rule of `obj` as a write to `resource_path` would send it; `creating` adds the create
    page's required properties; `only` limits the rules to these top-level properties (a PATCH judged on the
    merged object: what it did not change is not its problem)."""
    resource = RESOURCES.get(resource_path)
    if resource is None:
        return []
    out: list[Problem] = []
    if creating:
        for need in resource.required:
            names = need.split("|")
            if all(_missing(obj, n) for n in names):
                out.append(Problem(need, need, "required", "required when creating"))
    for path, rule in resource.values.items():
        if only is not None and steps_of(path)[0].removesuffix("[]") not in only:
            continue
        for where, value in _at(obj, steps_of(path), ""):
            out += check_value(path, rule, value, where)
    if only is None or not only.isdisjoint(_tops(resource)):
        for check_fn in resource.checks:
            out += list(check_fn(obj, creating))
    return out


def _tops(resource: Resource) -> frozenset[str]:
    return frozenset(steps_of(p)[0].removesuffix("[]") for p in resource.values)


def _missing(obj: Mapping[str, Any], dotted: str) -> bool:
    found = [v for _, v in _at(obj, steps_of(dotted), "")]
    return not found or all(v is None or v == "" or v == [] for v in found)


# -- cross-property rules -------------------------------------------------------------------------------------


def _group_kind(group: Mapping[str, Any], creating: bool) -> Iterator[Problem]:
    """group-post-groups.md: Graph creates Microsoft 365 groups (groupTypes Unified, mail-enabled) and
    security groups; distribution and mail-enabled security groups exist (Exchange makes them) but are not
    created through Graph. A dynamic group needs its rule, and only a dynamic group has one (group.md)."""
    types = group.get("groupTypes") or []
    if not isinstance(types, list):
        return
    unified = "Unified" in types
    if creating and unified and group.get("mailEnabled") is False:
        yield Problem("mailEnabled", "mailEnabled", "group_kind", "a Microsoft 365 group is mail-enabled")
    if creating and not unified and group.get("mailEnabled") is True:
        yield Problem(
            "mailEnabled",
            "mailEnabled",
            "mail_group",
            "mail-enabled security and distribution groups are made in Exchange, not through Graph",
        )
    elif creating and not unified and group.get("securityEnabled") is False:
        yield Problem(
            "securityEnabled",
            "securityEnabled",
            "group_kind",
            "a group that is not Unified is a security group",
        )
    if "DynamicMembership" in types:
        if not group.get("membershipRule"):
            yield Problem("membershipRule", "membershipRule", "group_kind", "a dynamic group needs its rule")
        if group.get("membershipRuleProcessingState") is None:
            yield Problem(
                "membershipRuleProcessingState",
                "membershipRuleProcessingState",
                "group_kind",
                "a dynamic group needs its processing state (On or Paused)",
            )
    elif group.get("membershipRule"):
        yield Problem(
            "membershipRule", "membershipRule", "group_kind", "only a DynamicMembership group has a rule"
        )


def _ca_conditions(policy: Mapping[str, Any], creating: bool) -> Iterator[Problem]:
    """conditionalaccessconditionset.md: `applications` is required, and `users` or `clientApplications`."""
    conditions = policy.get("conditions")
    if not isinstance(conditions, dict):
        return
    if not isinstance(conditions.get("applications"), dict) or not (
        isinstance(conditions.get("users"), dict) or isinstance(conditions.get("clientApplications"), dict)
    ):
        yield Problem(
            "conditions",
            "conditions",
            "ca_conditions",
            "needs an applications condition and a users (or clientApplications) condition",
        )


def _one_scope(assignment: Mapping[str, Any], creating: bool) -> Iterator[Problem]:
    """unifiedroleassignment.md: exactly one of directoryScopeId and appScopeId."""
    if (assignment.get("directoryScopeId") is None) == (assignment.get("appScopeId") is None):
        yield Problem(
            "directoryScopeId", "directoryScopeId", "one_scope", "exactly one of directoryScopeId, appScopeId"
        )


def _grant_principal(grant: Mapping[str, Any], creating: bool) -> Iterator[Problem]:
    """oauth2permissiongrant.md: principalId is set when consentType is Principal and null otherwise."""
    consent, principal = grant.get("consentType"), grant.get("principalId")
    if consent == "Principal" and not principal:
        yield Problem(
            "principalId", "principalId", "grant_principal", "required when consentType is Principal"
        )
    if consent == "AllPrincipals" and principal:
        yield Problem("principalId", "principalId", "grant_principal", "must be null for AllPrincipals")


def _one_block_action(policy: Mapping[str, Any], creating: bool) -> Iterator[Problem]:
    """resources/intune-deviceconfig-devicecompliancescheduledactionforrule.md: "Compliance policy must have
    one and only one block scheduled action" (the action that marks a device non-compliant)."""
    rules = policy.get("scheduledActionsForRule")
    if rules is None and not creating:
        return
    blocks = [
        item
        for rule in rules or []
        if isinstance(rule, Mapping)
        for item in rule.get("scheduledActionConfigurations") or []
        if isinstance(item, Mapping) and item.get("actionType") == "block"
    ]
    if len(blocks) != 1:
        yield Problem(
            "scheduledActionsForRule",
            "scheduledActionsForRule",
            "one_block_action",
            f"needs exactly one block action (has {len(blocks)})",
        )


def _credential_rules(prefix: str, uris: bool) -> str:
    """Rule lines of an appManagementConfiguration at `prefix` (an app management policy's restrictions, the
    tenant default's application and service principal restrictions: resources/appmanagementconfiguration.md,
    passwordcredentialconfiguration.md, keycredentialconfiguration.md, identifieruriconfiguration.md), the
    identifier URI restrictions only where the type has them (`uris`)."""
    actors = "excludeActors.customSecurityAttributes[].operator string enum=customSecurityAttributeComparisonOperator : equals"
    state = "state string enum=appManagementRestrictionState : enabled disabled"
    lines = [
        f"{prefix} object",
        f"{prefix}.passwordCredentials object*",
        f"{prefix}.passwordCredentials[].restrictForAppsCreatedAfterDateTime datetime",
        f"{prefix}.passwordCredentials[].restrictionType string enum=appCredentialRestrictionType : "
        "passwordAddition passwordLifetime symmetricKeyAddition symmetricKeyLifetime customPasswordAddition",
        f"{prefix}.passwordCredentials[].{state}",
        f"{prefix}.passwordCredentials[].{actors}",
        f"{prefix}.keyCredentials object*",
        f"{prefix}.keyCredentials[].restrictForAppsCreatedAfterDateTime datetime",
        f"{prefix}.keyCredentials[].restrictionType string enum=appKeyCredentialRestrictionType : "
        "asymmetricKeyLifetime",
        f"{prefix}.keyCredentials[].{state}",
        f"{prefix}.keyCredentials[].{actors}",
    ]
    if uris:
        uri_prefix = f"{prefix}.applicationRestrictions" if prefix == "restrictions" else prefix
        for kind in ("nonDefaultUriAddition", "uriAdditionWithoutUniqueTenantIdentifier"):
            lines += [
                f"{uri_prefix}.identifierUris.{kind}.{state}",
                f"{uri_prefix}.identifierUris.{kind}.{actors}",
            ]
    return "\n".join(lines) + "\n"


# -- the table --------------------------------------------------------------------------------------------------


def _resource(
    path: str,
    documented: str,
    spec: str,
    required: str = "",
    checks: tuple[Check, ...] = (),
) -> Resource:
    return Resource(path, tuple(documented.split()), _parse(spec), tuple(required.split()), checks)


def _target_settings(*names: str) -> str:
    """Rule lines of the cross-tenant access settings that share one shape (crossTenantAccessPolicyB2BSetting,
    and the tenant restrictions deriving from it: devices, applications, usersAndGroups), one block each."""
    return "".join(f"{line.format(n=name)}\n" for name in names for line in _TARGET_SETTING)


_TARGET_SETTING = (
    "{n} object",
    "{n}.devices.mode string enum=crossTenantAccessPolicyTargetConfigurationAccessType : allowed blocked",
    "{n}.applications.accessType string enum=crossTenantAccessPolicyTargetConfigurationAccessType : allowed blocked",
    "{n}.applications.targets object*",
    "{n}.applications.targets[].target string",
    "{n}.applications.targets[].targetType string enum=crossTenantAccessPolicyTargetType : user group application",
    "{n}.usersAndGroups.accessType string enum=crossTenantAccessPolicyTargetConfigurationAccessType : allowed blocked",
    "{n}.usersAndGroups.targets object*",
    "{n}.usersAndGroups.targets[].target string",
    "{n}.usersAndGroups.targets[].targetType string enum=crossTenantAccessPolicyTargetType : user group application",
)
_ACCESS_SETTINGS = _target_settings(
    "b2bCollaborationInbound",
    "b2bCollaborationOutbound",
    "b2bDirectConnectInbound",
    "b2bDirectConnectOutbound",
    "tenantRestrictions",
)

# An eligible and an active role assignment schedule take the same properties (unifiedroleschedulebase and the
# request bodies of rbacapplication-post-roleeligibilityschedulerequests.md / -roleassignmentschedulerequests.md).
_SCHEDULE_INFO = """
            scheduleInfo object
            scheduleInfo.expiration.type string enum=expirationPatternType : notSpecified noExpiration afterDateTime afterDuration
            scheduleInfo.recurrence.pattern.daysOfWeek string* enum=dayOfWeek : sunday monday tuesday wednesday thursday friday saturday
            scheduleInfo.recurrence.pattern.firstDayOfWeek string enum=dayOfWeek : sunday monday tuesday wednesday thursday friday saturday
            scheduleInfo.recurrence.pattern.index string enum=weekIndex : first second third fourth last
            scheduleInfo.recurrence.pattern.type string enum=recurrencePatternType : daily weekly absoluteMonthly relativeMonthly absoluteYearly relativeYearly
            scheduleInfo.recurrence.range.type string enum=recurrenceRangeType : endDate noEnd numbered
"""
_SCHEDULE = (
    """
            appScopeId string
            directoryScopeId string
            principalId string rule=guid
            roleDefinitionId string
"""
    + _SCHEDULE_INFO
)
# PIM for Groups: the request bodies of privilegedaccessgroup-post-eligibilityschedulerequests.md and
# -assignmentschedulerequests.md ("accessId ... The possible values are: owner, member. Required.").
_GROUP_SCHEDULE = (
    """
            accessId string enum=privilegedAccessGroupRelationships : owner member
            groupId string rule=guid
            principalId string rule=guid
"""
    + _SCHEDULE_INFO
)

RESOURCES: Mapping[str, Resource] = {
    r.path: r
    for r in (
        _resource(
            "users",
            "resources/user.md api/user-post-users.md",
            """
            accountEnabled boolean
            ageGroup string : Minor NotAdult Adult
            authorizationInfo object
            businessPhones string* items=1
            city string
            companyName string
            consentProvidedForMinor string : Granted Denied NotRequired
            country string
            customSecurityAttributes object
            department string
            displayName string max=256
            employeeHireDate datetime
            employeeId string
            employeeLeaveDateTime datetime
            employeeOrgData object
            employeeType string
            faxNumber string
            givenName string
            identities object*
            jobTitle string max=128
            mail string
            mailNickname string max=64
            mobilePhone string
            officeLocation string
            onPremisesExtensionAttributes object
            onPremisesImmutableId string
            otherMails string*
            passwordPolicies string rule=password_policies
            postalCode string
            preferredDataLocation string
            preferredLanguage string
            showInAddressList boolean
            state string
            streetAddress string
            surname string
            usageLocation string rule=country
            userPrincipalName string rule=upn
            userType string : Member Guest
            """,
            "accountEnabled displayName mailNickname passwordProfile userPrincipalName",
        ),
        _resource(
            "groups",
            "resources/group.md api/group-post-groups.md api/group-assignlicense.md",
            """
            assignedLicenses object*
            assignedLicenses[].skuId guid
            assignedLicenses[].disabledPlans guid*
            classification string
            description string
            displayName string max=256
            groupTypes string* : Unified DynamicMembership
            isAssignableToRole boolean
            mailEnabled boolean
            mailNickname string max=64 rule=mail_nickname
            membershipRule string
            membershipRuleProcessingState string : On Paused
            preferredDataLocation string
            preferredLanguage string
            resourceBehaviorOptions string*
            resourceProvisioningOptions string*
            securityEnabled boolean
            theme string
            visibility string : Public Private HiddenMembership
            """,
            "displayName mailEnabled mailNickname securityEnabled",
            (_group_kind,),
        ),
        _resource(
            "applications",
            "resources/application.md api/application-post-applications.md",
            """
            addIns object*
            api object
            appRoles object*
            certification object
            defaultRedirectUri string
            description string
            displayName string
            groupMembershipClaims string
            identifierUris string*
            info object
            isDeviceOnlyAuthSupported boolean
            isFallbackPublicClient boolean
            notes string
            oauth2RequirePostResponse boolean
            optionalClaims object
            parentalControlSettings object
            publicClient object
            requestSignatureVerification object
            requestSignatureVerification.allowedWeakAlgorithms string enum=weakAlgorithms flags : rsaSha1
            requiredResourceAccess object*
            samlMetadataUrl string
            serviceManagementReference string
            servicePrincipalLockConfiguration object
            signInAudience string : AzureADMyOrg AzureADMultipleOrgs AzureADandPersonalMicrosoftAccount PersonalMicrosoftAccount
            spa object
            tags string*
            tokenEncryptionKeyId guid
            uniqueName string
            web object
            """,
            "displayName",
        ),
        _resource(
            "servicePrincipals",
            "resources/serviceprincipal.md api/serviceprincipal-post-serviceprincipals.md",
            """
            accountEnabled boolean
            addIns object*
            alternativeNames string*
            appDescription string
            appRoleAssignmentRequired boolean
            appRoles object*
            customSecurityAttributes object
            description string
            displayName string
            homepage string
            info object
            loginUrl string
            logoutUrl string
            notes string
            notificationEmailAddresses string*
            oauth2PermissionScopes object*
            preferredSingleSignOnMode string
            preferredTokenSigningKeyThumbprint string
            replyUrls string*
            samlSingleSignOnSettings object
            servicePrincipalNames string*
            tags string*
            tokenEncryptionKeyId guid
            """,
            "appId",
        ),
        _resource(
            "identity/conditionalAccess/policies",
            "resources/conditionalaccesspolicy.md resources/conditionalaccessconditionset.md "
            "resources/conditionalaccessgrantcontrols.md resources/conditionalaccessusers.md",
            """
            conditions object
            conditions.applications object
            conditions.applications.applicationFilter.mode string enum=filterMode : include exclude
            conditions.authenticationFlows.transferMethods string enum=conditionalAccessTransferMethods flags : none deviceCodeFlow authenticationTransfer
            conditions.clientAppTypes string* enum=conditionalAccessClientApp : all browser mobileAppsAndDesktopClients exchangeActiveSync easSupported other
            conditions.clientApplications.servicePrincipalFilter.mode string enum=filterMode : include exclude
            conditions.devices.deviceFilter.mode string enum=filterMode : include exclude
            conditions.insiderRiskLevels string enum=conditionalAccessInsiderRiskLevels flags : minor moderate elevated
            conditions.platforms.excludePlatforms string* enum=conditionalAccessDevicePlatform : android iOS windows windowsPhone macOS all | linux
            conditions.platforms.includePlatforms string* enum=conditionalAccessDevicePlatform : android iOS windows windowsPhone macOS all | linux
            conditions.servicePrincipalRiskLevels string* enum=riskLevel : low medium high hidden none
            conditions.signInRiskLevels string* enum=riskLevel : low medium high hidden none
            conditions.userRiskLevels string* enum=riskLevel : low medium high hidden none
            conditions.users object
            conditions.users.excludeGroups string* rule=guid
            conditions.users.excludeGuestsOrExternalUsers.externalTenants.membershipKind string enum=conditionalAccessExternalTenantsMembershipKind : all enumerated
            conditions.users.excludeGuestsOrExternalUsers.guestOrExternalUserTypes string enum=conditionalAccessGuestOrExternalUserTypes flags : none internalGuest b2bCollaborationGuest b2bCollaborationMember b2bDirectConnectUser otherExternalUser serviceProvider
            conditions.users.excludeRoles string* rule=guid
            conditions.users.excludeUsers string* rule=user_ref
            conditions.users.includeGroups string* rule=guid
            conditions.users.includeGuestsOrExternalUsers.externalTenants.membershipKind string enum=conditionalAccessExternalTenantsMembershipKind : all enumerated
            conditions.users.includeGuestsOrExternalUsers.guestOrExternalUserTypes string enum=conditionalAccessGuestOrExternalUserTypes flags : none internalGuest b2bCollaborationGuest b2bCollaborationMember b2bDirectConnectUser otherExternalUser serviceProvider
            conditions.users.includeRoles string* rule=guid
            conditions.users.includeUsers string* rule=user_ref
            displayName string
            grantControls object
            grantControls.builtInControls string* enum=conditionalAccessGrantControl : block mfa compliantDevice domainJoinedDevice approvedApplication compliantApplication passwordChange | riskRemediation
            grantControls.operator string : AND OR
            sessionControls object
            sessionControls.cloudAppSecurity.cloudAppSecurityType string enum=cloudAppSecuritySessionControlType : mcasConfigured monitorOnly blockDownloads
            sessionControls.persistentBrowser.mode string enum=persistentBrowserSessionMode : always never
            sessionControls.signInFrequency.authenticationType string enum=signInFrequencyAuthenticationType : primaryAndSecondaryAuthentication secondaryAuthentication
            sessionControls.signInFrequency.frequencyInterval string enum=signInFrequencyInterval : timeBased everyTime
            sessionControls.signInFrequency.type string enum=signinFrequencyType : days hours
            state string enum=conditionalAccessPolicyState : enabled disabled enabledForReportingButNotEnforced
            """,
            "displayName conditions state",
            (_ca_conditions,),
        ),
        _resource(
            "identity/conditionalAccess/namedLocations",
            "resources/namedlocation.md resources/ipnamedlocation.md resources/countrynamedlocation.md",
            """
            @odata.type string : #microsoft.graph.ipNamedLocation #microsoft.graph.countryNamedLocation
            countriesAndRegions string* rule=country
            countryLookupMethod string enum=countryLookupMethodType : clientIpAddress authenticatorAppGps
            displayName string
            includeUnknownCountriesAndRegions boolean
            ipRanges object*
            ipRanges[].cidrAddress string rule=cidr
            isTrusted boolean
            """,
            "@odata.type displayName",
        ),
        _resource(
            "identity/conditionalAccess/authenticationContextClassReferences",
            "resources/authenticationcontextclassreference.md",
            """
            description string
            displayName string
            id string rule=auth_context_id
            isAvailable boolean
            """,
            "id displayName",
        ),
        _resource(
            "identity/conditionalAccess/authenticationStrength/policies",
            "resources/authenticationstrengthpolicy.md",
            """
            allowedCombinations string* enum=authenticationMethodModes flags : password voice hardwareOath softwareOath sms fido2 windowsHelloForBusiness microsoftAuthenticatorPush deviceBasedPush temporaryAccessPassOneTime temporaryAccessPassMultiUse email x509CertificateSingleFactor x509CertificateMultiFactor federatedSingleFactor federatedMultiFactor | qrCodePin
            description string
            displayName string
            """,
            "displayName allowedCombinations",
        ),
        _resource(
            "directory/administrativeUnits",
            "resources/administrativeunit.md",
            """
            description string
            displayName string
            isMemberManagementRestricted boolean
            membershipRule string
            membershipRuleProcessingState string : On Paused
            membershipType string : Assigned Dynamic
            visibility string : Public HiddenMembership
            """,
            "displayName",
        ),
        _resource(
            "directory/attributeSets",
            "resources/attributeset.md api/directory-post-attributesets.md",
            """
            description string max=128
            maxAttributesPerSet integer
            """,
            "id",
        ),
        _resource(
            "directory/customSecurityAttributeDefinitions",
            "resources/customsecurityattributedefinition.md resources/allowedvalue.md "
            "api/directory-post-customsecurityattributedefinitions.md",
            """
            allowedValues object* items=100
            allowedValues[].isActive boolean
            attributeSet string
            description string max=128
            isCollection boolean
            isSearchable boolean
            name string max=32
            status string : Available Deprecated
            type string : Boolean Integer String
            usePreDefinedValuesOnly boolean
            """,
            "attributeSet isCollection isSearchable name status type usePreDefinedValuesOnly",
        ),
        _resource(
            "roleManagement/directory/roleDefinitions",
            "resources/unifiedroledefinition.md api/rbacapplication-post-roledefinitions.md",
            """
            description string
            displayName string
            isEnabled boolean
            resourceScopes string*
            rolePermissions object*
            rolePermissions[].allowedResourceActions string*
            templateId string
            version string
            """,
            "displayName isEnabled rolePermissions",
        ),
        _resource(
            "roleManagement/directory/roleAssignments",
            "resources/unifiedroleassignment.md api/rbacapplication-post-roleassignments.md",
            """
            appScopeId string
            condition string
            directoryScopeId string
            principalId string rule=guid
            roleDefinitionId string
            """,
            "principalId roleDefinitionId",
            (_one_scope,),
        ),
        _resource(
            "roleManagement/directory/roleEligibilitySchedules",
            "resources/unifiedroleeligibilityschedule.md api/rbacapplication-post-roleeligibilityschedulerequests.md",
            _SCHEDULE,
            "principalId roleDefinitionId scheduleInfo",
            (_one_scope,),
        ),
        _resource(
            "roleManagement/directory/roleAssignmentSchedules",
            "resources/unifiedroleassignmentschedule.md api/rbacapplication-post-roleassignmentschedulerequests.md",
            _SCHEDULE,
            "principalId roleDefinitionId scheduleInfo",
            (_one_scope,),
        ),
        *(
            _resource(
                f"identityGovernance/privilegedAccess/group/{kind}Schedules",
                f"resources/privilegedaccessgroup{kind}schedule.md "
                f"api/privilegedaccessgroup-post-{kind}schedulerequests.md",
                _GROUP_SCHEDULE,
                "accessId groupId principalId scheduleInfo",
            )
            for kind in ("eligibility", "assignment")
        ),
        _resource(
            "policies/roleManagementPolicies",
            "resources/unifiedrolemanagementpolicy.md api/unifiedrolemanagementpolicyrule-update.md",
            """
            rules object*
            """,
        ),
        _resource(
            "policies/roleManagementPolicyAssignments",
            "resources/unifiedrolemanagementpolicyassignment.md",
            "",
        ),
        _resource(
            "oauth2PermissionGrants",
            "resources/oauth2permissiongrant.md api/oauth2permissiongrant-post.md",
            """
            clientId string rule=guid
            consentType string : AllPrincipals Principal
            principalId string rule=guid
            resourceId string rule=guid
            scope string
            """,
            "clientId consentType resourceId",
            (_grant_principal,),
        ),
        _resource(
            "policies/authenticationMethodsPolicy",
            "resources/authenticationmethodspolicy.md resources/authenticationmethodconfiguration.md",
            """
            authenticationMethodConfigurations object*
            authenticationMethodConfigurations[].state string enum=authenticationMethodState : enabled disabled
            policyMigrationState string enum=authenticationMethodsPolicyMigrationState : preMigration migrationInProgress migrationComplete
            registrationEnforcement object
            registrationEnforcement.authenticationMethodsRegistrationCampaign.excludeTargets[].targetType string enum=authenticationMethodTargetType : user group
            registrationEnforcement.authenticationMethodsRegistrationCampaign.includeTargets[].targetType string enum=authenticationMethodTargetType : user group
            registrationEnforcement.authenticationMethodsRegistrationCampaign.state string enum=advancedConfigState : default enabled disabled
            """,
        ),
        _resource(
            "policies/authorizationPolicy",
            "resources/authorizationpolicy.md",
            """
            allowEmailVerifiedUsersToJoinOrganization boolean
            allowInvitesFrom string enum=allowInvitesFrom : none adminsAndGuestInviters adminsGuestInvitersAndAllMembers everyone
            allowUserConsentForRiskyApps boolean
            allowedToSignUpEmailBasedSubscriptions boolean
            allowedToUseSSPR boolean
            blockMsolPowerShell boolean
            defaultUserRolePermissions object
            description string
            displayName string
            guestUserRoleId guid
            """,
        ),
        _resource(
            "policies/identitySecurityDefaultsEnforcementPolicy",
            "resources/identitysecuritydefaultsenforcementpolicy.md",
            """
            isEnabled boolean
            """,
        ),
        _resource(
            "policies/authenticationFlowsPolicy",
            "resources/authenticationflowspolicy.md",
            """
            selfServiceSignUp object
            selfServiceSignUp.isEnabled boolean
            """,
        ),
        _resource(
            "policies/adminConsentRequestPolicy",
            "resources/adminconsentrequestpolicy.md resources/accessreviewreviewerscope.md",
            """
            isEnabled boolean
            notifyReviewers boolean
            remindersEnabled boolean
            requestDurationInDays integer
            reviewers object*
            reviewers[].query string
            reviewers[].queryRoot string
            reviewers[].queryType string : MicrosoftGraph
            """,
        ),
        _resource(
            "policies/activityBasedTimeoutPolicies",
            "resources/activitybasedtimeoutpolicy.md",
            """
            definition string* rule=timeout_definition
            description string
            displayName string
            isOrganizationDefault boolean
            """,
            "displayName definition",
        ),
        _resource(
            "groupSettings",
            "resources/groupsetting.md resources/settingvalue.md group-post-settings.md",
            """
            templateId string rule=guid
            values object*
            values[].name string
            values[].value string
            """,
            "templateId values",
        ),
        _resource(
            "groupLifecyclePolicies",
            "resources/grouplifecyclepolicy.md",
            """
            alternateNotificationEmails string
            groupLifetimeInDays integer
            managedGroupTypes string : All Selected None
            """,
        ),
        _resource(
            "policies/claimsMappingPolicies",
            "resources/claimsmappingpolicy.md resources/stspolicy.md",
            """
            definition string* rule=claimsMappingPolicy_definition
            description string
            displayName string
            isOrganizationDefault boolean
            """,
            "displayName definition",
        ),
        _resource(
            "policies/tokenIssuancePolicies",
            "resources/tokenissuancepolicy.md resources/stspolicy.md",
            """
            definition string* rule=tokenIssuancePolicy_definition
            description string
            displayName string
            isOrganizationDefault boolean
            """,
            "displayName definition",
        ),
        _resource(
            "policies/tokenLifetimePolicies",
            "resources/tokenlifetimepolicy.md resources/stspolicy.md",
            """
            definition string* rule=tokenLifetimePolicy_definition
            description string
            displayName string
            isOrganizationDefault boolean
            """,
            "displayName definition",
        ),
        _resource(
            "policies/homeRealmDiscoveryPolicies",
            "resources/homerealmdiscoverypolicy.md resources/stspolicy.md",
            """
            definition string* rule=homeRealmDiscoveryPolicy_definition
            description string
            displayName string
            isOrganizationDefault boolean
            """,
            "displayName definition",
        ),
        _resource(
            "policies/appManagementPolicies",
            "api/appmanagementpolicy-post.md resources/appmanagementconfiguration.md "
            "resources/passwordcredentialconfiguration.md resources/keycredentialconfiguration.md "
            "resources/customappmanagementconfiguration.md resources/appmanagementpolicyactorexemptions.md",
            """
            description string
            displayName string
            isEnabled boolean
            """
            + _credential_rules("restrictions", uris=True),
            "displayName description",
        ),
        _resource(
            "policies/defaultAppManagementPolicy",
            "api/tenantappmanagementpolicy-update.md resources/tenantappmanagementpolicy.md",
            """
            description string
            displayName string
            isEnabled boolean
            """
            + _credential_rules("applicationRestrictions", uris=True)
            + _credential_rules("servicePrincipalRestrictions", uris=False),
        ),
        _resource(
            "policies/permissionGrantPolicies",
            "resources/permissiongrantpolicy.md resources/permissiongrantconditionset.md",
            """
            description string
            displayName string
            excludes object*
            excludes[].clientApplicationIds string*
            excludes[].clientApplicationPublisherIds string*
            excludes[].clientApplicationTenantIds string*
            excludes[].clientApplicationsFromVerifiedPublisherOnly boolean
            excludes[].permissionClassification string : all low medium high
            excludes[].permissionType string enum=permissionType : application delegated delegatedUserConsentable
            excludes[].permissions string*
            excludes[].resourceApplication string
            id string
            includes object*
            includes[].clientApplicationIds string*
            includes[].clientApplicationPublisherIds string*
            includes[].clientApplicationTenantIds string*
            includes[].clientApplicationsFromVerifiedPublisherOnly boolean
            includes[].permissionClassification string : all low medium high
            includes[].permissionType string enum=permissionType : application delegated delegatedUserConsentable
            includes[].permissions string*
            includes[].resourceApplication string
            """,
            "id",
        ),
        _resource(
            "identityGovernance/termsOfUse/agreements",
            "resources/agreement.md resources/termsexpiration.md resources/agreementfilelocalization.md "
            "api/termsofusecontainer-post-agreements.md",
            """
            displayName string
            files object*
            files[].displayName string
            files[].fileData object
            files[].fileData.data string
            files[].fileName string
            files[].isDefault boolean
            files[].isMajorVersion boolean
            files[].language string
            isPerDeviceAcceptanceRequired boolean
            isViewingBeforeAcceptanceRequired boolean
            termsExpiration object
            termsExpiration.frequency string
            termsExpiration.startDateTime datetime
            userReacceptRequiredFrequency string
            """,
            "displayName isViewingBeforeAcceptanceRequired files",
        ),
        _resource(
            "policies/featureRolloutPolicies",
            "resources/featurerolloutpolicy.md api/featurerolloutpolicies-post.md",
            """
            description string
            displayName string
            feature string enum=stagedFeatureName : passthroughAuthentication seamlessSso passwordHashSync emailAsAlternateId | certificateBasedAuthentication multiFactorAuthentication
            isAppliedToOrganization boolean
            isEnabled boolean
            """,
            "displayName feature isEnabled",
        ),
        _resource(
            "deviceManagement/deviceCompliancePolicies",
            "resources/intune-deviceconfig-devicecompliancepolicy.md "
            "resources/intune-deviceconfig-devicecompliancescheduledactionforrule.md "
            "resources/intune-deviceconfig-devicecomplianceactionitem.md "
            "resources/intune-deviceconfig-devicecompliancepolicyassignment.md "
            "resources/intune-shared-groupassignmenttarget.md "
            "api/intune-deviceconfig-windows10compliancepolicy-create.md",
            """
            @odata.type string : #microsoft.graph.androidCompliancePolicy #microsoft.graph.androidWorkProfileCompliancePolicy #microsoft.graph.iosCompliancePolicy #microsoft.graph.macOSCompliancePolicy #microsoft.graph.windows10CompliancePolicy #microsoft.graph.windows10MobileCompliancePolicy #microsoft.graph.windows81CompliancePolicy #microsoft.graph.windowsPhone81CompliancePolicy
            assignments object*
            assignments[].target object
            assignments[].target.groupId string rule=guid
            bitLockerEnabled boolean
            codeIntegrityEnabled boolean
            description string
            deviceThreatProtectionEnabled boolean
            deviceThreatProtectionRequiredSecurityLevel string enum=deviceThreatProtectionLevel : unavailable secured low medium high notSet
            displayName string
            earlyLaunchAntiMalwareDriverEnabled boolean
            firewallBlockAllIncoming boolean
            firewallEnableStealthMode boolean
            firewallEnabled boolean
            managedEmailProfileRequired boolean
            minAndroidSecurityPatchLevel string
            mobileOsMaximumVersion string
            mobileOsMinimumVersion string
            osMaximumVersion string
            osMinimumVersion string
            passcodeBlockSimple boolean
            passcodeExpirationDays integer
            passcodeMinimumCharacterSetCount integer
            passcodeMinimumLength integer
            passcodeMinutesOfInactivityBeforeLock integer
            passcodePreviousPasscodeBlockCount integer
            passcodeRequired boolean
            passcodeRequiredType string enum=requiredPasswordType : deviceDefault alphanumeric numeric
            passwordBlockSimple boolean
            passwordExpirationDays integer
            passwordMinimumCharacterSetCount integer
            passwordMinimumLength integer
            passwordMinutesOfInactivityBeforeLock integer
            passwordPreviousPasswordBlockCount integer
            passwordRequireToUnlockFromIdle boolean
            passwordRequired boolean
            passwordRequiredToUnlockFromIdle boolean
            passwordRequiredType string enum=requiredPasswordType|androidRequiredPasswordType : deviceDefault alphabetic alphanumeric alphanumericWithSymbols lowSecurityBiometric numeric numericComplex any
            requireHealthyDeviceReport boolean
            scheduledActionsForRule object*
            scheduledActionsForRule[].ruleName string
            scheduledActionsForRule[].scheduledActionConfigurations object*
            scheduledActionsForRule[].scheduledActionConfigurations[].actionType string enum=deviceComplianceActionType : noAction notification block retire wipe removeResourceAccessProfiles pushNotification
            scheduledActionsForRule[].scheduledActionConfigurations[].gracePeriodHours integer
            scheduledActionsForRule[].scheduledActionConfigurations[].notificationMessageCCList string*
            scheduledActionsForRule[].scheduledActionConfigurations[].notificationTemplateId string
            secureBootEnabled boolean
            securityBlockJailbrokenDevices boolean
            securityDisableUsbDebugging boolean
            securityPreventInstallAppsFromUnknownSources boolean
            securityRequireCompanyPortalAppIntegrity boolean
            securityRequireGooglePlayServices boolean
            securityRequireSafetyNetAttestationBasicIntegrity boolean
            securityRequireSafetyNetAttestationCertifiedDevice boolean
            securityRequireUpToDateSecurityProviders boolean
            securityRequireVerifyApps boolean
            storageRequireEncryption boolean
            systemIntegrityProtectionEnabled boolean
            """,
            "@odata.type displayName scheduledActionsForRule",
            (_one_block_action,),
        ),
        _resource(
            "policies/crossTenantAccessPolicy",
            "resources/crosstenantaccesspolicy.md api/crosstenantaccesspolicy-update.md",
            """
            allowedCloudEndpoints string* : microsoftonline.com microsoftonline.us partner.microsoftonline.cn
            displayName string
            """,
        ),
        _resource(
            "policies/crossTenantAccessPolicy/default",
            "resources/crosstenantaccesspolicyconfigurationdefault.md "
            "api/crosstenantaccesspolicyconfigurationdefault-update.md",
            """
            automaticUserConsentSettings object
            automaticUserConsentSettings.inboundAllowed boolean
            automaticUserConsentSettings.outboundAllowed boolean
            inboundTrust object
            inboundTrust.isCompliantDeviceAccepted boolean
            inboundTrust.isHybridAzureADJoinedDeviceAccepted boolean
            inboundTrust.isMfaAccepted boolean
            invitationRedemptionIdentityProviderConfiguration object
            invitationRedemptionIdentityProviderConfiguration.fallbackIdentityProvider string enum=b2bIdentityProvidersType : azureActiveDirectory externalFederation socialIdentityProviders emailOneTimePasscode microsoftAccount defaultConfiguredIdp
            invitationRedemptionIdentityProviderConfiguration.primaryIdentityProviderPrecedenceOrder string* enum=b2bIdentityProvidersType : azureActiveDirectory externalFederation socialIdentityProviders emailOneTimePasscode microsoftAccount defaultConfiguredIdp
            """
            + _ACCESS_SETTINGS,
        ),
        _resource(
            "policies/crossTenantAccessPolicy/partners",
            "resources/crosstenantaccesspolicyconfigurationpartner.md "
            "api/crosstenantaccesspolicy-post-partners.md "
            "api/crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization.md",
            """
            automaticUserConsentSettings object
            automaticUserConsentSettings.inboundAllowed boolean
            automaticUserConsentSettings.outboundAllowed boolean
            identitySynchronization object
            identitySynchronization.displayName string
            identitySynchronization.userSyncInbound object
            identitySynchronization.userSyncInbound.isSyncAllowed boolean
            inboundTrust object
            inboundTrust.isCompliantDeviceAccepted boolean
            inboundTrust.isHybridAzureADJoinedDeviceAccepted boolean
            inboundTrust.isMfaAccepted boolean
            isServiceProvider boolean
            tenantId string rule=guid
            """
            + _ACCESS_SETTINGS,
            "tenantId",
        ),
        _resource(
            "domains",
            "resources/domain.md api/domain-update.md resources/internaldomainfederation.md "
            "api/domain-post-federationconfiguration.md",
            """
            federationConfiguration object*
            federationConfiguration[].activeSignInUri string
            federationConfiguration[].displayName string
            federationConfiguration[].federatedIdpMfaBehavior string enum=federatedIdpMfaBehavior : acceptIfMfaDoneByFederatedIdp enforceMfaByFederatedIdp rejectMfaByFederatedIdp
            federationConfiguration[].isSignedAuthenticationRequestRequired boolean
            federationConfiguration[].issuerUri string
            federationConfiguration[].metadataExchangeUri string
            federationConfiguration[].nextSigningCertificate string
            federationConfiguration[].passiveSignInUri string
            federationConfiguration[].passwordResetUri string
            federationConfiguration[].preferredAuthenticationProtocol string enum=authenticationProtocol : wsFed saml
            federationConfiguration[].promptLoginBehavior string enum=promptLoginBehavior : translateToFreshPasswordAuthentication nativeSupport disabled
            federationConfiguration[].signOutUri string
            federationConfiguration[].signingCertificate string
            isDefault boolean
            passwordNotificationWindowInDays integer
            passwordValidityPeriodInDays integer
            supportedServices string* : Email Sharepoint EmailInternalRelayOnly OfficeCommunicationsOnline SharePointDefaultDomain FullRedelegation SharePointPublic OrgIdAuthentication Yammer Intune
            """,
        ),
        _resource(
            "organization",
            "resources/organization.md",
            """
            businessPhones string*
            city string
            country string
            countryLetterCode string
            defaultUsageLocation string
            displayName string
            marketingNotificationEmails string*
            postalCode string
            preferredLanguage string
            privacyProfile object
            securityComplianceNotificationMails string*
            securityComplianceNotificationPhones string*
            state string
            street string
            technicalNotificationMails string*
            """,
        ),
    )
}
