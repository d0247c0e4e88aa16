"""Reminder lateness: the reminders of many incidents falling due within the same minute.

    python -m bench --only reminder_lateness [--reminder-incidents 1000]

Each sev1 incident gets a reminder interval that makes it due at its instant, spread evenly over
one minute, after every incident has started and announced itself. The value is the p99 of when
each reminder reached the worker's messenger after it fell due; beside it, bare workflows whose
timers fall due at the same instants, and where the time went (server, workflow, delivery).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType, TaskQueueKind
from temporalio.client import Client

from bench.figure import Bench, Figure
from bench.harness import (
    WorkerProcess,
    declaration,
    quartiles,
    ratio,
    sev1_every,
    summary,
)
from bench.side_by_side import BareTimers, Reminded
from bench.waits import announced, facts_of
from workflows.model import EntryKind


async def reminder_lateness(bench: Bench, worker: WorkerProcess, queues: tuple[str, str]) -> Figure:
    figure = Figure(
        key="reminder_lateness",
        title="reminder lateness, reminders of many incidents due in the same minute",
        target="p99 < 1 s",
        unit="s",
    )
    incident_queue, bare_queue = queues
    n = bench.sizes.reminder_incidents
    spread = bench.sizes.reminder_spread_seconds
    min_lead = bench.sizes.reminder_min_lead_seconds

    # The baseline: bare workflows whose timers fall due at the same instants.
    lead = min_lead + 1.5 * n / bench.rates.get("bare_start", 20)
    first = time.time() + lead
    bare_due = {bench.name("bare-late"): first + spread * i / n for i in range(n)}
    bare = BareTimers(bench, worker, bare_queue, announce=False)
    await bare.start(bare_due, bare_due.__getitem__)
    bench.log(f"  bare timers: {n} started, first due in {first - time.time():.1f} s")
    cpu_bare = await cpu_while_due(
        bench, worker, (first, first + spread), bare.all_fired, grace=120, what="the bare timers"
    )
    bare_late = bare.lateness()
    bare_fired = await bench.map(lambda w: timer_fired_at(bench.client, w), bare_due)
    bare_server = [at - due for at, due in zip(bare_fired, bare_due.values(), strict=True) if at]

    # The incidents: sev1, each with a reminder interval that makes it due at its instant.
    # Every interval is longer than the minute, so no incident reminds twice within it.
    lead = max(min_lead + 1.3 * n / bench.rates.get("incident_settled", 5), spread + min_lead)
    first = time.time() + lead
    planned = {bench.name("inc-late"): first + spread * i / n for i in range(n)}

    async def start(incident_id: str) -> object:
        interval = timedelta(seconds=planned[incident_id] - time.time())
        return await bench.start_incident(
            declaration(incident_id, reminder_intervals=sev1_every(interval)), incident_queue
        )

    reminded = Reminded(worker, planned)  # the reminders are looked for from here
    declared = announced(worker)
    await bench.map(start, planned)
    await worker.wait_for(
        lambda: announced(worker) >= declared + n,
        timeout=first + spread - time.time() + 600,
        what="the incidents' announcements",
    )
    margin = first - time.time()
    bench.log(f"  incidents: {n} started and announced, first reminder due in {margin:.1f} s")
    if margin < 0:
        figure.notes.append(
            f"The worker was still busy starting incidents {-margin:.1f} s after the first "
            "reminder fell due."
        )
    cpu_incident = await cpu_while_due(
        bench,
        worker,
        (first, first + spread),
        reminded.every_incident,
        grace=300,
        what="the reminders",
    )
    answers = await bench.map(lambda i: facts_of(bench, i), planned)
    on_server = await bench.map(lambda i: timer_fired_at(bench.client, i), planned)
    arrived: dict[str, float] = {}
    for event in worker.events:
        if event["event"] == "notice" and event["kind"] == "reminder":
            arrived.setdefault(event["incident"], event["t"])
    delivered, timer_fired, server_fired = [], [], []
    for incident_id, (state, timeline), fired_on_server in zip(
        planned, answers, on_server, strict=True
    ):
        assert state.stale_since and state.reminder_interval
        due = (state.stale_since + state.reminder_interval).timestamp()
        fired_at = next(e.at for e in timeline if e.kind is EntryKind.REMINDER).timestamp()
        delivered.append(arrived[incident_id] - due)
        timer_fired.append(fired_at - due)
        if fired_on_server:
            server_fired.append(fired_on_server - due)
    figure.product = summary(delivered, unit="s")
    figure.baseline = summary(bare_late, unit="s")
    figure.value = figure.product["p99"]
    figure.met = figure.value < 1.0
    figure.extra = {
        "timer_fired_on_server": summary(server_fired, unit="s"),
        "timer_fired_in_workflow": summary(timer_fired, unit="s"),
        "bare_timer_fired_on_server": summary(bare_server, unit="s"),
        "p99_ratio_to_bare": ratio(figure.product["p99"], figure.baseline["p99"]),
        "reminders_per_second": round(n / spread, 1) if spread else None,
        "cpu_seconds_while_due": {"incident": cpu_incident, "bare": cpu_bare},
        "lateness_by_due_order": quartiles(delivered),
        "latest_traced": await trace_latest(bench.client, planned, delivered),
        "due_between": [round(first, 1), round(first + spread, 1)],
    }
    figure.sizes = {"incidents": n, "due_within_seconds": spread}
    figure.notes.append(
        "Lateness = when the reminder reached the (recording) messenger in the worker minus its "
        "due time (stale_since + interval, from the incident's state). Where the time goes: "
        "timer_fired_on_server is the TimerFired event's time in the history, "
        "timer_fired_in_workflow the REMINDER timeline entry's (the workflow task that acted on "
        "it), the rest is the delivery activity. The reminders fall due evenly across "
        "one minute, after every incident has started and announced itself. Baseline: bare "
        "workflows whose timer, due at the same instants, is followed by a no-op activity."
    )
    await bench.terminate(list(planned))
    return figure


async def cpu_while_due(
    bench: Bench,
    worker: WorkerProcess,
    due: tuple[float, float],
    done: Callable[[], bool],
    *,
    grace: float,
    what: str,
) -> dict[str, float]:
    """From the first due instant until ``done`` (at most ``grace`` s after the last is due): the
    CPU seconds each process spent meanwhile, and the wall time."""
    first, last = due
    await asyncio.sleep(max(0.0, first - time.time()))
    meter = bench.cpu(worker)
    await worker.wait_for(done, timeout=last - time.time() + grace, what=what)
    spent = {k: round(v, 1) for k, v in meter.spent().items()}
    spent["wall"] = round(time.time() - first, 1)
    return spent


async def timer_fired_at(client: Client, workflow_id: str) -> float | None:
    """When the server recorded the workflow's first TimerFired event (epoch seconds)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            return event.event_time.ToDatetime(tzinfo=UTC).timestamp()
    return None


