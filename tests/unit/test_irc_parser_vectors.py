"""The ircdocs parser test vectors (PyPI irc-parser-tests) against our parser and formatter.

Skipped where the package, or PyYAML, which it loads its data with, is not installed.
"""

from typing import Any

import pytest

from app.adapters.irc.message import IrcMessage, format_line, parse_line

vectors = pytest.importorskip("parser_tests.data", reason="irc-parser-tests is not installed")

# Every vector holds for us as it is, with one reading: we upper-case commands ("foo" ->
# "FOO", so that the caller matches them once), so the vectors' verbs are compared upper-cased.


def expected(atoms: dict[str, Any]) -> IrcMessage:
    return IrcMessage(
        command=atoms["verb"].upper(),
        params=tuple(atoms.get("params") or ()),
        tags=dict(atoms.get("tags") or {}),
        source=atoms.get("source"),
    )


@pytest.mark.parametrize("case", vectors.msg_split["tests"], ids=lambda case: repr(case["input"]))
def test_msg_split(case: dict[str, Any]) -> None:
    assert parse_line(case["input"].encode()) == expected(case["atoms"])


@pytest.mark.parametrize("case", vectors.msg_join["tests"], ids=lambda case: case["desc"])
def test_msg_join(case: dict[str, Any]) -> None:
    atoms = case["atoms"]
    line = format_line(
        atoms["verb"],
        *atoms.get("params") or (),
        source=atoms.get("source"),
        tags=atoms.get("tags"),
    )
    assert line.endswith(b"\r\n")
    assert line.removesuffix(b"\r\n").decode() in case["matches"]
    for match in case["matches"]:  # every accepted spelling reads back as the same message
        assert parse_line(match.encode()) == expected(atoms)
