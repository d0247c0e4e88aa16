"""What every figure is given and what it returns.

A figure is an ``async`` function of :class:`Bench` (the client, the dev server's address, the
:class:`Sizes` of this run) returning a :class:`Figure`: the value compared with the target,
whether it is met, and the raw medians and p99s of both sides, so ``bench/results.json`` says how
each number came about. ``FULL`` is what the README reports; ``QUICK`` is a smoke run.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle

from bench.baseline import BareStart, BareWorkflow
from bench.harness import CpuMeter, WorkerProcess
from temporal_client.client import opening
from temporal_client.settings import Settings
from workflows.incident import IncidentWorkflow
from workflows.model import IncidentStart, IncidentState

T = TypeVar("T")
A = TypeVar("A")


@dataclass(frozen=True)
class Burst:
    """Sev1 incidents declared at once, each reminding every ``every_seconds``."""

    incidents: int
    every_seconds: float

    @classmethod
    def parse(cls, text: str) -> Burst:
        """``200@30``: 200 incidents reminding every 30 s."""
        incidents, _, every = text.partition("@")
        try:
            burst = cls(int(incidents), float(every))
        except ValueError:
            burst = None
        if burst is None or burst.incidents < 1 or not burst.every_seconds > 0:
            raise ValueError(f"a burst is INCIDENTS@SECONDS, such as 200@30, not {text!r}")
        return burst

    def __str__(self) -> str:
        return f"{self.incidents}@{self.every_seconds:g}s"


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
    # Bursts whose cadence gives the machine time to take the burst in (the bound applies), and
    # bursts whose cadence is shorter than that (compared with bare timers instead).
    bursts: tuple[Burst, ...]
    overload_bursts: tuple[Burst, ...]
    outage_incidents: int
    outage_updates: int
    # An alarm storm through the intake: notifications from flapping alarms, spread evenly over
    # the seconds given, at most storm_senders in flight.
    storm_alarms: int
    storm_notifications: int
    storm_seconds: float
    storm_senders: int
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
    bursts=(Burst(20, 3.0), Burst(200, 30.0)),
    overload_bursts=(Burst(200, 3.0),),
    outage_incidents=20,
    outage_updates=5,
    storm_alarms=50,
    storm_notifications=1000,
    storm_seconds=60,
    storm_senders=10,
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
    bursts=(Burst(3, 3.0), Burst(6, 3.0)),
    overload_bursts=(Burst(4, 3.0),),
    outage_incidents=2,
    outage_updates=2,
    storm_alarms=4,
    storm_notifications=40,
    storm_seconds=4,
    storm_senders=4,
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
        """Started as `incident declare` starts it (search attributes given, title in the
        memo), without its checks of the worker and the id."""
        start, options = opening(start)
        return await self.client.start_workflow(
            IncidentWorkflow.run, start, id=start.id, task_queue=task_queue, **options
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
