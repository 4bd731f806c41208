"""6. Every message anyone received is logged; storage failures are survived; stops lose nothing."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from app.adapters.storage.files import FileMessageLog
from app.adapters.storage.memory import InMemoryMessageLog
from tests.conftest import StartServer
from tests.wire_client import WireClient

SERVER = str(Path(sys.executable).parent / "chat-server")


def test_a_received_message_is_logged_even_if_the_server_is_killed_right_after(
    tmp_path: Path,
) -> None:
    with subprocess.Popen(
        [SERVER, "--port", "0", "--log-dir", str(tmp_path), "--log-format", "json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        port = int(process.stdout.readline().split('"port": ')[1].split(",")[0])
        client = WireClient(("127.0.0.1", port))
        client.hello("alice")
        for number in range(20):
            client.send({"type": "public", "text": f"m{number}"})
            client.send({"type": "private", "to": "alice", "text": f"p{number}"})
        received = [client.recv() for _ in range(40)]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=5)
    public = (tmp_path / "messages.txt").read_text().splitlines()
    private = (tmp_path / "private_messages.txt").read_text().splitlines()
    assert [line.split(": ", 1)[1] for line in public] == [
        f["text"] for f in received if f["type"] == "public"
    ]
    assert [line.split(": ", 1)[1] for line in private] == [
        f["text"] for f in received if f["type"] == "private"
    ]


def test_a_full_disk_is_an_error_for_the_sender_and_the_server_recovers_with_the_disk(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(log=FileMessageLog(tmp_path))
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
    server = start_server(log=FileMessageLog(tmp_path))
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
    server = start_server(log=FileMessageLog(log_dir))
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
    log = InMemoryMessageLog()
    server = start_server(log=log)
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
