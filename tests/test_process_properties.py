"""Random sequences of commands from random people, checked against the handbook's lifecycle.

Hypothesis drives the pure process (``workflows.process.Incident``, the same code the workflow
runs) with valid and invalid commands and moving time; after every step the invariants hold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from workflows.model import (
    Accept,
    Audience,
    ChangeSeverity,
    Command,
    Decline,
    Handover,
    IncidentStart,
    Notice,
    Policy,
    PostStatusPage,
    ProgressUpdate,
    Reject,
    Resolve,
    Retro,
    SetCriteria,
    Severity,
    Snooze,
    Status,
    StatusPagePost,
    StatusPageStatus,
)
from workflows.process import Incident
from workflows.rules import Action

DMS = ["U0DM1", "U0DM2"]
PEOPLE = [*DMS, "U0LEAD", "U0DEV", "U0SUE", "U0OUT"]
POLICY = Policy(delivery_managers=DMS, infosec_head="U0SEC")
START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # a Sunday afternoon

# The lifecycle in DESIGN.md, and nothing else.
ALLOWED = {
    (Status.TRIAGE, Status.DECLINED),
    (Status.TRIAGE, Status.ACTIVE),
    (Status.DECLINED, Status.TRIAGE),  # a revisit date re-asks the DMs
    (Status.ACTIVE, Status.AWAITING_APPROVAL),
    (Status.ACTIVE, Status.RESOLVED),
    (Status.AWAITING_APPROVAL, Status.RESOLVED),
    (Status.AWAITING_APPROVAL, Status.ACTIVE),
    (Status.RESOLVED, Status.CLOSED),
}
WITH_A_LEAD = {Status.ACTIVE, Status.AWAITING_APPROVAL, Status.RESOLVED, Status.CLOSED}

people = st.sampled_from(PEOPLE)
words = st.text(alphabet="abc xyz", min_size=1, max_size=20).filter(str.strip)


def _command(action: Action, actor: str, data: st.DataObject) -> Command:
    draw = data.draw
    builders: dict[Action, Any] = {
        Action.ACCEPT: lambda: Accept(
            actor=actor, lead=draw(people), severity=draw(st.sampled_from(Severity))
        ),
        Action.DECLINE: lambda: Decline(
            actor=actor,
            reason="later",
            revisit_at=draw(st.none() | st.just(START + timedelta(days=30))),
        ),
        Action.HANDOVER: lambda: Handover(actor=actor, to=draw(people)),
        Action.UPDATE: lambda: ProgressUpdate(actor=actor, text=draw(words)),
        Action.SEVERITY: lambda: ChangeSeverity(
            actor=actor, severity=draw(st.sampled_from(Severity))
        ),
        Action.SNOOZE: lambda: Snooze(
            actor=actor, duration=timedelta(hours=draw(st.integers(1, 48)))
        ),
        Action.CRITERIA: lambda: SetCriteria(actor=actor, text=draw(words)),
        Action.STATUSPAGE: lambda: PostStatusPage(
            actor=actor, status=draw(st.sampled_from(StatusPageStatus)), text=draw(words)
        ),
        Action.RESOLVE: lambda: Resolve(actor=actor, summary=draw(st.none() | words)),
        Action.REJECT: lambda: Reject(actor=actor, reason=draw(words)),
        Action.RETRO: lambda: (
            Retro(actor=actor, notes=draw(words))
            if draw(st.booleans())
            else Retro(actor=actor, skip_reason=draw(words))
        ),
    }
    build = builders.get(action, lambda: Command(actor=actor))
    command: Command = build()
    return command


class IncidentLifecycle(RuleBasedStateMachine):
    incident: Incident
    now: datetime

    @initialize(
        declare=st.booleans(),
        actor=people,
        security=st.booleans(),
        severity=st.sampled_from(Severity),
    )
    def open(self, declare: bool, actor: str, security: bool, severity: Severity) -> None:
        self.now = START
        start = IncidentStart(
            id="inc-prop",
            title="Secret title of the incident",
            description="Secret description",
            security=security,
            actor=actor,
            lead=actor if declare else None,
            severity=severity if declare else None,
            declare=declare,
            policy=POLICY,
        )
        self.incident = Incident.open(start, self.now)
        self.was_security = security
        self.delivered = 0

    @rule(action=st.sampled_from(Action), actor=people, data=st.data())
    def command(self, action: Action, actor: str, data: st.DataObject) -> None:
        command = _command(action, actor, data)
        before = self.incident.carried().model_copy(deep=True)
        refusal = self.incident.refusal(action, command, self.now)
        if refusal is not None:
            assert refusal.endswith(".") and "\n" not in refusal
            assert self.incident.carried() == before, "a refusal changed the incident"
            return
        text = self.incident.apply(action, command, self.now)
        assert text
        after = self.incident.state.status
        if after != before.state.status:
            assert (before.state.status, after) in ALLOWED
        assert len(self.incident.timeline) > len(before.timeline)
        assert self.incident.timeline[: len(before.timeline)] == before.timeline

    @rule(minutes=st.integers(min_value=1, max_value=3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        before = self.incident.state.status
        self.now += timedelta(minutes=minutes)
        self.incident.fire_due_timers(self.now)
        after = self.incident.state.status
        if after != before:
            assert (before, after) == (Status.DECLINED, Status.TRIAGE)
        assert all(due > self.now for due in self.incident.state.timers.values())

    @rule()
    def deliver_one(self) -> None:
        if self.incident.outbox:
            effect = self.incident.outbox[0]
            self.incident.effect_done(effect, None, self.now)
            assert effect not in self.incident.outbox or self.incident.outbox[0] is not effect

    @invariant()
    def one_lead_once_there_is_an_incident(self) -> None:
        state = self.incident.state
        if state.status in WITH_A_LEAD:
            assert state.lead is not None
            assert state.lead not in state.supporters
        if state.status is Status.TRIAGE:
            assert state.lead is None or state.decline_reason is not None

    @invariant()
    def the_timeline_is_in_order(self) -> None:
        times = [entry.at for entry in self.incident.timeline]
        assert times == sorted(times)

    @invariant()
    def security_is_never_undone_and_never_public(self) -> None:
        state = self.incident.state
        assert state.security or not self.was_security
        self.was_security = state.security
        if not state.security:
            return
        for effect in self.incident.outbox:
            if isinstance(effect, Notice) and effect.audience is Audience.PLATFORM_CHANNEL:
                assert effect.incident.title is None and "Secret" not in effect.text
                assert effect.actor is None

    @invariant()
    def the_status_page_never_hears_of_a_security_incident(self) -> None:
        if self.incident.state.security and self.was_security:
            fresh = [e for e in self.incident.outbox if isinstance(e, StatusPagePost)]
            assert all("Secret" not in post.body for post in fresh)

    @invariant()
    def effect_keys_are_unique(self) -> None:
        keys = [effect.key for effect in self.incident.outbox]
        assert len(keys) == len(set(keys))

    @invariant()
    def reminders_only_while_someone_should_act(self) -> None:
        state = self.incident.state
        if state.status in (Status.CLOSED,) or (
            state.status is Status.DECLINED and state.revisit_at is None
        ):
            assert not state.timers
            assert self.incident.finished


IncidentLifecycle.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestIncidentLifecycle = IncidentLifecycle.TestCase
