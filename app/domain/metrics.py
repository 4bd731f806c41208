"""Counters for the server console and the stats frame."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricsSnapshot:
    users: int
    public_total: int
    private_total: int


class ChatMetrics:
    """Message totals since the logs began (seeded from them at start-up), plus users online."""

    def __init__(self, public_total: int = 0, private_total: int = 0) -> None:
        self.public_total = public_total
        self.private_total = private_total

    def count_public(self) -> None:
        self.public_total += 1

    def count_private(self) -> None:
        self.private_total += 1

    @property
    def messages_total(self) -> int:
        return self.public_total + self.private_total

    def snapshot(self, users: int) -> MetricsSnapshot:
        return MetricsSnapshot(
            users=users, public_total=self.public_total, private_total=self.private_total
        )
