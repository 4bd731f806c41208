from bench.dialects import IrcDialect, V1Dialect
from bench.loadgen import MARKER, message_text
from bench.runner import Workload, plans_for
from bench.stats import percentile


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([], 0.5) == 0


def test_a_message_carries_its_send_time_and_has_the_asked_length() -> None:
    text = message_text(123456789, 64)
    assert len(text) == 64
    assert text.startswith(MARKER.decode() + "123456789#")


def test_irc_registration_ends_at_the_names_list_or_the_welcome() -> None:
    irc = IrcDialect()
    assert irc.is_registered(b":srv 366 b1 #bench :End of NAMES list", join=True)
    assert not irc.is_registered(b":srv 001 b1 :Welcome", join=True)
    assert irc.is_registered(b":srv 001 b1 :Welcome", join=False)
    assert irc.answer(b"PING :srv\r") == b"PONG :srv\r\n"
    assert irc.answer(b":a PRIVMSG #bench :PING") is None


def test_v1_registration_ends_at_the_welcome() -> None:
    v1 = V1Dialect()
    assert v1.is_registered(b'{"type":"welcome","nick":"b1"}', join=True)
    assert v1.message("hi") == b'{"type": "public", "text": "hi"}\n'


def test_clients_senders_and_probes_are_spread_over_the_processes() -> None:
    workload = Workload(
        host="127.0.0.1",
        port=1,
        dialect="v1",
        clients=10,
        senders=3,
        messages=5,
        rate=0,
        payload_bytes=64,
        procs=3,
        timeout=1,
        latency_probes=2,
    )
    plans = plans_for(workload)
    assert sum(len(plan.nicks) for plan in plans) == 10
    assert sum(len(plan.senders) for plan in plans) == 3
    assert sum(len(plan.latency_probes) for plan in plans) == 2
    assert len({nick for plan in plans for nick in plan.nicks}) == 10
