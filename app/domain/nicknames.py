"""Nickname rules: what a valid nick is, when two nicks are the same, and who holds which."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.domain.errors import InvalidNick, NickTaken

MAX_NICK_CHARS: Final = 32
_PUNCTUATION_ALLOWED: Final = frozenset("_-.")
# After this many taken suggestions in a row, a numeric suffix makes the name unique.
_SUGGESTION_ATTEMPTS: Final = 20


def validate_nick(raw: str) -> str:
    """Return the nick in NFC form, or raise InvalidNick saying what is wrong with it."""
    nick = unicodedata.normalize("NFC", raw)
    if not nick:
        raise InvalidNick("a nickname needs at least one character")
    if len(nick) > MAX_NICK_CHARS:
        raise InvalidNick(f"a nickname has at most {MAX_NICK_CHARS} characters")
    for char in nick:
        if not _allowed_in_nick(char):
            raise InvalidNick(
                f"a nickname may hold letters, digits, '_', '-' and '.' only, not {char!r}"
            )
    return nick


def _allowed_in_nick(char: str) -> bool:
    category = unicodedata.category(char)
    return category.startswith("L") or category == "Nd" or char in _PUNCTUATION_ALLOWED


def fold_nick(nick: str) -> str:
    """The key under which nicks are compared: 'Alice', 'ALICE' and fullwidth 'Alice' fold alike."""
    return unicodedata.normalize("NFKC", nick).casefold()


@dataclass(frozen=True)
class Claim:
    """The nick a newcomer got, and whether it differs from the one asked for."""

    nick: str
    renamed: bool


class NicknameRegistry:
    """The nicks in use, unique case-insensitively and by look. Not thread-safe: its owner
    holds the lock.

    `skeleton` maps a folded nick to a key shared by nicks that look alike (Latin "a" and
    Cyrillic "\u0430"); while one is online the other counts as taken. It comes from outside
    because the look-alike tables are data this pure module does not load.
    """

    def __init__(
        self,
        suggest_name: Callable[[], str],
        skeleton: Callable[[str], str] | None = None,
    ) -> None:
        self._suggest_name = suggest_name
        self._skeleton = skeleton
        self._in_use: dict[str, str] = {}  # look-alike key -> nick as its owner spelled it

    def is_taken(self, nick: str) -> bool:
        return self._key(nick) in self._in_use

    def claim(self, wanted: str | None, *, exact: bool = False) -> Claim:
        """Take `wanted` if it is free; otherwise (or if None) take a free random name, or,
        if `exact`, raise NickTaken."""
        if wanted is not None:
            nick = validate_nick(wanted)
            if not self.is_taken(nick):
                self._take(nick)
                return Claim(nick=nick, renamed=False)
            if exact:
                raise NickTaken(nick)
        nick = self._free_suggestion()
        self._take(nick)
        return Claim(nick=nick, renamed=wanted is not None)

    def change(self, old: str, new: str) -> str:
        """Move a holder from `old` to `new`; a change of case only is always allowed."""
        nick = validate_nick(new)
        if self._key(nick) != self._key(old) and self.is_taken(nick):
            raise NickTaken(nick)
        self.release(old)
        self._take(nick)
        return nick

    def reserve(self, nick: str) -> bool:
        """Take exactly `nick` (one held before a restart); False if someone holds it now."""
        if self.is_taken(nick):
            return False
        self._take(nick)
        return True

    def release(self, nick: str) -> None:
        self._in_use.pop(self._key(nick), None)

    def _key(self, nick: str) -> str:
        folded = fold_nick(nick)
        return folded if self._skeleton is None else self._skeleton(folded)

    def _take(self, nick: str) -> None:
        self._in_use[self._key(nick)] = nick

    def _free_suggestion(self) -> str:
        base = "guest"
        for _ in range(_SUGGESTION_ATTEMPTS):
            base = self._usable_suggestion()
            if not self.is_taken(base):
                return base
        suffix = 2
        while self.is_taken(f"{base}{suffix}"):
            suffix += 1
        return f"{base}{suffix}"

    def _usable_suggestion(self) -> str:
        return usable_suggestion(self._suggest_name)


def usable_suggestion(suggest_name: Callable[[], str]) -> str:
    """A suggestion that passes our own nick rules, trimmed so a suffix still fits."""
    try:
        return validate_nick(suggest_name()[: MAX_NICK_CHARS - 6])
    except InvalidNick:
        return "guest"
