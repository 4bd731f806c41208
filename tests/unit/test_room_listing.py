"""The room's list of who is online: case-insensitive order, however people come and go."""

import random

from app.domain.nicknames import NicknameRegistry, fold_nick
from app.domain.room import Room
from tests.fakes import names_from


def test_the_nick_list_stays_in_case_insensitive_order_through_joins_leaves_and_renames() -> None:
    room: Room[int] = Room(NicknameRegistry(names_from("Zed")))
    chooser = random.Random(7)  # a fixed seed: the same run every time
    present: dict[int, str] = {}  # member -> nick, for those online
    away: dict[int, str] = {}
    for step in range(600):
        roll = chooser.random()
        if roll < 0.5 or not present:
            nick = chooser.choice(["al", "Bo", "cy", "DEE", "eve", "Ünal", "zoë"]) + str(step)
            present[step] = room.admit(step, nick).nick
        elif roll < 0.65:
            member = chooser.choice(list(present))
            room.remove(member)
            del present[member]
        elif roll < 0.75:
            member = chooser.choice(list(present))
            room.step_away(member)
            away[member] = present.pop(member)
        elif roll < 0.85 and away:
            member = chooser.choice(list(away))
            room.come_back(member)
            present[member] = away.pop(member)
        else:
            member = chooser.choice(list(present))
            old = present[member]
            wanted = old.upper() if chooser.random() < 0.5 else f"n{step}"
            present[member] = room.rename(member, wanted)[1]
        assert room.nicks() == tuple(sorted(present.values(), key=fold_nick)), step
