"""The value rules Graph documents for a user's properties, checked on create and on the merged PATCH result.

Sources: resources/user.md (maximum lengths, the ageGroup/consentProvidedForMinor/userType enumerations,
"businessPhones: only one number can be set", usageLocation "a two-letter country code (ISO standard 3166)",
passwordPolicies DisablePasswordExpiration/DisableStrongPassword), the Entra password policy page (8-256
characters, three of lower/upper/digit/symbol, the allowed symbols, "Unicode characters" not allowed), and the
OData conversion errors Graph answers when a JSON value has the wrong type for the declared one.
"""

from __future__ import annotations

from typing import Any, NoReturn

from entragit.sandbox.protocol import bad, invalid_value
from entragit.sandbox.schema import TYPES, parse_time

PASSWORD_REFUSAL = (
    "The specified password does not comply with password complexity requirements. "
    "Please provide a different password."
)

# user.md "Max length" of the string properties (UPN: the part before @, see validate_upn).
MAX_LENGTH = {"displayName": 256, "jobTitle": 128, "mailNickname": 64}

ENUMS: dict[str, frozenset[str | None]] = {
    "ageGroup": frozenset({None, "Minor", "NotAdult", "Adult"}),
    "consentProvidedForMinor": frozenset({None, "Granted", "Denied", "NotRequired"}),
    "userType": frozenset({"Member", "Guest"}),
}

STRINGS = frozenset(
    {
        "aboutMe", "ageGroup", "city", "companyName", "consentProvidedForMinor", "country", "department",
        "displayName", "employeeId", "employeeType", "faxNumber", "givenName", "jobTitle", "mail",
        "mailNickname", "mobilePhone", "mySite", "officeLocation", "onPremisesImmutableId",
        "passwordPolicies", "postalCode", "preferredDataLocation", "preferredLanguage", "preferredName",
        "state", "streetAddress", "surname", "usageLocation", "userPrincipalName", "userType",
    }
)  # fmt: skip
STRING_LISTS = frozenset(
    {"businessPhones", "otherMails", "interests", "pastProjects", "responsibilities", "schools", "skills"}
)
BOOLEANS = frozenset({"accountEnabled", "showInAddressList"})
DATES = frozenset({"birthday", "employeeHireDate", "employeeLeaveDateTime", "hireDate"})

PASSWORD_POLICIES = frozenset({"DisablePasswordExpiration", "DisableStrongPassword", "None"})
PASSWORD_SYMBOLS = frozenset("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")

# ISO 3166-1 alpha-2, officially assigned codes.
_COUNTRY_LINES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ",
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM",
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS",
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN",
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ",
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM",
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV",
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI",
    "VN VU WF WS YE YT ZA ZM ZW",
)
COUNTRIES = frozenset(" ".join(_COUNTRY_LINES).split())


def _not_convertible(expected: str) -> NoReturn:
    bad(
        f"Cannot convert a primitive value to the expected type '{expected}'. "
        "See the inner exception for more details.",
        "BadRequest",
    )


def check_types(body: dict[str, Any]) -> None:
    """A JSON value whose type is not the declared one is refused before any rule (number for a string...)."""
    for prop, value in body.items():
        if value is None:
            continue
        if prop in STRINGS and not isinstance(value, str):
            _not_convertible("Edm.String")
        if prop in BOOLEANS and not isinstance(value, bool):
            _not_convertible("Edm.Boolean")
        if prop in STRING_LISTS and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            _not_convertible("Edm.String")
        if prop in DATES:
            try:
                if not isinstance(value, str):
                    raise ValueError(value)
                parse_time(value)
            except ValueError:
                bad(
                    f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'.",
                    "BadRequest",
                )


def check_values(user: dict[str, Any], changed: set[str]) -> None:
    """The documented rules for the properties in `changed`, judged on the user as it would be stored."""
    td = TYPES["users"]
    for prop, limit in MAX_LENGTH.items():
        if prop in changed and len(user.get(prop) or "") > limit:
            invalid_value(td, prop)
    for prop, allowed in ENUMS.items():
        if prop in changed and user.get(prop) not in allowed:
            invalid_value(td, prop)
    if "usageLocation" in changed and user.get("usageLocation") not in COUNTRIES | {None}:
        invalid_value(td, "usageLocation")
    if "businessPhones" in changed and len(user.get("businessPhones") or []) > 1:
        invalid_value(td, "businessPhones")
    if "passwordPolicies" in changed and not policies_ok(user.get("passwordPolicies")):
        invalid_value(td, "passwordPolicies")


def policies_ok(value: Any) -> bool:
    if value is None:
        return True
    parts = [p.strip() for p in str(value).split(",")]
    return all(p in PASSWORD_POLICIES for p in parts)


def password_ok(password: Any, policies: Any) -> bool:
    """8-256 allowed characters (no Unicode); three of the four classes unless DisableStrongPassword."""
    if not isinstance(password, str) or not 8 <= len(password) <= 256:
        return False
    if any(not (c.isascii() and (c.isalnum() or c in PASSWORD_SYMBOLS)) for c in password):
        return False
    if "DisableStrongPassword" in [p.strip() for p in str(policies or "").split(",")]:
        return True
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(c in PASSWORD_SYMBOLS for c in password),
    ]
    return sum(classes) >= 3


def check_password(profile: Any, policies: Any) -> None:
    if not isinstance(profile, dict) or not password_ok(profile.get("password"), policies):
        bad(PASSWORD_REFUSAL)
