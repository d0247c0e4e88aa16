"""How incidents started before delivery lanes (patch ``delivery-lanes``) deliver: one effect at
a time, timers between. Their histories replay through it; new incidents never take it.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow

if TYPE_CHECKING:
    from workflows.incident import IncidentWorkflow
    from workflows.model import IncidentStart, IncidentState


async def run_serially(flow: IncidentWorkflow, start: IncidentStart) -> IncidentState:
    incident = flow._incident
    while True:
        if incident.reminders.fire_due_timers(workflow.now()):
            flow._publish()
        if incident.finished and not incident.outbox.effects:
            break
        if flow._should_continue_as_new():
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(flow._next_run(start))
        if incident.outbox.effects:
            await flow._deliver_next_effect()
        else:
            await _sleep_until_next_change(flow)
    await workflow.wait_condition(workflow.all_handlers_finished)
    return incident.state


async def _sleep_until_next_change(flow: IncidentWorkflow) -> None:
    """Wait for a command, a delivery's end or the next due timer, whichever comes first."""
    flow._changed = False
    deadline = flow._incident.reminders.next_deadline()
    timeout = None if deadline is None else deadline - workflow.now()
    if timeout is not None and timeout <= timedelta(0):
        return
    with contextlib.suppress(TimeoutError):
        await workflow.wait_condition(lambda: flow._changed, timeout=timeout)
