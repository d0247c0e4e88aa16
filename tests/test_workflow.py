"""IncidentWorkflow on the time-skipping test server: who hears what, and when.

Each test gets its own task queue and worker (the ``desk`` fixture) whose activities deliver to
a recording messenger and a recording status page, so the assertions read like what people in
Slack would notice. Time moves only through ``desk.sleep``; expectations are computed from the
workflow's own ``created_at`` because the shared test server's clock has moved on between tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import IncidentActivities
from tests.people import ALL_HOURS, DM, DM2, HELPER, INFOSEC, LEAD, NEW_LEAD, OUTSIDER, REPORTER
from tests.support import seconds
from workflows import clock
from workflows.destinations.slack import (
    Audience,
    ChannelRef,
    ChannelRequest,
    Notice,
    NoticeKind,
    PostedRef,
)
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef
from workflows.incident import REFUSED, IncidentWorkflow
from workflows.model import (
    Action,
    Command,
    EntryKind,
    IncidentStart,
    IncidentState,
    Policy,
    Receipt,
    Severity,
    Status,
    StatusPageStatus,
    TimelineEntry,
    Timer,
)
from workflows.model.commands import (
    Accept,
    Ask,
    Busy,
    ChangeSeverity,
    Decline,
    Handover,
    PostStatusPage,
    ProgressUpdate,
    Reject,
    Reopen,
    Resolve,
    Retro,
    ScheduleRetro,
    SetCriteria,
    Snooze,
)
from workflows.search_attributes import (
    INCIDENT_LEAD,
    INCIDENT_SECURITY,
    INCIDENT_SEVERITY,
    INCIDENT_STATUS,
)
from workflows.vocabulary.policy import OfficeHours

LONDON = ZoneInfo("Europe/London")
POLICY = Policy(delivery_managers=[DM, DM2], infosec_head=INFOSEC, office_hours=ALL_HOURS)
# How late a timer may fire: the workflow task that handles it runs a few milliseconds later.
LATENESS = timedelta(seconds=seconds(2))  # the worker's real latency picking up a fired timer
# Guards against a hang, not bounds on behaviour: skipping an hour of an incident's timers takes
# a few real seconds, and several times that on a loaded 2-core machine.
SETTLE_TIMEOUT = seconds(30)  # real seconds
CALL_TIMEOUT = seconds(60)  # real seconds: a hung call fails the test instead of the whole run

Handle = WorkflowHandle[Any, IncidentState]
T = TypeVar("T")


# --- What people received ----------------------------------------------------------------------


@dataclass
class Delivery:
    at: datetime  # when the workflow scheduled it, on the server's (skipped) clock
    notice: Notice
    arrived: datetime  # when the attempt that delivered it began (later, after an outage)


@dataclass
class Outage:
    """A stand-in that can go down: while down, every call fails and Temporal retries it."""

    down: bool = False
    refused: int = 0
    was_down: bool = False

    def go_down(self) -> None:
        self.down = self.was_down = True

    def come_back(self) -> None:
        self.down = False

    def _answer(self, service: str) -> None:
        if self.down:
            self.refused += 1
            raise ApplicationError(f"{service} is down", type="Outage")


@dataclass
class RecordingMessenger(Outage):
    """Stands in for Slack: records every delivery, so a message delivered twice is seen twice."""

    channels: list[ChannelRequest] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (key, attempt) of every call

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        self._answer("Slack")
        self.calls.append((request.key, activity.info().attempt))
        self.channels.append(request)
        return ChannelRef(channel_id=f"C-{request.name.lstrip('#')}", name=request.name)

    async def deliver(self, notice: Notice) -> PostedRef | None:
        self._answer("Slack")
        info = activity.info()
        self.calls.append((notice.key, info.attempt))
        self.deliveries.append(
            Delivery(at=info.scheduled_time, notice=notice, arrived=info.started_time)
        )
        return PostedRef(channel_id="C-standing", ts=notice.key) if notice.standing else None

    def received(
        self,
        incident_id: str,
        kind: NoticeKind | None = None,
        *,
        to: str | None = None,
        audience: Audience | None = None,
    ) -> list[Delivery]:
        """Messages about one incident, optionally of one kind, to one person or audience."""
        return [
            d
            for d in self.deliveries
            if d.notice.incident.id == incident_id
            and (kind is None or d.notice.kind is kind)
            and (to is None or to in d.notice.recipients)
            and (audience is None or d.notice.audience is audience)
        ]


@dataclass
class RecordingStatusPage(Outage):
    posts: list[StatusPagePost] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)

    async def post(self, update: StatusPagePost) -> StatusPageRef:
        self._answer("The status page")
        self.calls.append((update.key, activity.info().attempt))
        self.posts.append(update)
        return StatusPageRef(page_incident_id=update.page_incident_id or "PAGE-1")


def assert_each_delivered_once(service: RecordingMessenger | RecordingStatusPage) -> None:
    """Every delivery is one successful call; without an outage, at its first attempt."""
    calls = service.calls
    repeated = sorted(key for key, count in Counter(key for key, _ in calls).items() if count > 1)
    assert not repeated, f"delivered more than once: {repeated}"
    retried = [(key, attempt) for key, attempt in calls if attempt != 1]
    assert service.was_down or not retried, f"retried without a fault: {retried}"


@dataclass
class Desk:
    """One test's incident desk: a worker on its own task queue and the people it reaches."""

    env: WorkflowEnvironment
    task_queue: str
    slack: RecordingMessenger
    status_page: RecordingStatusPage
    handles: list[Handle] = field(default_factory=list)
    elsewhere_down: bool = False  # another outside system (GitHub) is down: its retries go on

    async def open(
        self,
        *,
        declare: bool = True,
        actor: str = DM,
        severity: Severity | None = Severity.SEV1,
        policy: Policy = POLICY,
        security: bool = False,
        title: str = "Search API returns 500s",
    ) -> Handle:
        incident_id = f"inc-test-{uuid.uuid4().hex[:10]}"
        start = IncidentStart(
            id=incident_id,
            title=title,
            description="Every search request fails",
            security=security,
            actor=actor,
            lead=LEAD if declare else None,
            severity=severity if declare else None,
            declare=declare,
            policy=policy,
        )
        handle: Handle = await self.env.client.start_workflow(
            IncidentWorkflow.run, start, id=incident_id, task_queue=self.task_queue
        )
        self.handles.append(handle)
        await self.settle()
        return handle

    async def send(self, handle: Handle, action: Action, command: Command) -> Receipt:
        """Send one command as its Update, then let the workflow deliver what it decided."""
        try:
            receipt: Receipt = await bounded(
                handle.execute_update(action.value, command, result_type=Receipt)
            )
            return receipt
        finally:
            await self.settle()

    async def sleep(self, span: timedelta) -> None:
        try:
            await bounded(self.env.sleep(span))
        except TimeoutError:  # time stopped skipping: show what each incident was doing
            tails = [f"{h.id}:\n{await _tail(h)}" for h in self.handles]
            raise AssertionError(f"sleeping {span} never ended:\n" + "\n".join(tails)) from None
        await self.settle()

    async def sleep_until(self, moment: datetime) -> None:
        span = moment - await self.env.get_current_time()
        assert span > timedelta(0), f"{moment} is already past"
        await self.sleep(span)

    async def settle(self) -> None:
        """Wait (in real time) until no incident has a workflow task or activity in flight.

        During an outage activities retry without end, so then only workflow tasks count.
        """
        deadline = asyncio.get_running_loop().time() + SETTLE_TIMEOUT
        outage = self.slack.down or self.status_page.down or self.elsewhere_down
        for handle in self.handles:
            while not await _idle(handle, activities=not outage):
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"{handle.id} never settled:\n{await _tail(handle)}")
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        # The test server keeps time locked forever when a workflow is terminated while one of
        # its activities runs, so settle first.
        with contextlib.suppress(AssertionError):
            await self.settle()
        for handle in self.handles:
            description = await handle.describe()
            if description.status is WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")


