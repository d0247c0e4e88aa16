"""The intake's forwarder: each notice to its alarm's workflow, with Update-with-Start.

The alarm's workflow (``workflows/alarm.py``, id ``alarm-<key>``) is started if it is not running,
and the notice is its ``notify`` Update, under the notification's id. The call returns once a
worker has accepted the Update, so it is in the workflow's history: only then does the intake
answer 2xx. Temporal unreachable, or no worker accepting within the bound, is
:class:`IntakeUnavailable` (a 503: the sender retries, and the retry is applied once).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from intake.alarms import IntakeUnavailable
from workflows.alarm import ALARM_WORKFLOW, CHECK_IN, NOTIFY, alarm_workflow_id, heartbeat_key
from workflows.model.alarms import AlarmNotice, AlarmStart, HeartbeatNotice

# Below the senders' own timeouts (SNS 15 s, Alertmanager 10 s), so they see our 503.
FORWARD_TIMEOUT = timedelta(seconds=8)


class TemporalForwarder:
    def __init__(self, client: Client, *, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def alarm(self, notice: AlarmNotice) -> None:
        start = AlarmStart(key=notice.key, source=notice.source)
        await self._update(start, NOTIFY, notice, f"notify:{notice.delivery_id}", notice.title)

    async def heartbeat(self, notice: HeartbeatNotice) -> None:
        start = AlarmStart(key=heartbeat_key(notice.name), heartbeat=notice.name)
        await self._update(start, CHECK_IN, notice, None, f"Heartbeat: {notice.name}")

    async def _update(
        self, start: AlarmStart, update: str, arg: object, update_id: str | None, summary: str
    ) -> None:
        operation: WithStartWorkflowOperation[AlarmStart, None] = WithStartWorkflowOperation(
            ALARM_WORKFLOW,
            start,
            id=alarm_workflow_id(start.key),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=summary,
        )
        try:
            await self._send(operation, update, arg, update_id)
        except BaseException:
            _settle(operation)
            raise

    async def _send(
        self,
        operation: WithStartWorkflowOperation[AlarmStart, None],
        update: str,
        arg: object,
        update_id: str | None,
    ) -> None:
        try:
            await asyncio.wait_for(
                self._client.start_update_with_start_workflow(
                    update,
                    arg,
                    start_workflow_operation=operation,
                    wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                    id=update_id,
                ),
                timeout=FORWARD_TIMEOUT.total_seconds(),
            )
        except TimeoutError:
            raise IntakeUnavailable(
                f"no worker accepted the alarm within {FORWARD_TIMEOUT.total_seconds():g} s"
            ) from None
        except RuntimeError as error:  # a lazy client's connection failing
            raise IntakeUnavailable(f"Temporal did not answer: {_first_line(error)}") from None
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
            raise IntakeUnavailable(f"Temporal refused it: {_first_line(error)}") from None
        except WorkflowUpdateFailedError as error:
            raise IntakeUnavailable(f"the alarm's workflow refused it: {error.cause}") from None


def _settle(operation: WithStartWorkflowOperation[AlarmStart, None]) -> None:
    """A failed Update-with-Start leaves its start's outcome (the same failure) in the operation;
    retrieved here, it is not logged later as "Future exception was never retrieved"."""
    outcome = operation._workflow_handle  # the SDK offers only an await, which may not be done
    if outcome.done() and not outcome.cancelled():
        outcome.exception()


def _first_line(error: Exception) -> str:
    """The SDK's messages run on into Rust debug output; the first clause says enough."""
    return str(error).splitlines()[0].split(": tonic::")[0][:200]
