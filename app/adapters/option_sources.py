"""Where an option's value may come from besides the command line: a TOML file (`--config`)
and CHATROOM_* environment variables. Precedence: command line, environment, file, defaults.
Each value is checked by the option's own type, and an error names where the value came from."""

import argparse
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

ENV_PREFIX: Final = "CHATROOM_"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


def parse_with_sources(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None, environ: Mapping[str, str]
) -> argparse.Namespace:
    """Parse `argv`, taking defaults first from `--config` (or CHATROOM_CONFIG), then from
    the environment."""
    options = _options(parser)
    early, _ = _config_only(parser).parse_known_args(argv)
    config = early.config or environ.get(f"{ENV_PREFIX}CONFIG")
    values: dict[str, object] = {}
    if config:
        for key, raw in _read_toml(parser, Path(config)).items():
            action = options.get(key)
            if action is None or key == "config":
                parser.error(f"config file {config}: unknown key {key!r}")
            values[key] = _checked(parser, action, raw, f"config file {config}: {key}")
    known = {f"{ENV_PREFIX}{key.upper()}" for key in options}
    for variable in sorted(environ):
        if variable.startswith(ENV_PREFIX) and variable not in known:
            parser.error(f"{variable} is not an option (a misspelling?)")
    for key, action in options.items():
        variable = f"{ENV_PREFIX}{key.upper()}"
        if key != "config" and variable in environ:
            values[key] = _checked(parser, action, environ[variable], variable)
    parser.set_defaults(**values)
    return parser.parse_args(argv)


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The long options by their key (`log_dir` for --log-dir), help and version left out."""
    return {
        action.dest: action
        for action in parser._actions
        if action.option_strings and action.dest not in ("help", "version")
    }


def _config_only(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    early = argparse.ArgumentParser(add_help=False, prog=parser.prog)
    early.add_argument("--config")
    return early


def _read_toml(parser: argparse.ArgumentParser, path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        parser.error(f"config file {path}: {error.strerror or error}")
    except tomllib.TOMLDecodeError as error:
        parser.error(f"config file {path} is not valid TOML: {error}")
    except UnicodeDecodeError as error:
        parser.error(f"config file {path} is not UTF-8 text (byte {error.start})")


def _checked(
    parser: argparse.ArgumentParser, action: argparse.Action, raw: object, where: str
) -> object:
    # A switch's key holds its value (irc_autojoin = false for --no-irc-autojoin).
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        parser.error(f"{where}: must be true or false, not {raw!r}")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        parser.error(f"{where}: must be a single value, not {raw!r}")
    text = str(raw)
    try:
        value = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(f"{where}: {error}")
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        parser.error(f"{where}: must be one of {choices}, not {text!r}")
    return value
