"""A node's copy of where the shared room stands, kept by applying the stream in order."""

import bisect
from dataclasses import dataclass, field

from app.domain.events import PublicMessage
from app.services.cluster_ports import Entry, JoinEntry, LeaveEntry, MessageEntry, RoomState


def parse_position(position: str) -> tuple[int, int]:
    """'17-3' -> (17, 3): the message id, then the events since that message."""
    ms, _, seq = position.partition("-")
    return int(ms), int(seq or 0)


def follows(previous: str, position: str) -> bool:
    """Whether `position` is the very next entry after `previous`: the next message
    (N+1-0) or the next event after the same message (N-k+1). Anything else is a gap."""
    last, seq = parse_position(previous)
    return parse_position(position) in ((last + 1, 0), (last, seq + 1))


def _listed(nick: str) -> tuple[str, str]:
    return nick.casefold(), nick  # sorted as a person looks a nick up: case-insensitively


@dataclass
class Replica:
    """Who is online and the totals, as of `position`. Not thread-safe: its owner locks."""

    epoch: str = ""
    position: str = "0-0"
    public: int = 0
    private: int = 0
    online: dict[str, str] = field(default_factory=dict)  # session -> nick
    # The online nicks kept sorted as they come and go: a welcome lists them all, and
    # sorting thousands for every newcomer would cost more than the rest of joining.
    _sorted: list[tuple[str, str]] = field(default_factory=list, init=False, repr=False)

    def reset(self, state: RoomState) -> None:
        self.epoch, self.position = state.epoch, state.position
        self.public, self.private = state.public, state.private
        self.online = dict(state.online)
        self._sorted = sorted(_listed(nick) for nick in self.online.values())

    @property
    def last_id(self) -> int:
        return parse_position(self.position)[0]

    def apply(self, entry: Entry) -> None:
        match entry:
            case MessageEntry(message=PublicMessage()):
                self.public += 1
            case MessageEntry():
                self.private += 1
            case JoinEntry():
                self._set(entry.session, entry.nick)
            case LeaveEntry():
                self._set(entry.session, None)
            case _:
                self._set(entry.session, entry.new)
        self.position = entry.position

    def nicks(self) -> tuple[str, ...]:
        return tuple(nick for _, nick in self._sorted)

    def _set(self, session: str, nick: str | None) -> None:
        old = self.online.pop(session, None)
        if old is not None:
            index = bisect.bisect_left(self._sorted, _listed(old))
            if index < len(self._sorted) and self._sorted[index] == _listed(old):
                del self._sorted[index]
        if nick is not None:
            self.online[session] = nick
            bisect.insort(self._sorted, _listed(nick))
