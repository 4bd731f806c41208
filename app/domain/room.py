"""Who is in the room, under which nick, and who receives what."""

from collections.abc import Hashable
from typing import Generic, TypeVar

from app.domain.errors import AlreadyRegistered, NoSuchUser, NotRegistered
from app.domain.nicknames import Claim, NicknameRegistry, fold_nick

Member = TypeVar("Member", bound=Hashable)


class Room(Generic[Member]):
    """The members present, each reachable by nick. `Member` is whatever stands for a client.

    Not thread-safe: the service that owns the room holds one lock around every call.
    """

    def __init__(self, nicknames: NicknameRegistry) -> None:
        self._nicknames = nicknames
        self._nick_of: dict[Member, str] = {}
        self._member_of: dict[str, Member] = {}  # folded nick -> member

    def __len__(self) -> int:
        return len(self._nick_of)

    def __contains__(self, member: object) -> bool:
        return member in self._nick_of

    def admit(self, member: Member, wanted: str | None) -> Claim:
        if member in self._nick_of:
            raise AlreadyRegistered(self._nick_of[member])
        claim = self._nicknames.claim(wanted)
        self._nick_of[member] = claim.nick
        self._member_of[fold_nick(claim.nick)] = member
        return claim

    def remove(self, member: Member) -> str | None:
        """Take `member` out; returns its nick, or None if it was not here (already gone)."""
        nick = self._nick_of.pop(member, None)
        if nick is not None:
            self._nicknames.release(nick)
            del self._member_of[fold_nick(nick)]
        return nick

    def rename(self, member: Member, wanted: str) -> tuple[str, str]:
        """Returns (old, new); raises InvalidNick or NickTaken and then changes nothing."""
        old = self.nick_of(member)
        new = self._nicknames.change(old, wanted)
        del self._member_of[fold_nick(old)]
        self._nick_of[member] = new
        self._member_of[fold_nick(new)] = member
        return old, new

    def nick_of(self, member: Member) -> str:
        try:
            return self._nick_of[member]
        except KeyError:
            raise NotRegistered() from None

    def find(self, nick: str) -> Member:
        try:
            return self._member_of[fold_nick(nick)]
        except KeyError:
            raise NoSuchUser(nick) from None

    def members(self) -> list[Member]:
        return list(self._nick_of)

    def others(self, member: Member) -> list[Member]:
        return [other for other in self._nick_of if other != member]

    def nicks(self) -> tuple[str, ...]:
        """Everyone's nick, sorted as a person would look them up: case-insensitively."""
        return tuple(sorted(self._nick_of.values(), key=fold_nick))
