"""The I/O loop's timers: due calls run in order, cancelled ones never, however many."""

import functools
import threading

from app.adapters.tcp.loop import IoLoop, Timer


def test_timers_run_in_due_order_and_cancelled_ones_never_even_after_many_cancels() -> None:
    loop = IoLoop("test-loop")
    ran: list[int] = []
    all_ran = threading.Event()
    kept = [number for number in range(200) if number % 5 == 0]
    due: dict[int, float] = {}

    def record(number: int) -> None:
        ran.append(number)
        if len(ran) == len(kept):
            all_ran.set()

    def schedule() -> None:
        # Due in the reverse of the order they are made, so the heap has work to do.
        timers: list[Timer] = [
            loop.call_later(0.05 + (200 - number) * 0.0001, functools.partial(record, number))
            for number in range(200)
        ]
        for number, timer in enumerate(timers):
            due[number] = timer.due
            if number not in kept:
                timer.cancel()  # 160 cancelled: enough that the heap is compacted below
        loop.call_later(0.06, lambda: None)

    loop.start()
    try:
        loop.call_soon(schedule)
        assert all_ran.wait(timeout=5)
    finally:
        loop.stop()
        loop.join(timeout=5)
    assert ran == sorted(kept, key=due.__getitem__)  # in due order (nearly the reverse)
