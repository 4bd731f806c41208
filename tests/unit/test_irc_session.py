"""The IRC gateway's session: registration, pacing, replies, the idle ping, and the room feed
as each client reads it. A real chat service on the in-memory store; the connection is a
fake whose clock moves only when the test says so."""

from app.adapters.irc.settings import MAX_QUEUED_LINES, IrcSettings
from app.adapters.tcp.wire import format_timestamp
from app.domain.events import NickChanged, UserJoined, UserLeft
from app.services.connection import Verdict
from tests.fakes import T0
from tests.unit.irc_fakes import SERVER, FakeHost, IrcRig

WELCOME_BURST = ["001", "002", "003", "004", "005", "005", "422"]


def paced_rig(max_queued_lines: int = MAX_QUEUED_LINES) -> IrcRig:
    """One message a second, two at once."""
    settings = IrcSettings(server=SERVER, max_queued_lines=max_queued_lines)
    return IrcRig(rate=1, burst=2, settings=settings)


def say(host: FakeHost, *texts: str) -> Verdict:
    return host.received(*(f"PRIVMSG #chat :{text}" for text in texts))


# --- registration -------------------------------------------------------------------------


def test_nick_and_user_register_the_client_with_the_welcome_burst_and_its_join() -> None:
    rig = IrcRig()
    (bob,) = rig.room.joined("bob")
    ann = rig.connect()

    ann.received("NICK ann", "USER ann 0 * :Ann Smith")

    lines = ann.take()
    assert [line.command for line in lines] == [*WELCOME_BURST, "JOIN", "353", "366"]
    assert all(line.params[0] == "ann" for line in lines if line.command.isdigit())
    assert lines[0].source == SERVER
    join, names = lines[7], lines[8]
    assert (join.source, join.params) == ("ann!ann@chatroom", ("#chat",))
    assert names.params[1:] == ("=", "#chat", "ann bob")
    assert bob.take() == [UserJoined(nick="ann", at=T0)]


def test_cap_ls_holds_registration_until_cap_end() -> None:
    rig = IrcRig()
    ann = rig.connect()

    ann.received("CAP LS 302", "NICK ann", "USER ann 0 * :Ann")

    assert ann.commands() == ["CAP"]
    assert not rig.chat.is_registered(ann)

    ann.received("CAP END")

    assert ann.commands() == [*WELCOME_BURST, "JOIN", "353", "366"]
    assert rig.chat.is_registered(ann)


def test_a_taken_nick_gets_433_and_another_nick_then_registers() -> None:
    rig = IrcRig()
    (ann,) = rig.room.joined("ann")
    newcomer = rig.connect()

    newcomer.received("NICK ann", "USER ann 0 * :Ann")

    (taken,) = newcomer.take()
    assert (taken.command, taken.params[:2]) == ("433", ("*", "ann"))
    assert not rig.chat.is_registered(newcomer)
    assert ann.take() == []

    newcomer.received("NICK ann_")

    lines = newcomer.take()
    assert lines[0].command == "001"
    assert lines[0].params[0] == "ann_"
    assert rig.chat.is_registered(newcomer)


def test_a_nick_with_brackets_gets_432_and_registers_nothing() -> None:
    rig = IrcRig()
    client = rig.connect()

    client.received("NICK nick[x]", "USER nick 0 * :Nick")

    (refused,) = client.take()
    assert (refused.command, refused.params[:2]) == ("432", ("*", "nick[x]"))
    assert not rig.chat.is_registered(client)

    client.received("NICK nickx")

    assert client.commands()[0] == "001"


# --- flood pacing -------------------------------------------------------------------------


def test_a_paste_over_the_flood_limit_is_paced_out_not_refused() -> None:
    rig = paced_rig()
    ann = rig.registered("ann")

    verdict = say(ann, "m1", "m2", "m3", "m4", "m5")

    assert verdict is Verdict.CONTINUE
    assert rig.public_texts() == ["m1", "m2"]
    assert ann.pending_timers(), "the rest must wait for a timer, not be dropped"

    ann.advance(0.5)
    assert rig.public_texts() == ["m1", "m2"]
    ann.advance(0.5)
    assert rig.public_texts() == ["m1", "m2", "m3"]
    ann.advance(1)
    ann.advance(1)
    assert rig.public_texts() == ["m1", "m2", "m3", "m4", "m5"]
    assert ann.take() == []  # no NOTICE about the rate, no error of any kind


