"""The pager: PagerDuty's Events API v2 paged from the timeline (workflows/destinations/pager.py,
messages/pager.py, activities/pager.py), against a local stand-in that keeps PagerDuty's dedup
semantics (tests/standins/pagerduty.py).

First what each entry calls for, on the pure process (``Incident``); then the activity against
the stand-in with faults; then whole incidents on the time-skipping server with the worker built
as `incident worker` builds it: trigger, acknowledge and resolve each applied once through 429,
500 and dropped answers; PagerDuty down for two hours holding back no Slack message and no
reminder; a security incident's page; and nothing at all without the setting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.delivery import IncidentActivities
from activities.pager import PagerDutyEvents, PagerSettings, pager_activities
from messages import pager as say
from temporal_client.settings import Settings, SettingsError
from tests.people import DM, DM2, LEAD
from tests.standins.common import Fault
from tests.standins.pagerduty import PagerDutyStandIn
from tests.test_workflow import (
    LATENESS,
    POLICY,
    Desk,
    Handle,
    RecordingMessenger,
    RecordingStatusPage,
    assert_each_delivered_once,
    state_of,
    timeline_of,
)
from worker import build_worker
from workflows.destinations.pager import PAGE_ACTIVITY, PAGER, Page, PagerEvent, PagerOptions
from workflows.destinations.slack import NoticeKind
from workflows.model import Action, Arrival, Command, EntryKind, IncidentStart, Policy, Severity
from workflows.model.alarms import AlarmOrigin, AlarmSource
from workflows.model.commands import (
    Accept,
    ChangeSeverity,
    Decline,
    ProgressUpdate,
    Reopen,
    Resolve,
    Retro,
)
from workflows.process import Incident

KEY = "R0UT1NGKEY0STAND1N0000000000000X"
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
TITLE, DESCRIPTION = "Staff passwords in a public bucket", "Every search request fails"
PAGING = {Page.destination_name(): PagerOptions(paging="on").model_dump()}
WITH_PAGER = POLICY.model_copy(update={"destinations": PAGING})
TRIGGER, ACK, RESOLVE = PagerEvent.TRIGGER, PagerEvent.ACKNOWLEDGE, PagerEvent.RESOLVE
OUTAGE = timedelta(hours=2)
RETRY_CAP = timedelta(minutes=1)  # DELIVERY_RETRY's longest wait between attempts


# --- What each entry calls for: the pure process ------------------------------------------------


def declared(
    severity: Severity = Severity.SEV1, *, by: str = LEAD, security: bool = False
) -> Incident:
    start = IncidentStart(
        id="inc-2026-12-06-search-down",
        title=TITLE,
        description=DESCRIPTION,
        security=security,
        actor=by,
        lead=LEAD,
        severity=severity,
        declare=True,
        policy=WITH_PAGER,
    )
    return Incident.open(start, NOW)


def alarm_report() -> Incident:
    start = IncidentStart(
        id="inc-2026-12-06-search-5xx",
        title="search-5xx",
        actor="alarm:cloudwatch",
        arrived_via=Arrival.ALARM,
        policy=WITH_PAGER,
        alarm=AlarmOrigin(
            source=AlarmSource.CLOUDWATCH,
            key="cloudwatch:search-5xx",
            title="search-5xx",
            fired_at=NOW,
            delivery_id="sns:1",
        ),
    )
    return Incident.open(start, NOW)


def pages(incident: Incident) -> list[Page]:
    """The pages waiting in the outbox, taken out as if delivered."""
    waiting = [e for e in incident.outbox.effects if isinstance(e, Page)]
    for page in waiting:
        incident.outbox.drop(page)
    return waiting


def events(incident: Incident) -> list[PagerEvent]:
    return [page.event for page in pages(incident)]


def test_a_sev1_declared_pages_is_acknowledged_by_a_delivery_manager_and_resolved() -> None:
    incident = declared()
    [trigger] = pages(incident)
    assert (trigger.event, trigger.incident_id, trigger.severity) == (
        TRIGGER,
        incident.state.id,
        "critical",
    )
    assert trigger.summary == f"Sev1 incident {incident.state.id}: {TITLE}"
    assert trigger.details["description"] == DESCRIPTION and trigger.lane() == PAGER
    incident.apply(Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"), NOW)
    assert events(incident) == []
    incident.apply(Action.ACK, Command(actor=DM), NOW)
    assert events(incident) == [ACK]
    incident.apply(Action.RESOLVE, Resolve(actor=DM, summary="Fixed"), NOW)
    assert events(incident) == [RESOLVE]
    incident.apply(Action.RETRO, Retro(actor=DM, notes="Alarm on 5xx"), NOW)
    assert events(incident) == []  # closed after it was resolved: nothing more to say


def test_a_sev2_never_pages_nor_acknowledges_nor_resolves() -> None:
    incident = declared(Severity.SEV2)
    incident.apply(Action.ACK, Command(actor=DM), NOW)
    incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW)
    assert events(incident) == []


def test_raised_to_sev1_pages_and_the_page_is_resolved_even_when_lowered_again() -> None:
    incident = declared(Severity.SEV2, by=DM)
    incident.apply(Action.SEVERITY, ChangeSeverity(actor=DM, severity=Severity.SEV1), NOW)
    assert events(incident) == [TRIGGER]
    incident.apply(Action.SEVERITY, ChangeSeverity(actor=DM, severity=Severity.SEV2), NOW)
    assert events(incident) == []
    incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW)
    assert events(incident) == [RESOLVE]


def test_a_severity_changed_since_counts_as_may_have_paged() -> None:
    """Declared sev3 then raised to sev2: the timeline no longer says the declaration's
    severity, so the resolution is sent (PagerDuty ignores it for a key it never saw)."""
    incident = declared(Severity.SEV3, by=DM)
    incident.apply(Action.SEVERITY, ChangeSeverity(actor=DM, severity=Severity.SEV2), NOW)
    assert events(incident) == []
    incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW)
    assert events(incident) == [RESOLVE]


def test_reopened_as_a_sev1_pages_again() -> None:
    incident = declared(by=DM)
    assert events(incident) == [TRIGGER]
    incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW)
    assert events(incident) == [RESOLVE]
    incident.apply(Action.REOPEN, Reopen(actor=DM, reason="5xx again"), NOW)
    assert events(incident) == [TRIGGER]
    incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW)
    assert events(incident) == [RESOLVE]


def test_an_alarm_report_unanswered_after_its_escalation_pages_until_answered() -> None:
    incident = alarm_report()
    every = incident.policy.alert_reminder
    incident.reminders.fire_due_timers(NOW + every)  # the first nudge
    assert events(incident) == []
    incident.reminders.fire_due_timers(NOW + 2 * every)  # the second: escalated
    [trigger] = pages(incident)
    assert trigger.event is TRIGGER and trigger.severity == "error"
    assert trigger.summary == f"Unanswered report {incident.state.id}: search-5xx"
    assert trigger.details["why"] == say.WHY_UNANSWERED
    incident.reminders.fire_due_timers(NOW + 4 * every)  # escalated again: the same page
    assert events(incident) == []
    incident.apply(Action.ACK, Command(actor=DM), NOW + 5 * every)  # "seen, looking"
    assert events(incident) == [ACK]
    lead = Accept(actor=DM, lead=LEAD, severity=Severity.SEV1)
    incident.apply(Action.ACCEPT, lead, NOW + 6 * every)
    assert events(incident) == []  # its page is open and acknowledged already
    incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW + 7 * every)
    assert events(incident) == [RESOLVE]


def test_a_declined_report_that_paged_is_resolved() -> None:
    incident = alarm_report()
    for nudge in (1, 2):  # escalated at the second
        incident.reminders.fire_due_timers(NOW + nudge * incident.policy.alert_reminder)
    assert events(incident) == [TRIGGER]
    incident.apply(Action.DECLINE, Decline(actor=DM, reason="a test alarm"), NOW)
    assert events(incident) == [RESOLVE]


def test_a_report_accepted_as_sev1_pages() -> None:
    incident = alarm_report()
    incident.apply(Action.ACCEPT, Accept(actor=DM, lead=LEAD, severity=Severity.SEV1), NOW)
    assert events(incident) == [TRIGGER]


def test_a_security_incident_pages_without_its_title_description_or_people() -> None:
    incident = declared(security=True)
    [trigger] = pages(incident)
    assert trigger.summary == f"Security incident {incident.state.id} (sev1): see Slack"
    told = trigger.model_dump_json()
    for secret in (TITLE, DESCRIPTION, LEAD):
        assert secret not in told


def test_marked_security_after_paging_pages_again_sealed_and_keeps_its_acknowledgement() -> None:
    incident = declared()
    incident.apply(Action.ACK, Command(actor=DM), NOW)
    [trigger, _] = pages(incident)
    incident.apply(Action.SECURITY, Command(actor=DM), NOW)
    again = pages(incident)
    assert [(p.event, p.sealed) for p in again] == [(TRIGGER, True), (ACK, True)]
    assert TITLE not in "".join(p.model_dump_json() for p in again)
    assert again[0].supersedes(trigger)  # a trigger still waiting never leaves with the title
    assert not trigger.supersedes(again[0]) and not again[1].supersedes(trigger)


def test_a_resolution_makes_what_waits_stale_and_nothing_else_drops_a_trigger() -> None:
    def one(event: PagerEvent, *, sealed: bool = False) -> Page:
        return page(event, sealed=sealed)

    for older in (TRIGGER, ACK, RESOLVE):  # resolved before it went: nobody need be woken
        assert one(RESOLVE).supersedes(one(older))
    for newer in (TRIGGER, ACK):
        assert not any(one(newer).supersedes(one(older)) for older in (TRIGGER, ACK, RESOLVE))
    assert one(TRIGGER, sealed=True).supersedes(one(TRIGGER))
    assert not one(TRIGGER, sealed=True).supersedes(one(ACK))


def test_without_the_setting_nothing_pages() -> None:
    for destinations in ({}, {Page.destination_name(): PagerOptions().model_dump()}):
        policy = POLICY.model_copy(update={"destinations": destinations})
        start = IncidentStart(
            id="inc-1", title=TITLE, actor=LEAD, severity=Severity.SEV1, declare=True, policy=policy
        )
        incident = Incident.open(start, NOW)
        incident.apply(Action.ACK, Command(actor=DM), NOW)
        incident.apply(Action.RESOLVE, Resolve(actor=DM), NOW)
        assert events(incident) == []


def test_the_setting_is_on_or_off_and_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", KEY)
    monkeypatch.delenv("INCIDENT_PAGER", raising=False)
    recorded = Settings(_env_file=None).policy()
    assert recorded.destinations[Page.destination_name()] == {"paging": "off"}
    monkeypatch.setenv("INCIDENT_PAGER", "on")
    recorded = Settings(_env_file=None).policy()
    assert recorded.destinations[Page.destination_name()] == {"paging": "on"}
    assert KEY not in recorded.model_dump_json()
    monkeypatch.setenv("INCIDENT_PAGER", "yes")
    with pytest.raises(SettingsError) as raised:
        Settings(_env_file=None).policy()
    assert str(raised.value) == "INCIDENT_PAGER: 'yes' should be on or off."


def test_a_long_title_is_cut_to_pagerdutys_summary_limit() -> None:
    state = declared().state.model_copy(update={"title": "x" * 2000})
    assert len(say.summary(state, reported=False)) == say.SUMMARY_LIMIT


# --- The activity against the stand-in -------------------------------------------------------


@pytest_asyncio.fixture
async def pagerduty() -> AsyncIterator[PagerDutyStandIn]:
    stand_in = PagerDutyStandIn(routing_key=KEY)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


def page(event: PagerEvent, incident_id: str = "inc-1", **changes: object) -> Page:
    fields: dict[str, object] = {
        "key": f"{incident_id}/{event}",
        "incident_id": incident_id,
        "event": event,
        "summary": "Sev1 incident inc-1: Search API down" if event is TRIGGER else "",
        "details": {"incident": incident_id},
        "at": NOW,
        **changes,
    }
    return Page.model_validate(fields)


def sender(pagerduty: PagerDutyStandIn, key: str = KEY) -> PagerDutyEvents:
    return PagerDutyEvents(routing_key=SecretStr(key), base_url=pagerduty.url)


async def refused(
    pagerduty: PagerDutyStandIn, event: PagerEvent, *, key: str = KEY
) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(sender(pagerduty, key).send, page(event))
    return raised.value


async def test_trigger_acknowledge_and_resolve_are_one_alert_whatever_is_repeated(
    pagerduty: PagerDutyStandIn,
) -> None:
    pager = sender(pagerduty)
    for event in (TRIGGER, TRIGGER, ACK, ACK, RESOLVE, RESOLVE):
        receipt = await pager.send(page(event))
        assert (receipt.dedup_key, receipt.status) == ("inc-1", "success")
    [alert] = pagerduty.opened
    assert alert.changes == ["triggered", "acknowledged", "resolved"]
    body = pagerduty.events("trigger")[0]
    assert body["payload"] == {
        "summary": "Sev1 incident inc-1: Search API down",
        "source": say.SOURCE,
        "severity": "critical",
        "custom_details": {"incident": "inc-1"},
        "timestamp": NOW.isoformat(),
    }
    assert "payload" not in pagerduty.events("resolve")[0]
    await pager.send(page(TRIGGER))  # after its resolution: a new alert, as PagerDuty opens
    assert len(pagerduty.opened) == 2


async def test_an_acknowledge_or_resolve_for_a_key_never_triggered_is_ignored(
    pagerduty: PagerDutyStandIn,
) -> None:
    await sender(pagerduty).send(page(RESOLVE, "inc-2"))
    assert pagerduty.opened == [] and pagerduty.ignored == [("resolve", "inc-2")]


async def test_throttled_waits_as_long_as_pagerduty_said(pagerduty: PagerDutyStandIn) -> None:
    pagerduty.retry_after = 7
    pagerduty.inject("trigger", Fault.RATE_LIMIT)
    error = await refused(pagerduty, TRIGGER)
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=7)
    assert pagerduty.opened == []


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.DROP_AFTER, "503", "refuse"])
async def test_a_server_error_a_dropped_answer_and_an_outage_are_retried(
    pagerduty: PagerDutyStandIn, fault: Fault | str
) -> None:
    if isinstance(fault, Fault):
        pagerduty.inject("trigger", fault)
    else:
        pagerduty.go_down("503" if fault == "503" else "refuse")
    error = await refused(pagerduty, TRIGGER)
    assert not error.non_retryable
    assert "inc-1" in str(error)
    assert len(pagerduty.opened) == (1 if fault is Fault.DROP_AFTER else 0)


async def test_an_invalid_event_is_refused_for_good_in_one_sentence(
    pagerduty: PagerDutyStandIn,
) -> None:
    error = await refused(pagerduty, TRIGGER, key="not-the-key")
    assert error.non_retryable
    assert error.message == "PagerDuty refused the trigger of inc-1 (400): Invalid routing key."
    assert pagerduty.opened == []


async def test_without_a_routing_key_the_activity_says_so_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY", raising=False)
    [send] = pager_activities(PagerSettings(_env_file=None))
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(send, page(TRIGGER))
    assert raised.value.non_retryable
    assert raised.value.message == (
        "PAGERDUTY_ROUTING_KEY is not set on the worker, so inc-1 was not paged (trigger)."
    )


# --- Whole incidents on the time-skipping server ----------------------------------------------


@asynccontextmanager
async def worker_desk(time_env: WorkflowEnvironment) -> AsyncIterator[Desk]:
    """A desk served by the worker `incident worker` builds, with the environment's settings."""
    slack, status_page = RecordingMessenger(), RecordingStatusPage()
    settings = Settings(_env_file=None, temporal_task_queue=f"incidents-{uuid.uuid4()}")
    activities = IncidentActivities(messenger=slack, status_page=status_page)
    async with build_worker(time_env.client, settings, activities=activities):
        test_desk = Desk(time_env, settings.temporal_task_queue, slack, status_page)
        try:
            yield test_desk
        finally:
            await test_desk.close()
    assert_each_delivered_once(slack)


