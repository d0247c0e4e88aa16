"""Worker memory per open incident against per bare workflow.

    python -m bench --only worker_memory [--memory-incidents 2000]

Each side runs on a fresh worker process of its own: its RSS after a warm-up, then after ``n``
more workflows are open (each incident active, its stale-progress timer pending, its channel and
announcement delivered). The value is the ratio of the growth per workflow.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.baseline import BareStart
from bench.figure import Bench, Figure
from bench.harness import WorkerProcess, declaration, percentile, ratio, utc_from_epoch
from bench.waits import announced


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
