"""`ask` and `busy`: the lead pulls in whoever they need, and someone asked says if they can't.

The process (who may ask whom, what each is told), the nudge of an unanswered ask on the
time-skipping server, and the Join / Can't help buttons are in tests/test_relay.py.
"""

from __future__ import annotations

from datetime import timedelta

from tests.people import DM, HELPER, LEAD
from tests.test_process import NOW, POLICY, _do, _start, declared
from tests.test_workflow import POLICY as WORKFLOW_POLICY
from tests.test_workflow import Desk, desk, state_of, timeline_of
from workflows.destinations.slack import Audience, Notice, NoticeKind
from workflows.model import Action, Command, EntryKind, Severity, Timer
from workflows.model.commands import Ask, Busy
from workflows.process import Incident

__all__ = ["desk"]  # the fixture, imported for pytest

SUE = "U0SUE"
ASK_CADENCE = {Severity.SEV1: timedelta(minutes=15), Severity.SEV2: timedelta(hours=1)}


def notices(incident: Incident, kind: NoticeKind) -> list[Notice]:
    return [e for e in incident.outbox.effects if isinstance(e, Notice) and e.kind is kind]


def test_the_person_asked_is_told_directly_and_the_channel_sees_it() -> None:
    incident = declared()
    answer = _do(incident, Action.ASK, Ask(actor=LEAD, to=SUE, note="You know the CDN rules"))
    assert answer == f"{LEAD} asked {SUE} to help on inc-test: You know the CDN rules."
    [told] = notices(incident, NoticeKind.ASKED)
    assert (told.audience, told.recipients) == (Audience.DIRECT, [SUE])
    assert told.text == (
        f'{LEAD} asks for your help on inc-test (Search API returns 500s) "You know the CDN '
        'rules". `incident join inc-test` to help, or `incident busy inc-test --reason R` if '
        "you can't."
    )
    assert incident.state.asked == {SUE: NOW}
    [entry] = [e for e in incident.timeline if e.kind is EntryKind.ASKED]
    assert entry.actor == LEAD


def test_joining_or_saying_busy_answers_and_the_lead_sees_it() -> None:
    incident = declared()
    _do(incident, Action.ASK, Ask(actor=LEAD, to=SUE))
    _do(incident, Action.ASK, Ask(actor=DM, to="U0BOB"))
    _do(incident, Action.JOIN, Command(actor=SUE))
    assert SUE in incident.state.supporters and SUE not in incident.state.asked
    answer = _do(incident, Action.BUSY, Busy(actor="U0BOB", reason="On leave today"))
    assert answer == "U0BOB can't help on inc-test: On leave today."
    said = [n for n in notices(incident, NoticeKind.TRANSITION) if "can't help" in n.text]
    assert [(n.audience, n.mentions) for n in said] == [(Audience.INCIDENT_CHANNEL, [LEAD])]
    assert incident.state.asked == {}


def test_asking_the_lead_a_helper_or_twice_and_busy_unasked_are_refused_in_one_sentence() -> None:
    incident = declared()  # HELPER has joined
    _do(incident, Action.ASK, Ask(actor=LEAD, to=SUE))
    refusals = {
        incident.refusal(Action.ASK, Ask(actor=LEAD, to=LEAD), NOW),
        incident.refusal(Action.ASK, Ask(actor=LEAD, to=HELPER), NOW),
        incident.refusal(Action.ASK, Ask(actor=LEAD, to=SUE), NOW),
        incident.refusal(Action.ASK, Ask(actor=HELPER, to="U0BOB"), NOW),
        incident.refusal(Action.BUSY, Busy(actor="U0BOB"), NOW),
    }
    assert refusals == {
        f"{LEAD} leads inc-test already.",
        f"{HELPER} is already helping on inc-test.",
        f"{SUE} has been asked to help on inc-test already and not yet answered.",
        f"Only the lead or a delivery manager may ask someone to help on inc-test; {HELPER} is not.",
        "Nobody asked U0BOB to help on inc-test; only someone asked can say they can't.",
    }


def test_an_unanswered_ask_is_nudged_once_and_an_answer_stops_it() -> None:
    policy = POLICY.model_copy(update={"ask_reminder": ASK_CADENCE})
    incident = Incident.open(_start(declare=True, policy=policy), NOW)  # sev2: an hour
    _do(incident, Action.ASK, Ask(actor=LEAD, to=SUE))
    _do(incident, Action.ASK, Ask(actor=LEAD, to="U0BOB"), NOW + timedelta(minutes=10))
    assert incident.state.timers[Timer.ASK] == NOW + timedelta(hours=1)
    incident.reminders.fire_due_timers(NOW + timedelta(hours=1))
    reminders = notices(incident, NoticeKind.REMINDER)
    nudged = [n.recipients for n in reminders if n.audience is Audience.DIRECT]
    assert nudged == [[SUE]]  # (the lead's stale-progress reminder is due then too)
    assert incident.state.timers[Timer.ASK] == NOW + timedelta(minutes=70)  # Bob's
    _do(incident, Action.BUSY, Busy(actor="U0BOB"), NOW + timedelta(minutes=65))
    assert Timer.ASK not in incident.state.timers  # Sue was nudged once; Bob answered


async def test_on_the_time_skipping_server_a_sev1_ask_is_nudged_after_15_minutes(
    desk: Desk,
) -> None:
    policy = WORKFLOW_POLICY.model_copy(update={"ask_reminder": ASK_CADENCE})
    handle = await desk.open(severity=Severity.SEV1, policy=policy)
    await desk.send(handle, Action.ASK, Ask(actor=LEAD, to=SUE))
    [asked] = await timeline_of(handle, EntryKind.ASKED)
    await desk.sleep(timedelta(minutes=40))
    nudges = [d for d in desk.slack.received(handle.id, NoticeKind.REMINDER, to=SUE)]
    assert len(nudges) == 1  # once, not every 15 minutes
    assert asked.at + timedelta(minutes=15) <= nudges[0].at < asked.at + timedelta(minutes=16)
    assert nudges[0].notice.text.startswith("Reminder: you were asked to help on")
    assert SUE in (await state_of(handle)).asked
