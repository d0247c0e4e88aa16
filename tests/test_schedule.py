"""`schedule` ("schedule a post-mortem"): the people involved are told, reminded at the time, and
the time is the retro draft's "Retro held:" line."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from messages.retro import retro_draft
from messages.terminal import show_text
from tests.people import DM, HELPER, LEAD
from tests.test_process import NOW, _deliver_all, _do, declared
from tests.test_workflow import POLICY as WORKFLOW_POLICY
from tests.test_workflow import Desk, desk, state_of
from workflows.destinations.slack import Audience, Notice, NoticeKind
from workflows.model import Action, Timer
from workflows.model.commands import Resolve, ScheduleRetro
from workflows.process import Incident

__all__ = ["desk"]  # the fixture, imported for pytest

THURSDAY_2PM = NOW + timedelta(days=3, hours=4)  # NOW is Monday 23 November 2026, 10:00 UTC


def resolved() -> Incident:
    incident = declared()  # the lead, and HELPER supporting
    _do(incident, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back"))
    _deliver_all(incident)
    return incident


def test_scheduling_tells_the_people_involved_and_sets_the_reminder() -> None:
    incident = resolved()
    answer = _do(incident, Action.SCHEDULE, ScheduleRetro(actor=LEAD, at=THURSDAY_2PM))
    assert answer == (
        f"{LEAD} scheduled the retro of inc-test for Thursday 26 November 2026 at 14:00 GMT."
    )
    [told] = [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.audience is Audience.DIRECT
    ]
    assert told.recipients == [LEAD, HELPER, DM]
    assert incident.state.timers[Timer.RETRO_MEETING] == THURSDAY_2PM
    # The retro was due Thursday (sev2: five working days); its nudges wait until Friday 09:00.
    assert incident.state.timers[Timer.RETRO_DUE] > THURSDAY_2PM
    assert "Retro scheduled:  2026-11-26 14:00:00 UTC" in show_text(incident.state)
    draft = retro_draft(incident.state, incident.timeline, zone=ZoneInfo("Europe/London"))
    assert "**Retro held:** 26 November 2026" in draft


def test_a_time_gone_by_is_refused_in_one_sentence() -> None:
    incident = resolved()
    refusal = incident.refusal(Action.SCHEDULE, ScheduleRetro(actor=LEAD, at=NOW), NOW)
    assert refusal == "The retro of inc-test can only be scheduled for a time still to come."


async def test_at_the_time_the_people_involved_are_reminded(desk: Desk) -> None:
    handle = await desk.open(policy=WORKFLOW_POLICY)
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back"))
    resolved_at = (await state_of(handle)).resolved_at
    assert resolved_at is not None
    at = resolved_at + timedelta(hours=2)
    await desk.send(handle, Action.SCHEDULE, ScheduleRetro(actor=DM, at=at))
    await desk.sleep(timedelta(hours=2, minutes=1))
    starts = [
        d
        for d in desk.slack.received(handle.id, NoticeKind.RETRO_DUE)
        if d.notice.text.startswith("The retro of")
    ]
    assert len(starts) == 1 and LEAD in starts[0].notice.recipients
    assert at <= starts[0].at < at + timedelta(minutes=1)
