"""Restore commands: plan, restore and apply. Parse options, call entragit.restore, render like a Terraform
plan."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from entragit import restore
from entragit.cli.options import json_option, repo_option
from entragit.cli.output import dim, echo_json, style
from entragit.cli.progress import prompt_printer
from entragit.errors import UsageError
from entragit.restore import guards, sources
from entragit.restore.apply import FAILED, OK, Result, Reveal, unseen
from entragit.restore.plan import DELETE, LINK, REFUSE, SKIP, UNLINK, WRITES, Action, is_empty

F = Callable[..., Any]

EXIT_NOT_EMPTY = 3  # `plan --exit-code`: there is something to do

SYMBOLS = {
    "update": ("~", "yellow"),
    "recreate": ("+", "green"),
    "undelete": ("↺", "cyan"),
    LINK: ("+", "green"),
    UNLINK: ("-", "red"),
    DELETE: ("-", "red"),
    REFUSE: ("!", "red"),
    SKIP: ("·", None),
}


def _value(v: Any, limit: int = 100) -> str:
    text = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _leaves(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, f"{prefix}.{k}")
    else:
        yield prefix, value


def _change_lines(path: str, old: Any, new: Any, names: dict[str, str]) -> list[str]:
    """One line per changed leaf of a complex value (a CA policy's conditions), old → new; a list of plain
    values element by element, ids with their names (`conditions.users.excludeUsers + <id> (Name)`), as
    `compare` shows them: a whole list cut at 100 characters would hide which id changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        a, b = dict(_leaves(old, path)), dict(_leaves(new, path))
        return [
            line
            for k in dict.fromkeys([*a, *b])
            if a.get(k) != b.get(k)
            for line in _leaf_lines(k, a.get(k), b.get(k), names)
        ]
    return _leaf_lines(path, old, new, names)


def _leaf_lines(path: str, old: Any, new: Any, names: dict[str, str]) -> list[str]:
    if _plain_list(old) and _plain_list(new) and (old or new):
        was, now = old or [], new or []
        lines = [f"{path} + {_linked(v, names)}" for v in now if v not in was]
        lines += [f"{path} - {_linked(v, names)}" for v in was if v not in now]
        if lines:  # else only the order differs: the whole list says how
            return lines
    return [f"{path}: {_value(old)} → {_value(new)}"]


def _plain_list(value: Any) -> bool:
    """A list of strings or numbers (ids, values), or nothing yet."""
    return value is None or (isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value))


def _linked(v: Any, names: dict[str, str]) -> str:
    if isinstance(v, dict) and "principalId" not in v and "dataType" in v:  # a directory extension definition
        return f"{v.get('name')} ({v.get('dataType')}{' collection' if v.get('isMultiValued') else ''})"
    if isinstance(v, dict) and "principalId" not in v:  # a contained item (a federated credential)
        return _value(v, 200)
    ref = v.get("principalId") if isinstance(v, dict) else v
    name = names.get(str(ref))
    return f"{ref} ({name})" if name else str(ref)


def render_action(a: Action, names: dict[str, str]) -> list[str]:
    symbol, colour = SYMBOLS.get(a.action, ("?", None))
    head = f"{symbol} {a.action} {a.path}  {a.name}"
    lines = [style(head, fg=colour, bold=True) if colour else dim(head)]
    if a.reason and a.action in (REFUSE, SKIP, "recreate", "update", DELETE):
        lines.append(f"    {a.reason}" if a.action != SKIP else dim(f"    {a.reason}"))
    links = {r.name for r in a.type.relationships}
    for c in a.changes:
        if c.path in links:  # also the links a refusal lists
            if c.old is not None and c.new is not None:  # a manager replaced
                lines.append(f"    {c.path}: {_linked(c.old, names)} → {_linked(c.new, names)}")
            else:
                mark = "+" if c.new is not None else "-"
                lines.append(f"    {c.path} {mark} {_linked(c.new if c.new is not None else c.old, names)}")
        else:
            lines += [f"    {line}" for line in _change_lines(c.path, c.old, c.new, names)]
    if a.action == "undelete" and a.new_upn:
        lines.append(f"    as userPrincipalName {a.new_upn}")
    return lines


