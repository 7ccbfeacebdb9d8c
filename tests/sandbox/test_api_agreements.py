"""Terms of use agreements over raw HTTP, as Microsoft documents them (api-reference/v1.0):

- every agreement page's permission table: Agreement.Read.All / Agreement.ReadWrite.All for "Delegated
  (work or school account)", "Not supported." for Application (termsofusecontainer-list-agreements.md,
  agreement-get.md, termsofusecontainer-post-agreements.md, agreement-update.md, agreement-delete.md);
- termsofusecontainer-list-agreements.md, agreement-get.md; agreement-list-files.md (`$expand=files`, each
  file with `"fileData": null`); agreementfile-get.md (the default file, `Accept-Language`);
  agreementfile-list-localizations.md;
- termsofusecontainer-post-agreements.md (201; required: displayName, isViewingBeforeAcceptanceRequired and
  per file fileName, isDefault, language, data); agreement-post-files.md (200 and the new file);
- agreement-update.md ("Only the following properties are supported for update": displayName,
  isViewingBeforeAcceptanceRequired); agreement-delete.md (204).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from msal_session import session_for, user_session_for

from entragit.sandbox import seed as seed_mod
from entragit.sandbox.agreements import tiny_pdf
from entragit.sandbox.server import Sandbox

from .api_helpers import Graph, assert_error

PATH = "identityGovernance/termsOfUse/agreements"


@pytest.fixture
def box(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(seed=seed_mod.demo_seed())


@pytest.fixture
def user(box: Sandbox) -> Graph:
    return Graph(box, user_session_for(box))


def pdf_file(language: str = "en", **extra: Any) -> dict[str, Any]:
    data = base64.b64encode(tiny_pdf(f"terms {language}")).decode()
    return {
        "fileName": "tou.pdf",
        "language": language,
        "isDefault": True,
        "fileData": {"data": data},
        **extra,
    }


def refused(r: Any) -> None:
    """Graph's 400 for a body the page does not allow (the value rules' check answers Request_BadRequest,
    OData's deserializer BadRequest)."""
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("BadRequest", "Request_BadRequest")


def test_an_app_token_is_refused_whatever_it_holds(box: Sandbox) -> None:
    """The Application row of every agreement page is "Not supported.": the sandbox's app holds every
    permission it knows, Agreement.ReadWrite.All among them, and still gets Graph's 403."""
    app = Graph(box, session_for(box))
    assert_error(app.get(PATH), 403, "Authorization_RequestDenied")
    assert_error(app.post(PATH, {"displayName": "x"}), 403, "Authorization_RequestDenied")


def test_a_user_token_needs_the_delegated_permission(box: Sandbox) -> None:
    box.tenant.permissions = ["Agreement.Read.All"]
    reader = Graph(box, user_session_for(box))
    assert reader.get(PATH).status_code == 200
    body = {"displayName": "x", "isViewingBeforeAcceptanceRequired": False, "files": [pdf_file()]}
    assert_error(reader.post(PATH, body), 403, "Authorization_RequestDenied")


def test_list_and_expand_files_never_return_the_pdf(user: Graph) -> None:
    listed = user.get(PATH).json()["value"]
    (guests,) = [a for a in listed if a["displayName"] == "Guest terms of use"]
    assert set(guests) == {
        "id",
        "displayName",
        "isViewingBeforeAcceptanceRequired",
        "isPerDeviceAcceptanceRequired",
        "userReacceptRequiredFrequency",
        "termsExpiration",
    }
    expanded = user.get(PATH, {"$expand": "files"}).json()["value"][0]
    assert sorted(f["language"] for f in expanded["files"]) == ["en", "fr-FR"]
    assert all(f["fileData"] is None for f in expanded["files"])
    one = user.get(f"{PATH}/{guests['id']}", {"$expand": "files"}).json()
    assert [f["fileData"] for f in one["files"]] == [None, None]
    refused(user.get(PATH, {"$expand": "acceptances"}))
    default = user.get(f"{PATH}/{guests['id']}/file").json()
    assert default["language"] == "en" and default["fileData"] is None
    assert default["@odata.type"] == "#microsoft.graph.agreementFileLocalization"
    french = user.get(f"{PATH}/{guests['id']}/file", headers={"Accept-Language": "fr-FR"}).json()
    assert french["fileName"] == "conditions-invites.pdf"
    local = user.get(f"{PATH}/{guests['id']}/file/localizations").json()["value"]
    assert len(local) == 2


def test_list_filters_with_eq_only(user: Graph) -> None:
    """resources/agreement.md: the properties support `$filter` (`eq`); the list page: `$filter`, `$top`."""
    found = user.get(PATH, {"$filter": "displayName eq 'Guest terms of use'"}).json()["value"]
    assert [a["displayName"] for a in found] == ["Guest terms of use"]
    assert user.get(PATH, {"$filter": "isPerDeviceAcceptanceRequired eq true"}).json()["value"] == []
    refused(user.get(PATH, {"$filter": "startswith(displayName,'Guest')"}))
    refused(user.get(PATH, {"$filter": "displayName ne 'x'"}))


