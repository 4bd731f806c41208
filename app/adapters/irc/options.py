"""chat-server's IRC gateway options (--irc-*), each checked with a one-line error."""

import argparse
import socket

from app.adapters.irc.settings import DEFAULT_CHANNEL
from app.adapters.option_types import host_name, in_range

_port = in_range(int, 0, 65_535)
_CHANNEL_FORBIDDEN = frozenset(" ,:\x07")


def add_irc_options(parser: argparse.ArgumentParser) -> None:
    irc = parser.add_argument_group("the IRC gateway: IRC clients in the same room (docs/IRC.md)")
    irc.add_argument(
        "--irc-port",
        type=_port,
        default=None,
        help="also listen for IRC clients on this port, 6667 being the usual"
        " (0: any free port; default: off)",
    )
    irc.add_argument(
        "--irc-host",
        type=host_name,
        default=None,
        help="address the IRC gateway listens on (default: as --host)",
    )
    irc.add_argument(
        "--irc-server-name",
        type=_server_name,
        default=None,
        help="the gateway's name as IRC clients see it (default: this machine's host name)",
    )
    irc.add_argument(
        "--irc-channel",
        type=_channel,
        default=DEFAULT_CHANNEL,
        help="the one channel that is the room (quote it in a shell: '#general')",
    )
    irc.add_argument(
        "--no-irc-autojoin",
        dest="irc_autojoin",
        action="store_false",
        help="do not put a registered IRC client in the channel: it sends JOIN itself"
        " (default: the gateway joins it; in a config file: irc_autojoin = false)",
    )


def check_irc_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Options that mean nothing without the gateway, or with a cluster, are refused."""
    if args.irc_port is None:
        for option, value, default in (
            ("--irc-host", args.irc_host, None),
            ("--irc-server-name", args.irc_server_name, None),
            ("--irc-channel", args.irc_channel, DEFAULT_CHANNEL),
            ("--no-irc-autojoin", args.irc_autojoin, True),
        ):
            if value != default:
                key = option.removeprefix("--").replace("-", "_").replace("no_irc", "irc")
                parser.error(
                    f"{option} ({key} in a config file, CHATROOM_{key.upper()} in the"
                    " environment) needs --irc-port (irc_port): it only means something to"
                    " the IRC gateway"
                )
    elif args.irc_port == args.port != 0 and (args.irc_host or args.host) == args.host:
        parser.error(f"--irc-port {args.irc_port} is --port too: the two need ports of their own")
    elif not args.irc_autojoin and args.redis is not None:
        parser.error(
            "--no-irc-autojoin is for one server: a cluster node keeps every registered"
            " client in the room"
        )


def default_server_name() -> str:
    name = socket.gethostname()
    try:
        return _server_name(name)
    except argparse.ArgumentTypeError:
        return "chatroom"


def _server_name(text: str) -> str:
    if not 1 <= len(text) <= 63 or not all(c.isalnum() or c in ".-_" for c in text):
        raise argparse.ArgumentTypeError(
            "must be 1 to 63 letters, digits, '.', '-' or '_' (a host name)"
        )
    return text


def _channel(text: str) -> str:
    if not text.startswith("#") or not 2 <= len(text) <= 50:
        raise argparse.ArgumentTypeError("must be '#' and a name, 50 characters at most")
    if any(c in _CHANNEL_FORBIDDEN or not c.isprintable() for c in text):
        raise argparse.ArgumentTypeError(
            "may not hold spaces, commas, colons or control characters"
        )
    return text
