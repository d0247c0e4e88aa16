"""Tiny-size runs of `python -m bench --quick` and its probe, so the benchmarks do not rot.

It checks that every figure of issue 6 is measured (or says why not) and written to results.json,
and that the poller probe times what it says; it asserts nothing about the numbers: benchmarks are
never timed assertions. What it does check of the alarm storm are counts, not times: every
notification answered 2xx, one report per alarm, each report's direct message heard once.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from bench.figure import Burst
from bench.poller_probe import MODES
from bench.run import ORDER, bursts_of
from bench.server import DevServer, free_port

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parent.parent


def run_bench_module(*args: str) -> str:
    """``python -m ARGS`` from the checkout, without the machine's Temporal or incident settings:
    what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "INCIDENT_"))}
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout


def run_quick_bench(output: Path, *args: str) -> tuple[dict[str, Any], str]:
    """``python -m bench --quick ARGS``: the results document and what it printed."""
    printed = run_bench_module("bench", "--quick", "--output", str(output), *args)
    return json.loads(output.read_text()), printed


def test_quick_bench_writes_every_figure(tmp_path: Path) -> None:
    document, printed = run_quick_bench(tmp_path / "results.json")

    assert document["mode"] == "quick"
    assert {"cores", "python", "temporalio"} <= set(document["machine"])
    assert list(document["figures"]) == ORDER
    for key, figure in document["figures"].items():
        assert figure["target"], key
        failed = [note for note in figure["notes"] if note.startswith("Failed:")]
        assert not failed, (key, failed)
        if figure["met"] is None:  # not measured: it must say why
            assert figure["notes"], key
        else:
            assert figure["value"] is not None, key
            assert figure["product"], key
    for line in ORDER:
        assert line in printed  # the printed table names every figure
    bursts = document["figures"]["burst_reminders"]["extra"]
    assert list(bursts["bursts"]) == ["3@3s", "6@3s"]
    assert list(bursts["overload_bursts"]) == ["4@3s"]


def test_bursts_are_given_as_incidents_at_a_cadence() -> None:
    assert bursts_of("20@3,200@30") == (Burst(20, 3.0), Burst(200, 30.0))
    assert bursts_of("") == ()
    for wrong in ("200", "200@", "0@3", "20@0", "twenty@3"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"not '{wrong}'"):
            bursts_of(wrong)


def test_the_local_deliveries_what_if_delivers_every_start(tmp_path: Path) -> None:
    """The start figure waits for every incident's announcement and pinned summary, so it is
    measured only if the what-if workflow delivered them through its local activities."""
    document, _ = run_quick_bench(
        tmp_path / "results.json", "--only", "start_throughput", "--runner", "local-deliveries"
    )

    assert document["incident_worker_runner"] == "local-deliveries"
    figure = document["figures"]["start_throughput"]
    assert not [note for note in figure["notes"] if note.startswith("Failed:")], figure["notes"]
    assert figure["value"] is not None
    assert figure["extra"]["incident_starts_delivered_per_second"]["median"] > 0


def test_the_alarm_storm_goes_through_the_intake_and_opens_one_report_per_alarm(
    tmp_path: Path,
) -> None:
    """The storm's notifications go through the real intake to the product's worker, whose
    settings name the delivery manager: each alarm opens exactly one report, and the delivery
    manager's direct message about each reaches the Slack stand-in."""
    document, printed = run_quick_bench(tmp_path / "results.json", "--only", "alarm_storm")

    assert list(document["figures"]) == ["alarm_storm"]
    figure = document["figures"]["alarm_storm"]
    assert not [note for note in figure["notes"] if note.startswith("Failed:")], figure["notes"]
    assert figure["value"] is not None
    product, extra = figure["product"], figure["extra"]
    alarms = figure["sizes"]["alarms"]
    assert product["reports"] == product["alarms"] == alarms
    assert product["non_2xx"] == 0
    assert product["n"] == alarms  # every alarm's report was heard of
    assert extra["reports"]["opened_per_alarm"] == [1, 1]
    assert extra["reports"]["delivery_managers"] == ["U0BENCHDM"]
    assert extra["intake_answer_ms"]["n"] == figure["sizes"]["notifications"]
    assert extra["messages"]["by_kind"]["reported (direct)"] == alarms
    assert extra["messages"]["duplicates"] == 0
    assert "alarm_storm" in printed


def test_the_poller_probe_times_every_timer_in_every_mode() -> None:
    """`python -m bench.poller_probe`, tiny: a line per poller mode, each timing every timer
    the server fired and every activity that followed it."""
    printed = run_bench_module("bench.poller_probe", "--workflows", "8", "--per-second", "20")

    lines = [json.loads(line) for line in printed.splitlines()]
    assert [line["pollers"] for line in lines] == list(MODES)
    for line in lines:
        assert line["timer_fired_after_due"]["n"] == 8, line
        assert line["activity_ran_after_due"]["n"] == 8, line


def test_free_ports_are_picked_outside_the_ephemeral_range() -> None:
    """A port the system may hand to anyone binding port 0 (the dev server's own services do)
    could be taken between picking it and binding it: CI saw the dev server panic that way."""
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    picked = {free_port() for _ in range(200)}
    assert not [port for port in picked if low <= port <= high]
    assert len(picked) > 100  # spread, so two servers starting together rarely pick alike


async def test_the_bench_server_starts_again_on_new_ports_when_its_port_is_taken() -> None:
    """A port found free can be taken before the dev server binds it; the bench must not lose
    a 15-minute run to that."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = DevServer()
        server.port = taken.getsockname()[1]

        async with server as client:
            assert server.port != taken.getsockname()[1]
            assert await client.workflow_service.get_system_info(GetSystemInfoRequest())
