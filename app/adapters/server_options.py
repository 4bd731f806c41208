"""The chat server's command-line options: each checked, with a one-line error if wrong."""

import argparse
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from app.adapters.irc.options import add_irc_options, check_irc_options
from app.adapters.option_sources import parse_with_sources
from app.adapters.option_types import (
    HelpFormatter,
    OneLineErrorParser,
    host_name,
    in_range,
    version_text,
)
from app.adapters.tcp.limits import DEFAULT_MAX_OUTBUF
from app.adapters.tcp.server import DEFAULT_IO_THREADS, DEFAULT_MAX_CLIENTS
from app.domain.commands import HISTORY_MAX_LIMIT
from app.domain.flood import DEFAULT_BURST, DEFAULT_RATE
from app.domain.sessions import DEFAULT_RESUME_GRACE
from app.services.connection import DEFAULT_REGISTER_TIMEOUT
from app.services.membership import DEFAULT_BACKLOG


def parse_args(
    argv: Sequence[str] | None, environ: Mapping[str, str] | None = None
) -> argparse.Namespace:
    """The options from the command line, CHATROOM_* variables and a TOML --config file,
    in that order of precedence."""
    parser = OneLineErrorParser(
        prog="chat-server",
        description="Run the chat server. Press q in this terminal to stop.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_text("chat-server"))
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="a TOML file of options (keys as the long options, with _ for -:"
        ' port = 55555, log_dir = "/var/lib/chatroom"); also CHATROOM_CONFIG.'
        " Every option may also be set as CHATROOM_<OPTION>, e.g. CHATROOM_PORT=55555."
        " Precedence: command line, environment, file, defaults",
    )
    parser.add_argument("--host", type=host_name, default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=55555, help="TCP port (0: any free port)")
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=Path.cwd(),
        help="where the message logs and the room's store are kept"
        " (default: the directory it is started in)",
    )
    parser.add_argument(
        "--stats-interval", type=_seconds, default=5.0, help="seconds between stats lines"
    )
    parser.add_argument(
        "--log-format",
        choices=["console", "json"],
        default=None,
        help="how the console logs (default: console on a terminal, json otherwise)",
    )
    parser.add_argument(
        "--keys",
        choices=["terminal", "global"],
        default="terminal",
        help="where q is read: this terminal, or a global hotkey (needs root on Linux)",
    )
    parser.add_argument(
        "--io-threads", type=_io_threads, default=DEFAULT_IO_THREADS, help="I/O threads"
    )
    parser.add_argument(
        "--max-clients",
        type=_max_clients,
        default=DEFAULT_MAX_CLIENTS,
        help="clients served at once",
    )
    parser.add_argument(
        "--max-outbuf",
        type=_max_outbuf,
        default=DEFAULT_MAX_OUTBUF,
        help="bytes queued for one client before it is dropped as too slow",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=DEFAULT_RATE,
        help="messages a second one client may send on average (0: no limit)",
    )
    parser.add_argument(
        "--burst",
        type=_burst,
        default=DEFAULT_BURST,
        help="messages one client may send at once",
    )
    parser.add_argument(
        "--backlog",
        type=_backlog,
        default=DEFAULT_BACKLOG,
        help="recent public messages shown to whoever joins (0: none)",
    )
    parser.add_argument(
        "--resume-grace",
        type=_grace,
        default=DEFAULT_RESUME_GRACE,
        help="seconds a dropped client may take to come back to its nick and missed messages",
    )
    parser.add_argument(
        "--register-timeout",
        type=_seconds,
        default=DEFAULT_REGISTER_TIMEOUT,
        help="seconds a new connection has to say hello",
    )
    parser.add_argument(
        "--metrics-port",
        type=_port,
        default=None,
        help="serve Prometheus metrics over HTTP at /metrics on this port"
        " (0: any free port; default: off)",
    )
    parser.add_argument(
        "--metrics-host",
        type=host_name,
        default="127.0.0.1",
        help="address the metrics endpoint listens on",
    )
    cluster = parser.add_argument_group("running several servers as one room (docs/CLUSTER.md)")
    cluster.add_argument(
        "--redis",
        type=_redis_url,
        default=None,
        metavar="URL",
        help="join the cluster whose room is in this Redis, e.g. redis://127.0.0.1:6379/0"
        " (default: off, one server with its own SQLite store)",
    )
    cluster.add_argument(
        "--node-name",
        type=_node_name,
        default=None,
        help="this server's name in the cluster, unique among the nodes"
        " (default: this machine's name:port)",
    )
    cluster.add_argument(
        "--node-timeout",
        type=_node_timeout,
        default=DEFAULT_NODE_TIMEOUT,
        help="seconds without a heartbeat after which a node is declared dead",
    )
    add_irc_options(parser)
    args = parse_with_sources(parser, argv, os.environ if environ is None else environ)
    check_irc_options(parser, args)
    if args.redis is None:
        for option, value, default in (
            ("--node-name", args.node_name, None),
            ("--node-timeout", args.node_timeout, DEFAULT_NODE_TIMEOUT),
        ):
            if value != default:
                parser.error(f"{option} needs --redis: it only means something in a cluster")
    return args


DEFAULT_NODE_TIMEOUT = 5.0


def _redis_url(text: str) -> str:
    """redis://[:password@]host[:port][/db] (or rediss:// for TLS): checked here, so that a
    typo is one line now rather than a traceback, or the wrong database, later."""
    example = "a Redis URL such as redis://127.0.0.1:6379/0"
    try:
        url = urllib.parse.urlsplit(text)
        port = url.port  # ValueError if not a number from 0 to 65535
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {example}, not {text!r}") from None
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise argparse.ArgumentTypeError(f"must be {example}, not {text!r}")
    if port == 0:
        raise argparse.ArgumentTypeError(f"port 0 in {text!r}: Redis listens on a real port")
    database = url.path.lstrip("/")
    if database and not database.isdigit():
        raise argparse.ArgumentTypeError(
            f"the database in {text!r} must be a number (the part after the last /)"
        )
    if url.query:
        raise argparse.ArgumentTypeError(
            f"{text!r}: no ?options in the URL; the database goes after the last /"
        )
    return text


def _node_name(text: str) -> str:
    if not 1 <= len(text) <= 100 or not text.isprintable() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError("must be 1 to 100 printable characters without spaces")
    return text


_seconds = in_range(float, 0.0, 86_400.0, above_low=True)
_port = in_range(int, 0, 65_535)
_rate = in_range(float, 0.0, 1e6)
_backlog = in_range(int, 0, HISTORY_MAX_LIMIT)
_grace = in_range(float, 0.0, 7 * 86_400.0)  # a week: longer is not a reconnect
_io_threads = in_range(int, 1, 64)
_max_clients = in_range(int, 1, 1_000_000)
_max_outbuf = in_range(int, 1, 1 << 30)
_burst = in_range(int, 1, 1_000_000)
# Above a heartbeat (1 s) plus the pause that counts as Redis being away (1.5 s): see tick.lua.
_node_timeout = in_range(float, 3.0, 3_600.0)
