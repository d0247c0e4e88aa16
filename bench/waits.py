"""Waiting on a run's incidents, each wait bounded, and reading back what they did.

A wait that times out does not end the figure: ``bounded`` and ``until_every`` return what was
waited for in vain, which the figure reports, and is then not met.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.figure import Bench
from bench.harness import WorkerProcess
from workflows.incident import IncidentWorkflow
from workflows.model import IncidentState, TimelineEntry

GRACE_SECONDS = 2.0  # after the last expected event: a late duplicate or straggler shows here


async def bounded(wait: Awaitable[None]) -> str | None:
    """None once ``wait`` is over; if it timed out, what it waited for (the figure says so)."""
    try:
        await wait
    except TimeoutError as error:
        return str(error)
    return None


async def until_every(
    bench: Bench,
    ids: Sequence[str],
    condition: Callable[[IncidentState], bool],
    *,
    timeout: float,
    what: str,
) -> str | None:
    """Poll the incidents' state until ``condition`` holds for each; None, or what did not."""
    waiting = list(ids)
    deadline = time.monotonic() + timeout
    while waiting:
        states = await bench.map(lambda i: state_of(bench, i), waiting)
        waiting = [i for i, state in zip(waiting, states, strict=True) if not condition(state)]
        if waiting and time.monotonic() > deadline:
            return f"waited {timeout:g} s for {what}: {len(waiting)} of {len(ids)} never did"
        await asyncio.sleep(0.3 if waiting else 0)
    return None


async def state_of(bench: Bench, incident_id: str) -> IncidentState:
    handle = bench.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    return await handle.query(IncidentWorkflow.state)


async def facts_of(bench: Bench, incident_id: str) -> tuple[IncidentState, list[TimelineEntry]]:
    handle = bench.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    return await handle.query(IncidentWorkflow.state), await handle.query(IncidentWorkflow.timeline)


def announced(worker: WorkerProcess) -> int:
    """Incidents whose start-up deliveries are done: the announcement and the pinned summary (the
    last of them), so a figure that follows starts on a quiet worker."""
    return min(worker.count("notice", "declared"), worker.count("notice", "summary"))


async def workflow_task_failures(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """The latest run's failed workflow tasks: what the server refused, in its words."""
    failures: list[dict[str, Any]] = []
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            attributes = event.workflow_task_failed_event_attributes
            failures.append(
                {
                    "event_id": event.event_id,
                    "cause": attributes.cause,
                    "message": attributes.failure.message[:500],
                }
            )
    return failures[:5]
