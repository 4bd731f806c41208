"""The room feed: every broadcast, in the one order in which all members receive them."""

from collections.abc import Callable

from app.domain.events import ChatEvent

Subscriber = Callable[[ChatEvent], None]


class RoomFeed:
    """Broadcasts in order. Each wire protocol in use subscribes once and keeps the entries
    encoded its own way, once for everyone; a connection is then a position in that sequence
    (see Recipient.follow), so a broadcast costs one append, not one per member.

    Not thread-safe by itself: the chat service publishes under its lock.
    """

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, event: ChatEvent) -> None:
        for subscriber in self._subscribers:
            subscriber(event)
