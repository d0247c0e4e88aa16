"""Alarms become reports, on the time-skipping server: the product's worker (both workflows, the
alarm activities going through the real client), the console messenger recording every message.

An alarm nobody answers on a Sunday evening is nudged every 15 minutes and escalated to the
platform channel; flapping makes one report and a handful of entries; a heartbeat silent past its
period reports once; a retried notification changes nothing; a firing after the report was
declined opens a new one that links it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities
from temporal_client.client import STATE_QUERY, TIMELINE_QUERY
from temporal_client.client import query_incident as query
from temporal_client.settings import Settings
from tests.people import DM, DM2, LEAD
from worker import build_worker
from workflows.alarm import CHECK_IN, NOTIFY, AlarmWorkflow, alarm_workflow_id, heartbeat_key
from workflows.model import Command, EntryKind, IncidentState, Receipt, Severity, TimelineEntry
from workflows.model.alarms import AlarmNotice, AlarmSource, AlarmStart, AlarmState, HeartbeatNotice
from workflows.model.commands import Accept, Decline

LONDON = ZoneInfo("Europe/London")
PLATFORM = "#wc-platform"


@dataclass
class Desk:
    env: WorkflowEnvironment
    client: Client
    queue: str
    output: io.StringIO

    alarms: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    async def close(self) -> None:
        """Settle, then end every workflow the test started: the test server does not skip time
        for the next test while one waits for a worker that has gone (or is terminated while an
        activity runs)."""
        incidents: list[str] = []
        for alarm in self.alarms:
            with contextlib.suppress(AssertionError):
                state = await self.settled(alarm)
                incidents += [*state.ended_incidents, *filter(None, [state.incident_id])]
        for incident_id in incidents:
            with contextlib.suppress(Exception):
                await self.delivered(incident_id)
        handles = [*self.alarms, *map(self.client.get_workflow_handle, incidents)]
        for handle in handles:
            description = await handle.describe()
            if description.status is WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")

    def lines(self, incident_id: str) -> list[str]:
        prefix = f"[{incident_id}] "
        return [line for line in self.output.getvalue().splitlines() if line.startswith(prefix)]

    async def alarm(self, key: str, start: AlarmStart | None = None) -> WorkflowHandle[Any, Any]:
        handle = await self.client.start_workflow(
            AlarmWorkflow.run,
            start or AlarmStart(key=key, source=AlarmSource.CLOUDWATCH),
            id=alarm_workflow_id(key),
            task_queue=self.queue,
        )
        self.alarms.append(handle)
        return handle

    async def notify(self, handle: WorkflowHandle[Any, Any], notice: AlarmNotice) -> None:
        await handle.execute_update(NOTIFY, notice, id=f"notify:{notice.delivery_id}")

    async def settled(self, handle: WorkflowHandle[Any, Any]) -> AlarmState:
        """The alarm's state once every notice it took is applied (its report opened)."""
        for _ in range(300):
            state: AlarmState = await handle.query(AlarmWorkflow.state)
            if state.incident_id is not None and state.pending == 0:
                return state
            await asyncio.sleep(0.02)
        raise AssertionError(f"{handle.id} did not settle: {state}")

    async def incident(self, incident_id: str) -> IncidentState:
        handle = self.client.get_workflow_handle(incident_id)
        return await asyncio.wait_for(query(handle, STATE_QUERY, IncidentState), timeout=10)

    async def timeline(self, incident_id: str) -> list[TimelineEntry]:
        handle = self.client.get_workflow_handle(incident_id)
        return await asyncio.wait_for(
            query(handle, TIMELINE_QUERY, list[TimelineEntry]), timeout=10
        )

    async def delivered(self, incident_id: str) -> None:
        for _ in range(300):
            if (await self.incident(incident_id)).undelivered == 0:
                return
            await asyncio.sleep(0.02)

    async def send(self, incident_id: str, name: str, command: Command) -> Receipt:
        """An Update once the incident's deliveries are done: the time-skipping server can fail
        a workflow task when an Update lands while an activity is scheduled (the real one
        does not; tests/record_histories.py settles the same way)."""
        await self.delivered(incident_id)
        handle = self.client.get_workflow_handle(incident_id)
        receipt: Receipt = await handle.execute_update(name, command, result_type=Receipt)
        return receipt


