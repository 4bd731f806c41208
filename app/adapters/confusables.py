"""Look-alike characters (Unicode's confusables data, via `confusable_homoglyphs`).

Two nicks with the same skeleton look alike: Latin "a" and Cyrillic "\u0430", "l" and "1".
"""

from functools import cache

from confusable_homoglyphs import confusables

_BIDI_MARKS = str.maketrans("", "", "\u200e\u200f")  # the data wraps RTL glyphs in these


@cache
def _representatives() -> dict[str, str]:
    """Each character with look-alikes -> the lowest code point among them and itself."""
    table: dict[str, str] = {}
    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1:
            continue
        alikes = [entry["c"].translate(_BIDI_MARKS) for entry in homoglyphs]
        table[char] = min([char, *(alike for alike in alikes if len(alike) == 1)])
    return table


def nick_skeleton(folded_nick: str) -> str:
    """The look-alike key of an already case-folded nick."""
    representatives = _representatives()
    return "".join(representatives.get(char, char) for char in folded_nick)
