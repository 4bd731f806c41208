"""A message on its way into the room log: everything but the id the log will give it."""

from dataclasses import dataclass
from datetime import datetime

from app.domain.events import Message, PrivateMessage, PublicMessage


@dataclass(frozen=True)
class PublicDraft:
    sender: str
    text: str
    sent_at: datetime
    sender_session: str


@dataclass(frozen=True)
class PrivateDraft:
    sender: str
    recipient: str
    text: str
    sent_at: datetime
    sender_session: str
    recipient_session: str


Draft = PublicDraft | PrivateDraft


def with_id(draft: Draft, message_id: int) -> Message:
    """The message `draft` becomes once the log has given it `message_id`."""
    if isinstance(draft, PublicDraft):
        return PublicMessage(
            id=message_id, sender=draft.sender, text=draft.text, sent_at=draft.sent_at
        )
    return PrivateMessage(
        id=message_id,
        sender=draft.sender,
        recipient=draft.recipient,
        text=draft.text,
        sent_at=draft.sent_at,
    )


def visible_to(draft: Draft, session_id: str) -> bool:
    """Public messages are everyone's; a private one, only its sender's and recipient's."""
    if isinstance(draft, PublicDraft):
        return True
    return session_id in (draft.sender_session, draft.recipient_session)
