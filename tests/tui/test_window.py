"""The full-screen client against the real server, headless, through Textual's pilot."""

import itertools
import threading
from collections.abc import Callable

from textual import events

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.server import ChatServer
from app.adapters.tui.confirm import ConfirmPaste
from app.adapters.tui.input_line import ChatInput
from app.adapters.tui.message_pane import MessagePane
from app.adapters.tui.nick_list import NickList
from app.adapters.tui.window import ChatWindow
from app.domain.flood import FloodLimits
from tests.conftest import StartServer
from tests.tui.conftest import Target, burst, status_bar, transcript, until
from tests.wire_client import WireClient

Windows = Callable[..., ChatWindow]


def joined(server: ChatServer, *nicks: str) -> list[WireClient]:
    """Others in the room, over raw sockets: they talk, the window under test listens."""
    clients = [WireClient(server.address) for _ in nicks]
    for client, nick in zip(clients, nicks, strict=True):
        client.hello(nick)
    return clients


async def welcomed(app: ChatWindow) -> None:
    await until(lambda: app.session.connected, "the welcome")


def said(app: ChatWindow, text: str) -> list[str]:
    """The transcript lines that end with `text` (a message as shown)."""
    return [line for line in transcript(app) if line.endswith(f"> {text}")]


async def test_a_line_sent_appears_once_pending_then_confirmed(
    start_server: StartServer, windows: Windows
) -> None:
    store = InMemoryRoomStore()
    server = start_server(store=store)
    app = windows(Target(server.address), "alice")
    async with app.run_test(size=(100, 30)) as pilot:
        await welcomed(app)
        await pilot.press(*"hello", "enter")
        await until(lambda: len(said(app, "hello")) == 1, "the line, pending")
        await until(lambda: app.session.unanswered() == 0, "the echo")
        assert [m.text for m in store.public] == ["hello"]
        assert len(said(app, "hello")) == 1  # the echo took the pending line's place
        assert app.query_one(ChatInput).value == ""


async def test_typing_while_messages_arrive_keeps_the_input_line_whole(
    start_server: StartServer, windows: Windows
) -> None:
    server = start_server()
    app = windows(Target(server.address), "alice")
    (bob,) = joined(server, "bob")
    async with app.run_test(size=(100, 30)) as pilot:
        await welcomed(app)
        await pilot.press(*"half a li")
        for number in range(20):
            bob.send({"type": "public", "text": f"interrupt {number}"})
        await until(lambda: len(said(app, "interrupt 19")) == 1, "bob's messages")
        assert app.query_one(ChatInput).value == "half a li"
        await pilot.press(*"ne", "enter")
        await until(lambda: len(said(app, "half a line")) == 1, "alice's line")
        assert app.query_one(ChatInput).value == ""
    bob.close()


async def test_fifteen_lines_typed_ahead_while_two_others_talk_each_appear_once_in_order(
    start_server: StartServer, windows: Windows
) -> None:
    store = InMemoryRoomStore()
    server = start_server(store=store)
    app = windows(Target(server.address), "alice")
    bob, carol = joined(server, "bob", "carol")
    lines = [f"rapid {number}" for number in range(1, 16)]
    async with app.run_test(size=(100, 30)):
        await welcomed(app)
        burst(app, "".join(f"{line}\r" for line in lines) + "not yet sent")
        for number in range(10):
            bob.send({"type": "public", "text": f"bob {number}"})
            carol.send({"type": "public", "text": f"carol {number}"})
        await until(lambda: len(said(app, "rapid 15")) == 1, "the lines, pending")
        await until(lambda: app.session.unanswered() == 0, "every line confirmed", timeout=20)
        await until(lambda: len(said(app, "carol 9")) == 1, "the others' last lines")
        mine = [line.split("> ", 1)[1] for line in transcript(app) if "<alice>" in line]
        assert mine == lines
        assert app.query_one(ChatInput).value == "not yet sent"
        assert [m.text for m in store.public if m.sender == "alice"] == lines
    bob.close()
    carol.close()


async def test_a_paste_of_eight_lines_asks_first_then_sends_one_message_per_line(
    start_server: StartServer, windows: Windows
) -> None:
    store = InMemoryRoomStore()
    # The server's default flood limit: the client paces the paste inside it.
    server = start_server(store=store, limits=ConnectionLimits(flood=FloodLimits()))
    app = windows(Target(server.address), "alice")
    pasted = "\n".join(f"pasted {number}" for number in range(1, 9)) + "\n"
    async with app.run_test(size=(100, 30)) as pilot:
        await welcomed(app)
        app.query_one(ChatInput).post_message(events.Paste(pasted))
        await until(lambda: isinstance(app.screen, ConfirmPaste), "the question")
        assert store.public == []  # nothing goes out before the answer
        await pilot.press("y")
        expected = [f"pasted {number}" for number in range(1, 9)]
        await until(lambda: [m.text for m in store.public] == expected, "the paste", timeout=15)
        await until(lambda: app.session.unanswered() == 0, "the last echo")
        assert len(said(app, "pasted 8")) == 1
        assert not any("not sent" in line for line in transcript(app))


