"""Signals: the same rules as the Updates, for senders that fire and forget."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from tests.test_cli_e2e import (
    DEV,
    DM1,
    LEAD2,
    Cli,
    ThreadWorker,
    cli,
    cli_env,
    new_id,
    wait_for_message,
    workdir,
    worker,
)
from workflows.destinations.slack import Notice, NoticeKind
from workflows.model import EntryKind, IncidentStart, Policy, Status
from workflows.process import Incident
from workflows.signals import REQUEST_IDS_KEPT

__all__ = ["cli", "cli_env", "workdir", "worker"]  # fixtures, imported for pytest

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DMS = ["U0DM1"]


def _declared() -> Incident:
    start = IncidentStart(
        id="inc-sig",
        title="Search down",
        actor="U0DEV",
        lead="U0DEV",
        declare=True,
        policy=Policy(delivery_managers=DMS),
    )
    return Incident.open(start, NOW)


def _refusals(incident: Incident) -> list[str]:
    return [e.text for e in incident.timeline if e.kind is EntryKind.REFUSED]


def test_a_signal_is_applied_under_the_updates_rules() -> None:
    incident = _declared()
    assert incident.receive_signal("lead_handover", {"actor": "U0DEV", "to": "U0SUE"}, NOW) is None
    assert incident.state.lead == "U0SUE"
    assert incident.receive_signal("resolved", {"actor": "U0SUE"}, NOW) is None
    assert incident.state.status is Status.AWAITING_APPROVAL
    reason = incident.receive_signal("dm_approval", {"actor": "U0DM1", "approved": False}, NOW)
    assert reason == "The dm_approval signal's body is not valid: reason: Field required."
    assert (
        incident.receive_signal(
            "dm_approval", {"actor": "U0DM1", "approved": False, "reason": "Still failing"}, NOW
        )
        is None
    )
    assert (incident.state.status, incident.state.rejection_reason) == (
        Status.ACTIVE,
        "Still failing",
    )


def test_a_refused_signal_changes_nothing_is_recorded_and_the_sender_is_told() -> None:
    incident = _declared()
    before = incident.state.model_copy(deep=True)
    reason = incident.receive_signal("lead_handover", {"actor": "U0OUT", "to": "U0OUT"}, NOW)
    assert (
        reason
        == "Only the lead or a delivery manager may hand over the lead on inc-sig; U0OUT is not."
    )
    assert incident.state == before
    assert _refusals(incident) == [f"Refused the lead_handover signal: {reason}"]
    assert incident.timeline[-1].actor == "U0OUT"
    [told] = [
        e for e in incident.outbox.effects if isinstance(e, Notice) and e.kind is NoticeKind.REFUSED
    ]
    assert told.recipients == ["U0OUT"] and reason in told.text


@pytest.mark.parametrize(
    "body",
    [
        None,
        "just text",
        42,
        [],
        {"text": "no actor"},
        {"actor": 5, "text": "x"},
        {"actor": "not a user", "text": "x"},
        {"actor": "U0DEV", "text": ""},
        {"actor": "U0DEV", "text": "x", "request_id": 7},
        {"actor": "U0DEV", "text": "x", "bogus": 1},
    ],
)
def test_a_malformed_body_is_recorded_as_refused_and_nothing_else(body: Any) -> None:
    incident = _declared()
    before = incident.state.model_copy(deep=True)
    reason = incident.receive_signal("progress_update", body, NOW)
    assert reason and reason.startswith("The progress_update signal") and reason.endswith(".")
    assert incident.state == before
    assert len(_refusals(incident)) == 1


def test_a_repeated_request_id_is_applied_once() -> None:
    incident = _declared()
    body = {"actor": "U0DEV", "text": "Restarted the pods", "request_id": "slack-retry-1"}
    for _ in range(3):
        incident.receive_signal("progress_update", body, NOW)
    assert [e.text for e in incident.timeline if e.kind is EntryKind.UPDATE] == [
        "Restarted the pods"
    ]
    for n in range(REQUEST_IDS_KEPT + 10):
        incident.receive_signal("progress_update", {**body, "request_id": f"r{n}"}, NOW)
    assert len(incident.carried().request_ids) == REQUEST_IDS_KEPT


# --- End to end: `temporal workflow signal` against the dev server ---------------------------

TEMPORAL = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")


def temporal(worker: ThreadWorker, *args: str) -> None:
    """``temporal ARGS`` against the test's server, as a script with only Temporal would."""
    done = subprocess.run(
        [TEMPORAL, *args, "--address", worker.target], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def signal(worker: ThreadWorker, incident_id: str, name: str, body: str) -> None:
    temporal(
        worker, "workflow", "signal", "--workflow-id", incident_id, "--name", name, "--input", body
    )


def wait_for(cli: Cli, incident_id: str, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        state = cli.show(incident_id)
        if check(state):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def task_failures(worker: ThreadWorker, incident_id: str) -> int:
    async def count(client: Client) -> int:
        events = [e async for e in client.get_workflow_handle(incident_id).fetch_history_events()]
        return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events)

    return worker.call(count)


@pytest.mark.e2e
def test_an_incident_handed_over_approved_and_resolved_by_signals_alone(
    cli: Cli, worker: ThreadWorker
) -> None:
    incident_id = new_id("signals")
    cli.declare(incident_id, "Signals only", by=DEV, lead=DEV)
    signal(worker, incident_id, "acknowledge", json.dumps({"actor": DM1}))
    signal(worker, incident_id, "lead_handover", json.dumps({"actor": DEV, "to": LEAD2}))
    for _ in range(2):  # a retried script: the same request id twice
        signal(
            worker,
            incident_id,
            "progress_update",
            json.dumps({"actor": LEAD2, "text": "Rolled back", "request_id": "script-1"}),
        )
    signal(worker, incident_id, "resolved", json.dumps({"actor": LEAD2, "summary": "Rollback"}))
    # Refused: the lead cannot approve their own request; the sender is told.
    signal(worker, incident_id, "dm_approval", json.dumps({"actor": LEAD2, "approved": True}))
    # Malformed: neither fails a workflow task nor wedges the incident.
    signal(worker, incident_id, "dm_approval", '"approve it please"')
    signal(worker, incident_id, "join", json.dumps({"actor": 12}))
    signal(worker, incident_id, "dm_approval", json.dumps({"actor": DM1, "approved": True}))

    state = wait_for(cli, incident_id, lambda s: s["status"] == "resolved")
    assert (state["lead"], state["delivery_manager"]) == (LEAD2, DM1)
    timeline = cli.timeline(incident_id)
    updates = [e for e in timeline if e["kind"] == "update"]
    assert [e["text"] for e in updates] == ["Rolled back"]
    refused = [e for e in timeline if e["kind"] == "refused"]
    assert [e["actor"] for e in refused] == [LEAD2, "unknown sender", "unknown sender"]
    # Declared with the CLI; everything after came by signal (the channel: the incident's own).
    assert (timeline[0]["kind"], timeline[0]["arrived_via"]) == ("declared", "cli")
    assert {e["arrived_via"] for e in timeline[1:] if e["kind"] != "channel"} == {"signal"}
    assert "Only a delivery manager may approve a resolution" in refused[0]["text"]
    told = wait_for_message(worker, incident_id, "refused", f"direct to {LEAD2}")
    assert "Only a delivery manager may approve a resolution" in told
    assert task_failures(worker, incident_id) == 0
    cli.ok("retro", incident_id, "--notes", "Fine", as_user=DM1)  # still healthy


@pytest.mark.e2e
def test_a_script_with_only_temporal_declares_by_signal_with_start(
    cli: Cli, worker: ThreadWorker
) -> None:
    incident_id = new_id("sws")
    start = {
        "id": incident_id,
        "title": "Declared from a script",
        "actor": DEV,
        "lead": DEV,
        "severity": "sev2",
        "declare": True,
        "policy": {"delivery_managers": [DM1]},
    }
    first = {"actor": DEV, "text": "Alert fired: search 5xx above 20%", "request_id": "alert-1"}
    done = subprocess.run(
        [
            TEMPORAL,
            "workflow",
            "signal-with-start",
            "--address",
            worker.target,
            "--workflow-id",
            incident_id,
            "--type",
            "IncidentWorkflow",
            "--task-queue",
            worker.task_queue,
            "--input",
            json.dumps(start),
            "--signal-name",
            "progress_update",
            "--signal-input",
            json.dumps(first),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    state = wait_for(cli, incident_id, lambda s: s["last_update"] is not None)
    assert (state["status"], state["lead"]) == ("active", DEV)
    assert state["last_update"] == "Alert fired: search 5xx above 20%"
    wait_for_message(worker, incident_id, "ack_request", f"direct to {DM1}")
    # An Update straight through Temporal, as the Web UI sends one: it says nothing of its way in.
    update = {"actor": DEV, "text": "Sent with temporal workflow update"}
    temporal(worker, "workflow", "update", "execute", "--workflow-id", incident_id,
             "--name", "update", "--input", json.dumps(update))  # fmt: skip
    arrivals = [(e["kind"], e["arrived_via"]) for e in cli.timeline(incident_id)]
    assert [entry for entry in arrivals if entry[0] != "channel"] == [
        ("declared", "temporal_api"),
        ("update", "signal"),
        ("update", "temporal_api"),
    ]
