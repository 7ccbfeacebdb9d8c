"""Canonical form and YAML: what a backup repository's files look like and that they read back exactly."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from entragit import canonical
from entragit.canonical import (
    CanonicalError,
    canonicalize,
    check_file,
    dump,
    dump_many,
    find_references,
    load,
    rewrite_references,
)
from entragit.catalog import by_name, object_path

TRICKY_STRINGS = [
    # YAML 1.1 booleans and nulls (PyYAML, GitHub) and YAML 1.2 ones (ruamel)
    "on", "off", "On", "OFF", "yes", "no", "Yes", "NO", "y", "n", "Y", "N", "true", "False", "TRUE",
    "null", "Null", "NULL", "~", "",
    # numbers in either version: octal, exponent, hex, underscores, sexagesimal, infinities
    "0123", "0o17", "1e3", "1E3", "1.5e-3", "0x1F", "1_000", "12:30", "190:20:30", "-1", "+1", ".5", "1.",
    ".inf", "-.Inf", ".NaN", "0", "-0",
    # dates and timestamps
    "2024-01-01", "2024-1-1", "2021-09-21T07:09:14Z", "2019-09-04T01:11:34.9387578Z",
    "2001-12-14 21:59:43.10 -5",
    # whitespace
    " leading", "trailing ", "  ", "a  b", "a\tb", "\ttab", "cr\rhere", "crlf\r\nline", "line\n",
    # indicators and syntax
    "- x", "-", "--- x", "---", "...", ": x", "a: b", "a:", "a:b", "#x", "a #b", "a#b", "@x", "`x", "!tag",
    "&anchor", "*alias", "|", ">", "%x", "?", "? x", "[x]", "{x}", "x, y", "'quoted'", '"dq"', "it's",
    "<<", "=", "\\", "back\\slash", "\\n",
    # unicode: emoji, CJK, accents, separators YAML 1.1 reads as line breaks, BOM, NBSP, control chars
    "emoji 😀 ok", "😀", "中文名称", "Zoë Ångström", "a\u2028b", "a\u2029b", "a\x85b", "\ufeffbom",
    "nb\u00a0sp", "bell\x07", "nul\x00", "\x1b[0m", "soft\u00adhyphen",
    # multi-line
    "two\nlines", "trailing newline\n", "two trailing\n\n", "\nleading newline", "indented\n  more\n    most",
    " first line indented\nsecond", "trailing space \nline", "tab\tinside\nblock",
    "# not a comment\n- not a list",
    # identifiers
    "12345678-1234-1234-1234-123456789abc", "0123e456-0000-0000-0000-000000000000",
    "YUb1sHQtUEyvox7IA_Eu_mm3jqnUe4lEhvatluHVi2I-1", "-WmtM5na7Uus0D8kI1yylpU9Mdo0Pb9OoBJvd3T5eKc",
    "https://contoso.com/path?q=1#frag", "api://5f0e8d0a", "/administrativeUnits/abc", "/",
    "#microsoft.graph.user", "User.Read.All openid", "S-1-12-1-1234", "SMTP:adele@contoso.com",
]  # fmt: skip

TRICKY_NUMBERS = [0, 1, -1, 2**63, 10**30, 1.0, -0.5, 0.1, 1e20, 1e-7, 1.5e300, 3.141592653589793]


def _typical_user(i: int = 0) -> dict[str, Any]:
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "id": f"{i:08x}-e32e-41a1-b7bd-d2d185eed0e0",
        "userPrincipalName": f"user{i}@contoso.onmicrosoft.com",
        "displayName": f"Adele Vance {i}",
        "accountEnabled": True,
        "businessPhones": ["+1 425 555 0109"],
        "proxyAddresses": ["smtp:b@contoso.com", "SMTP:a@contoso.com"],
        "assignedLicenses": [
            {"skuId": "b", "disabledPlans": []},
            {"skuId": "a", "disabledPlans": ["z", "y"]},
        ],
        "assignedPlans": [
            {
                "assignedDateTime": "2022-01-01T00:00:00Z",
                "capabilityStatus": "Enabled",
                "servicePlanId": "p2",
            },
            {
                "assignedDateTime": "2023-01-01T00:00:00Z",
                "capabilityStatus": "Enabled",
                "servicePlanId": "p1",
            },
        ],
        "lastPasswordChangeDateTime": "2024-05-01T10:00:00Z",
        "signInSessionsValidFromDateTime": "2024-05-01T10:00:00Z",
        "onPremisesExtensionAttributes": {"extensionAttribute2": None, "extensionAttribute1": "on"},
        "jobTitle": "Retail Manager",
    }


# ---------------------------------------------------------------------------------------------------------
# YAML round trip


@pytest.mark.parametrize("s", TRICKY_STRINGS)
def test_tricky_string_round_trips_as_value_key_and_list_item(s: str) -> None:
    doc = {"value": s, s: "key", "list": [s, {"nested": s}], "after": 1}
    text = dump(doc)
    assert load(text) == doc
    # and nothing else moved: a string never turns into another type
    assert type(load(text)["value"]) is str


@pytest.mark.parametrize("s", TRICKY_STRINGS)
def test_yaml_1_1_reader_reads_the_same_strings(s: str) -> None:
    """GitHub and PyYAML read YAML 1.1, where `on`, `no`, `12:30` and friends are not strings."""
    yaml = pytest.importorskip("yaml")
    doc = {"value": s, s: "key", "list": [s, {"nested": s}]}
    assert yaml.load(dump(doc), Loader=yaml.SafeLoader) == doc


@pytest.mark.parametrize("s", TRICKY_STRINGS)
def test_pure_ruamel_yaml_1_2_reader_reads_the_same_strings(s: str) -> None:
    from ruamel.yaml import YAML

    doc = {"value": s, s: "key", "list": [s, {"nested": s}]}
    assert YAML(typ="safe", pure=True).load(dump(doc)) == doc


def test_numbers_bools_and_null_keep_their_types() -> None:
    doc = {"n": TRICKY_NUMBERS, "t": True, "f": False, "none": None, "one": 1, "onef": 1.0}
    back = load(dump(doc))
    assert back == doc
    assert type(back["one"]) is int
    assert type(back["onef"]) is float
    assert [type(v) for v in back["n"]] == [type(v) for v in TRICKY_NUMBERS]
    yaml = pytest.importorskip("yaml")
    assert yaml.load(dump(doc), Loader=yaml.SafeLoader) == doc


def test_empty_containers_and_nesting() -> None:
    doc = {"e": {}, "l": [], "ll": [[], [[1, 2], []], {}], "d": {"x": [{"a": {"b": [{}]}}]}}
    text = dump(doc)
    assert "e: {}\n" in text
    assert "l: []\n" in text
    assert load(text) == doc
    assert dump({}) == "{}\n"
    assert load(dump({})) == {}


def test_plain_style_for_ordinary_strings() -> None:
    text = dump(
        {"displayName": "Adele Vance", "id": "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0", "u": "https://x"}
    )
    assert text == "displayName: Adele Vance\nid: 6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0\nu: https://x\n"


def test_multi_line_text_is_a_literal_block() -> None:
    text = dump({"description": "Line one\nLine two\n"})
    assert text == "description: |\n  Line one\n  Line two\n"
    # unsafe for a block (a \r, trailing spaces) -> double quoted on one line
    assert dump({"d": "a \nb"}) == 'd: "a \\nb"\n'
    assert dump({"d": "a\r\nb"}) == 'd: "a\\r\\nb"\n'


def test_unicode_is_written_as_is() -> None:
    text = dump({"displayName": "Zoë 😀 中文"})
    assert text == "displayName: Zoë 😀 中文\n"


def test_no_line_wrapping_and_no_aliases() -> None:
    long = "word " * 200 + "end"
    shared = {"a": [1, 2]}
    text = dump({"long": long, "x": shared, "y": shared})
    assert text.splitlines()[0] == "long: " + long  # one line, however long
    assert len(text.splitlines()) == 9
    assert "&" not in text and "*" not in text
    assert load(text) == {"long": long, "x": shared, "y": shared}


def test_keys_keep_the_dict_order() -> None:
    assert dump({"b": 1, "a": 2}) == "b: 1\na: 2\n"


def test_load_errors_name_the_file() -> None:
    with pytest.raises(CanonicalError, match=r"users/x\.yaml: invalid YAML"):
        load("a: [1\n", source="users/x.yaml")
    with pytest.raises(CanonicalError, match=r"duplicate|already"):
        load("a: 1\na: 2\n", source="users/x.yaml")
    with pytest.raises(CanonicalError, match="expected a mapping"):
        load("- 1\n", source="f.yaml")


def test_load_keeps_unquoted_dates_as_written() -> None:
    """A hand-edited file with an unquoted date must not turn into a datetime object."""
    assert load("d: 2024-01-01\nt: 2021-09-21T07:09:14Z\n") == {
        "d": "2024-01-01",
        "t": "2021-09-21T07:09:14Z",
    }


def test_load_rejects_values_outside_the_json_model() -> None:
    with pytest.raises(CanonicalError, match="set"):
        load("a: !!set {x}\n", source="f.yaml")


def test_dump_rejects_values_outside_the_json_model() -> None:
    with pytest.raises(TypeError):
        dump({"a": object()})


def test_dump_many_matches_dump_and_parallel_path() -> None:
    users = by_name("users")
    objs = [canonicalize(users, _typical_user(i)) for i in range(60)]
    expected = [dump(o) for o in objs]
    assert dump_many(objs) == expected
    old = canonical.PARALLEL_THRESHOLD
    canonical.PARALLEL_THRESHOLD = 10
    try:
        assert dump_many(objs, processes=2) == expected
    finally:
        canonical.PARALLEL_THRESHOLD = old


# ---------------------------------------------------------------------------------------------------------
# canonicalize


def test_same_object_in_any_key_or_list_order_gives_identical_bytes() -> None:
    users = by_name("users")
    a = _typical_user()
    b = json.loads(json.dumps(dict(reversed(list(a.items())))))
    b["proxyAddresses"].reverse()
    b["assignedPlans"].reverse()
    b["onPremisesExtensionAttributes"] = dict(reversed(list(b["onPremisesExtensionAttributes"].items())))
    links_a = {"manager": {"id": "m1", "@odata.type": "#microsoft.graph.user"}}
    ca, cb = canonicalize(users, a, links_a), canonicalize(users, b, {"manager": "m1"})
    assert dump(ca) == dump(cb)


def test_identity_fields_first_then_sorted() -> None:
    obj = canonicalize(by_name("users"), _typical_user())
    keys = list(obj)
    assert keys[:3] == ["id", "displayName", "userPrincipalName"]
    assert keys[3:] == sorted(keys[3:])
    assert dump(obj).startswith("id: 00000000-e32e-41a1-b7bd-d2d185eed0e0\ndisplayName: Adele Vance 0\n")
    nested = obj["onPremisesExtensionAttributes"]
    assert list(nested) == sorted(nested)


def test_volatile_fields_dropped_at_any_depth() -> None:
    obj = canonicalize(by_name("users"), {**_typical_user(), "signInActivity": {"lastSignInDateTime": "x"}})
    assert "lastPasswordChangeDateTime" not in obj
    assert "signInSessionsValidFromDateTime" not in obj
    assert "signInActivity" not in obj
    assert all("assignedDateTime" not in plan for plan in obj["assignedPlans"])


def test_odata_annotations_dropped_except_type_on_polymorphic_types() -> None:
    loc = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#namedLocations/$entity",
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        "id": "06e4ff15-ca6b-4843-9c34-3fdd1ce8f739",
        "displayName": "IPv4 named location",
        "modifiedDateTime": "2019-07-26T18:00:43.5796446Z",
        "createdDateTime": "2018-06-22T11:56:12Z",
        "isTrusted": False,
        "ipRanges": [
            {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "6.5.4.3/32"},
            {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "127.126.125.0/24"},
        ],
    }
    obj = canonicalize(by_name("namedLocations"), loc)
    assert "@odata.context" not in obj
    assert "modifiedDateTime" not in obj
    assert list(obj)[:3] == ["id", "displayName", "@odata.type"]
    assert [r["cidrAddress"] for r in obj["ipRanges"]] == ["127.126.125.0/24", "6.5.4.3/32"]
    assert all(r["@odata.type"] == "#microsoft.graph.iPv4CidrRange" for r in obj["ipRanges"])
    # a country location does not grow ipRanges: null (polymorphic types are not filled)
    country = canonicalize(
        by_name("namedLocations"),
        {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            "id": "c",
            "countriesAndRegions": ["US", "CA"],
        },
    )
    assert "ipRanges" not in country
    assert country["countriesAndRegions"] == ["CA", "US"]
    # homogeneous types lose @odata.type too
    user = canonicalize(by_name("users"), {**_typical_user(), "@odata.type": "#microsoft.graph.user"})
    assert "@odata.type" not in user
    assert not any("@" in k for k in canonicalize(by_name("groups"), {"id": "g", "members@delta": []}))


def test_unordered_lists_sorted_ordered_lists_kept() -> None:
    policy = {
        "id": "p",
        "displayName": "Require MFA",
        "state": "enabled",
        "conditions": {
            "users": {"includeUsers": ["b", "a"], "excludeGroups": ["g2", "g1"]},
            "applications": {"includeApplications": ["All"]},
            "clientAppTypes": ["other", "browser"],
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa", "compliantDevice"]},
    }
    obj = canonicalize(by_name("conditionalAccessPolicies"), policy)
    assert obj["conditions"]["users"]["includeUsers"] == ["a", "b"]
    assert obj["conditions"]["users"]["excludeGroups"] == ["g1", "g2"]
    assert obj["conditions"]["clientAppTypes"] == ["browser", "other"]
    assert obj["grantControls"]["builtInControls"] == ["compliantDevice", "mfa"]
    app = canonicalize(
        by_name("applications"), {"id": "a", "web": {"redirectUris": ["z", "a"]}, "notes": "x"}
    )
    assert app["web"]["redirectUris"] == ["a", "z"]


def test_lists_inside_list_items_sorted() -> None:
    obj = canonicalize(by_name("users"), _typical_user())
    assert [lic["skuId"] for lic in obj["assignedLicenses"]] == ["a", "b"]
    assert obj["assignedLicenses"][0]["disabledPlans"] == ["y", "z"]
    assert [p["servicePlanId"] for p in obj["assignedPlans"]] == ["p1", "p2"]


def test_keyed_lists_sort_the_same_whatever_order_graph_sends() -> None:
    """Items with equal sort keys (two states of one licence) still get one order: the file must not flip
    between runs when Graph returns them the other way round."""
    users = by_name("users")
    states = [
        {"skuId": "b", "state": "Active", "disabledPlans": []},
        {"skuId": "a", "state": "Error", "disabledPlans": []},
        {"skuId": "a", "state": "Active", "disabledPlans": []},
    ]
    orders = {
        str(
            canonicalize(users, {**_typical_user(), "licenseAssignmentStates": list(p)})[
                "licenseAssignmentStates"
            ]
        )
        for p in (states, states[::-1], states[1:] + states[:1])
    }
    assert len(orders) == 1
    first = canonicalize(users, {**_typical_user(), "licenseAssignmentStates": states})
    assert [(s["skuId"], s["state"]) for s in first["licenseAssignmentStates"]] == [
        ("a", "Active"),
        ("a", "Error"),
        ("b", "Active"),
    ]


def test_selected_properties_missing_from_graph_are_null() -> None:
    """A delta round omits never-set properties that a full listing returns as null: same file either way."""
    users = by_name("users")
    full = {**_typical_user(), "faxNumber": None}
    delta = _typical_user()
    assert dump(canonicalize(users, full)) == dump(canonicalize(users, delta))
    assert canonicalize(users, delta)["faxNumber"] is None


def test_links_merged_as_sorted_id_lists() -> None:
    groups = by_name("groups")
    obj = canonicalize(
        groups,
        {"id": "g", "displayName": "Sales"},
        {"members": ["u2", {"id": "u1", "@odata.type": "#microsoft.graph.user"}, "u2"], "owners": []},
    )
    assert obj["members"] == ["u1", "u2"]
    assert obj["owners"] == []
    # canonicalizing a canonical dict again keeps its links
    assert canonicalize(groups, obj) == obj
    users = by_name("users")
    assert canonicalize(users, _typical_user(), {"manager": None})["manager"] is None
    assert canonicalize(users, _typical_user(), {"manager": [{"id": "m"}]})["manager"] == "m"
    assert "manager" not in canonicalize(users, _typical_user())
    with pytest.raises(ValueError, match="no relationship"):
        canonicalize(users, _typical_user(), {"members": []})


def test_app_role_assignments_keep_only_stable_fields() -> None:
    sps = by_name("servicePrincipals")
    assignments = [
        {
            "id": "-WmtM5na7Uus0D8kI1yylpU9Mdo0Pb9OoBJvd3T5eKc",
            "appRoleId": "r1",
            "principalId": "p2",
            "principalType": "ServicePrincipal",
            "principalDisplayName": "Old name",
            "createdDateTime": "2024-01-01T00:00:00Z",
            "resourceId": "sp",
        },
        {"appRoleId": "r1", "principalId": "p1", "principalType": "Group", "resourceId": "sp"},
    ]
    obj = canonicalize(sps, {"id": "sp", "appId": "x"}, {"appRoleAssignedTo": assignments})
    assert obj["appRoleAssignedTo"] == [
        {"appRoleId": "r1", "principalId": "p1", "principalType": "Group"},
        {"appRoleId": "r1", "principalId": "p2", "principalType": "ServicePrincipal"},
    ]


def test_scope_words_sorted() -> None:
    obj = canonicalize(
        by_name("oauth2PermissionGrants"), {"id": "x", "scope": " User.Read openid  Mail.Read "}
    )
    assert obj["scope"] == "Mail.Read User.Read openid"


def test_drop_excludes_configured_attributes() -> None:
    obj = canonicalize(by_name("users"), _typical_user(), drop=["jobTitle", "onPremisesExtensionAttributes"])
    assert "jobTitle" not in obj and "onPremisesExtensionAttributes" not in obj


def test_an_excluded_relationship_stays_out_though_its_values_were_read() -> None:
    """exclude_attributes may name a relationship (`groups: [owners]`): the listing still brings its values
    as links, and the file leaves them out; the other relationships stay."""
    group = {"id": "g1", "displayName": "Sales", "securityEnabled": True}
    obj = canonicalize(by_name("groups"), group, {"owners": ["u2"], "members": ["u1"]}, drop=["owners"])
    assert "owners" not in obj and obj["members"] == ["u1"]


def test_nulls_are_kept_so_a_cleared_property_shows_in_the_diff() -> None:
    obj = canonicalize(by_name("users"), {**_typical_user(), "jobTitle": None})
    assert obj["jobTitle"] is None
    assert "jobTitle: null\n" in dump(obj)


def test_canonical_file_round_trip_for_every_type() -> None:
    users = by_name("users")
    obj = canonicalize(users, _typical_user(), {"manager": "m"})
    assert load(dump(obj)) == obj
    assert canonicalize(users, load(dump(obj))) == obj


def _ruamel_load(text: str) -> Any:
    loader = canonical._LOADER(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _random_doc(rng: random.Random, depth: int = 0) -> Any:
    atoms: list[Any] = [*TRICKY_STRINGS, *TRICKY_NUMBERS, True, False, None, {}, []]
    r = rng.random()
    if depth < 3 and r < 0.3:
        return {rng.choice(TRICKY_STRINGS): _random_doc(rng, depth + 1) for _ in range(rng.randint(1, 4))}
    if depth < 3 and r < 0.5:
        return [_random_doc(rng, depth + 1) for _ in range(rng.randint(1, 4))]
    return rng.choice(atoms)


def test_fast_reader_reads_every_dumped_document() -> None:
    rng = random.Random(7)
    for _ in range(300):
        doc = {rng.choice(TRICKY_STRINGS): _random_doc(rng) for _ in range(rng.randint(1, 5))}
        text = dump(doc)
        fast = canonical._read_fast(text)
        assert fast is not None, text
        assert fast == doc
        assert _ruamel_load(text) == doc


def test_fast_reader_agrees_with_ruamel_on_edited_text() -> None:
    """Random one-character edits of dumped files: whatever the fast reader accepts, ruamel reads the same."""
    rng = random.Random(11)
    accepted = 0
    for _ in range(150):
        doc = {rng.choice(TRICKY_STRINGS): _random_doc(rng) for _ in range(rng.randint(1, 5))}
        text = dump(doc)
        for _ in range(10):
            chars = list(text)
            pos = rng.randrange(len(chars))
            ch = rng.choice([" ", "\n", "'", '"', "-", ":", "#", "a", "1", "\\", "|", "\t", "{", "."])
            op = rng.random()
            if op < 0.33:
                chars.insert(pos, ch)
            elif op < 0.66:
                del chars[pos]
            else:
                chars[pos] = ch
            edited = "".join(chars)
            fast = canonical._read_fast(edited)
            if fast is None:
                continue
            accepted += 1
            assert repr(fast) == repr(_ruamel_load(edited)), edited
    assert accepted > 100


@pytest.mark.parametrize(
    "text",
    [
        "a: 1 # comment\n",
        "# header\na: 1\n",
        "a: {b: 1, c: [x, y]}\n",
        "a:\n- x\n- y\n",  # sequence not indented under its key
        "a:\n    b: 1\n",  # four-space indentation
        "a:\nb: 1\n",  # `a:` with nothing under it is null
        "a: &x 1\nb: 2\n",  # an anchor alone (an alias is refused: tests/test_yamlscreen.py)
        "a: on\nb: yes\nc: 1e3\nd: 0123\n",
        "a: 'x' \n",
        "---\na: 1\n",
        "a: |2-\n    x\n",
        "a: >\n  folded\n  text\n",
        'a: "\\q"\n',
        "a: 1\r\nb: 2\r\n",
        "a: 1",  # no final newline
        "a:  1\n",
    ],
)
@pytest.mark.filterwarnings("ignore")
def test_hand_edited_yaml_is_read_like_ruamel_reads_it(text: str) -> None:
    try:
        expected = _ruamel_load(text)
    except Exception:
        with pytest.raises(CanonicalError):
            load(text)
        return
    assert repr(load(text)) == repr(expected)


def test_lone_surrogate_survives_dump_and_load() -> None:
    """Invalid Unicode that JSON can still carry must not crash a backup run (the digest hashes the dump)."""
    doc = {"displayName": "x\ud800y"}
    assert load(dump(doc)) == doc
    assert dump(doc).encode("utf-8") != dump({"displayName": "xy"}).encode("utf-8")


def test_every_catalog_type_from_a_generated_tenant_round_trips() -> None:
    """Realistic objects of every type (unicode names, nested policies, polymorphic lists): the file reads
    back exactly through our reader, ruamel and a YAML 1.1 reader; canonicalizing again changes nothing."""
    from entragit.catalog import CATALOG
    from entragit.sandbox.seed import generate_seed

    yaml = pytest.importorskip("yaml")
    seed = generate_seed(120)
    seen = set()
    for t in CATALOG:
        objs = seed.get(t.path)
        for obj in [objs] if isinstance(objs, dict) else objs or []:
            links = {r.name: obj[r.name] for r in t.relationships if r.name in obj}
            canon = canonicalize(t, obj, links)
            text = dump(canon)
            assert canonical._read_fast(text) == canon, text
            assert _ruamel_load(text) == canon
            assert yaml.load(text, Loader=yaml.SafeLoader) == canon
            assert canonicalize(t, load(text)) == canon
            assert dump(canonicalize(t, load(text))) == text
            seen.add(t.name)
    assert {"users", "groups", "conditionalAccessPolicies", "namedLocations", "servicePrincipals"} <= seen


def test_random_strings_read_back_identically_in_every_reader() -> None:
    """Random mixes of YAML syntax characters, resolver words and unusual unicode, as values and keys."""
    yaml = pytest.importorskip("yaml")
    from ruamel.yaml import YAML

    pure = YAML(typ="safe", pure=True)
    rng = random.Random(3)
    pool = [*" \t\n\r:#-?'\"\\|>@`!&*%{}[],.~=<01289eExXoO_+/yYnN", "\u00a0", "\u0301", "\u2028", "\x85"]
    pool += ["\ufeff", "é", "中", "😀", "\u200b", "\u3000", "\x7f", "\x00", "\ue000", "\U0010fffd"]
    words = [
        "on",
        "off",
        "yes",
        "null",
        "true",
        "~",
        "2024-01-01",
        "12:30",
        "0x1F",
        "1e3",
        ".inf",
        "- ",
        ": ",
    ]
    for _ in range(1500):
        s = "".join(
            rng.choice(pool) if rng.random() < 0.8 else rng.choice(words) for _ in range(rng.randint(0, 8))
        )
        doc = {"v": s, "l": [s], s: 1}
        text = dump(doc)
        assert load(text) == doc, text
        assert yaml.load(text, Loader=yaml.SafeLoader) == doc, text
        assert pure.load(text) == doc, text


# ---------------------------------------------------------------------------------------------------------
# References to other objects: what a recreate must rewrite


# A role assignment scoped to an administrative unit.
_ASSIGNMENT = {
    "id": "ra",
    "principalId": "u1",
    "roleDefinitionId": "r1",
    "directoryScopeId": "/administrativeUnits/au1",
}


def _ca_policy() -> dict[str, Any]:
    return canonicalize(
        by_name("conditionalAccessPolicies"),
        {
            "id": "p1",
            "displayName": "MFA for admins",
            "state": "enabled",
            "conditions": {
                "users": {
                    "includeUsers": ["All"],
                    "excludeUsers": ["u-old", "u-keep"],
                    "includeGroups": ["g-old"],
                },
                "applications": {"includeApplications": ["app-old"]},
                "locations": {"includeLocations": ["AllTrusted"], "excludeLocations": ["loc-old"]},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        },
    )


def test_find_references_lists_ids_of_other_objects() -> None:
    refs = {
        (r.path, r.value, r.key) for r in find_references(by_name("conditionalAccessPolicies"), _ca_policy())
    }
    assert ("conditions.users.excludeUsers", "u-old", "id") in refs
    assert ("conditions.users.includeGroups", "g-old", "id") in refs
    assert ("conditions.applications.includeApplications", "app-old", "appId") in refs
    assert ("conditions.locations.excludeLocations", "loc-old", "id") in refs
    groups = by_name("groups")
    group = canonicalize(groups, {"id": "g"}, {"members": ["u1"], "owners": ["u2"]})
    found = find_references(groups, group)
    assert {(r.path, r.value) for r in found} == {("members", "u1"), ("owners", "u2")}
    assert all("users" in r.types for r in found)
    assignment = canonicalize(by_name("roleAssignments"), _ASSIGNMENT)
    scope = [
        r for r in find_references(by_name("roleAssignments"), assignment) if r.path == "directoryScopeId"
    ]
    assert {(r.value, r.types) for r in scope} == {
        ("au1", ("administrativeUnits",)),
        ("administrativeUnits/au1", ("applications",)),  # never an id, so never found in an id map
    }


def test_rewrite_references_swaps_recreated_ids_and_stays_canonical() -> None:
    ca = by_name("conditionalAccessPolicies")
    policy = _ca_policy()
    new = rewrite_references(
        ca, policy, {"u-old": "z-new", "g-old": "g-new", "loc-old": "loc-new"}, {"app-old": "a2"}
    )
    assert new["conditions"]["users"]["excludeUsers"] == ["u-keep", "z-new"]  # re-sorted
    assert new["conditions"]["users"]["includeUsers"] == ["All"]
    assert new["conditions"]["users"]["includeGroups"] == ["g-new"]
    assert new["conditions"]["applications"]["includeApplications"] == ["a2"]
    assert new["conditions"]["locations"] == {
        "excludeLocations": ["loc-new"],
        "includeLocations": ["AllTrusted"],
    }
    assert policy["conditions"]["users"]["excludeUsers"] == ["u-keep", "u-old"]  # the input is untouched
    assert dump(new) == dump(canonicalize(ca, new))
    scoped = rewrite_references(by_name("roleAssignments"), _ASSIGNMENT, {"au1": "au2", "u1": "u9"})
    assert scoped["directoryScopeId"] == "/administrativeUnits/au2"
    assert scoped["principalId"] == "u9"
    sps = by_name("servicePrincipals")
    sp = canonicalize(
        sps,
        {"id": "sp", "appId": "a"},
        {
            "owners": ["u1"],
            "appRoleAssignedTo": [{"appRoleId": "r", "principalId": "g-old", "principalType": "Group"}],
        },
    )
    sp2 = rewrite_references(sps, sp, {"g-old": "g-new", "u1": "u2"})
    assert sp2["owners"] == ["u2"]
    assert sp2["appRoleAssignedTo"][0]["principalId"] == "g-new"


def test_rewrite_references_adds_no_properties() -> None:
    """A repository that excludes attributes must not get them back as null through a rewrite."""
    users = by_name("users")
    slim = {"id": "u", "displayName": "A", "userPrincipalName": "a@x", "manager": "m-old"}
    assert rewrite_references(users, slim, {"m-old": "m-new"}) == {**slim, "manager": "m-new"}


# ---------------------------------------------------------------------------------------------------------
# check_file: what `entragit validate` reports for hand-edited files


def test_check_file_accepts_what_backup_writes() -> None:
    users = by_name("users")
    obj = canonicalize(users, _typical_user(), {"manager": "m"})
    path = object_path(users, obj["id"])
    assert check_file(path, dump(obj)) == ([], dump(obj))
    assert check_file("entragit.yaml", "tenant_id: x\n") == ([], None)


def test_check_file_reports_problems_one_line_each() -> None:
    users = by_name("users")
    obj = canonicalize(users, _typical_user())
    path = object_path(users, obj["id"])
    problems, fixed = check_file(path, "displayName: x\nid: " + obj["id"] + "\n")
    assert problems == [f"{path}: not in canonical form (key order, list order or quoting differ)"]
    assert fixed == f"id: {obj['id']}\ndisplayName: x\n"
    assert check_file(path, dump({**obj, "id": "other"}))[0] == []  # the id is validate.check_object's
    problems, fixed = check_file(path, "id: [1\n")
    assert fixed is None and len(problems) == 1 and problems[0].startswith(f"{path}: invalid YAML")
    assert "\n" not in problems[0]
    # an excluded attribute stays excluded: the fix never adds properties
    slim = {"id": obj["id"], "displayName": "x", "proxyAddresses": ["b", "a"]}
    problems, fixed = check_file(path, dump(slim))
    assert fixed == dump({"id": obj["id"], "displayName": "x", "proxyAddresses": ["a", "b"]})


def test_keys_longer_than_yaml_allows_are_refused() -> None:
    """YAML readers refuse implicit keys over 1024 characters; dump must not write a file nobody can read."""
    with pytest.raises(ValueError, match="1100 characters"):
        dump({"k" * 1100: 1})
    assert load(dump({"k" * 900: 1})) == {"k" * 900: 1}


def test_agent_identities_keep_their_type_and_plain_objects_gain_none() -> None:
    """Graph v1.0 returns agent identities among the service principals, told apart only by @odata.type
    (resources/agentidentity.md); the file must say so, and a plain object's file must not change."""
    sps = by_name("servicePrincipals")
    agent = {
        "@odata.type": "#microsoft.graph.agentIdentity",
        "id": "a1",
        "displayName": "Helpdesk Agent",
        "agentIdentityBlueprintId": "b1",  # not selected by a backup: never in the file
    }
    obj = canonicalize(sps, agent)
    assert obj["@odata.type"] == "#microsoft.graph.agentIdentity"
    assert dump(obj).splitlines()[:4] == [
        "id: a1",
        "displayName: Helpdesk Agent",
        "appId: null",
        "'@odata.type': '#microsoft.graph.agentIdentity'",
    ]
    # deletedItems and $batch answers name the base type: no line is added to existing files
    plain = canonicalize(sps, {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "s1"})
    assert "@odata.type" not in plain
    unknown = {"@odata.type": "#microsoft.graph.somethingNew", "id": "s2"}
    assert "@odata.type" not in canonicalize(sps, unknown)
    user = canonicalize(by_name("users"), {"@odata.type": "#microsoft.graph.agentUser", "id": "u1"})
    assert user["@odata.type"] == "#microsoft.graph.agentUser"
    assert canonicalize(sps, load(dump(obj))) == obj  # a file reads back to the same object


