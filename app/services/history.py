"""History frames from the room log: the backlog at join, older pages on request, and the
replay of what a resuming session missed."""

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Final, TypeVar

from app.domain.commands import HISTORY_MAX_LIMIT, MAX_ID
from app.domain.errors import InvalidFrame
from app.domain.events import History, HistoryReason, Message
from app.services.ports import RoomHistory

RESUME_PAGE_MESSAGES: Final = 500
# Text in one history frame, all messages together: keeps the largest frame (every character
# four bytes of UTF-8) a few hundred KiB, well inside what a client may have queued.
PAGE_TEXT_CHARS: Final = 100_000

Kept = TypeVar("Kept", bound=Message)


def check_history_request(before: int | None, limit: int) -> None:
    """InvalidFrame for a history request outside the protocol's bounds."""
    if not 1 <= limit <= HISTORY_MAX_LIMIT:
        raise InvalidFrame(f"a history limit is 1 to {HISTORY_MAX_LIMIT}, not {limit}")
    if before is not None and not 1 <= before <= MAX_ID:
        raise InvalidFrame(f"a history 'before' is an id from 1 to {MAX_ID}")


def newest_page(
    log: RoomHistory, reason: HistoryReason, limit: int, before: int | None, at: datetime
) -> History:
    """The newest `limit` public messages before `before`, oldest first; `more` if older exist."""
    found = log.newest(limit + 1, before)
    page = _newest_within_budget(found[-limit:])
    return History(reason=reason, messages=tuple(page), more=len(found) > len(page), at=at)


def replay(
    log: RoomHistory,
    session_id: str,
    after: int,
    upto: int,
    *,
    gap: bool,
    now: Callable[[], datetime],
) -> Iterator[History]:
    """What session `session_id` could see with ids in (after, upto], page by page.

    Always at least one page, so the client learns the replay is complete (`more` false).
    Read lazily: each page is read from the log when the client is ready for it.
    """
    if after >= upto:  # nothing was missed: say so without reading the log
        yield History(reason="resume", messages=(), more=False, at=now(), gap=gap)
        return
    position, first = after, True
    while True:
        found = [
            message
            for message in log.after(position, RESUME_PAGE_MESSAGES + 1, visible_to=session_id)
            if message.id <= upto
        ]
        page = _oldest_within_budget(found[:RESUME_PAGE_MESSAGES])
        more = len(found) > len(page)
        yield History(reason="resume", messages=tuple(page), more=more, at=now(), gap=gap and first)
        if not more:
            return
        position, first = page[-1].id, False


def _oldest_within_budget(messages: Sequence[Kept]) -> list[Kept]:
    """The longest run from the start whose text fits the budget (at least one message)."""
    total = 0
    for count, message in enumerate(messages):
        total += len(message.text)
        if total > PAGE_TEXT_CHARS and count:
            return list(messages[:count])
    return list(messages)


def _newest_within_budget(messages: Sequence[Kept]) -> list[Kept]:
    """The longest run up to the end whose text fits the budget (at least one message)."""
    return _oldest_within_budget(messages[::-1])[::-1]
