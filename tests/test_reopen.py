"""`reopen`: an incident that came back before its retro is active again, and everyone knows.

Also the proof of README's "Changing it": the command was added in three files (its name and
input in workflows/model/commands.py, its rule and effect in workflows/commands/resolution.py,
its words in starter.py) plus its timeline entry kind.
"""

from __future__ import annotations

from datetime import timedelta

from tests.people import DM, LEAD
from tests.people import DM as WORKFLOW_DM
from tests.people import LEAD as WORKFLOW_LEAD
from tests.test_process import NOW, _deliver_all, _do, declared
from tests.test_workflow import Desk, assert_at, desk, state_of, timeline_of
from workflows.destinations.slack import Audience, Notice, NoticeKind
from workflows.destinations.statuspage import StatusPagePost
from workflows.model import Action, EntryKind, Severity, Status, StatusPageStatus, Timer
from workflows.model.commands import PostStatusPage, ProgressUpdate, Reopen, Resolve
from workflows.process import Incident

__all__ = ["desk"]  # the fixture, imported for pytest

LATER = NOW + timedelta(hours=2)


def resolved_with_a_page(*, security: bool = False) -> Incident:
    incident = declared(security=security)
    if not security:
        page = PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="Search fails")
        _do(incident, Action.STATUSPAGE, page)
    _do(incident, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back"))
    _deliver_all(incident)
    return incident


def test_reopen_makes_it_active_again_with_reminders_and_no_retro_due() -> None:
    incident = resolved_with_a_page()
    assert Timer.RETRO_DUE in incident.state.timers
    answer = _do(incident, Action.REOPEN, Reopen(actor=LEAD, reason="The 500s are back"), LATER)
    s = incident.state
    assert answer == f"{LEAD} reopened {s.id}: The 500s are back."
    assert (s.status, s.resolved_at) == (Status.ACTIVE, None)
    assert Timer.RETRO_DUE not in s.timers
    assert s.reminder_interval is not None
    assert s.timers[Timer.STALE_PROGRESS] == LATER + s.reminder_interval  # sev2, in hours
    [entry] = [e for e in incident.timeline if e.kind is EntryKind.REOPENED]
    assert (entry.actor, entry.at) == (LEAD, LATER)


def test_reopen_tells_the_channel_the_dms_and_the_platform_and_reopens_the_page() -> None:
    incident = resolved_with_a_page()
    _do(incident, Action.REOPEN, Reopen(actor=LEAD, reason="The 500s are back"), LATER)
    notices = [e for e in incident.outbox.effects if isinstance(e, Notice)]
    said = {(n.audience, n.kind): n for n in notices}
    assert "reopened" in said[(Audience.INCIDENT_CHANNEL, NoticeKind.TRANSITION)].text
    assert said[(Audience.DIRECT, NoticeKind.TRANSITION)].recipients == [DM]
    platform = said[(Audience.PLATFORM_CHANNEL, NoticeKind.TRANSITION)]
    assert platform.text == f"Reopened: {incident.state.title}."
    [page] = [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    assert page.status is StatusPageStatus.INVESTIGATING
    assert incident.state.statuspage_status is StatusPageStatus.INVESTIGATING


def test_a_reopened_security_incident_says_nothing_in_public() -> None:
    incident = resolved_with_a_page(security=True)
    _do(incident, Action.REOPEN, Reopen(actor=DM, reason="Still exfiltrating"), LATER)
    effects = incident.outbox.effects
    assert not [e for e in effects if isinstance(e, StatusPagePost)]
    assert not [
        e for e in effects if isinstance(e, Notice) and e.audience is Audience.PLATFORM_CHANNEL
    ]


def test_only_a_resolved_incident_can_be_reopened_and_only_by_its_lead_or_a_dm() -> None:
    incident = declared()
    refusal = incident.refusal(Action.REOPEN, Reopen(actor=LEAD, reason="x"), NOW)
    assert (
        refusal == f"Incident {incident.state.id} is active, so nobody can reopen an incident now."
    )
    incident = resolved_with_a_page()
    refusal = incident.refusal(Action.REOPEN, Reopen(actor="U0OUT", reason="x"), NOW)
    assert refusal == (
        f"Only the lead or a delivery manager may reopen an incident on {incident.state.id}; "
        "U0OUT is not."
    )


async def test_a_reopened_incident_reminds_again_on_the_time_skipping_server(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1)
    await desk.send(handle, Action.RESOLVE, Resolve(actor=WORKFLOW_DM, summary="Rolled back"))
    receipt = await desk.send(handle, Action.REOPEN, Reopen(actor=WORKFLOW_DM, reason="Back"))
    assert receipt.status is Status.ACTIVE
    reopened_at = (await timeline_of(handle, EntryKind.REOPENED))[0].at
    await desk.sleep(timedelta(minutes=31))  # sev1: a reminder every 30 minutes
    [reminder] = await timeline_of(handle, EntryKind.REMINDER)
    assert_at(reminder.at, reopened_at + timedelta(minutes=30))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=WORKFLOW_LEAD, text="On it"))
    assert (await state_of(handle)).status is Status.ACTIVE


def test_stats_count_the_incidents_that_came_back() -> None:
    from frontends.stats import incident_stats
    from messages.terminal import stats_json, stats_text

    twice = resolved_with_a_page()
    for hour in (2, 4):
        reopen = Reopen(actor=LEAD, reason="The 500s are back")
        _do(twice, Action.REOPEN, reopen, NOW + timedelta(hours=hour))
        _do(
            twice,
            Action.RESOLVE,
            Resolve(actor=DM, summary="Really fixed"),
            NOW + timedelta(hours=hour + 1),
        )
    once_only = resolved_with_a_page()
    assert twice.state.times_reopened == 2
    figures = incident_stats([twice.state, once_only.state])
    assert "  reopened: 1 of 2 (2 times)" in stats_text(figures).splitlines()
    ordinary = stats_json(figures)["incidents"]
    assert isinstance(ordinary, dict)
    assert (ordinary["reopened"], ordinary["reopens"]) == (1, 2)