async def test_a_paste_refused_at_the_question_sends_nothing_and_a_short_one_is_not_asked(
    start_server: StartServer, windows: Windows
) -> None:
    store = InMemoryRoomStore()
    server = start_server(store=store)
    app = windows(Target(server.address), "alice")
    async with app.run_test(size=(100, 30)) as pilot:
        await welcomed(app)
        app.query_one(ChatInput).post_message(events.Paste("a\nb\nc\nd\ne\nf\n"))
        await until(lambda: isinstance(app.screen, ConfirmPaste), "the question")
        await pilot.press("n")
        await until(lambda: any("was not sent" in line for line in transcript(app)), "notice")
        app.query_one(ChatInput).post_message(events.Paste("one\r\ntwo\r\n\r\nthree"))
        await until(lambda: len(said(app, "three")) == 1, "the short paste")
        await until(lambda: app.session.unanswered() == 0, "its echoes")
        assert [m.text for m in store.public] == ["one", "two", "three"]


async def test_tab_completes_with_a_trailing_space_and_cycles_with_your_own_nick_last(
    start_server: StartServer, windows: Windows
) -> None:
    server = start_server()
    app = windows(Target(server.address), "bo")
    others = joined(server, "bob", "bert")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: len(app.session.online) == 3, "everyone online")
        field = app.query_one(ChatInput)
        await pilot.press("b", "tab")
        assert field.value == "bert: "
        await pilot.press("tab")
        assert field.value == "bob: "
        await pilot.press("tab")
        assert field.value == "bo: "  # your own nick comes last
        await pilot.press("tab")
        assert field.value == "bert: "
        await pilot.press(*"hi")
        assert field.value == "bert: hi"
        field.value = ""
        await pilot.press("/", "m", "s", "tab", "B", "o", "b", "tab")
        assert field.value == "/msg bob "
    for client in others:
        client.close()


