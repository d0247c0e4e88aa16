"""Alarms through faults: the Temporal dev server killed (SIGKILL) and restarted on its SQLite file,
and the worker killed and restarted, while senders post alarms to the intake and retry every 503.

The real intake over HTTP with the real TemporalForwarder (tests/test_alarm_intake_e2e.py's
``alarm_intake``), an `incident worker` process (tests/fault_stack.py), and senders that behave
as SNS and webhooks do: each notification retried with a short back-off until it is answered
2xx, some sent again after their 2xx (at-least-once delivery). At the end every alarm has exactly
one open report, every notification answered 2xx is counted once by its alarm's workflow and
reached the report, and nothing opened twice. One figure line (``FAULTS {...}``, with ``-s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from temporal_client.client import WORKFLOW_TYPE
from tests.fault_stack import DevServer, WorkerProcess, eventually, report
from tests.support import seconds
from tests.test_alarm_intake_e2e import (
    ARN,
    DMS,
    AlarmIntake,
    alarm_intake,
    cloudwatch_alarm,
    generic_body,
    incident,
)
from workflows.alarm import AlarmWorkflow, alarm_workflow_id
from workflows.model import Status
from workflows.model.alarms import AlarmState

pytestmark = pytest.mark.faults

ALARMS = 20
CLOUDWATCH_ALARMS = 5  # the first five come through SNS, signed; the others are generic
RESEND_EVERY = 4  # every fourth notification is delivered again after its 2xx
STAGGER_SECONDS = 0.3  # alarm i's sender starts i * this after the first
PACE_SECONDS = 0.8  # between one alarm's notifications
# The worker is killed just after the 8th notification is answered 2xx: the first ones are
# first firings, so a report is being opened (an activity cut off, retried after its 30 s).
WORKER_KILL_AFTER = 8
WORKER_DOWN_SECONDS = 2
SERVER_KILL_AFTER = 30  # answered 2xx before the dev server is killed (SIGKILL)
SERVER_DOWN_SECONDS = 4
SEND_SECONDS = 90  # every notification answered 2xx within this, or the test fails
SETTLE_SECONDS = 90  # an activity cut off by the worker's death is retried after 30 s


@dataclass
class Notification:
    key: str  # the alarm's key, as the intake makes it
    firing: bool
    body: bytes
    cloudwatch: bool
    resend: bool


@dataclass
class Senders:
    """What the senders saw: every POST's outcome, and each notification's first 2xx."""

    intake: AlarmIntake
    posts: int = 0
    refused: Counter[int] = field(default_factory=Counter)  # status -> count (503s)
    connection_errors: int = 0
    accepted: list[Notification] = field(default_factory=list)  # in the order answered
    resent: int = 0
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def deliver(self, notification: Notification, deadline: float) -> None:
        """POST until answered 2xx, backing off 0.25 s, doubling to 2 s, as a sender would."""
        backoff = 0.25
        while True:
            self.posts += 1
            try:
                if notification.cloudwatch:
                    response = await self.intake.sns(notification.body, timeout=20)
                else:
                    response = await self.intake.generic(notification.body, timeout=20)
            except httpx.TransportError:
                self.connection_errors += 1
            else:
                if response.status_code == 200:
                    return
                assert response.status_code == 503, (response.status_code, response.text)
                self.refused[response.status_code] += 1
            assert time.monotonic() < deadline, "a notification was not accepted in time"
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    async def send_alarm(self, i: int, notifications: list[Notification], deadline: float) -> None:
        await asyncio.sleep(i * STAGGER_SECONDS)
        for notification in notifications:
            await self.deliver(notification, deadline)
            async with self.progress:
                self.accepted.append(notification)
                self.progress.notify_all()
            if notification.resend:
                await self.deliver(notification, deadline)
                self.resent += 1
            await asyncio.sleep(PACE_SECONDS)

    async def accepted_at_least(self, n: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: len(self.accepted) >= n)


def plan(intake: AlarmIntake, tag: str) -> list[list[Notification]]:
    """Twenty alarms, three notifications each: even ones fire, clear and fire again; odd ones
    fire, fire again and clear. Generic titles are shared by three alarms each (their reports'
    ids then take -2, -3), as one alarm name in several regions would."""
    alarms: list[list[Notification]] = []
    count = 0
    for i in range(ALARMS):
        states = [True, False, True] if i % 2 == 0 else [True, True, False]
        notifications = []
        for n, firing in enumerate(states):
            count += 1
            resend = count % RESEND_EVERY == 0
            if i < CLOUDWATCH_ALARMS:
                name = f"api-5xx-{tag}-{i}"
                alarm = cloudwatch_alarm(name, "ALARM" if firing else "OK")
                alarm["NewStateReason"] = f"notification {n} of {name}"
                body = intake.sns_body(alarm, message_id=str(uuid.uuid4()))
                key = f"cloudwatch:{ARN}{name}"
            else:
                dedup = f"disk-{tag}-{i}"
                title = f"Disk full {tag} db-{i % 5}"
                status = "firing" if firing else "resolved"
                body = generic_body(dedup, title, status, description=f"notification {n}")
                key = f"generic:{dedup}"
            notifications.append(Notification(key, firing, body, i < CLOUDWATCH_ALARMS, resend))
        alarms.append(notifications)
    return alarms


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[DevServer]:
    dev = DevServer(tmp_path / "temporal.db")
    dev.start()
    try:
        await dev.ready()
        yield dev
    finally:
        dev.kill()


async def alarm_states(client: Client, keys: list[str]) -> dict[str, AlarmState] | None:
    """Every alarm's state, once each has applied everything it took (None: not yet)."""
    states = {}
    for key in keys:
        handle = client.get_workflow_handle(alarm_workflow_id(key))
        state: AlarmState = await asyncio.wait_for(handle.query(AlarmWorkflow.state), 15)
        if state.pending or state.incident_id is None:
            return None
        states[key] = state
    return states


