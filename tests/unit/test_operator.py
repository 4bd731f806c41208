import threading

from app.services.operator import StopCause, wait_for_stop
from tests.fakes import ScriptedKeys


def test_pressing_q_stops_the_server_and_other_keys_do_not() -> None:
    keys = ScriptedKeys("abQ")
    assert wait_for_stop(keys, threading.Event()) is StopCause.QUIT_KEY
    assert keys.reads == 3


def test_a_signal_stops_the_server_even_while_keys_are_read() -> None:
    stop = threading.Event()
    stop.set()
    assert wait_for_stop(ScriptedKeys("x"), stop) is StopCause.SIGNAL


def test_without_a_key_source_only_a_signal_stops_the_server() -> None:
    stop = threading.Event()
    stop.set()
    assert wait_for_stop(None, stop) is StopCause.SIGNAL
