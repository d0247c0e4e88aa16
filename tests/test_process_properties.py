"""Random commands from steered people, checked against a model of the handbook.

Hypothesis drives the pure process (``workflows.process.Incident``, the same code the workflow
runs) with commands, moving time and deliveries. A small model of README's "Who may do what"
table and lifecycle, written out here and not imported from ``workflows/rules.py``, predicts
for every command whether the process accepts it, and the test holds the process to it both
ways:

- accepted when the model says accept: then the status, lead, supporters, severity, security
  and acknowledgement are the model's, and the timeline grew without rewriting its history;
- refused when the model says refuse: with one sentence, and nothing the incident holds changed.

The choices are steered so that refusals do not drown the run: three commands in four are ones
somebody may take in the incident's status, the rest near misses (a command nobody may take
now), sent by the lead, a delivery manager, a supporter or a stranger, weighted towards the
roles the table names for the command. ``pytest -s`` prints how often each command was
accepted and refused; the test fails when any command was accepted or refused too rarely to
prove anything.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pydantic import TypeAdapter

from workflows.destinations.slack import Audience, Notice
from workflows.destinations.statuspage import StatusPagePost
from workflows.model import (
    Action,
    Command,
    Effect,
    IncidentStart,
    IncidentState,
    Policy,
    Severity,
    Status,
    StatusPageStatus,
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
from workflows.process import Incident

DMS = ["U0DM1", "U0DM2"]
PEOPLE = ["U0LEAD", "U0DEV", "U0SUE", "U0OUT", *DMS]
PASSER_BY = "U0PASSERBY"  # a stranger when everyone else is involved already
POLICY = Policy(delivery_managers=DMS, infosec_head="U0SEC")
START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # a Sunday afternoon
AT_LEAST = 5  # accepted, and refused, per command over the run: a floor (the run reaches more)
OUTBOX = TypeAdapter(list[Effect])
seeds = st.integers(0, 2**32 - 1)

# --- The model: README's table and lifecycle, written out again ----------------------------------

TRIAGE, DECLINED, ACTIVE = Status.TRIAGE, Status.DECLINED, Status.ACTIVE
AWAITING, RESOLVED, CLOSED = Status.AWAITING_APPROVAL, Status.RESOLVED, Status.CLOSED
WORKING = {ACTIVE, AWAITING}
OPEN = {TRIAGE, ACTIVE, AWAITING, RESOLVED}
ANYONE, LEAD, SUPPORTER, DM = "anyone", "lead", "supporter", "delivery manager"

TABLE: dict[Action, tuple[set[str], set[Status]]] = {  # command: (who, when)
    Action.ACCEPT: ({DM}, {TRIAGE}),
    Action.DECLINE: ({DM}, {TRIAGE}),
    Action.ACK: ({DM}, OPEN),
    Action.HANDOVER: ({LEAD, DM}, WORKING),
    Action.JOIN: ({ANYONE}, WORKING),
    Action.LEAVE: ({SUPPORTER}, WORKING),
    Action.ASK: ({LEAD, DM}, WORKING),
    Action.BUSY: ({ANYONE}, WORKING),  # only someone asked, not yet answering
    Action.UPDATE: ({LEAD, SUPPORTER, DM}, WORKING),
    Action.SEVERITY: ({LEAD, DM}, WORKING),
    Action.SECURITY: ({LEAD, DM}, OPEN),
    Action.SNOOZE: ({LEAD, DM}, {ACTIVE}),
    Action.CRITERIA: ({DM}, WORKING),
    Action.STATUSPAGE: ({DM}, {ACTIVE, AWAITING, RESOLVED}),
    Action.RESOLVE: ({LEAD, DM}, {ACTIVE}),
    Action.APPROVE: ({DM}, {AWAITING}),
    Action.REJECT: ({DM}, {AWAITING}),
    Action.REOPEN: ({LEAD, DM}, {RESOLVED}),
    Action.SCHEDULE: ({LEAD, DM}, {RESOLVED}),  # a time still to come
    Action.RETRO: ({LEAD, DM}, {RESOLVED}),
}


FAR_AHEAD = datetime(2999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Probe:
    """A command's who and values: all the model reads."""

    actor: str
    to: str | None = None
    severity: Severity | None = None
    revisit_at: datetime | None = None
    at: datetime = FAR_AHEAD  # a retro time still to come