@pytest_asyncio.fixture
async def desk(
    time_env: WorkflowEnvironment, pagerduty: PagerDutyStandIn, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Desk]:
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", KEY)
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", pagerduty.url)
    async with worker_desk(time_env) as test_desk:
        yield test_desk


async def page_activities(handle: Handle) -> int:
    """How many pager activities the incident's history scheduled."""
    scheduled = 0
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            scheduled += attributes.activity_type.name == PAGE_ACTIVITY
    return scheduled


async def test_trigger_acknowledge_and_resolve_each_apply_once_through_429_500_and_drops(
    desk: Desk, pagerduty: PagerDutyStandIn
) -> None:
    pagerduty.inject("trigger", Fault.RATE_LIMIT)
    pagerduty.inject("trigger", Fault.DROP_AFTER)
    pagerduty.inject("acknowledge", Fault.SERVER_ERROR)
    pagerduty.inject("resolve", Fault.DROP_AFTER)
    handle = await desk.open(actor=LEAD, policy=WITH_PAGER)  # the DMs are asked to ack
    await desk.send(handle, Action.ACK, Command(actor=DM))
    await desk.sleep(timedelta(seconds=10))  # the retries' backoff
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back"))
    await desk.sleep(timedelta(seconds=10))

    [alert] = pagerduty.opened
    assert alert.dedup_key == handle.id
    assert alert.changes == ["triggered", "acknowledged", "resolved"]
    assert [fault for _, fault in pagerduty.faults_met()] == [
        Fault.RATE_LIMIT,
        Fault.DROP_AFTER,
        Fault.SERVER_ERROR,
        Fault.DROP_AFTER,
    ]
    assert await page_activities(handle) == 3  # one delivery each, retried inside
    state = await state_of(handle)
    assert state.undelivered == 0 and state.failed_deliveries == 0