def _count(actions: list[Action], kind: str) -> int:
    return sum(a.action == kind for a in actions)


def summary(actions: list[Action]) -> str:
    links_in = sum(len(a.changes) for a in actions if a.action == LINK)
    links_out = sum(len(a.changes) for a in actions if a.action == UNLINK)
    return (
        f"Plan: {_count(actions, 'update')} to update, {_count(actions, 'undelete')} to undelete, "
        f"{_count(actions, 'recreate')} to recreate, {links_in} links to add, {links_out} to remove, "
        + (f"{_count(actions, DELETE)} to delete, " if _count(actions, DELETE) else "")
        + f"{_count(actions, REFUSE)} refused, {_count(actions, SKIP)} skipped."
    )


def render_plan(plan: restore.Plan) -> str:
    rev = plan.revision
    notes = [f"note: {n}" for n in plan.notes]
    if not plan.actions:
        return "\n".join([f"No changes: the tenant matches {rev.short} ({rev.when} UTC).", *notes])
    lines = [f"Restore plan to {rev.short} ({rev.when} UTC):", ""]
    for a in plan.actions:
        lines += render_action(a, plan.names)
    lines += ["", summary(plan.actions), *notes]
    return "\n".join(lines)


def _common(f: F) -> F:
    for option in reversed(
        (
            click.option(
                "--at",
                "at",
                metavar="REV",
                default=None,
                help="A commit, tag, HEAD~N or date "
                "(default: each object's latest backup in which it existed).",
            ),
            click.option(
                "--only",
                "only",
                metavar="ATTR,...",
                default=None,
                help="Restore only these attributes and relationships.",
            ),
            click.option(
                "--relationships/--no-relationships",
                default=True,
                show_default=True,
                help="Also add and remove links (members, owners, manager, app role assignments).",
            ),
            click.option(
                "--new-upn",
                "new_upn",
                metavar="UPN",
                default=None,
                help="Undelete a user under this userPrincipalName (its own is taken).",
            ),
            click.option(
                "--sub-objects/--no-sub-objects",
                default=False,
                show_default=True,
                help="Also restore linked members, owners and managers that are deleted themselves.",
            ),
            click.option(
                "--type",
                "types",
                metavar="TYPE",
                multiple=True,
                help="With every object of the revision (plan without OBJECT, restore --all): only these "
                "types (repeatable).",
            ),
            repo_option,
        )
    ):
        f = option(f)
    return f


def _plan(
    client: Any, backup: sources.Backup, objects: tuple[str, ...], common: dict[str, Any]
) -> restore.Plan:
    """The plan for the options every restore command shares (see `_common`)."""
    only = common.pop("only")
    return restore.make_plan(backup, objects, only=only.split(",") if only else None, client=client, **common)


@click.command("plan")
@click.argument("objects", metavar="[OBJECT]...", nargs=-1)
@_common
@json_option
@click.option(
    "--exit-code", "exit_code", is_flag=True, help=f"Exit {EXIT_NOT_EMPTY} when the plan is not empty."
)
def plan_cmd(
    objects: tuple[str, ...], repo: str | None, as_json: bool, exit_code: bool, **common: Any
) -> None:
    """What a restore would do: each object of the revision against the live tenant. Writes nothing."""
    backup = sources.Backup(repo)
    client = backup.connect(prompt_printer())
    try:
        plan = _plan(client, backup, objects, common)
    finally:
        client.close()
    if not objects:  # the whole revision against the tenant: a drift check, recorded for `status`/`fleet`
        unrecorded = restore.record_drift(backup, plan, summary(plan.actions))
        if unrecorded:
            click.echo(dim(f"note: drift check not recorded for `status` ({unrecorded})"), err=True)
    if as_json:
        echo_json(plan.to_json())
    else:
        click.echo(render_plan(plan))
    if exit_code and not is_empty(plan.actions):
        sys.exit(EXIT_NOT_EMPTY)


