"""Who is in the room under which nick: the members online and those away for a moment."""

import bisect
from collections.abc import Hashable
from typing import Generic, TypeVar

from app.domain.errors import NoSuchUser, NotRegistered
from app.domain.nicknames import Claim, NicknameRegistry, fold_nick

Member = TypeVar("Member", bound=Hashable)


class Room(Generic[Member]):
    """Every member holds a nick. One online is reachable (private messages find it) and,
    while in the room, listed; one that stepped out (an IRC client that parted, say) is
    reachable but not listed; one away (its connection dropped, and it may still come
    back) keeps its nick, so nobody else can take it, but is neither listed nor reachable.

    Not thread-safe: the service that owns the room holds one lock around every call.
    """

    def __init__(self, nicknames: NicknameRegistry) -> None:
        self._nicknames = nicknames
        self._nick_of: dict[Member, str] = {}
        self._online: dict[str, Member] = {}  # folded nick -> member, for those reachable
        self._out: set[Member] = set()  # reachable but not in the room
        # Those in the room, in the order `nicks` lists them (by folded nick), kept as they
        # come and go: every welcome lists everyone, and sorting the room for each newcomer
        # made 10,000 joins cost minutes (an insertion is one memmove).
        self._listed_keys: list[str] = []
        self._listed_nicks: list[str] = []

    def __len__(self) -> int:
        """How many are in the room."""
        return len(self._listed_keys)

    def __contains__(self, member: object) -> bool:
        return member in self._nick_of

    def admit(
        self, member: Member, wanted: str | None, *, exact: bool = False, present: bool = True
    ) -> Claim:
        """A newcomer, online at once (in the room, unless not `present`), under `wanted`
        or, if that is taken, a free random nick (NickTaken instead, if `exact`)."""
        claim = self._nicknames.claim(wanted, exact=exact)
        self._nick_of[member] = claim.nick
        if not present:
            self._out.add(member)
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
        self._out.discard(member)  # it comes back into the room, as a resume always did

    def come_back(self, member: Member) -> None:
        self._go_online(member, self.nick_of(member))

    def step_out(self, member: Member) -> bool:
        """Out of the room, still reachable under its nick; False if it was not in."""
        nick = self.nick_of(member)
        if member in self._out:
            return False
        self._out.add(member)
        if self._online.get(fold_nick(nick)) is member:
            self._unlist(fold_nick(nick))
        return True

    def step_in(self, member: Member) -> bool:
        """Back into the room; False if it was in already."""
        nick = self.nick_of(member)
        if member not in self._out:
            return False
        self._out.discard(member)
        if self._online.get(fold_nick(nick)) is member:
            self._list(fold_nick(nick), nick)
        return True

    def is_in(self, member: Member) -> bool:
        return member in self._nick_of and member not in self._out

    def remove(self, member: Member) -> str | None:
        """Take `member` out for good; returns its nick, or None if it was not here."""
        nick = self._nick_of.pop(member, None)
        if nick is not None:
            self._nicknames.release(nick)
            self._go_offline(nick)
            self._out.discard(member)
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
        """The member reachable under `nick`; one away is as unreachable as nobody."""
        try:
            return self._online[fold_nick(nick)]
        except KeyError:
            raise NoSuchUser(nick) from None

    def nicks(self) -> tuple[str, ...]:
        """The nicks in the room, sorted as a person would look them up: case-insensitively."""
        return tuple(self._listed_nicks)

    def _go_online(self, member: Member, nick: str) -> None:
        key = fold_nick(nick)
        if key not in self._online and member not in self._out:
            self._list(key, nick)
        self._online[key] = member

    def _go_offline(self, nick: str) -> bool:
        """Unreachable and unlisted; False if it was not online."""
        key = fold_nick(nick)
        member = self._online.pop(key, None)
        if member is None:
            return False
        if member not in self._out:
            self._unlist(key)
        return True

    def _list(self, key: str, nick: str) -> None:
        at = bisect.bisect_left(self._listed_keys, key)
        self._listed_keys.insert(at, key)
        self._listed_nicks.insert(at, nick)

    def _unlist(self, key: str) -> None:
        at = bisect.bisect_left(self._listed_keys, key)
        del self._listed_keys[at]
        del self._listed_nicks[at]
