"""A node's copy of where the shared room stands, kept by applying the stream in order."""

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


@dataclass
class Replica:
    """Who is online and the totals, as of `position`. Not thread-safe: its owner locks."""

    epoch: str = ""
    position: str = "0-0"
    public: int = 0
    private: int = 0
    online: dict[str, str] = field(default_factory=dict)  # session -> nick

    def reset(self, state: RoomState) -> None:
        self.epoch, self.position = state.epoch, state.position
        self.public, self.private = state.public, state.private
        self.online = dict(state.online)

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
                self.online[entry.session] = entry.nick
            case LeaveEntry():
                self.online.pop(entry.session, None)
            case _:
                self.online[entry.session] = entry.new
        self.position = entry.position

    def nicks(self) -> tuple[str, ...]:
        """Sorted as a person would look them up: case-insensitively."""
        return tuple(sorted(self.online.values(), key=lambda nick: (nick.casefold(), nick)))
