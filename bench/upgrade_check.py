"""How long `incident upgrade-check` takes over many open incidents (issue 37).

    python -m bench.upgrade_check                         # 500 open incidents, the check 3 times
    python -m bench.upgrade_check --incidents 50 --runs 1 --output -

A dev server of its own and the bench worker (``bench/worker.py``: the shipped worker with a
recording messenger). The incidents are declared by a delivery manager, as `incident declare`
starts them (active: a channel, an announcement, the pinned summary), and each is given
``--updates`` progress updates; once every delivery has landed the worker stops, and
`incident upgrade-check --since 0` runs as an operator runs it, a subprocess of this checkout,
``--runs`` times. Each run's wall time (the CLI's start and the connection included) is printed
with the milliseconds per incident, and written to ``bench/results-upgrade-check.json``; the
check must pass (exit 0), or the bench fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.harness import (
    DM,
    LEAD,
    ROOT,
    UPDATE_TEXT,
    WorkerProcess,
    clean_env,
    declaration,
    run_process,
    summary,
)
from bench.run import machine
from bench.server import DevServer
from temporal_client.client import opening
from workflows.incident import IncidentWorkflow
from workflows.model import Action
from workflows.model.commands import ProgressUpdate

RESULTS = ROOT / "bench" / "results-upgrade-check.json"
PEOPLE = ["--delivery-managers", DM]  # the worker's: read when each incident opens
AT_ONCE = 20  # starts and updates in flight while the incidents are made


async def open_incidents(
    client: Client, queue: str, count: int, updates: int, worker: WorkerProcess
) -> list[str]:
    """``count`` incidents declared and updated ``updates`` times each, every delivery landed."""
    in_flight = asyncio.Semaphore(AT_ONCE)
    run = uuid.uuid4().hex[:6]
    ids = [f"inc-upgrade-{run}-{n:04d}" for n in range(count)]

    async def one(incident_id: str) -> None:
        async with in_flight:
            start, options = opening(declaration(incident_id, policy_from_the_worker=True))
            handle = await client.start_workflow(
                IncidentWorkflow.run, start, id=incident_id, task_queue=queue, **options
            )
            for n in range(updates):
                update = ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} ({n + 1})")
                await handle.execute_update(Action.UPDATE, update)

    await asyncio.gather(*(one(incident_id) for incident_id in ids))
    await worker.settle(quiet=3)
    return ids


async def time_the_check(address: str, queue: str, runs: int) -> dict[str, Any]:
    env = clean_env(TEMPORAL_ADDRESS=address, TEMPORAL_TASK_QUEUE=queue)
    command = [sys.executable, str(ROOT / "starter.py"), "upgrade-check", "--since", "0"]
    seconds = [await run_process(command, env) for _ in range(runs)]
    process = await asyncio.create_subprocess_exec(
        *command, "--json", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    report = json.loads(out)
    events = [item["events"] for item in report["workflows"]]
    return {"seconds": seconds, "report": report, "events": events}


async def measure(incidents: int, updates: int, runs: int) -> dict[str, Any]:
    queue = f"upgrade-bench-{uuid.uuid4().hex[:6]}"
    began = time.monotonic()
    server = DevServer()
    async with server as client:
        async with WorkerProcess(server.address, incident_queue=queue, extra=PEOPLE) as worker:
            log(f"opening {incidents} incidents ({updates} updates each)")
            await open_incidents(client, queue, incidents, updates, worker)
        log(f"timing `incident upgrade-check` {runs} times")
        timed = await time_the_check(server.address, queue, runs)
        about = machine(server)
    replayed = timed["report"]["replayed"]
    wall = summary(timed["seconds"], unit="s")
    return {
        "command": " ".join(["python -m bench.upgrade_check", *sys.argv[1:]]),
        "checked": "incident upgrade-check --since 0, a subprocess (the CLI's start included)",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - began, 1),
        "machine": about,
        "sizes": {"incidents": incidents, "updates_each": updates, "runs": runs},
        "replayed": replayed,
        "passed": timed["report"]["passed"],
        "events_per_history": summary([float(n) for n in timed["events"]], unit="events"),
        "wall_seconds": wall,
        "runs_seconds": [round(s, 2) for s in timed["seconds"]],
        "ms_per_incident_median": round(1000 * wall["median"] / max(replayed, 1), 1),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.upgrade_check", description=__doc__)
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--updates", type=int, default=2, help="progress updates per incident")
    parser.add_argument("--runs", type=int, default=3, help="times the check is run and timed")
    parser.add_argument(
        "--output", default=str(RESULTS), help="where to write the figures (- for nowhere)"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.incidents, args.updates, args.runs))
    print(json.dumps(result, indent=2))
    wall = result["wall_seconds"]
    log(
        f"`incident upgrade-check` over {result['replayed']} open incidents: "
        f"{wall['median']:.2f} s median wall time of {args.runs} runs "
        f"({result['ms_per_incident_median']} ms per incident), "
        f"{result['events_per_history']['median']:.0f} events per history (median)."
    )
    if not result["passed"]:
        raise SystemExit("the check did not pass on unchanged code")
    if args.output != "-":
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