async def test_pagerduty_down_for_two_hours_holds_back_no_slack_message_or_reminder(
    desk: Desk, pagerduty: PagerDutyStandIn
) -> None:
    pagerduty.go_down("503")
    desk.elsewhere_down = True
    handle = await desk.open(actor=LEAD, policy=WITH_PAGER)
    [opened] = await timeline_of(handle, EntryKind.DECLARED)
    asked = desk.slack.received(handle.id, NoticeKind.ACK_REQUEST)
    assert asked and all(opened.at <= d.arrived < opened.at + LATENESS for d in asked)
    await desk.sleep(timedelta(minutes=10))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    lanes = {str(lane.lane): lane for lane in (await state_of(handle)).waiting}
    assert lanes["pager"].in_flight  # the trigger, retried on its own
    await desk.sleep(OUTAGE / 2 - timedelta(minutes=10))
    pagerduty.go_down("refuse")  # the second hour: connections cut before any answer
    await desk.sleep(OUTAGE / 2)

    # Slack had every message at once, and every reminder at its due second.
    [update] = await timeline_of(handle, EntryKind.UPDATE)
    [posted] = desk.slack.received(handle.id, NoticeKind.UPDATE)
    assert update.at <= posted.arrived < update.at + LATENESS
    reminders = await timeline_of(handle, EntryKind.REMINDER)
    assert len(reminders) == 3  # 30, 60 and 90 minutes after the update
    for number, entry in enumerate(reminders, start=1):
        due = update.at + number * timedelta(minutes=30)
        assert due <= entry.at < due + LATENESS
    sent = desk.slack.received(handle.id, NoticeKind.REMINDER)
    assert [d.notice.text for d in sent] == [e.text for e in reminders]
    for delivery, entry in zip(sent, reminders, strict=True):
        assert entry.at <= delivery.arrived < entry.at + LATENESS
    nudges = desk.slack.received(handle.id, NoticeKind.ACK_REQUEST, to=DM2)
    assert len(nudges) >= 4  # the DMs' ack request, then a nudge every 30 minutes
    late = [d for d in desk.slack.received(handle.id) if d.arrived - d.at >= LATENESS]
    assert late == []  # every Slack message went the moment it was decided
    assert pagerduty.opened == [] and len(pagerduty.requests) > 100

    # The DM acknowledges meanwhile: it waits behind the trigger, in the pager's lane alone.
    await desk.send(handle, Action.ACK, Command(actor=DM))
    pagerduty.come_back()
    desk.elsewhere_down = False
    await desk.sleep(RETRY_CAP + timedelta(seconds=5))
    [alert] = pagerduty.opened
    assert alert.changes == ["triggered", "acknowledged"]
    assert len(pagerduty.events("trigger")) == 1 and len(pagerduty.events("acknowledge")) == 1
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM))
    assert alert.changes == ["triggered", "acknowledged", "resolved"]
    state = await state_of(handle)
    assert state.undelivered == 0 and state.waiting == []


