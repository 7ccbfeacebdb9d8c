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
