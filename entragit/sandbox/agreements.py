"""Terms of use agreements: /identityGovernance/termsOfUse/agreements, their files (the PDFs users accept).

Sources (microsoft-graph-docs, api-reference/v1.0):
- resources/agreement.md: displayName, isPerDeviceAcceptanceRequired, isViewingBeforeAcceptanceRequired,
  termsExpiration, userReacceptRequiredFrequency; `files` (agreementFileLocalization collection, "Supports
  $expand"), `file` (the default PDF, with its `localizations`), `acceptances` (read-only).
- api/termsofusecontainer-list-agreements.md ($select, $filter, $top), agreement-get.md ($select):
  200 and the agreements; agreement-list-files.md: `GET /agreements/{id}?$expand=files`, each file with
  `"fileData": null` — no documented read returns a PDF's bytes (agreementfile-get.md and
  agreementfile-list-localizations.md answer the same way).
- api/termsofusecontainer-post-agreements.md: 201 and the agreement; the page's table of required
  properties: displayName, isViewingBeforeAcceptanceRequired, and per file fileName, isDefault, language,
  data (the PDF, base64). agreement-post-files.md: POST `{id}/files` adds a localized file (200 and it).
- api/agreement-update.md: "Only the following properties are supported for update": displayName and
  isViewingBeforeAcceptanceRequired (200 and the agreement); agreement-delete.md: 204, for good (no recycle
  bin in v1.0).
- Every page's Application row is "Not supported.": sandbox/permissions.py `DELEGATED_ONLY`.
Agreement changes are audited by Entra under "Terms of use", not as directory changes: none is recorded.
Not emulated: acceptances (users accepting), file versions, `Accept-Language` beyond picking a localization.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

from entragit.sandbox import documented
from entragit.sandbox.odata import Filter, parse_filter
from entragit.sandbox.protocol import Ctx, Response, bad, not_allowed, not_found, segment_not_found
from entragit.sandbox.schema import TYPES, new_guid

if TYPE_CHECKING:
    from entragit.sandbox.graph_api import GraphApi

KEY = "identityGovernance/termsOfUse/agreements"
ENTITY = "microsoft.graph.agreement"
FILE_ENTITY = "microsoft.graph.agreementFileLocalization"
PROPERTIES = (
    "displayName",
    "isPerDeviceAcceptanceRequired",
    "isViewingBeforeAcceptanceRequired",
    "termsExpiration",
    "userReacceptRequiredFrequency",
)
FILE_PROPERTIES = ("displayName", "fileName", "isDefault", "isMajorVersion", "language")
UPDATABLE = frozenset({"displayName", "isViewingBeforeAcceptanceRequired"})
_NAVIGATION = frozenset({"files", "file", "acceptances"})
DEFAULT_PAGE = 100


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII), valid enough for any reader: the byte offsets of its
    cross-reference table are computed, not guessed."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def file_view(f: dict[str, Any]) -> dict[str, Any]:
    """A localized file as Graph returns it: its data never (agreement-list-files.md: `"fileData": null`)."""
    return {
        "id": f["id"],
        **{p: f.get(p) for p in FILE_PROPERTIES},
        "createdDateTime": f.get("createdDateTime"),
        "fileData": None,
    }


def view(obj: dict[str, Any], select: list[str] | None = None, files: bool = False) -> dict[str, Any]:
    out = {"id": obj["id"], **{p: obj.get(p) for p in PROPERTIES}}
    if select:
        out = {k: v for k, v in out.items() if k == "id" or k in select}
    if files:
        out["files"] = [file_view(f) for f in obj.get("files") or []]
    return out


def _select(ctx: Ctx) -> list[str] | None:
    raw = ctx.q.get("$select")
    if not raw:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in ("id", *PROPERTIES):
            bad(f"Could not find a property named '{name}' on type '{ENTITY}'.", "BadRequest")
    return names


def _expand(ctx: Ctx) -> bool:
    """Whether `$expand=files` was asked for; another navigation property is refused (`file` and
    `acceptances` are read on their own paths)."""
    raw = ctx.q.get("$expand")
    if not raw:
        return False
    for name in (n.strip() for n in raw.split(",")):
        if name != "files":
            bad(f"Could not find a property named '{name}' on type '{ENTITY}'.", "BadRequest")
    return True


def _filter(ctx: Ctx) -> Filter | None:
    """resources/agreement.md: each property "Supports $filter (eq)"; another operator or property is
    Graph's 400."""
    raw = ctx.q.get("$filter")
    if not raw:
        return None
    parsed = parse_filter(raw)
    words = set(re.findall(r"\b(and|or|not|ne|gt|ge|lt|le|startswith|endswith|contains|in|any|all)\b", raw))
    unknown = parsed.properties - {"id", *PROPERTIES}
    if words - {"and", "or"} or unknown or "termsExpiration" in parsed.properties:
        bad(f"Unsupported or invalid query filter clause specified: '{raw}'.", "BadRequest")
    return parsed


