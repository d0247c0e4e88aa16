"""The status page's cadence: delivery managers are nudged when the public page goes quiet.

Also the proof of README's "Changing it" for a reminder rule: it was added as one entry of
``RULES`` in workflows/reminders.py, its words in messages/reminder_sentences.py and its Policy field
(which names its setting, INCIDENT_STATUSPAGE_REMINDER) in workflows/vocabulary/policy.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio import converter
from temporalio.api.enums.v1 import EventType

from messages.terminal import show_text
from temporal_client.settings import Settings, SettingsError
from tests.people import DM, LEAD
from tests.people import DM as WORKFLOW_DM
from tests.test_process import NOW, POLICY, _do, _start
from tests.test_workflow import POLICY as WORKFLOW_POLICY_WITHOUT_CADENCE
from tests.test_workflow import Desk, assert_about, desk, timeline_of
from workflows.destinations.slack import Audience, Notice, NoticeKind
from workflows.model import Action, EntryKind, Severity, StatusPageStatus, Timer
from workflows.model.commands import ChangeSeverity, PostStatusPage, Reopen, Resolve
from workflows.process import Incident

__all__ = ["desk"]  # the fixture, imported for pytest

CADENCE = {Severity.SEV1: timedelta(minutes=30), Severity.SEV2: timedelta(hours=1)}
WORKFLOW_POLICY = WORKFLOW_POLICY_WITHOUT_CADENCE.model_copy(
    update={"statuspage_reminder": CADENCE}
)


def incident_with_cadence(cadence: dict[Severity, timedelta] | None = CADENCE) -> Incident:
    policy = POLICY.model_copy(update={"statuspage_reminder": cadence})
    return Incident.open(_start(declare=True, policy=policy), NOW)


def post_to_page(incident: Incident, at: datetime, status: StatusPageStatus) -> None:
    page = PostStatusPage(actor=DM, status=status, text="Search is slow for some people")
    _do(incident, Action.STATUSPAGE, page, at)


def nudges(incident: Incident) -> list[Notice]:
    return [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.kind is NoticeKind.REMINDER and e.audience is Audience.DIRECT
    ]


def test_a_quiet_page_nudges_the_delivery_managers_after_its_cadence() -> None:
    incident = incident_with_cadence()  # sev2: an hour, in office hours (NOW is a Monday 10:00)
    assert Timer.STATUS_PAGE not in incident.state.timers  # nothing on the page yet
    post_to_page(incident, NOW, StatusPageStatus.INVESTIGATING)
    assert incident.state.timers[Timer.STATUS_PAGE] == NOW + timedelta(hours=1)

    incident.reminders.fire_due_timers(NOW + timedelta(hours=1))

    [nudge] = nudges(incident)
    assert nudge.recipients == [DM]
    assert nudge.text == (
        f"The status page has not been updated about inc-test ({incident.state.title}) for 1h: "
        "`incident statuspage inc-test --status STATUS TEXT`."
    )
    # (the lead's stale-progress reminder is due at the same time)
    recorded = [e for e in incident.timeline if e.kind is EntryKind.REMINDER]
    assert (NOW + timedelta(hours=1), nudge.text) in [(e.at, e.text) for e in recorded]
    # Again an hour later while nobody posts; the next nudge says how long it has been.
    assert incident.state.timers[Timer.STATUS_PAGE] == NOW + timedelta(hours=2)
    incident.reminders.fire_due_timers(NOW + timedelta(hours=2))
    assert "for 2h:" in nudges(incident)[-1].text


def test_each_post_restarts_the_clock_and_resolving_the_page_stops_it() -> None:
    incident = incident_with_cadence()
    post_to_page(incident, NOW, StatusPageStatus.INVESTIGATING)
    post_to_page(incident, NOW + timedelta(minutes=40), StatusPageStatus.IDENTIFIED)
    assert incident.state.timers[Timer.STATUS_PAGE] == NOW + timedelta(minutes=100)
    post_to_page(incident, NOW + timedelta(minutes=50), StatusPageStatus.RESOLVED)
    assert Timer.STATUS_PAGE not in incident.state.timers


def test_the_cadence_follows_the_severity_and_sev3_is_not_nudged() -> None:
    incident = incident_with_cadence()
    post_to_page(incident, NOW, StatusPageStatus.INVESTIGATING)
    up = ChangeSeverity(actor=LEAD, severity=Severity.SEV1)
    _do(incident, Action.SEVERITY, up, NOW + timedelta(minutes=10))
    assert incident.state.timers[Timer.STATUS_PAGE] == NOW + timedelta(minutes=30)
    down = ChangeSeverity(actor=LEAD, severity=Severity.SEV3)
    _do(incident, Action.SEVERITY, down, NOW + timedelta(minutes=20))
    assert Timer.STATUS_PAGE not in incident.state.timers


def test_sev2_waits_for_office_hours_and_sev1_does_not() -> None:
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 17:00 in London, closes 17:30
    incident = incident_with_cadence()
    post_to_page(incident, friday_evening, StatusPageStatus.INVESTIGATING)
    monday_opening = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert incident.state.timers[Timer.STATUS_PAGE] == monday_opening
    sev1 = ChangeSeverity(actor=LEAD, severity=Severity.SEV1)
    _do(incident, Action.SEVERITY, sev1, friday_evening + timedelta(minutes=5))
    assert incident.state.timers[Timer.STATUS_PAGE] == friday_evening + timedelta(minutes=30)


def test_resolving_stops_it_and_reopening_restarts_it_from_the_reopened_page() -> None:
    incident = incident_with_cadence()
    post_to_page(incident, NOW, StatusPageStatus.INVESTIGATING)
    incident.effect_done(incident.outbox.effects[-1], None, NOW)  # keep the queue short
    incident.state.statuspage_incident_id = "page-1"
    _do(incident, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back"), NOW)
    assert set(incident.state.timers) == {Timer.RETRO_DUE}
    later = NOW + timedelta(hours=3)
    _do(incident, Action.REOPEN, Reopen(actor=LEAD, reason="The 500s are back"), later)
    assert incident.state.statuspage_status is StatusPageStatus.INVESTIGATING
    assert incident.state.timers[Timer.STATUS_PAGE] == later + timedelta(hours=1)


def test_incidents_begun_before_the_rule_are_never_nudged() -> None:
    incident = incident_with_cadence(None)  # their recorded policy has no cadence
    post_to_page(incident, NOW, StatusPageStatus.INVESTIGATING)
    assert Timer.STATUS_PAGE not in incident.state.timers


def test_show_says_when_the_page_is_due() -> None:
    incident = incident_with_cadence()
    post_to_page(incident, NOW, StatusPageStatus.INVESTIGATING)
    assert "Status page due:" in show_text(incident.state)
    assert "2026-11-23 11:00:00 UTC" in show_text(incident.state)


def test_the_setting_gives_new_incidents_their_cadence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENT_STATUSPAGE_REMINDER", "sev1=20m")
    assert Settings(_env_file=None).policy().statuspage_reminder == {
        Severity.SEV1: timedelta(minutes=20)
    }
    monkeypatch.setenv("INCIDENT_STATUSPAGE_REMINDER", "")
    assert Settings(_env_file=None).policy().statuspage_reminder == {}  # off
    monkeypatch.delenv("INCIDENT_STATUSPAGE_REMINDER")
    assert Settings(_env_file=None).policy().statuspage_reminder == CADENCE  # the default


def test_a_bad_cadence_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENT_STATUSPAGE_REMINDER", "sev1=soon")
    with pytest.raises(SettingsError) as raised:
        Settings(_env_file=None).policy()
    message = str(raised.value)
    assert message.startswith("INCIDENT_STATUSPAGE_REMINDER: ")
    assert message.count(". ") == 0 and message.endswith(".")


def test_every_timer_has_a_rule_and_a_name_in_show() -> None:
    from messages.reminder_sentences import TIMER_DUE, TIMER_LABELS
    from workflows.reminders import RULES

    assert set(RULES) == set(Timer)
    # Each table names every timer, keyed by the enum (mypy holds the tables' type to it).
    assert set(TIMER_LABELS) == set(TIMER_DUE) == set(Timer)
    assert all(type(timer) is Timer for timer in [*RULES, *TIMER_LABELS, *TIMER_DUE])


async def test_a_running_incident_nudges_the_dms_and_names_its_timers(desk: Desk) -> None:
    """On the time-skipping server: the nudge reaches the DMs at its due time, and each timer
    in the history carries the name the Web UI shows for it."""
    handle = await desk.open(severity=Severity.SEV1, policy=WORKFLOW_POLICY)
    page = PostStatusPage(actor=WORKFLOW_DM, status=StatusPageStatus.INVESTIGATING, text="Slow")
    await desk.send(handle, Action.STATUSPAGE, page)
    [post] = await timeline_of(handle, EntryKind.STATUSPAGE)
    await desk.sleep(timedelta(minutes=35))

    [nudge] = [
        d
        for d in desk.slack.received(handle.id, NoticeKind.REMINDER)
        if d.notice.audience is Audience.DIRECT
    ]
    assert WORKFLOW_DM in nudge.notice.recipients
    assert nudge.notice.text.startswith("The status page has not been updated")
    assert_about(nudge.at, post.at + timedelta(minutes=30))
    timers = [
        converter.default().payload_converter.from_payload(e.user_metadata.summary, str)
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    assert "status page update due" in timers
    assert "stale-progress reminder due" in timers
