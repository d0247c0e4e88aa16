"""When the server fires timers, by the worker's poller mode: why the worker's pollers are fixed.

    python -m bench.poller_probe                       # 600 timers due at 16.7 a second
    python -m bench.poller_probe --workflows 300 --per-second 20

For each poller mode, a dev server of its own and a worker in this process with that mode for
workflow and activity tasks alike, running the bench's bare workflow: one timer, due at its
instant (the instants spaced evenly at the given rate), then the no-op activity. Prints, per mode,
when the server fired each timer (its TimerFired event) and when the activity ran, in seconds
after due; measures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    Worker,
)

from bench.baseline import BareFired, BareStart, BareWorkflow, bare_activity
from bench.figures.reminder_lateness import timer_fired_at
from bench.harness import summary, utc_from_epoch
from bench.server import DevServer
from worker import WORKFLOW_RUNNER

MODES: dict[str, PollerBehavior] = {
    "5 fixed (the SDK's default)": PollerBehaviorSimpleMaximum(maximum=5),
    "10 fixed (the worker's)": PollerBehaviorSimpleMaximum(maximum=10),
    "20 fixed": PollerBehaviorSimpleMaximum(maximum=20),
    "autoscaled, up to 20": PollerBehaviorAutoscaling(maximum=20),
}
QUEUE = "poller-probe"
STARTS_IN_FLIGHT = 20


async def one_mode(pollers: PollerBehavior, workflows: int, per_second: float) -> dict[str, Any]:
    ran: dict[str, float] = {}

    def record(fired: BareFired) -> None:
        ran[fired.workflow_id] = time.time()

    async with (
        DevServer() as client,
        Worker(
            client,
            task_queue=QUEUE,
            workflows=[BareWorkflow],
            activities=[bare_activity(record)],
            workflow_runner=WORKFLOW_RUNNER,
            workflow_task_poller_behavior=pollers,
            activity_task_poller_behavior=pollers,
        ),
    ):
        # Every workflow started (about 50 a second here) before the first timer falls due.
        first = time.time() + 5 + workflows / 30
        due = {f"probe-{uuid.uuid4().hex[:8]}": first + i / per_second for i in range(workflows)}
        starting = asyncio.Semaphore(STARTS_IN_FLIGHT)

        async def start(workflow_id: str) -> WorkflowHandle[Any, Any]:
            async with starting:
                bare = BareStart(due=[utc_from_epoch(due[workflow_id])], hold=False)
                return await client.start_workflow(
                    BareWorkflow.run, bare, id=workflow_id, task_queue=QUEUE
                )

        handles = await asyncio.gather(*(start(w) for w in due))
        await asyncio.gather(*(handle.result() for handle in handles))
        fired = await asyncio.gather(*(timer_fired_at(client, w) for w in due))
    return {
        "timer_fired_after_due": summary(
            [at - due[w] for w, at in zip(due, fired, strict=True) if at], unit="s"
        ),
        "activity_ran_after_due": summary([ran[w] - due[w] for w in due if w in ran], unit="s"),
    }


async def probe(workflows: int, per_second: float) -> None:
    for mode, pollers in MODES.items():
        print(json.dumps({"pollers": mode} | await one_mode(pollers, workflows, per_second)))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.poller_probe", description=__doc__)
    parser.add_argument("--workflows", type=int, default=600)
    parser.add_argument("--per-second", type=float, default=16.7)
    args = parser.parse_args()
    asyncio.run(probe(args.workflows, args.per_second))


if __name__ == "__main__":
    main()