@dataclass
class Handbook:
    """What the incident should be, by the handbook: enough to say yes or no to any command."""

    status: Status
    lead: str | None
    severity: Severity | None
    security: bool
    self_initiated: bool
    acknowledged: bool
    supporters: list[str] = field(default_factory=list)
    revisit_at: datetime | None = None
    asked: list[str] = field(default_factory=list)  # asked to help, not yet answering

    @classmethod
    def opened(cls, start: IncidentStart) -> Handbook:
        if not start.declare:  # a report waits for a delivery manager
            return cls(TRIAGE, None, None, start.security, False, False)
        by_a_dm = start.actor in DMS  # otherwise a DM must acknowledge it
        severity = start.severity or Severity.SEV2
        return cls(ACTIVE, start.lead, severity, start.security, not by_a_dm, by_a_dm)

    def roles(self, person: str) -> set[str]:
        held = {ANYONE}
        if person == self.lead:
            held.add(LEAD)
        if person in self.supporters:
            held.add(SUPPORTER)
        if person in DMS:
            held.add(DM)
        return held

    def allows(self, action: Action, cmd: Any, now: datetime) -> bool:
        who, when = TABLE[action]
        if self.status not in when or not who & self.roles(cmd.actor):
            return False
        match action:  # the table's notes, and the README's "never"s
            case Action.ACK:  # a self-initiated incident, or a report ("seen, looking"), once
                return (self.self_initiated or self.status is TRIAGE) and not self.acknowledged
            case Action.HANDOVER:  # never to the current lead
                return bool(cmd.to != self.lead)
            case Action.JOIN:  # helping already is not joining
                return cmd.actor != self.lead and cmd.actor not in self.supporters
            case Action.ASK:  # not the lead, someone helping, or someone asked already
                return cmd.to not in (self.lead, *self.supporters, *self.asked)
            case Action.BUSY:  # only someone asked answers that they can't help
                return cmd.actor in self.asked
            case Action.SEVERITY:
                return bool(cmd.severity != self.severity)
            case Action.SECURITY | Action.STATUSPAGE:  # cannot be undone; never on the page
                return not self.security
            case Action.DECLINE:  # a revisit date lies ahead
                return cmd.revisit_at is None or bool(cmd.revisit_at > now)
            case Action.SCHEDULE:  # a time still to come
                return bool(cmd.at > now)
        return True

    def open_now(self, now: datetime) -> list[Action]:
        """The commands somebody may take now, given suitable values."""
        stranger = next((p for p in PEOPLE if self.roles(p) == {ANYONE}), PASSER_BY)
        newcomer = next(p for p in PEOPLE if p != self.lead)
        other = next(s for s in Severity if s != self.severity)
        someone = {self.lead or stranger, DMS[0], *self.supporters[:1], *self.asked[:1], stranger}
        probes = [Probe(person, newcomer, other) for person in someone]
        return [a for a in Action if any(self.allows(a, probe, now) for probe in probes)]

    def apply(self, action: Action, cmd: Any) -> None:
        """The lifecycle: what an accepted command changes."""
        match action:
            case Action.ACCEPT:
                self.status, self.lead, self.severity = ACTIVE, cmd.lead, cmd.severity
                self.acknowledged = True
            case Action.DECLINE:
                self.status, self.revisit_at = DECLINED, cmd.revisit_at
            case Action.ACK:
                self.acknowledged = True
            case Action.HANDOVER:  # the old lead stays on as a supporter
                self.supporters = [p for p in self.supporters if p != cmd.to]
                if self.lead is not None and self.lead not in self.supporters:
                    self.supporters.append(self.lead)
                self.lead = cmd.to
            case Action.JOIN:
                self.supporters.append(cmd.actor)
                self.asked = [p for p in self.asked if p != cmd.actor]
            case Action.ASK:
                self.asked.append(cmd.to)
            case Action.BUSY:
                self.asked.remove(cmd.actor)
            case Action.LEAVE:
                self.supporters.remove(cmd.actor)
            case Action.SEVERITY:
                self.severity = cmd.severity
            case Action.SECURITY:
                self.security = True
            case Action.RESOLVE:  # the lead asks; a delivery manager resolves
                self.status = RESOLVED if cmd.actor in DMS else AWAITING
            case Action.APPROVE:
                self.status = RESOLVED
            case Action.REJECT | Action.REOPEN:
                self.status = ACTIVE
            case Action.RETRO:
                self.status = CLOSED

    def time_passes(self, now: datetime) -> None:
        """A declined report with a revisit date is asked about again on that date."""
        if self.status is DECLINED and self.revisit_at is not None and self.revisit_at <= now:
            self.status, self.revisit_at = TRIAGE, None

    def check(self, state: IncidentState) -> None:
        assert (state.status, state.lead, state.severity, state.security) == (
            self.status,
            self.lead,
            self.severity,
            self.security,
        )
        assert sorted(state.supporters) == sorted(self.supporters)
        assert sorted(state.asked) == sorted(self.asked)
        assert state.self_initiated == self.self_initiated
        assert (state.acknowledged_at is not None) == self.acknowledged


