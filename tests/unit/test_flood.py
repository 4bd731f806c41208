import pytest

from app.domain.flood import FloodGuard, FloodLimits, FrameKind, TokenBucket


def allowed(bucket: TokenBucket, attempts: int, now: float) -> int:
    return sum(bucket.allow(now) for _ in range(attempts))


def test_a_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=5, burst=10, now=0.0)
    assert allowed(bucket, 30, now=0.0) == 10
    assert allowed(bucket, 30, now=1.0) == 5
    assert allowed(bucket, 30, now=1.1) == 0
    assert allowed(bucket, 30, now=100.0) == 10  # never more than the burst


def test_rate_zero_turns_the_limit_off() -> None:
    assert allowed(TokenBucket(rate=0, burst=0, now=0.0), 10_000, now=0.0) == 10_000


def test_a_clock_that_steps_back_never_grants_extra_tokens() -> None:
    bucket = TokenBucket(rate=5, burst=1, now=10.0)
    assert bucket.allow(10.0)
    assert not bucket.allow(5.0)


def test_messages_and_other_frames_have_separate_allowances() -> None:
    guard = FloodGuard(FloodLimits(rate=5, burst=10), now=0.0)
    assert sum(guard.allow(FrameKind.MESSAGE, 0.0) for _ in range(100)) == 10
    assert sum(guard.allow(FrameKind.CONTROL, 0.0) for _ in range(100)) == 40


def test_fifty_invalid_frames_in_a_row_are_too_many_but_a_valid_one_resets_the_count() -> None:
    guard = FloodGuard(FloodLimits(), now=0.0)
    assert not any(guard.record(valid=False) for _ in range(49))
    assert not guard.record(valid=True)
    assert not any(guard.record(valid=False) for _ in range(49))
    assert guard.record(valid=False)


def test_a_bucket_says_how_long_until_its_next_token() -> None:
    bucket = TokenBucket(rate=4, burst=1, now=0.0)
    assert bucket.wait_time(0.0) == 0.0
    assert bucket.allow(0.0)
    assert bucket.wait_time(0.0) == pytest.approx(0.25)
    assert bucket.wait_time(0.125) == pytest.approx(0.125)
    assert bucket.allow(0.25)
