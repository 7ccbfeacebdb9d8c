"""The report as Markdown, for GitHub, Azure DevOps and GitLab renderers.

Every value that comes from the tenant (display names, attribute summaries, credential names) goes through
`text`: an admin can name a group `| x | <img src=…>` or put a newline in it, and the report must still show
that name, literally, inside its table cell. So line breaks and control characters become spaces, HTML's
`& < >` become entities, and Markdown's punctuation is backslash-escaped (CommonMark lets any ASCII
punctuation be escaped, and GitHub treats `\\|` inside a table cell as a literal bar).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from entragit.report.model import Change, Credential, Deleted, Report

CHARTS = (
    ("secure-score.svg", "Secure score over time"),
    ("objects.svg", "Objects per type over time"),
    ("changes.svg", "Changes per day over the last 90 days, by type"),
)
_PUNCT = re.compile(r"([\\`*_{}\[\]#!|~$])")


def text(value: object) -> str:
    """A value as inert inline Markdown: one line, no HTML, no Markdown syntax."""
    s = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value))
    s = " ".join(s.split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PUNCT.sub(r"\\\1", s)


def code(value: str) -> str:
    """A code span that no backtick inside can close early."""
    s = " ".join(value.split())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", s)), default=0) + 1)
    return f"{fence} {s} {fence}" if "`" in s else f"`{s}`"


def link(label: str, path: str, base: str) -> str:
    """A link to a repository file; `base` leads from the report's folder to the repository root."""
    return f"[{text(label)}]({quote(base + path)})"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _day(iso: str) -> str:
    return iso[:10]


def _overview(r: Report) -> list[str]:
    lb = r.last_backup
    if lb["complete"]:
        result = "complete"
    else:
        failed = ", ".join(f"{text(f['type'])} ({text(f['reason'])})" for f in lb["failedTypes"])
        result = f"**partial**: these types could not be read and keep their previous state: {failed}"
    out = ["## Overview", "", f"- **Tenant:** {text(r.tenant)}"]
    out.append(f"- **Last backup:** {lb['date'].replace('T', ' ')} (commit `{lb['commit']}`), {result}")
    if r.score:
        s = r.score
        of = f" of {s['max']:g}" + (f" ({s['percent']:g} %)" if s["percent"] is not None else "")
        out.append(f"- **Secure score:** {s['current']:g}{of if s['max'] else ''} on {_day(s['date'])}")
    if r.seats:
        s = r.seats
        out.append(
            f"- **Seats:** {s['billable']} billable (enabled licensed members), {s['guests']} guests, "
            f"{s['disabled']} disabled, of {s['total']} users"
        )
    out += [
        "",
        *_table(
            ["Type", "Objects", "Soft-deleted"],
            ([o["type"], str(o["count"]), str(o["softDeleted"])] for o in r.objects),
        ),
    ]
    return out


def _changes(r: Report, base: str) -> list[str]:
    out = [f"## Recent changes since {r.since}", ""]
    if not r.changes:
        return [*out, "No object changed in this period."]
    more = r.changes_total - len(r.changes)
    counted = f"{r.changes_total} changes" + (f"; the newest {len(r.changes)} are listed" if more else "")
    out += [counted + ". Newest first; each object links to its file.", ""]
    flipped = [c for c in r.changes if c.security]
    if flipped:
        out += ["**Security settings changed:**", ""]
        out += [
            f"- {_day(c.date)}: {text(', '.join(c.security))} ({link(c.name, c.path, base)}, "
            f"by {text(c.by) if c.by else 'backup'})"
            for c in flipped
        ]
        out.append("")
    by_day: dict[str, list[Change]] = {}
    for c in r.changes:
        by_day.setdefault(_day(c.date), []).append(c)
    for day, changes in by_day.items():
        out += [f"### {day}", ""]
        rows = (
            [
                link(c.name, c.path, base),
                c.type,
                c.kind,
                text(c.summary) if c.kind == "changed" else "",
                text(c.by) if c.by else "backup",
            ]
            for c in changes
        )
        out += [*_table(["Object", "Type", "Change", "Attributes", "By"], rows), ""]
    return out


