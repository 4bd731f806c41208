"""Composition root of the chat server: builds the real adapters, runs until `q` or a signal."""

import argparse
import contextlib
import functools
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, Protocol

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
from app.adapters.irc.options import default_server_name
from app.adapters.irc.protocol import IrcProtocol
from app.adapters.irc.settings import IrcSettings
from app.adapters.metrics.endpoint import MetricsEndpoint
from app.adapters.metrics.prometheus import PrometheusTelemetry
from app.adapters.random_names import random_first_name
from app.adapters.redis.node import ClusterNode, NodeStartFailed
from app.adapters.redis.scripts import connect as redis_connect
from app.adapters.redis.store import RedisRoomStore
from app.adapters.server_options import parse_args
from app.adapters.storage.cluster_archive import (
    ClusterArchive,
    refuse_if_cluster_node_directory,
)
from app.adapters.storage.files import StorageUnavailable, TextLogs
from app.adapters.storage.sqlite import SqliteRoomStore
from app.adapters.tcp.connection import TransportTelemetry
from app.adapters.tcp.limits import ConnectionLimits
from app.adapters.tcp.server import (
    DEFAULT_IO_THREADS,
    DEFAULT_MAX_CLIENTS,
    CannotListen,
    ChatServer,
)
from app.adapters.tokens import new_token
from app.domain.flood import FloodLimits
from app.domain.nicknames import fold_nick
from app.services.chat import ChatService
from app.services.cluster_chat import ClusterChatService
from app.services.cluster_delivery import ClusterDelivery
from app.services.membership import RoomSettings
from app.services.operator import wait_for_stop
from app.services.ports import Clock, KeySource, RoomStore, Telemetry
from app.services.room_api import ChatRoom

_log = structlog.get_logger()


IrcListener = tuple[tuple[str, int], IrcSettings]  # where the IRC gateway listens, and how


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
    irc: IrcListener | None = None,
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
    return _serve(
        address,
        chat,
        clock,
        io_threads=io_threads,
        max_clients=max_clients,
        limits=limits,
        telemetry=telemetry,
        irc=irc,
    )


def _serve(
    address: tuple[str, int],
    chat: ChatRoom,
    clock: Clock,
    *,
    io_threads: int,
    max_clients: int,
    limits: ConnectionLimits | None,
    telemetry: ServerTelemetry | None,
    irc: IrcListener | None,
) -> ChatServer:
    """The TCP server over either kind of room, with the IRC gateway if asked for; the
    metrics read its users at each scrape."""
    if telemetry is not None:
        telemetry.users_online_from(lambda: chat.snapshot().users)
    limits = limits or ConnectionLimits()
    also = []
    if irc is not None:
        irc_address, irc_settings = irc
        also.append((irc_address, IrcProtocol(chat, clock, limits, irc_settings)))
    return ChatServer(
        address,
        chat,
        clock,
        io_threads=io_threads,
        max_clients=max_clients,
        limits=limits,
        telemetry=telemetry,
        also=also,
    )


def build_cluster_node(
    address: tuple[str, int],
    *,
    redis_url: str,
    node_name: str,
    node_timeout: float,
    text_logs: TextLogs,
    clock: Clock,
    suggest_name: Callable[[], str],
    make_secret: Callable[[], str] = new_token,
    settings: RoomSettings | None = None,
    io_threads: int = DEFAULT_IO_THREADS,
    max_clients: int = DEFAULT_MAX_CLIENTS,
    limits: ConnectionLimits | None = None,
    telemetry: ServerTelemetry | None = None,
    irc: IrcListener | None = None,
) -> tuple[ChatServer, ClusterNode]:
    """A node of the cluster whose room is in Redis at `redis_url`. Raises OSError when it
    cannot listen or keep its log files, NodeStartFailed when it cannot join."""
    settings = settings or RoomSettings()
    store = RedisRoomStore(
        redis_connect(redis_url),
        redis_connect(redis_url, timeout=5.0),
        node=node_name,
        nick_key=lambda nick: nick_skeleton(fold_nick(nick)),
        fold=fold_nick,
    )
    archive = ClusterArchive(text_logs.directory, text_logs)
    delivery = ClusterDelivery(
        node=node_name,
        log=store,
        archive=archive,
        clock=clock,
        events=_log,
        settings=settings,
    )
    chat = ClusterChatService(
        store=store,
        log=store,
        clock=clock,
        suggest_name=suggest_name,
        make_secret=make_secret,
        events=_log,
        delivery=delivery,
        settings=settings,
        telemetry=telemetry,
    )
    node = ClusterNode(
        store,
        chat,
        delivery,
        archive,
        node_timeout=node_timeout,
        resume_grace=settings.resume_grace,
        max_waiting=settings.max_waiting,
    )
    server = _serve(
        address,
        chat,
        clock,
        io_threads=io_threads,
        max_clients=max_clients,
        limits=limits,
        telemetry=telemetry,
        irc=irc,
    )
    return server, node


