"""The transcript's style names (see terminal/render.py) as terminal styles."""

from rich.style import Style

from app.adapters.terminal.render import NICK_COLOURS

# Ten nick colours that read on dark and light backgrounds alike; no magenta, which marks
# private messages.
_NICK_PALETTE = (
    "red",
    "green",
    "yellow",
    "blue",
    "cyan",
    "bright_red",
    "bright_green",
    "bright_yellow",
    "bright_blue",
    "bright_cyan",
)
assert len(_NICK_PALETTE) == NICK_COLOURS

_COLOURED = {
    "time": "bright_black",
    "self": "bold",
    "notice": "bright_black",
    "action": "italic",
    "private": "bold magenta",
    "mention": "reverse bold",
    "warning": "yellow",
    "history": "dim",
    "pending": "dim",
    "divider": "bold bright_black",
    "error": "bold red",
    **{f"nick{index}": colour for index, colour in enumerate(_NICK_PALETTE)},
}
# Without colour, what tells lines apart is kept: bold, italic, reverse, dim.
_PLAIN = {
    "self": "bold",
    "action": "italic",
    "private": "bold",
    "mention": "reverse bold",
    "history": "dim",
    "pending": "dim",
    "divider": "bold",
    "error": "bold",
}


def chat_styles(*, color: bool) -> dict[str, Style]:
    chosen = _COLOURED if color else _PLAIN
    return {name: Style.parse(style) for name, style in chosen.items()}
