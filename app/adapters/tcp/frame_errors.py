"""What is wrong with a frame, as one plain sentence built from pydantic's structured errors.

Each sentence names the frame type and the field and says what is expected. Nothing here reads
pydantic's English `msg`: the sentence comes from the error's `type`, `loc`, `input` and `ctx`
and from the frame models themselves (their fields, bounds and descriptions). At most a few
dozen characters of what the client sent are shown back, escaped.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

MAX_SENTENCE_CHARS: Final = 199
ECHO_CHARS: Final = 30  # of the client's own input, escaped, shown back in a sentence
EXAMPLE: Final = '{"type": "public", "text": "hi"}'
ONE_OBJECT_PER_LINE: Final = "a frame is one JSON object per line"


@dataclass(frozen=True)
class Problem:
    """One pydantic error, placed among the frame models."""

    kind: str  # pydantic's error type: "missing", "string_type", ...
    frame: str  # the frame's type; "" when the line has none
    names: tuple[str, ...]  # the field's path inside the frame, e.g. ("resume", "token")
    field: FieldInfo | None  # the field's declaration, when it is a field of ours
    siblings: tuple[str, ...]  # the fields of the object that holds it
    got: object  # what the client sent there
    ctx: dict[str, Any]
    types: str  # the frame types, as a list for people


class FrameErrors:
    """Describes a ValidationError of the frames in one discriminated union."""

    def __init__(self, frames: object) -> None:
        self._models = {tag: model for model in _models_in(frames) if (tag := _tag(model))}
        self._types = ", ".join(self._models)

    def describe(self, error: ValidationError) -> str:
        problem = self._place(error.errors(include_url=False)[0])
        describe = SENTENCES.get(problem.kind, _not_allowed)
        if problem.frame and not problem.names:  # about a frame as a whole: none of ours are
            describe = _not_allowed
        sentence = describe(problem)
        if len(sentence) > MAX_SENTENCE_CHARS:
            sentence = sentence[: MAX_SENTENCE_CHARS - 1] + "…"
        return sentence

    def _place(self, details: ErrorDetails) -> Problem:
        frame, *parts = details["loc"] or ("",)
        model = self._models.get(str(frame))
        names, field, siblings = _walk(model, parts) if model else ((), None, ())
        return Problem(
            kind=details["type"],
            frame=str(frame),
            names=names,
            field=field,
            siblings=siblings,
            got=details["input"],
            ctx=details.get("ctx", {}),
            types=self._types,
        )


def _walk(
    model: type[BaseModel], parts: list[int | str]
) -> tuple[tuple[str, ...], FieldInfo | None, tuple[str, ...]]:
    """The field at `parts` in `model`: its path for people, declaration and siblings."""
    names: list[str] = []
    candidates, holder, field = [model], None, None
    for part in parts:
        tagged = [candidate for candidate in candidates if _tag(candidate) == part]
        if isinstance(part, int) or (len(candidates) > 1 and tagged):
            candidates = tagged or candidates  # a list index, or a union's tag: no field
            continue
        holder = candidates[0] if len(candidates) == 1 else None
        field = _fields(holder).get(part) if holder else None
        names.append(part)
        candidates = _models_in(field.annotation) if field else []
    return tuple(names), field, tuple(_fields(holder)) if holder else ()


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in get_args(annotation) for model in _models_in(argument)]


def _tag(model: type[BaseModel]) -> str | None:
    declared = model.model_fields.get("type")
    return declared.default if declared and isinstance(declared.default, str) else None


def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {info.alias or name: info for name, info in model.model_fields.items()}


# --- the sentences -------------------------------------------------------------------------


def _not_json(problem: Problem) -> str:
    # pydantic's JSON parser says what is wrong in its own jargon ("expected ident"); the
    # standard library's parser says it in words ("Expecting value") with a column.
    line = problem.got
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else str(line)
    except UnicodeDecodeError as error:
        return f"{ONE_OBJECT_PER_LINE} in UTF-8; byte {error.start + 1} of this line is not UTF-8"
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        reason = _printable(error.msg.removesuffix(" at"), 60)  # "Unterminated string starting at"
        return f"{ONE_OBJECT_PER_LINE}; this line is not JSON ({reason} at column {error.colno})"
    except (ValueError, RecursionError):  # a number too long to convert, nesting too deep
        pass
    # JSON, but not as strict as ours: a lone surrogate, nesting deeper than we go, NaN, ...
    return f"{ONE_OBJECT_PER_LINE}; the server cannot read this line as JSON"


def _no_type(problem: Problem) -> str:
    return f'a frame needs a "type": one of {problem.types}'


def _unknown_type(problem: Problem) -> str:
    tag = problem.got.get("type") if isinstance(problem.got, dict) else None
    if isinstance(tag, str):
        return f"{_quoted(tag)} is not a frame type; the types are {problem.types}"
    return f'"type" must be a string, one of {problem.types}, not {_kind_of(tag)}'


def _needs(problem: Problem) -> str:
    about = problem.field.description if problem.field else None
    purpose = f" ({about})" if about else ""
    return f"{_holder(problem)} needs {_quoted(problem.names[-1])}{purpose}"


def _has_no(problem: Problem) -> str:
    fields = ", ".join(problem.siblings)
    its = "its only field is" if len(problem.siblings) == 1 else "its fields are"
    return f"{_holder(problem)} has no field {_quoted(problem.names[-1])}; {its} {fields}"


EXPECTED: Final = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "an object",
    "dict_type": "an object",
}


def _wrong_kind(problem: Problem) -> str:
    if not problem.names:
        return f"a frame is a JSON object like {EXAMPLE}, not {_kind_of(problem.got)}"
    nullable = problem.field is not None and type(None) in get_args(problem.field.annotation)
    expected = EXPECTED[problem.kind] + (" or null" if nullable else "")
    return f"{_field(problem)} must be {expected}, not {_kind_of(problem.got)}"


def _out_of_range(problem: Problem) -> str:
    return f"{_field(problem)} must be {_range(problem)}, not {_shown(problem.got)}"


def _wrong_length(problem: Problem) -> str:
    length = len(problem.got) if isinstance(problem.got, str) else "that many"
    return f"{_field(problem)} must be {_range(problem)} characters long, not {length}"


def _refused(problem: Problem) -> str:
    # The error is one our own validator raised, so its words are ours (the text rules).
    return f"{_field(problem)} is refused: {_printable(str(problem.ctx.get('error')), 100)}"


def _not_allowed(problem: Problem) -> str:
    if not problem.names:
        return f"a frame is a JSON object like {EXAMPLE}; this one is not a valid frame"
    return f"{_field(problem)} has a value that is not allowed there"


# The one table from pydantic's error type to our sentence; anything else gets _not_allowed.
SENTENCES: Final[dict[str, Callable[[Problem], str]]] = {
    "json_invalid": _not_json,
    "union_tag_not_found": _no_type,
    "union_tag_invalid": _unknown_type,
    "missing": _needs,
    "extra_forbidden": _has_no,
    **dict.fromkeys(EXPECTED, _wrong_kind),
    **dict.fromkeys(
        ["greater_than", "greater_than_equal", "less_than", "less_than_equal"], _out_of_range
    ),
    **dict.fromkeys(["string_too_short", "string_too_long"], _wrong_length),
    "value_error": _refused,
}

# --- words -------------------------------------------------------------------------------

_BOUND_WORDS: Final = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}


def _range(problem: Problem) -> str:
    """The bounds the field declares (and the one pydantic reports), e.g. 'from 1 to 200'."""
    bounds: dict[str, object] = {}
    for source in [*(problem.field.metadata if problem.field else []), problem.ctx]:
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
            if value is not None:  # a length's bounds are said as a number's
                bounds[{"min_length": "ge", "max_length": "le"}.get(name, name)] = value
    if "ge" in bounds and "le" in bounds:
        return f"from {bounds['ge']} to {bounds['le']}"
    return " and ".join(
        f"{words} {bounds[name]}" for name, words in _BOUND_WORDS.items() if name in bounds
    )


def _field(problem: Problem) -> str:
    return _within(problem.frame, problem.names)


def _holder(problem: Problem) -> str:
    """The object a field is missing from or extra in: a frame, or an object inside one."""
    return _within(problem.frame, problem.names[:-1])


def _within(frame: str, names: tuple[str, ...]) -> str:
    where = f'a "{frame}" frame'
    return f"{_quoted('.'.join(names))} in {where}" if names else where


def _kind_of(value: object) -> str:
    """What sort of JSON value this is, in words: 'a number', 'null', 'true'."""
    if isinstance(value, bool):
        return json.dumps(value)
    kinds = {int: "a number", float: "a decimal number", str: "a string", list: "a list"}
    return "null" if value is None else kinds.get(type(value), "an object")


def _shown(value: object) -> str:
    """A value the client sent, as it may be shown back: short, escaped."""
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # str() of a long enough int raises, and would be far too long anyway
        return repr(value) if abs(value) < 10**24 else "a number that long"
    return _kind_of(value)


def _quoted(text: str) -> str:
    return f'"{_printable(text, ECHO_CHARS)}"'


def _printable(text: str, limit: int) -> str:
    """`text` escaped as in a JSON string, and any other unprintable character too, cut short."""
    shown = ""
    for char in text:
        piece = char if char.isprintable() and char not in '"\\' else json.dumps(char)[1:-1]
        if len(shown) + len(piece) > limit:
            return shown + "…"
        shown += piece
    return shown