async def test_a_security_incidents_page_carries_no_title_description_or_lead(
    desk: Desk, pagerduty: PagerDutyStandIn
) -> None:
    handle = await desk.open(actor=LEAD, policy=WITH_PAGER, security=True, title=TITLE)
    [trigger] = pagerduty.events("trigger")
    assert trigger["payload"]["summary"] == f"Security incident {handle.id} (sev1): see Slack"
    sent = json.dumps(trigger)
    for secret in (TITLE, "Every search request fails", LEAD):
        assert secret not in sent


async def test_without_the_setting_nothing_is_paged_and_nothing_scheduled(
    time_env: WorkflowEnvironment, pagerduty: PagerDutyStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No INCIDENT_PAGER and no routing key: the incident's policy records the pager off, and
    its history is what it would be without a pager: no page decided, no activity scheduled."""
    monkeypatch.delenv("INCIDENT_PAGER", raising=False)
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY", raising=False)
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", pagerduty.url)
    recorded = Settings(_env_file=None).policy().destinations
    assert recorded[Page.destination_name()] == {"paging": "off"}
    kinds: list[list[EntryKind]] = []
    async with worker_desk(time_env) as desk:
        for destinations in (recorded, {}):  # the settings' policy, and one without the pager
            policy = POLICY.model_copy(update={"destinations": destinations})
            handle = await desk.open(actor=LEAD, policy=policy)
            await desk.send(handle, Action.ACK, Command(actor=DM))
            await desk.send(handle, Action.RESOLVE, Resolve(actor=DM))
            state = await state_of(handle)
            assert await page_activities(handle) == 0
            assert state.undelivered == 0 and state.failed_deliveries == 0
            kinds.append(sorted(e.kind for e in await timeline_of(handle)))
    assert kinds[0] == kinds[1]
    assert pagerduty.requests == []


async def test_paging_on_without_a_routing_key_is_one_sentence_in_the_timeline(
    time_env: WorkflowEnvironment, pagerduty: PagerDutyStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAGERDUTY_ROUTING_KEY", raising=False)
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", pagerduty.url)
    async with worker_desk(time_env) as desk:
        handle = await desk.open(actor=LEAD, policy=WITH_PAGER)
        [failed] = await timeline_of(handle, EntryKind.DELIVERY_FAILED)
    assert failed.text.endswith(
        f"PAGERDUTY_ROUTING_KEY is not set on the worker, so {handle.id} was not paged (trigger)."
    )
    assert pagerduty.requests == []


def test_the_policy_recorded_without_the_pager_is_off() -> None:
    assert Page.options_in(Policy()) is None  # incidents begun before the pager: off
