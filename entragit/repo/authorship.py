"""How a backup repository records who made a change: commit authors, trailers and git notes.

The format is written by the backup (through `writer`) and read by the history commands (through `reader`),
so both sides share it here (docs/repository-format.md, Attribution):

- an attributed commit is authored by the actor (`Name <email>`) and names every actor behind it in
  `Changed-By:` trailers;
- the run's last commit holds the changes no audit record explained and carries an `Unattributed:` trailer;
- an audit record that arrived after the backup that captured its change attributes it later through a note on
  that commit, under `refs/notes/entragit-audit`: one line per object file, `<path>: Name <email> (...)`.

Names come from the tenant and may hold anything; `ident_part` makes them safe for a git ident line and
`one_line` for a trailer or note line, so no display name can forge a header, a trailer or another line.
"""

from __future__ import annotations

import re

NOTES_REF = "entragit-audit"  # git notes --ref=entragit-audit (refs/notes/entragit-audit)
UNATTRIBUTED = "Unattributed"  # trailer key of the commit holding changes without an audit record
CHANGED_BY = "Changed-By"

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_NOTE_LINE = re.compile(r"^(?P<path>[^:\n]+\.yaml): (?P<actor>[^<>\n]*<[^<>\n]*>)")


def one_line(text: str) -> str:
    """Control characters and line breaks (every kind) as one space, trimmed."""
    return " ".join(_CONTROL.sub(" ", text).split())


def ident_part(text: str) -> str:
    """A name or email fit for `Name <email>`: one line, and `<`/`>` (which would end the part) as ‹ ›."""
    return one_line(text).replace("<", "‹").replace(">", "›")


def ident(name: str, email: str) -> str:
    return f"{ident_part(name) or 'unknown'} <{ident_part(email)}>"


def note_line(path: str, actor: str, detail: str) -> str:
    return f"{path}: {actor} ({one_line(detail)})"


def parse_note(text: str) -> dict[str, str]:
    """path → `Name <email>` of the actor a note names for it (the last line for a path wins)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        m = _NOTE_LINE.match(line)
        if m:
            found[m["path"]] = m["actor"].strip()
    return found


def matches(actor: str, who: str) -> bool:
    """Whether `who` (a display name, an email/UPN, its part before @, or an appId) names this actor."""
    m = re.fullmatch(r"(?P<name>.*?) <(?P<email>[^<>]*)>", actor)
    if m is None:
        return actor.casefold() == who.casefold()
    name, email = m["name"], m["email"]
    wanted = who.strip().casefold()
    return wanted in {name.casefold(), email.casefold(), email.split("@", 1)[0].casefold()}