def test_seeded_pdfs_are_valid_pdfs(box: Sandbox) -> None:
    """The demo tenant's PDFs are made in code: each cross-reference offset points at its object."""
    (agreement,) = box.tenant.coll(PATH).objs.values()
    for f in agreement["files"]:
        data = base64.b64decode(f["data"])
        assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
        start = int(re.search(rb"startxref\n(\d+)", data).group(1))  # type: ignore[union-attr]
        assert data[start:].startswith(b"xref\n")
        offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data)]
        for number, offset in enumerate(offsets, start=1):
            assert data[offset:].startswith(b"%d 0 obj" % number)


def test_create_requires_what_the_page_lists(user: Graph) -> None:
    base = {"displayName": "Contractors", "isViewingBeforeAcceptanceRequired": True}
    refused(user.post(PATH, base))  # no file
    for missing in ("fileName", "language", "isDefault"):
        f = {k: v for k, v in pdf_file().items() if k != missing}
        refused(user.post(PATH, {**base, "files": [f]}))
    no_data = {**pdf_file(), "fileData": {"data": None}}
    refused(user.post(PATH, {**base, "files": [no_data]}))
    bad_data = {**pdf_file(), "fileData": {"data": "not base64!"}}
    refused(user.post(PATH, {**base, "files": [bad_data]}))
    no_view = {"displayName": "x", "files": [pdf_file()]}
    refused(user.post(PATH, no_view))
    twice = [pdf_file("en"), pdf_file("en", isDefault=False)]
    refused(user.post(PATH, {**base, "files": twice}))
    refused(user.post(PATH, {**base, "files": [pdf_file()], "acceptances": []}))
    r = user.post(PATH, {**base, "userReacceptRequiredFrequency": "P90D", "files": [pdf_file()]})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["displayName"] == "Contractors" and made["userReacceptRequiredFrequency"] == "P90D"
    stored = user.tenant.coll(PATH).objs[made["id"]]
    assert base64.b64decode(stored["files"][0]["data"]) == tiny_pdf("terms en")


def test_update_takes_the_two_documented_properties_only(user: Graph) -> None:
    (agreement,) = user.get(PATH).json()["value"]
    url = f"{PATH}/{agreement['id']}"
    r = user.patch(url, {"displayName": "Guest ToU", "isViewingBeforeAcceptanceRequired": False})
    assert r.status_code == 200 and r.json()["displayName"] == "Guest ToU"
    assert user.get(url).json()["isViewingBeforeAcceptanceRequired"] is False
    for prop, value in (("isPerDeviceAcceptanceRequired", True), ("userReacceptRequiredFrequency", "P30D")):
        refused(user.patch(url, {prop: value}))
    refused(user.patch(url, {"displayName": 5}))


def test_post_files_adds_a_language_and_delete_is_for_good(user: Graph) -> None:
    (agreement,) = user.get(PATH).json()["value"]
    url = f"{PATH}/{agreement['id']}"
    r = user.post(f"{url}/files", pdf_file("de-DE", isDefault=False))
    assert r.status_code == 200 and r.json()["language"] == "de-DE" and r.json()["fileData"] is None
    refused(user.post(f"{url}/files", pdf_file("de-DE", isDefault=False)))
    assert len(user.get(url, {"$expand": "files"}).json()["files"]) == 3
    assert user.delete(url).status_code == 204
    assert_error(user.get(url), 404, "Request_ResourceNotFound")


def test_the_guests_policy_requires_the_agreement(box: Sandbox, user: Graph) -> None:
    """The demo tenant's conditional access policy for guests names the agreement in
    grantControls.termsOfUse (conditionalaccessgrantcontrols.md: "List of terms of use IDs")."""
    (agreement,) = user.get(PATH).json()["value"]
    policies = box.tenant.coll("identity/conditionalAccess/policies").objs.values()
    (guests,) = [p for p in policies if p["displayName"] == "Guests must use MFA"]
    assert guests["grantControls"]["termsOfUse"] == [agreement["id"]]


def test_a_seed_file_agreement_gets_what_graph_always_returns(
    sandbox_factory: Callable[..., Sandbox], tmp_path: Any
) -> None:
    """docs/repository-format.md (seed files): an agreement may give its files' names, languages and data
    alone; the files get ids and stamps, the agreement the settings every agreement has."""
    data = base64.b64encode(tiny_pdf("seeded")).decode()
    path = tmp_path / "seed.yaml"
    path.write_text(
        "identityGovernance/termsOfUse/agreements:\n"
        "  - displayName: Contractors\n"
        "    files:\n"
        f"      - {{fileName: tou.pdf, language: en, data: {data}}}\n"
    )
    box = sandbox_factory(seed=seed_mod.load_seed_file(path))
    (got,) = Graph(box, user_session_for(box)).get(PATH, {"$expand": "files"}).json()["value"]
    assert got["isPerDeviceAcceptanceRequired"] is False and got["userReacceptRequiredFrequency"] is None
    (f,) = got["files"]
    assert f["isDefault"] is True and f["displayName"] == "tou.pdf" and f["id"] and f["fileData"] is None
