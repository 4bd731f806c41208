"""Structured logs for the server console: readable on a terminal, JSON lines otherwise."""

import logging
import os
import sys
from typing import Literal, TextIO

import structlog

LogFormat = Literal["console", "json"]


def default_log_format(stream: TextIO = sys.stdout) -> LogFormat:
    return "console" if stream.isatty() else "json"


def configure_logging(log_format: LogFormat, stream: TextIO = sys.stdout) -> None:
    # Tracebacks never show local variables: they could hold a client's resume token.
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(
            colors=stream.isatty() and not os.environ.get("NO_COLOR"),
            exception_formatter=structlog.dev.plain_traceback,
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
            tracebacks if log_format == "json" else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
