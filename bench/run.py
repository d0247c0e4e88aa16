"""Run every figure of issue 6 on a dev server of its own; print a table, write results.json.

    python -m bench                       # full sizes (about 15 minutes on 2 cores)
    python -m bench --quick               # tiny sizes: checks the harness, measures nothing
    python -m bench --memory-incidents 3000 --only worker_memory
    python -m bench --only burst_reminders --bursts 20@3 --only slack_during_page_outage

Every figure is a ratio against, or shown beside, a bare Temporal workflow (``bench/baseline.py``)
measured in the same run, on the same server, by the same worker process.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import harness
from bench.figure import FULL, QUICK, Bench, Burst, Figure, Sizes
from bench.figures.alarm_storm import alarm_storm
from bench.figures.burst_reminders import burst_reminders
from bench.figures.long_incident import long_incident
from bench.figures.reminder_lateness import reminder_lateness
from bench.figures.show_wall_time import show_wall_time
from bench.figures.slack_during_page_outage import slack_during_page_outage
from bench.figures.slack_fanout import slack_fanout
from bench.figures.start_throughput import start_throughput
from bench.figures.update_latency import update_latency
from bench.figures.worker_memory import worker_memory
from bench.harness import DM, ROOT, RUNNERS, WorkerProcess
from bench.server import DevServer

RESULTS = ROOT / "bench" / "results.json"
ORDER = [
    "update_latency",
    "show_wall_time",
    "reminder_lateness",
    "worker_memory",
    "start_throughput",
    "long_incident",
    "slack_fanout",
    "burst_reminders",
    "slack_during_page_outage",
    "alarm_storm",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine(server: DevServer) -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "temporalio": metadata.version("temporalio"),
        "temporal_cli": server.version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


async def measure(sizes: Sizes, only: set[str]) -> tuple[list[Figure], dict[str, Any]]:
    wanted = [key for key in ORDER if not only or key in only]
    results: dict[str, Figure] = {}
    server = DevServer()
    async with server as client:
        from worker import ensure_search_attributes

        await ensure_search_attributes(client, "default")
        bench = Bench(
            client=client, address=server.address, sizes=sizes, log=log, server_pid=server.pid
        )
        queues = (f"bench-incidents-{uuid.uuid4().hex[:6]}", f"bench-bare-{uuid.uuid4().hex[:6]}")

        async def run(key: str, work: Callable[[], Awaitable[Figure]]) -> None:
            if key not in wanted:
                return
            log(f"{key} …")
            began = time.perf_counter()
            try:
                figure = await work()
            except Exception as error:
                figure = Figure(key=key, title=key, target="", unit="")
                figure.notes.append(f"Failed: {type(error).__name__}: {error}")
                log(traceback.format_exc())
            figure.seconds = round(time.perf_counter() - began, 1)
            results[key] = figure
            log(f"{key}: {figure.value} ({figure.seconds} s)")

        async with WorkerProcess(
            server.address,
            incident_queue=queues[0],
            bare_queue=queues[1],
            extra=["--delivery-managers", DM],  # the policy of incidents started without one
        ) as worker:
            await run("update_latency", lambda: update_latency(bench, worker, queues))
            await run("show_wall_time", lambda: show_wall_time(bench, worker, queues[0]))
            await run("start_throughput", lambda: start_throughput(bench, worker, queues))
            await run("reminder_lateness", lambda: reminder_lateness(bench, worker, queues))
            await run("long_incident", lambda: long_incident(bench, worker, queues[0]))
        await run("worker_memory", lambda: worker_memory(bench))
        await run("slack_fanout", lambda: slack_fanout(bench))
        await run("burst_reminders", lambda: burst_reminders(bench))
        await run("slack_during_page_outage", lambda: slack_during_page_outage(bench))
        await run("alarm_storm", lambda: alarm_storm(bench))
        about = machine(server)
    return [results[key] for key in ORDER if key in results], about


def table(rows: list[Figure]) -> str:
    lines = [
        f"{'figure':<24} {'target':<28} {'measured':>10} {'product':>22} {'baseline':>22}  met",
    ]
    for f in rows:
        value = "-" if f.value is None else f"{f.value:g}"
        met = {True: "yes", False: "NO", None: "not measured"}[f.met]
        lines.append(
            f"{f.key:<24} {f.target[:28]:<28} {value:>10} {_brief(f.product):>22} "
            f"{_brief(f.baseline):>22}  {met}"
        )
    return "\n".join(lines)


def _brief(stats: dict[str, Any]) -> str:
    if "median" in stats:
        return f"p50 {stats['median']:g} p99 {stats['p99']:g} {stats['unit']}"
    if "per_workflow_kb" in stats:
        return f"{stats['per_workflow_kb']:g} KB/workflow"
    if "updates_reached" in stats:
        return f"{stats['updates_reached']} updates, <= {stats['max_events_per_run']} ev/run"
    if "max_sustained_per_channel" in stats:
        return f"{stats['messages']} msgs in {stats['total_seconds']:g} s"
    return ""


def bursts_of(text: str) -> tuple[Burst, ...]:
    try:
        return tuple(Burst.parse(each) for each in text.split(",") if each)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmarks of issue 6 against a bare baseline."
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument("--only", action="append", choices=ORDER, help="run only these figures")
    parser.add_argument("--memory-incidents", type=int, help="open incidents for worker_memory")
    parser.add_argument("--reminder-incidents", type=int, help="incidents for reminder_lateness")
    parser.add_argument("--long-updates", type=int, help="progress updates for long_incident")
    parser.add_argument(
        "--long-live", action="store_true", help="long_incident: send every update live"
    )
    parser.add_argument(
        "--bursts",
        type=bursts_of,
        help="burst_reminders: bursts held to the bound, INCIDENTS@SECONDS comma-separated "
        "(default 20@3,200@30)",
    )
    parser.add_argument(
        "--overload-bursts",
        type=bursts_of,
        help="burst_reminders: bursts faster than the machine takes them in, compared with bare "
        "timers (default 200@3; '' for none)",
    )
    parser.add_argument(
        "--outage-incidents", type=int, help="incidents for slack_during_page_outage"
    )
    parser.add_argument(
        "--outage-updates", type=int, help="progress updates per incident and phase"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="run every worker process under py-spy, writing raw profiles to this directory",
    )
    parser.add_argument(
        "--runner",
        choices=RUNNERS,
        default="shipped",
        help="what-if: the incident worker's workflow runner, or local-deliveries: the incident "
        "delivering through local activities (default: as shipped)",
    )
    args = parser.parse_args(argv)
    if args.bursts == ():
        parser.error("--bursts needs at least one burst, such as 20@3")

    sizes = QUICK if args.quick else FULL
    for name in (
        "memory_incidents",
        "reminder_incidents",
        "long_updates",
        "bursts",
        "overload_bursts",
        "outage_incidents",
        "outage_updates",
    ):
        if getattr(args, name) is not None:
            sizes = dataclasses.replace(sizes, **{name: getattr(args, name)})
    if args.long_live:
        sizes = dataclasses.replace(sizes, long_live_updates=sizes.long_updates)
    harness.RUNNER[0] = args.runner
    if args.profile:
        harness.PROFILE_DIR.append(args.profile)
    command = "python -m bench" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    began = time.perf_counter()
    load_at_start = round(os.getloadavg()[0], 2)
    # SIGTERM unwinds like Ctrl-C, so the dev server and worker processes are stopped with us
    # rather than left running (and taking the CPU of the next measurement).
    signal.signal(signal.SIGTERM, _stop)
    rows, about = asyncio.run(measure(sizes, set(args.only or [])))
    about["load_average_1m_at_start"] = load_at_start
    document = {
        "command": command,
        "mode": "quick" if args.quick else "full",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - began, 1),
        "machine": about,
        "sizes": dataclasses.asdict(sizes),
        "incident_worker_runner": args.runner,
        "figures": {f.key: dataclasses.asdict(f) for f in rows},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(table(rows))
    print(
        f"\n{about['cores']} cores, Python {about['python']}, temporalio {about['temporalio']}, "
        f"{about['temporal_cli']}; {document['duration_seconds']} s; written to {args.output}"
    )
    sys.stdout.flush()
    sys.stderr.flush()
    # The SDK's Rust threads can abort interpreter shutdown ("PyGILState_Release: thread state
    # must be current", temporalio/sdk-python#300): everything is written, so leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