async def trace_latest(
    client: Client, planned: dict[str, float], lateness: list[float], *, count: int = 5
) -> list[dict[str, Any]]:
    """The history after the timer fired, for the ``count`` latest reminders: where they waited
    (each event's seconds after TimerFired; a workflow task's queue kind, a failure's cause)."""
    latest = sorted(zip(lateness, planned, strict=True), reverse=True)[:count]
    traces = []
    for late, workflow_id in latest:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        fired: float | None = None
        steps: list[str] = []
        for event in history.events:
            at = event.event_time.ToDatetime(tzinfo=UTC).timestamp()
            if fired is None:
                if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
                    fired = at
                continue
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            if event.HasField("workflow_task_scheduled_event_attributes"):
                kind = event.workflow_task_scheduled_event_attributes.task_queue.kind
                name += " sticky" if kind == TaskQueueKind.TASK_QUEUE_KIND_STICKY else " normal"
            if event.HasField("workflow_task_failed_event_attributes"):
                name += f" cause={event.workflow_task_failed_event_attributes.cause}"
            if event.HasField("workflow_task_timed_out_event_attributes"):
                name += f" timeout={event.workflow_task_timed_out_event_attributes.timeout_type}"
            steps.append(f"{at - fired:+.3f} {name}")
            if len(steps) >= 8:
                break
        traces.append(
            {
                "workflow_id": workflow_id,
                "late": round(late, 3),
                "due": round(planned[workflow_id], 1),
                "after_fired": steps,
            }
        )
    return traces
