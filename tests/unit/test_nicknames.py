import pytest

from app.domain.errors import InvalidNick, NickTaken
from app.domain.nicknames import NicknameRegistry, fold_nick, validate_nick
from tests.fakes import names_from


@pytest.mark.parametrize("nick", ["alice", "Zoë", "bob_2", "a-b.c", "x" * 32, "名前", "٣"])
def test_letters_digits_and_underscore_dash_dot_make_a_valid_nick(nick: str) -> None:
    assert validate_nick(nick) == nick


@pytest.mark.parametrize(
    "nick", ["", "x" * 33, "bad nick", "tab\there", "new\nline", "semi;colon", "a/b", "emoji🙂"]
)
def test_anything_else_is_an_invalid_nick(nick: str) -> None:
    with pytest.raises(InvalidNick):
        validate_nick(nick)


def test_a_decomposed_accent_is_accepted_in_its_composed_form() -> None:
    assert validate_nick("Zoe\u0308") == "Zoë"


def test_nicks_differing_only_in_case_or_width_fold_alike() -> None:
    assert fold_nick("Alice") == fold_nick("ALICE") == fold_nick("\uff41lice")
    assert fold_nick("Straße") == fold_nick("STRASSE")


def test_a_free_nick_is_granted_as_asked() -> None:
    registry = NicknameRegistry(names_from("Zed"))
    claim = registry.claim("alice")
    assert (claim.nick, claim.renamed) == ("alice", False)


def test_a_taken_nick_in_any_case_gets_a_random_name_instead() -> None:
    registry = NicknameRegistry(names_from("Zed"))
    registry.claim("alice")
    claim = registry.claim("ALICE")
    assert (claim.nick, claim.renamed) == ("Zed", True)


def test_no_nick_at_all_gets_a_random_name_without_counting_as_renamed() -> None:
    registry = NicknameRegistry(names_from("Zed"))
    claim = registry.claim(None)
    assert (claim.nick, claim.renamed) == ("Zed", False)


def test_a_random_name_that_is_taken_is_not_handed_out_twice() -> None:
    registry = NicknameRegistry(names_from("Zed", "zed", "Ada"))
    assert registry.claim(None).nick == "Zed"
    assert registry.claim(None).nick == "Ada"


def test_when_suggestions_keep_colliding_a_numeric_suffix_makes_one_unique() -> None:
    registry = NicknameRegistry(lambda: "Zed")
    nicks = {registry.claim(None).nick for _ in range(3)}
    assert nicks == {"Zed", "Zed2", "Zed3"}


def test_an_invalid_suggestion_from_the_name_source_is_never_used() -> None:
    registry = NicknameRegistry(lambda: "Mary Ann")
    nick = registry.claim(None).nick
    assert validate_nick(nick) == nick


def test_a_released_nick_can_be_claimed_again() -> None:
    registry = NicknameRegistry(names_from("Zed"))
    registry.claim("alice")
    registry.release("Alice")
    assert registry.claim("alice").renamed is False


def test_changing_to_a_taken_nick_is_refused_and_keeps_the_old_one() -> None:
    registry = NicknameRegistry(names_from())
    registry.claim("alice")
    registry.claim("bob")
    with pytest.raises(NickTaken):
        registry.change("bob", "Alice")
    assert registry.is_taken("bob")


def test_changing_only_the_case_of_ones_own_nick_is_allowed() -> None:
    registry = NicknameRegistry(names_from())
    registry.claim("alice")
    assert registry.change("alice", "Alice") == "Alice"
    assert registry.is_taken("ALICE")


def test_with_a_skeleton_look_alike_nicks_count_as_taken_in_either_order() -> None:
    def skeleton(folded: str) -> str:
        return folded.replace("\u0430", "a")  # Cyrillic a looks like Latin a

    for first, second in [("alice", "\u0430lice"), ("\u0430lice", "alice")]:
        registry = NicknameRegistry(names_from("Zed"), skeleton)
        registry.claim(first)
        assert registry.claim(second).nick == "Zed"
