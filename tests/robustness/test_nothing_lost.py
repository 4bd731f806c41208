"""6. Every message anyone received is logged; storage failures are survived; stops lose nothing."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from app.adapters.storage.memory import InMemoryRoomStore
from app.adapters.storage.sqlite import SqliteRoomStore
from tests.conftest import StartServer
from tests.stores import disk_store
from tests.wire_client import Frame, WireClient

SERVER = str(Path(sys.executable).parent / "chat-server")


def start_server_process(log_dir: Path) -> tuple[subprocess.Popen[str], int]:
    """chat-server as an operator runs it, flood control off; returns it and its port."""
    process = subprocess.Popen(
        [SERVER, "--port", "0", "--log-dir", str(log_dir), "--log-format", "json", "--rate", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().split('"port": ')[1].split(",")[0])
    return process, port


def test_an_acknowledged_message_survives_sigkill_in_the_store_and_the_text_logs(
    tmp_path: Path,
) -> None:
    process, port = start_server_process(tmp_path)
    with process:
        client = WireClient(("127.0.0.1", port))
        client.hello("alice")
        for number in range(20):
            client.send({"type": "public", "text": f"m{number}"})
            client.send({"type": "private", "to": "alice", "text": f"p{number}"})
        echoes = [client.recv() for _ in range(40)]
        process.send_signal(signal.SIGKILL)  # right after the last echo: no chance to tidy up
        process.wait(timeout=5)
    public = (tmp_path / "messages.txt").read_text().splitlines()
    private = (tmp_path / "private_messages.txt").read_text().splitlines()
    assert [line.split(": ", 1)[1] for line in public] == [
        f["text"] for f in echoes if f["type"] == "public"
    ]
    assert [line.split(": ", 1)[1] for line in private] == [
        f["text"] for f in echoes if f["type"] == "private"
    ]
    store = SqliteRoomStore(tmp_path)
    (alice,) = store.sessions()
    stored = store.after(0, 100, visible_to=alice.id)
    assert [(m.id, m.text) for m in stored] == [(f["id"], f["text"]) for f in echoes]
    store.close()


def test_sigterm_while_20_clients_send_gives_each_every_logged_message_then_the_shutdown(
    tmp_path: Path,
) -> None:
    process, port = start_server_process(tmp_path)
    clients = [WireClient(("127.0.0.1", port)) for _ in range(20)]
    for number, client in enumerate(clients):
        client.hello(f"c{number}")
    received: list[list[Frame]] = [[] for _ in clients]
    under_way = threading.Event()

    def read(index: int) -> None:
        received[index] = frames = []
        with contextlib.suppress(ConnectionError):
            while True:
                frames.append(clients[index].recv())
                if len(frames) == 300:
                    under_way.set()

    def send(client: WireClient) -> None:
        with contextlib.suppress(OSError):  # the server is gone: expected part-way through
            for number in range(2000):
                client.send({"type": "public", "text": f"n{number}"})

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(clients))]
    threads += [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    assert under_way.wait(timeout=10)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    for thread in threads:
        thread.join(timeout=10)
    process.stdout.close()  # type: ignore[union-attr]

    logged = [
        line.split(": ", 1)[1] for line in (tmp_path / "messages.txt").read_text().splitlines()
    ]
    assert len(logged) > 300
    for frames in received:
        assert frames[-1]["type"] == "shutdown"
        assert [f["text"] for f in frames if f["type"] == "public"] == logged
    for client in clients:
        client.close()


def test_a_full_disk_is_an_error_for_the_sender_and_the_server_recovers_with_the_disk(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(store=disk_store(tmp_path))
    alice, bob = WireClient(server.address), WireClient(server.address)
    alice.hello("alice")
    bob.hello("bob")
    alice.drain()
    log_file = tmp_path / "messages.txt"

    log_file.unlink()
    log_file.symlink_to("/dev/full")  # every write: ENOSPC
    alice.send({"type": "public", "text": "into the void"})
    error = alice.expect("error")
    assert error["code"] == "storage_failed"
    assert bob.drain() == []  # not delivered

    log_file.unlink()  # space again
    alice.send({"type": "public", "text": "back"})
    assert alice.expect("public")["id"] == 1  # the failed one used up no id
    assert bob.expect("public")["text"] == "back"
    assert log_file.read_text().endswith("alice: back\n")
    alice.send({"type": "stats"})
    assert alice.expect("stats")["public_total"] == 1


def test_a_removed_log_file_is_started_anew_not_written_into_the_void(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(store=disk_store(tmp_path))
    alice = WireClient(server.address)
    alice.hello("alice")
    alice.send({"type": "private", "to": "alice", "text": "one"})
    alice.expect("private")
    (tmp_path / "private_messages.txt").unlink()
    alice.send({"type": "private", "to": "alice", "text": "two"})
    alice.expect("private")
    assert (tmp_path / "private_messages.txt").read_text().endswith("alice -> alice: two\n")


def test_a_log_directory_that_disappears_and_returns_is_survived(
    start_server: StartServer, tmp_path: Path
) -> None:
    log_dir = tmp_path / "logs"
    server = start_server(store=disk_store(log_dir))
    alice = WireClient(server.address)
    alice.hello("alice")
    for name in os.listdir(log_dir):
        (log_dir / name).unlink()
    log_dir.rmdir()
    alice.send({"type": "public", "text": "nowhere to go"})
    assert alice.expect("error")["code"] == "storage_failed"
    log_dir.mkdir()
    alice.send({"type": "public", "text": "home again"})
    assert alice.expect("public")["text"] == "home again"


def test_a_stop_while_50_clients_send_logs_and_delivers_every_accepted_message_first(
    start_server: StartServer,
) -> None:
    log = InMemoryRoomStore()
    server = start_server(store=log)
    clients = [WireClient(server.address) for _ in range(50)]
    for number, client in enumerate(clients):
        client.hello(f"c{number}")
    started = threading.Barrier(51)

    def send(client: WireClient) -> None:
        started.wait()
        try:
            for number in range(100):
                client.send({"type": "public", "text": f"n{number}"})
        except OSError:
            pass  # the server is gone: expected part-way through

    senders = [threading.Thread(target=send, args=(client,)) for client in clients]
    for sender in senders:
        sender.start()
    started.wait()
    server.stop()
    for sender in senders:
        sender.join(timeout=10)

    logged = [(message.id, message.sender, message.text) for message in log.public]
    for client in clients:
        frames = client.frames_until_closed()
        assert frames[-1]["type"] == "shutdown"
        publics = [f for f in frames if f["type"] == "public"]
        seen = [(f["id"], f["from"], f["text"]) for f in publics]
        # Whatever it had already seen before the stop came first; the rest is all here.
        assert seen == logged[len(logged) - len(seen) :]
        client.close()
    assert [entry[0] for entry in logged] == list(range(1, len(logged) + 1))
