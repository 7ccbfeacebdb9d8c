"""Evolvable enumerations: members after `unknownFutureValue` exist only for a request that asks for them.

best-practices-concept.md (Evolvable enums): "By default, unknown members are not returned by Microsoft Graph"
unless the request sends `Prefer: include-unknown-enum-members`; the v1.0 CSDL puts `linux`,
`riskRemediation` and `qrCodePin` after their enumerations' sentinel (and the newer property descriptions of
conditionalAccessGrantControls say so of `riskRemediation`). Microsoft's API guidelines
(microsoft/api-guidelines graph/patterns/evolvable-enums.md) say how: each such member is replaced by
`unknownFutureValue`, one sentinel for all of a flags value's, and a request that sends such a member
without the header is refused with a 400. json-batching.md: an inner request of a $batch carries its own
headers.
"""

from __future__ import annotations

from typing import Any

from .api_helpers import Graph, assert_error
from .test_api_write import ca_body

CA = "identity/conditionalAccess/policies"
STRENGTHS = "identity/conditionalAccess/authenticationStrength/policies"
ASK = {"Prefer": "include-unknown-enum-members"}
SENTINEL = "unknownFutureValue"


def _linux_policy(g: Graph) -> dict[str, Any]:
    body = ca_body(grantControls={"operator": "OR", "builtInControls": ["mfa", "riskRemediation"]})
    platforms = {"includePlatforms": ["android", "linux"], "excludePlatforms": ["linux"]}
    body["conditions"]["platforms"] = platforms
    r = g.post(CA, body, headers=ASK)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _shown(policy: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    platforms = policy["conditions"]["platforms"]
    grant = policy["grantControls"]["builtInControls"]
    return platforms["includePlatforms"], platforms["excludePlatforms"], grant


def test_a_read_without_the_header_shows_the_sentinel_with_it_the_member(g: Graph) -> None:
    pid = _linux_policy(g)["id"]
    hidden = (["android", SENTINEL], [SENTINEL], ["mfa", SENTINEL])
    assert _shown(g.get(f"{CA}/{pid}").json()) == hidden
    listed = {p["id"]: p for p in g.get(CA).json()["value"]}
    assert _shown(listed[pid]) == hidden
    shown = (["android", "linux"], ["linux"], ["mfa", "riskRemediation"])
    assert _shown(g.get(f"{CA}/{pid}", headers=ASK).json()) == shown
    # RFC 7240: preferences are one comma-separated list
    both = {"Prefer": "odata.maxpagesize=5, include-unknown-enum-members"}
    assert _shown(g.get(f"{CA}/{pid}", headers=both).json()) == shown
    # hidden in the answer only: the policy keeps its members
    assert _shown(g.get(f"{CA}/{pid}", headers=ASK).json()) == shown


def test_an_inner_batch_request_asks_with_its_own_headers(g: Graph) -> None:
    pid = _linux_policy(g)["id"]
    r = g.post(
        "$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": f"/{CA}/{pid}"},
                {"id": "2", "method": "GET", "url": f"/{CA}/{pid}", "headers": ASK},
            ]
        },
    )
    assert r.status_code == 200, r.text
    got = {item["id"]: item["body"] for item in r.json()["responses"]}
    assert _shown(got["1"])[0] == ["android", SENTINEL]
    assert _shown(got["2"])[0] == ["android", "linux"]


def test_a_flags_value_hides_its_later_members_behind_one_sentinel(g: Graph) -> None:
    combinations = ["qrCodePin", "fido2", "password,qrCodePin"]
    r = g.post(STRENGTHS, {"displayName": "QR", "allowedCombinations": combinations}, headers=ASK)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    hidden = [SENTINEL, "fido2", f"password,{SENTINEL}"]
    assert g.get(f"{STRENGTHS}/{sid}").json()["allowedCombinations"] == hidden
    assert g.get(f"{STRENGTHS}/{sid}", headers=ASK).json()["allowedCombinations"] == combinations


def test_a_write_of_a_later_member_without_the_header_is_refused(g: Graph) -> None:
    body = ca_body()
    body["conditions"]["platforms"] = {"includePlatforms": ["linux"]}
    assert_error(g.post(CA, body), 400, "BadRequest")
    assert all(p["displayName"] != body["displayName"] for p in g.get(CA).json()["value"])
    pid = _linux_policy(g)["id"]
    change = {"grantControls": {"operator": "OR", "builtInControls": ["riskRemediation"]}}
    assert_error(g.patch(f"{CA}/{pid}", change), 400, "BadRequest")
    assert g.patch(f"{CA}/{pid}", change, headers=ASK).status_code == 204
    assert _shown(g.get(f"{CA}/{pid}", headers=ASK).json())[2] == ["riskRemediation"]
