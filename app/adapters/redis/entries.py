"""Stream entries as the nodes read them: the fields the scripts wrote, turned into entries."""

from collections.abc import Mapping
from datetime import UTC, datetime

from app.domain.events import PrivateMessage, PublicMessage
from app.services.cluster_ports import Entry, JoinEntry, LeaveEntry, MessageEntry, NickEntry


def stamp(moment: datetime) -> str:
    """A moment as the stream keeps it: microseconds since the epoch, exact both ways."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def moment(stamped: str) -> datetime:
    seconds, micros = divmod(int(stamped), 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def message_id(position: str) -> int:
    """The message id of entry `position` ('17-0' -> 17)."""
    return int(position.partition("-")[0])


def entry_of(position: str, fields: Mapping[str, str]) -> Entry:
    """One entry; KeyError or ValueError if the fields are not what a script wrote."""
    at = moment(fields["ts"])
    match fields["k"]:
        case "pub":
            public = PublicMessage(
                id=message_id(position), sender=fields["from"], text=fields["text"], sent_at=at
            )
            return MessageEntry(position, public, fields["fs"], None)
        case "priv":
            private = PrivateMessage(
                id=message_id(position),
                sender=fields["from"],
                recipient=fields["to"],
                text=fields["text"],
                sent_at=at,
            )
            return MessageEntry(position, private, fields["fs"], fields["rs"])
        case "join":
            return JoinEntry(
                position,
                session=fields["sid"],
                nick=fields["nick"],
                node=fields["node"],
                hello=fields["hello"],
                resumed=fields["resumed"] == "1",
                first_id=int(fields["first"]),
                at=at,
            )
        case "leave":
            return LeaveEntry(
                position,
                session=fields["sid"],
                nick=fields["nick"],
                reason=fields["reason"],
                message=fields.get("msg"),
                at=at,
                taken_over=fields.get("takeover") == "1",
            )
        case "nick":
            return NickEntry(
                position, session=fields["sid"], old=fields["old"], new=fields["new"], at=at
            )
    raise ValueError(f"unknown stream entry kind {fields['k']!r}")
