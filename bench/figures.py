"""The figures of issue 6, each measured against the bare baseline in the same run.

Every figure function takes the :class:`Bench` (client, server address, sizes) and returns a
:class:`Figure`: the value compared with the target, whether it is met, and the raw medians and
p99s of both sides, so ``bench/results.json`` says how each number came about.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any, TypeVar

from temporalio.api.enums.v1 import EventType, TaskQueueKind
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.baseline import BareStart, BareWorkflow
from bench.harness import (
    BIN,
    LEAD,
    CpuMeter,
    WorkerProcess,
    clean_env,
    declaration,
    percentile,
    ratio,
    run_process,
    sev1_every,
    summary,
    utc_from_epoch,
)
from temporal_client.client import IncidentClient
from temporal_client.settings import Settings
from workflows.incident import IncidentWorkflow
from workflows.model import (
    ChannelRef,
    ChannelRequest,
    EntryKind,
    IncidentStart,
    IncidentState,
    ProgressUpdate,
    TimelineEntry,
)
from workflows.process import Incident
from workflows.rules import Action

T = TypeVar("T")
A = TypeVar("A")

# Temporal's default limit.blobSize.error: a payload (workflow input included) above it is refused.
BLOB_SIZE_LIMIT = 2 * 1024 * 1024
UPDATE_TEXT = "Restarted the search pods; error rate is falling, still watching the dashboards"


@dataclass(frozen=True)
class Sizes:
    """How much each figure does. ``FULL`` is what the README reports; ``QUICK`` is a smoke run."""

    update_reps: int
    show_reps: int
    reminder_incidents: int
    reminder_spread_seconds: float
    reminder_min_lead_seconds: float
    memory_incidents: int
    start_rounds: int
    start_batch: int
    long_updates: int
    long_events_limit: int | None
    long_concurrency: int
    long_backlog: int
    long_live_updates: int
    long_tail: int
    fanout_incidents: int
    fanout_updates: int
    show_queries: int
    burst_sizes: tuple[int, ...]
    burst_interval_seconds: float
    outage_incidents: int
    outage_updates: int
    settle_seconds: float = 3.0
    concurrency: int = 32


FULL = Sizes(
    update_reps=200,
    show_reps=15,
    reminder_incidents=1000,
    reminder_spread_seconds=60,
    reminder_min_lead_seconds=10,
    memory_incidents=2_000,
    start_rounds=3,
    start_batch=200,
    long_updates=20_000,
    long_events_limit=None,
    long_concurrency=4,
    long_backlog=8,
    long_live_updates=2000,
    long_tail=600,
    fanout_incidents=100,
    fanout_updates=3,
    show_queries=30,
    burst_sizes=(20, 200),
    burst_interval_seconds=3.0,
    outage_incidents=20,
    outage_updates=5,
)
QUICK = Sizes(
    update_reps=5,
    show_reps=2,
    reminder_incidents=5,
    reminder_spread_seconds=0.5,
    reminder_min_lead_seconds=1,
    memory_incidents=30,
    start_rounds=1,
    start_batch=5,
    long_updates=20,
    long_events_limit=40,
    long_concurrency=2,
    long_backlog=4,
    long_live_updates=10,
    long_tail=5,
    fanout_incidents=3,
    fanout_updates=1,
    show_queries=10,
    burst_sizes=(3, 6),
    burst_interval_seconds=3.0,
    outage_incidents=2,
    outage_updates=2,
    settle_seconds=0.3,
)


@dataclass
class Figure:
    key: str
    title: str
    target: str
    unit: str
    value: float | None = None
    met: bool | None = None
    product: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    sizes: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Bench:
    client: Client
    address: str
    sizes: Sizes
    log: Callable[[str], None]
    server_pid: int | None = None
    rates: dict[str, float] = field(default_factory=dict)

    def cpu(self, worker: WorkerProcess) -> CpuMeter:
        """CPU spent from now by this process (the client), the worker and the server."""
        return CpuMeter({"client": None, "worker": worker.pid, "server": self.server_pid})

    def name(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    def settings(self, task_queue: str) -> Settings:
        return Settings(
            temporal_address=self.address,
            temporal_task_queue=task_queue,
            incident_cli_timeout_seconds=60,
        )

    async def map(self, call: Callable[[A], Awaitable[T]], items: Iterable[A]) -> list[T]:
        """``call`` on every item, at most ``sizes.concurrency`` in flight; results in order."""
        gate = asyncio.Semaphore(self.sizes.concurrency)

        async def one(item: A) -> T:
            async with gate:
                return await call(item)

        return await asyncio.gather(*(one(item) for item in items))

    async def start_incident(
        self, start: IncidentStart, task_queue: str
    ) -> WorkflowHandle[IncidentWorkflow, IncidentState]:
        return await self.client.start_workflow(
            IncidentWorkflow.run, start, id=start.id, task_queue=task_queue
        )

    async def start_bare(
        self, workflow_id: str, start: BareStart, task_queue: str
    ) -> WorkflowHandle[BareWorkflow, int]:
        return await self.client.start_workflow(
            BareWorkflow.run, start, id=workflow_id, task_queue=task_queue
        )

    async def terminate(self, workflow_ids: Sequence[str]) -> None:
        async def end(workflow_id: str) -> None:
            with contextlib.suppress(Exception):
                await self.client.get_workflow_handle(workflow_id).terminate("bench done")

        await self.map(end, workflow_ids)


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return time.perf_counter() - began


def millis(samples: list[float]) -> list[float]:
    return [s * 1000 for s in samples]


# --- 1. A command: progress update Update vs bare no-op Update -----------------------------------


async def update_latency(bench: Bench, worker: WorkerProcess, queues: tuple[str, str]) -> Figure:
    figure = Figure(
        key="update_latency",
        title="progress update Update p50 / bare no-op Update p50",
        target="<= 1.2",
        unit="ratio",
    )
    incident_queue, bare_queue = queues
    reps = bench.sizes.update_reps
    incident = await bench.start_incident(declaration(bench.name("inc-update")), incident_queue)
    bare = await bench.start_bare(bench.name("bare-update"), BareStart(), bare_queue)
    await incident.query(IncidentWorkflow.state)
    await bare.query(BareWorkflow.state)
    front_end = IncidentClient(bench.client, bench.settings(incident_queue))
    sent = 0

    def progress() -> ProgressUpdate:
        nonlocal sent
        sent += 1
        return ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} ({sent})")

    async def bare_update() -> None:
        await bare.execute_update(BareWorkflow.noop)

    async def incident_update() -> None:
        await incident.execute_update(Action.UPDATE, progress())

    async def client_update() -> None:
        await front_end.send(incident.id, Action.UPDATE, progress())

    async def delivered() -> None:
        """Each command on a quiet incident: wait until its message has been delivered."""
        await worker.wait_for(
            lambda: worker.count("notice", "update") >= sent, timeout=30, what="delivery"
        )
        await asyncio.sleep(0.03)

    kinds: dict[str, Callable[[], Awaitable[None]]] = {
        "bare": bare_update,
        "incident": incident_update,
        "incident_client": client_update,
    }
    quiet: dict[str, list[float]] = {name: [] for name in kinds}
    for warmup in range(3):
        for call in kinds.values():
            await call()
            await delivered()
        del warmup
    for rep in range(reps):
        names = list(kinds)
        names = names[rep % 3 :] + names[: rep % 3]
        for name in names:
            quiet[name].append(await timed(kinds[name]))
            await delivered()
    back_to_back: dict[str, list[float]] = {"bare": [], "incident": []}
    for rep in range(reps):
        for name in ("bare", "incident") if rep % 2 else ("incident", "bare"):
            back_to_back[name].append(await timed(kinds[name]))
    await delivered()
    figure.product = summary(millis(quiet["incident"]), unit="ms")
    figure.baseline = summary(millis(quiet["bare"]), unit="ms")
    figure.value = ratio(figure.product["median"], figure.baseline["median"])
    figure.met = figure.value <= 1.2
    via_client = summary(millis(quiet["incident_client"]), unit="ms")
    b2b_incident = summary(millis(back_to_back["incident"]), unit="ms")
    b2b_bare = summary(millis(back_to_back["bare"]), unit="ms")
    figure.extra = {
        "incident_client_send": via_client
        | {"ratio_p50": ratio(via_client["median"], figure.baseline["median"])},
        "back_to_back_incident": b2b_incident,
        "back_to_back_bare": b2b_bare,
        "back_to_back_ratio_p50": ratio(b2b_incident["median"], b2b_bare["median"]),
    }
    figure.sizes = {"reps": reps}
    figure.notes.append(
        "Each command is sent to a quiet incident (its previous message delivered), as people "
        "do; back_to_back sends the next command as soon as the last one returned, so it "
        "queues behind the delivery of the previous message. incident_client_send is the "
        "CLI/relay path (IncidentClient.send: a worker check, then the Update)."
    )
    await bench.terminate([incident.id, bare.id])
    return figure


# --- 2. `incident show` as a whole process vs python + import + the Go CLI query -------------------


async def show_wall_time(bench: Bench, worker: WorkerProcess, incident_queue: str) -> Figure:
    figure = Figure(
        key="show_wall_time",
        title="`incident show` wall time / (python + import temporalio.client + `temporal "
        "workflow query`)",
        target="<= 1.3",
        unit="ratio",
    )
    incident = await bench.start_incident(declaration(bench.name("inc-show")), incident_queue)
    for n in range(5):
        await incident.execute_update(
            Action.UPDATE, ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} {n}")
        )
    env = clean_env(TEMPORAL_ADDRESS=bench.address)
    cli = BIN / "incident"
    show = [str(cli), "show", incident.id] if cli.exists() else []
    show = show or [sys.executable, "-m", "starter", "show", incident.id]
    python_import = [sys.executable, "-c", "import temporalio.client"]
    go_query = [
        str(BIN / "temporal"),
        "workflow",
        "query",
        "--address",
        bench.address,
        "--workflow-id",
        incident.id,
        "--type",
        "state",
    ]
    samples: dict[str, list[float]] = {"show": [], "python_import": [], "go_query": []}
    commands = {"show": show, "python_import": python_import, "go_query": go_query}
    with tempfile.TemporaryDirectory() as empty:  # no stray .env is read
        for command in commands.values() if bench.sizes.show_reps > 2 else ():
            await run_process(command, env, cwd=empty)  # warm the page cache
        for rep in range(bench.sizes.show_reps):
            names = list(commands)
            names = names[rep % 3 :] + names[: rep % 3]
            for name in names:
                samples[name].append(await run_process(commands[name], env, cwd=empty))
    baseline = [a + b for a, b in zip(samples["python_import"], samples["go_query"], strict=True)]
    figure.product = summary(millis(samples["show"]), unit="ms")
    figure.baseline = summary(millis(baseline), unit="ms")
    figure.value = ratio(figure.product["median"], figure.baseline["median"])
    figure.met = figure.value <= 1.3
    figure.extra = {
        "python_import_temporalio_client": summary(millis(samples["python_import"]), unit="ms"),
        "go_temporal_workflow_query": summary(millis(samples["go_query"]), unit="ms"),
        "show_command": " ".join(show[:-1]) + " ID",
    }
    figure.sizes = {"reps": bench.sizes.show_reps}
    figure.notes.append(
        "Baseline per repetition: `python -c 'import temporalio.client'` plus the Go "
        "`temporal workflow query --type state` on the same incident, run one after the other."
    )
    await bench.terminate([incident.id])
    return figure


# --- 5. Incident start throughput vs bare workflow start throughput --------------------------------


async def start_throughput(bench: Bench, worker: WorkerProcess, queues: tuple[str, str]) -> Figure:
    figure = Figure(
        key="start_throughput",
        title="incident start throughput / bare workflow start throughput",
        target=">= 0.8",
        unit="ratio",
    )
    incident_queue, bare_queue = queues
    batch = bench.sizes.start_batch
    front_end = IncidentClient(bench.client, bench.settings(incident_queue))
    rates: dict[str, list[float]] = {"bare": [], "incident": []}
    cpu: dict[str, list[dict[str, float]]] = {"bare": [], "incident": []}
    settled: list[float] = []

    async def bare_round() -> list[str]:
        ids = [bench.name("bare-start") for _ in range(batch)]

        async def one(workflow_id: str) -> None:
            handle = await bench.start_bare(workflow_id, BareStart(), bare_queue)
            await handle.query(BareWorkflow.state)

        meter = bench.cpu(worker)
        rates["bare"].append(batch / await timed(lambda: bench.map(one, ids)))
        cpu["bare"].append(meter.spent())
        return ids

    async def incident_round() -> list[str]:
        ids = [bench.name("inc-start") for _ in range(batch)]
        declared = announced(worker)

        async def one(incident_id: str) -> None:
            await front_end.start(declaration(incident_id), explicit_id=True)

        meter = bench.cpu(worker)
        began = time.perf_counter()
        rates["incident"].append(batch / await timed(lambda: bench.map(one, ids)))
        # The next round starts on a quiet worker: channels and announcements delivered.
        await worker.wait_for(
            lambda: announced(worker) >= declared + batch,
            timeout=600,
            what="the announcements",
        )
        settled.append(batch / (time.perf_counter() - began))
        cpu["incident"].append(meter.spent())
        return ids

    for round_ in range(bench.sizes.start_rounds):
        first, second = (
            (bare_round, incident_round) if round_ % 2 == 0 else (incident_round, bare_round)
        )
        for run in (first, second):
            await bench.terminate(await run())
            await asyncio.sleep(0.5)
    figure.product = summary(rates["incident"], unit="starts/s")
    figure.baseline = summary(rates["bare"], unit="starts/s")
    figure.value = ratio(figure.product["median"], figure.baseline["median"])
    figure.met = figure.value >= 0.8
    figure.extra["cpu_ms_per_start"] = {
        kind: {
            process: round(1000 * sum(r[process] for r in rounds) / (batch * len(rounds)), 2)
            for process in ("client", "worker", "server")
        }
        for kind, rounds in cpu.items()
    }
    figure.sizes = {
        "rounds": bench.sizes.start_rounds,
        "starts_per_round": batch,
        "in_flight": bench.sizes.concurrency,
    }
    figure.notes.append(
        "A start counts once the workflow answers its first query (its first workflow task ran "
        "on the worker): the incident through IncidentClient.start, as `incident declare` does "
        "(worker check, start, query state); the bare workflow by start_workflow + query. "
        "cpu_ms_per_start: CPU time per start in each process, for the incident including the "
        "delivery of its channel and announcement (the work a start sets off)."
    )
    figure.extra["incident_starts_delivered_per_second"] = summary(settled, unit="starts/s")
    bench.rates["incident_settled"] = figure.extra["incident_starts_delivered_per_second"]["median"]
    bench.rates["incident_start"] = figure.product["median"]
    bench.rates["bare_start"] = figure.baseline["median"]
    return figure


# --- 3. Reminder lateness: many reminders due in the same minute -----------------------------------


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
    fired = worker.count("bare")

    async def start_bare(workflow_id: str) -> object:
        due = [utc_from_epoch(bare_due[workflow_id])]
        return await bench.start_bare(workflow_id, BareStart(due=due, hold=False), bare_queue)

    await bench.map(start_bare, bare_due)
    bench.log(f"  bare timers: {n} started, first due in {first - time.time():.1f} s")
    await asyncio.sleep(max(0.0, first - time.time()))
    meter = bench.cpu(worker)
    await worker.wait_for(
        lambda: worker.count("bare") >= fired + n,
        timeout=first + spread - time.time() + 120,
        what="the bare timers",
    )
    cpu_bare = {k: round(v, 1) for k, v in meter.spent().items()}
    cpu_bare["wall"] = round(time.time() - first, 1)
    bare_late = [
        event["t"] - bare_due[event["workflow_id"]]
        for event in worker.events
        if event["event"] == "bare" and event["workflow_id"] in bare_due
    ]
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

    scanned = len(worker.events)  # the reminders are looked for from here
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
    await asyncio.sleep(max(0.0, first - time.time()))
    meter = bench.cpu(worker)
    reminded: set[str] = set()

    def every_incident_reminded() -> bool:
        # By incident, not by count: one due early in the minute may remind twice within it.
        nonlocal scanned
        for event in worker.events[scanned:]:
            if event["event"] == "notice" and event["kind"] == "reminder":
                reminded.add(event["incident"])
        scanned = len(worker.events)
        return reminded >= planned.keys()

    await worker.wait_for(
        every_incident_reminded,
        timeout=first + spread - time.time() + 300,
        what="the reminders",
    )
    cpu_incident = {k: round(v, 1) for k, v in meter.spent().items()}
    cpu_incident["wall"] = round(time.time() - first, 1)

    async def facts(incident_id: str) -> tuple[IncidentState, list[TimelineEntry]]:
        handle = bench.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
        return await handle.query(IncidentWorkflow.state), await handle.query(
            IncidentWorkflow.timeline
        )

    answers = await bench.map(facts, planned)
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


def quartiles(samples: list[float]) -> list[float]:
    """Median lateness of the first, second, third and last quarter of the reminders by due time:
    growing from one quarter to the next means the worker fell behind."""
    size = max(1, len(samples) // 4)
    return [round(percentile(samples[i : i + size], 50), 3) for i in range(0, size * 4, size)]


# --- 4. Worker memory per open incident ------------------------------------------------------------


async def worker_memory(bench: Bench) -> Figure:
    figure = Figure(
        key="worker_memory",
        title="worker RSS per open incident (each with a pending timer) / per bare workflow",
        target="<= 1.1",
        unit="ratio",
    )
    n = bench.sizes.memory_incidents
    warm = 20
    results = {kind: await memory_of(bench, kind, n, warm) for kind in ("bare", "incident")}
    figure.product = results["incident"]
    figure.baseline = results["bare"]
    figure.value = ratio(results["incident"]["per_workflow_kb"], results["bare"]["per_workflow_kb"])
    figure.met = figure.value <= 1.1
    figure.extra = {
        "incident_kb": results["incident"]["per_workflow_kb"],
        "max_cached_workflows": 1000,
    }
    figure.sizes = {"open_workflows": n, "warm_up": warm}
    figure.notes.append(
        "RSS of a fresh worker process (worker.build_worker, recording messenger) after "
        f"{warm} warm-up incidents, then after {n} more, each active with its stale-progress "
        "timer pending and its channel and announcement delivered; (after - before) / n. The "
        "SDK keeps at most 1,000 workflows in its cache (max_cached_workflows, default): "
        "beyond that an incident costs the worker nothing until its timer fires and it is "
        "replayed. Baseline: bare workflows that ran one no-op activity and wait on a timer."
    )
    return figure


async def memory_of(bench: Bench, kind: str, n: int, warm: int) -> dict[str, Any]:
    """RSS growth of a fresh worker process of its own as ``n`` workflows of ``kind`` open."""
    queue = bench.name(f"{kind}-memory")
    in_an_hour = utc_from_epoch(time.time() + 3600)
    ids = [f"{kind}-mem-{index}-{queue}" for index in range(warm + n)]

    async def start(workflow_id: str) -> object:
        if kind == "incident":
            return await bench.start_incident(declaration(workflow_id), queue)
        return await bench.start_bare(
            workflow_id, BareStart(announce=True, due=[in_an_hour]), queue
        )

    incident_queue, bare_queue = (queue, None) if kind == "incident" else (None, queue)
    async with WorkerProcess(
        bench.address, incident_queue=incident_queue, bare_queue=bare_queue
    ) as worker:

        def done() -> int:
            return announced(worker) if kind == "incident" else worker.count("bare")

        await bench.map(start, ids[:warm])
        await worker.wait_for(lambda: done() >= warm, timeout=120, what="the warm-up")
        await asyncio.sleep(bench.sizes.settle_seconds)
        before = await rss_median(worker, every=bench.sizes.settle_seconds / 10)
        began = time.perf_counter()
        await bench.map(start, ids[warm:])
        await worker.wait_for(lambda: done() >= warm + n, timeout=3600, what="the starts")
        elapsed = time.perf_counter() - began
        await asyncio.sleep(bench.sizes.settle_seconds)
        after = await rss_median(worker, every=bench.sizes.settle_seconds / 10)
    await bench.terminate(ids)
    result = {
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "per_workflow_kb": round((after - before) / n / 1024, 2),
        "settled_in_seconds": round(elapsed, 1),
    }
    bench.log(f"  {kind}: {result}")
    return result


async def rss_median(worker: WorkerProcess, *, every: float, samples: int = 5) -> float:
    values = []
    for _ in range(samples):
        values.append(float(worker.rss_bytes()))
        await asyncio.sleep(every)
    return percentile(values, 50)


# --- 6. One incident with many progress updates ----------------------------------------------------


def announced(worker: WorkerProcess) -> int:
    """Incidents whose start-up deliveries are done: the announcement and the pinned summary (the
    last of them), so a figure that follows starts on a quiet worker."""
    return min(worker.count("notice", "declared"), worker.count("notice", "summary"))


def grown(start: IncidentStart, updates: int) -> Iterator[tuple[int, Callable[[], IncidentStart]]]:
    """``start`` as continue-as-new would carry it after 1, 2, … ``updates`` progress updates,
    built by the process code itself (``workflows/process.py``), every message delivered."""
    now = utc_from_epoch(time.time() - updates - 60)
    incident = Incident.open(start, now)

    def deliver_all() -> None:
        for effect in list(incident.outbox):
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


# --- 7. Slack fan-out ------------------------------------------------------------------------------


async def slack_fanout(bench: Bench) -> Figure:
    figure = Figure(
        key="slack_fanout",
        title="Slack fan-out: incidents declared and updated at once, against the Slack stand-in",
        target="never > 1 message/s per channel sustained; total time reported",
        unit="messages/s",
    )
    try:
        from activities.slack import SlackMessenger  # noqa: F401
        from messages.slack_blocks import posted_key
        from tests.standins.slack import BOT_USER, SlackStandIn
    except ImportError as error:
        figure.notes.append(f"Not measured: the Slack transport is not there ({error}).")
        return figure

    posts: list[tuple[float, str, str | None]] = []

    class TimedSlack(SlackStandIn):
        """The stand-in, noting when each message was posted and in which channel."""

        def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
            answer = super()._chat_postMessage(params)
            if answer.get("ok"):
                posts.append((time.time(), str(answer["channel"]), posted_key(params)))
            return answer

    n = bench.sizes.fanout_incidents
    updates_each = bench.sizes.fanout_updates
    slack = TimedSlack(token="xoxb-bench")
    url = await slack.start()
    slack.add_channel("wc-platform", members={BOT_USER})
    queue = bench.name("slack")
    ids = [bench.name("inc-fanout") for _ in range(n)]
    expected = n * (2 + updates_each)  # channel intro, announcement, updates
    try:
        async with WorkerProcess(
            bench.address,
            incident_queue=queue,
            extra=["--slack-url", url, "--slack-token", slack.token],
        ) as worker:
            began = time.time()
            await bench.map(lambda i: bench.start_incident(declaration(i), queue), ids)
            for k in range(updates_each):

                async def update(incident_id: str, k: int = k) -> object:
                    handle = bench.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
                    return await handle.execute_update(
                        Action.UPDATE,
                        ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} ({k + 1})"),
                    )

                await bench.map(update, ids)
            sent = time.time()
            await worker.wait_for(
                lambda: len(posts) >= expected,
                timeout=30 + 5 * expected,
                what="every post",
                poll=0.5,
            )
            await asyncio.sleep(2)  # a late duplicate would show here
    finally:
        await slack.stop()
    await bench.terminate(ids)
    by_channel: dict[str, list[float]] = {}
    for at, channel, _key in posts:
        by_channel.setdefault(channel, []).append(at)
    keys = [key for _at, _channel, key in posts]
    duplicates = len(keys) - len(set(keys))
    repeated = sorted({key for key in keys if keys.count(key) > 1}, key=str)
    figure.extra["duplicate_posts"] = [
        {
            "key": key,
            "channel": next(c for _a, c, k in posts if k == key),
            "posted_at_seconds": [round(a - began, 2) for a, _c, k in posts if k == key],
        }
        for key in repeated[:10]
    ]
    rates = {channel: sustained_rate(times) for channel, times in by_channel.items()}
    platform = slack.by_name("wc-platform").id
    busiest = max(len(times) for times in by_channel.values())
    total = max(at for at, _c, _k in posts) - began
    gaps = [b - a for times in by_channel.values() for a, b in itertools.pairwise(times)]
    worst = max(rates.values())
    figure.value = round(worst, 3)
    figure.met = worst <= 1.0 + RATE_TOLERANCE and duplicates == 0
    figure.product = {
        "total_seconds": round(total, 1),
        "commands_sent_in_seconds": round(sent - began, 1),
        "messages": len(posts),
        "channels": len(by_channel),
        "max_sustained_per_channel": round(worst, 3),
        "platform_channel_sustained": round(rates.get(platform, 0.0), 3),
        "min_gap_seconds": round(min(gaps), 3) if gaps else None,
        "duplicates": duplicates,
    }
    figure.baseline = {
        "lower_bound_seconds": float(busiest - 1),
        "why": "the busiest channel's messages at exactly 1 per second",
        "ratio": ratio(total, busiest - 1),
    }
    figure.sizes = {"incidents": n, "updates_each": updates_each, "messages": expected}
    figure.notes.append(
        f"{n} incidents declared at once, then {updates_each} progress updates each sent at "
        "once, delivered by SlackMessenger (one worker) to the Slack stand-in "
        "(tests/standins/slack.py). Sustained rate: the most messages per second a channel got "
        f"over any stretch of at least {RATE_WINDOW:g} s ({RATE_TOLERANCE:.0%} allowed for "
        "timing jitter). Every announcement goes to the one platform channel, so the total time "
        "cannot be under its count in seconds."
    )
    return figure


RATE_WINDOW = 5.0
RATE_TOLERANCE = 0.02


def sustained_rate(times: list[float]) -> float:
    """The highest messages-per-second over any stretch of at least ``RATE_WINDOW`` seconds (or
    over all of them, when they span less)."""
    ordered = sorted(times)
    if len(ordered) < 2:
        return 0.0
    if ordered[-1] - ordered[0] < RATE_WINDOW:
        return (len(ordered) - 1) / max(ordered[-1] - ordered[0], 1e-3)
    best = 0.0
    for i, first in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            span = ordered[j] - first
            if span >= RATE_WINDOW:
                best = max(best, (j - i) / span)
    return best
