"""When a half-closed connection may be closed without destroying what is on its way."""

from app.adapters.tcp.sockets import QUIET_SECONDS, safe_to_close


def test_a_connection_is_closed_only_once_the_client_has_acknowledged_every_byte() -> None:
    assert not safe_to_close(unacknowledged=1, quiet_for=10.0)  # quiet, but not all there
    assert safe_to_close(unacknowledged=0, quiet_for=0.0)  # all there, even mid-sentence


def test_where_the_kernel_cannot_tell_a_quiet_client_is_taken_to_be_done() -> None:
    assert not safe_to_close(unacknowledged=None, quiet_for=QUIET_SECONDS / 2)
    assert safe_to_close(unacknowledged=None, quiet_for=QUIET_SECONDS)