# --- Steered draws -------------------------------------------------------------------------------
#
# Each step draws one seed, and a seeded ``random.Random`` makes the step's choices with the
# weights below (Hypothesis's own draws favour a few values far too much to steer with); the
# sequence of steps and seeds is still Hypothesis's, derandomized and replayable.

# The actor's role: every role often, and the roles the table names for the command more often.
ROLE_WEIGHTS = {LEAD: 3, DM: 3, SUPPORTER: 2, ANYONE: 2}
NAMED_ROLE_WEIGHT = 6
# The usual path: the lead asks to resolve and a delivery manager answers (a DM resolving at
# once skips the approval; the role weights still try that).
NAMED = {**{action: who for action, (who, _) in TABLE.items()}, Action.RESOLVE: {LEAD}}
# Three commands in four are ones somebody may take now. Among those, the ones that move the
# lifecycle on come up three times as often (an incident would otherwise sit in one status), so
# does leaving (only a supporter may, and only until the incident is resolved), and marking a
# security incident (which closes the status page to it for good) half as often.
STEERED = 3 / 4
MOVES = [Action.ACCEPT, Action.DECLINE, Action.ACK, Action.RESOLVE, Action.APPROVE, Action.REJECT]
ACTION_WEIGHTS = {**{action: 6 for action in [*MOVES, Action.RETRO, Action.LEAVE]}}
ACTION_WEIGHTS[Action.SECURITY] = 1
ACTION_WEIGHTS[Action.BUSY] = 6  # open only while someone asked has not answered
# Half the incidents are reports (a DM accepts or declines them); the rest are declared.
OPENINGS = {"reported": 2, "declared by its lead": 1, "declared by a delivery manager": 1}
SECURITY_SHARE = 0.2  # most incidents may use the status page
WAITS = 0.25  # before a quarter of the commands (and whenever nobody may act), time passes


def opening(rng: random.Random) -> IncidentStart:
    """A report, or an incident declared by a delivery manager or by its lead."""
    (kind,) = rng.choices(list(OPENINGS), weights=list(OPENINGS.values()))
    person = rng.choice(PEOPLE)
    severity = rng.choice(list(Severity)) if kind != "reported" else None
    return IncidentStart(
        id="inc-prop",
        title="Secret title of the incident",
        description="Secret description",
        security=rng.random() < SECURITY_SHARE,
        actor=DMS[0] if kind == "declared by a delivery manager" else person,
        lead=person if kind != "reported" else None,
        severity=severity,
        declare=kind != "reported",
        policy=POLICY,
    )


def steered_command(
    model: Handbook, open_now: list[Action], now: datetime, rng: random.Random
) -> tuple[Action, Command]:
    """Mostly a command somebody may take now; otherwise one nobody may (a near miss: the right
    person, the wrong status or value). Either way, most often by a role the table names."""
    if open_now and rng.random() < STEERED:
        weights = [ACTION_WEIGHTS.get(action, 2) for action in open_now]
        (action,) = rng.choices(open_now, weights=weights)
    else:
        action = rng.choice([a for a in Action if a not in open_now])
    roles = dict(ROLE_WEIGHTS)
    roles |= {role: roles[role] + NAMED_ROLE_WEIGHT for role in NAMED[action]}
    (role,) = rng.choices(list(roles), weights=list(roles.values()))
    return action, command_for(action, actor_for(role, model, rng), now, rng)