def _deleted(r: Report, base: str) -> list[str]:
    out = ["## Deleted objects", ""]
    soft = [d for d in r.deleted if d.soft]
    hard = [d for d in r.deleted if not d.soft]
    if not r.deleted:
        return [*out, "No deleted object in the backups."]

    def rows(items: list[Deleted], until: bool) -> Iterable[list[str]]:
        for d in items:
            row = [link(d.name, d.path, base), d.type, _day(d.deleted)]
            if not until:
                yield [*row, code(d.command)]
                continue
            passed = d.restorable_until is not None and d.restorable_until < r.as_of
            limit = _day(d.restorable_until or "") + (" (passed: purged by now)" if passed else "")
            yield [*row, limit, code(d.command)]

    if soft:
        out += ["### Soft-deleted: restorable in place until the date shown (deletion + 30 days)", ""]
        out += [*_table(["Object", "Type", "Deleted", "Restorable until", "Restore"], rows(soft, True)), ""]
    if hard:
        out += ["### Deleted for good: restorable by recreation from the last backup (a new id)", ""]
        out += [*_table(["Object", "Type", "Found gone", "Restore"], rows(hard, False)), ""]
    return out


def _dangling(r: Report, base: str) -> list[str]:
    """References that name an object the tenant no longer has (a policy still naming a deleted group)."""
    out = ["## Dangling references", ""]
    if not r.dangling:
        return [*out, "No object refers to an object that is gone."]
    out += [
        "These objects still name an object that was deleted for good; the command brings it back and points "
        "the object at it.",
        "",
    ]
    rows = (
        [
            link(d["holderName"], d["holder"], base),
            code(d["prop"]),
            link(d["target"]["name"] or d["value"], d["target"]["path"], base) + f" ({d['target']['type']})",
            code(d["target"]["last"][:10]),
            code(d["command"]),
        ]
        for d in r.dangling
    )
    return [*out, *_table(["Object", "Property", "Names (gone)", "Last backed up in", "Restore"], rows), ""]


def _policies(r: Report, base: str) -> list[str]:
    out = ["## Conditional access in plain words", ""]
    if not r.policies:
        return [*out, "No conditional access policy in the backup."]
    for p in r.policies:
        flag = " (report-only: not enforced)" if p.report_only else ""
        out += [f"### {text(p.name)}{flag}", ""]
        out.append(f"- **State:** {text(p.state)} ({link('file', p.path, base)})")
        out.append(f"- **Applies to:** {', '.join(map(text, p.applies_to)) or 'no one'}")
        if p.excludes:
            out.append(f"- **Excludes:** {', '.join(map(text, p.excludes))}")
        if p.break_glass_excluded:
            out.append(f"- **Break-glass exclusions:** {', '.join(map(text, p.break_glass_excluded))}")
        out.append(f"- **Apps:** {', '.join(map(text, p.applications)) or 'none'}")
        if p.conditions:
            out.append(f"- **Conditions:** {'; '.join(map(text, p.conditions))}")
        out.append(f"- **Then:** {text(p.requires)}")
        if p.session:
            out.append(f"- **Session:** {'; '.join(map(text, p.session))}")
        out.append("")
    return out


def _credential_status(c: Credential) -> str:
    if c.days_left < 0:
        return f"**expired** {-c.days_left} days ago"
    return f"expires in {c.days_left} days"


def _privileged(r: Report, base: str) -> list[str]:
    out = ["## Privileged access", "", "### Holders of privileged directory roles", ""]
    if r.privileged:
        rows = (
            [text(h.role), link(h.principal, h.path, base), h.principal_type, text(h.scope)]
            for h in r.privileged
        )
        out += [*_table(["Role", "Holder", "Kind", "Scope"], rows), ""]
    else:
        out += ["No privileged role assignment in the backup.", ""]
    out += ["### Application credentials expired or expiring within 30 days", ""]
    if r.credentials:
        rows = (
            [link(c.application, c.path, base), c.kind, text(c.name), _day(c.expires), _credential_status(c)]
            for c in r.credentials
        )
        out += _table(["Application", "Kind", "Name", "Expires", "Status"], rows)
    else:
        out.append("None.")
    return out


def render(r: Report, base: str) -> str:
    """README.md of the report; `base` is the relative path from the report's folder to the repository."""
    lines = [
        f"# Microsoft Entra ID report: {text(r.tenant)}",
        "",
        f"As of the last backup, {r.as_of.replace('T', ' ')}. Built by `entragit report` from the backup "
        "repository alone.",
        "",
        *_overview(r),
        "",
        "## Charts",
        "",
        *(f"![{title}]({name})" + "\n" for name, title in CHARTS),
        *_changes(r, base),
        "",
        *_deleted(r, base),
        "",
        *_dangling(r, base),
        "",
        *_policies(r, base),
        *_privileged(r, base),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
