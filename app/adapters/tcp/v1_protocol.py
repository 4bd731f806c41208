"""Protocol v1 (JSON lines) as one of the server's wire protocols: the feed encoded once for
every client, and a session that decodes frames and hands them to the Connection rules."""

from app.adapters.tcp.codec import V1Decoder, encode_event
from app.adapters.tcp.encoded_feed import EncodedFeed
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.peer_log import PeerLog
from app.adapters.tcp.wire_session import SessionHost
from app.domain.events import ChatEvent
from app.services.connection import Verdict
from app.services.ports import Clock
from app.services.room_api import ChatRoom


class V1Protocol:
    name = "v1"

    def __init__(self, chat: ChatRoom, clock: Clock, limits: ConnectionLimits) -> None:
        self.feed = EncodedFeed()
        self.chat = chat
        self.clock = clock
        self.limits = limits

    @property
    def shared(self) -> EncodedFeed:
        return self.feed

    def publish(self, event: ChatEvent) -> None:
        self.feed.append(encode_event(event))

    def alone(self, event: ChatEvent) -> bytes:
        return encode_event(event)

    def open_session(self, host: SessionHost, log: PeerLog) -> "V1Session":
        return V1Session(host, log, self)


class V1Session:
    """One v1 client: frames in, the chat's verdict out."""

    __slots__ = ("_connection", "_decoder", "_monotonic", "feed")

    def __init__(self, host: SessionHost, log: PeerLog, protocol: V1Protocol) -> None:
        limits = protocol.limits
        self.feed = protocol.feed
        self._decoder = V1Decoder()
        self._monotonic = limits.monotonic
        self._connection = limits.connection(protocol.chat, host, clock=protocol.clock, events=log)

    def received(self, data: bytes) -> Verdict:
        connection = self._connection
        connection.new_read()
        for command in self._decoder.feed(data):
            if connection.receive(command, self._monotonic()) is Verdict.CLOSE:
                return Verdict.CLOSE  # it quit, or is cut off: what follows is not served
        return Verdict.CONTINUE

    def encode(self, event: ChatEvent) -> bytes:
        return encode_event(event)

    def input_ended(self) -> Verdict:
        self._connection.lost("disconnected")
        return Verdict.CLOSE

    def closing(self) -> None:
        pass

    def registration_due(self) -> Verdict:
        return self._connection.registration_due()

    def lost(self, reason: str) -> None:
        self._connection.lost(reason)
