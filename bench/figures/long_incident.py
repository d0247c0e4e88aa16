"""One incident with many progress updates: `show` at the end against on a new incident, and
events per run.

    python -m bench --only long_incident [--long-updates 20000] [--long-live]

Part A sends updates live to a new incident; part B starts one as continue-as-new leaves it after
most of them (the carried state built by ``workflows/process.py``) and sends the rest live. The
value is the state query's p50 on the long incident / on a new one, measured in turns once both
are quiet; each run must stay under 10,000 history events, and the carried input under
Temporal's payload limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.figure import Bench, Figure
from bench.harness import (
    BIN,
    LEAD,
    UPDATE_TEXT,
    WorkerProcess,
    clean_env,
    declaration,
    millis,
    ratio,
    run_process,
    summary,
    timed,
    utc_from_epoch,
)
from bench.waits import workflow_task_failures
from temporal_client.client import IncidentClient
from workflows.destinations.slack import ChannelRef, ChannelRequest
from workflows.incident import IncidentWorkflow
from workflows.model import Action, IncidentStart
from workflows.model.commands import ProgressUpdate
from workflows.process import Incident

# Temporal's default limit.blobSize.error: a payload (workflow input included) above it is refused.
BLOB_SIZE_LIMIT = 2 * 1024 * 1024


def grown(start: IncidentStart, updates: int) -> Iterator[tuple[int, Callable[[], IncidentStart]]]:
    """``start`` as continue-as-new would carry it after 1, 2, … ``updates`` progress updates,
    built by the process code itself (``workflows/process.py``), every message delivered."""
    now = utc_from_epoch(time.time() - updates - 60)
    incident = Incident.open(start, now)

    def deliver_all() -> None:
        for effect in list(incident.outbox.effects):
            result = None
            if isinstance(effect, ChannelRequest):
                result = ChannelRef(channel_id=f"#{effect.name}", name=f"#{effect.name}")
            incident.effect_done(effect, result, now)

    deliver_all()
    for k in range(1, updates + 1):
        now += timedelta(seconds=1)
        incident.apply(Action.UPDATE, ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} ({k})"), now)
        deliver_all()
        # Built only when asked for: packing the whole timeline at every step would be O(n²).
        yield k, lambda: start.model_copy(update={"carried": incident.carried()})


def carried_sizes(updates: int, *, step: int = 1000) -> dict[str, Any]:
    """The continue-as-new input after ``k`` updates (every ``step``): the workflow carries its
    whole timeline, so the input grows with every update until Temporal refuses it."""
    converter = pydantic_data_converter.payload_converter
    sizes: dict[int, int] = {}
    for k, carried in grown(declaration("inc-2026-11-23-bench-long-incident"), updates):
        if k % step == 0 or k == updates or k == 1:
            sizes[k] = converter.to_payloads([carried()])[0].ByteSize()
    first, last = min(sizes), max(sizes)
    per_update = (sizes[last] - sizes[first]) / max(1, last - first)
    base = sizes[first] - per_update * first
    return {
        "bytes_at": {str(k): v for k, v in sizes.items()},
        "bytes_per_update": round(per_update, 1),
        "base_bytes": round(base),
        "update_text_chars": len(UPDATE_TEXT) + 8,
        "limit_bytes": BLOB_SIZE_LIMIT,
        "over_limit_after_updates": int((BLOB_SIZE_LIMIT - base) / per_update) + 1,
    }


async def long_incident(bench: Bench, worker: WorkerProcess, incident_queue: str) -> Figure:
    figure = Figure(
        key="long_incident",
        title="one incident with many progress updates: state query p50 at the end / on a new "
        "incident; events per run",
        target="<= 1.2; < 10,000 events per run",
        unit="ratio",
    )
    sizes = bench.sizes
    total = sizes.long_updates
    offline = carried_sizes(total, step=max(1, total // 20))
    figure.extra["carried_input_offline"] = offline
    front_end = IncidentClient(bench.client, bench.settings(incident_queue))
    limit = sizes.long_events_limit

    # A. Live from the first update: show at the start, events per run over several runs.
    live = min(total, sizes.long_live_updates)
    first = declaration(bench.name("inc-long"), history_events_limit=limit)
    await bench.start_incident(first, incident_queue)
    await front_end.state(first.id)
    at_start = await show_samples(bench, front_end, first.id)
    part_a = await send_updates(bench, worker, first.id, live, numbered_from=1)
    runs = await runs_of(bench.client, first.id)
    at_end: dict[str, Any] | None = None
    reached = part_a["completed"]
    failure = part_a["failure"]
    last_id = first.id
    prefilled = 0

    # B. The rest: a run as continue-as-new leaves it after `prefilled` updates, then live ones.
    if failure is None and total > live:
        prefilled = max(live, min(total, offline["over_limit_after_updates"]) - sizes.long_tail)
        start = declaration(bench.name("inc-long"), history_events_limit=limit)
        *_, (_k, carried) = grown(start, prefilled)
        await bench.start_incident(carried(), incident_queue)
        last_id = start.id
        await front_end.state(start.id)
        at_end = await show_samples(bench, front_end, start.id)
        part_b = await send_updates(
            bench, worker, start.id, total - prefilled, numbered_from=prefilled + 1
        )
        reached = prefilled + part_b["completed"]
        failure = part_b["failure"]
        runs += await runs_of(bench.client, start.id)
    at_start_now: dict[str, Any] | None = None
    if failure is None:
        try:
            at_end, at_start_now = await show_at_end(bench, front_end, last_id, incident_queue)
        except Exception as error:
            figure.notes.append(f"show at the end failed: {type(error).__name__}: {error}")
    problems = await workflow_task_failures(bench.client, last_id)
    figure.product = {
        "updates_reached": reached,
        "updates_live": part_a["completed"] + (reached - prefilled if prefilled else 0),
        "updates_prefilled": prefilled,
        "updates_per_second": part_a["per_second"],
        "runs_seen": len(runs),
        "max_events_per_run": max((r["history_length"] for r in runs), default=0),
        "show_at_start": at_start,
        "show_at_end": at_end,
        "show_new_incident_at_the_end": at_start_now,
        "carried_input_bytes_at_stop": int(
            offline["base_bytes"] + offline["bytes_per_update"] * reached
        ),
    }
    figure.extra |= {"runs": runs, "first_failure": failure, "workflow_task_failures": problems}
    if at_end is not None and at_start_now is not None:
        figure.value = ratio(at_end["query"]["median"], at_start_now["query"]["median"])
    max_events = figure.product["max_events_per_run"]
    figure.met = (
        failure is None
        and figure.value is not None
        and figure.value <= 1.2
        and max_events < 10_000
        and reached == total
    )
    figure.sizes = {
        "updates": total,
        "live_from_empty": live,
        "prefilled_then_live": total - live if prefilled else 0,
        "in_flight": sizes.long_concurrency,
        "undelivered_at_most": sizes.long_backlog,
        "history_events_limit": limit,
    }
    figure.notes.append(
        f"Part A sends {live} updates live to a new incident (show at the start, events per run "
        "over its continue-as-new runs). "
        + (
            f"Part B starts an incident as continue-as-new leaves one after {prefilled} updates "
            "(the carried state built by workflows/process.py), measures show there (the end), "
            f"and sends the remaining {total - prefilled} live. "
            if prefilled
            else ""
        )
        + "The value: the state query's p50 on the incident after the last update / on a new "
        "incident, measured in turns once both have delivered their messages (show_at_start, "
        "taken at the very start, is affected by whatever else the machine did then). "
        "Updates are paced so at most a few messages wait for delivery: the carried input is "
        "the timeline, not a backlog. `--long-live` sends every update live (about 30 updates/s "
        "here, so 20,000 take about 11 minutes)."
    )
    if failure is not None:
        figure.notes.append(
            f"Stopped after {reached} updates: {failure}. The incident is stuck from then on: "
            "every workflow task fails (see workflow_task_failures), so commands and queries "
            "are refused until the code changes."
        )
    await bench.terminate([first.id, last_id])
    return figure


async def send_updates(
    bench: Bench, worker: WorkerProcess, incident_id: str, count: int, *, numbered_from: int
) -> dict[str, Any]:
    """``count`` progress updates, a few in flight, never more than ``long_backlog`` undelivered;
    stops at the first failure."""
    handle = bench.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    sent = failed = 0
    failure: str | None = None
    began = time.perf_counter()
    stop = asyncio.Event()
    already = worker.count("notice", "update")
    window = bench.sizes.long_backlog

    def backlog() -> int:
        return sent - (worker.count("notice", "update") - already)

    async def sender() -> None:
        nonlocal sent, failed, failure
        while not stop.is_set() and sent < count:
            if backlog() >= window:
                await asyncio.sleep(0.005)
                continue
            sent += 1
            number = numbered_from + sent - 1
            try:
                await asyncio.wait_for(
                    handle.execute_update(
                        Action.UPDATE,
                        ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} ({number})"),
                    ),
                    timeout=60,
                )
            except Exception as error:
                failed += 1
                if failure is None:
                    failure = f"update {number}: {type(error).__name__}: {error}"
                stop.set()
                return
            if number % 1000 == 0:
                bench.log(f"  {number} updates, {time.perf_counter() - began:.0f} s")

    await asyncio.gather(*(sender() for _ in range(bench.sizes.long_concurrency)))
    elapsed = time.perf_counter() - began
    if failure is None:
        with contextlib.suppress(TimeoutError):
            await worker.wait_for(lambda: backlog() <= 0, timeout=120, what="delivery")
    completed = sent - failed
    return {
        "completed": completed,
        "failure": failure,
        "per_second": round(completed / elapsed, 1) if elapsed else None,
    }


async def show_at_end(
    bench: Bench, front_end: IncidentClient, incident_id: str, incident_queue: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`show` on the long incident and on a new one, in turns, once their messages are out: both
    measured under the same load, so the ratio says what the incident's length costs."""
    new = declaration(bench.name("inc-long-new"))
    await bench.start_incident(new, incident_queue)
    deadline = time.monotonic() + 120
    for each in (incident_id, new.id):
        while (await front_end.state(each)).undelivered:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{each} still had messages to deliver after 120 s")
            await asyncio.sleep(0.5)
    await asyncio.sleep(1)
    turns = 3
    samples: dict[str, dict[str, list[float]]] = {
        each: {"query": [], "process": []} for each in (incident_id, new.id)
    }
    for _ in range(turns):
        for each, taken in samples.items():
            for kind, values in (await sample_show(bench, front_end, each, turns)).items():
                taken[kind] += values
    await bench.terminate([new.id])
    return summarised(samples[incident_id]), summarised(samples[new.id])