_ACTIVITY_ENDS = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled_event_attributes",
}
_WORKFLOW_TASK_ENDS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


async def _tail(handle: Handle) -> str:
    """The end of the history, with any workflow task failure, for a failure message."""
    events = [e async for e in handle.fetch_history_events()]
    lines = []
    for event in events[-12:]:
        line = f"{event.event_id} {EventType.Name(event.event_type)}"
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            line += f": {event.workflow_task_failed_event_attributes.failure.message}"
        lines.append(line)
    return "\n".join(lines)


async def _idle(handle: Handle, *, activities: bool = True) -> bool:
    """True when the (latest run's) history shows no workflow task (nor, with ``activities``,
    any activity) in flight."""
    in_flight: set[int] = set()
    workflow_task = False
    async for event in handle.fetch_history_events():
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            in_flight.add(event.event_id)
        elif kind in _ACTIVITY_ENDS:
            in_flight.discard(getattr(event, _ACTIVITY_ENDS[kind]).scheduled_event_id)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            workflow_task = True
        elif kind in _WORKFLOW_TASK_ENDS:
            workflow_task = False
    return not (activities and in_flight) and not workflow_task


@pytest_asyncio.fixture
async def desk(time_env: WorkflowEnvironment) -> AsyncIterator[Desk]:
    slack, status_page = RecordingMessenger(), RecordingStatusPage()
    task_queue = f"incidents-{uuid.uuid4()}"
    activities = IncidentActivities(messenger=slack, status_page=status_page)
    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[IncidentWorkflow],
        activities=activities.all(),
    ):
        test_desk = Desk(time_env, task_queue, slack, status_page)
        try:
            yield test_desk
        finally:
            await test_desk.close()
    assert_each_delivered_once(slack)
    assert_each_delivered_once(status_page)


