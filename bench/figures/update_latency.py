"""A command: a progress update Update on an incident against a no-op Update on a bare workflow.

    python -m bench --only update_latency

The value is the ratio of their medians, each command sent to a quiet incident (its previous
message delivered); back to back and through ``IncidentClient.send`` are reported beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

from bench.baseline import BareStart, BareWorkflow
from bench.figure import Bench, Figure
from bench.harness import (
    LEAD,
    UPDATE_TEXT,
    WorkerProcess,
    declaration,
    millis,
    ratio,
    summary,
    timed,
)
from bench.side_by_side import in_turns
from temporal_client.client import IncidentClient
from workflows.incident import IncidentWorkflow
from workflows.model import Action
from workflows.model.commands import ProgressUpdate


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
    for warmup in range(3):
        for call in kinds.values():
            await call()
            await delivered()
        del warmup
    timings = {name: partial(timed, call) for name, call in kinds.items()}
    quiet = await in_turns(reps, timings, after_each=delivered)
    # No delivery awaited in between, and the incident first on even repetitions.
    back_to_back = await in_turns(reps, {name: timings[name] for name in ("incident", "bare")})
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
