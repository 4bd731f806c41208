"""Types for command-line options: numbers in a range, each error a line a person can act on."""

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

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
