"""The chat session between the window and the server: what is shown, sent, confirmed."""

import threading

from app.adapters.tcp.wire import (
    AskUsers,
    ChangeNick,
    ErrorFrame,
    Hello,
    NickChangedFrame,
    Ping,
    ResumeFields,
    SendPrivate,
    SendPublic,
)
from app.adapters.terminal.pacing import MessagePacer
from app.adapters.terminal.reconnect import reconnect
from tests.fakes import T0, ManualMonotonic
from tests.unit.client_fakes import (
    AT,
    AT1,
    T1,
    FakeServerConnection,
    NewSession,
    history,
    private,
    public,
    welcome,
)

SLOW_DOWN = "too fast: this server takes 5 messages a second, 10 at once"
TOO_MANY = "too many requests at once: wait a moment before the next"


def rate_limited(message: str = SLOW_DOWN) -> ErrorFrame:
    return ErrorFrame(code="rate_limited", message=message, ts=T1)


def nick_taken() -> ErrorFrame:
    return ErrorFrame(code="nick_taken", message="the nickname bob is taken", ts=T1)


def test_a_message_shows_at_once_as_pending_and_its_echo_confirms_it_in_place(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.submit("hello")
    assert display.rows("pending") == [f"{AT} <ann> hello"]
    assert connection.wait_for_sent(1) == [SendPublic(text="hello")]

    connection.arrive(public(1, "hello", sender="ann", at=T1))
    session.read_until_closed()

    assert display.transcript() == [f"{AT1} <ann> hello"]  # the server's time, one line
    assert display.rows("confirmed") == [f"{AT1} <ann> hello"]
    assert display.rows("pending") == []


def test_a_private_message_is_pending_too_and_confirmed_by_its_echo(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.submit("/msg bob psst")
    assert display.rows("pending") == [f"{AT} [pm to bob] psst"]
    assert connection.wait_for_sent(1) == [SendPrivate(to="bob", text="psst")]
    connection.arrive(
        private(1, "not for ann's echo", sender="bob", to="ann"),
        private(2, "psst", sender="ann", to="bob", at=T1),
    )
    session.read_until_closed()
    assert display.transcript() == [
        f"{AT1} [pm to bob] psst",
        f"{AT} [pm from bob] not for ann's echo",
    ]
    assert display.rows("pending") == []


def test_a_message_the_server_refuses_is_marked_not_sent_with_the_reason(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.submit("hello")
    connection.wait_for_sent(1)

    connection.arrive(rate_limited())
    session.read_until_closed()

    reason = f"{SLOW_DOWN} (rate_limited)"
    assert display.transcript() == [f"{AT} <ann> hello  [refused: {reason}]"]
    assert display.reasons == [reason]


def test_a_nick_error_between_messages_refuses_no_message(new_session: NewSession) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    for line in ("one", "/nick bob", "two"):
        session.submit(line)
    assert connection.wait_for_sent(3) == [
        SendPublic(text="one"),
        ChangeNick(nick="bob"),
        SendPublic(text="two"),
    ]

    # The server answers in order: "one" refused, the nick refused, "two" taken.
    connection.arrive(rate_limited(), nick_taken(), public(1, "two", sender="ann", at=T1))
    session.read_until_closed()

    assert display.transcript() == [
        f"{AT} <ann> one  [refused: {SLOW_DOWN} (rate_limited)]",
        f"{AT1} <ann> two",  # confirmed where it was typed, though the nick error came first
        f"{AT1} ! the nickname bob is taken (nick_taken)",
    ]
    assert display.reasons == [
        f"{SLOW_DOWN} (rate_limited)",
        "the nickname bob is taken (nick_taken)",
    ]
    assert session.nick == "ann"


def test_a_nick_error_does_not_refuse_the_message_sent_after_it(new_session: NewSession) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.submit("/nick bob")
    session.submit("hello")
    connection.wait_for_sent(2)

    connection.arrive(nick_taken())
    session.read_until_closed()
    assert display.rows("pending") == [f"{AT} <ann> hello"]  # still waiting for its echo

    connection.arrive(public(1, "hello", sender="ann", at=T1))
    session.read_until_closed()
    assert display.rows("confirmed") == [f"{AT1} <ann> hello"]


def test_a_request_refused_for_the_rate_limit_does_not_refuse_the_message_after_it(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.submit("/users")
    session.submit("hello")
    assert connection.wait_for_sent(2) == [AskUsers(), SendPublic(text="hello")]

    # The /users is refused; "hello" is taken.
    connection.arrive(rate_limited(TOO_MANY), public(1, "hello", sender="ann", at=T1))
    session.read_until_closed()

    assert display.rows("confirmed") == [f"{AT1} <ann> hello"]
    assert f"{AT1} <ann> hello" not in display.rows("shown")  # and not shown a second time


def test_a_nick_change_is_tracked_and_own_messages_confirmed_under_the_new_nick(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.submit("/nick anna")
    session.submit("hello")
    connection.wait_for_sent(2)
    connection.arrive(
        NickChangedFrame(old="ann", new="anna", ts=T1), public(1, "hello", sender="anna", at=T1)
    )
    session.read_until_closed()
    assert session.nick == "anna"
    assert display.transcript() == [
        f"{AT1} <anna> hello",
        f"{AT1} * you are now known as anna",
    ]


def test_a_message_naming_you_rings_the_bell_and_your_own_does_not(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection(
        public(1, "ann: lunch?"), public(2, "no mention"), public(3, "I am ann", sender="ann")
    )
    session, display = new_session(connection)
    session.read_until_closed()
    assert display.bells == 1


def test_after_a_resume_a_message_the_replay_holds_is_confirmed_in_place_the_rest_resent(
    new_session: NewSession,
) -> None:
    old = FakeServerConnection()
    session, display = new_session(old)
    session.resume_token = "t1"
    session.submit("one")
    session.submit("two")
    old.wait_for_sent(2)
    session.read_until_closed()  # the connection drops before either echo arrives
    session.disconnected()
    # The server took "one" before the drop, and never got "two".
    fresh = FakeServerConnection(
        welcome(resumed=True, last_id=6), history("resume", public(6, "one", sender="ann", at=T1))
    )

    assert reconnect(session, lambda: fresh, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]

    assert fresh.wait_for_sent(3) == [
        Hello(nick="ann", resume=ResumeFields(token="t1", last_id=0)),
        Ping(),
        SendPublic(text="two"),
    ]
    assert display.transcript() == [
        f"{AT1} <ann> one",  # confirmed in place, not shown again under the replay
        f"{AT} <ann> two",
        f"{AT} * reconnected as ann",
        f"{AT} * nothing was said while you were away",
    ]
    assert display.rows("pending") == [f"{AT} <ann> two"]
    fresh.arrive(public(7, "two", sender="ann", at=T1))
    session.read_until_closed()
    assert display.rows("confirmed") == [f"{AT1} <ann> one", f"{AT1} <ann> two"]


def test_without_a_resume_messages_sent_before_the_drop_are_marked_perhaps_lost(
    new_session: NewSession,
) -> None:
    old = FakeServerConnection()
    session, display = new_session(old)
    session.submit("one")
    session.submit("two")
    old.wait_for_sent(2)
    session.read_until_closed()
    session.disconnected()
    fresh = FakeServerConnection(welcome(resumed=False, last_id=9))

    assert reconnect(session, lambda: fresh, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]
    session.submit("three")

    assert fresh.wait_for_sent(2) == [Hello(nick="ann"), SendPublic(text="three")]
    perhaps_lost = "the connection dropped before the server answered"
    assert display.rows("refused") == [
        f"{AT} <ann> one  [perhaps lost: {perhaps_lost}]",
        f"{AT} <ann> two  [perhaps lost: {perhaps_lost}]",
    ]
    assert display.reasons == [perhaps_lost, perhaps_lost]


def test_a_replay_confirms_the_message_it_holds_even_when_an_earlier_one_is_missing(
    new_session: NewSession,
) -> None:
    old = FakeServerConnection()
    session, display = new_session(old)
    session.resume_token = "t1"
    session.submit("one")
    session.submit("two")
    old.wait_for_sent(2)
    session.read_until_closed()  # "one" was refused (rate limit), but the error was lost
    session.disconnected()
    fresh = FakeServerConnection(
        welcome(resumed=True, last_id=6), history("resume", public(6, "two", sender="ann", at=T1))
    )

    assert reconnect(session, lambda: fresh, threading.Event(), iter([0.0]))  # type: ignore[arg-type, return-value]

    sent = fresh.wait_for_sent(3)
    assert sent[2] == SendPublic(text="one")  # what the replay did not hold goes out again
    assert display.rows("confirmed") == [f"{AT1} <ann> two"]
    assert display.rows("pending") == [f"{AT} <ann> one"]


def test_the_session_paces_messages_to_stay_inside_the_flood_limit(
    new_session: NewSession,
) -> None:
    clock = ManualMonotonic()
    connection = FakeServerConnection()
    session, _ = new_session(connection, pacer=MessagePacer(monotonic=clock, sleep=clock.advance))
    start = clock()
    for number in range(45):
        session.submit(f"line {number}")
    sent = connection.wait_for_sent(45)
    assert sent == [SendPublic(text=f"line {number}") for number in range(45)]
    assert 9.9 <= clock() - start <= 10.1  # 5 at once, then 40 at 4 a second


def test_requests_are_not_held_back_by_the_message_pacer(new_session: NewSession) -> None:
    clock = ManualMonotonic()
    connection = FakeServerConnection()
    session, _ = new_session(connection, pacer=MessagePacer(monotonic=clock, sleep=clock.advance))
    start = clock()
    for _ in range(20):
        session.submit("/users")
    assert connection.wait_for_sent(20) == [AskUsers()] * 20
    assert clock() == start


def test_pm_mode_sends_plain_lines_privately_until_exit(new_session: NewSession) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    session.online = {"ann", "bob"}
    session.submit("/pm bob")
    session.submit("/me waves")
    session.submit("/exit")
    session.submit("back to all")
    assert connection.wait_for_sent(2) == [
        SendPrivate(to="bob", text="/me waves"),
        SendPublic(text="back to all"),
    ]
    assert display.transcript() == [
        f"{AT} * talking privately with bob; /exit to stop",
        f"{AT} [pm to bob] * ann waves",
        f"{AT} * back to everyone (no longer talking with bob)",
        f"{AT} <ann> back to all",
    ]


def test_a_line_refused_by_the_client_says_why_and_sends_nothing(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, display = new_session(connection)
    assert session.submit("/dance")
    assert session.submit("/users")  # a barrier: everything before it has been dealt with
    assert connection.wait_for_sent(1) == [AskUsers()]
    assert display.rows("refused") == [f"{AT} ! unknown command /dance; /help lists the commands"]
    assert display.reasons == ["unknown command /dance; /help lists the commands"]


def test_lines_never_sent_are_handed_back_when_leaving(new_session: NewSession) -> None:
    session, _ = new_session(FakeServerConnection(), online=False)
    session.submit("one")
    session.submit("/users")
    session.submit("two")
    assert session.unsent() == ["one", "/users", "two"]


def test_pm_with_someone_not_online_warns_at_once(new_session: NewSession) -> None:
    session, display = new_session(FakeServerConnection())
    session.online = {"ann"}
    session.submit("/pm bob")
    assert display.transcript() == [
        f"{AT} * talking privately with bob; /exit to stop",
        f"{AT} * bob is not online now: lines will be refused",
    ]


def test_the_pm_partner_is_followed_through_a_rename_whatever_case_it_was_typed_in(
    new_session: NewSession,
) -> None:
    connection = FakeServerConnection()
    session, _ = new_session(connection)
    session.nick = "ann"
    session.online = {"ann", "bob"}
    session.submit("/pm BOB")
    connection.arrive(NickChangedFrame(old="bob", new="robert", ts=T0))
    session.read_until_closed()
    assert session.partner == "robert"  # never the next person to take "bob"
