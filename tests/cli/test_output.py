"""Output helpers: column widths as a terminal draws them, and colour only when wanted."""

from __future__ import annotations

import pytest

from entragit.cli import output
from entragit.cli.output import table, width


def test_width_counts_terminal_columns() -> None:
    assert width("Alex Wilber") == 11
    assert width("李芳") == 4  # CJK ideographs take two columns
    assert width("🚀") == 2 and width("☕") == 2  # emoji presentation: two columns
    assert width("Zoe\u0308") == 3  # a combining diaeresis takes none
    assert width("Zoë") == 3


def test_table_pads_by_display_width() -> None:
    text = table([["李芳", "a"], ["Zoë 🚀", "b"], ["Megan", "c"]], ["NAME", "X"])
    lines = text.splitlines()
    columns = {width(line[: line.rindex(" ") + 1]) for line in lines}
    assert columns == {width("Zoë 🚀") + 2}, text


@pytest.mark.parametrize(("value", "colour"), [(None, True), ("", True), ("1", False), ("0", False)])
def test_no_color_counts_only_when_set_to_a_non_empty_value(
    monkeypatch: pytest.MonkeyPatch, value: str | None, colour: bool
) -> None:
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: True, raising=False)
    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    assert output.color_enabled() is colour
    assert ("\x1b[" in output.dim("x")) is colour


def test_no_colour_when_stdout_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: False, raising=False)
    assert output.dim("x") == "x"


def test_progress_only_on_a_terminal() -> None:
    """CI logs (stderr not a TTY) get no progress lines at all; a terminal gets them."""
    import io

    from entragit.cli.progress import progress_printer

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_printer(io.StringIO()) is None
    tty = Tty()
    show = progress_printer(tty)
    assert show is not None
    show("users: 10000 listed so far")
    assert "users: 10000 listed so far" in tty.getvalue() and tty.getvalue().endswith("\n")


# -- fitting the terminal (issue 8, item 10) ----------------------------------------------------------------


def test_a_table_wider_than_the_limit_cuts_its_widest_columns_with_an_ellipsis() -> None:
    long_name = "Department of Extremely Long Names " * 3
    rows = [
        ["users", long_name.strip(), "2026-12-02 04:25"],
        ["users", "Zoë 🚀 李芳李芳李芳李芳李芳", "2026-12-01 02:00"],
    ]
    text = table(rows, ["TYPE", "DISPLAY NAME", "LAST BACKUP (UTC)"], max_width=50)
    lines = text.splitlines()
    assert all(width(line) <= 50 for line in lines), text
    assert lines[1].startswith("users  Department of Extremely…") and lines[1].endswith("2026-12-02 04:25")
    # The dates column is short and stays whole; it starts at the same terminal column on every line.
    starts = {width(line[: line.index("2026") if "2026" in line else line.index("LAST")]) for line in lines}
    assert len(starts) == 1, text
    # A wide character that would straddle the edge is left out whole (no half ideograph, no misalignment).
    assert "…" in lines[2] and width(lines[2]) <= 50


def test_truncate_counts_columns_not_characters() -> None:
    assert (
        output.truncate("李芳李芳", 5) == "李芳…"
    )  # 4 columns + the ellipsis; a third ideograph would make 7
    assert output.truncate("short", 5) == "short"
    assert output.truncate("longer", 5) == "long…"


def test_tables_fit_the_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [["x" * 200, "y"]]
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: False, raising=False)
    assert table(rows, ["A", "B"]).splitlines()[1] == "x" * 200 + "  y"  # a pipe gets whole cells
    monkeypatch.setattr(output.sys.stdout, "isatty", lambda: True, raising=False)
    assert width(table(rows, ["A", "B"]).splitlines()[1]) == 60  # COLUMNS, as shutil reads it
