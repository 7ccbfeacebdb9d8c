"""Hostile YAML from a pull request: `validate` and `apply` read what anyone can write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from history_repo import RepoBuilder, guid

from entragit import canonical, catalog, config, yamlscreen

USERS = catalog.by_name("users")

# A few hundred bytes that stand for 9**8 (43 million) list items once aliases are followed.
BILLION_LAUGHS = "id: x\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n" for p, k in zip("abcdefg", "bcdefgh", strict=True)
)


def _nested(depth: int) -> str:
    return "id: x\na: " + "[" * depth + "]" * depth + "\n"


def _nested_block(depth: int) -> str:
    return "id: x\n" + "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BILLION_LAUGHS, "line 3: an alias (*a); entragit's files have none"),
        (_nested(100_000), "line 2: nested more than 64 levels deep"),
        (_nested_block(3_000), "line 66: nested more than 64 levels deep"),
    ],
)
def test_aliases_and_deep_nesting_are_refused_with_the_file_and_line(text: str, message: str) -> None:
    assert yamlscreen.problem(text) == message
    with pytest.raises(canonical.CanonicalError) as exc:
        canonical.load(text, source="users/ab/x.yaml")
    assert str(exc.value) == f"users/ab/x.yaml: {message}"


def test_what_entragit_writes_passes_and_syntax_errors_are_the_readers_to_report() -> None:
    deepest = "id: x\na: " + "[" * (yamlscreen.MAX_DEPTH - 1) + "]" * (yamlscreen.MAX_DEPTH - 1) + "\n"
    assert yamlscreen.problem(deepest) is None
    assert canonical.load(deepest)["id"] == "x"
    assert yamlscreen.problem("id: x\nanchored: &only 1\n") is None  # an anchor alone costs nothing
    assert yamlscreen.problem("a: [\n") is None
    with pytest.raises(canonical.CanonicalError, match="invalid YAML: line 2"):
        canonical.load("a: [\n", source="f.yaml")


def test_a_hostile_entragit_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "entragit.yaml").write_text("tenant_id: " + "[" * 5_000 + "]" * 5_000 + "\n")
    deep = r"^entragit\.yaml: line 1: nested more than 64 levels deep$"
    with pytest.raises(config.ConfigError, match=deep):
        config.load(tmp_path)
    (tmp_path / "entragit.yaml").write_text("tenant_id: x\nexclude_attributes: &a {users: [a]}\nb: *a\n")
    with pytest.raises(config.ConfigError, match=r"^entragit\.yaml: line 3: an alias \(\*a\)"):
        config.load(tmp_path)


def test_validate_in_ci_reports_hostile_files_in_one_line_each_and_survives(tmp_path: Path) -> None:
    """The pre-commit hook and the CI job run `entragit validate` over a pull request's files. Before the
    screen, 100,000 levels of `[` crashed the process (SIGSEGV in the C composer) and 3,000 levels of
    indentation ended in a RecursionError traceback: hence a subprocess, so that a regression fails this
    test rather than the test run."""
    b = RepoBuilder(tmp_path / "backup")
    b.put("users", {"id": guid(1, "ab"), "displayName": "Ana", "userPrincipalName": "ana@contoso.com"})
    b.write("entragit.yaml", "tenant_id: x\n")
    b.commit()
    flow, block, laughs = (catalog.object_path(USERS, guid(n, "ab")) for n in (2, 3, 4))
    for rel, text in ((flow, _nested(100_000)), (block, _nested_block(3_000)), (laughs, BILLION_LAUGHS)):
        b.write(rel, text)
    env = {k: v for k, v in os.environ.items() if k != "ENTRAGIT_REPO"}
    done = subprocess.run(
        [sys.executable, "-m", "entragit", "validate", "--repo", str(b.root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = sorted(done.stdout.splitlines())
    assert lines == sorted(
        [
            f"{flow}: line 2: nested more than 64 levels deep",
            f"{block}: line 66: nested more than 64 levels deep",
            f"{laughs}: line 3: an alias (*a); entragit's files have none",
        ]
    ), done.stdout