@pytest.mark.parametrize("seed", range(20))
def test_some_top_level_keys_read_alone_are_those_the_whole_file_holds(seed: int) -> None:
    """`load_top` (an incremental backup reads a changed object's links from its file so) gives what
    loading the whole file gives, whatever the values around the keys: literal blocks with blank lines and
    lines that look like keys, nested lists and mappings, tricky strings, keys at the start and the end."""
    rng = random.Random(seed)
    lookalike = "first line\n\nmanager: not a key\nsponsors:\n  - nor this\n"

    def value(depth: int = 0) -> Any:
        pick = rng.randrange(7 if depth < 2 else 4)
        if pick == 0:
            return rng.choice(TRICKY_STRINGS)
        if pick == 1:
            return lookalike
        if pick == 2:
            return rng.choice([None, True, 3, 2.5])
        if pick == 3:
            return f"{rng.random():.6f}"
        if pick == 4:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {f"k{i}": value(depth + 1) for i in range(rng.randrange(4))}

    keys = ["id", "manager", "sponsors", "memberOf", "zzz"]
    obj = {"id": "x", **{f"p{i}": value() for i in range(rng.randrange(1, 8))}}
    for k in keys[1:]:
        if rng.random() < 0.7:
            obj[k] = value()
    text = dump(obj)
    whole = load(text)
    assert canonical.load_top(text, keys) == {k: whole[k] for k in keys if k in whole}
    assert canonical.load_top(text, ["absent"]) == {}
