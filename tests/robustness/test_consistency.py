"""7. Twenty clients sending 500 messages each at once: one order for all, and the log agrees."""

import threading
from collections.abc import Callable
from pathlib import Path

from tests.conftest import StartServer
from tests.stores import disk_store
from tests.wire_client import Frame, WireClient

SENDERS = 20
MESSAGES = 500
TOTAL = SENDERS * MESSAGES


def test_every_client_receives_all_messages_in_one_order_matching_the_log(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(store=disk_store(tmp_path))
    clients = [WireClient(server.address) for _ in range(SENDERS)]
    for number, client in enumerate(clients):
        client.hello(f"s{number}")
    for client in clients:
        client.drain()
    received: list[list[Frame]] = [[] for _ in clients]
    go = threading.Barrier(SENDERS * 2)

    def send(client: WireClient, number: int) -> None:
        go.wait()
        for message in range(MESSAGES):
            client.send({"type": "public", "text": f"s{number} #{message}"})

    def receive(client: WireClient, into: list[Frame]) -> None:
        go.wait()
        while len(into) < TOTAL:
            into.append(client.expect("public"))

    send_and_receive_at_once(clients, send, receive, received)

    order = [(frame["id"], frame["from"], frame["text"]) for frame in received[0]]
    assert len(order) == TOTAL
    for frames in received[1:]:
        assert [(f["id"], f["from"], f["text"]) for f in frames] == order
    assert [entry[0] for entry in order] == list(range(1, TOTAL + 1))
    for number in range(SENDERS):  # each sender's messages in the order sent
        mine = [text for _, sender, text in order if sender == f"s{number}"]
        assert mine == [f"s{number} #{message}" for message in range(MESSAGES)]
    lines = (tmp_path / "messages.txt").read_text().splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [f"{s}: {t}" for _, s, t in order]
    clients[0].send({"type": "stats"})
    stats = clients[0].expect("stats")
    assert (stats["public_total"], stats["private_total"]) == (TOTAL, 0)
    for client in clients:
        client.close()


def test_with_two_io_threads_private_messages_keep_their_place_among_the_public_ones(
    start_server: StartServer,
) -> None:
    server = start_server(io_threads=2)
    clients = [WireClient(server.address) for _ in range(6)]
    for number, client in enumerate(clients):
        client.hello(f"c{number}")
    for client in clients:
        client.drain()
    per_client = 150
    # Publics from everyone, plus its own privates' echoes and those sent to it.
    expected = len(clients) * per_client // 2 + per_client
    go = threading.Barrier(len(clients) * 2)
    received: list[list[Frame]] = [[] for _ in clients]
    failures: list[BaseException] = []

    def send(client: WireClient, number: int) -> None:
        go.wait()
        for message in range(per_client):
            if message % 2:
                to = f"c{(number + 1) % len(clients)}"
                client.send({"type": "private", "to": to, "text": f"p{message}"})
            else:
                client.send({"type": "public", "text": f"m{message}"})

    def receive(client: WireClient, into: list[Frame]) -> None:
        go.wait()
        try:
            while len(into) < expected:
                frame = client.recv()
                if frame["type"] in ("public", "private"):
                    into.append(frame)
        except (OSError, ConnectionError) as failure:  # a timeout among them
            failures.append(failure)

    send_and_receive_at_once(clients, send, receive, received)
    assert failures == []
    for frames in received:
        ids = [frame["id"] for frame in frames]
        assert len(ids) == expected  # nothing lost
        assert ids == sorted(set(ids))  # one order: a private never overtakes a public
    for client in clients:
        client.close()


def send_and_receive_at_once(
    clients: list[WireClient],
    send: Callable[[WireClient, int], None],
    receive: Callable[[WireClient, list[Frame]], None],
    received: list[list[Frame]],
) -> None:
    """A sending and a receiving thread per client, all started together, all finished."""
    threads = [threading.Thread(target=send, args=(c, n)) for n, c in enumerate(clients)]
    threads += [
        threading.Thread(target=receive, args=(c, r))
        for c, r in zip(clients, received, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
