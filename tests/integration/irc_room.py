"""What the IRC gateway tests share: the gateway option, clients of both protocols that are
closed after each test, and the fixtures of a room with the gateway."""

from app.adapters.irc.settings import IrcSettings
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.server import ChatServer
from app.domain.flood import FloodLimits
from app.main_server import IrcListener
from tests.irc_client import IrcClient
from tests.wire_client import Frame, WireClient

SERVER_NAME = "irc.test"
PACED = ConnectionLimits(flood=FloodLimits(rate=5, burst=10))


def gateway(*, autojoin: bool = True) -> IrcListener:
    """The `irc` option of build_server: the gateway on any free port of 127.0.0.1."""
    return (("127.0.0.1", 0), IrcSettings(server=SERVER_NAME, autojoin=autojoin))


class Clients:
    """Native and IRC clients of one server, all closed at the end of the test."""

    def __init__(self, server: ChatServer) -> None:
        self.server = server
        self._open: list[WireClient | IrcClient] = []

    def native(self, nick: str) -> WireClient:
        """A protocol v1 client that has said hello as `nick`, with its backlog read."""
        client = WireClient(self.server.address)
        self._open.append(client)
        assert client.hello(nick)["nick"] == nick
        client.drain()
        return client

    def irc(
        self, nick: str | None = None, caps: tuple[str, ...] = (), *, autojoin: bool = True
    ) -> IrcClient:
        """An IRC client, registered as `nick` if one is given (see IrcClient.register)."""
        client = IrcClient(self.server.address_of("irc"))
        self._open.append(client)
        if nick is not None:
            client.register(nick, caps, autojoin=autojoin)
        return client

    def close(self) -> None:
        for client in self._open:
            client.close()


def until(client: WireClient, frame_type: str) -> Frame:
    """The next frame of this type; frames of other types before it are skipped."""
    while True:
        frame = client.recv()
        if frame["type"] == frame_type:
            return frame