def actor_for(role: str, model: Handbook, rng: random.Random) -> str:
    """Someone who holds ``role`` now (a stranger when nobody does; now and then someone asked
    to help, who alone may answer busy)."""
    if role == ANYONE and model.asked and rng.random() < 0.75:
        return rng.choice(model.asked)
    if role == DM:
        return rng.choice(DMS)
    if role == LEAD and model.lead is not None:
        return model.lead
    if role == SUPPORTER and model.supporters:
        return rng.choice(model.supporters)
    return rng.choice([p for p in PEOPLE if model.roles(p) == {ANYONE}] or [PASSER_BY])


def command_for(action: Action, actor: str, now: datetime, rng: random.Random) -> Command:
    person, severity, given = rng.choice(PEOPLE), rng.choice(list(Severity)), rng.random() < 0.5
    match action:
        case Action.ACCEPT:
            return Accept(actor=actor, lead=person, severity=severity)
        case Action.DECLINE:  # a revisit date, now and then one in the past
            revisit_at = now + timedelta(minutes=rng.randint(-120, 48 * 60)) if given else None
            return Decline(actor=actor, reason="Not now", revisit_at=revisit_at)
        case Action.HANDOVER:
            return Handover(actor=actor, to=person)
        case Action.ASK:
            return Ask(actor=actor, to=person, note="You know the CDN" if given else None)
        case Action.BUSY:
            return Busy(actor=actor, reason="On call elsewhere" if given else None)
        case Action.UPDATE:
            return ProgressUpdate(actor=actor, text="Rolled back, watching")
        case Action.SEVERITY:
            return ChangeSeverity(actor=actor, severity=severity)
        case Action.SNOOZE:
            return Snooze(actor=actor, duration=timedelta(minutes=rng.randint(1, 7 * 24 * 60)))
        case Action.CRITERIA:
            return SetCriteria(actor=actor, text="error rate under 1%")
        case Action.STATUSPAGE:
            status = rng.choice(list(StatusPageStatus))
            return PostStatusPage(actor=actor, status=status, text="Search is degraded")
        case Action.RESOLVE:
            return Resolve(actor=actor, summary="Rolled back" if given else None)
        case Action.REJECT:
            return Reject(actor=actor, reason="Errors are back")
        case Action.REOPEN:
            return Reopen(actor=actor, reason="It came back")
        case Action.SCHEDULE:  # now and then a time gone by
            return ScheduleRetro(actor=actor, at=now + timedelta(minutes=rng.randint(-120, 7200)))
        case Action.RETRO if given:
            return Retro(actor=actor, notes="Alert on 5xx")
        case Action.RETRO:
            return Retro(actor=actor, skip_reason="Too small")
    return Command(actor=actor)


@dataclass
class Tally:
    accepted: Counter[Action] = field(default_factory=Counter)
    refused: Counter[Action] = field(default_factory=Counter)

    def report(self) -> str:
        lines = [f"{'command':<12}{'accepted':>10}{'refused':>10}"]
        lines += [f"{a.value:<12}{self.accepted[a]:>10}{self.refused[a]:>10}" for a in Action]
        return "\n".join(lines)


def holdings(incident: Incident) -> tuple[object, ...]:
    """What the incident holds (what continue-as-new carries), to compare before and after: the
    state and the pending messages as JSON, the timeline's entries, the counters."""
    return (
        incident.state.model_dump_json(),
        OUTBOX.dump_json(incident.outbox.effects),
        incident.timeline[:],
        incident.outbox.issued,
        incident.request_ids[:],
    )


# --- The run -------------------------------------------------------------------------------------


