"""`entragit report`: the tenant's state and its changes as Markdown with SVG charts, from the repository.

`model` builds the content as data (also what `--json` prints), `conditional_access` turns a policy into
words, `markdown` and `svg` render. `write` puts README.md and the charts into one folder, by default
`report/` in the repository, where a backup pipeline commits them next to the backup they describe.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from entragit.errors import EntragitError
from entragit.report import markdown, svg
from entragit.report.model import Report, build

__all__ = ["Report", "build", "charts", "write"]


def charts(r: Report) -> dict[str, str]:
    """file name → SVG text of each chart."""
    c = r.charts
    score = [
        ("current", [(date.fromisoformat(d), v) for d, v, _ in c.score]),
        ("maximum", [(date.fromisoformat(d), m) for d, _, m in c.score if m is not None]),
    ]
    objects = [(t, [(date.fromisoformat(d), float(n)) for d, n in pts]) for t, pts in c.objects.items()]
    days = [date.fromisoformat(d) for d in c.days]
    texts = (
        svg.line_chart("Secure score over time", "points", [s for s in score if s[1]]),
        svg.line_chart("Objects per type over time", "objects", objects),
        svg.bar_chart("Changes per day, last 90 days", "changes", days, list(c.changes.items())),
    )
    return {name: t for (name, _), t in zip(markdown.CHARTS, texts, strict=True)}


def write(r: Report, out: str | os.PathLike[str]) -> list[Path]:
    """Write README.md and the charts into out (created if needed); returns the files written."""
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        base = os.path.relpath(r.root, folder.resolve()).replace(os.sep, "/") + "/"
        files = {"README.md": markdown.render(r, "" if base == "./" else base), **charts(r)}
        written = []
        for name, content in files.items():
            target = folder / name
            target.write_text(content, encoding="utf-8")
            written.append(target)
    except OSError as exc:
        raise EntragitError(f"--out {folder}: cannot write the report ({exc.strerror or exc})") from None
    return written
