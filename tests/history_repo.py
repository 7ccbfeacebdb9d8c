"""Build small backup repositories by hand (canonical files + git commits) for fast history tests.

The end-to-end tests use real backups of the sandbox; these hand-built ones pin exact dates and edge cases
(tricky strings, layout changes) that a backup cannot easily produce.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from entragit import canonical, catalog


class RepoBuilder:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "test")
        self.git("config", "user.email", "test@example.com")
        self.time = 1_700_000_000

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        ).stdout

    def put(self, type_name: str, obj: dict[str, Any], path: str | None = None) -> str:
        t = catalog.by_name(type_name)
        rel = path or catalog.object_path(t, obj["id"])
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(canonical.dump(canonical.canonicalize(t, obj)), encoding="utf-8")
        return rel

    def write(self, rel: str, text: str) -> None:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def remove(self, type_name: str, object_id: str) -> None:
        (self.root / catalog.object_path(catalog.by_name(type_name), object_id)).unlink()

    def commit(self, message: str = "backup", hours: float = 1) -> str:
        """Commit everything, one simulated hour (or `hours`) after the previous commit."""
        self.time += int(hours * 3600)
        date = f"@{self.time} +0000"
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        return self.git("rev-parse", "HEAD").strip()


def guid(n: int, prefix: str = "") -> str:
    """A valid GUID whose first characters can be chosen (shard folder) and that sorts by n."""
    base = f"{prefix}{n:x}".rjust(32, "0") if not prefix else (prefix + f"{n:x}".rjust(32 - len(prefix), "0"))
    return f"{base[:8]}-{base[8:12]}-{base[12:16]}-{base[16:20]}-{base[20:32]}"