@pytest_asyncio.fixture
async def desk(time_env: WorkflowEnvironment) -> AsyncIterator[Desk]:
    queue = f"alarms-{uuid.uuid4()}"
    output = io.StringIO()
    activities = IncidentActivities(
        messenger=ConsoleMessenger(platform_channel=PLATFORM, stream=output),
        status_page=ConsoleStatusPage(stream=output),
    )
    settings = Settings(
        _env_file=None,
        temporal_task_queue=queue,
        incident_delivery_managers=f"{DM},{DM2}",
        incident_cli_timeout_seconds=30,
    )
    async with build_worker(time_env.client, settings, activities=activities):
        test_desk = Desk(time_env, time_env.client, queue, output)
        try:
            yield test_desk
        finally:
            await test_desk.close()


def notice(key: str, n: int, *, firing: bool = True, at: datetime | None = None) -> AlarmNotice:
    return AlarmNotice(
        source=AlarmSource.CLOUDWATCH,
        key=key,
        delivery_id=f"sns:{key}-{n}",
        firing=firing,
        title="search-5xx",
        description="Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
        source_url="https://console.aws.amazon.com/cloudwatch/home?region=eu-west-2#alarm:alarmFilter=ANY;name=search-5xx",
        at=at or datetime.now(UTC),
    )


def next_sunday_evening(now: datetime) -> datetime:
    """The next Sunday at 20.00 in London: nobody is in the office."""
    local = now.astimezone(LONDON)
    days = (6 - local.weekday()) % 7 or 7
    evening = (local + timedelta(days=days)).replace(hour=20, minute=0, second=0, microsecond=0)
    return evening.astimezone(UTC)


def kinds(timeline: list[TimelineEntry], kind: EntryKind) -> list[TimelineEntry]:
    return [entry for entry in timeline if entry.kind is kind]


async def test_an_alarm_unanswered_on_a_sunday_evening_is_nudged_every_15_minutes_and_escalated(
    desk: Desk,
) -> None:
    await desk.env.sleep(
        next_sunday_evening(await desk.env.get_current_time()) - await desk.env.get_current_time()
    )
    key = f"cloudwatch:arn:aws:cloudwatch:eu-west-2:1:alarm:search-5xx-{uuid.uuid4().hex[:6]}"
    alarm = await desk.alarm(key)
    await desk.notify(alarm, notice(key, 1, at=await desk.env.get_current_time()))
    incident_id = (await desk.settled(alarm)).incident_id
    assert incident_id is not None
    opened = await desk.incident(incident_id)
    assert (opened.status, opened.reporter, opened.alarm and opened.alarm.source) == (
        "triage",
        "alarm:cloudwatch",
        AlarmSource.CLOUDWATCH,
    )
    assert opened.created_at.astimezone(LONDON).weekday() == 6  # a Sunday
    await desk.env.sleep(timedelta(minutes=61))
    timeline = await desk.timeline(incident_id)
    assert timeline[0].text.startswith("Reported by CloudWatch: search-5xx (fired ")
    assert timeline[0].arrived_via == "alarm"
    nudges, escalations = kinds(timeline, EntryKind.REMINDER), kinds(timeline, EntryKind.ESCALATION)
    minutes = [round((n.at - opened.created_at).total_seconds() / 60, 1) for n in nudges]
    assert minutes == [15, 30, 45, 60]  # at any hour, to the second (a timer's few ms aside)
    assert len(escalations) == 2  # after every second unanswered nudge (INCIDENT_ESCALATE_AFTER)
    assert f"Delivery managers {DM}, {DM2}: please answer it." in escalations[0].text
    lines = desk.lines(incident_id)
    assert sum(f"direct to {DM}, {DM2}" in line and "has waited" in line for line in lines) == 4
    assert sum(f"→ {PLATFORM}" in line and "nobody looking" in line for line in lines) == 2
    # A delivery manager says they are looking: the nudges stop, the report stays in triage.
    await desk.send(incident_id, "ack", Command(actor=DM))
    await desk.env.sleep(timedelta(hours=2))
    after = await desk.timeline(incident_id)
    assert len(kinds(after, EntryKind.REMINDER)) == 4
    seen = await desk.incident(incident_id)
    assert (seen.status, seen.delivery_manager) == ("triage", DM)


