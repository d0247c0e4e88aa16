"""The bare Temporal baseline: a trivial workflow with a no-op Update, a query and timers.

Everything the incident workflow is compared with runs on this, on the same server and in the
same worker process, so a ratio of the two says what the product adds to the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity, workflow

BARE_ACTIVITY = "bare_fired"


@dataclass
class BareStart:
    """``due``: wall-clock instants (UTC) at which the workflow wakes and runs a no-op activity;
    ``announce``: run the no-op activity once at the start (as an incident announces itself);
    ``hold``: stay open, waiting for the ``finish`` signal."""

    due: list[datetime] = field(default_factory=list)
    announce: bool = False
    hold: bool = True


@dataclass
class BareFired:
    workflow_id: str
    index: int


@workflow.defn
class BareWorkflow:
    def __init__(self) -> None:
        self._finish = False
        self._updates = 0

    @workflow.run
    async def run(self, start: BareStart) -> int:
        if start.announce:
            await self._fire(-1)
        for index, due in enumerate(start.due):
            delay = due - workflow.now()
            if delay > timedelta(0):
                await workflow.sleep(delay)
            await self._fire(index)
        if start.hold:
            await workflow.wait_condition(lambda: self._finish)
        return self._updates

    async def _fire(self, index: int) -> None:
        await workflow.execute_activity(
            BARE_ACTIVITY,
            BareFired(workflow_id=workflow.info().workflow_id, index=index),
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.update
    def noop(self) -> int:
        self._updates += 1
        return self._updates

    @workflow.query
    def state(self) -> int:
        return self._updates

    @workflow.signal
    def finish(self) -> None:
        self._finish = True


def bare_activity(record: Callable[[BareFired], None]) -> Callable[..., Any]:
    """The no-op activity, reporting when it ran (the baseline's "a reminder reached people")."""

    @activity.defn(name=BARE_ACTIVITY)
    async def bare_fired(fired: BareFired) -> None:
        record(fired)

    return bare_fired
