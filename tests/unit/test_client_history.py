"""How the client shows history and resumes: without a terminal or a socket."""

import threading

from app.adapters.tcp.wire import (
    AskHistory,
    Hello,
    Ping,
    PublicFrame,
    ResumeFields,
    SendPublic,
)
from app.adapters.terminal.history import HistoryView, MessageFrame
from app.adapters.terminal.reconnect import reconnect
from app.adapters.terminal.render import Fragments, plain, render
from tests.unit.client_fakes import (
    AT,
    FakeServerConnection,
    NewSession,
    history,
    private,
    public,
    welcome,
)


def test_the_backlog_comes_under_a_divider_dimmed_and_never_highlighted(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(
        welcome(resumed=False, last_id=2),
        history("backlog", public(1), public(2, "ann: are you there?")),
    )
    session, display = new_session(connection, nick="", online=False)
    session.register("ann")
    session.read_until_closed()

    lines = display.transcript()
    assert lines[0] == "-- earlier --"
    assert lines[2].endswith("<bob> ann: are you there?")
    styles = {style for fragments in display.lines()[1:] for style, _ in fragments}
    assert styles == {"history"}  # no mention highlight
    assert display.bells == 0


def test_in_a_pipe_history_lines_are_marked_and_there_are_no_dividers(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(
        welcome(resumed=False, last_id=1), history("backlog", public(1))
    )
    session, display = new_session(connection, nick="", online=False, marker="[history] ")
    session.register("ann")
    session.read_until_closed()
    assert display.transcript() == [f"[history] {_live_line(public(1))}"]


def _live_line(frame: PublicFrame) -> str:
    [line] = render(frame, "ann")
    return plain(line)


def test_older_pages_say_how_many_and_where_the_room_began(new_session: NewSession) -> None:
    session, display = new_session(
        FakeServerConnection(
            history("request", public(3), public(4), more=True),
            history("request", public(1), public(2)),
            history("request"),
        )
    )
    session.read_until_closed()
    assert [line for line in display.transcript() if not line.startswith(AT)] == [
        "-- 2 older messages --",
        "-- 2 older messages --",
        "-- the beginning of the room --",
    ]
    assert (
        display.transcript()[-1] == f"{AT} * no older messages: that is the beginning of the room"
    )


def test_history_requests_page_back_from_the_oldest_message_seen(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(public(7), history("backlog", public(5), public(6)))
    session, _ = new_session(connection)
    session.read_until_closed()
    session.submit("/history 20")
    assert connection.wait_for_sent(1) == [AskHistory(before=5, limit=20)]


def test_each_history_request_waits_for_the_answer_to_the_one_before(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(public(7))
    session, _ = new_session(connection)
    session.read_until_closed()
    session.submit("/history 2")
    session.submit("/history 2")
    assert connection.wait_for_sent(1)[0] == AskHistory(before=7, limit=2)
    connection.arrive(history("request", public(5), public(6), more=True))
    session.read_until_closed()
    assert connection.wait_for_sent(2)[1] == AskHistory(before=5, limit=2)


def test_a_replay_is_shown_once_complete_with_how_many_were_missed(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(
        welcome(resumed=True, last_id=9),
        history("resume", public(3), more=True, gap=True),
        history("resume", public(5), private(6, "psst")),
    )
    session, display = new_session(connection, online=False)
    session.resume_token = "t1"
    session.register("ann")
    assert session.replaying
    session.read_replay()

    assert not session.replaying
    lines = display.transcript()
    assert lines[0].startswith(f"{AT} ! some messages from while you were away are no longer")
    assert lines[1] == "-- 3 messages while you were away --"
    assert lines[4].endswith("[pm from bob] psst")
    assert connection.sent == [Hello(nick="ann", resume=ResumeFields(token="t1", last_id=0))]
    assert session.resume_token == "t2"


def test_a_replay_cut_short_is_asked_for_again_and_shown_whole(new_session: NewSession) -> None:
    connection = FakeServerConnection(
        welcome(resumed=True, last_id=9), history("resume", public(3), more=True)
    )
    session, display = new_session(connection, online=False)
    session.resume_token = "t1"
    session.register("ann")
    session.read_until_closed()  # the first page, and then the connection drops
    again = FakeServerConnection(
        welcome(resumed=True, last_id=9, token="t3"), history("resume", public(3), public(9))
    )
    session.connection = again  # type: ignore[assignment]
    session.register("ann")
    session.read_replay()

    hello = again.sent[0]
    assert isinstance(hello, Hello)
    assert hello.resume == ResumeFields(token="t2", last_id=0)  # not 3: 3 was never shown
    lines = display.transcript()
    assert lines[0] == "-- 2 messages while you were away --"
    assert [line.rsplit(" ", 1)[1] for line in lines[1:]] == ["m3", "m9"]


def test_a_replay_holding_nothing_says_so(new_session: NewSession) -> None:
    connection = FakeServerConnection(welcome(resumed=True, last_id=4), history("resume"))
    session, display = new_session(connection, online=False)
    session.register("ann")
    session.read_replay()
    assert display.transcript() == [f"{AT} * nothing was said while you were away"]


def test_reconnecting_shows_the_replay_before_sending_what_was_typed_meanwhile(
    new_session: NewSession,
) -> None:
    old = FakeServerConnection(welcome(resumed=False, last_id=0, token="t1"))
    session, display = new_session(old, online=False)
    session.register("ann")
    session.online_again(resumed=False)
    session.disconnected()
    session.submit("typed while away")
    assert display.rows("pending") == [f"{AT} <ann> typed while away"]
    fresh = FakeServerConnection(welcome(resumed=True, last_id=4), history("resume", public(4)))

    assert reconnect(session, lambda: fresh, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]

    # The replay was read whole before the line went out, so its echo comes after it.
    assert fresh.wait_for_sent(3) == [
        Hello(nick="ann", resume=ResumeFields(token="t1", last_id=0)),
        Ping(),  # the resume acknowledged before anything else
        SendPublic(text="typed while away"),
    ]
    lines = display.transcript()
    assert lines.index(f"{AT} * reconnected as ann") < lines.index(
        "-- 1 message while you were away --"
    )


def test_a_reconnect_that_could_not_resume_says_what_was_lost(new_session: NewSession) -> None:
    old = FakeServerConnection(welcome(resumed=False, last_id=0, token="t1"))
    session, display = new_session(old, online=False)
    session.register("ann")
    fresh = FakeServerConnection(welcome(resumed=False, last_id=8))
    assert reconnect(session, lambda: fresh, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]
    assert "but as a new session" in display.transcript()[-1]


def test_a_history_message_breaking_the_text_rules_is_dropped_with_a_warning(
    new_session: NewSession,
) -> None:
    session, display = new_session(
        FakeServerConnection(history("backlog", public(1, "fine"), public(2, "evil\x1b[2J")))
    )
    session.read_until_closed()
    lines = display.transcript()
    assert any("dropped a message from bob" in line for line in lines)
    assert not any("evil" in line for line in lines)


def test_history_asked_for_while_away_goes_out_once_back(new_session: NewSession) -> None:
    old = FakeServerConnection(welcome(resumed=False, last_id=0, token="t1"))
    session, _ = new_session(old, online=False)
    session.register("ann")
    session.online_again(resumed=False)
    session.disconnected()
    session.submit("/history 10")
    fresh = FakeServerConnection(welcome(resumed=True, last_id=4), history("resume", public(4)))

    assert reconnect(session, lambda: fresh, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]

    sent = fresh.wait_for_sent(3)
    assert isinstance(sent[1], Ping)  # the resume acknowledged before anything else
    assert sent[2] == AskHistory(before=4, limit=10)


class Claimer:
    """Stands in for the session: claims our own messages for as many lines as are pending."""

    def __init__(self, pending: int) -> None:
        self.pending = pending
        self.claimed: list[MessageFrame] = []

    def __call__(self, message: MessageFrame) -> bool:
        if message.sender != "ann" or not self.pending:
            return False
        self.pending -= 1
        self.claimed.append(message)
        return True


def test_own_messages_in_a_replay_confirm_pending_lines_and_are_not_shown_twice() -> None:
    shown: list[Fragments] = []
    view = HistoryView(shown.append, marker=None)
    view.welcomed(welcome(resumed=True, last_id=6))
    mine = public(5, "sent just before the drop", sender="ann")
    claim = Claimer(pending=1)

    view.receive(
        history("resume", public(4), mine, public(6)), [public(4), mine, public(6)], "ann", claim
    )

    assert claim.claimed == [mine]
    assert [plain(line) for line in shown] == [
        "-- 2 messages while you were away --",
        f"{AT} <bob> m4",
        f"{AT} <bob> m6",
    ]
    assert view.last_id == 6


def test_a_replay_of_nothing_but_our_own_confirmed_lines_says_nothing_was_said() -> None:
    shown: list[Fragments] = []
    view = HistoryView(shown.append, marker=None)
    view.welcomed(welcome(resumed=True, last_id=5))
    mine = public(5, "hello", sender="ann")
    view.receive(history("resume", mine), [mine], "ann", Claimer(pending=1))
    assert [plain(line) for line in shown] == [f"{AT} * nothing was said while you were away"]


def test_a_backlog_after_reconnecting_as_a_new_session_shows_only_what_is_new(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(
        welcome(resumed=False, last_id=2), history("backlog", public(1), public(2))
    )
    session, display = new_session(connection, nick="", online=False)
    session.register("ann")
    session.read_until_closed()
    again = FakeServerConnection(
        welcome(resumed=False, last_id=4),
        history("backlog", public(1), public(2), public(3, "new"), public(4, "newer")),
    )
    session.connection = again
    session.register("ann")
    session.read_until_closed()
    shown = display.transcript()
    first = shown.index("-- earlier --")
    second = shown.index("-- earlier --", first + 1)
    assert len(shown[first + 1 : second]) >= 2  # the first backlog, whole
    assert [line.rsplit("> ", 1)[1] for line in shown[second + 1 :]] == ["new", "newer"]