async def test_scrolled_up_new_messages_do_not_move_the_view_and_are_counted(
    start_server: StartServer, windows: Windows
) -> None:
    server = start_server()
    app = windows(Target(server.address), "alice")
    (bob,) = joined(server, "bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await welcomed(app)
        for number in range(60):
            bob.send({"type": "public", "text": f"filler {number}"})
        await until(lambda: len(said(app, "filler 59")) == 1, "the filler")
        pane = app.query_one(MessagePane)
        await until(lambda: pane.scroll_y == pane.max_scroll_y > 0, "the view at the bottom")
        await pilot.press("pageup")
        await until(lambda: pane.scroll_y < pane.max_scroll_y, "the view scrolled up")
        where = pane.scroll_y
        for number in range(3):
            bob.send({"type": "public", "text": f"news {number}"})
        await until(lambda: len(said(app, "news 2")) == 1, "the news")
        await pilot.pause()
        assert pane.scroll_y == where
        await until(lambda: "3 new below" in status_bar(app), "the count in the status bar")
        for _ in range(5):
            await pilot.press("pagedown")
        await until(lambda: pane.scroll_y == pane.max_scroll_y, "the bottom again")
        await until(lambda: "new below" not in status_bar(app), "the count gone")
        await pilot.press("pageup")
        await until(lambda: pane.scroll_y < pane.max_scroll_y, "scrolled up again")
        await pilot.press(*"my own line", "enter")  # what you say, you see
        await until(lambda: len(said(app, "my own line")) == 1, "the line")
        await until(lambda: pane.scroll_y == pane.max_scroll_y, "the view back at the bottom")
    bob.close()


async def test_the_scrollback_keeps_thousands_of_lines(
    start_server: StartServer, windows: Windows
) -> None:
    server = start_server()
    app = windows(Target(server.address), "alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await welcomed(app)
        pane = app.query_one(MessagePane)
        await until(lambda: pane.size.width > 0, "the pane laid out")
        for key in range(6000):
            pane.add(1_000_000 + key, [("", f"line {key}")])
        texts = pane.texts()
        assert texts[-1] == "line 5999"
        assert "line 0" in texts  # 6,000 lines are kept, and more
        await pilot.pause()
        assert pane.virtual_size.height >= 6000


async def test_the_countdown_shows_and_the_retry_key_reconnects_at_once_resuming(
    start_server: StartServer, windows: Windows
) -> None:
    store = InMemoryRoomStore()
    first = start_server(store=store)
    target = Target(first.address)
    app = windows(target, "alice", delays=lambda: itertools.repeat(30.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await welcomed(app)
        first.stop()
        await until(lambda: "reconnecting in 30 s" in status_bar(app), "the countdown")
        assert any("shutting down" in line for line in transcript(app))
        assert "online" not in status_bar(app)  # who is there is not known while away
        await pilot.press(*"typed while down", "enter")
        second = start_server(store=store)  # the same room, a new process
        target.address = second.address
        await pilot.press("f5")
        await until(lambda: app.session.connected, "the reconnect", timeout=5)
        assert app._history.older("") == "typed while down"  # F5 is not a line typed
        await until(lambda: any("reconnected as alice" in line for line in transcript(app)), "")
        await until(lambda: [m.text for m in store.public] == ["typed while down"], "the line")
        await until(lambda: len(said(app, "typed while down")) == 1, "its echo")
        assert "connected" in status_bar(app)


async def test_resizing_to_80x24_and_narrower_and_back_redraws_everything(
    start_server: StartServer, windows: Windows
) -> None:
    server = start_server()
    app = windows(Target(server.address), "alice")
    (bob,) = joined(server, "bob")
    long_text = "a long message " * 12
    async with app.run_test(size=(120, 30)) as pilot:
        await welcomed(app)
        bob.send({"type": "public", "text": long_text.strip()})
        await until(lambda: len(said(app, long_text.strip())) == 1, "bob's message")
        await pilot.press(*"half typed")
        nicks = app.query_one(NickList)
        pane = app.query_one(MessagePane)
        wide = pane.virtual_size.height
        await pilot.resize_terminal(80, 24)
        await until(lambda: pane.size.width < 80, "the new width")
        assert nicks.display  # 80x24 keeps the nick list
        await until(lambda: pane.virtual_size.height > wide, "the long line wrapped again")
        await pilot.resize_terminal(80, 8)  # shorter: the newest lines stay in view
        await until(lambda: pane.scroll_y == pane.max_scroll_y > 0, "the bottom in view")
        await pilot.resize_terminal(50, 20)
        await until(lambda: not nicks.display, "the nick list hidden on a narrow terminal")
        await pilot.resize_terminal(120, 30)
        await until(lambda: nicks.display, "the nick list back")
        await until(lambda: pane.virtual_size.height == wide, "the lines unwrapped")
        assert app.query_one(ChatInput).value == "half typed"
        await pilot.press("f2")
        assert not nicks.display  # F2 hides it
    bob.close()


async def test_ctrl_c_while_a_quit_waits_still_says_which_lines_never_went_out(
    start_server: StartServer, windows: Windows
) -> None:
    store = InMemoryRoomStore()
    server = start_server(store=store)
    app = windows(Target(server.address), "alice")
    lines = [f"line {number}" for number in range(30)]  # paced: this takes seconds
    async with app.run_test(size=(100, 30)) as pilot:
        await welcomed(app)
        burst(app, "".join(f"{line}\r" for line in lines) + "/quit\r")
        await until(lambda: len(said(app, "line 29")) == 1, "the lines, pending")
        await pilot.press("ctrl+c")
    assert app.unsent  # the quit came first: some lines were still waiting
    sent = [m.text for m in store.public]
    assert sent + app.unsent == lines  # every line either went out or is reported, in order


async def test_a_server_gone_while_choosing_a_nick_is_said_and_enter_tries_again(
    start_server: StartServer, windows: Windows
) -> None:
    first = start_server()
    target = Target(first.address)
    app = windows(target, None)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: "choosing a nickname" in status_bar(app), "the question")
        first.stop()
        await pilot.press(*"frank", "enter")
        await until(lambda: any("try again" in line for line in transcript(app)), "the reason")
        await until(lambda: app.query_one(ChatInput).value == "frank", "the nick offered back")
        assert app.is_running
        second = start_server()
        target.address = second.address
        await pilot.press("enter")
        await until(lambda: app.session.connected and app.session.nick == "frank", "joined")


async def test_however_the_window_closes_its_reader_stops_reconnecting(
    start_server: StartServer, windows: Windows
) -> None:
    server = start_server()
    app = windows(Target(server.address), "alice")
    async with app.run_test(size=(80, 24)):
        await welcomed(app)
        readers = [t for t in threading.enumerate() if t.name == "reader" and t.is_alive()]
    server.stop()  # after the window closed: nobody is there to reconnect for
    (reader,) = readers
    reader.join(timeout=5)
    assert not reader.is_alive()
