"""What a client can ask of the room, whatever wire protocol carried the request."""

from dataclasses import dataclass
from typing import Final

from app.domain.errors import ChatError

HISTORY_DEFAULT_LIMIT: Final = 50
HISTORY_MAX_LIMIT: Final = 200
MAX_ID: Final = 2**63 - 1  # ids are 63-bit integers, as databases hold them


@dataclass(frozen=True)
class ResumeRequest:
    """The secret of a dropped session, and the newest message id its client saw."""

    token: str
    last_id: int


@dataclass(frozen=True)
class Join:
    """A hello. `exact`: a taken nick is refused (NickTaken) rather than replaced by a free
    random one. `present`: in the room at once; else registered, its nick held and its
    private messages received, but not in the room until it enters. `resumable`: its
    session may be taken back after a drop or a restart (IRC clients never do that)."""

    nick: str | None
    resume: ResumeRequest | None = None
    exact: bool = False
    present: bool = True
    resumable: bool = True


@dataclass(frozen=True)
class Enter:
    """A registered client that is not in the room comes in (with the room's backlog, or,
    coming back after a part, without)."""

    backlog: bool = True


@dataclass(frozen=True)
class Part:
    """The client leaves the room but stays registered, its nick held; `message` is shown."""

    message: str | None = None


@dataclass(frozen=True)
class SayPublic:
    text: str


@dataclass(frozen=True)
class SayPrivate:
    to: str
    text: str


@dataclass(frozen=True)
class ListUsers:
    pass


@dataclass(frozen=True)
class Rename:
    nick: str


@dataclass(frozen=True)
class ShowStats:
    pass


@dataclass(frozen=True)
class Ping:
    token: str | None = None


@dataclass(frozen=True)
class FetchHistory:
    """The newest `limit` public messages older than `before` (None: the newest of all)."""

    before: int | None = None
    limit: int = HISTORY_DEFAULT_LIMIT


@dataclass(frozen=True)
class Leave:
    reason: str | None = None


@dataclass(frozen=True)
class Malformed:
    """Something arrived that is no command (the codec says why); it is answered, not served."""

    error: ChatError


Command = (
    Join
    | SayPublic
    | SayPrivate
    | ListUsers
    | Rename
    | ShowStats
    | Ping
    | FetchHistory
    | Leave
    | Enter
    | Part
)


def costs_a_message(item: Command | Malformed) -> bool:
    """Does it draw on the message allowance (else on the larger one for everything else)?

    Messages, and history requests: an answer can be as large as two hundred messages.
    """
    return isinstance(item, SayPublic | SayPrivate | FetchHistory)
