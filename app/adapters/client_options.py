"""The chat client's command-line options: each checked, with a one-line error if wrong."""

import argparse
from collections.abc import Sequence
from typing import Final

from app.adapters.option_types import (
    HelpFormatter,
    OneLineErrorParser,
    host_name,
    in_range,
    version_text,
)
from app.adapters.terminal.commands import HELP_TEXT
from app.domain.errors import InvalidNick
from app.domain.nicknames import validate_nick

_PIPE_MODE: Final = """\
Pipe mode: when standard input is not a terminal, the client reads lines and prints plain
lines, for scripts. The first line is the nickname unless --nick is given; every further line
is sent (commands work); history lines start with "[history] "; at the end of input it waits
for the echo of its last message, then quits. Exit status: 0 when every line went through,
1 when it could not join or stay, 3 when some lines were refused (each reason on stderr).
  printf 'hello from a script\\n' | chat-client --nick bot"""


def _nick(text: str) -> str:
    """The server's own nickname rules, checked before connecting."""
    try:
        return validate_nick(text)
    except InvalidNick as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = OneLineErrorParser(
        prog="chat-client",
        description="Join a chat server: a full-screen window on a terminal, lines in a pipe.",
        epilog=HELP_TEXT.replace("Commands:", "Commands, in the chat:", 1) + f"\n\n{_PIPE_MODE}",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_text("chat-client"))
    parser.add_argument("--host", type=host_name, default="127.0.0.1", help="server address")
    parser.add_argument("--port", type=in_range(int, 1, 65_535), default=55555, help="server port")
    parser.add_argument(
        "--nick",
        type=_nick,
        default=None,
        help="nickname (default: asked for, on a terminal; the first line, in a pipe)",
    )
    parser.add_argument(
        "--no-color", action="store_true", help="no colours (as does the NO_COLOR variable)"
    )
    return parser.parse_args(argv)
