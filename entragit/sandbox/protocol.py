"""The request/response contract between the sandbox transport and its Graph semantics, and Graph's errors.

`Request`/`Response` are what server.py exchanges with `GraphApi.handle`; `ApiError` and the helpers below
raise Graph's uniform error body (NOTES §8.3) from anywhere inside the API layer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from entragit.sandbox.schema import TypeDef

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."
SYNC_REFUSAL = (
    "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects "
    "currently undergoing migration."
)
MAIL_GROUP_CREATE = "Cannot Create a mail-enabled security groups and or distribution list."
MAIL_GROUP_WRITE = (
    "The service does not currently support writes of mail-enabled groups. Please ensure that the "
    "mail-enablement property is unset and the security-enablement property is set."
)
REF_EXISTS = "One or more added object references already exist for the following modified properties: '{}'."
ROLE_CONFLICT = (
    "A conflicting object with one or more of the specified property values is present in the directory."
)
SP_NAME_TAKEN = (
    "The service principal cannot be created, updated, or restored because the service principal name {} is "
    "already in use."
)
# Observed wording (microsoft-graph-docs#12054, msgraph-metadata#653) of the documented rule.
LAST_OWNER = "The group must have at least one owner, hence this owner cannot be removed."
DYNAMIC_REFUSAL = "Cannot add or remove members of a group or administrative unit with dynamic membership."


@dataclass
class Request:
    """One admitted Graph call: `path` is decoded, relative to /v1.0; `actor` is X-Sandbox-Actor (a UPN);
    `roles` the caller's application permissions (None: an in-process caller, not checked)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: Any | None
    base_url: str
    app_id: str
    actor: str | None = None
    roles: tuple[str, ...] | None = None
    delegated: bool = False  # a signed-in user's token (device code), not an app's own


@dataclass
class Response:
    """Status, JSON-able body (None for 204; an int for `$count` segments) and extra headers."""

    status: int
    body: Any | None = None
    headers: dict[str, str] = field(default_factory=dict)


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response:
    """Graph's uniform error body (NOTES §8.3)."""
    request_id = str(uuid.uuid4())
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "innerError": {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": request_id,
        },
    }
    if details:
        error["details"] = details
    return Response(status, {"error": error}, {"Content-Type": "application/json"})


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def bad(message: str, code: str = "Request_BadRequest") -> NoReturn:
    raise ApiError(400, code, message)


def nested_refusal(prop: str, complex_type: str) -> str:
    """Graph's 400 for a member a complex value's v1.0 type does not declare (a beta-only one, a typo): the
    OData reader's wording, as field reports show it (microsoftgraph/msgraph-sdk-java#391)."""
    return (
        f"The property '{prop}' does not exist on type 'microsoft.graph.{complex_type}'. Make sure to only "
        "use property names that are defined by the type or mark the type as open type."
    )


def not_found(oid: str) -> NoReturn:
    raise ApiError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{oid}' does not exist or one of its queried reference-property objects are not present.",
    )


def not_allowed() -> NoReturn:
    raise ApiError(405, "Request_BadRequest", NOT_ALLOWED)


def segment_not_found(segment: str) -> NoReturn:
    raise ApiError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def conflict(prop: str, conflicting: Sequence[str] = ()) -> NoReturn:
    """The ObjectConflict shape of a uniqueness violation (samples/error_400_upn_conflict_issue.json)."""
    details: list[dict[str, Any]] = [{"target": prop, "code": "ObjectConflict"}]
    if conflicting:
        details.append({"target": ",".join(conflicting), "code": "ConflictingObjects"})
    raise ApiError(
        400,
        "Request_BadRequest",
        f"Another object with the same value for property {prop} already exists.",
        details,
    )


def invalid_value(td: TypeDef, prop: str) -> NoReturn:
    bad(f"Invalid value specified for property '{prop}' of resource '{td.resource}'.")


def read_only(prop: str) -> NoReturn:
    bad(f"Property '{prop}' is read-only and cannot be set.")


@dataclass
class Ctx:
    """A request with its query normalised (lower-case `$` option names, lower-case header names)."""

    req: Request
    q: dict[str, str]
    headers: dict[str, str]

    @property
    def base(self) -> str:
        return self.req.base_url.rstrip("/")

    def context(self, fragment: str) -> str:
        return f"{self.base}/$metadata#{fragment}"

    @property
    def eventual(self) -> bool:
        return self.headers.get("consistencylevel", "").lower() == "eventual"

    @property
    def count(self) -> bool:
        return self.q.get("$count", "").lower() == "true"
