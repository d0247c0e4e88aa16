"""The open alarms, for `incident alerts`: every running alarm's workflow (``workflows/alarm.py``)
as it answers now, with the report or incident it opened as that answers now.

Apart from ``client.py`` (which keeps to the 400 lines every module keeps), and by the workflow's
names rather than its class, as there: importing the workflow would import the whole process.
``tests/test_alerts.py`` checks the names against ``workflows/alarm.py``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.client import RPCTimeoutOrCancelledError, WorkflowQueryFailedError
from temporalio.service import RPCError

from temporal_client.client import CommandError, IncidentClient
from temporal_client.codec import CodecError
from workflows.model import IncidentState
from workflows.model.alarms import AlarmState

ALARM_WORKFLOW_TYPE = "AlarmWorkflow"
ALARM_STATE_QUERY = "state"
ALARM_ID_PREFIX = "alarm-"  # workflows.alarm.alarm_workflow_id
OPEN_ALARMS = f'WorkflowType = "{ALARM_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"'
ASKED_AT_ONCE = 20  # workflows queried at the same time, so hundreds of alarms do not swamp one


@dataclass(frozen=True)
class OpenAlarm:
    """One running alarm's workflow. ``alarm`` is None when it did not answer, ``incident`` when
    it has no report (or that did not answer); ``problem`` then says why, in one sentence."""

    workflow_id: str
    alarm: AlarmState | None
    incident: IncidentState | None = None
    problem: str | None = None

    @property
    def key(self) -> str:
        return self.alarm.key if self.alarm else self.workflow_id.removeprefix(ALARM_ID_PREFIX)

    @property
    def source(self) -> str:
        """The sender, as every key starts with it (``cloudwatch:…``, ``heartbeat:…``)."""
        return self.key.split(":", 1)[0]


async def open_alarms(client: IncidentClient) -> list[OpenAlarm]:
    """Every running alarm's workflow: firing ones first, then the most recently changed."""
    try:
        ids = [execution.id async for execution in client.temporal.list_workflows(OPEN_ALARMS)]
    except RPCError as error:
        raise CommandError(await client._explain(error)) from None  # the client's own words
    at_once = asyncio.Semaphore(ASKED_AT_ONCE)

    async def read(workflow_id: str) -> OpenAlarm:
        async with at_once:
            return await _read(client, workflow_id)

    alarms = await asyncio.gather(*(read(workflow_id) for workflow_id in ids))
    return sorted(alarms, key=_order)


async def _read(client: IncidentClient, workflow_id: str) -> OpenAlarm:
    handle = client.temporal.get_workflow_handle(workflow_id)
    timeout = client.settings.incident_cli_timeout_seconds
    try:
        alarm = await asyncio.wait_for(
            handle.query(ALARM_STATE_QUERY, result_type=AlarmState), timeout=timeout
        )
    except (TimeoutError, RPCTimeoutOrCancelledError):
        return OpenAlarm(workflow_id, None, problem=f"No worker answered within {timeout:g} s.")
    except (RPCError, WorkflowQueryFailedError, CodecError) as error:
        return OpenAlarm(workflow_id, None, problem=_one_line(f"It did not answer: {error}"))
    if alarm.incident_id is None:
        return OpenAlarm(workflow_id, alarm)
    try:
        incident = await client.state(alarm.incident_id)  # asks again while it is opening
    except CommandError as error:
        return OpenAlarm(workflow_id, alarm, problem=str(error))
    return OpenAlarm(workflow_id, alarm, incident)


def _order(item: OpenAlarm) -> tuple[bool, float, str]:
    alarm = item.alarm
    last = alarm.last_at.timestamp() if alarm and alarm.last_at else 0.0
    return (not (alarm and alarm.firing), -last, item.key)


def _one_line(text: str) -> str:
    """The SDK's messages run on into debug output; the first line says enough."""
    line = text.splitlines()[0][:200].rstrip(".")
    return line + "."
