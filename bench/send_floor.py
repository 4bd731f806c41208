"""The least server CPU a Python fan-out can cost: W2's sends and nothing else.

W2 (steady chat) delivers every message on its own: at 100 messages a second, spread evenly,
there is nothing to batch, so any server makes one `send` per recipient per message. This
measures what those sends alone cost from Python: one process holds `--clients` TCP
connections on 127.0.0.1 and, `--messages` times at `--rate` a second, sends one W2-sized
frame to each of them in the tightest loop Python has (a list of bound `send` methods); a
second process reads them all, as the load generator would. Its CPU (user + system, from
getrusage) is the floor under chat-server's W2 figure: what chat-server spends above it is
its own work per message (decode, validate, log, commit, encode) and per recipient.

    .venv/bin/python -m bench.send_floor --clients 200 --messages 1000 --rate 100
"""

import argparse
import contextlib
import multiprocessing
import multiprocessing.synchronize
import resource
import selectors
import socket
import time
from collections.abc import Sequence

_FRAME = b'{"type":"public","id":1,"nick":"b1234","text":"' + b"x" * 96 + b'"}\n'


def _read_everything(port: int, clients: int, expected: int, ready: "Ready") -> None:
    """The other end: connect every client, then read until all is in (or 60 s pass)."""
    selector = selectors.DefaultSelector()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(clients)]
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    ready.set()
    received = 0
    deadline = time.monotonic() + 60
    while received < expected and time.monotonic() < deadline:
        for key, _ in selector.select(1):
            with contextlib.suppress(BlockingIOError):
                received += len(key.fileobj.recv(262_144))  # type: ignore[union-attr]
    for sock in sockets:
        sock.close()


Ready = multiprocessing.synchronize.Event


def measure(clients: int, messages: int, rate: float) -> tuple[float, float]:
    """(user, system) CPU seconds the sending process spent on its sends."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    reader = context.Process(
        target=_read_everything,
        args=(port, clients, clients * messages * len(_FRAME), ready),
        daemon=True,
    )
    reader.start()
    listener.settimeout(10)
    connections = [listener.accept()[0] for _ in range(clients)]
    for connection in connections:
        connection.setblocking(False)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if not ready.wait(timeout=30):
        raise TimeoutError("the reading process did not connect")
    sends = [connection.send for connection in connections]
    before = resource.getrusage(resource.RUSAGE_SELF)
    due = time.monotonic()
    for _ in range(messages):
        for send in sends:
            send(_FRAME)  # 150 bytes into an empty socket buffer: always taken whole
        due += 1 / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    after = resource.getrusage(resource.RUSAGE_SELF)
    reader.join(timeout=70)
    for connection in connections:
        connection.close()
    listener.close()
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.send_floor", description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=1000, help="frames per client")
    parser.add_argument("--rate", type=float, default=100, help="messages a second")
    args = parser.parse_args(argv)
    user, system = measure(args.clients, args.messages, args.rate)
    sends = args.clients * args.messages
    print(
        f"{sends:,} sends of {len(_FRAME)} bytes: CPU {user + system:.2f} s"
        f" (user {user:.2f}, system {system:.2f}), {(user + system) / sends * 1e6:.2f} us per send"
    )
    if user + system < 0.1:  # getrusage's figures come in scheduler ticks
        print("too short to measure well: use more --clients or --messages")


if __name__ == "__main__":
    main()
