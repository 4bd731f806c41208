"""Composition root of the chat server: builds the real adapters, runs until `q` or a signal."""

import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Protocol

import structlog

from app.adapters.clock import SystemClock
from app.adapters.confusables import nick_skeleton
from app.adapters.console.hotkey_keys import GlobalHotkeyKeys, HotkeyUnavailable
from app.adapters.console.logs import (
    LogFormat,
    configure_logging,
    default_log_format,
    status_line_for,
)
from app.adapters.console.reach import connect_commands, is_loopback
from app.adapters.console.stats import StatsReporter, StatusDisplay, log_totals
from app.adapters.console.terminal_keys import NoTerminal, TerminalKeys
from app.adapters.metrics.endpoint import MetricsEndpoint
from app.adapters.metrics.prometheus import PrometheusTelemetry
from app.adapters.random_names import random_first_name
from app.adapters.server_options import parse_args
from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.adapters.storage.sqlite import SqliteRoomStore
from app.adapters.tcp.connection import TransportTelemetry
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.server import DEFAULT_IO_THREADS, DEFAULT_MAX_CLIENTS, ChatServer
from app.adapters.tokens import new_token
from app.domain.flood import FloodLimits
from app.services.chat import ChatService
from app.services.membership import RoomSettings
from app.services.operator import wait_for_stop
from app.services.ports import Clock, KeySource, RoomStore, Telemetry

_log = structlog.get_logger()


class ServerTelemetry(Telemetry, TransportTelemetry, Protocol):
    """Where the chat service and the TCP adapter report, and what counts the users."""

    def users_online_from(self, count: Callable[[], float]) -> None: ...


def build_server(
    address: tuple[str, int],
    *,
    store: RoomStore,
    clock: Clock,
    suggest_name: Callable[[], str],
    make_secret: Callable[[], str] = new_token,
    settings: RoomSettings | None = None,
    io_threads: int = DEFAULT_IO_THREADS,
    max_clients: int = DEFAULT_MAX_CLIENTS,
    limits: ConnectionLimits | None = None,
    telemetry: ServerTelemetry | None = None,
) -> ChatServer:
    chat = ChatService(
        log=store,
        sessions=store,
        clock=clock,
        suggest_name=suggest_name,
        make_secret=make_secret,
        events=_log,
        nick_skeleton=nick_skeleton,
        settings=settings,
        telemetry=telemetry,
    )
    if telemetry is not None:
        telemetry.users_online_from(lambda: chat.snapshot().users)  # read at each scrape
    return ChatServer(
        address,
        chat,
        clock,
        io_threads=io_threads,
        max_clients=max_clients,
        limits=limits,
        telemetry=telemetry,
    )


def serve_metrics(
    host: str, port: int | None
) -> tuple[PrometheusTelemetry, MetricsEndpoint] | tuple[None, None]:
    """Metrics of their own (not prometheus_client's global registry), served over HTTP;
    nothing at all when `port` is None (the default: off). Raises OSError when the endpoint
    cannot listen."""
    if port is None:
        return None, None
    telemetry = PrometheusTelemetry()
    endpoint = MetricsEndpoint(host, port, telemetry.registry)
    _log.info("metrics_listening", url=endpoint.url)
    return telemetry, endpoint


def tell_how_to_connect(host: str, port: int) -> None:
    """Listening beyond this machine: how others connect, and that nothing is encrypted."""
    if is_loopback(host):
        return
    commands = connect_commands(host, port)
    for command in commands:
        _log.info("connect_from_another_machine", command=command)
    if not commands:
        _log.warning("no_network_address", advice="this machine has no address but loopback")
    _log.warning(
        "traffic_not_encrypted",
        advice="anyone on the network path can read the chat; use a VPN or an SSH tunnel",
    )


def open_key_source(kind: str) -> KeySource | None:
    try:
        if kind == "global":
            return GlobalHotkeyKeys()
        return TerminalKeys()
    except (NoTerminal, HotkeyUnavailable) as error:
        _log.warning("no_quit_key", reason=str(error), stop_with="Ctrl-C or SIGTERM")
        return None


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    log_format: LogFormat = args.log_format or default_log_format()
    configure_logging(log_format)
    try:
        text_logs = TextLogs(args.log_dir)
        store = SqliteRoomStore(args.log_dir, text_logs)
    except StorageUnavailable as error:
        _log.error("storage_unavailable", reason=str(error))
        sys.exit(1)
    try:
        telemetry, endpoint = serve_metrics(args.metrics_host, args.metrics_port)
    except OSError as error:
        _log.error(
            "cannot_serve_metrics",
            host=args.metrics_host,
            port=args.metrics_port,
            reason=error.strerror,
        )
        store.close()
        sys.exit(1)
    try:
        server = build_server(
            (args.host, args.port),
            store=store,
            clock=SystemClock(),
            suggest_name=random_first_name,
            settings=RoomSettings(
                backlog=args.backlog,
                resume_grace=args.resume_grace,
                max_waiting=args.max_clients,
            ),
            io_threads=args.io_threads,
            max_clients=args.max_clients,
            limits=ConnectionLimits(
                max_outbuf=args.max_outbuf,
                flood=FloodLimits(rate=args.rate, burst=args.burst),
                register_timeout=args.register_timeout,
            ),
            telemetry=telemetry,
        )
    except OSError as error:
        _log.error("cannot_listen", host=args.host, port=args.port, reason=error.strerror)
        if endpoint is not None:
            endpoint.close()
        store.close()
        sys.exit(1)
    try:
        run(server, store, args.stats_interval, args.keys, status_line_for(log_format))
    finally:
        if endpoint is not None:
            endpoint.close()
        store.close()
        text_logs.close()


def run(
    server: ChatServer,
    store: SqliteRoomStore,
    interval: float,
    keys: str,
    status: StatusDisplay | None = None,
) -> None:
    """Serve until q or a signal; the figures on `status` (a terminal's bottom row) if given,
    else as a `stats` line every `interval` seconds."""
    stop_requested = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # Its terminal closed: stop as cleanly as for SIGTERM (unless started with nohup).
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, request_stop)
    server.start()
    tell_how_to_connect(*server.address[:2])
    totals = store.totals()
    _log.info(
        "room_log",
        database=str(store.path),
        public_total=totals.public,
        private_total=totals.private,
    )
    reporter = StatsReporter(server.snapshot, interval, status=status)
    reporter.start()
    try:
        key_source = open_key_source(keys)
        if key_source is not None:
            _log.info("press_q_to_stop")
        try:
            cause = wait_for_stop(key_source, stop_requested)
        finally:
            if key_source is not None:
                key_source.close()
        _log.info("server_stopping", cause=cause.value)
    finally:
        # Whatever happened above, the terminal gets its scrolling back and every client
        # its shutdown frame.
        reporter.stop()
        server.stop()
    log_totals("final_totals", server.snapshot())


if __name__ == "__main__":
    main()