async def bounded(call: Awaitable[T]) -> T:
    return await asyncio.wait_for(call, timeout=CALL_TIMEOUT)


async def state_of(handle: Handle) -> IncidentState:
    return await bounded(handle.query(IncidentWorkflow.state))


async def timeline_of(handle: Handle, kind: EntryKind | None = None) -> list[TimelineEntry]:
    entries = await bounded(handle.query(IncidentWorkflow.timeline))
    return [e for e in entries if kind is None or e.kind is kind]


def assert_at(actual: datetime, expected: datetime) -> None:
    """A timer-driven timeline entry came when it was due (and not a moment before)."""
    assert expected <= actual < expected + LATENESS, f"at {actual}, due {expected}"


def assert_about(actual: datetime, expected: datetime) -> None:
    """A delivery was scheduled about then (deliveries follow their decision by milliseconds)."""
    assert abs(actual - expected) < LATENESS, f"at {actual}, expected about {expected}"


# --- Stale-progress reminders -----------------------------------------------------------------


async def test_sev1_reminds_the_lead_every_30_minutes_and_escalates_every_second(
    desk: Desk,
) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    created = (await state_of(handle)).created_at
    await desk.sleep(timedelta(hours=4, minutes=10))

    reminders = await timeline_of(handle, EntryKind.REMINDER)
    assert len(reminders) == 8
    for number, entry in enumerate(reminders, start=1):
        assert_at(entry.at, created + number * timedelta(minutes=30))
        assert entry.text.endswith(f"{LEAD}, please post one.")
    in_channel = desk.slack.received(handle.id, NoticeKind.REMINDER)
    assert len(in_channel) == 8
    assert all(d.notice.audience is Audience.INCIDENT_CHANNEL for d in in_channel)
    assert all(d.notice.mentions == [LEAD] for d in in_channel)
    assert "for 2h" in in_channel[3].notice.text

    # Every second unanswered reminder goes to the delivery managers, directly.
    escalations = desk.slack.received(handle.id, NoticeKind.ESCALATION)
    assert [sorted(d.notice.recipients) for d in escalations] == [[DM, DM2]] * 4
    for number, delivery in enumerate(escalations, start=1):
        assert_about(delivery.at, reminders[2 * number - 1].at)
    assert "despite 2 reminders" in escalations[0].notice.text
    state = await state_of(handle)
    assert (state.reminders_sent, state.escalations_sent, state.reminders_unanswered) == (8, 4, 8)


async def test_progress_update_resets_the_reminder_timer(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    await desk.sleep(timedelta(minutes=20))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    [update] = await timeline_of(handle, EntryKind.UPDATE)

    await desk.sleep(timedelta(minutes=25))  # 45 minutes in: the old 30-minute mark has passed
    assert await timeline_of(handle, EntryKind.REMINDER) == []

    await desk.sleep(timedelta(minutes=10))  # 55 minutes in
    [reminder] = await timeline_of(handle, EntryKind.REMINDER)
    assert_at(reminder.at, update.at + timedelta(minutes=30))
    assert "for 30m" in reminder.text
    posted = desk.slack.received(handle.id, NoticeKind.UPDATE)
    assert [(d.notice.actor, d.notice.text) for d in posted] == [(LEAD, "Rolled back")]
    assert (await state_of(handle)).last_update == "Rolled back"


async def test_escalation_after_two_unanswered_reminders_and_not_after_an_answer(
    desk: Desk,
) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.sleep(timedelta(minutes=45))
    assert len(await timeline_of(handle, EntryKind.REMINDER)) == 1
    assert desk.slack.received(handle.id, NoticeKind.ESCALATION) == []

    await desk.sleep(timedelta(minutes=30))  # 1h15m: the second reminder escalates
    [escalation] = desk.slack.received(handle.id, NoticeKind.ESCALATION)
    assert sorted(escalation.notice.recipients) == [DM, DM2]
    assert escalation.notice.audience is Audience.DIRECT

    # A supporter's update answers the reminders: the count starts again.
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=HELPER, text="Found the cause"))
    assert (await state_of(handle)).reminders_unanswered == 0
    await desk.sleep(timedelta(minutes=45))  # one more reminder, no escalation
    assert len(await timeline_of(handle, EntryKind.REMINDER)) == 3
    assert len(desk.slack.received(handle.id, NoticeKind.ESCALATION)) == 1
    await desk.sleep(timedelta(minutes=30))  # the second unanswered one escalates again
    assert len(desk.slack.received(handle.id, NoticeKind.ESCALATION)) == 2


