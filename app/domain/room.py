"""Who is in the room under which nick: the members online and those away for a moment."""

import bisect
from collections.abc import Hashable
from typing import Generic, TypeVar

from app.domain.errors import NoSuchUser, NotRegistered
from app.domain.nicknames import Claim, NicknameRegistry, fold_nick

Member = TypeVar("Member", bound=Hashable)


class Room(Generic[Member]):
    """Every member holds a nick. One online is listed and can be written to; one away (its
    connection dropped, and it may still come back) keeps its nick, so nobody else can take
    it, but is neither listed nor reachable.

    Not thread-safe: the service that owns the room holds one lock around every call.
    """

    def __init__(self, nicknames: NicknameRegistry) -> None:
        self._nicknames = nicknames
        self._nick_of: dict[Member, str] = {}
        self._online: dict[str, Member] = {}  # folded nick -> member, for those online
        # Those online, in the order `nicks` lists them (by folded nick), kept as they come
        # and go: every welcome lists everyone, and sorting the room for each newcomer made
        # 10,000 joins cost minutes (an insertion is one memmove).
        self._listed_keys: list[str] = []
        self._listed_nicks: list[str] = []

    def __len__(self) -> int:
        """How many are online."""
        return len(self._online)

    def __contains__(self, member: object) -> bool:
        return member in self._nick_of

    def admit(self, member: Member, wanted: str | None) -> Claim:
        """A newcomer, online at once, under `wanted` or (if taken) a free random nick."""
        claim = self._nicknames.claim(wanted)
        self._nick_of[member] = claim.nick
        self._go_online(member, claim.nick)
        return claim

    def restore(self, member: Member, nick: str) -> bool:
        """Take back an away member (after a restart) under its own nick; False if taken."""
        if not self._nicknames.reserve(nick):
            return False
        self._nick_of[member] = nick
        return True

    def step_away(self, member: Member) -> None:
        self._go_offline(self.nick_of(member))

    def come_back(self, member: Member) -> None:
        self._go_online(member, self.nick_of(member))

    def remove(self, member: Member) -> str | None:
        """Take `member` out for good; returns its nick, or None if it was not here."""
        nick = self._nick_of.pop(member, None)
        if nick is not None:
            self._nicknames.release(nick)
            self._go_offline(nick)
        return nick

    def rename(self, member: Member, wanted: str) -> tuple[str, str]:
        """Returns (old, new); raises InvalidNick or NickTaken and then changes nothing."""
        old = self.nick_of(member)
        new = self._nicknames.change(old, wanted)
        self._nick_of[member] = new
        if self._go_offline(old):
            self._go_online(member, new)
        return old, new

    def nick_of(self, member: Member) -> str:
        try:
            return self._nick_of[member]
        except KeyError:
            raise NotRegistered() from None

    def find(self, nick: str) -> Member:
        """The member online under `nick`; one away is as unreachable as nobody."""
        try:
            return self._online[fold_nick(nick)]
        except KeyError:
            raise NoSuchUser(nick) from None

    def nicks(self) -> tuple[str, ...]:
        """The nicks online, sorted as a person would look them up: case-insensitively."""
        return tuple(self._listed_nicks)

    def _go_online(self, member: Member, nick: str) -> None:
        key = fold_nick(nick)
        if key not in self._online:
            at = bisect.bisect_left(self._listed_keys, key)
            self._listed_keys.insert(at, key)
            self._listed_nicks.insert(at, nick)
        self._online[key] = member

    def _go_offline(self, nick: str) -> bool:
        """Unlist `nick`; False if it was not online."""
        key = fold_nick(nick)
        if self._online.pop(key, None) is None:
            return False
        at = bisect.bisect_left(self._listed_keys, key)
        del self._listed_keys[at]
        del self._listed_nicks[at]
        return True