async def show_samples(bench: Bench, front_end: IncidentClient, incident_id: str) -> dict[str, Any]:
    """`show` at this moment: the state query (what `incident show` waits for) and the command."""
    return summarised(await sample_show(bench, front_end, incident_id, 1))


async def sample_show(
    bench: Bench, front_end: IncidentClient, incident_id: str, turns: int
) -> dict[str, list[float]]:
    """One turn of `show` samples (ms): the state query, then the whole command."""
    reps = max(1, bench.sizes.show_queries // turns)
    queries = [await timed(lambda: front_end.state(incident_id)) for _ in range(reps)]
    env = clean_env(TEMPORAL_ADDRESS=bench.address)
    command = [str(BIN / "incident"), "show", incident_id]
    with tempfile.TemporaryDirectory() as empty:
        processes = [
            await run_process(command, env, cwd=empty)
            for _ in range(max(1, bench.sizes.show_reps // 3 // turns))
        ]
    return {"query": millis(queries), "process": millis(processes)}


def summarised(samples: dict[str, list[float]]) -> dict[str, Any]:
    return {kind: summary(values, unit="ms") for kind, values in samples.items()}


async def runs_of(client: Client, workflow_id: str) -> list[dict[str, Any]]:
    """Every run of a workflow id (continue-as-new makes one per run), oldest first."""
    runs = []
    async for execution in client.list_workflows(f'WorkflowId = "{workflow_id}"'):
        # Visibility may lag for the running run: describe each run for its history length.
        described = await client.get_workflow_handle(
            workflow_id, run_id=execution.run_id
        ).describe()
        runs.append(
            {
                "run_id": execution.run_id,
                "status": described.status.name if described.status else None,
                "history_length": described.history_length,
                "started": described.start_time.isoformat(),
            }
        )
    return sorted(runs, key=lambda r: str(r["started"]))
