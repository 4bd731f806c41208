"""Composition root of the chat client: a terminal front end, or plain lines for a pipe."""

import argparse
import os
import sys
from collections.abc import Sequence

from app.adapters.option_types import in_range
from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.terminal.interactive import run_interactive
from app.adapters.terminal.piped import run_piped


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chat-client", description="Join a chat server.")
    parser.add_argument("--host", default="127.0.0.1", help="server address")
    parser.add_argument("--port", type=in_range(int, 1, 65_535), default=55555, help="server port")
    parser.add_argument("--nick", default=None, help="nickname (asked for when left out)")
    parser.add_argument(
        "--no-color", action="store_true", help="no colours (as does the NO_COLOR variable)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        connection = ServerConnection.open(args.host, args.port)
    except ConnectionLost as error:
        print(f"chat-client: {error}", file=sys.stderr)
        sys.exit(1)
    if sys.stdin.isatty() and sys.stdout.isatty():
        color = not args.no_color and not os.environ.get("NO_COLOR")
        first = [connection]  # the one opened above is used first; later ones are opened anew

        def open_connection() -> ServerConnection:
            if first:
                return first.pop()
            return ServerConnection.open(args.host, args.port)

        status = run_interactive(open_connection, args.nick, color=color)
    else:
        status = run_piped(connection, args.nick, sys.stdin)
    sys.exit(status)


if __name__ == "__main__":
    main()