def handle(api: GraphApi, ctx: Ctx, method: str, rest: list[str]) -> Response:
    coll = api.tenant.coll(KEY)
    if not rest:
        if method == "GET":
            return _list(api, ctx)
        if method == "POST":
            return _create(api, ctx)
        not_allowed()
    oid = rest[0]
    obj = coll.objs.get(oid)
    if obj is None:
        not_found(oid)
    if len(rest) == 1:
        if method == "GET":
            body = {"@odata.context": ctx.context(f"{KEY}/$entity"), **view(obj, _select(ctx), _expand(ctx))}
            return Response(200, body)
        if method == "PATCH":
            return _update(api, ctx, obj)
        if method == "DELETE":
            api.tenant.delete(KEY, oid)
            return Response(204)
        not_allowed()
    nav = [s.lower() for s in rest[1:]]
    if nav == ["files"] and method == "POST":
        return _add_file(api, ctx, obj)
    if nav == ["file"] and method == "GET":
        return _default_file(ctx, obj)
    if nav == ["file", "localizations"] and method == "GET":
        value = [file_view(f) for f in obj.get("files") or []]
        context = ctx.context(f"{KEY}('{oid}')/file/localizations")
        return Response(200, {"@odata.context": context, "value": value})
    if nav[0] in _NAVIGATION:
        not_allowed()
    segment_not_found(rest[1])


def _list(api: GraphApi, ctx: Ctx) -> Response:
    select, files, wanted = _select(ctx), _expand(ctx), _filter(ctx)
    top = DEFAULT_PAGE
    if "$top" in ctx.q:
        raw = ctx.q["$top"]
        if not raw.isdigit() or int(raw) < 1:
            bad(f"Invalid value '{raw}' for $top query option found.", "BadRequest")
        top = min(int(raw), 999)
    state = api._state(ctx)
    coll = api.tenant.coll(KEY)
    after = str(state.get("a", "")) if state else ""
    ids = [i for i in sorted(coll.objs) if wanted is None or wanted.matches(coll.objs[i])]
    page = [i for i in ids if i > after][: top + 1]
    body: dict[str, Any] = {"@odata.context": ctx.context(KEY)}
    if len(page) > top:
        page = page[:top]
        body["@odata.nextLink"] = api._next_link(ctx, {"a": page[-1]})
    body["value"] = [view(coll.objs[i], select, files) for i in page]
    return Response(200, body)


def _default_file(ctx: Ctx, obj: dict[str, Any]) -> Response:
    """agreementfile-get.md: the default file, or the localization in the `Accept-Language` asked for."""
    files = obj.get("files") or []
    if not files:
        not_found("file")
    wanted = ctx.headers.get("accept-language", "").split(",")[0].strip().lower()
    chosen = next((f for f in files if wanted and str(f.get("language")).lower() == wanted), None)
    chosen = chosen or next((f for f in files if f.get("isDefault")), files[0])
    body = {
        "@odata.context": ctx.context(f"{KEY}('{obj['id']}')/file/$entity"),
        "@odata.type": f"#{FILE_ENTITY}",
        **file_view(chosen),
    }
    return Response(200, body)


