import itertools

from app.adapters.tcp.client import ConnectionLost
from app.adapters.tcp.wire import ClientFrame, SendPublic
from app.adapters.terminal.reconnect import MAX_DELAY, backoff_delays
from app.adapters.terminal.render import Fragments, plain
from app.adapters.terminal.session import MAX_HELD_LINES, ChatSession


def test_backoff_doubles_from_one_second_up_to_thirty_with_jitter() -> None:
    middle = list(itertools.islice(backoff_delays(uniform=lambda: 0.5), 7))
    assert middle == [1, 2, 4, 8, 16, 30, 30]
    low = list(itertools.islice(backoff_delays(uniform=lambda: 0.0), 3))
    high = list(itertools.islice(backoff_delays(uniform=lambda: 1.0), 7))
    assert low == [0.75, 1.5, 3.0]
    assert high[:2] == [1.25, 2.5]
    assert max(high) == MAX_DELAY


class DeadConnection:
    """A connection whose server is gone: every send fails."""

    def __init__(self) -> None:
        self.sent: list[ClientFrame] = []

    def send(self, frame: ClientFrame) -> None:
        raise ConnectionLost("gone")


class LiveConnection(DeadConnection):
    def send(self, frame: ClientFrame) -> None:
        self.sent.append(frame)


def make_session(connection: DeadConnection) -> tuple[ChatSession, list[str]]:
    shown: list[str] = []

    def show(fragments: Fragments) -> None:
        shown.append(plain(fragments))

    session = ChatSession(connection, show)  # type: ignore[arg-type]
    session.nick = "ann"
    return session, shown


def test_lines_typed_while_disconnected_are_held_and_sent_in_order_after_reconnect() -> None:
    session, shown = make_session(DeadConnection())
    assert session.submit("first")  # the send fails: held, not lost
    assert not session.connected
    assert session.submit("second")
    assert session.unsent() == ["first", "second"]
    live = LiveConnection()
    session.connection = live  # type: ignore[assignment]
    session.resume()
    assert live.sent == [SendPublic(text="first"), SendPublic(text="second")]
    assert session.unsent() == []
    assert any("will send when back" in line for line in shown)


def test_beyond_a_hundred_waiting_lines_each_is_shown_as_not_sent() -> None:
    session, shown = make_session(DeadConnection())
    session.disconnected()
    for number in range(MAX_HELD_LINES + 2):
        session.submit(f"line {number}")
    assert len(session.unsent()) == MAX_HELD_LINES
    refused = [line for line in shown if "not sent" in line]
    assert len(refused) == 2
    assert refused[-1].endswith(f"line {MAX_HELD_LINES + 1}")


def test_local_commands_still_work_while_disconnected() -> None:
    session, _ = make_session(DeadConnection())
    session.disconnected()
    session.submit("/pm bob")
    assert session.partner == "bob"
    assert session.submit("/quit") is False  # quitting works even with no server
