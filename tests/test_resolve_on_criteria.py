"""`resolve --criteria-met`: the lead resolves at once on criteria a delivery manager set in
advance ("there may be situations where this is so obvious as to be unnecessary"); the DMs are
told, with a Reopen button in Slack. The button itself: tests/test_relay.py."""

from __future__ import annotations

from messages.slack_blocks import ActionId, notice_blocks
from tests.people import DM, LEAD
from tests.test_process import NOW, _do, declared
from workflows.destinations.slack import Audience, Notice, NoticeKind
from workflows.model import Action, EntryKind, Status, Timer
from workflows.model.commands import Resolve, SetCriteria

CRITERIA = "error rate under 1% for 15 minutes"


def test_with_criteria_set_the_lead_resolves_at_once_and_the_dms_are_told() -> None:
    incident = declared()
    _do(incident, Action.CRITERIA, SetCriteria(actor=DM, text=CRITERIA))
    resolve = Resolve(actor=LEAD, summary="CDN purge fixed it", criteria_met=True)
    answer = _do(incident, Action.RESOLVE, resolve)
    s = incident.state
    assert answer == (
        f'{LEAD} resolved inc-test on the delivery managers\' criteria ("{CRITERIA}"): '
        "CDN purge fixed it."
    )
    assert (s.status, s.resolved_at, s.delivery_manager) == (Status.RESOLVED, NOW, None)
    assert set(s.timers) == {Timer.RETRO_DUE}
    [entry] = [e for e in incident.timeline if e.kind is EntryKind.RESOLVED]
    assert entry.actor == LEAD
    [told] = [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.kind is NoticeKind.RESOLVED and e.audience is Audience.DIRECT
    ]
    assert told.recipients == [DM] and told.text == answer
    [actions] = [b for b in notice_blocks(told) if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [ActionId.REOPEN]


def test_without_criteria_it_asks_as_before_and_says_why() -> None:
    incident = declared()
    answer = _do(incident, Action.RESOLVE, Resolve(actor=LEAD, criteria_met=True))
    assert incident.state.status is Status.AWAITING_APPROVAL
    assert answer.endswith("(no resolution criteria were set, so a delivery manager decides).")
    assert any(
        isinstance(e, Notice) and e.kind is NoticeKind.RESOLUTION_REQUEST
        for e in incident.outbox.effects
    )


def test_without_the_flag_the_lead_still_asks_even_with_criteria_set() -> None:
    incident = declared()
    _do(incident, Action.CRITERIA, SetCriteria(actor=DM, text=CRITERIA))
    _do(incident, Action.RESOLVE, Resolve(actor=LEAD))
    assert incident.state.status is Status.AWAITING_APPROVAL
