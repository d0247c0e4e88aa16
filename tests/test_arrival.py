"""How each command arrived, in the timeline: the CLI, the Slack relay (the one way in that
verifies the person), a signal, or an Update sent straight through the Temporal API (the Web UI,
`temporal workflow update`), which says nothing and is recorded as unverified.

The pure process first, then a real workflow on the time-skipping server, then the CLI's own
words in-process, then what people read: the markdown timeline, the retro draft, the figures.
The relay's end-to-end story (``tests/test_relay.py``) and the signals sent with `temporal
workflow signal` (``tests/test_signals.py``) check the same against a real server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast
from zoneinfo import ZoneInfo

import pytest
import typer
from temporalio.api.enums.v1 import EventType

import starter
from frontends import cli
from frontends.stats import incident_stats
from messages import sentences as say
from messages.retro import retro_draft
from messages.terminal import stats_json, stats_text
from messages.timeline import timeline_markdown
from temporal_client.client import IncidentClient
from temporal_client.settings import Settings
from tests.people import DM, HELPER, LEAD
from tests.test_slash_grammar import RecordingClient
from tests.test_workflow import POLICY, Desk, Handle, desk, state_of, timeline_of
from workflows.incident import IncidentWorkflow
from workflows.model import (
    Action,
    Arrival,
    Command,
    EntryKind,
    IncidentStart,
    IncidentState,
    Policy,
    Receipt,
    Status,
    TimelineEntry,
)
from workflows.model.commands import ProgressUpdate, Resolve
from workflows.process import Incident

__all__ = ["desk"]  # the fixture, imported for pytest

T = TypeVar("T")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def opened(*, via: Arrival = Arrival.CLI) -> Incident:
    start = IncidentStart(
        id="inc-arrival",
        title="Search down",
        actor=LEAD,
        arrived_via=via,
        lead=LEAD,
        declare=True,
        policy=Policy(delivery_managers=[DM]),
    )
    return Incident.open(start, NOW)


def arrivals(incident: Incident) -> list[tuple[EntryKind, Arrival | None]]:
    return [(entry.kind, entry.arrived_via) for entry in incident.timeline]


# --- The process ---------------------------------------------------------------------------------


def test_each_entry_says_how_its_command_arrived_and_the_incident_counts_them() -> None:
    incident = opened(via=Arrival.CLI)
    incident.apply(Action.JOIN, Command(actor=HELPER, arrived_via=Arrival.SLACK), NOW)
    incident.receive_signal("progress_update", {"actor": HELPER, "text": "Rolled back"}, NOW)
    said_nothing = ProgressUpdate.model_validate({"actor": LEAD, "text": "From the Web UI"})
    incident.apply(Action.UPDATE, said_nothing, NOW)
    assert arrivals(incident) == [
        (EntryKind.DECLARED, Arrival.CLI),
        (EntryKind.JOINED, Arrival.SLACK),
        (EntryKind.UPDATE, Arrival.SIGNAL),
        (EntryKind.UPDATE, Arrival.TEMPORAL_API),
    ]
    assert incident.state.arrivals == {
        Arrival.CLI: 1,
        Arrival.SLACK: 1,
        Arrival.SIGNAL: 1,
        Arrival.TEMPORAL_API: 1,
    }


def test_every_entry_a_command_makes_carries_its_arrival_and_the_incidents_own_none() -> None:
    incident = opened()
    # A DM's resolve records the resolution (and posts the timeline) in one command.
    incident.apply(Action.RESOLVE, Resolve(actor=DM, arrived_via=Arrival.SLACK), NOW)
    assert arrivals(incident)[-1] == (EntryKind.RESOLVED, Arrival.SLACK)
    later = NOW + timedelta(days=30)
    incident.reminders.fire_due_timers(later)  # the retro is overdue: the incident says so
    assert arrivals(incident)[-1] == (EntryKind.RETRO_DUE, None)
    assert incident.state.arrivals == {Arrival.CLI: 1, Arrival.SLACK: 1}


def test_a_signal_is_recorded_as_a_signal_whatever_its_body_claims() -> None:
    incident = opened()
    claims = {"actor": LEAD, "text": "Says it came from Slack", "arrived_via": "slack"}
    assert incident.receive_signal("progress_update", claims, NOW) is None
    assert arrivals(incident)[-1] == (EntryKind.UPDATE, Arrival.SIGNAL)


def test_a_refused_signal_is_recorded_as_a_signal_but_not_counted_as_a_command() -> None:
    incident = opened()
    reason = incident.receive_signal("dm_approval", {"actor": LEAD, "approved": True}, NOW)
    assert reason is not None
    assert arrivals(incident)[-1] == (EntryKind.REFUSED, Arrival.SIGNAL)
    assert incident.state.arrivals == {Arrival.CLI: 1}


def test_what_was_recorded_before_arrivals_still_loads() -> None:
    """Histories, carried timelines and Updates from before have no arrival field."""
    entry = TimelineEntry.model_validate(
        {"at": NOW.isoformat(), "actor": LEAD, "kind": "update", "text": "Old"}
    )
    assert entry.arrived_via is None
    assert Command.model_validate({"actor": LEAD}).arrived_via is Arrival.TEMPORAL_API
    start = opened().state.model_dump(mode="json", exclude={"arrivals"})
    assert IncidentState.model_validate(start).arrivals == {}


# --- A real workflow (time-skipping server) --------------------------------------------------------


async def test_the_workflow_records_each_way_in_and_marks_its_patch(desk: Desk) -> None:
    incident_id = f"inc-arrival-{uuid.uuid4().hex[:8]}"
    start = IncidentStart(
        id=incident_id,
        title="Search API returns 500s",
        actor=DM,
        arrived_via=Arrival.CLI,
        lead=LEAD,
        declare=True,
        policy=POLICY,
    )
    handle: Handle = await desk.env.client.start_workflow(
        IncidentWorkflow.run, start, id=incident_id, task_queue=desk.task_queue
    )
    desk.handles.append(handle)
    await desk.settle()
    await desk.send(handle, Action.JOIN, Command(actor=HELPER, arrived_via=Arrival.SLACK))
    # The Web UI's Update form: a body that says nothing of how it came.
    await handle.execute_update("update", {"actor": LEAD, "text": "Pods"}, result_type=Receipt)
    await desk.settle()
    await handle.signal(
        "progress_update", {"actor": HELPER, "text": "Caches", "arrived_via": "cli"}
    )
    await desk.settle()

    commands = [e for e in await timeline_of(handle) if e.kind is not EntryKind.CHANNEL]
    assert [(e.kind, e.arrived_via) for e in commands] == [
        (EntryKind.DECLARED, Arrival.CLI),
        (EntryKind.JOINED, Arrival.SLACK),
        (EntryKind.UPDATE, Arrival.TEMPORAL_API),
        (EntryKind.UPDATE, Arrival.SIGNAL),
    ]
    assert [e.arrived_via for e in await timeline_of(handle, EntryKind.CHANNEL)] == [None]
    state = await state_of(handle)
    assert state.arrivals == {
        Arrival.CLI: 1,
        Arrival.SLACK: 1,
        Arrival.TEMPORAL_API: 1,
        Arrival.SIGNAL: 1,
    }
    markers = [
        event.marker_recorded_event_attributes.marker_name
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    # 1.0 carries no patch: the only marker is the local activity that reads the worker's policy.
    assert "core_patch" not in markers, markers


# --- The CLI's own words, in-process ---------------------------------------------------------------


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> RecordingClient:
    """``incident ARGS`` with its work run against a recording client instead of Temporal."""
    client = RecordingClient()

    def against_the_recording(
        ctx: typer.Context, work: Callable[[IncidentClient, Settings], Awaitable[T]]
    ) -> T:
        async def main() -> T:
            return await work(cast(IncidentClient, client), client.settings)

        return asyncio.run(main())

    monkeypatch.setattr(cli, "run", against_the_recording)
    assert starter.run(args) == 0
    return client


def test_the_cli_says_its_commands_and_openings_came_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = run_cli(["--as", LEAD, "update", "inc-1", "Restarted", "the", "pods"], monkeypatch)
    ((_, action, command, _),) = sent.calls
    assert (action, command.arrived_via) == (Action.UPDATE, Arrival.CLI)
    opened = run_cli(["--as", LEAD, "declare", "Search down", "--lead", LEAD], monkeypatch)
    ((_, start, _),) = opened.calls
    assert (start.declare, start.arrived_via) == (True, Arrival.CLI)
    capsys.readouterr()


# --- What people read --------------------------------------------------------------------------------


def _story() -> Incident:
    incident = opened(via=Arrival.CLI)
    incident.apply(Action.JOIN, Command(actor=HELPER, arrived_via=Arrival.SLACK), NOW)
    incident.receive_signal("progress_update", {"actor": HELPER, "text": "Rolled back"}, NOW)
    incident.apply(Action.RESOLVE, Resolve.model_validate({"actor": DM}), NOW)
    return incident


def test_the_markdown_timeline_says_how_each_command_arrived() -> None:
    incident = _story()
    lines = timeline_markdown(incident.state, incident.timeline).splitlines()
    assert (
        "Commands by how they arrived: 1 CLI, 1 Slack relay (verified by Slack), 1 signal, "
        "1 Temporal API (unverified). " + say.ONLY_SLACK_VERIFIES
    ) in lines
    joined = f"- 10:00:00 **{HELPER}** joined to help"
    assert f"{joined} — via Slack relay (verified by Slack)" in lines
    assert f"- 10:00:00 **{HELPER}**: Rolled back — via signal" in lines
    assert lines[-1].endswith(" — via Temporal API (unverified)")


def test_the_retro_draft_says_how_the_commands_arrived_and_stays_as_it_was_without() -> None:
    incident = _story()
    draft = retro_draft(incident.state, incident.timeline, zone=ZoneInfo("Europe/London"))
    assert say.ONLY_SLACK_VERIFIES in draft
    assert "1 Slack relay (verified by Slack)" in draft.split("### ")[0]


def test_the_figures_count_commands_by_how_they_arrived() -> None:
    first, second = _story(), opened(via=Arrival.SLACK)
    second.apply(
        Action.UPDATE, ProgressUpdate(actor=LEAD, text="x", arrived_via=Arrival.SLACK), NOW
    )
    ended = [
        first.state.model_copy(update={"status": Status.CLOSED}),
        second.state.model_copy(update={"status": Status.DECLINED}),
    ]
    figures = incident_stats(ended)
    assert figures.arrivals == {
        Arrival.CLI: 1,
        Arrival.SLACK: 3,
        Arrival.SIGNAL: 1,
        Arrival.TEMPORAL_API: 1,
    }
    assert stats_json(figures)["commands_by_arrival"] == {
        "cli": 1,
        "slack": 3,
        "signal": 1,
        "temporal_api": 1,
    }
    assert stats_text(figures).splitlines()[-1] == (
        "Commands by how they arrived: 1 CLI, 3 Slack relay (verified by Slack), 1 signal, "
        "1 Temporal API (unverified)."
    )
    assert "arrived" not in stats_text(incident_stats([]))
