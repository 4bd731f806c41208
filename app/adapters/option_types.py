"""Types for command-line options: numbers in a range, each error a line a person can act on."""

import argparse
import ipaddress
import math
import socket
from collections.abc import Callable
from importlib import metadata
from typing import NoReturn, TypeVar

Number = TypeVar("Number", int, float)


def in_range(
    parse: Callable[[str], Number], low: Number, high: Number, *, above_low: bool = False
) -> Callable[[str], Number]:
    """An argparse type: a finite number from `low` (or just above it) to `high`, with a
    one-line error saying which."""

    def check(text: str) -> Number:
        try:
            value = parse(text)
        except ValueError:
            kind = "a whole number" if parse is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        below = value <= low if above_low else value < low
        if not math.isfinite(value) or below or value > high:
            lowest = f"more than {_shown(low)}" if above_low else _shown(low)
            raise argparse.ArgumentTypeError(f"must be {lowest} up to {_shown(high)}, not {text}")
        return value

    return check


def _shown(number: float) -> str:
    """1073741824 as such, not 1.07374e+09; 0.5 as 0.5."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (`chat-server: error: ...`) and status 2, not
    the whole usage summary before it: what the operator reads in a journal is the why."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """`--help` shows each option's default, and the description and epilog as written.
    An option without a meaningful default (None, off) says nothing of it; one whose help
    already says its default is left alone."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default is None or action.default is False or "default" in text:
            return text
        return super()._get_help_string(action)


def version_text(program: str) -> str:
    """`chat-server 0.1.0`: the installed package's version."""
    try:
        number = metadata.version("chatroom")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        number = "unknown"
    return f"{program} {number}"


def host_name(text: str) -> str:
    """An argparse type: an IP address, or a name this machine can resolve."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return text
    try:
        socket.getaddrinfo(text, None)
    except (OSError, UnicodeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an IP address nor a host name this machine knows"
        ) from None
    return text
