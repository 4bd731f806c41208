"""The start-up hint: how others on the network connect to this server."""

from app.adapters.console.reach import connect_commands

ADDRESSES = ["127.0.0.1", "192.168.1.20", "10.0.0.5", "192.168.1.20", "fe80::1", "::1"]


def test_listening_on_every_address_lists_each_non_loopback_one_once() -> None:
    assert connect_commands("0.0.0.0", 55555, lambda: ADDRESSES) == [
        "chat-client --host 10.0.0.5 --port 55555",
        "chat-client --host 192.168.1.20 --port 55555",
    ]


def test_listening_on_ipv6_too_lists_ipv6_addresses_after_ipv4() -> None:
    assert connect_commands("::", 1, lambda: ADDRESSES)[-1] == "chat-client --host fe80::1 --port 1"


def test_a_given_address_is_the_one_to_use_and_loopback_needs_no_hint() -> None:
    assert connect_commands("192.168.1.20", 7, lambda: ADDRESSES) == [
        "chat-client --host 192.168.1.20 --port 7"
    ]
    assert connect_commands("127.0.0.1", 7, lambda: ADDRESSES) == []
    assert connect_commands("::1", 7, lambda: ADDRESSES) == []
