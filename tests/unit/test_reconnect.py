import itertools
import threading

from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.tcp.wire import AskUsers, Hello, Ping, Quit, SendPublic, ShutdownFrame
from app.adapters.terminal.reconnect import MAX_DELAY, backoff_delays, keep_connected, reconnect
from app.adapters.terminal.session import MAX_HELD_LINES
from tests.fakes import T0
from tests.unit.client_fakes import (
    AT,
    WAIT_SECONDS,
    FakeServerConnection,
    NewSession,
    history,
    welcome,
)

LOST = f"{AT} * the connection was lost; reconnecting (F5 or /reconnect: now)"


def test_backoff_doubles_from_one_second_up_to_thirty_with_jitter() -> None:
    middle = list(itertools.islice(backoff_delays(uniform=lambda: 0.5), 7))
    assert middle == [1, 2, 4, 8, 16, 30, 30]
    low = list(itertools.islice(backoff_delays(uniform=lambda: 0.0), 3))
    high = list(itertools.islice(backoff_delays(uniform=lambda: 1.0), 7))
    assert low == [0.75, 1.5, 3.0]
    assert high[:2] == [1.25, 2.5]
    assert max(high) == MAX_DELAY


def test_lines_typed_while_disconnected_wait_and_go_out_in_order_once_back(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection, online=False)
    assert session.submit("first")
    assert session.submit("/users")
    assert session.submit("second")
    assert not session.connected
    assert session.waiting() == 3
    assert display.rows("pending") == [f"{AT} <ann> first", f"{AT} <ann> second"]
    assert connection.sent == []

    session.online_again(resumed=False)

    assert connection.wait_for_sent(3) == [
        SendPublic(text="first"),
        AskUsers(),
        SendPublic(text="second"),
    ]
    assert session.waiting() == 0


def test_beyond_a_hundred_waiting_lines_each_further_one_is_refused(
    new_session: NewSession,
) -> None:
    session, display = new_session(FakeServerConnection(), online=False)
    for number in range(MAX_HELD_LINES + 2):
        session.submit(f"line {number}")
    assert session.waiting() == MAX_HELD_LINES
    refused = display.rows("refused")
    assert len(refused) == 2
    assert refused[0].startswith(f"{AT} <ann> line {MAX_HELD_LINES}  [not sent: more than 100")
    assert f"line {MAX_HELD_LINES + 1}  [not sent:" in refused[1]
    assert display.reasons == ["more than 100 lines are waiting for the connection"] * 2
    assert session.unsent() == [f"line {number}" for number in range(MAX_HELD_LINES)]


def test_local_commands_still_work_while_disconnected(new_session: NewSession) -> None:
    session, _ = new_session(FakeServerConnection(), online=False)
    session.submit("/pm bob")
    assert session.partner == "bob"
    assert session.submit("/quit") is False  # quitting works even with no server
    assert session.quitting
    assert session.left.is_set()


def test_the_status_says_connecting_connected_or_how_long_until_the_next_try(
    new_session: NewSession,
) -> None:
    session, _ = new_session(FakeServerConnection(), online=False)
    assert session.connection_state() == "connecting"
    session.online_again(resumed=False)
    assert session.connection_state() == "connected"
    session.disconnected()
    session.retry_at = 1000.0 + 6.2
    assert session.connection_state(monotonic=1000.0) == "reconnecting in 7 s"
    assert session.connection_state(monotonic=1006.1) == "reconnecting in 1 s"
    assert session.connection_state(monotonic=1009.0) == "reconnecting in 1 s"


def test_reconnect_counts_down_and_slash_reconnect_cuts_the_wait_short(
    new_session: NewSession,
) -> None:
    session, display = new_session(FakeServerConnection(), online=False)
    fresh = FakeServerConnection(welcome(resumed=True, last_id=0), history("resume"))
    results: list[bool] = []
    reader = threading.Thread(
        target=lambda: results.append(
            reconnect(session, lambda: fresh, threading.Event(), iter([MAX_DELAY]))  # type: ignore[arg-type, return-value]
        )
    )
    reader.start()
    assert display.wait_for(lambda: session.retry_at is not None)
    retry_at = session.retry_at
    assert retry_at is not None
    assert session.connection_state(monotonic=retry_at - MAX_DELAY) == "reconnecting in 30 s"

    session.submit("/reconnect")

    reader.join(WAIT_SECONDS)  # far sooner than the 30 s countdown
    assert not reader.is_alive()
    assert results == [True]
    assert session.connection_state() == "connected"
    assert fresh.sent == [Hello(nick="ann"), Ping()]  # registered, and resumed, on the new one


