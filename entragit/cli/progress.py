"""The one progress printer: services report through a callback, and only this module decides what shows.

Progress goes to stderr and only when a person watches it (a terminal): in pipes and CI logs it would be noise
between the lines scripts parse.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import click

from entragit.cli.output import dim

if TYPE_CHECKING:
    from entragit.backup import RunStatus
    from entragit.graph.client import RetryNotice

Progress = Callable[[str], None]


def progress_printer(stream: TextIO | None = None) -> Progress | None:
    """A printer of progress lines on `stream` (stderr) when it is a terminal, else None (quiet)."""
    out = stream or sys.stderr
    if not out.isatty():
        return None

    def show(msg: str) -> None:
        click.echo(dim(f"entragit: {msg}…"), file=out)

    return show


def retry_printer(emit: Progress, every: float = 1.0) -> Callable[[RetryNotice], None]:
    """Retry notices as `retrying users: 503, attempt 3 of 9 (in 1.2 s)` through `emit`, at most one per
    `every` seconds: a throttled large backup retries thousands of requests, and a screenful says no more."""
    lock = threading.Lock()
    last = [float("-inf")]

    def show(notice: RetryNotice) -> None:
        with lock:
            now = time.monotonic()
            if now - last[0] < every:
                return
            last[0] = now
        of = f" of {notice.max}" if notice.max is not None else ""
        emit(
            f"retrying {notice.what}: {notice.status}, attempt {notice.attempt}{of} (in {notice.wait:.1f} s)"
        )

    return show


def prompt_printer(stream: TextIO | None = None) -> Progress:
    """Interactive instructions (device-code sign-in): always shown, on stderr so stdout stays parseable."""
    out = stream or sys.stderr
    return lambda msg: click.echo(msg, file=out)


class StatusLine:
    """A backup's live status, one line redrawn in place at the bottom of a terminal.

    The backup only updates counters (`RunStatus`); this thread reads them a few times a second, so a big
    type shows movement (objects read, requests, throttling waits) instead of tens of silent seconds.
    Permanent lines (`line`) are printed above it. Terminals only: pipes and CI logs would keep every redraw.
    """

    def __init__(self, status: RunStatus, stream: TextIO, interval: float = 0.25) -> None:
        self.status = status
        self.stream = stream
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="entragit-status", daemon=True)
        self._shown = False

    def __enter__(self) -> StatusLine:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            self._clear()

    def line(self, msg: str) -> None:
        """A line that stays (a finished type, a notice), printed above the status line."""
        with self._lock:
            self._clear()
            click.echo(dim(f"entragit: {msg}…"), file=self.stream)
            self._draw()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._draw()

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False

    def _draw(self) -> None:
        text = render_status(self.status)
        if not text:
            return
        columns = shutil.get_terminal_size((100, 24)).columns
        if len(text) >= columns:
            text = text[: max(columns - 2, 1)] + "…"
        self.stream.write("\r\x1b[2K" + dim(text))
        self.stream.flush()
        self._shown = True


def render_status(status: RunStatus) -> str:
    """`users 12,000 · groups 3,100 · 12/15 types done · 4,211 requests, 12 throttled`: the objects read so
    far of each type still listing (most first), how many types are done, which failed, the Graph requests."""
    active = sorted(
        ((n, name) for name, n in status.listed.items() if name not in status.finished), reverse=True
    )
    parts = [f"{name} {n:,}" for n, name in active]
    if status.finished:
        parts.append(f"{len(status.finished)}/{status.types or len(status.finished)} types done")
    parts += [f"{name} failed" for name, mode in sorted(status.finished.items()) if mode == "failed"]
    stats = status.requests()
    if not parts and not stats.get("requests"):
        return ""
    calls = f"{stats.get('requests', 0):,} requests"
    if stats.get("throttled"):
        calls += f", {stats['throttled']:,} throttled"
    if stats.get("retries"):
        calls += f", {stats['retries']:,} retried"
    return " · ".join([*parts, calls])
