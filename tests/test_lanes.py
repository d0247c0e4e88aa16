"""Delivery lanes: one outside system down holds back nothing else, and timers stay on time.

On the time-skipping server, with Slack and the status page as recording fakes that can go down
for two (skipped) hours; the fault suite (tests/test_faults.py) does the same against the real
dev server and the HTTP stand-ins.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    StartActivityInput,
    Worker,
)

from activities.delivery import IncidentActivities
from messages.slack_blocks import notice_text
from messages.summary import current_details
from messages.terminal import show_text
from tests.intercept import OnEachActivity
from tests.people import DM, DM2, HELPER, LEAD
from tests.people import DM as PROCESS_DM
from tests.people import HELPER as PROCESS_HELPER
from tests.people import LEAD as PROCESS_LEAD
from tests.test_process import NOW, _do, _start
from tests.test_workflow import (
    LATENESS,
    POLICY,
    Desk,
    Handle,
    RecordingMessenger,
    RecordingStatusPage,
    assert_at,
    assert_each_delivered_once,
    desk,
    state_of,
    timeline_of,
)
from workflows.destinations import FOLLOWING_THE_TIMELINE
from workflows.destinations.base import Delivery, Lane
from workflows.destinations.github import ActionIssue, RetroPullRequest
from workflows.destinations.pager import Page
from workflows.destinations.slack import (
    INCIDENT_CHANNEL,
    PLATFORM_CHANNEL,
    ChannelRef,
    ChannelRequest,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import STATUS_PAGE, StatusPagePost, StatusPageRef
from workflows.incident import DELIVER_AGAIN_AFTER, IncidentWorkflow
from workflows.lanes import describe_lane, lane_of
from workflows.model import (
    Action,
    Command,
    Effect,
    EntryKind,
    LaneBacklog,
    Severity,
    StatusPageStatus,
    Timer,
)
from workflows.model.commands import PostStatusPage, ProgressUpdate
from workflows.process import Incident
from workflows.vocabulary.basics import StatusPageImpact

__all__ = ["desk"]  # the fixture, imported for pytest


# --- The lanes in the pure process: which effect may go now, and what is superseded -----------


def in_lanes(*, security: bool = False) -> Incident:
    """A declared sev1 incident (by the lead: the DMs are asked to acknowledge), delivering in
    lanes, with its opening effects (channel, announcement, the DMs' request) queued."""
    start = _start(declare=True, security=security).model_copy(update={"severity": Severity.SEV1})
    return Incident.open(start, NOW)


def lanes_of(effects: list[Effect]) -> list[str]:
    """Their lanes as recorded (``LaneBacklog.lane``, and so the histories, hold the text)."""
    return [str(lane_of(effect)) for effect in effects]


def deliver(incident: Incident, effect: Effect, result: object = None) -> None:
    incident.outbox.delivery_started(effect)
    incident.effect_done(incident.notices.prepared(effect), result, NOW)  # type: ignore[arg-type]


def test_each_destination_has_its_own_lane_and_they_start_together() -> None:
    incident = in_lanes()
    ready = incident.outbox.ready_to_deliver()
    # The announcement links the channel: it waits for it (see below), the others start now.
    assert lanes_of(ready) == [f"direct:{PROCESS_DM}", "incident-channel"]
    assert isinstance(ready[1], ChannelRequest)
    for effect in ready:
        incident.outbox.delivery_started(effect)
    assert incident.outbox.ready_to_deliver() == []  # one at a time per lane
    deliver(incident, ready[1], ChannelRef(channel_id="CINC", name="#inc-test"))
    # The DM's request is still in flight: the platform channel's lane starts beside it.
    assert "platform-channel" in lanes_of(incident.outbox.ready_to_deliver())


def test_a_message_for_the_channel_waits_for_the_channel_and_nothing_else() -> None:
    incident = in_lanes()
    ask_dm, channel = incident.outbox.ready_to_deliver()
    for effect in (channel, ask_dm):
        incident.outbox.delivery_started(effect)
    _do(incident, Action.UPDATE, ProgressUpdate(actor=PROCESS_LEAD, text="Rolled back"))
    assert incident.outbox.ready_to_deliver() == []  # the update queues behind the channel
    deliver(incident, channel, ChannelRef(channel_id="CINC", name="#inc-test"))
    ready = incident.outbox.ready_to_deliver()
    assert [(lane_of(e), getattr(e, "kind", None)) for e in ready] == [
        (PLATFORM_CHANNEL, NoticeKind.DECLARED),  # the announcement, linking the channel
        (INCIDENT_CHANNEL, NoticeKind.UPDATE),
    ]
    sent = incident.notices.prepared(ready[1])
    assert isinstance(sent, Notice) and sent.incident.channel_id == "CINC"


def test_order_is_kept_within_a_lane() -> None:
    incident = in_lanes()
    for effect in incident.outbox.ready_to_deliver():
        deliver(incident, effect, _result_for(effect))
    for text in ("one", "two", "three"):
        _do(incident, Action.UPDATE, ProgressUpdate(actor=PROCESS_LEAD, text=text))
    sent = []
    while ready := [
        e for e in incident.outbox.ready_to_deliver() if lane_of(e) == INCIDENT_CHANNEL
    ]:
        [effect] = ready
        sent.append(getattr(effect, "text", ""))
        deliver(incident, effect, _result_for(effect))
    assert [t for t in sent if t in ("one", "two", "three")] == ["one", "two", "three"]


def test_a_newer_reminder_supersedes_a_queued_one_and_cancels_one_in_flight() -> None:
    incident = in_lanes()
    for effect in incident.outbox.ready_to_deliver():
        deliver(incident, effect, _result_for(effect))
    drain(incident)
    first_due = incident.reminders.next_deadline()
    assert first_due is not None
    incident.reminders.fire_due_timers(first_due)
    [reminder] = [e for e in incident.outbox.ready_to_deliver() if lane_of(e) == INCIDENT_CHANNEL]
    incident.outbox.delivery_started(reminder)  # Slack is down: it retries
    second_due = incident.reminders.next_deadline()
    assert second_due is not None
    incident.reminders.fire_due_timers(second_due)
    assert incident.outbox.to_cancel == {reminder.key}  # the workflow cancels the stale one
    incident.outbox.delivery_cancelled(reminder)
    queued = [e for e in incident.outbox.effects if lane_of(e) == INCIDENT_CHANNEL]
    assert [getattr(e, "kind", None) for e in queued] == [NoticeKind.REMINDER]
    assert "for 1h" in getattr(queued[0], "text", "")
    assert incident.state.superseded_deliveries == 1
    # Both reminders are in the timeline all the same.
    assert len([e for e in incident.timeline if e.kind is EntryKind.REMINDER]) == 2


def test_a_cancel_for_continue_as_new_keeps_the_effect_marked_to_look_first() -> None:
    incident = in_lanes()
    channel = incident.outbox.ready_to_deliver()[1]
    incident.outbox.delivery_started(channel)
    incident.outbox.delivery_cancelled(channel)
    [carried] = [e for e in incident.carried().outbox if e.key == channel.key]
    assert carried.maybe_done
    assert incident.outbox.ready_to_deliver()[1].key == channel.key


def test_a_queued_status_page_post_is_superseded_by_a_newer_one_keeping_its_impact() -> None:
    incident = in_lanes()
    drain(incident)
    post = Action.STATUSPAGE
    _do(
        incident,
        post,
        PostStatusPage(
            actor=PROCESS_DM,
            status=StatusPageStatus.INVESTIGATING,
            text="Looking",
            impact=StatusPageImpact.MAJOR,
        ),
    )
    [first] = [e for e in incident.outbox.ready_to_deliver() if lane_of(e) == STATUS_PAGE]
    incident.outbox.delivery_started(
        first
    )  # in flight: never dropped, it may create the page incident
    _do(
        incident,
        post,
        PostStatusPage(
            actor=PROCESS_DM,
            status=StatusPageStatus.IDENTIFIED,
            text="Found it",
            impact=StatusPageImpact.MINOR,
        ),
    )
    _do(
        incident,
        post,
        PostStatusPage(actor=PROCESS_DM, status=StatusPageStatus.MONITORING, text="Fixed"),
    )
    pages = [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    assert [(p.status, p.impact_override) for p in pages] == [
        (StatusPageStatus.INVESTIGATING, StatusPageImpact.MAJOR),
        (StatusPageStatus.MONITORING, StatusPageImpact.MINOR),
    ]
    assert incident.state.superseded_deliveries == 1
    assert incident.outbox.to_cancel == set()


def test_show_says_what_waits_in_each_lane_and_since_when() -> None:
    incident = in_lanes()
    incident.outbox.note_queued(NOW)
    channel = incident.outbox.ready_to_deliver()[1]
    incident.outbox.delivery_started(channel)
    _do(incident, Action.JOIN, Command(actor=PROCESS_HELPER), NOW + timedelta(minutes=5))
    incident.outbox.note_queued(NOW + timedelta(minutes=5))
    backlog = {str(lane.lane): lane for lane in incident.outbox.backlog()}
    assert backlog["incident-channel"].waiting == 2
    assert backlog["incident-channel"].in_flight
    assert backlog["incident-channel"].oldest_since == NOW


def test_a_lane_is_recorded_as_the_text_it_always_was_and_read_back_whole() -> None:
    lanes = {
        INCIDENT_CHANNEL: "incident-channel",
        PLATFORM_CHANNEL: "platform-channel",
        STATUS_PAGE: "status-page",
        Lane("direct", "U0DM,U0DM2"): "direct:U0DM,U0DM2",
        Lane("github", "wellcomecollection/docs"): "github:wellcomecollection/docs",
    }
    for lane, text in lanes.items():
        backlog = LaneBacklog(lane=lane, waiting=1, oldest_since=NOW, in_flight=False)
        recorded = backlog.model_dump(mode="json")
        assert recorded["lane"] == text
        assert LaneBacklog.model_validate(recorded).lane == lane
        assert LaneBacklog.model_validate_json(backlog.model_dump_json()).lane == lane
    assert describe_lane(Lane("direct", "U0DM,U0DM2")) == "U0DM, U0DM2 directly"
    assert describe_lane(INCIDENT_CHANNEL) == "the incident channel"


def test_the_destinations_that_follow_the_timeline_are_those_that_define_follows() -> None:
    assert (RetroPullRequest, ActionIssue, Page) == FOLLOWING_THE_TIMELINE

    class Inherited(RetroPullRequest):  # defines nothing itself: follows as its base does
        pass

    assert Inherited.follows_the_timeline()
    assert not Notice.follows_the_timeline() and not Delivery.follows_the_timeline()


def _result_for(effect: Effect) -> object:
    if isinstance(effect, ChannelRequest):
        return ChannelRef(channel_id="CINC", name="#inc-test")
    if isinstance(effect, StatusPagePost):
        return StatusPageRef(page_incident_id="PAGE-1")
    if isinstance(effect, Notice) and effect.standing:
        return PostedRef(channel_id="C", ts=effect.key)
    return None


def drain(incident: Incident) -> None:
    """Deliver everything queued, lane by lane, as if every service answered at once."""
    while ready := incident.outbox.ready_to_deliver():
        for effect in ready:
            deliver(incident, effect, _result_for(effect))


# --- Two hours of outage, on the time-skipping server ------------------------------------------

OUTAGE = timedelta(hours=2)
# Deliveries retry at most a minute apart (DELIVERY_RETRY), so a service that returns is
# reached within that.
RETRY_CAP = timedelta(minutes=1)


async def eventually(holds: Callable[[], bool], seconds: float = 10) -> None:
    """Until ``holds()``, in real time: while a service is down the desk cannot wait for every
    activity to end, only for the ones that can."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not holds():
        assert asyncio.get_running_loop().time() < deadline, "it never happened"
        await asyncio.sleep(0.05)


def page_post(status: StatusPageStatus, text: str) -> PostStatusPage:
    return PostStatusPage(actor=DM, status=status, text=text)


async def delivered_keys(desk: Desk, handle: Handle) -> set[str]:
    """Keys of everything that reached Slack or the status page for this incident."""
    prefix = f"{handle.id}/"
    return {
        key for key, _ in [*desk.slack.calls, *desk.status_page.calls] if key.startswith(prefix)
    }


async def assert_nothing_lost_or_doubled(desk: Desk, handle: Handle) -> None:
    """Every delivery decided is delivered once, or was superseded by a newer one."""
    state = await state_of(handle)
    assert state.undelivered == 0 and state.waiting == []
    delivered = await delivered_keys(desk, handle)
    assert len(delivered) + state.superseded_deliveries == state.deliveries_decided, (
        sorted(delivered),
        state.superseded_deliveries,
        state.deliveries_decided,
    )


async def test_the_status_page_down_for_two_hours_holds_back_no_slack_message_or_reminder(
    desk: Desk,
) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    desk.status_page.go_down()
    await desk.send(
        handle, Action.STATUSPAGE, page_post(StatusPageStatus.INVESTIGATING, "Search is down")
    )
    await desk.sleep(timedelta(minutes=10))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.send(
        handle, Action.STATUSPAGE, page_post(StatusPageStatus.IDENTIFIED, "A bad deploy")
    )

    # Both page posts wait in their own lane, the oldest still being retried.
    lanes = {str(lane.lane): lane for lane in (await state_of(handle)).waiting}
    page = lanes["status-page"]
    assert (page.waiting, page.in_flight) == (2, True)
    await desk.sleep(OUTAGE - timedelta(minutes=10))

    # Slack had every message at once, and every reminder and escalation at its due second.
    [update] = await timeline_of(handle, EntryKind.UPDATE)
    [posted] = desk.slack.received(handle.id, NoticeKind.UPDATE)
    assert update.at <= posted.arrived < update.at + LATENESS
    joined = [d for d in desk.slack.received(handle.id) if HELPER in d.notice.invite]
    assert len(joined) == 1 and joined[0].arrived < update.at + LATENESS
    reminders = await timeline_of(handle, EntryKind.REMINDER)
    assert len(reminders) == 3  # 30, 60 and 90 minutes after the update
    for number, entry in enumerate(reminders, start=1):
        assert_at(entry.at, update.at + number * timedelta(minutes=30))
    sent = desk.slack.received(handle.id, NoticeKind.REMINDER)
    assert [d.notice.text for d in sent] == [e.text for e in reminders]
    for delivery, entry in zip(sent, reminders, strict=True):
        assert entry.at <= delivery.arrived < entry.at + LATENESS
    [escalation] = desk.slack.received(handle.id, NoticeKind.ESCALATION)
    assert sorted(escalation.notice.recipients) == [DM, DM2]
    assert reminders[1].at <= escalation.arrived < reminders[1].at + LATENESS
    assert desk.status_page.posts == [] and desk.status_page.refused > 0

    # The page returns: each post is delivered once, in the order decided.
    desk.status_page.come_back()
    await desk.sleep(RETRY_CAP + timedelta(seconds=5))
    assert [(p.status, p.body) for p in desk.status_page.posts] == [
        (StatusPageStatus.INVESTIGATING, "Search is down"),
        (StatusPageStatus.IDENTIFIED, "A bad deploy"),
    ]
    assert (await state_of(handle)).statuspage_incident_id == "PAGE-1"
    await assert_nothing_lost_or_doubled(desk, handle)


async def test_slack_down_for_two_hours_holds_back_no_page_post_and_no_timer(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    created = (await state_of(handle)).created_at
    desk.slack.go_down()
    await desk.send(
        handle, Action.STATUSPAGE, page_post(StatusPageStatus.INVESTIGATING, "Search is down")
    )
    await eventually(lambda: [p.status for p in desk.status_page.posts] == ["investigating"])

    await desk.sleep(OUTAGE + timedelta(minutes=5))
    # Reminders and escalations are decided and recorded at their due second all the same.
    reminders = await timeline_of(handle, EntryKind.REMINDER)
    assert len(reminders) == 4
    for number, entry in enumerate(reminders, start=1):
        assert_at(entry.at, created + number * timedelta(minutes=30))
    escalations = await timeline_of(handle, EntryKind.ESCALATION)
    assert [e.at for e in escalations] == [reminders[1].at, reminders[3].at]
    # The page moved on while Slack was down.
    await desk.send(
        handle, Action.STATUSPAGE, page_post(StatusPageStatus.MONITORING, "A fix is in place")
    )
    await eventually(lambda: [p.status for p in desk.status_page.posts][-1] == "monitoring")
    # The page has it; the workflow learns so when the activity's completion reaches it.
    waiting: dict[str, LaneBacklog] = {}
    for _ in range(100):
        waiting = {str(lane.lane): lane for lane in (await state_of(handle)).waiting}
        if "status-page" not in waiting:
            break
        await asyncio.sleep(0.05)
    assert set(waiting) == {"incident-channel", f"direct:{DM},{DM2}"}
    assert waiting["incident-channel"].oldest_since < reminders[0].at

    # Slack returns: only the newest reminder and escalation go out, not four stale ones.
    desk.slack.come_back()
    await desk.sleep(RETRY_CAP + timedelta(seconds=5))
    sent = desk.slack.received(handle.id, NoticeKind.REMINDER)
    assert [d.notice.text for d in sent] == [reminders[-1].text]
    [escalation] = desk.slack.received(handle.id, NoticeKind.ESCALATION)
    assert escalation.notice.text == escalations[-1].text
    state = await state_of(handle)
    assert state.superseded_deliveries == 3 + 1
    transitions = desk.slack.received(handle.id, NoticeKind.TRANSITION)
    assert [d.notice.text.split(" (")[0] for d in transitions] == [
        f"{DM} posted to the status page",
        f"{DM} posted to the status page",
    ]
    await assert_nothing_lost_or_doubled(desk, handle)


async def test_a_timer_due_within_seconds_is_left_to_ring_when_its_deadline_moves(
    desk: Desk,
) -> None:
    """Cancelling a timer that may fire while the cancelling task runs strands the run on the
    time-skipping server (sdk-java#3088): it rings instead, and its ring sends nothing."""
    handle = await desk.open(severity=Severity.SEV1)
    timers = (await state_of(handle)).timers
    due = timers[Timer.STALE_PROGRESS]
    assert due == min(timers.values())
    await desk.sleep_until(due - timedelta(seconds=5))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    [update] = await timeline_of(handle, EntryKind.UPDATE)
    await desk.sleep(timedelta(minutes=1))

    kinds = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_TIMER_CANCELED not in kinds
    assert kinds.count(EventType.EVENT_TYPE_TIMER_FIRED) == 1  # the one left to ring
    assert await timeline_of(handle, EntryKind.REMINDER) == []
    await desk.sleep(timedelta(minutes=30))
    [reminder] = await timeline_of(handle, EntryKind.REMINDER)
    assert_at(reminder.at, update.at + timedelta(minutes=30))
    # One timer served the moved deadline: the ring did not make the loop start a second one.
    started = [
        e.event_time.ToDatetime(tzinfo=UTC)
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert len([at for at in started if update.at <= at < reminder.at]) == 1, started


async def test_continue_as_new_during_an_outage_carries_every_lane_and_loses_nothing(
    desk: Desk,
) -> None:
    """The history limit is reached while Slack is down: the run waits a little for deliveries
    in flight, cancels them, and the next run takes every queue over; once Slack is back each
    message is delivered once."""
    policy = POLICY.model_copy(update={"history_events_limit": 60})
    handle = await desk.open(severity=Severity.SEV1, policy=policy)
    desk.slack.go_down()
    texts = [f"Update {n}" for n in range(12)]
    for text in texts:
        await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text=text))
    await desk.sleep(timedelta(minutes=2))  # past the drain limit: the stuck delivery is cut
    state = await state_of(handle)
    assert state.runs >= 2, "it never continued as new"
    assert state.undelivered >= len(texts)
    assert desk.slack.received(handle.id, NoticeKind.UPDATE) == []

    desk.slack.come_back()
    await desk.sleep(RETRY_CAP + timedelta(seconds=5))
    sent = desk.slack.received(handle.id, NoticeKind.UPDATE)
    assert [d.notice.text for d in sent] == texts
    await assert_nothing_lost_or_doubled(desk, handle)


def retries_end_after_one_attempt(started: StartActivityInput) -> None:
    """Every delivery's retries end after one failed attempt, as they are meant never to."""
    started.retry_policy = RetryPolicy(maximum_attempts=1)


async def test_a_delivery_whose_retries_end_anyway_is_delivered_again_and_nothing_sticks(
    time_env: WorkflowEnvironment,
) -> None:
    """Should a delivery's retries end (seen once in a burst of 200 incidents), failing the
    workflow task would fail it again on every replay: the incident stuck, `show` failing. The
    lane pauses and delivers it again instead, once, while the rest of the incident goes on."""
    slack, status_page = RecordingMessenger(), RecordingStatusPage()
    task_queue = f"incidents-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[IncidentWorkflow],
        activities=IncidentActivities(messenger=slack, status_page=status_page).all(),
        interceptors=[OnEachActivity(retries_end_after_one_attempt)],
    ):
        lanes_desk = Desk(time_env, task_queue, slack, status_page)
        try:
            handle = await lanes_desk.open(severity=Severity.SEV1)
            slack.go_down()
            await lanes_desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Up"))
            await eventually(lambda: slack.refused >= 1)  # its one attempt failed: retries over
            assert slack.received(handle.id, NoticeKind.UPDATE) == []
            slack.come_back()
            await lanes_desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Next"))
            assert slack.received(handle.id, NoticeKind.UPDATE) == []  # its lane keeps order
            await lanes_desk.sleep(DELIVER_AGAIN_AFTER + timedelta(seconds=5))
            sent = slack.received(handle.id, NoticeKind.UPDATE)
            assert [d.notice.text for d in sent] == ["Up", "Next"]
            state = await state_of(handle)
            assert state.failed_deliveries == 0 and state.undelivered == 0
        finally:
            await lanes_desk.close()
    assert_each_delivered_once(slack)


def test_show_and_the_web_ui_name_each_waiting_lane_in_words() -> None:
    incident = in_lanes()
    incident.outbox.note_queued(NOW)
    later = NOW + timedelta(minutes=12)
    state = incident.state.model_copy(update={"waiting": incident.outbox.backlog()})
    shown = show_text(state, now=later)
    [line] = [line for line in shown.splitlines() if line.startswith("Waiting to deliver:")]
    assert line == (
        "Waiting to deliver: 1 for U0DM directly (the oldest for 12m); "
        "1 for the incident channel (the oldest for 12m); "
        "1 for the platform channel (the oldest for 12m)"
    )
    details = current_details(state, incident.outbox.backlog(), later)
    assert (
        "**Waiting to go to the incident channel:** 1, the oldest since 10:00:00 UTC (12m ago)"
        in details
    )
    drain(incident)
    assert incident.outbox.backlog() == []
    assert "Waiting" not in show_text(incident.state, now=later)


def announcing_after_channel() -> Incident:
    start = _start(declare=True).model_copy(update={"severity": Severity.SEV1})
    return Incident.open(start, NOW)


def test_the_announcement_waits_for_the_channel_it_links_then_goes_linked_once() -> None:
    incident = announcing_after_channel()
    ready = incident.outbox.ready_to_deliver()
    assert lanes_of(ready) == [f"direct:{PROCESS_DM}", "incident-channel"]  # not the platform
    ask_dm, channel = ready
    for effect in ready:
        incident.outbox.delivery_started(effect)
    deliver(incident, ask_dm)
    assert incident.outbox.ready_to_deliver() == []  # the channel is still being opened
    deliver(incident, channel, ChannelRef(channel_id="CINC", name="#inc-test"))
    incident.notices.keep_standing_messages_current()
    [announcement] = [
        e for e in incident.outbox.ready_to_deliver() if lane_of(e) == PLATFORM_CHANNEL
    ]
    sent = incident.notices.prepared(announcement)
    assert isinstance(sent, Notice) and sent.standing is Standing.ANNOUNCEMENT
    assert sent.replaces is None and sent.incident.channel_id == "CINC"
    assert "Channel: <#CINC>" in notice_text(sent)  # as Slack will show it
    deliver(incident, announcement, PostedRef(channel_id="CPLATFORM", ts="1.1"))
    incident.notices.keep_standing_messages_current()
    assert (
        not [  # posted linked: no edit to link it
            e
            for e in incident.outbox.effects
            if isinstance(e, Notice) and e.standing is Standing.ANNOUNCEMENT
        ]
    )


def test_an_announcement_goes_at_once_when_its_channel_could_not_be_opened() -> None:
    incident = announcing_after_channel()
    _, channel = incident.outbox.ready_to_deliver()
    incident.outbox.delivery_started(channel)
    incident.effect_failed(channel, "restricted_action", NOW)
    [announcement] = [
        e for e in incident.outbox.ready_to_deliver() if lane_of(e) == PLATFORM_CHANNEL
    ]
    assert isinstance(announcement, Notice) and announcement.standing is Standing.ANNOUNCEMENT


def test_a_sealed_announcement_does_not_wait_for_the_private_channel() -> None:
    start = _start(declare=True, security=True).model_copy(update={"severity": Severity.SEV1})
    incident = Incident.open(start, NOW)
    assert "platform-channel" in lanes_of(incident.outbox.ready_to_deliver())