def _report(r: Result) -> None:
    mark = {OK: style("✓", fg="green"), FAILED: style("✗", fg="red")}.get(r.status, dim("–"))
    click.echo(
        f"{mark} {r.action.action} {r.action.path}  {r.action.name}: {r.status}"
        + (f": {r.message}" if r.message else "")
    )


def _guarded(f: F) -> F:
    for option in reversed(
        (
            click.option(
                "--allow-mass-change",
                "allow_mass",
                is_flag=True,
                help="Allow removing more than 10 links from one object, and deleting objects.",
            ),
            click.option(
                "--allow-privileged",
                "allow_privileged",
                is_flag=True,
                help="Allow changing privileged role assignments and the users or groups holding privileged "
                "roles.",
            ),
            click.option(
                "--send-invitations",
                "send_invitations",
                is_flag=True,
                help="Mail the invitation to each guest re-invited (default: re-invite without mail).",
            ),
            click.option(
                "--passwords-file",
                "passwords_file",
                metavar="PATH",
                default=None,
                help="Write recreated users' temporary passwords to this file (created 0600, outside the "
                "repository). Without it they are shown once on a terminal, and to nobody without one.",
            ),
            click.option("--yes", "yes", is_flag=True, help="Apply without asking."),
            click.option(
                "--dry-run", "dry_run", is_flag=True, help="Show the plan and stop; nothing is written."
            ),
        )
    ):
        f = option(f)
    return f


def _execute(
    backup: sources.Backup,
    plan: restore.Plan,
    client: Any,
    *,
    allow_mass: bool,
    allow_privileged: bool,
    yes: bool,
    dry_run: bool,
    send_invitations: bool,
    passwords_file: Path | None,
) -> None:
    """Show the plan, check the guards, ask, apply, report; exit 1 when an action was refused or failed, so
    that a pipeline can tell "the tenant now matches" (0) from "something was left undone" (1)."""
    click.echo(render_plan(plan))
    writes = [a for a in plan.actions if a.action in WRITES]
    refused = sorted({f"{a.path} ({a.name})" for a in plan.actions if a.action == REFUSE})
    if dry_run or not writes:
        if dry_run:
            click.echo(dim("dry run: nothing written"))
        _exit_if_refused(refused)
        return
    guards.check(
        writes,
        guards.privileged_principals(backup, plan.sources),
        allow_mass=allow_mass,
        allow_privileged=allow_privileged,
    )
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("restore writes to the tenant: pass --yes to apply without a terminal to ask on")
        if not click.confirm("Apply this plan?", default=False):  # a choice, not an error
            click.echo("cancelled: nothing written")
            sys.exit(1)
    with _reveal(passwords_file) as reveal:
        results, commit = restore.run(
            backup, plan, client, _report, send_invitations=send_invitations, reveal=reveal
        )
    failed = [r for r in results if r.status != OK]
    click.echo(
        f"Restored: {len(results) - len(failed)} of {len(results)} actions done"
        + (f", {len(failed)} failed or not attempted." if failed else ".")
        + (f" Recorded in commit {commit[:8]}." if commit else "")
    )
    _exit_if_refused(refused)
    if failed:
        sys.exit(1)


def _passwords_path(option: str | None, root: str) -> Path | None:
    """--passwords-file as an absolute path, refused (one line) inside the repository, whose files are
    committed and pushed, or in a folder that does not exist."""
    if option is None:
        return None
    path = Path(option).absolute()
    folder = path.parent.resolve()
    if not folder.is_dir():
        raise UsageError(f"--passwords-file: {path.parent}: no such folder")
    if (folder / path.name).is_relative_to(Path(root).resolve()):
        raise UsageError(
            f"--passwords-file: {path} is inside the backup repository {root}; passwords are never kept "
            "there: give a path outside it"
        )
    return path