class IncidentLifecycle(RuleBasedStateMachine):
    incident: Incident
    model: Handbook
    now: datetime

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally
        self.turn = 0

    @initialize(seed=seeds)
    def open(self, seed: int) -> None:
        self.now = START
        self.open_another(seed)

    @precondition(lambda self: self.incident.finished)
    @rule(seed=seeds)
    def open_another(self, seed: int) -> None:
        """The incident has ended: the next one starts, so no step is spent on a dead end."""
        start = opening(self.rng(seed))
        self.incident = Incident.open(start, self.now)
        self.model = Handbook.opened(start)
        self.was_security = start.security

    @rule(seed=seeds)
    def command(self, seed: int) -> None:
        """Now and then messages are delivered and time passes; then somebody sends a command."""
        rng = self.rng(seed)
        open_now = self.model.open_now(self.now)
        if not open_now or rng.random() < WAITS:  # nobody may act: declined till a revisit date
            deliveries = rng.randint(0, len(self.incident.outbox.effects))
            self.meanwhile(deliveries, rng.choice([0, rng.randint(1, 3 * 24 * 60)]))
            open_now = self.model.open_now(self.now)
        self.check_command(*steered_command(self.model, open_now, self.now, rng))

    def rng(self, seed: int) -> random.Random:
        """The step's choices. Hypothesis draws some seeds (0) far more often than others, so
        the step's number is part of the seed: a repeated seed does not repeat the step."""
        self.turn += 1
        return random.Random(f"{seed}/{self.turn}")

    def check_command(self, action: Action, command: Command) -> None:
        allowed = self.model.allows(action, command, self.now)
        before, history = holdings(self.incident), self.incident.timeline[:]

        held = sorted(self.model.roles(command.actor) - {ANYONE}) or ["nobody involved"]
        sent = f"{action} by {command.actor} ({', '.join(held)}, {self.model.status})"
        refusal = self.incident.refusal(action, command, self.now)
        if refusal is not None:
            assert not allowed, f"{sent} refused: {refusal} ({command})"
            assert refusal.endswith(".") and "\n" not in refusal, refusal
            assert holdings(self.incident) == before, "a refusal changed the incident"
            self.tally.refused[action] += 1
            return
        assert allowed, f"{sent} accepted; the handbook forbids it ({command})"
        self.tally.accepted[action] += 1
        assert self.incident.apply(action, command, self.now)
        self.model.apply(action, command)
        self.model.check(self.incident.state)
        timeline = self.incident.timeline
        assert len(timeline) > len(history), "an accepted command left no trace"
        assert timeline[: len(history)] == history, "an accepted command rewrote the timeline"

    def meanwhile(self, deliveries: int, minutes: int) -> None:
        """A few messages are delivered, and time passes: the timers that fall due fire."""
        for effect in self.incident.outbox.effects[:deliveries]:  # the oldest first
            self.incident.effect_done(effect, None, self.now)
            assert effect not in self.incident.outbox.effects
        self.now += timedelta(minutes=minutes)
        self.incident.reminders.fire_due_timers(self.now)
        self.model.time_passes(self.now)
        self.model.check(self.incident.state)
        assert all(due > self.now for due in self.incident.state.timers.values())

    @invariant()
    def one_lead_once_there_is_an_incident(self) -> None:
        state = self.incident.state
        if state.status in {ACTIVE, AWAITING, RESOLVED, CLOSED}:
            assert state.lead is not None
            assert state.lead not in state.supporters
        if state.status is TRIAGE:
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
        for effect in self.incident.outbox.effects:
            if isinstance(effect, Notice) and effect.audience is Audience.PLATFORM_CHANNEL:
                assert effect.incident.title is None and "Secret" not in effect.text
                assert effect.actor is None

    @invariant()
    def the_status_page_never_hears_of_a_security_incident(self) -> None:
        if self.incident.state.security and self.was_security:
            fresh = [e for e in self.incident.outbox.effects if isinstance(e, StatusPagePost)]
            assert all("Secret" not in post.body for post in fresh)

    @invariant()
    def effect_keys_are_unique(self) -> None:
        keys = [effect.key for effect in self.incident.outbox.effects]
        assert len(keys) == len(set(keys))

    @invariant()
    def reminders_only_while_someone_should_act(self) -> None:
        state = self.incident.state
        if state.status is CLOSED or (state.status is DECLINED and state.revisit_at is None):
            assert not state.timers
            assert self.incident.finished


RUN = settings(
    max_examples=120,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,  # the same run in CI every time
    database=None,
    # Seeded steps shrink slowly and little (minutes, for a few steps fewer); a failure names
    # the command, who sent it and the process's answer, and prints every step's seed.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_process_accepts_exactly_what_the_handbook_allows() -> None:
    tally = Tally()

    class CountedLifecycle(IncidentLifecycle):
        def __init__(self) -> None:
            super().__init__(tally)

    run_state_machine_as_test(CountedLifecycle, settings=RUN)
    print(f"\nPROCESS PROPERTIES (accepted / refused per command)\n{tally.report()}")
    rare = [
        f"{a.value} ({tally.accepted[a]} accepted, {tally.refused[a]} refused)"
        for a in Action
        if min(tally.accepted[a], tally.refused[a]) < AT_LEAST
    ]
    assert not rare, f"too few to prove anything: {', '.join(rare)}"
