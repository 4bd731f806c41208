"""The loader's receive path alone: its CPU per delivered line for v1 and IRC lines, fed the
same chunk sizes. Shows that the IRC side costs no more per line than the v1 side: what
differs in a run is how a server packs its lines into `recv` chunks (ngircd's arrive about
3 KiB at a time in W1, chat-server's about 50 KiB), not the loader's work per line.

    .venv/bin/python -m bench.receive_cost
"""

import argparse
import json
import socket
import time
from collections.abc import Sequence

from bench.loadgen import Client, LoadWorker, message_text, receive_only_plan

CHUNK_SIZES: Sequence[int] = (3_072, 49_152)
LINES_PER_CASE = 200_000


def sample_line(dialect: str) -> bytes:
    """One delivered message as each server writes it (64-byte payload, as in W1)."""
    text = message_text(time.monotonic_ns(), 64)
    if dialect == "v1":
        frame = {"type": "public", "id": 123456, "ts": "2026-11-24T18:00:00.123Z"}
        frame |= {"nick": "b1a2345", "text": text}
        return (json.dumps(frame, separators=(",", ":")) + "\n").encode()
    return f":b1a2345!~b1a2345@127.0.0.1 PRIVMSG #bench :{text}\r\n".encode()


def cost_per_line(dialect: str, chunk_bytes: int) -> tuple[float, int]:
    """Microseconds of CPU per line for the loader to receive and count chunks of about
    `chunk_bytes`, with the socket's own send and recv measured apart and taken off."""
    plan = receive_only_plan(dialect, timeout=10)
    worker = LoadWorker(plan, [0], 0)
    ours, theirs = socket.socketpair()
    one = sample_line(dialect)
    per_chunk = max(1, chunk_bytes // len(one))
    chunk = one * per_chunk
    rounds = LINES_PER_CASE // per_chunk
    client = Client(ours, sender=False, probe=False, expected=0)
    try:
        started = time.process_time()
        for _ in range(rounds):
            theirs.send(chunk)
            worker._receive(client)  # the loader's own per-chunk path, nothing else
        receiving = time.process_time() - started
        started = time.process_time()
        for _ in range(rounds):
            theirs.send(chunk)
            ours.recv(len(chunk))
        bare = time.process_time() - started
    finally:
        ours.close()
        theirs.close()
    if client.received != rounds * per_chunk:
        raise RuntimeError(f"counted {client.received} of {rounds * per_chunk} lines")
    return (receiving - bare) / (rounds * per_chunk) * 1e6, len(one)


def main() -> None:
    argparse.ArgumentParser(prog="python -m bench.receive_cost", description=__doc__).parse_args()
    for chunk_bytes in CHUNK_SIZES:
        for dialect in ("v1", "irc"):
            micros, line_bytes = cost_per_line(dialect, chunk_bytes)
            print(
                f"{dialect:3}  chunks of ~{chunk_bytes:,} B, {line_bytes}-byte lines:"
                f" {micros:.3f} us of loader CPU per line"
            )


if __name__ == "__main__":
    main()
