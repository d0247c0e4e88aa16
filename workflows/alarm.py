"""AlarmWorkflow: one per alarm (its key, or a heartbeat's name), for as long as it exists.

Its notifications arrive as Updates (the intake sends each with Update-with-Start, the
notification's id as the Update's id) and are applied in order: the first firing opens a report
(an IncidentWorkflow, started by an activity); later ones go to that report or incident, which
records them; once it has ended (declined or closed), the next firing opens a new report that
links it. A notification applied already (a sender's retry) changes nothing. A heartbeat's
workflow keeps the monitor's deadline as a durable timer: silent past its period, it fires once;
its next check-in clears it. Decisions only: the activities do the I/O.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from messages import alarm_sentences as say
    from workflows.model.activities import ActivityName
    from workflows.model.alarms import (
        AlarmForwarded,
        AlarmNotice,
        AlarmReport,
        AlarmSource,
        AlarmStart,
        AlarmState,
        ForwardAlarm,
        HeartbeatNotice,
    )

ALARM_WORKFLOW = "AlarmWorkflow"
NOTIFY = "notify"
CHECK_IN = "check_in"
DELIVERIES_KEPT = 200  # notification ids remembered, so a retry is applied once
NOTICES_PER_RUN = 500  # continue-as-new after this many applied notices
ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


def alarm_workflow_id(key: str) -> str:
    """The workflow id of an alarm: ``alarm-`` and its key (as the Web UI lists it)."""
    return f"alarm-{key}"


def heartbeat_key(name: str) -> str:
    return f"{AlarmSource.HEARTBEAT.value}:{name}"


@workflow.defn(name=ALARM_WORKFLOW)
class AlarmWorkflow:
    @workflow.init
    def __init__(self, start: AlarmStart) -> None:
        self._state = start.carried or AlarmState(key=start.key)
        self._waiting: list[AlarmNotice] = []
        self._applied_this_run = 0
        self._applying = 0  # 1 while a change is being handed on
        self._heartbeat_name = start.heartbeat

    @workflow.query
    def state(self) -> AlarmState:
        pending = len(self._waiting) + self._applying
        return self._state.model_copy(update={"pending": pending})

    @workflow.update(name=NOTIFY, description="An alarm fired or cleared (from the intake).")
    def notify(self, notice: AlarmNotice) -> None:
        s = self._state
        if notice.delivery_id in s.recent_deliveries:
            s.repeated += 1  # a sender's retry: applied already
            return
        s.recent_deliveries = [*s.recent_deliveries, notice.delivery_id][-DELIVERIES_KEPT:]
        s.notices += 1
        self._waiting.append(notice)

    @notify.validator
    def _check_notify(self, notice: AlarmNotice) -> None:
        if notice.key != self._state.key:
            raise ApplicationError(
                f"This is the workflow of alarm {self._state.key}, not of {notice.key}.",
                non_retryable=True,
            )

    @workflow.update(name=CHECK_IN, description="A monitor says it is alive (from the intake).")
    def check_in(self, beat: HeartbeatNotice) -> None:
        s = self._state
        now = workflow.now()
        s.heartbeat_interval, s.heartbeat_at = beat.interval, now
        self._heartbeat_name = beat.name
        if s.silent_since is not None:  # back after a silence: the alarm clears
            self._waiting.append(self._heartbeat(firing=False, at=now))
            s.silent_since = None

    @workflow.run
    async def run(self, start: AlarmStart) -> None:
        while True:
            deadline = self._heartbeat_deadline()
            timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(0))
            with contextlib.suppress(TimeoutError):  # a heartbeat's deadline
                await workflow.wait_condition(
                    lambda deadline=deadline: (  # type: ignore[misc]
                        bool(self._waiting)
                        or self._heartbeat_deadline() != deadline  # a check-in moved it
                        or self._should_continue_as_new()
                    ),
                    timeout=timeout,
                    timeout_summary=say.heartbeat_due(self._heartbeat_name or "the monitor"),
                )
            self._fire_if_silent()
            while self._waiting:
                self._applying = 1
                await self._apply(self._waiting.pop(0))
                self._applying = 0
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._waiting:
                    workflow.continue_as_new(
                        AlarmStart(
                            key=start.key, heartbeat=self._heartbeat_name, carried=self._state
                        )
                    )

    def _heartbeat_deadline(self) -> datetime | None:
        s = self._state
        if s.heartbeat_interval is None or s.heartbeat_at is None or s.silent_since is not None:
            return None
        return s.heartbeat_at + s.heartbeat_interval

    def _fire_if_silent(self) -> None:
        deadline = self._heartbeat_deadline()
        if deadline is not None and workflow.now() >= deadline:
            self._state.silent_since = self._state.heartbeat_at
            self._waiting.append(self._heartbeat(firing=True, at=deadline))

    def _heartbeat(self, *, firing: bool, at: datetime) -> AlarmNotice:
        """A heartbeat's silence (or its end) as an alarm's notice."""
        s = self._state
        name = self._heartbeat_name or s.key.removeprefix(heartbeat_key(""))
        return AlarmNotice(
            source=AlarmSource.HEARTBEAT,
            key=s.key,
            delivery_id=f"{s.key}:{'silent' if firing else 'back'}:{at.isoformat()}",
            firing=firing,
            title=say.heartbeat_title(name),  # the report says since when (activities/alarms.py)
            at=at,
        )

    async def _apply(self, notice: AlarmNotice) -> None:
        """Hand the change to the open report or incident; a firing with none (or with one that
        has ended) opens a new report."""
        s = self._state
        self._applied_this_run += 1
        s.firing, s.last_at = notice.firing, notice.at
        if notice.firing:
            s.fired += 1
        else:
            s.cleared += 1
        if s.incident_id is not None:
            forwarded: AlarmForwarded = await workflow.execute_activity(
                ActivityName.FORWARD_ALARM,
                ForwardAlarm(incident_id=s.incident_id, notice=notice),
                result_type=AlarmForwarded,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
                summary=f"{'fired' if notice.firing else 'cleared'} → {s.incident_id}",
            )
            if not forwarded.ended:
                return
            s.ended_incidents.append(s.incident_id)
            s.incident_id = None
        if notice.firing:
            report = AlarmReport(
                notice=notice,
                previous_incident=s.ended_incidents[-1] if s.ended_incidents else None,
                heartbeat_interval=s.heartbeat_interval,
            )
            s.incident_id = await workflow.execute_activity(
                ActivityName.OPEN_ALARM_REPORT,
                report,
                result_type=str,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
                summary="a report for the alarm",
            )

    def _should_continue_as_new(self) -> bool:
        return (
            self._applied_this_run >= NOTICES_PER_RUN
            or workflow.info().is_continue_as_new_suggested()
        )