def _new_file(api: GraphApi, item: Any, where: str) -> dict[str, Any]:
    """One file of a create or of POST files, checked as the create page's table requires: fileName,
    isDefault, language and the PDF's data (base64)."""
    if not isinstance(item, dict):
        bad(f"{where}: an agreement file must be an object.", "BadRequest")
    for prop in item:
        if prop not in (*FILE_PROPERTIES, "fileData") and not prop.startswith("@odata."):
            bad(f"Could not find a property named '{prop}' on type '{FILE_ENTITY}'.", "BadRequest")
    for prop in ("fileName", "isDefault", "language"):
        if item.get(prop) is None:
            bad(f"{where}: '{prop}' is required for an agreement file.", "BadRequest")
    data = item.get("fileData")
    raw = data.get("data") if isinstance(data, dict) else None
    if not isinstance(raw, str) or not raw:
        bad(f"{where}: 'fileData.data' (the PDF, base64) is required for an agreement file.", "BadRequest")
    try:
        base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        bad(f"{where}: 'fileData.data' is not valid base64.", "BadRequest")
    return {
        "id": new_guid(),
        **{p: item.get(p) for p in FILE_PROPERTIES},
        "isMajorVersion": bool(item.get("isMajorVersion")),
        "displayName": item.get("displayName") or item.get("fileName"),
        "createdDateTime": api.tenant.stamp(fraction=True),
        "data": raw,
    }


def _create(api: GraphApi, ctx: Ctx) -> Response:
    body = api._body(ctx)
    for prop in body:
        if prop.startswith("@odata."):
            continue
        if prop in ("id", "acceptances", "file") or prop not in (*PROPERTIES, "files"):
            bad(f"Could not find a property named '{prop}' on type '{ENTITY}'.", "BadRequest")
    documented.check(TYPES[KEY], body, creating=True)
    files = body.get("files")
    if not isinstance(files, list) or not files:
        bad("An agreement needs at least one file (the PDF users accept).", "BadRequest")
    stored = [_new_file(api, f, f"files[{i}]") for i, f in enumerate(files)]
    languages = [str(f["language"]).lower() for f in stored]
    if len(set(languages)) != len(languages):
        bad("Each file of an agreement must have a language of its own.", "BadRequest")
    obj = {"id": new_guid(), **{p: body.get(p) for p in PROPERTIES}, "files": stored}
    obj["isPerDeviceAcceptanceRequired"] = bool(obj["isPerDeviceAcceptanceRequired"])
    api.tenant.insert(KEY, obj)
    out = {"@odata.context": ctx.context(f"{KEY}/$entity"), **view(obj)}
    return Response(201, out, {"Location": f"{ctx.base}/{KEY}/{obj['id']}"})


def _update(api: GraphApi, ctx: Ctx, old: dict[str, Any]) -> Response:
    body = {k: v for k, v in api._body(ctx).items() if not k.startswith("@odata.")}
    for prop in body:
        if prop not in UPDATABLE:
            known = prop in (*PROPERTIES, "id", *_NAVIGATION)
            bad(
                f"Property '{prop}' cannot be updated: only displayName and "
                "isViewingBeforeAcceptanceRequired are supported for update."
                if known
                else f"Could not find a property named '{prop}' on type '{ENTITY}'.",
                "BadRequest",
            )
    new = {**old, **body}
    documented.check(TYPES[KEY], new, only=frozenset(body))
    if any(old.get(k) != v for k, v in body.items()):
        api.tenant.replace(KEY, new, list(body))
    return Response(200, {"@odata.context": ctx.context(f"{KEY}/$entity"), **view(new)})


def _add_file(api: GraphApi, ctx: Ctx, obj: dict[str, Any]) -> Response:
    """agreement-post-files.md: a new localized file (200 and the file)."""
    item = _new_file(api, api._body(ctx), "file")
    if any(str(f.get("language")).lower() == str(item["language"]).lower() for f in obj.get("files") or []):
        bad(f"The agreement already has a file in {item['language']}.", "BadRequest")
    api.tenant.replace(KEY, {**obj, "files": [*(obj.get("files") or []), item]}, ["files"])
    body = {"@odata.context": ctx.context(f"{KEY}('{obj['id']}')/files/$entity"), **file_view(item)}
    return Response(200, body)