async def test_snooze_pushes_the_next_reminder_back(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    await desk.sleep(timedelta(minutes=35))
    assert len(await timeline_of(handle, EntryKind.REMINDER)) == 1
    receipt = await desk.send(
        handle, Action.SNOOZE, Snooze(actor=LEAD, duration=timedelta(hours=2))
    )
    assert receipt.text.startswith(f"{LEAD} snoozed reminders on {handle.id} until ")
    [snoozed] = await timeline_of(handle, EntryKind.SNOOZED)

    await desk.sleep(timedelta(hours=1, minutes=50))  # where the 30-minute reminders would be
    assert len(await timeline_of(handle, EntryKind.REMINDER)) == 1

    await desk.sleep(timedelta(minutes=20))
    reminders = await timeline_of(handle, EntryKind.REMINDER)
    assert len(reminders) == 2
    assert_at(reminders[1].at, snoozed.at + timedelta(hours=2))
    told = desk.slack.received(handle.id, NoticeKind.TRANSITION)
    assert any("snoozed reminders" in d.notice.text for d in told)


def _first_day(after: date, weekday: int) -> date:
    day = after
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


async def test_office_hours_hold_sev2_and_sev3_reminders_until_opening(desk: Desk) -> None:
    # The office is open 09:00-17:00 London time on one day only, two days from now.
    today = (await desk.env.get_current_time()).astimezone(LONDON)
    office_weekday = (today.weekday() + 2) % 7
    hours = OfficeHours(
        weekdays=[office_weekday], opens=time(9), closes=time(17), timezone="Europe/London"
    )
    policy = Policy(delivery_managers=[DM], office_hours=hours)
    sev2 = await desk.open(severity=Severity.SEV2, policy=policy)
    sev3 = await desk.open(severity=Severity.SEV3, policy=policy)
    created = (await state_of(sev2)).created_at.astimezone(LONDON)
    office_day = _first_day(created.date() + timedelta(days=1), office_weekday)
    opening = datetime.combine(office_day, time(9), tzinfo=LONDON)

    await desk.sleep_until(opening - timedelta(minutes=5))
    assert await timeline_of(sev2, EntryKind.REMINDER) == []
    assert await timeline_of(sev3, EntryKind.REMINDER) == []
    assert desk.slack.received(sev2.id, NoticeKind.REMINDER) == []

    await desk.sleep_until(datetime.combine(office_day, time(18), tzinfo=LONDON))

    def local_times(entries: list[TimelineEntry]) -> list[tuple[date, int, int]]:
        local = [e.at.astimezone(LONDON) for e in entries]
        return [(at.date(), at.hour, at.minute) for at in local]

    # Hourly from opening; the 17:00 one would be after closing, so it waits for next week.
    sev2_reminders = await timeline_of(sev2, EntryKind.REMINDER)
    assert local_times(sev2_reminders) == [(office_day, hour, 0) for hour in range(9, 17)]
    assert "No progress update" in sev2_reminders[0].text
    # Every four hours from opening: 09:00 and 13:00 only.
    assert local_times(await timeline_of(sev3, EntryKind.REMINDER)) == [
        (office_day, 9, 0),
        (office_day, 13, 0),
    ]
    # The delivery managers are not woken at night either.
    escalations = desk.slack.received(sev2.id, NoticeKind.ESCALATION)
    assert len(escalations) == 4
    assert all(clock.in_office_hours(d.at, hours) for d in escalations)
    next_week = (await state_of(sev2)).timers[Timer.STALE_PROGRESS].astimezone(LONDON)
    assert (next_week.date(), next_week.hour) == (office_day + timedelta(days=7), 9)


async def test_severity_change_changes_the_cadence(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV3)
    created = (await state_of(handle)).created_at
    await desk.sleep(timedelta(minutes=45))
    assert await timeline_of(handle, EntryKind.REMINDER) == []  # sev3: every 4 hours

    await desk.send(handle, Action.SEVERITY, ChangeSeverity(actor=LEAD, severity=Severity.SEV1))
    [raised] = await timeline_of(handle, EntryKind.SEVERITY)
    await desk.sleep(timedelta(minutes=50))
    reminders = await timeline_of(handle, EntryKind.REMINDER)
    # Already 45 minutes quiet, more than sev1 allows: a reminder at once, then every 30 minutes.
    assert len(reminders) == 2
    assert_at(reminders[0].at, raised.at)
    assert_at(reminders[1].at, reminders[0].at + timedelta(minutes=30))

    await desk.send(handle, Action.SEVERITY, ChangeSeverity(actor=DM, severity=Severity.SEV3))
    # Back to sev3: the next reminder comes four hours after the last update (the declaration).
    due = clock.next_office_time(created + timedelta(hours=4), ALL_HOURS)
    await desk.sleep_until(due - timedelta(minutes=10))
    assert len(await timeline_of(handle, EntryKind.REMINDER)) == 2
    await desk.sleep(timedelta(minutes=20))
    reminders = await timeline_of(handle, EntryKind.REMINDER)
    assert len(reminders) == 3
    assert_at(reminders[2].at, due)
    changes = desk.slack.received(handle.id, NoticeKind.TRANSITION)
    assert [d.notice.text for d in changes] == [
        f"{LEAD} changed the severity of {handle.id} from sev3 to sev1.",
        f"{DM} changed the severity of {handle.id} from sev1 to sev3.",
    ]


# --- The delivery managers' side --------------------------------------------------------------


async def test_self_initiated_incident_reminds_the_dms_until_one_acknowledges(
    desk: Desk,
) -> None:
    handle = await desk.open(actor=LEAD, severity=Severity.SEV1)
    state = await state_of(handle)
    assert state.self_initiated
    assert state.acknowledged_at is None

    await desk.sleep(timedelta(hours=1, minutes=40))
    asked = desk.slack.received(handle.id, NoticeKind.ACK_REQUEST)
    assert len(asked) == 4  # the request and three reminders, 30 minutes apart
    assert all(sorted(d.notice.recipients) == [DM, DM2] for d in asked)
    assert f"incident ack {handle.id}" in asked[0].notice.text
    assert [d.notice.text.startswith("Reminder:") for d in asked] == [False, True, True, True]
    for earlier, later in itertools.pairwise(asked):
        assert_about(later.at, earlier.at + timedelta(minutes=30))

    await desk.send(handle, Action.ACK, Command(actor=DM2))
    await desk.sleep(timedelta(hours=3))
    assert len(desk.slack.received(handle.id, NoticeKind.ACK_REQUEST)) == 4
    state = await state_of(handle)
    assert (state.delivery_manager, state.acknowledged_at is not None) == (DM2, True)
    assert any(
        "acknowledged" in d.notice.text
        for d in desk.slack.received(handle.id, NoticeKind.TRANSITION)
    )


async def _awaiting_approval(desk: Desk) -> Handle:
    handle = await desk.open(severity=Severity.SEV1)
    await desk.sleep(timedelta(minutes=10))
    receipt = await desk.send(
        handle, Action.RESOLVE, Resolve(actor=LEAD, summary="Rolled back the deploy")
    )
    assert receipt.status is Status.AWAITING_APPROVAL
    return handle


async def test_resolution_request_reminds_the_dms_until_approved(desk: Desk) -> None:
    handle = await _awaiting_approval(desk)
    [request] = desk.slack.received(handle.id, NoticeKind.RESOLUTION_REQUEST)
    assert sorted(request.notice.recipients) == [DM, DM2]
    assert f"incident approve {handle.id}" in request.notice.text
    assert "Rolled back the deploy" in request.notice.text

    await desk.sleep(timedelta(hours=1, minutes=10))
    asked = desk.slack.received(handle.id, NoticeKind.RESOLUTION_REQUEST)
    assert len(asked) == 3
    assert_about(asked[1].at, request.at + timedelta(minutes=30))
    # While the DMs decide, nobody nags the lead for progress.
    assert await timeline_of(handle, EntryKind.REMINDER) == []

    receipt = await desk.send(handle, Action.APPROVE, Command(actor=DM))
    assert receipt.status is Status.RESOLVED
    await desk.sleep(timedelta(hours=2))
    assert len(desk.slack.received(handle.id, NoticeKind.RESOLUTION_REQUEST)) == 3
    state = await state_of(handle)
    assert (state.status, state.resolution_summary) == (Status.RESOLVED, "Rolled back the deploy")
    [announced] = desk.slack.received(
        handle.id, NoticeKind.RESOLVED, audience=Audience.PLATFORM_CHANNEL
    )
    assert announced.notice.text == "Resolved: Search API returns 500s."
    [timeline] = desk.slack.received(handle.id, NoticeKind.TIMELINE)
    assert f"# Timeline of {handle.id}" in timeline.notice.text
    assert f"**{LEAD}** asked the delivery managers to resolve" in timeline.notice.text


async def test_reject_returns_to_active_with_the_reason_kept(desk: Desk) -> None:
    handle = await _awaiting_approval(desk)
    await desk.sleep(timedelta(minutes=35))
    receipt = await desk.send(
        handle, Action.REJECT, Reject(actor=DM2, reason="Errors are still at 20%")
    )
    assert receipt.status is Status.ACTIVE
    [rejected] = await timeline_of(handle, EntryKind.REJECTED)
    state = await state_of(handle)
    assert (state.status, state.rejection_reason) == (Status.ACTIVE, "Errors are still at 20%")

    told = [
        d
        for d in desk.slack.received(handle.id, NoticeKind.TRANSITION)
        if "rejected" in d.notice.text
    ]
    assert [d.notice.mentions for d in told] == [[LEAD]]
    assert "Errors are still at 20%" in told[0].notice.text

    await desk.sleep(timedelta(minutes=45))
    # The DMs are no longer asked; the lead is reminded again from the rejection on.
    assert len(desk.slack.received(handle.id, NoticeKind.RESOLUTION_REQUEST)) == 2
    [reminder] = await timeline_of(handle, EntryKind.REMINDER)
    assert_at(reminder.at, rejected.at + timedelta(minutes=30))


async def test_retro_is_due_three_days_after_a_sev1_is_resolved(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Fixed"))
    resolved_at = (await state_of(handle)).resolved_at
    assert resolved_at is not None

    await desk.sleep(timedelta(days=2, hours=23))
    assert await timeline_of(handle, EntryKind.RETRO_DUE) == []
    await desk.sleep(timedelta(hours=2))
    [due] = await timeline_of(handle, EntryKind.RETRO_DUE)
    assert_at(due.at, resolved_at + timedelta(days=3))
    [told] = desk.slack.received(handle.id, NoticeKind.RETRO_DUE)
    assert sorted(told.notice.recipients) == sorted([DM, DM2, LEAD])
    assert f"incident retro {handle.id}" in told.notice.text

    await desk.send(handle, Action.RETRO, Retro(actor=LEAD, notes="Add a canary stage"))
    final = await bounded(handle.result())
    assert (final.status, final.retro_notes) == (Status.CLOSED, "Add a canary stage")


async def test_retro_is_due_five_working_days_after_a_sev2_is_resolved(desk: Desk) -> None:
    london_hours = OfficeHours()  # Mon-Fri 09:00-17:30 Europe/London
    policy = Policy(delivery_managers=[DM], office_hours=london_hours)
    handle = await desk.open(severity=Severity.SEV2, policy=policy)
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Fixed"))
    resolved_at = (await state_of(handle)).resolved_at
    assert resolved_at is not None
    five_working_days = clock.add_working_days(resolved_at, 5, london_hours)
    due_at = clock.next_office_time(five_working_days, london_hours)
    # Five working days: a weekend always falls in between, unless it started on one; and the
    # reminder waits for office hours like every sev2/sev3 nudge.
    assert due_at - resolved_at >= timedelta(days=5)
    assert clock.in_office_hours(due_at, london_hours)

    await desk.sleep_until(due_at - timedelta(hours=1))
    assert await timeline_of(handle, EntryKind.RETRO_DUE) == []
    await desk.sleep(timedelta(hours=2))
    [due] = await timeline_of(handle, EntryKind.RETRO_DUE)
    assert_at(due.at, due_at)
    [told] = desk.slack.received(handle.id, NoticeKind.RETRO_DUE)
    assert sorted(told.notice.recipients) == [DM, LEAD]


# --- Declined reports -------------------------------------------------------------------------


async def test_declined_report_with_a_revisit_date_comes_back_to_the_dms(desk: Desk) -> None:
    handle = await desk.open(declare=False, actor=REPORTER)
    created = (await state_of(handle)).created_at
    [reported] = desk.slack.received(handle.id, NoticeKind.REPORTED)
    assert sorted(reported.notice.recipients) == [DM, DM2]

    revisit_at = created + timedelta(days=2)
    await desk.send(
        handle,
        Action.DECLINE,
        Decline(actor=DM, reason="Deal with it after the release", revisit_at=revisit_at),
    )
    [declined] = desk.slack.received(handle.id, NoticeKind.DECLINED)
    assert declined.notice.recipients == [REPORTER]
    assert "Deal with it after the release" in declined.notice.text

    await desk.sleep(timedelta(days=1))
    state = await state_of(handle)
    assert (state.status, state.revisit_at) == (Status.DECLINED, revisit_at)
    assert desk.slack.received(handle.id, NoticeKind.REVISIT) == []

    # 45 minutes after: between two triage nudges, so no timer is due as the accept arrives.
    await desk.sleep_until(revisit_at + timedelta(minutes=45))
    state = await state_of(handle)
    assert (state.status, state.revisit_at) == (Status.TRIAGE, None)
    assert state.decline_reason == "Deal with it after the release"
    [revisited] = await timeline_of(handle, EntryKind.REVISITED)
    assert_at(revisited.at, revisit_at)
    [revisit] = desk.slack.received(handle.id, NoticeKind.REVISIT)
    assert sorted(revisit.notice.recipients) == [DM, DM2]
    assert "Deal with it after the release" in revisit.notice.text

    # Asked again, a DM may now accept it.
    receipt = await desk.send(
        handle, Action.ACCEPT, Accept(actor=DM2, lead=LEAD, severity=Severity.SEV2)
    )
    assert receipt.status is Status.ACTIVE


async def test_declined_report_without_revisit_completes_the_workflow(desk: Desk) -> None:
    handle = await desk.open(declare=False, actor=REPORTER)
    await desk.send(handle, Action.DECLINE, Decline(actor=DM, reason="Not user-facing"))
    final = await bounded(handle.result())
    assert (final.status, final.decline_reason) == (Status.DECLINED, "Not user-facing")
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    assert [d.notice.recipients for d in desk.slack.received(handle.id, NoticeKind.DECLINED)] == [
        [REPORTER]
    ]


# --- Long incidents, the Web UI, security ------------------------------------------------------


async def test_continue_as_new_keeps_the_state_and_the_whole_timeline(desk: Desk) -> None:
    policy = POLICY.model_copy(update={"history_events_limit": 60})
    handle = await desk.open(severity=Severity.SEV1, policy=policy)
    first_run = (await handle.describe()).run_id
    await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.send(handle, Action.CRITERIA, SetCriteria(actor=DM, text="errors under 1%"))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    early = await timeline_of(handle)
    facts = {
        "id", "title", "description", "reporter", "created_at", "active_at", "first_update_at",
        "channel_id", "channel_name", "delivery_manager", "acknowledged_at", "security",
        "resolution_criteria", "supporters", "lead", "severity", "status",
    }  # fmt: skip
    before = (await state_of(handle)).model_dump(include=facts)

    await desk.sleep(timedelta(hours=6, minutes=10))  # twelve reminders, six escalations
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=HELPER, text="Caches warm"))

    state = await state_of(handle)
    assert state.runs > 1
    assert (await handle.describe()).run_id != first_run
    assert state.model_dump(include=facts) == before
    assert (state.status, state.lead, state.supporters) == (Status.ACTIVE, LEAD, [HELPER])
    assert state.resolution_criteria == "errors under 1%"
    assert (state.reminders_sent, state.escalations_sent) == (12, 6)
    assert state.last_update == "Caches warm"

    timeline = await timeline_of(handle)
    assert timeline[: len(early)] == early
    assert [e.kind for e in timeline].count(EntryKind.REMINDER) == 12
    assert timeline[-1].text == "Caches warm"
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    # Each message reached Slack exactly once across the runs, the channel only once.
    assert len(desk.slack.received(handle.id, NoticeKind.REMINDER)) == 12
    assert len(desk.slack.received(handle.id, NoticeKind.ESCALATION)) == 6
    assert len([c for c in desk.slack.channels if c.incident_id == handle.id]) == 1


