"""History commands: ls, show, versions, compare, restore-points, score, seats.

Each command parses its options, calls one service function of entragit.history / entragit.tenant_reports and
renders the plain data it returns, as a table for people or JSON for scripts.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import click

from entragit import history, tenant_reports
from entragit.cli.options import json_option, repo_option
from entragit.cli.output import dim, echo, echo_json, style, table
from entragit.cli.progress import progress_printer, prompt_printer, retry_printer
from entragit.history.diff import Difference
from entragit.history.tenant import live_object
from entragit.repo.entries import is_deleted
from entragit.repo.reader import gc_paused
from entragit.wording import count


def _named(value: Any, names: dict[str, str]) -> str:
    text = history.format_value(value)
    if isinstance(value, str) and value in names:
        return f"{text} ({names[value]})"
    return text


# --------------------------------------------------------------------------------------------------


def _echo_json_rows(rows: list[dict[str, Any]]) -> None:
    """A JSON list with one compact object per line: the C encoder (json.dumps with indent is pure Python,
    seconds for 100k objects), and still readable and greppable."""
    if not rows:
        click.echo("[]")
        return
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: dumps() builds one per call
    body = ",\n  ".join(map(encode, rows))
    echo(f"[\n  {body}\n]")


def _state(row: history.Listed) -> str | None:
    return "removed" if row.removed else "soft-deleted" if row.entry.deleted else None


@click.command("ls")
@click.argument("type_name", metavar="[TYPE]", required=False)
@click.option(
    "--deleted/--no-deleted",
    default=None,
    help="Only soft-deleted objects / hide them. Default: all, deleted ones dimmed and marked.",
)
@click.option(
    "--removed",
    is_flag=True,
    help="Only objects deleted for good since a backup (restorable from history); "
    "LAST BACKUP is the backup that found them gone.",
)
@click.option(
    "--changed-by",
    "changed_by",
    metavar="WHO",
    default=None,
    help="Only objects whose last change WHO made (a display name, UPN, email or appId from the audit log), "
    "including those WHO deleted for good; with --removed, only those.",
)
@json_option
@repo_option
@gc_paused  # 100k rows of JSON dicts: see gc_paused
def ls_cmd(
    type_name: str | None,
    deleted: bool | None,
    removed: bool,
    changed_by: str | None,
    as_json: bool,
    repo: str,
) -> None:
    """List the protected objects with their last backup (the last commit that changed each one)."""
    if removed and deleted is not None:
        raise click.UsageError("--removed lists hard-deleted objects; it does not combine with --deleted")
    rows = history.list_objects(
        repo, type_name, deleted, progress_printer(), removed=removed, changed_by=changed_by
    )
    if as_json:
        _echo_json_rows(
            [
                {**r.to_json(), "identity": r.entry.identity or None, "state": _state(r)}
                | ({"changedBy": r.actor} if changed_by is not None else {})
                for r in rows
            ]
        )
        return
    if not rows and changed_by is not None:
        click.echo(f"no object was {'removed' if removed else 'last changed'} by {changed_by}")
        return
    if not rows and removed:
        click.echo("no object" + (f" of type {type_name}" if type_name else "") + " was removed")
        return
    if not rows:
        if type_name or deleted is not None:
            click.echo("no objects" + (f" of type {type_name}" if type_name else "") + " match")
        else:  # a repository after `entragit init` only
            click.echo("no objects backed up yet; run `entragit backup`")
        return
    body = [
        [
            r.entry.type,
            r.entry.display_name or "",
            r.entry.identity,
            r.last.when if r.last else "",
            _state(r) or "",
        ]
        for r in rows
    ]
    echo(
        table(
            body,
            ["TYPE", "DISPLAY NAME", "IDENTITY", "LAST BACKUP (UTC)", "STATE"],
            [r.entry.deleted or r.removed for r in rows],
        )
    )
    gone = sum(r.entry.deleted for r in rows)
    hard = sum(r.removed for r in rows)
    if removed:
        removed_objects = count(len(rows), "removed object")
        click.echo(dim(f"{removed_objects}; see `entragit versions OBJECT` for their history"))
        return
    click.echo(
        dim(
            count(len(rows), "object")
            + (f", {gone:,} soft-deleted" if gone else "")
            + (f", {hard:,} removed" if hard else "")
        )
    )


@click.command("show")
@click.argument("obj", metavar="OBJECT")
@click.option(
    "--at", "at", metavar="REV", default=None, help="A commit, tag, HEAD~N or date (default: latest)."
)
@click.option(
    "--search", "text", metavar="TEXT", default=None, help="Only attributes whose name or value match."
)
@click.option("--all", "show_all", is_flag=True, help="Also list attributes that are not set (null).")
@json_option
@repo_option
def show_cmd(obj: str, at: str | None, text: str | None, show_all: bool, as_json: bool, repo: str) -> None:
    """Show the attributes of an object (latest version, or --at REV).

    OBJECT: a repository path, an object id, a userPrincipalName, an appId or an exact display name.
    """
    view = history.show(repo, obj, at)
    pairs = history.flatten(view.object)
    if text:
        pairs = history.search(pairs, text, view.names)
    empty = 0
    if not show_all and not as_json:
        empty = sum(v is None for _, v in pairs)
        pairs = [(k, v) for k, v in pairs if v is not None]
    if as_json:
        shown = view.object if not text else {k: v for k, v in pairs}
        # What the text's header and `id (name)` values say, in an annotation beside Graph's properties (as
        # Graph's own `@odata.*` ones are), so the object itself keeps its canonical shape.
        source = {"type": view.type, "path": view.path, "commit": view.commit.short, "date": view.commit.iso}
        echo_json({**shown, "@entragit": {**source, "names": view.names}})
        return
    name = view.object.get("displayName") or ""
    click.echo(dim(f"{view.type} {name} — {view.path} at {view.commit.short} ({view.commit.when} UTC)"))
    if is_deleted(view.object):
        click.echo(style(f"soft-deleted on {view.object['deletedDateTime']}", fg="red"))
    if not pairs:
        click.echo(f"no attribute matches '{text}'")
        return
    own_id = view.object.get("id")  # the object's own id is not named after itself
    rows = [
        [k, history.format_value(v) if k == "id" and v == own_id else _named(v, view.names)] for k, v in pairs
    ]
    echo(table(rows, ["ATTRIBUTE", "VALUE"]))
    if empty:
        click.echo(dim(f"{count(empty, 'attribute')} not set (--all shows them)"))


@click.command("versions")
@click.argument("obj", metavar="OBJECT")
@json_option
@repo_option
def versions_cmd(obj: str, as_json: bool, repo: str) -> None:
    """List the versions of an object, newest first, with what changed in each.

    OBJECT: a repository path, an object id, a userPrincipalName, an appId or an exact display name.
    """
    path, found = history.versions(repo, obj)
    if as_json:
        echo_json([{**v.to_json(), "path": v.path} for v in found])
        return
    click.echo(dim(f"versions of {path}"))
    rows = [[v.commit.short, v.commit.when, v.actor, v.summary] for v in found]
    gone = [v.state is None or is_deleted(v.state) for v in found]
    echo(table(rows, ["COMMIT", "DATE (UTC)", "BY", "CHANGES"], gone))


def _pointer_label(ptr: str) -> str:
    """`/assignedLicenses/0/skuId` → `assignedLicenses[0].skuId`, `/members/-` → `members`."""
    out = ""
    for part in ptr.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if part == "-":
            continue
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "(object)"


def _diff_lines(d: Difference, names: dict[str, str]) -> list[str]:
    label = _pointer_label(d.path)
    if d.op == "replace":
        return [style(f"~ {label}: {_named(d.old, names)} → {_named(d.new, names)}", fg="yellow")]
    if d.op == "unchanged":
        return [dim(f"  {k}: {_named(v, names)}") for k, v in history.flatten(d.new, label)]
    sign, colour, value = ("+", "green", d.new) if d.op == "add" else ("-", "red", d.old)
    if not isinstance(value, (dict, list)):
        label = re.sub(r"\[\d+\]$", "", label)  # "- members: id (name)", not the old list index
    return [style(f"{sign} {k}: {_named(v, names)}", fg=colour) for k, v in history.flatten(value, label)]


@click.command("compare")
@click.argument("obj", metavar="OBJECT")
@click.argument("rev_a", metavar="[REV_A", required=False)
@click.argument("rev_b", metavar="[REV_B]]", required=False)
@click.option(
    "--all", "show_all", is_flag=True, help='Also show unchanged attributes (JSON: op "unchanged").'
)
@json_option
@repo_option
def compare_cmd(
    obj: str, rev_a: str | None, rev_b: str | None, show_all: bool, as_json: bool, repo: str
) -> None:
    """Compare two versions of an object attribute by attribute.

    Default: the version before the latest change against the latest. With REV_A only: REV_A against the
    latest. REV_B may be `live` to compare with the tenant now (`compare OBJECT live`: latest vs live).
    Revisions: a commit (short sha), HEAD~N, a tag, or a UTC date (the last backup by then).
    """
    if rev_a == "live" and rev_b is None:  # `compare X live`: the latest backup against the tenant
        rev_a, rev_b = None, "live"
    elif rev_a == "live":
        raise click.UsageError("`live` can only be the second revision: compare OBJECT [REV_A] live")
    printer = progress_printer()
    live = (
        partial(live_object, prompt=prompt_printer(), on_retry=retry_printer(printer) if printer else None)
        if rev_b == "live"
        else None
    )
    result = history.compare(repo, obj, rev_a, rev_b, show_all, live)
    if as_json:
        echo_json(
            {
                "type": result.type,
                "displayName": result.display_name,
                "path": result.path,
                "a": {"label": result.a_label, "exists": result.a_exists},
                "b": {"label": result.b_label, "exists": result.b_exists},
                "differences": [d.to_json() for d in result.differences],
                "names": result.names,
            }
        )
        return
    click.echo(dim(f"{result.type} {result.display_name or ''} — {result.path}"))
    click.echo(f"--- {result.a_label}" + ("" if result.a_exists else "  (object absent)"))
    click.echo(f"+++ {result.b_label}" + ("" if result.b_exists else "  (object absent)"))
    changed = [d for d in result.differences if d.op != "unchanged"]
    for d in result.differences:
        for line in _diff_lines(d, result.names):
            click.echo(line)
    if not changed:
        click.echo("no differences")


@click.command("restore-points")
@click.argument("objs", metavar="OBJECT...", nargs=-1, required=True)
@json_option
@repo_option
def restore_points_cmd(objs: tuple[str, ...], as_json: bool, repo: str) -> None:
    """List the commits at which all the given objects exist and are not deleted (newest first)."""
    found, points = history.restore_points(repo, objs)
    if as_json:
        echo_json(
            {
                "objects": [{"path": path, "displayName": name} for path, name in found],
                "restorePoints": [{"commit": c.short, "date": c.iso} for c in points],
            }
        )
        return
    click.echo(dim("commits where all of these exist, not deleted:"))
    for path, name in found:
        click.echo(dim(f"  {name} ({path})"))
    if not points:
        click.echo("no commit has all of them (see `entragit versions OBJECT` for each)")
        return
    click.echo(table([[c.short, c.when] for c in points], ["COMMIT", "DATE (UTC)"]))


def _score(value: float) -> str:
    """Every secure score figure in one form: Graph sends scores with up to two decimals (195.68) and whole
    maxima (389), and `:g` printed them as `195.68 / 389`."""
    return f"{value:.2f}"


@click.command("score")
@json_option
@repo_option
def score_cmd(as_json: bool, repo: str) -> None:
    """The tenant's secure score and its trend, from the repository's history."""
    report = tenant_reports.score(repo)
    if as_json:
        echo_json(report.to_json())
        return
    pct = f" ({100 * report.current / report.maximum:.1f}%)" if report.maximum else ""
    top = f" / {_score(report.maximum)}" if report.maximum is not None else ""
    click.echo(f"Secure score: {_score(report.current)}{top}{pct} on {report.date[:10]}")
    points = report.history
    if len(points) <= 1:
        click.echo(dim("no trend yet: each daily backup adds a point"))
    else:
        values = [p.current / p.maximum if p.maximum else p.current for p in points]
        click.echo(
            f"Trend {points[0].date[:10]} → {points[-1].date[:10]}: {tenant_reports.sparkline(values)}"
        )
        low = min(points, key=lambda p: p.current)
        high = max(points, key=lambda p: p.current)
        click.echo(
            dim(
                f"{len(points)} days; low {_score(low.current)} ({low.date[:10]}), "
                f"high {_score(high.current)} ({high.date[:10]})"
            )
        )


@click.command("seats")
@json_option
@repo_option
def seats_cmd(as_json: bool, repo: str) -> None:
    """Estimated billable users (enabled members with a license) from the latest backup."""
    report = tenant_reports.seats(repo)
    if as_json:
        echo_json(report.to_json())
        return
    counts = report.counts()
    when = report.date[:16].replace("T", " ")  # the same form as every other date entragit prints
    click.echo(dim(f"from backup {report.commit} ({when} UTC)"))
    click.echo(
        table(
            [
                ["billable", str(counts["billable"]), "enabled member users with at least one license"],
                ["licensed", str(counts["licensed"]), "users with at least one license"],
                ["guests", str(counts["guests"]), "userType Guest (not counted as billable)"],
                ["disabled", str(counts["disabled"]), "sign-in blocked (not counted as billable)"],
                ["total", str(counts["total"]), "users, soft-deleted excluded"],
            ],
            ["SEATS", "COUNT", ""],
        )
    )
    reclaim = report.reclaim
    if reclaim:
        click.echo(f"\nLicensed but not billable ({len(reclaim)}; licenses to review):")
        rows = [
            [e.display_name or e.id, e.identity, "guest" if e.guest else "disabled"] for e in reclaim[:20]
        ]
        click.echo(table(rows, ["USER", "USER PRINCIPAL NAME", "WHY"]))
        if len(reclaim) > 20:
            click.echo(dim(f"  … and {len(reclaim) - 20} more"))


COMMANDS: list[click.Command] = [
    ls_cmd,
    show_cmd,
    versions_cmd,
    compare_cmd,
    restore_points_cmd,
    score_cmd,
    seats_cmd,
]