@contextlib.contextmanager
def _reveal(path: Path | None) -> Iterator[Reveal]:
    """Who sees a recreated user's temporary password: the file given (one `userPrincipalName<TAB>password`
    line each, created 0600), else the person at the terminal (shown once), else nobody, since output
    without a terminal is a CI log others read: the password is set unseen and the result says to reset it."""
    if path is None:
        yield shown_once if sys.stdout.isatty() else unseen
        return
    fd: int | None = None

    def to_file(a: Action, secret: str) -> str:
        nonlocal fd
        upn = str(a.desired.get("userPrincipalName") or a.name)
        try:
            if fd is None:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.fchmod(fd, 0o600)
            os.write(fd, f"{upn}\t{secret}\n".encode())
            os.fsync(fd)
        except OSError as exc:
            return f"{unseen(a, secret)} (cannot write {path}: {exc.strerror or exc})"
        return f"temporary password written to {path} (change at next sign-in)"

    try:
        yield to_file
    finally:
        if fd is not None:
            os.close(fd)


def shown_once(_a: Action, secret: str) -> str:
    return f"temporary password (shown once, change at next sign-in): {secret}"


def _exit_if_refused(refused: list[str]) -> None:
    """Exit 1 naming what the plan refuses: the tenant does not match what was asked."""
    if refused:
        click.echo(f"Refused, nothing written for: {'; '.join(refused)} (see the reasons above)", err=True)
        sys.exit(1)


@click.command("restore")
@click.argument("objects", metavar="OBJECT...", nargs=-1)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every object of the revision (with --at; --type narrows it), as `plan` without OBJECT shows.",
)
@_common
@_guarded
def restore_cmd(
    objects: tuple[str, ...],
    every: bool,
    repo: str | None,
    allow_mass: bool,
    allow_privileged: bool,
    yes: bool,
    dry_run: bool,
    send_invitations: bool,
    passwords_file: str | None,
    **common: Any,
) -> None:
    """Bring objects back to a revision: show the plan, ask, apply it through Graph, report each result."""
    if bool(objects) == every:
        raise UsageError(
            "restore: name the objects to restore, or pass --all for every object of the revision"
            if not objects
            else "restore: --all restores every object of the revision; name no OBJECT with it"
        )
    _plan_and_execute(
        repo,
        lambda backup, client: _plan(client, backup, objects, common),
        command="restore",
        allow_mass=allow_mass,
        allow_privileged=allow_privileged,
        yes=yes,
        dry_run=dry_run,
        send_invitations=send_invitations,
        passwords_file=passwords_file,
    )


@click.command("apply")
@click.argument("paths", metavar="[PATH]...", nargs=-1)
@click.option("--prune", "prune", is_flag=True, help="Also delete live objects whose files were removed.")
@_guarded
@repo_option
def apply_cmd(
    paths: tuple[str, ...],
    repo: str | None,
    prune: bool,
    allow_mass: bool,
    allow_privileged: bool,
    yes: bool,
    dry_run: bool,
    send_invitations: bool,
    passwords_file: str | None,
) -> None:
    """Make the tenant what the work tree's files say (after `git checkout REV -- PATH`, or an edit merged
    from a pull request). Every file is checked before anything is written."""
    _plan_and_execute(
        repo,
        lambda backup, client: restore.make_apply_plan(backup, paths, prune=prune, client=client),
        command="apply",
        allow_mass=allow_mass,
        allow_privileged=allow_privileged,
        yes=yes,
        dry_run=dry_run,
        send_invitations=send_invitations,
        passwords_file=passwords_file,
    )


def _plan_and_execute(
    repo: str | None, make: Callable[[sources.Backup, Any], restore.Plan], *, command: str, **options: Any
) -> None:
    """Take the repository (unless a dry run: it writes nothing), sign in as the restore app, build the plan,
    then show, ask and apply it (restore and apply alike)."""
    backup = sources.Backup(repo)  # opened once: the plan, the guards and the record all read through it
    options["passwords_file"] = _passwords_path(options["passwords_file"], backup.root)
    with contextlib.nullcontext() if options["dry_run"] else backup.locked(command):
        client = backup.connect(prompt_printer())
        try:
            _execute(backup, make(backup, client), client, **options)
        finally:
            client.close()


COMMANDS = (plan_cmd, restore_cmd, apply_cmd)
