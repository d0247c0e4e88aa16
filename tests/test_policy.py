"""The organisation's policy is the worker's: read when an incident opens, recorded in its history.

Front ends send no policy. The worker's settings at the moment an incident opens are what that
incident follows for good: a worker restarted with other settings replays it unchanged. An
incident opened while the worker named no delivery managers takes the ones it names at its next
command, recorded, rather than being stuck.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities
from temporal_client.client import STATE_QUERY
from temporal_client.client import query_incident as query
from temporal_client.settings import Settings
from tests.people import DM, HELPER, LEAD
from worker import build_worker
from workflows.incident import IncidentWorkflow
from workflows.model import Command, EntryKind, IncidentStart, IncidentState, Receipt, Severity
from workflows.model.commands import Accept

OTHER_DM = "U0OTHERDM"


@asynccontextmanager
async def worker(client: Client, queue: str, **policy: str) -> AsyncIterator[None]:
    """The product's worker, with ``policy`` as its process settings (and no others)."""
    settings = Settings(_env_file=None, temporal_task_queue=queue, **policy)  # type: ignore[arg-type]
    activities = IncidentActivities(
        messenger=ConsoleMessenger(platform_channel="#wc-platform"),
        status_page=ConsoleStatusPage(),
    )
    async with build_worker(client, settings, activities=activities):
        yield


async def start(client: Client, queue: str, **fields: Any) -> WorkflowHandle[Any, IncidentState]:
    """An incident started as every front end starts one: with no policy."""
    opening = IncidentStart(
        id=f"inc-policy-{uuid.uuid4().hex[:8]}", title="Search API down", actor=LEAD, **fields
    )
    assert opening.policy is None
    return await client.start_workflow(
        IncidentWorkflow.run, opening, id=opening.id, task_queue=queue
    )


async def state(handle: WorkflowHandle[Any, IncidentState]) -> IncidentState:
    """As the front ends read it: asked again in the moment the incident opens. Up to 30 s: the
    first query after a worker stops goes to its sticky queue, which the server gives up on
    after the SDK's 10 s."""
    return await asyncio.wait_for(query(handle, STATE_QUERY, IncidentState), timeout=30)


async def send(handle: WorkflowHandle[Any, Any], name: str, command: Command) -> Receipt:
    receipt: Receipt = await handle.execute_update(name, command, result_type=Receipt)
    return receipt


async def refused(handle: WorkflowHandle[Any, Any], name: str, command: Command) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await send(handle, name, command)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def test_the_delivery_managers_are_the_workers_and_a_later_worker_changes_no_open_incident(
    dev_env: WorkflowEnvironment,
) -> None:
    """On the dev server: the time-skipping server sends queries to a stopped worker's sticky
    queue until they time out."""
    client, queue = dev_env.client, f"policy-{uuid.uuid4()}"
    async with worker(client, queue, incident_delivery_managers=DM, incident_infosec_head="U0SEC"):
        handle = await start(client, queue, declare=True, lead=LEAD, severity=Severity.SEV1)
        opened = await state(handle)
        assert opened.delivery_managers == [DM]
        assert opened.self_initiated  # the lead is not a DM, so a DM is asked to acknowledge
    # The same incident under a worker restarted with other settings: it replays from its
    # history (a new worker has nothing cached) and keeps the policy it opened with.
    async with worker(client, queue, incident_delivery_managers=OTHER_DM):
        assert (await state(handle)).delivery_managers == [DM]
        assert "Only a delivery manager may" in await refused(
            handle, "ack", Command(actor=OTHER_DM)
        )
        await send(handle, "ack", Command(actor=DM))
        # A new incident opens under the settings in force now.
        newer = await start(client, queue, declare=True, lead=LEAD)
        assert (await state(newer)).delivery_managers == [OTHER_DM]
    history = await handle.fetch_history()
    # The policy is in the history, as the local activity's result: replay reads no settings.
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert len(markers) >= 1
    replayed = await Replayer(
        workflows=[IncidentWorkflow], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
    # Its deliveries heartbeat as the worker's policy says (INCIDENT_DELIVERY_HEARTBEAT_TIMEOUT,
    # 5 s by default): a worker dying mid-delivery holds the lane that long, not 30 s.
    scheduled = [
        event.activity_task_scheduled_event_attributes
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert scheduled
    assert {s.heartbeat_timeout.ToTimedelta() for s in scheduled} == {timedelta(seconds=5)}


async def test_an_incident_opened_while_the_worker_named_no_delivery_manager_takes_them_later(
    dev_env: WorkflowEnvironment,
) -> None:
    client, queue = dev_env.client, f"policy-{uuid.uuid4()}"
    async with worker(client, queue):  # INCIDENT_DELIVERY_MANAGERS unset
        handle = await start(client, queue)  # a report, for a delivery manager to triage
        assert (await state(handle)).delivery_managers == []
        sentence = await refused(
            handle, "accept", Accept(actor=DM, lead=LEAD, severity=Severity.SEV2)
        )
        assert sentence == (
            "Only a delivery manager may accept a report, and the worker names none: set "
            "INCIDENT_DELIVERY_MANAGERS in the worker's settings and restart it (this incident "
            "takes them at its next command)."
        ), sentence
    async with worker(client, queue, incident_delivery_managers=f"{DM},{OTHER_DM}"):
        await send(handle, "accept", Accept(actor=DM, lead=LEAD, severity=Severity.SEV2))
        accepted = await state(handle)
        assert (accepted.status, accepted.delivery_managers) == ("active", [DM, OTHER_DM])
        timeline = await handle.query(IncidentWorkflow.timeline)
        (taken,) = [e for e in timeline if e.kind is EntryKind.DELIVERY_MANAGERS]
        assert taken.text.startswith(f"Delivery managers now {DM}, {OTHER_DM}")
        # Recorded before the command it let through.
        assert timeline.index(taken) < [e.kind for e in timeline].index(EntryKind.ACCEPTED)
    history = await handle.fetch_history()
    replayed = await Replayer(
        workflows=[IncidentWorkflow], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None


async def test_a_signal_sent_with_the_start_waits_for_the_incident_to_open(
    time_env: WorkflowEnvironment,
) -> None:
    """Signal-with-start delivers the signal before the worker's policy is read: it is applied
    once the incident is open."""
    client, queue = time_env.client, f"policy-{uuid.uuid4()}"
    async with worker(client, queue, incident_delivery_managers=DM):
        opening = IncidentStart(
            id=f"inc-policy-{uuid.uuid4().hex[:8]}",
            title="Search API down",
            actor=LEAD,
            declare=True,
            lead=LEAD,
        )
        handle = await client.start_workflow(
            IncidentWorkflow.run,
            opening,
            id=opening.id,
            task_queue=queue,
            start_signal="join",
            start_signal_args=[{"actor": HELPER}],
        )
        joined = await state(handle)
        assert (joined.status, joined.supporters, joined.delivery_managers) == (
            "active",
            [HELPER],
            [DM],
        )
        # Settled, then ended: the time-skipping server stops skipping for every later test
        # while a workflow's timer fires for a worker that has gone.
        for _ in range(300):
            if (await state(handle)).undelivered == 0:
                break
            await asyncio.sleep(0.02)
        await handle.terminate(reason="test finished")
