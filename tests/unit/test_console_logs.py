"""The operator's console never shows what a traceback's local variables held (a client's
resume token, say), in either format."""

import io

import pytest
import structlog

from app.adapters.console.logs import configure_logging


def fail_while_holding(token: str) -> None:
    secret_copy = token
    raise RuntimeError(f"boom after {len(secret_copy)} characters")


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_traceback_on_the_console_shows_no_local_variables(log_format: str) -> None:
    stream = io.StringIO()
    token = "-".join(["s3cr3t", "resume", "token"])  # not in any source line a traceback shows
    configure_logging(log_format, stream)  # type: ignore[arg-type]
    try:
        try:
            fail_while_holding(token)
        except RuntimeError:
            structlog.get_logger().exception("connection_failed")
    finally:
        structlog.reset_defaults()
    printed = stream.getvalue()
    assert "boom after 19 characters" in printed  # the traceback is there
    assert token not in printed  # but not what the variables held
