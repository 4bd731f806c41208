"""How a message looks as one line of a log file."""

from datetime import UTC, datetime

from app.domain.events import PrivateMessage, PublicMessage


def log_stamp(moment: datetime) -> str:
    """'[2026-11-23 20:57:43+00:00]': UTC to the second, as the logs have always been written."""
    return f"[{moment.astimezone(UTC).replace(microsecond=0).isoformat(sep=' ')}]"


def public_line(message: PublicMessage) -> str:
    return f"{log_stamp(message.sent_at)} {message.sender}: {message.text}\n"


def private_line(message: PrivateMessage) -> str:
    return f"{log_stamp(message.sent_at)} {message.sender} -> {message.recipient}: {message.text}\n"
