"""Incident start throughput against bare workflow start throughput.

    python -m bench --only start_throughput [--runner local-deliveries]

Rounds of starts, bare and incident in turns: a start counts once the workflow answers its first
query. The CPU each start costs the client, the worker and the server is reported beside it, and
the rates are kept on the bench for the reminder figure's lead time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial

from bench.baseline import BareStart, BareWorkflow
from bench.figure import Bench, Figure
from bench.harness import WorkerProcess, declaration, ratio, summary, timed
from bench.side_by_side import in_turns
from bench.waits import announced
from temporal_client.client import IncidentClient


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
            # As the CLI, the relay and an alarm start one: the policy is the worker's.
            start = declaration(incident_id, policy_from_the_worker=True)
            await front_end.start(start, explicit_id=True)

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

    async def then_end(run: Callable[[], Awaitable[list[str]]]) -> None:
        await bench.terminate(await run())
        await asyncio.sleep(0.5)

    rounds = {"bare": partial(then_end, bare_round), "incident": partial(then_end, incident_round)}
    await in_turns(bench.sizes.start_rounds, rounds)
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