async def test_search_attributes_follow_the_incident(desk: Desk) -> None:
    handle = await desk.open(actor=LEAD, severity=Severity.SEV2)
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Looking"))
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(INCIDENT_STATUS) == "active"
    assert attributes.get(INCIDENT_SEVERITY) == "sev2"
    assert attributes.get(INCIDENT_LEAD) == LEAD
    assert attributes.get(INCIDENT_SECURITY) is False

    await desk.send(handle, Action.HANDOVER, Handover(actor=DM, to=NEW_LEAD))
    await desk.send(handle, Action.SEVERITY, ChangeSeverity(actor=NEW_LEAD, severity=Severity.SEV1))
    await desk.send(handle, Action.SECURITY, Command(actor=NEW_LEAD))
    await desk.send(handle, Action.RESOLVE, Resolve(actor=NEW_LEAD))
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(INCIDENT_STATUS) == "awaiting_approval"
    assert attributes.get(INCIDENT_SEVERITY) == "sev1"
    assert attributes.get(INCIDENT_LEAD) == NEW_LEAD
    assert attributes.get(INCIDENT_SECURITY) is True

    report = await desk.open(declare=False, actor=REPORTER)
    await desk.sleep(timedelta(seconds=1))
    attributes = (await report.describe()).typed_search_attributes
    assert attributes.get(INCIDENT_STATUS) == "triage"
    assert attributes.get(INCIDENT_SEVERITY) is None
    assert attributes.get(INCIDENT_LEAD) is None


