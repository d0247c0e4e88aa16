"""Replay the recorded histories of every lifecycle path against today's workflow code.

A change that would break running incidents fails here; record new histories with
`python -m tests.record_histories` only for a deliberate, versioned change.

Temporal's own replay compares only the kinds of commands, and every message is delivered by an
activity of the same type: two messages swapped, a message sent under another key or to another
audience all replay. A running incident upgraded across such a change would pair each recorded
activity result with the wrong message. So each replay here also records what every scheduled
activity carries (its delivery key, kind and destination) and compares it with the history.

The worker runs workflows without Temporal's sandbox (worker.py, WORKFLOW_RUNNER); these replays
keep it, with its default restrictions and nothing of ours passed through, so a clock read,
random number or I/O on any recorded path fails here before it ships.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import (
    Replayer,
    StartActivityInput,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from tests.intercept import OnEachActivity
from workflows.alarm import AlarmWorkflow
from workflows.incident import IncidentWorkflow
from workflows.model import Effect, IncidentStart, IncidentState, Model

# As workflows/incident.py imports them: the workflows below run in the sandbox, and the effects
# they look at are made by the passed-through process, so isinstance needs the same classes.
with workflow.unsafe.imports_passed_through():
    from workflows.destinations.slack import Notice

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
ALARM_HISTORIES = sorted((Path(__file__).parent / "histories" / "alarms").glob("*.json"))

# What identifies a delivery: which activity, under which idempotency key, what and to whom.
DELIVERY_FIELDS = ("kind_of_effect", "key", "kind", "audience", "recipients", "status")


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def delivery(activity: str, effect: dict[str, Any]) -> tuple[str, ...]:
    return (activity, *(json.dumps(effect.get(name)) for name in DELIVERY_FIELDS))


def recorded_deliveries(history: WorkflowHistory) -> list[tuple[str, ...]]:
    """Every activity the history scheduled, in order, with what it carried."""
    found = []
    for event in history.events:
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        scheduled = event.activity_task_scheduled_event_attributes
        effect = json.loads(scheduled.input.payloads[0].data)
        found.append(delivery(scheduled.activity_type.name, effect))
    return found


async def replay_checking_deliveries(
    history: WorkflowHistory, workflow_class: type = IncidentWorkflow
) -> None:
    """Replay ``history``; fail on nondeterminism or on any delivery that differs from it."""
    scheduled: list[tuple[str, ...]] = []

    def record(started: StartActivityInput) -> None:
        (effect,) = started.args
        scheduled.append(delivery(started.activity, effect.model_dump(mode="json")))

    replayer = Replayer(
        workflows=[workflow_class],
        data_converter=pydantic_data_converter,
        workflow_runner=SandboxedWorkflowRunner(),  # the run-time guard the worker goes without
        interceptors=[OnEachActivity(record)],
    )
    await replayer.replay_workflow(history)
    recorded = recorded_deliveries(history)
    # Replay stops where the history does; anything scheduled after that is not compared.
    for number, (was, now) in enumerate(zip(recorded, scheduled, strict=False), start=1):
        if was != now:
            raise NondeterminismError(
                f"activity {number} of {history.workflow_id} carried {now}, recorded {was}"
            )
    if len(scheduled) < len(recorded):
        raise NondeterminismError(
            f"{history.workflow_id}: {len(scheduled)} deliveries replayed, {len(recorded)} recorded"
        )


def test_every_lifecycle_path_is_recorded() -> None:
    """1.0's paths (tests/record_histories.py): the histories recorded before it went with the
    patches they replayed through."""
    names = {path.stem for path in HISTORIES}
    assert names == {
        "declined",
        "accepted_and_resolved",
        "declared_handover_approved",
        "continued_as_new_run1",
        "continued_as_new_run2",
        "signalled",
        "resolved_then_retro",
        "marked_security_midway",
        "started_with_search_attributes_run1",
        "started_with_search_attributes_run2",
        "reminded_escalated_and_approved",
        "a_command_from_each_way_in",
        "handbook_rows",
        "due_timer_left_to_ring",
        "policy_from_the_worker",
        "delivery_managers_taken_later",
        "reported_by_an_alarm",
    }


def test_no_recorded_history_carries_a_patch() -> None:
    """1.0 starts from zero patches: a patch added later records its marker from then on."""
    for path in HISTORIES:
        markers = [
            event.marker_recorded_event_attributes.marker_name
            for event in _history(path).events
            if event.HasField("marker_recorded_event_attributes")
        ]
        assert "core_patch" not in markers, path.stem


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays_with_the_same_deliveries(path: Path) -> None:
    history = _history(path)
    assert recorded_deliveries(history), "a history with no delivery checks nothing"
    await replay_checking_deliveries(history)


@pytest.mark.parametrize("path", ALARM_HISTORIES, ids=lambda p: p.stem)
async def test_recorded_alarm_history_replays(path: Path) -> None:
    """An alarm's workflow (workflows/alarm.py), under the same sandbox."""
    history = _history(path)
    replayer = Replayer(
        workflows=[AlarmWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=SandboxedWorkflowRunner(),
    )
    await replayer.replay_workflow(history)


def test_an_alarms_path_is_recorded() -> None:
    assert {path.stem for path in ALARM_HISTORIES} >= {"reported_by_an_alarm"}
    assert "reported_by_an_alarm" in {path.stem for path in HISTORIES}  # its first report


# --- Incompatible changes the replay must catch ---------------------------------------------


@workflow.defn(name="IncidentWorkflow")
class DeliversWithoutActivities(IncidentWorkflow):
    """Messages 'delivered' by sleeping instead of by an activity."""

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    async def _run_effect(self, effect: Effect) -> Model | None:
        await workflow.sleep(1)
        return None


@workflow.defn(name="IncidentWorkflow")
class SwapsTwoMessages(IncidentWorkflow):
    """Two queued messages of one lane delivered in the other order: one activity type, so
    Temporal's own check sees nothing (the planted bug that swapped the resolution's channel
    post and timeline)."""

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    swapped = False

    def _publish(self) -> None:
        super()._publish()
        outbox = self._incident.outbox
        waiting = [i for i in outbox.rewritable() if isinstance(outbox.effects[i], Notice)]
        for first, second in itertools.pairwise(waiting):
            one, other = outbox.effects[first], outbox.effects[second]
            if not self.swapped and one.lane() == other.lane():  # the first two of one lane
                outbox.effects[first], outbox.effects[second] = other, one
                self.swapped = True


@workflow.defn(name="IncidentWorkflow")
class RenamesItsKeys(IncidentWorkflow):
    """Every message under a different idempotency key."""

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    async def _run_effect(self, effect: Effect) -> Model | None:
        return await super()._run_effect(effect.model_copy(update={"key": f"{effect.key}-v2"}))


@workflow.defn(name="IncidentWorkflow")
class DropsTheFirstDirectMessage(IncidentWorkflow):
    """One direct message dropped (reported as delivered without an activity)."""

    dropped = False

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    async def _run_effect(self, effect: Effect) -> Model | None:
        if isinstance(effect, Notice) and effect.audience == "direct" and not self.dropped:
            self.dropped = True
            return None
        return await super()._run_effect(effect)


@workflow.defn(name="IncidentWorkflow")
class ReadsTheClock(IncidentWorkflow):
    """Reads the wall clock instead of ``workflow.now()`` (the worker has no sandbox to stop it)."""

    published_at: datetime | None = None

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    def _publish(self) -> None:
        self.published_at = datetime.now(UTC)
        super()._publish()


def _with_many_deliveries() -> WorkflowHistory:
    return _history(next(p for p in HISTORIES if p.stem == "accepted_and_resolved"))


async def test_the_unchanged_workflow_passes_the_same_check() -> None:
    await replay_checking_deliveries(_with_many_deliveries())


@pytest.mark.parametrize(
    "changed",
    [DeliversWithoutActivities, SwapsTwoMessages, RenamesItsKeys, DropsTheFirstDirectMessage],
    ids=lambda cls: cls.__name__,
)
async def test_an_incompatible_change_is_caught(changed: type) -> None:
    with pytest.raises(NondeterminismError):
        await replay_checking_deliveries(_with_many_deliveries(), changed)


async def test_a_clock_read_fails_the_replay_under_the_sandbox() -> None:
    with pytest.raises(RuntimeError, match=r"Cannot access datetime\.datetime\.now"):
        await replay_checking_deliveries(_with_many_deliveries(), ReadsTheClock)


async def test_a_reordering_replays_under_temporals_own_check_alone() -> None:
    """Why the delivery check exists: Temporal alone accepts the reordered deliveries."""
    replayer = Replayer(workflows=[SwapsTwoMessages], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(_with_many_deliveries(), raise_on_replay_failure=False)
    assert result.replay_failure is None
