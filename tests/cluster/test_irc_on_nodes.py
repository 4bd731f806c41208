"""The IRC gateway on cluster nodes: IRC clients on one node, native clients on another, one
room: messages both ways in one order, one nick namespace, goodbyes seen everywhere."""

from tests.cluster.conftest import NodeProcess, StartNode
from tests.irc_client import IrcClient
from tests.wire_client import Frame, WireClient


def irc_address(node: NodeProcess) -> tuple[str, int]:
    listening = node.wait_for("server_listening", protocol="irc")
    return "127.0.0.1", int(listening["port"])


def next_public(client: WireClient) -> Frame:
    while (frame := client.recv())["type"] != "public":
        pass
    return frame


def test_an_irc_client_on_one_node_and_a_native_one_on_another_share_the_room(
    start_node: StartNode,
) -> None:
    irc_node = start_node("node1", "--rate", "0", "--irc-port", "0")
    native_node = start_node("node2", "--rate", "0")
    native = WireClient(native_node.address)
    assert native.hello("alice")["nick"] == "alice"
    irc = IrcClient(irc_address(irc_node))
    irc.register("bob", ["server-time", "message-tags"])

    irc.send("PRIVMSG #chat :hello from irc")
    frame = next_public(native)
    assert (frame["from"], frame["text"]) == ("bob", "hello from irc")

    native.send({"type": "public", "text": "/me waves back"})
    line = irc.lines_until(lambda line: line.command == "PRIVMSG" and line.nick == "alice")[-1]
    assert line.text == "\x01ACTION waves back\x01"
    echo = next_public(native)
    assert line.tags["msgid"] == str(echo["id"])
    assert line.tags["time"] == echo["ts"]
    assert int(line.tags["msgid"]) > frame["id"]  # one order for both protocols


def test_a_nick_taken_on_another_node_gets_433_and_a_quit_is_seen_there(
    start_node: StartNode,
) -> None:
    irc_node = start_node("node1", "--rate", "0", "--irc-port", "0")
    native_node = start_node("node2", "--rate", "0")
    native = WireClient(native_node.address)
    assert native.hello("carol")["nick"] == "carol"
    irc = IrcClient(irc_address(irc_node))
    irc.send("NICK CAROL")
    irc.send("USER c 0 * :c")
    taken = irc.expect("433")
    assert taken.params[1] == "CAROL"
    irc.register("dave")

    irc.send("QUIT :see you on the other node")
    assert irc.lines_until_closed()[-1].command == "ERROR"
    while (frame := native.recv())["type"] != "leave" or frame["nick"] != "dave":
        pass
    assert (frame["reason"], frame.get("message")) == ("quit", "see you on the other node")