def test_reconnect_gives_up_when_told_to_stop(new_session: NewSession) -> None:
    session, _ = new_session(FakeServerConnection(), online=False)
    stop = threading.Event()
    stop.set()
    opened: list[ServerConnection] = []
    assert not reconnect(session, lambda: opened[0], stop, iter([MAX_DELAY]))
    assert opened == []


def test_reconnect_tries_again_when_the_server_cannot_be_reached(
    new_session: NewSession,
) -> None:
    session, _ = new_session(FakeServerConnection(), online=False)
    fresh = FakeServerConnection(welcome(resumed=False))
    attempts: list[int] = []

    def open_connection() -> FakeServerConnection:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionLost("connection refused")
        return fresh

    assert reconnect(session, open_connection, threading.Event(), iter([0.0, 0.0, 0.0]))  # type: ignore[arg-type]
    assert len(attempts) == 3
    assert session.connected


def test_slash_reconnect_while_connected_says_so(new_session: NewSession) -> None:
    session, display = new_session(FakeServerConnection())
    session.submit("/reconnect")
    assert display.transcript() == [f"{AT} * already connected"]
    assert not session.retry_now.is_set()


def test_a_dropped_connection_is_announced_and_reconnected(new_session: NewSession) -> None:
    session, display = new_session(FakeServerConnection())
    stop = threading.Event()
    fresh = FakeServerConnection(welcome(resumed=True), history("resume"))
    opened: list[FakeServerConnection] = []

    def open_connection() -> FakeServerConnection:
        if opened:  # the second drop: the user gives up
            stop.set()
            raise ConnectionLost("connection refused")
        opened.append(fresh)
        return fresh

    keep_connected(session, open_connection, stop, lambda: iter([0.0]))  # type: ignore[arg-type]

    lines = display.transcript()
    assert lines[:3] == [
        LOST,
        f"{AT} * reconnected as ann",
        f"{AT} * nothing was said while you were away",
    ]


def test_quitting_ends_the_reader_without_saying_the_connection_was_lost(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    assert session.submit("/quit gotta go") is False
    assert session.quitting
    assert connection.wait_for_sent(1) == [Quit(reason="gotta go")]
    assert session.left.wait(WAIT_SECONDS)
    opened: list[FakeServerConnection] = []

    keep_connected(session, lambda: opened[0], threading.Event(), lambda: iter([0.0]))  # type: ignore[arg-type, return-value]

    assert opened == []  # no reconnect was tried
    assert LOST not in display.transcript()
    assert connection.closed


def test_a_shutdown_is_not_reported_as_a_lost_connection(new_session: NewSession) -> None:
    connection = FakeServerConnection(ShutdownFrame(reason="server closing", ts=T0))
    session, display = new_session(connection)
    stop = threading.Event()

    def open_connection() -> FakeServerConnection:
        stop.set()
        raise ConnectionLost("connection refused")

    keep_connected(session, open_connection, stop, lambda: iter([0.0]))  # type: ignore[arg-type]

    assert display.transcript() == [f"{AT} * the server is shutting down"]


def test_quitting_during_the_countdown_ends_the_reconnect_at_once(
    new_session: NewSession,
) -> None:
    session, _ = new_session(FakeServerConnection(), online=False)
    opened: list[ServerConnection] = []
    gave_up = threading.Event()

    def wait_to_reconnect() -> None:
        if not reconnect(session, lambda: opened[0], threading.Event(), iter([MAX_DELAY])):
            gave_up.set()

    waiting = threading.Thread(target=wait_to_reconnect, daemon=True)
    waiting.start()
    session.leave_now()  # Ctrl-C while "reconnecting in 30 s"
    assert gave_up.wait(timeout=5)  # not 30 s later
    assert opened == []
