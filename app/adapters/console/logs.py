"""Structured logs for the server console: readable on a terminal, JSON lines otherwise."""

import contextlib
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any, Literal, TextIO

import structlog

from app.adapters.console.status_line import StatusLine

LogFormat = Literal["console", "json"]
# Every write to the console goes through this lock, log lines and the status line alike,
# so that no line lands inside the escape sequences that draw the status row.
_CONSOLE_LOCK = threading.Lock()
_MAX_VALUE = 300
_INDENT = " " * 9  # continuation lines start under the event, after "HH:MM:SS "
_LEVEL_COLOURS = {"warning": "\x1b[33m", "error": "\x1b[31;1m", "critical": "\x1b[31;1m"}


def default_log_format(stream: TextIO = sys.stdout) -> LogFormat:
    return "console" if stream.isatty() else "json"


def status_line_for(log_format: LogFormat, stream: TextIO = sys.stdout) -> StatusLine | None:
    """A status line at the bottom of the terminal, when the console is one and is read by
    a person; None otherwise (the figures are then a JSON `stats` line per interval)."""
    if log_format != "console" or not stream.isatty():
        return None
    return StatusLine(stream, _CONSOLE_LOCK)


class LockedStream:
    """`stream`, each write under the console's lock."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        with _CONSOLE_LOCK:
            try:
                return self._stream.write(text)
            except OSError:  # the terminal is gone (closed, SIGHUP): carry on, stop cleanly
                return 0

    def flush(self) -> None:
        with _CONSOLE_LOCK, contextlib.suppress(OSError):
            self._stream.flush()


class FittedConsoleRenderer:
    """`12:04:05 event key=value ...` in the order the fields were given, broken between
    fields (never inside one) to fit the terminal's width, the time in local time."""

    def __init__(self, *, colors: bool, width: Callable[[], int]) -> None:
        self._colors = colors
        self._width = width

    def __call__(self, _logger: object, _name: str, event: MutableMapping[str, Any]) -> str:
        stamp = _local_time(event.pop("timestamp", None))
        level = str(event.pop("level", "info"))
        name = str(event.pop("event", ""))
        trace = event.pop("exception", None)
        if level not in ("info", "debug"):
            name = f"{level}: {name}"
        shown = len(stamp) + 1 + len(name)  # the columns taken, colours aside
        if self._colors:
            name = f"{_LEVEL_COLOURS.get(level, chr(27) + '[1m')}{name}\x1b[0m"
        width = max(40, self._width())
        lines = [f"{stamp} {name}"]
        room = width - len(_INDENT)
        for key, value in event.items():
            field = f"{key}={_value(value)}"
            if len(field) > room:  # longer than any line: its own lines, cut between words
                lines += [_INDENT + piece for piece in _pieces(field, room)]
                shown = len(lines[-1])
            elif shown + 1 + len(field) > width and shown > len(_INDENT):
                lines.append(_INDENT + field)
                shown = len(_INDENT) + len(field)
            else:
                lines[-1] += " " + field
                shown += 1 + len(field)
        text = "\n".join(lines)
        return f"{text}\n{trace}" if trace else text


def _pieces(text: str, room: int) -> list[str]:
    """`text` in pieces of at most `room` characters, cut at spaces where there are any."""
    pieces: list[str] = []
    while len(text) > room:
        cut = text.rfind(" ", 1, room + 1)
        cut = cut if cut > 0 else room
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    return [*pieces, text] if text else pieces


def _local_time(timestamp: object) -> str:
    if isinstance(timestamp, str):
        try:
            return datetime.fromisoformat(timestamp).astimezone().strftime("%H:%M:%S")
        except ValueError:
            return timestamp
    return datetime.now().astimezone().strftime("%H:%M:%S")


def _value(value: object) -> str:
    """A field's value as the console shows it: what a client sent (a nick it asked for)
    may hold escape sequences, so anything a terminal would act on is shown escaped, and a
    value is at most a few hundred characters."""
    text = str(value)
    if len(text) > _MAX_VALUE:
        text = text[:_MAX_VALUE] + "..."
    if not text or not text.isprintable() or any(char.isspace() for char in text):
        return repr(text)  # repr escapes control characters: \x1b, \u202e
    return text


def configure_logging(log_format: LogFormat, stream: TextIO = sys.stdout) -> None:
    # Tracebacks never show local variables: they could hold a client's resume token.
    out = LockedStream(stream)
    renderer: structlog.types.Processor = (
        FittedConsoleRenderer(
            colors=stream.isatty() and not os.environ.get("NO_COLOR"),
            width=lambda: shutil.get_terminal_size().columns,
        )
        if log_format == "console"
        else structlog.processors.JSONRenderer()
    )
    tracebacks = structlog.processors.ExceptionRenderer(
        structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            tracebacks if log_format == "json" else structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(out),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