async def test_security_incident_is_never_described_in_public(desk: Desk) -> None:
    title = "Prod AWS keys leaked"
    handle = await desk.open(actor=LEAD, severity=Severity.SEV1, security=True, title=title)
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Keys rotated"))
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Repo purged"))
    await desk.sleep(timedelta(minutes=5))

    [channel] = desk.slack.channels
    assert channel.private
    assert INFOSEC in channel.invite
    public = desk.slack.received(handle.id, audience=Audience.PLATFORM_CHANNEL)
    # The announcement, the resolution post, then the announcement edited in place.
    assert [(d.notice.kind, d.notice.replaces is not None) for d in public] == [
        (NoticeKind.DECLARED, False),
        (NoticeKind.RESOLVED, False),
        (NoticeKind.DECLARED, True),
    ]
    for delivery in public:
        notice = delivery.notice
        assert (notice.incident.title, notice.incident.lead, notice.incident.channel_id) == (
            None,
            None,
            None,
        )
        assert title not in notice.text
        assert LEAD not in notice.text
        assert notice.actor != LEAD
    [infosec] = desk.slack.received(handle.id, NoticeKind.SECURITY, to=INFOSEC)
    assert title in infosec.notice.text
    assert desk.status_page.posts == []


# --- Refusals ---------------------------------------------------------------------------------


