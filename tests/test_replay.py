"""Replay the recorded histories of every lifecycle path against today's workflow code.

A change that would break running incidents fails here; record new histories with
`python -m tests.record_histories` only for a deliberate, versioned change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from workflows.incident import IncidentWorkflow
from workflows.model import ChannelRef, Effect, IncidentStart, IncidentState, StatusPageRef

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def test_every_lifecycle_path_is_recorded() -> None:
    names = {path.stem for path in HISTORIES}
    assert {
        "declined",
        "accepted_and_resolved",
        "declared_handover_approved",
        "continued_as_new_run1",
        "continued_as_new_run2",
        "signalled",
        "retro_draft_posted",
        "standing_messages",
        "started_with_search_attributes_run1",
        "started_with_search_attributes_run2",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(_history(path))
    assert result.replay_failure is None


@workflow.defn(name="IncidentWorkflow")
class DeliversWithoutActivities(IncidentWorkflow):
    """An incompatible change: messages 'delivered' by sleeping instead of by an activity."""

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    async def _run_effect(self, effect: Effect) -> ChannelRef | StatusPageRef | None:
        await workflow.sleep(1)
        return None


async def test_incompatible_change_is_caught() -> None:
    replayer = Replayer(
        workflows=[DeliversWithoutActivities], data_converter=pydantic_data_converter
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(_history(HISTORIES[0]))
