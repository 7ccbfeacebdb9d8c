"""What a backup reads besides the catalog's object types: the tenant reports, and the audit log's
permission."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    """A tenant report written to `reports/` each run: the values Graph has now (for the secure score, also
    the daily history Graph still keeps); older values live on in git history."""

    name: str
    file: str
    path: str  # Graph path
    params: tuple[tuple[str, str], ...] = ()
    permissions: tuple[str, ...] = ()


SECURE_SCORE_DAYS = 90  # Graph keeps about 90 daily records; one request (`$top`) brings them all

REPORTS: tuple[Report, ...] = (
    Report(
        name="secureScore",
        file="reports/secureScore.yaml",
        path="security/secureScores",
        params=(("$top", str(SECURE_SCORE_DAYS)),),
        permissions=("SecurityEvents.Read.All",),
    ),
    Report(
        name="seats",
        file="reports/seats.yaml",
        path="subscribedSkus",
        permissions=("Organization.Read.All",),
    ),
)


def report(name: str) -> Report:
    """The REPORTS entry called `name` (a programming error, not user input, when missing)."""
    return next(r for r in REPORTS if r.name == name)


# Read by backup for audit attribution of changes (who changed what) and by restore for undelete lookups.
AUDIT_PERMISSIONS: tuple[str, ...] = ("AuditLog.Read.All",)