async def activities_retried(client: Client, keys: list[str]) -> int:
    """Activities of the alarms' workflows that ran more than once (cut off by a fault)."""
    retried = 0
    for key in keys:
        handle = client.get_workflow_handle(alarm_workflow_id(key))
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                retried += event.activity_task_started_event_attributes.attempt > 1
    return retried


async def test_server_and_worker_killed_while_alarms_arrive_lose_and_double_nothing(
    server: DevServer, tmp_path: Path
) -> None:
    queue = f"alarm-faults-{uuid.uuid4().hex[:8]}"
    env = {"INCIDENT_DELIVERY_MANAGERS": ",".join(DMS)}
    workers: list[WorkerProcess] = []

    def new_worker(name: str) -> WorkerProcess:
        process = WorkerProcess(server.address, queue, tmp_path, env, name)
        workers.append(process)
        process.start()
        return process

    try:
        worker = new_worker("worker")
        await worker.polling()
        async with alarm_intake(server.address, queue) as intake:
            alarms = plan(intake, uuid.uuid4().hex[:6])
            senders = Senders(intake)
            began = time.monotonic()
            deadline = began + seconds(SEND_SECONDS)
            sending = asyncio.gather(
                *(senders.send_alarm(i, a, deadline) for i, a in enumerate(alarms))
            )

            async def faults() -> float:
                await senders.accepted_at_least(WORKER_KILL_AFTER)
                workers[-1].kill()
                await asyncio.sleep(WORKER_DOWN_SECONDS)
                await new_worker("after").polling()
                await senders.accepted_at_least(SERVER_KILL_AFTER)
                server.kill()
                killed = time.monotonic()
                await asyncio.sleep(SERVER_DOWN_SECONDS)
                server.start()
                await server.ready()
                return time.monotonic() - killed

            chaos = asyncio.ensure_future(faults())
            try:
                await sending
                server_down = await asyncio.wait_for(chaos, 60)
            finally:
                chaos.cancel()
            sent_in = time.monotonic() - began

        client = await server.ready()
        keys = [a[0].key for a in alarms]
        settling = time.monotonic()
        states = await eventually(
            lambda: alarm_states(client, keys),
            timeout=seconds(SETTLE_SECONDS),
            what="every alarm's notices applied",
        )
        settle = time.monotonic() - settling
        retried = await activities_retried(client, keys)
        query = f"WorkflowType = '{WORKFLOW_TYPE}' AND TaskQueue = '{queue}'"
        reports = sorted({e.id async for e in client.list_workflows(query)})
        opened = {s.incident_id for s in states.values()}

        deliveries = {n.body for a in alarms for n in a}
        applied = sum(s.notices for s in states.values())
        lost = max(0, len(deliveries) - applied)
        duplicates = max(0, applied - len(deliveries)) + max(0, len(reports) - len(opened))
        figures = report(
            "alarms_server_and_worker_killed",
            alarms=len(keys),
            sent=len(deliveries),
            resent_after_2xx=senders.resent,
            posts=senders.posts,
            refused_503=senders.refused[503],
            connection_errors=senders.connection_errors,
            retries=senders.posts - len(deliveries) - senders.resent,
            applied=applied,
            repeated=sum(s.repeated for s in states.values()),
            activities_retried=retried,
            reports=len(reports),
            lost=lost,
            duplicates=duplicates,
            server_down_seconds=round(server_down, 1),
            send_seconds=round(sent_in, 1),
            settle_seconds=round(settle, 1),
        )
        assert len(senders.accepted) == len(deliveries), figures
        assert senders.refused[503] > 0, figures  # the faults were met, not missed
        assert lost == 0 and duplicates == 0, figures
        assert len(reports) == len(keys) and set(reports) == opened, figures
        for a in alarms:
            state = states[a[0].key]
            fired = sum(n.firing for n in a)
            assert (state.notices, state.fired, state.cleared) == (3, fired, 3 - fired), state
            assert state.ended_incidents == [] and state.firing is a[-1].firing, state
            assert state.incident_id is not None
            # Every change reached the report, once: its own counts say so.
            report_state = await incident(client, state.incident_id)
            facts = report_state.alarm
            assert report_state.status is Status.TRIAGE and facts is not None, report_state
            assert facts.key == a[0].key, (facts.key, a[0].key)
            assert (facts.fired, facts.cleared) == (state.fired, state.cleared), facts
    finally:
        for process in workers:
            with contextlib.suppress(Exception):
                process.kill()