async def test_every_refused_update_says_why_in_one_sentence_and_changes_nothing(
    desk: Desk,
) -> None:
    handle = await desk.open(actor=LEAD, severity=Severity.SEV1)
    await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.send(handle, Action.ACK, Command(actor=DM))
    await desk.sleep(timedelta(seconds=5))
    i = handle.id
    refused: list[tuple[Action, Command, str]] = [
        (
            Action.ACCEPT,
            Accept(actor=DM, lead=LEAD, severity=Severity.SEV1),
            f"Incident {i} is active, so nobody can accept a report now.",
        ),
        (
            Action.DECLINE,
            Decline(actor=DM, reason="No"),
            f"Incident {i} is active, so nobody can decline a report now.",
        ),
        (Action.ACK, Command(actor=DM2), f"{i} is already acknowledged by {DM}."),
        (Action.HANDOVER, Handover(actor=LEAD, to=LEAD), f"{LEAD} is already the lead of {i}."),
        (
            Action.HANDOVER,
            Handover(actor=HELPER, to=HELPER),
            f"Only the lead or a delivery manager may hand over the lead on {i}; {HELPER} is not.",
        ),
        (Action.JOIN, Command(actor=LEAD), f"{LEAD} leads {i} already."),
        (Action.JOIN, Command(actor=HELPER), f"{HELPER} is already helping on {i}."),
        (
            Action.LEAVE,
            Command(actor=OUTSIDER),
            f"Only a supporter may leave an incident on {i}; {OUTSIDER} is not.",
        ),
        (
            Action.UPDATE,
            ProgressUpdate(actor=OUTSIDER, text="Hi"),
            f"Only the lead, a supporter or a delivery manager may post a progress update on {i}; {OUTSIDER} is not.",
        ),
        (
            Action.SEVERITY,
            ChangeSeverity(actor=LEAD, severity=Severity.SEV1),
            f"{i} is already sev1.",
        ),
        (
            Action.SNOOZE,
            Snooze(actor=HELPER, duration=timedelta(hours=1)),
            f"Only the lead or a delivery manager may snooze the reminders on {i}; {HELPER} is not.",
        ),
        (
            Action.SECURITY,
            Command(actor=HELPER),
            f"Only the lead or a delivery manager may mark an incident as a security incident on {i}; {HELPER} is not.",
        ),
        (
            Action.CRITERIA,
            SetCriteria(actor=LEAD, text="errors under 1%"),
            f"Only a delivery manager may set the resolution criteria on {i}; {LEAD} is not.",
        ),
        (
            Action.STATUSPAGE,
            PostStatusPage(actor=LEAD, status=StatusPageStatus.INVESTIGATING, text="Down"),
            f"Only a delivery manager may post to the status page on {i}; {LEAD} is not.",
        ),
        (
            Action.RESOLVE,
            Resolve(actor=HELPER),
            f"Only the lead or a delivery manager may resolve an incident on {i}; {HELPER} is not.",
        ),
        (
            Action.APPROVE,
            Command(actor=DM),
            f"Incident {i} is active, so nobody can approve a resolution now.",
        ),
        (
            Action.REJECT,
            Reject(actor=DM, reason="No"),
            f"Incident {i} is active, so nobody can reject a resolution now.",
        ),
        (
            Action.ASK,
            Ask(actor=HELPER, to="U0ASKED"),
            f"Only the lead or a delivery manager may ask someone to help on {i}; {HELPER} is not.",
        ),
        (
            Action.BUSY,
            Busy(actor=HELPER, reason="Busy"),
            f"Nobody asked {HELPER} to help on {i}; only someone asked can say they can't.",
        ),
        (
            Action.REOPEN,
            Reopen(actor=DM, reason="It is not resolved"),
            f"Incident {i} is active, so nobody can reopen an incident now.",
        ),
        (
            Action.SCHEDULE,
            ScheduleRetro(actor=DM, at=datetime(2099, 1, 5, 14, tzinfo=UTC)),
            f"Incident {i} is active, so nobody can schedule the retro now.",
        ),
        (
            Action.RETRO,
            Retro(actor=DM, notes="Too early"),
            f"Incident {i} is active, so nobody can record the retro now.",
        ),
    ]
    assert {action for action, _, _ in refused} == set(Action)
    state_before = await state_of(handle)
    timeline_before = await timeline_of(handle)
    delivered_before = len(desk.slack.deliveries)

    for action, command, sentence in refused:
        with pytest.raises(WorkflowUpdateFailedError) as raised:
            await desk.send(handle, action, command)
        cause = raised.value.cause
        assert isinstance(cause, ApplicationError), (action, cause)
        assert cause.type == REFUSED
        assert cause.message == sentence, action
        assert sentence.count(". ") == 0

    await desk.sleep(timedelta(seconds=5))
    assert await state_of(handle) == state_before
    assert await timeline_of(handle) == timeline_before
    assert len(desk.slack.deliveries) == delivered_before
    history_after = [e async for e in handle.fetch_history_events()]
    # Refused updates never reach the history (the test server still records a workflow task
    # for each; a real server drops those too).
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    assert [e.event_type for e in history_after].count(accepted) == 2  # the join and the ack


async def test_refused_status_page_post_on_a_security_incident(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1, security=True)
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await desk.send(
            handle,
            Action.STATUSPAGE,
            PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="Down"),
        )
    assert isinstance(raised.value.cause, ApplicationError)
    assert raised.value.cause.message == (
        f"{handle.id} is a security incident, so nothing about it goes on the status page."
    )
    assert desk.status_page.posts == []
