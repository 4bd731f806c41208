"""Tab completion of commands and of the nicknames online, as irssi and WeeChat do it: the
first Tab inserts the first match with a trailing space, each further Tab replaces it with the
next. Pure: text and cursor in, text and cursor out."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

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
    "/reconnect",
    "/quit",
)
_NICK_ARGUMENT: Final = re.compile(r"^/(?:msg|w|pm) \S*$", re.IGNORECASE)


def candidates(before_cursor: str, online: Iterable[str], me: str) -> list[tuple[str, int]]:
    """(replacement, how many characters before the cursor it replaces), best first."""
    word = before_cursor.rsplit(" ", 1)[-1]
    first_word = " " not in before_cursor
    if first_word and word.startswith("/"):
        typed = word.lower()
        return [(f"{command} ", len(word)) for command in COMMANDS if command.startswith(typed)]
    if _NICK_ARGUMENT.match(before_cursor):
        suffix = " "
    elif first_word:
        suffix = ": "  # "bo" at line start -> "bob: ", addressing bob
    else:
        suffix = " "
    if not word and first_word:
        return []
    return [(f"{nick}{suffix}", len(word)) for nick in nicks_starting(word, online, me)]


def nicks_starting(prefix: str, online: Iterable[str], me: str) -> list[str]:
    """The nicks online that start with `prefix` (any case), alphabetically, yours last."""
    folded = fold_nick(prefix)
    matching = sorted((n for n in online if fold_nick(n).startswith(folded)), key=fold_nick)
    return sorted(matching, key=lambda nick: nick == me)  # stable: only moves yours last


@dataclass(frozen=True)
class _Cycle:
    start: int  # where the replaced word begins
    options: tuple[str, ...]
    index: int
    result: str  # the text as the last Tab left it
    cursor: int


class TabCompleter:
    """Remembers the last completion so that another Tab moves on to the next match."""

    def __init__(self) -> None:
        self._cycle: _Cycle | None = None

    def reset(self) -> None:
        """Something other than Tab was pressed: the next Tab starts afresh."""
        self._cycle = None

    def complete(
        self, text: str, cursor: int, online: Iterable[str], me: str
    ) -> tuple[str, int] | None:
        """The new text and cursor after one Tab, or None when nothing matches."""
        cycle = self._cycle
        cycling = cycle is not None and cycle.result == text and cycle.cursor == cursor
        if cycle is not None and cycling and len(cycle.options) > 1:
            index = (cycle.index + 1) % len(cycle.options)
            return self._apply(cycle.start, cycle.options, index, text, cursor)
        found = candidates(text[:cursor], online, me)
        if not found:
            self._cycle = None
            return None
        start = cursor - found[0][1]
        return self._apply(start, tuple(option for option, _ in found), 0, text, cursor)

    def _apply(
        self, start: int, options: tuple[str, ...], index: int, text: str, cursor: int
    ) -> tuple[str, int]:
        option = options[index]
        new_text = text[:start] + option + text[cursor:]
        new_cursor = start + len(option)
        self._cycle = _Cycle(start, options, index, new_text, new_cursor)
        return new_text, new_cursor
