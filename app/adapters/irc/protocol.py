"""The IRC gateway as one of the server's wire protocols: the room feed as IRC lines for
every IRC client, and a session per connection."""

from collections.abc import Callable

from app.adapters.irc.feed import IrcFeed
from app.adapters.irc.handlers import Handlers
from app.adapters.irc.message import IrcMessage
from app.adapters.irc.render import Renderer
from app.adapters.irc.session import IrcSession
from app.adapters.irc.settings import IrcSettings
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.peer_log import PeerLog
from app.adapters.tcp.wire_session import SessionHost
from app.domain.events import ChatEvent, Refusal, ServerShutdown
from app.services.connection import Verdict
from app.services.ports import Clock
from app.services.room_api import ChatRoom


class IrcProtocol:
    name = "irc"
    shared = None  # each client reads the feed its own way (its tags, echo or not)

    def __init__(
        self, chat: ChatRoom, clock: Clock, limits: ConnectionLimits, settings: IrcSettings
    ) -> None:
        self.chat = chat
        self.clock = clock
        self.limits = limits
        self.settings = settings
        self.renderer = Renderer(settings.server, settings.channel, settings.user_host)
        self.feed = IrcFeed(self.renderer)

    def publish(self, event: ChatEvent) -> None:
        self.feed.publish(event)

    def alone(self, event: ChatEvent) -> bytes:
        """A server full, or stopping, to a client with no session to speak of."""
        if isinstance(event, Refusal):
            return self.renderer.closing(event.error)
        if isinstance(event, ServerShutdown):
            return self.renderer.closing(event.reason)
        return b""

    def open_session(self, host: SessionHost, log: PeerLog) -> IrcSession:
        return IrcSession(host, log, self)

    def handlers(self, session: IrcSession) -> dict[str, Callable[[IrcMessage], Verdict]]:
        return Handlers(session).table()
