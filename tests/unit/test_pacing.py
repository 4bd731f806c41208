from app.adapters.terminal.pacing import MessagePacer
from app.domain.flood import DEFAULT_BURST, DEFAULT_RATE, TokenBucket
from tests.fakes import ManualMonotonic


def test_a_paced_client_never_exceeds_the_servers_default_allowance() -> None:
    clock = ManualMonotonic()
    pacer = MessagePacer(monotonic=clock, sleep=clock.advance)
    server = TokenBucket(DEFAULT_RATE, DEFAULT_BURST, clock())
    refused = 0
    for _ in range(200):
        pacer.wait_for_turn()
        refused += not server.allow(clock())
    assert refused == 0


def test_a_paced_client_sends_a_short_burst_without_waiting() -> None:
    clock = ManualMonotonic()
    pacer = MessagePacer(monotonic=clock, sleep=clock.advance)
    start = clock()
    for _ in range(5):
        pacer.wait_for_turn()
    assert clock() == start


def test_a_long_script_goes_out_at_the_paced_rate() -> None:
    clock = ManualMonotonic()
    pacer = MessagePacer(monotonic=clock, sleep=clock.advance)
    start = clock()
    for _ in range(45):
        pacer.wait_for_turn()
    assert 9.9 <= clock() - start <= 10.1  # 5 at once, then 40 at 4 a second
