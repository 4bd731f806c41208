"""A small run of the real `chat-bench` against the real server: the benchmark keeps working."""

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import BIN, ServerProcess


def test_chat_bench_counts_every_delivery_of_a_small_fan_out(
    server_process: ServerProcess, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            str(BIN / "chat-bench"),
            "--port",
            str(server_process.port),
            "--clients",
            "6",
            "--senders",
            "2",
            "--messages",
            "4",  # within the server's default burst: nothing rate limited
            "--procs",
            "2",
            "--server-pid",
            str(server_process.child.pid),
            "--timeout",
            "20",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["registered"] == 6
    assert report["deliveries_expected"] == 2 * 4 * 5  # to everyone but the sender
    assert report["deliveries_received"] == report["deliveries_expected"]
    assert report["latency_ms"]["max"] > 0
    assert report["server_cpu_seconds"] is not None
