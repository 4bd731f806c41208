"""Figures for the server console and the stats frame."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricsSnapshot:
    users: int  # online now
    public_total: int  # since the logs began
    private_total: int
    here: int | None = None  # a cluster node's own clients (None: a single server)