def test_a_ping_behind_a_paced_paste_is_answered_only_after_the_last_message() -> None:
    rig = paced_rig()
    ann = rig.registered("ann")

    say(ann, "m1", "m2", "m3", "m4", "m5")
    ann.received("PING :token")

    for _ in range(3):
        assert "PONG" not in ann.commands()
        assert len(rig.store.public) < 5
        ann.advance(1)
    assert len(rig.store.public) == 5
    (pong,) = ann.take()
    assert (pong.command, pong.params) == ("PONG", (SERVER, "token"))


def test_a_pong_from_the_client_never_waits_in_the_queue() -> None:
    rig = paced_rig(max_queued_lines=3)
    ann = rig.registered("ann")
    say(ann, "m1", "m2")
    say(ann, "m3", "m4", "m5")  # three waiting: as many as may wait

    verdict = ann.received("PONG :irc.test")

    assert verdict is Verdict.CONTINUE  # not a fourth line waiting: no Excess Flood
    ann.advance(3)
    assert rig.public_texts() == ["m1", "m2", "m3", "m4", "m5"]
    assert ann.take() == []  # and never answered, as an unknown command would be


def test_more_lines_waiting_than_allowed_end_the_link_with_excess_flood() -> None:
    rig = paced_rig(max_queued_lines=3)
    (bob,) = rig.room.joined("bob")
    ann = rig.registered("ann")
    say(ann, "m1", "m2")
    bob.take()

    verdict = say(ann, "m3", "m4", "m5", "m6")

    assert verdict is Verdict.CLOSE
    (error,) = ann.take()
    assert (error.command, error.params) == ("ERROR", ("Closing link: Excess Flood",))
    assert not rig.chat.is_registered(ann)
    assert rig.public_texts() == ["m1", "m2"]
    assert bob.take() == [UserLeft(nick="ann", reason="excess_flood", at=T0)]


# --- replies ------------------------------------------------------------------------------


def test_a_notice_to_an_unknown_nick_gets_no_reply_while_privmsg_gets_401() -> None:
    rig = IrcRig()
    ann = rig.registered("ann")

    ann.received("NOTICE nobody :hello?")
    assert ann.take() == []

    ann.received("PRIVMSG nobody :hello?")
    (reply,) = ann.take()
    assert (reply.command, reply.params[:2]) == ("401", ("ann", "nobody"))


def test_an_unknown_command_gets_421() -> None:
    rig = IrcRig()
    ann = rig.registered("ann")

    ann.received("FROBNICATE now")

    (reply,) = ann.take()
    assert (reply.command, reply.params[:2]) == ("421", ("ann", "FROBNICATE"))


def test_commands_before_registration_get_451_but_ping_gets_its_pong() -> None:
    rig = IrcRig()
    client = rig.connect()

    client.received("PRIVMSG #chat :hi", "JOIN #chat", "PING :early")

    lines = client.take()
    assert [(line.command, line.params[0]) for line in lines] == [
        ("451", "*"),
        ("451", "*"),
        ("PONG", SERVER),
    ]
    assert lines[2].params == (SERVER, "early")
    assert rig.store.public == []
    assert not rig.chat.is_registered(client)


# --- the idle ping ------------------------------------------------------------------------


def test_a_silent_client_is_pinged_then_cut_off_when_it_stays_silent() -> None:
    rig = IrcRig()
    (bob,) = rig.room.joined("bob")
    ann = rig.registered("ann")
    bob.take()
    settings = rig.settings

    ann.advance(settings.ping_after - 1)
    assert ann.take() == []
    ann.advance(1)
    (ping,) = ann.take()
    assert (ping.command, ping.params) == ("PING", (SERVER,))

    ann.advance(settings.ping_timeout - 1)
    assert ann.take() == []
    assert ann.close_asked == 0
    ann.advance(1)

    (error,) = ann.take()
    assert (error.command, error.params) == ("ERROR", ("Closing link: Ping timeout",))
    assert ann.close_asked == 1
    assert bob.take() == [UserLeft(nick="ann", reason="ping_timeout", at=T0)]


