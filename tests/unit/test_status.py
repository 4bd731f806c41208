from app.adapters.terminal.status import Status, status_line

EVERYTHING = Status(
    server="127.0.0.1:55555",
    nick="ann",
    online=3,
    connection="connected",
    partner="bob",
    unseen=2,
    waiting=1,
)


def test_the_fields_come_in_reading_order() -> None:
    assert status_line(EVERYTHING, 200) == (
        "127.0.0.1:55555 | ann | 3 online | connected | pm: bob"
        " | 2 new below (PageDown) | 1 waiting to send"
    )


def test_the_usual_status_fits_in_80_columns() -> None:
    usual = Status(server="127.0.0.1:55555", nick="ann", online=3, connection="connected")
    assert status_line(usual, 80) == "127.0.0.1:55555 | ann | 3 online | connected"


def test_fields_that_are_not_there_are_not_shown() -> None:
    before_welcome = Status(
        server="chat.example:55555", nick="", online=None, connection="connecting"
    )
    assert status_line(before_welcome, 80) == "chat.example:55555 | connecting"  # no count yet


def test_a_full_status_in_80_columns_drops_the_server_and_the_count_first() -> None:
    line = status_line(EVERYTHING, 80)
    assert line == "ann | connected | pm: bob | 2 new below (PageDown) | 1 waiting to send"
    assert len(line) <= 80


def test_in_40_columns_the_connection_nick_and_partner_stay() -> None:
    assert status_line(EVERYTHING, 40) == "ann | connected | pm: bob"


def test_fields_are_dropped_whole_never_cut() -> None:
    for width in range(12, 120):
        line = status_line(EVERYTHING, width)
        assert len(line) <= width
        fields = line.split(" | ")
        assert all(field in status_line(EVERYTHING, 200).split(" | ") for field in fields)
        assert "connected" in fields


def test_the_connection_state_is_the_last_thing_left() -> None:
    reconnecting = Status(
        server="127.0.0.1:55555", nick="ann", online=3, connection="reconnecting in 7 s"
    )
    assert status_line(reconnecting, 24) == "reconnecting in 7 s"
    assert status_line(reconnecting, 26) == "ann | reconnecting in 7 s"


def test_a_nick_or_partner_with_escapes_is_shown_escaped() -> None:
    rogue = Status(server="s:1", nick="ann", online=2, connection="connected", partner="\x1b[2J")
    assert "\x1b" not in status_line(rogue, 80)