async def test_an_alarm_flapping_60_times_in_an_hour_makes_one_report_and_a_few_entries(
    desk: Desk,
) -> None:
    key = f"cloudwatch:flapping-{uuid.uuid4().hex[:6]}"
    alarm = await desk.alarm(key)
    for n in range(60):
        at = await desk.env.get_current_time()
        await desk.notify(alarm, notice(key, n, firing=n % 2 == 0, at=at))
        await desk.settled(alarm)
        await desk.env.sleep(timedelta(minutes=1))
    state = await desk.settled(alarm)
    assert (state.notices, state.fired, state.cleared, state.ended_incidents) == (60, 30, 30, [])
    incident_id = state.incident_id
    assert incident_id is not None
    facts = (await desk.incident(incident_id)).alarm
    assert facts is not None and (facts.fired, facts.cleared, facts.firing) == (30, 30, False)
    timeline = await desk.timeline(incident_id)
    changes = kinds(timeline, EntryKind.ALARM_FIRED) + kinds(timeline, EntryKind.ALARM_CLEARED)
    assert 2 <= len(changes) <= 5, [c.text for c in changes]  # one per 15 minutes at most
    assert any("more times" in change.text for change in changes)  # the counts in between
    told = [line for line in desk.lines(incident_id) if "cleared at" in line]
    assert 1 <= len(told) <= 4, told  # the people deciding told once per 15 minutes at most


async def test_a_retried_notification_changes_nothing_and_a_firing_after_a_decline_reports_again(
    desk: Desk,
) -> None:
    key = f"cloudwatch:retried-{uuid.uuid4().hex[:6]}"
    alarm = await desk.alarm(key)
    first = notice(key, 1, at=await desk.env.get_current_time())
    await desk.notify(alarm, first)
    await desk.notify(alarm, first)  # the sender's retry: Temporal answers it (the Update's id)
    await alarm.execute_update(NOTIFY, first, id="after-continue-as-new")  # the workflow does
    state = await desk.settled(alarm)
    assert (state.notices, state.repeated, state.fired) == (1, 1, 1)
    report = state.incident_id
    assert report is not None
    await desk.send(report, "decline", Decline(actor=DM, reason="Load test"))
    await desk.notify(alarm, notice(key, 2, at=await desk.env.get_current_time()))
    for _ in range(300):
        state = await alarm.query(AlarmWorkflow.state)
        if state.incident_id not in (None, report):
            break
        await asyncio.sleep(0.02)
    assert state.ended_incidents == [report]
    assert state.incident_id is not None and state.incident_id != report
    again = await desk.timeline(state.incident_id)
    assert f"it opened {report} before" in again[0].text
    # Accepted, the incident takes the alarm's later changes.
    await desk.send(
        state.incident_id, "accept", Accept(actor=DM, lead=LEAD, severity=Severity.SEV2)
    )
    await desk.env.sleep(timedelta(minutes=20))
    await desk.notify(alarm, notice(key, 3, firing=False, at=await desk.env.get_current_time()))
    await desk.settled(alarm)
    cleared = kinds(await desk.timeline(state.incident_id), EntryKind.ALARM_CLEARED)
    assert len(cleared) == 1 and cleared[0].text.startswith("The alarm cleared at ")
    assert any(
        f"→ #{state.incident_id}" in line and "nothing closes by itself" in line
        for line in desk.lines(state.incident_id)
    )


async def test_a_heartbeat_silent_past_its_period_reports_once_and_its_return_is_recorded(
    desk: Desk,
) -> None:
    name = f"uptime-{uuid.uuid4().hex[:6]}"
    key = heartbeat_key(name)
    handle = await desk.alarm(key, AlarmStart(key=key, heartbeat=name))

    async def check_in() -> None:
        at = await desk.env.get_current_time()
        beat = HeartbeatNotice(name=name, at=at, interval=timedelta(minutes=10))
        await handle.execute_update(CHECK_IN, beat)

    await check_in()
    await desk.env.sleep(timedelta(minutes=9))
    await check_in()  # in time: nothing
    assert (await handle.query(AlarmWorkflow.state)).incident_id is None
    last = await desk.env.get_current_time()
    await desk.env.sleep(timedelta(minutes=45))  # silent well past its period
    state = await desk.settled(handle)
    assert state.fired == 1 and state.silent_since is not None
    incident_id = state.incident_id
    assert incident_id is not None
    report = await desk.incident(incident_id)
    since = last.astimezone(LONDON)
    assert report.title == f"{name} has not checked in since {since:%H.%M}"
    assert report.reporter == "alarm:heartbeat"
    await check_in()  # back: recorded on the report, no new one
    await desk.env.sleep(timedelta(minutes=1))
    state = await desk.settled(handle)
    assert (state.fired, state.cleared, state.incident_id) == (1, 1, incident_id)
    timeline = await desk.timeline(incident_id)
    assert len(kinds(timeline, EntryKind.ALARM_CLEARED)) == 1