def test_a_pong_to_the_idle_ping_keeps_the_client() -> None:
    rig = IrcRig()
    ann = rig.registered("ann")
    settings = rig.settings
    ann.advance(settings.ping_after)
    assert ann.commands() == ["PING"]

    ann.received("PONG :irc.test")
    ann.advance(settings.ping_timeout)

    assert ann.take() == []
    assert ann.close_asked == 0
    assert rig.chat.is_registered(ann)
    ann.advance(settings.ping_after - settings.ping_timeout - 1)
    assert ann.take() == []
    ann.advance(1)  # ping_after seconds of silence since the PONG
    assert ann.commands() == ["PING"]


def test_any_line_heard_puts_the_idle_ping_off() -> None:
    rig = IrcRig()
    ann = rig.registered("ann")
    settings = rig.settings

    ann.advance(settings.ping_after - 10)
    say(ann, "still here")
    ann.advance(10)

    assert ann.take() == []
    ann.advance(settings.ping_after - 10 - 1)
    assert ann.take() == []
    ann.advance(1)
    assert ann.commands() == ["PING"]


# --- the room feed as each client reads it ------------------------------------------------


def privmsgs(host: FakeHost) -> list[tuple[str | None, str]]:
    return [
        (line.source, line.params[1]) for line in host.feed_lines() if line.command == "PRIVMSG"
    ]


def test_without_echo_message_the_feed_leaves_out_the_clients_own_message_only() -> None:
    rig = IrcRig()
    ann = rig.registered("ann")
    bob = rig.registered("bob")

    say(ann, "from ann")
    say(bob, "from bob")

    assert privmsgs(ann) == [("bob!bob@chatroom", "from bob")]
    assert privmsgs(bob) == [("ann!ann@chatroom", "from ann")]


def test_with_echo_message_the_feed_gives_the_client_its_own_message_back() -> None:
    rig = IrcRig()
    ann = rig.registered("ann", "echo-message")
    bob = rig.registered("bob")

    say(ann, "from ann")
    say(bob, "from bob")

    assert privmsgs(ann) == [("ann!ann@chatroom", "from ann"), ("bob!bob@chatroom", "from bob")]


def test_the_feed_follows_a_rename_so_the_own_message_under_the_new_nick_is_left_out() -> None:
    rig = IrcRig()
    ann = rig.registered("ann")
    bob = rig.registered("bob")
    ann.feed_lines()  # bob's join

    ann.received("NICK ann2", "PRIVMSG #chat :renamed")

    lines = ann.feed_lines()
    assert [(line.command, line.source, line.params) for line in lines] == [
        ("NICK", "ann!ann@chatroom", ("ann2",))
    ]
    assert ann.session.nick == "ann2"
    assert privmsgs(bob) == [("ann2!ann2@chatroom", "renamed")]


def test_with_server_time_feed_lines_carry_the_time_and_without_it_none() -> None:
    rig = IrcRig()
    ann = rig.registered("ann", "server-time")
    bob = rig.registered("bob")
    carol = rig.registered("carol")
    ann.feed_lines()
    bob.feed_lines()

    say(carol, "hello")

    (for_ann,) = ann.feed_lines()
    (for_bob,) = bob.feed_lines()
    assert for_ann.tags == {"time": format_timestamp(T0)}
    assert for_bob.tags == {}
    assert for_ann.params == for_bob.params == ("#chat", "hello")


# --- a nick change and what follows it in the same read -----------------------------------


def test_a_nick_change_back_in_the_same_read_is_carried_out() -> None:
    """NICK ann2 then NICK ann: the client ends up as ann, as it asked."""
    rig = IrcRig()
    (bob,) = rig.room.joined("bob")
    ann = rig.registered("ann")
    bob.take()

    ann.received("NICK ann2", "NICK ann")

    assert bob.take() == [
        NickChanged(old="ann", new="ann2", at=T0),
        NickChanged(old="ann2", new="ann", at=T0),
    ]


def test_after_a_nick_change_the_own_private_message_is_not_echoed_without_echo_message() -> None:
    rig = IrcRig()
    rig.room.joined("bob")
    ann = rig.registered("ann")

    ann.received("NICK ann2", "PRIVMSG bob :hi")

    assert [line for line in ann.take() if line.command == "PRIVMSG"] == []
    assert rig.store.private[-1].sender == "ann2"
