"""W4's measurement against the real server, small: a handful of clients, a burst, SIGTERM
in the middle of it, and every client still gets every accepted message before the
shutdown frame."""

import subprocess
from dataclasses import replace
from pathlib import Path

import pexpect

from bench.shutdown import shutdown_under_load
from bench.suite import base_workload
from tests.e2e.conftest import StartServer


class Signalled:
    """The part of subprocess.Popen the measurement uses, for the server under pexpect."""

    def __init__(self, child: pexpect.spawn) -> None:
        self._child = child

    def send_signal(self, sig: int, /) -> None:
        self._child.kill(sig)

    def wait(self, timeout: float | None = None) -> int:
        try:
            self._child.expect(pexpect.EOF, timeout=timeout)  # its console, read to the end
        except pexpect.TIMEOUT:
            raise subprocess.TimeoutExpired("chat-server", timeout or 0) from None
        self._child.wait()
        return self._child.exitstatus or 0


def test_a_stop_under_load_delivers_everything_accepted_before_the_shutdown_frame(
    servers: StartServer, tmp_path: Path
) -> None:
    server = servers("--rate", "0")  # flood control off: the senders go flat out
    workload = replace(
        base_workload(procs=2), port=server.port, clients=6, senders=2, messages=2_000, timeout=20
    )
    report = shutdown_under_load(workload, Signalled(server.child), tmp_path)
    assert report.registered == 6
    assert report.accepted > 0
    assert report.connected_at_signal == 6
    assert report.complete == 6, report
    assert report.exit_seconds is not None
    assert report.exit_seconds < 2
    assert report.passed, report
