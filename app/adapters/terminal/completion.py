"""Tab completion of commands and of the nicknames online. The rules are pure; the
prompt_toolkit Completer is a thin wrapper around them."""

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from app.domain.nicknames import fold_nick

COMMANDS: Final = (
    "/help",
    "/users",
    "/msg",
    "/w",
    "/pm",
    "/exit",
    "/nick",
    "/stats",
    "/history",
    "/me",
    "/quit",
)
_NICK_ARGUMENT: Final = re.compile(r"^/(?:msg|w|pm) (\S*)$", re.IGNORECASE)


def completions(before_cursor: str, online: Iterable[str]) -> list[tuple[str, int]]:
    """(replacement, how many characters before the cursor it replaces), best first."""
    if " " not in before_cursor and before_cursor.startswith("/"):
        typed = before_cursor.lower()
        return [(command, len(before_cursor)) for command in COMMANDS if command.startswith(typed)]
    if match := _NICK_ARGUMENT.match(before_cursor):
        word = match.group(1)
        return [(nick, len(word)) for nick in _nicks_starting(word, online)]
    if before_cursor and " " not in before_cursor:  # "bo" at line start -> "bob: "
        return [
            (f"{nick}: ", len(before_cursor)) for nick in _nicks_starting(before_cursor, online)
        ]
    return []


def _nicks_starting(prefix: str, online: Iterable[str]) -> list[str]:
    folded = fold_nick(prefix)
    return sorted((n for n in online if fold_nick(n).startswith(folded)), key=fold_nick)


class ChatCompleter(Completer):
    def __init__(self, online: Callable[[], Iterable[str]]) -> None:
        self._online = online

    def get_completions(
        self,
        document: Document,
        complete_event: CompleteEvent,  # noqa: ARG002 - part of prompt_toolkit's signature
    ) -> Iterator[Completion]:
        for text, replaced in completions(document.text_before_cursor, self._online()):
            yield Completion(text, start_position=-replaced)
