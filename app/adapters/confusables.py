"""Look-alike characters (Unicode's confusables data, via `confusable_homoglyphs`).

Two nicks with the same skeleton look alike: Latin "a" and Cyrillic "\u0430", "l" and "1".
"""

from functools import cache

from confusable_homoglyphs import confusables

_BIDI_MARKS = str.maketrans("", "", "\u200e\u200f")  # the data wraps RTL glyphs in these


@cache
def _representatives() -> dict[str, str]:
    """Each character with look-alikes -> one member of its look-alike class.

    The data lists pairs; joining them into classes (union-find) makes "looks like" an
    equivalence, so the order in which two people pick their nicks never matters.
    """
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while (up := parent.get(char, char)) != char:
            parent[char] = parent.get(up, up)  # path halving keeps the chains short
            char = up
        return char

    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1:
            continue
        for entry in homoglyphs:
            alike = entry["c"].translate(_BIDI_MARKS)
            if len(alike) == 1:
                first, second = sorted((root(char), root(alike)))
                if first != second:
                    parent[second] = first
    return {char: root(char) for char in parent}


def nick_skeleton(folded_nick: str) -> str:
    """The look-alike key of an already case-folded nick."""
    representatives = _representatives()
    return "".join(representatives.get(char, char) for char in folded_nick)
