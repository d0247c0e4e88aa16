"""The bare baseline and the incidents measured side by side, on the same server and worker.

``in_turns`` times each side once per repetition, the side that goes first rotating, so that none
always runs on a machine the one before it warmed or left busy (update_latency, show_wall_time,
start_throughput).

``BareTimers`` and ``Reminded`` are the two sides of the reminder figures (reminder_lateness,
burst_reminders): bare workflows that wake at an instant and run the no-op activity, and
incidents whose reminder reaches the worker's messenger; both read from the worker's events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from bench.baseline import BareStart
from bench.figure import Bench
from bench.harness import WorkerProcess, utc_from_epoch

T = TypeVar("T")


async def in_turns(
    reps: int,
    sides: Mapping[str, Callable[[], Awaitable[T]]],
    *,
    after_each: Callable[[], Awaitable[object]] | None = None,
) -> dict[str, list[T]]:
    """Each side once per repetition, the first one rotating through ``sides``, ``after_each``
    after every call; what each side returned, in order."""
    results: dict[str, list[T]] = {name: [] for name in sides}
    names = list(sides)
    for rep in range(reps):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(await sides[name]())
            if after_each is not None:
                await after_each()
    return results


class BareTimers:
    """Bare workflows that wake at their instant and run the no-op activity: what a reminder
    costs the engine alone. With ``announce``, each runs it once at its start too, as an incident
    announces itself. Made before they start: it counts the worker's reports from then."""

    def __init__(self, bench: Bench, worker: WorkerProcess, queue: str, *, announce: bool) -> None:
        self.due: dict[str, float] = {}  # epoch seconds, by workflow id
        self._bench, self._worker, self._queue, self._announce = bench, worker, queue, announce
        self._reported = worker.count("bare")

    async def start(self, ids: Iterable[str], due_at: Callable[[str], float]) -> None:
        """Start each workflow, its timer due at ``due_at(id)``, asked right before its start."""

        async def start(workflow_id: str) -> object:
            self.due[workflow_id] = due_at(workflow_id)
            wake = [utc_from_epoch(self.due[workflow_id])]
            bare = BareStart(due=wake, announce=self._announce, hold=False)
            return await self._bench.start_bare(workflow_id, bare, self._queue)

        await self._bench.map(start, ids)

    def all_fired(self) -> bool:
        """Every timer's activity ran (and, with ``announce``, every start's)."""
        per_workflow = 2 if self._announce else 1
        return self._worker.count("bare") >= self._reported + per_workflow * len(self.due)

    def lateness(self) -> list[float]:
        """Seconds from each timer's due instant to its activity, for those that ran."""
        return [
            event["t"] - self.due[event["workflow_id"]]
            for event in self._worker.events
            if event["event"] == "bare" and event["index"] == 0 and event["workflow_id"] in self.due
        ]


class Reminded:
    """Which incidents a reminder has reached the worker's messenger for. Made before they start:
    it reads the worker's reports from then."""

    def __init__(self, worker: WorkerProcess, ids: Iterable[str]) -> None:
        self.waiting = set(ids)
        self._worker = worker
        self._scanned = len(worker.events)

    def every_incident(self) -> bool:
        # By incident, not by count: one due early may remind twice before another's first.
        for event in self._worker.events[self._scanned :]:
            if event["event"] == "notice" and event["kind"] == "reminder":
                self.waiting.discard(event["incident"])
        self._scanned = len(self._worker.events)
        return not self.waiting