def default_node_name(port: int) -> str:
    """This machine's name and the port: unique across machines that listen on the same
    address and port. With port 0 (any free one), a random suffix instead."""
    return f"{socket.gethostname()}:{port if port else 'any-' + uuid.uuid4().hex[:8]}"


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
    with contextlib.ExitStack() as cleanup:
        try:
            text_logs = TextLogs(args.log_dir)
            cleanup.callback(text_logs.close)
            if not args.redis:
                refuse_if_cluster_node_directory(args.log_dir)
            store = None if args.redis else SqliteRoomStore(args.log_dir, text_logs)
        except StorageUnavailable as error:
            _log.error("storage_unavailable", reason=str(error))
            sys.exit(1)
        if store is not None:
            cleanup.callback(store.close)
        try:
            telemetry, endpoint = serve_metrics(args.metrics_host, args.metrics_port)
        except OSError as error:
            _log.error(
                "cannot_serve_metrics",
                host=args.metrics_host,
                port=args.metrics_port,
                reason=error.strerror,
            )
            sys.exit(1)
        if endpoint is not None:
            cleanup.callback(endpoint.close)
        common = _server_settings(args, telemetry)
        try:
            if store is not None:
                server = build_server((args.host, args.port), store=store, **common)
                node = None
            else:
                server, node = build_cluster_node(
                    (args.host, args.port),
                    redis_url=args.redis,
                    node_name=args.node_name or default_node_name(args.port),
                    node_timeout=args.node_timeout,
                    text_logs=text_logs,
                    **common,
                )
        except StorageUnavailable as error:
            _log.error("storage_unavailable", reason=str(error))
            sys.exit(1)
        except CannotListen as error:
            host, port = error.address
            _log.error("cannot_listen", host=host, port=port, reason=error.strerror)
            sys.exit(1)
        except OSError as error:
            _log.error("cannot_listen", host=args.host, port=args.port, reason=error.strerror)
            sys.exit(1)
        if node is not None:
            _join_cluster(server, node, cleanup)
            started: Callable[[], None] = lambda: None  # noqa: E731
        else:
            assert store is not None
            started = functools.partial(_say_room_log, store)
        run(server, args.stats_interval, args.keys, status_line_for(log_format), started)


def _server_settings(args: argparse.Namespace, telemetry: ServerTelemetry | None) -> Any:
    return {
        "clock": SystemClock(),
        "suggest_name": random_first_name,
        "settings": RoomSettings(
            backlog=args.backlog, resume_grace=args.resume_grace, max_waiting=args.max_clients
        ),
        "io_threads": args.io_threads,
        "max_clients": args.max_clients,
        "limits": ConnectionLimits(
            max_outbuf=args.max_outbuf,
            flood=FloodLimits(rate=args.rate, burst=args.burst),
            register_timeout=args.register_timeout,
        ),
        "telemetry": telemetry,
        "irc": _irc_listener(args),
    }


def _irc_listener(args: argparse.Namespace) -> IrcListener | None:
    if args.irc_port is None:
        return None
    settings = IrcSettings(
        server=args.irc_server_name or default_server_name(),
        channel=args.irc_channel,
        autojoin=args.irc_autojoin,
    )
    return (args.irc_host or args.host, args.irc_port), settings


def _join_cluster(server: ChatServer, node: ClusterNode, cleanup: contextlib.ExitStack) -> None:
    """Before any client is served: registered, the log files caught up, the stream followed.
    At the stop, after the clients were told: this node's users leave the room."""
    try:
        node.start()
    except (NodeStartFailed, ValueError) as error:
        server.close_listener()
        _log.error("cluster_unavailable", reason=str(error))
        sys.exit(1)
    cleanup.callback(node.stop)


def _say_room_log(store: SqliteRoomStore) -> None:
    totals = store.totals()
    _log.info(
        "room_log",
        database=str(store.path),
        public_total=totals.public,
        private_total=totals.private,
    )


def run(
    server: ChatServer,
    interval: float,
    keys: str,
    status: StatusDisplay | None = None,
    started: Callable[[], None] = lambda: None,
) -> None:
    """Serve until q or a signal; the figures on `status` (a terminal's bottom row) if given,
    else as a `stats` line every `interval` seconds. `started` says more once listening."""
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
    started()
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
