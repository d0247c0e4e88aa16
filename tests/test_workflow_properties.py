"""Random commands from random people against real IncidentWorkflows, checked against a model.

Hypothesis draws, for each example, three incidents (declared by a delivery manager, declared by
the lead themself, reported by a stranger) and a sequence of commands among them: valid and
invalid, from delivery managers, the lead, supporters and strangers, malformed ones, and time
passing. They run on the time-skipping server through the workflow's Updates. A small model of
the handbook (written here, not imported from ``workflows/rules.py``) says what each command
should do; after every step:

- the workflow accepted exactly what the model allows, and its status, lead, supporters,
  severity, security and acknowledgement are the model's;
- exactly one lead while active or awaiting approval, never also a supporter;
- only the lifecycle's transitions happen;
- a refusal changes nothing: the ``state`` query and the timeline are identical before and after;
- the timeline is ordered, only grows, and each accepted command added its entry;
- the search attributes (``describe()``) match the state;
- no workflow task ever failed (no ``WORKFLOW_TASK_FAILED`` in the history), but for the
  time-skipping server's own rejection of a timer cancelled as it fired.

The example and step counts are printed as ``PROPERTIES {...}``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import IncidentActivities
from tests.fault_stack import ROOT
from tests.people import ALL_HOURS, DM, DM2, HELPER, LEAD, NEW_LEAD, OUTSIDER, REPORTER
from tests.test_workflow import (
    Desk,
    Handle,
    RecordingMessenger,
    RecordingStatusPage,
    bounded,
    state_of,
    timeline_of,
)
from workflows.incident import REFUSED, IncidentWorkflow
from workflows.model import (
    Action,
    Command,
    EntryKind,
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
from workflows.search_attributes import (
    INCIDENT_LEAD,
    INCIDENT_SECURITY,
    INCIDENT_SEVERITY,
    INCIDENT_STATUS,
)

EXAMPLES, STEPS = 25, 15
SUMMARY = ROOT / "build" / "workflow_properties.json"
MANAGERS = (DM, DM2)
PEOPLE = [DM, DM2, LEAD, HELPER, NEW_LEAD, OUTSIDER]
POLICY = Policy(delivery_managers=list(MANAGERS), office_hours=ALL_HOURS)

ACTIVE, AWAITING = Status.ACTIVE, Status.AWAITING_APPROVAL
WORKING = {ACTIVE, AWAITING}
OPEN = {Status.TRIAGE, ACTIVE, AWAITING, Status.RESOLVED}
ENDED = {Status.DECLINED, Status.CLOSED}
TRANSITIONS = {
    (Status.TRIAGE, ACTIVE),
    (Status.TRIAGE, Status.DECLINED),
    (ACTIVE, AWAITING),
    (ACTIVE, Status.RESOLVED),
    (AWAITING, Status.RESOLVED),
    (AWAITING, ACTIVE),
    (Status.RESOLVED, Status.CLOSED),
    (Status.RESOLVED, Status.ACTIVE),  # reopened
}


# --- The model: the handbook's rules, written out again -----------------------------------------


@dataclass
class Model:
    status: Status
    lead: str | None
    severity: Severity | None
    self_initiated: bool
    acknowledged: bool
    supporters: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # asked to help, not yet answering
    security: bool = False

    def allows(self, action: Action, cmd: Any) -> bool:
        who = cmd.actor
        dm, lead = who in MANAGERS, who == self.lead
        match action:
            case Action.ACCEPT | Action.DECLINE:
                return dm and self.status is Status.TRIAGE
            case Action.ACK:  # a self-initiated incident, or a report ("seen, looking"), once
                reported = self.status is Status.TRIAGE
                return (
                    dm
                    and self.status in OPEN
                    and (self.self_initiated or reported)
                    and not (self.acknowledged)
                )
            case Action.HANDOVER:
                return (lead or dm) and self.status in WORKING and cmd.to != self.lead
            case Action.JOIN:
                return self.status in WORKING and not lead and who not in self.supporters
            case Action.LEAVE:
                return self.status in WORKING and who in self.supporters
            case Action.ASK:
                unasked = cmd.to not in (self.lead, *self.supporters, *self.asked)
                return (lead or dm) and self.status in WORKING and unasked
            case Action.BUSY:
                return self.status in WORKING and who in self.asked
            case Action.UPDATE:
                return self.status in WORKING and (lead or dm or who in self.supporters)
            case Action.SEVERITY:
                return (lead or dm) and self.status in WORKING and cmd.severity != self.severity
            case Action.SNOOZE | Action.RESOLVE:
                return (lead or dm) and self.status is ACTIVE
            case Action.SECURITY:
                return (lead or dm) and self.status in OPEN and not self.security
            case Action.CRITERIA:
                return dm and self.status in WORKING
            case Action.STATUSPAGE:
                return dm and self.status in WORKING | {Status.RESOLVED} and not self.security
            case Action.APPROVE | Action.REJECT:
                return dm and self.status is AWAITING
            case Action.RETRO | Action.REOPEN | Action.SCHEDULE:
                return (lead or dm) and self.status is Status.RESOLVED
        raise AssertionError(action)

    def choices(self) -> list[tuple[Action, str]]:
        """The (command, person) pairs the handbook allows now, with suitable values."""
        other_severity = next(s for s in Severity if s != self.severity)
        newcomer = next(p for p in PEOPLE if p != self.lead)
        return [
            (action, person)
            for action in Action
            for person in PEOPLE
            if self.allows(
                action, SimpleNamespace(actor=person, to=newcomer, severity=other_severity)
            )
        ]

    def apply(self, action: Action, cmd: Any) -> EntryKind:
        """Carry out an allowed command; return the timeline entry it must add."""
        match action:
            case Action.ACCEPT:
                self.status, self.lead, self.severity = ACTIVE, cmd.lead, cmd.severity
                self.acknowledged = True
                return EntryKind.ACCEPTED
            case Action.DECLINE:
                self.status = Status.DECLINED
                return EntryKind.DECLINED
            case Action.ACK:
                self.acknowledged = True
                return EntryKind.ACKNOWLEDGED
            case Action.HANDOVER:
                self.supporters = [p for p in self.supporters if p != cmd.to]
                if self.lead and self.lead not in self.supporters:
                    self.supporters.append(self.lead)
                self.lead = cmd.to
                return EntryKind.HANDOVER
            case Action.JOIN:
                self.supporters.append(cmd.actor)
                self.asked = [p for p in self.asked if p != cmd.actor]
                return EntryKind.JOINED
            case Action.ASK:
                self.asked.append(cmd.to)
                return EntryKind.ASKED
            case Action.BUSY:
                self.asked.remove(cmd.actor)
                return EntryKind.BUSY
            case Action.LEAVE:
                self.supporters.remove(cmd.actor)
                return EntryKind.LEFT
            case Action.SEVERITY:
                self.severity = cmd.severity
                return EntryKind.SEVERITY
            case Action.SECURITY:
                self.security = True
                return EntryKind.SECURITY
            case Action.RESOLVE if cmd.actor not in MANAGERS:
                self.status = AWAITING
                return EntryKind.RESOLUTION_REQUESTED
            case Action.RESOLVE | Action.APPROVE:
                self.status = Status.RESOLVED
                return EntryKind.RESOLVED
            case Action.REJECT:
                self.status = ACTIVE
                return EntryKind.REJECTED
            case Action.REOPEN:
                self.status = ACTIVE
                return EntryKind.REOPENED
            case Action.RETRO:
                self.status = Status.CLOSED
                return EntryKind.CLOSED
            case Action.SCHEDULE:
                return EntryKind.RETRO_SCHEDULED
        return _ENTRY_OF_UNCHANGED[action]


_ENTRY_OF_UNCHANGED = {
    Action.UPDATE: EntryKind.UPDATE,
    Action.SNOOZE: EntryKind.SNOOZED,
    Action.CRITERIA: EntryKind.CRITERIA,
    Action.STATUSPAGE: EntryKind.STATUSPAGE,
}


# --- Drawing commands ---------------------------------------------------------------------------

people = st.sampled_from(PEOPLE)
severities = st.sampled_from(list(Severity))
texts = st.sampled_from(["Rolled back", "Error rate falling", "<!channel> still down", "ok"])


def command_for(action: Action, actor: str, data: st.DataObject) -> Command:
    match action:
        case Action.ACCEPT:
            return Accept(actor=actor, lead=data.draw(people), severity=data.draw(severities))
        case Action.DECLINE:
            return Decline(actor=actor, reason="Not an incident")
        case Action.HANDOVER:
            return Handover(actor=actor, to=data.draw(people))
        case Action.ASK:
            return Ask(actor=actor, to=data.draw(people))
        case Action.BUSY:
            return Busy(actor=actor, reason=data.draw(st.sampled_from([None, "On leave"])))
        case Action.UPDATE:
            return ProgressUpdate(actor=actor, text=data.draw(texts))
        case Action.SEVERITY:
            return ChangeSeverity(actor=actor, severity=data.draw(severities))
        case Action.SNOOZE:
            return Snooze(actor=actor, duration=timedelta(minutes=data.draw(st.integers(5, 120))))
        case Action.CRITERIA:
            return SetCriteria(actor=actor, text="error rate under 1%")
        case Action.STATUSPAGE:
            status = data.draw(st.sampled_from(list(StatusPageStatus)))
            return PostStatusPage(actor=actor, status=status, text="Search is degraded")
        case Action.RESOLVE:
            return Resolve(actor=actor, summary=data.draw(st.sampled_from([None, "Rolled back"])))
        case Action.REJECT:
            return Reject(actor=actor, reason="Errors are back")
        case Action.REOPEN:
            return Reopen(actor=actor, reason="It came back")
        case Action.SCHEDULE:  # always ahead of the test server's clock
            return ScheduleRetro(actor=actor, at=datetime(2099, 1, 5, 14, tzinfo=UTC))
        case Action.RETRO:
            if data.draw(st.booleans()):
                return Retro(actor=actor, notes="Alert on 5xx")
            return Retro(actor=actor, skip_reason="Too small")
    return Command(actor=actor)


# --- The run ------------------------------------------------------------------------------------


@dataclass
class Figures:
    examples: int = 0
    steps: int = 0
    incidents: int = 0
    accepted: int = 0
    refused: int = 0
    malformed: int = 0
    waits: int = 0
    by_action: dict[str, list[int]] = field(default_factory=dict)  # accepted, refused


@pytest_asyncio.fixture(scope="module")
async def rig(time_env: WorkflowEnvironment) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    task_queue = f"properties-{uuid.uuid4()}"
    activities = IncidentActivities(
        messenger=RecordingMessenger(), status_page=RecordingStatusPage()
    )
    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[IncidentWorkflow],
        activities=activities.all(),
    ):
        yield time_env, task_queue


@pytest_asyncio.fixture(scope="module")
async def figures() -> AsyncIterator[Figures]:
    counted = Figures()
    yield counted
    line = json.dumps(counted.__dict__)
    print("PROPERTIES", line)
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(line + "\n")


async def settle(desk: Desk) -> None:
    """No delivery pending (the ``state`` query says so), then no task in flight."""
    for handle in desk.handles:
        for _ in range(500):
            if (await state_of(handle)).undelivered == 0:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError(f"{handle.id} keeps undelivered messages")
    await desk.settle()


async def check(handle: Handle, model: Model, state: IncidentState) -> None:
    """The invariants that hold after every step."""
    assert state.status is model.status
    assert (state.lead, state.severity) == (model.lead, model.severity)
    assert sorted(state.supporters) == sorted(model.supporters)
    assert sorted(state.asked) == sorted(model.asked)
    assert state.security == model.security
    assert (state.acknowledged_at is not None) == model.acknowledged
    if state.status in WORKING:
        assert state.lead and state.lead not in state.supporters
    timeline = await timeline_of(handle)
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    attributes = (await bounded(handle.describe())).typed_search_attributes
    assert attributes.get(INCIDENT_STATUS) == state.status.value
    assert attributes.get(INCIDENT_SEVERITY) == (state.severity.value if state.severity else None)
    assert attributes.get(INCIDENT_LEAD) == state.lead
    assert attributes.get(INCIDENT_SECURITY) == state.security
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            message = event.workflow_task_failed_event_attributes.failure.message
            # The time-skipping server (not Temporal's server) rejects a task that cancels a
            # timer which fired meanwhile; the SDK retries the task and the run goes on. Any
            # other failed task is the workflow's.
            assert TEST_SERVER_TIMER_RACE in message, message


TEST_SERVER_TIMER_RACE = "invalid history builder state for action"


async def step(
    desk: Desk, handle: Handle, model: Model, data: st.DataObject, figures: Figures
) -> None:
    candidates = model.choices()
    if candidates and data.draw(st.integers(0, 2), label="aim for a valid command") > 0:
        # The command first, then who sends it: each allowed command as likely as another
        # (drawn as pairs, a command only one person may send, as busy, came up rarely).
        actions = sorted({a for a, _ in candidates})
        action = data.draw(st.sampled_from(actions), label="action")
        senders = [person for a, person in candidates if a is action]
        actor = data.draw(st.sampled_from(senders), label="actor")
    else:
        action = data.draw(st.sampled_from(list(Action)), label="action")
        actor = data.draw(people, label="actor")
    before, history = await state_of(handle), await timeline_of(handle)
    if before.status in ENDED:
        # The workflow has completed: the server itself refuses every Update (the dev server
        # says "already completed", the time-skipping server "update … not found").
        figures.refused += 1
        with pytest.raises(RPCError, match=r"already completed|not found"):
            await bounded(handle.execute_update(action.value, command_for(action, actor, data)))
        assert await state_of(handle) == before and await timeline_of(handle) == history
        return
    if data.draw(st.integers(0, 19), label="malformed") == 0:
        # A body that is no command at all: refused, never a failed workflow task.
        figures.malformed += 1
        try:
            await bounded(handle.execute_update(action.value, {"actor": "not a person"}))
        except WorkflowUpdateFailedError:
            pass
        else:
            raise AssertionError(f"a malformed {action} was accepted")
        await settle(desk)
        assert await state_of(handle) == before and await timeline_of(handle) == history
        return
    command = command_for(action, actor, data)
    allowed = model.allows(action, command)
    tally = figures.by_action.setdefault(action.value, [0, 0])
    try:
        await bounded(handle.execute_update(action.value, command))
    except WorkflowUpdateFailedError as error:
        assert isinstance(error.cause, ApplicationError) and error.cause.type == REFUSED
        assert not allowed, f"{action} by {actor} refused: {error.cause.message}"
        figures.refused += 1
        tally[1] += 1
        await settle(desk)
        assert await state_of(handle) == before
        assert await timeline_of(handle) == history
        return
    assert allowed, f"{action} by {actor} was accepted; the handbook forbids it ({command})"
    figures.accepted += 1
    tally[0] += 1
    entry = model.apply(action, command)
    await settle(desk)
    after = await state_of(handle)
    if after.status is not before.status:
        assert (before.status, after.status) in TRANSITIONS
    timeline = await timeline_of(handle)
    assert timeline[: len(history)] == history
    added = [e for e in timeline[len(history) :] if e.kind is entry]
    assert len(added) == 1 and added[0].actor == actor, (entry, timeline[len(history) :])


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # Shrinking a sequence of real workflow calls takes minutes; a failure prints every draw.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_commands_keep_the_workflow_within_the_handbook(
    rig: tuple[WorkflowEnvironment, str], figures: Figures, data: st.DataObject
) -> None:
    env, task_queue = rig
    desk = Desk(env, task_queue, RecordingMessenger(), RecordingStatusPage())
    try:
        handles = [
            await desk.open(actor=DM, policy=POLICY),
            await desk.open(actor=LEAD, severity=Severity.SEV2, policy=POLICY),
            await desk.open(declare=False, actor=REPORTER, policy=POLICY),
        ]
        models = [
            Model(ACTIVE, LEAD, Severity.SEV1, self_initiated=False, acknowledged=True),
            Model(ACTIVE, LEAD, Severity.SEV2, self_initiated=True, acknowledged=False),
            Model(Status.TRIAGE, None, None, self_initiated=False, acknowledged=False),
        ]
        figures.examples += 1
        figures.incidents += len(handles)
        await settle(desk)
        for handle, model in zip(handles, models, strict=True):
            await check(handle, model, await state_of(handle))
        for _ in range(STEPS):
            figures.steps += 1
            if data.draw(st.integers(0, 9), label="wait") == 0:
                figures.waits += 1
                await desk.sleep(timedelta(minutes=data.draw(st.integers(5, 90), label="minutes")))
                await settle(desk)
                for handle, model in zip(handles, models, strict=True):
                    await check(handle, model, await state_of(handle))
                continue
            n = data.draw(st.integers(0, len(handles) - 1), label="incident")
            await step(desk, handles[n], models[n], data, figures)
            await check(handles[n], models[n], await state_of(handles[n]))
    finally:
        await desk.close()
