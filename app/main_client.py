"""Composition root of the chat client: a full-screen window, or plain lines for a pipe."""

import os
import sys
from collections.abc import Sequence

from app.adapters.client_options import parse_args
from app.adapters.tcp.client import ConnectionLost, ServerConnection
from app.adapters.terminal.piped import run_piped
from app.adapters.terminal.render import printable
from app.adapters.terminal.state import InputHistory, history_file
from app.adapters.tui.window import ChatWindow


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        connection = ServerConnection.open(args.host, args.port)
    except ConnectionLost as error:
        print(f"chat-client: {error}", file=sys.stderr)
        sys.exit(1)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.exit(run_piped(connection, args.nick, sys.stdin))
    if args.no_color:
        os.environ["NO_COLOR"] = "1"  # Textual draws its own parts without colour, too
    window = ChatWindow(
        connection,
        lambda: ServerConnection.open(args.host, args.port),
        server=f"{args.host}:{args.port}",
        nick=args.nick,
        history=InputHistory(history_file()),
        color=not os.environ.get("NO_COLOR"),
    )
    status = window.run()
    for line in window.unsent:
        print(f"! not sent: {printable(line)}")
    sys.exit(status if status is not None else 0)


if __name__ == "__main__":
    main()
