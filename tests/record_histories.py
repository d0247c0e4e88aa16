"""Record one workflow history per lifecycle path into tests/histories/ for the replay tests.

    python -m tests.record_histories [PATH ...]     # e.g. signalled; default: every path

These are 1.0's histories (recorded again when every earlier path was folded into one). Record a
path again only for a change guarded by ``workflow.patched``, and keep the old file too, under a
versioned name, while incidents recorded with it may still be running: see the patch procedure
in docs/developers/.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities
from temporal_client.client import IncidentClient, opening_search_attributes
from temporal_client.settings import Settings
from tests.people import ALL_HOURS, DM, HELPER, LEAD
from worker import alarm_activities, ensure_search_attributes
from workflows.alarm import NOTIFY, AlarmWorkflow, alarm_workflow_id
from workflows.incident import IncidentWorkflow
from workflows.model import (
    Arrival,
    Command,
    IncidentStart,
    Policy,
    Receipt,
    Severity,
    StatusPageStatus,
)
from workflows.model.activities import ActivityName
from workflows.model.alarms import AlarmNotice, AlarmSource, AlarmStart
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
)
from workflows.vocabulary.policy import OfficeHours

HISTORIES = Path(__file__).parent / "histories"
ALARM_HISTORIES = HISTORIES / "alarms"
ALARM_ID_PREFIX = alarm_workflow_id("")
POLICY = Policy(delivery_managers=[DM], infosec_head="U0SEC")


async def settle(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until every message the workflow decided on is delivered.

    The time-skipping test server intermittently fails a workflow task ("invalid history
    builder state for action") when an Update lands while an activity is scheduled; the real
    server does not. Tests on the test server settle before each Update.
    """
    for _ in range(500):
        if (await handle.query(IncidentWorkflow.state)).undelivered == 0:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"{handle.id} did not settle")


async def _send(handle: WorkflowHandle[Any, Any], name: str, cmd: Command) -> None:
    await settle(handle)
    await handle.execute_update(name, cmd, result_type=Receipt)


async def _start(client: Client, queue: str, name: str, **fields: Any) -> WorkflowHandle[Any, Any]:
    start = IncidentStart(id=f"inc-{name}", title=f"Recorded path {name}", actor=LEAD, **fields)
    return await client.start_workflow(IncidentWorkflow.run, start, id=start.id, task_queue=queue)


async def declined(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    handle = await _start(client, queue, "declined", policy=POLICY)
    await env.sleep(timedelta(hours=1, minutes=5))
    await _send(handle, "decline", Decline(actor=DM, reason="Known issue, fix scheduled"))
    await handle.result()
    return [handle]


async def accepted_and_resolved(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    handle = await _start(client, queue, "accepted", policy=POLICY, description="Search 500s")
    await _send(handle, "accept", Accept(actor=DM, lead=LEAD, severity=Severity.SEV1))
    await _send(handle, "update", ProgressUpdate(actor=LEAD, text="Restarted the pods"))
    await env.sleep(timedelta(hours=2, minutes=5))  # reminders and an escalation fire
    await _send(handle, "criteria", SetCriteria(actor=DM, text="error rate under 1%"))
    await _send(
        handle,
        "statuspage",
        PostStatusPage(actor=DM, status=StatusPageStatus.IDENTIFIED, text="Search is degraded"),
    )
    await _send(handle, "resolve", Resolve(actor=DM, summary="Pods restarted"))
    await env.sleep(timedelta(days=4, minutes=7))  # retro due
    await _send(handle, "retro", Retro(actor=DM, skip_reason="Routine"))
    await handle.result()
    return [handle]


async def declared_handover_approved(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    handle = await _start(
        client, queue, "declared", policy=POLICY, declare=True, lead=LEAD, security=True
    )
    await env.sleep(timedelta(minutes=40))  # an ack reminder
    await _send(handle, "ack", Command(actor=DM))
    await _send(handle, "join", Command(actor=HELPER))
    await _send(handle, "handover", Handover(actor=LEAD, to=HELPER))
    await _send(handle, "resolve", Resolve(actor=HELPER))
    await _send(handle, "reject", Reject(actor=DM, reason="Still failing"))
    await _send(handle, "resolve", Resolve(actor=HELPER, summary="Fixed"))
    await _send(handle, "approve", Command(actor=DM))
    await _send(handle, "retro", Retro(actor=HELPER, notes="Add alerting"))
    await handle.result()
    return [handle]


def both_runs(
    client: Client, handle: WorkflowHandle[Any, Any], first_run: str | None
) -> list[WorkflowHandle[Any, Any]]:
    """The first run of a workflow that continued as new once, and its last run."""
    return [
        client.get_workflow_handle(handle.id, run_id=first_run),
        client.get_workflow_handle(handle.id),
    ]


async def continued_as_new(
    client: Client, queue: str, env: WorkflowEnvironment, *, name: str = "continued"
) -> list[WorkflowHandle[Any, Any]]:
    policy = POLICY.model_copy(update={"history_events_limit": 40})
    handle = await _start(client, queue, name, policy=policy, declare=True, lead=DM)
    first_run = handle.result_run_id
    for n in range(12):
        await _send(handle, "update", ProgressUpdate(actor=DM, text=f"Update {n}"))
    await _send(handle, "resolve", Resolve(actor=DM))
    await _send(handle, "retro", Retro(actor=DM, notes="done"))
    await handle.result()
    return both_runs(client, handle, first_run)


async def signalled(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    handle = await _start(client, queue, "signalled", policy=POLICY, declare=True, lead=LEAD)
    signals: list[tuple[str, object]] = [
        ("acknowledge", {"actor": DM}),
        ("lead_handover", {"actor": LEAD, "to": HELPER}),
        ("progress_update", {"actor": HELPER, "text": "Rolled back", "request_id": "r-1"}),
        ("progress_update", {"actor": HELPER, "text": "Rolled back", "request_id": "r-1"}),
        ("dm_approval", {"actor": HELPER, "approved": True}),  # refused: not a DM
        ("dm_approval", "not an object"),  # malformed
        ("resolved", {"actor": DM, "summary": "Rolled back"}),
    ]
    for name, body in signals:
        await settle(handle)
        await handle.signal(name, body)
    await settle(handle)
    await _send(handle, "retro", Retro(actor=DM, notes="Signals only"))
    await handle.result()
    return [handle]


async def resolved_then_retro(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """Declared, resolved by a DM (the retro draft posted at resolution), the retro recorded."""
    handle = await _start(client, queue, "retro-draft", policy=POLICY, declare=True, lead=DM)
    await _send(handle, "resolve", Resolve(actor=DM, summary="Fixed"))
    await _send(handle, "retro", Retro(actor=DM, notes="Draft posted"))
    await handle.result()
    return [handle]


async def marked_security_midway(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """The announcement and pinned summary edited in place, a supporter invited, marked security
    later (new channel, page incident resolved)."""
    handle = await _start(client, queue, "standing", policy=POLICY, declare=True, lead=LEAD)
    await _send(handle, "ack", Command(actor=DM))
    await _send(handle, "join", Command(actor=HELPER))
    await _send(handle, "severity", ChangeSeverity(actor=LEAD, severity=Severity.SEV1))
    await _send(
        handle,
        "statuspage",
        PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="Search is slow"),
    )
    await _send(handle, "handover", Handover(actor=LEAD, to=HELPER))
    await _send(handle, "security", Command(actor=DM))
    await _send(handle, "resolve", Resolve(actor=DM, summary="Token rotated"))
    await _send(handle, "retro", Retro(actor=DM, notes="Scan logs for tokens"))
    await handle.result()
    return [handle]


async def started_with_search_attributes(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """Started as ``temporal_client.client`` starts incidents: the search attributes given with the
    start, upserted only when they change; continued as new (the next run inherits them)."""
    policy = POLICY.model_copy(update={"history_events_limit": 40})
    start = IncidentStart(
        id="inc-indexed",
        title="Recorded path indexed",
        actor=LEAD,
        policy=policy,
        declare=True,
        lead=LEAD,
        search_attributes_given=True,
    )
    handle = await client.start_workflow(
        IncidentWorkflow.run,
        start,
        id=start.id,
        task_queue=queue,
        search_attributes=opening_search_attributes(start),
    )
    first_run = handle.result_run_id
    await _send(handle, "handover", Handover(actor=LEAD, to=HELPER))
    for n in range(10):
        await _send(handle, "update", ProgressUpdate(actor=HELPER, text=f"Update {n}"))
    await _send(handle, "resolve", Resolve(actor=DM))
    await _send(handle, "retro", Retro(actor=DM, notes="done"))
    await handle.result()
    return both_runs(client, handle, first_run)


async def reminded_escalated_and_approved(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """Messages go out per destination, concurrently; reminders and an escalation fire; status
    page posts; resolved on approval, then the retro."""
    handle = await _start(client, queue, "lanes", policy=POLICY, declare=True, lead=LEAD)
    await _send(handle, "ack", Command(actor=DM))
    await _send(handle, "join", Command(actor=HELPER))
    await _send(handle, "update", ProgressUpdate(actor=LEAD, text="Restarted the pods"))
    await _send(
        handle,
        "statuspage",
        PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="Search is slow"),
    )
    await _send(handle, "severity", ChangeSeverity(actor=LEAD, severity=Severity.SEV1))
    await env.sleep(timedelta(hours=1, minutes=5))  # two reminders and an escalation
    await _send(
        handle,
        "statuspage",
        PostStatusPage(actor=DM, status=StatusPageStatus.MONITORING, text="A fix is in place"),
    )
    await _send(handle, "resolve", Resolve(actor=LEAD, summary="Pods restarted"))
    await _send(handle, "approve", Command(actor=DM))
    await _send(handle, "retro", Retro(actor=DM, notes="Alert on search 5xx"))
    await handle.result()
    return [handle]


async def a_command_from_each_way_in(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """Declared from the CLI, then a command from each
    way in (Slack, a signal, a refused signal, an Update that says nothing), resolved, closed."""
    handle = await _start(
        client, queue, "arrivals", policy=POLICY, declare=True, lead=LEAD, arrived_via=Arrival.CLI
    )
    await _send(handle, "join", Command(actor=HELPER, arrived_via=Arrival.SLACK))
    await settle(handle)
    await handle.signal("progress_update", {"actor": HELPER, "text": "Rolled back"})
    await settle(handle)
    await handle.signal("dm_approval", {"actor": HELPER, "approved": True})  # refused
    await _send(handle, "update", ProgressUpdate(actor=LEAD, text="Error rate normal"))
    await _send(handle, "resolve", Resolve(actor=DM, arrived_via=Arrival.CLI))
    await _send(handle, "retro", Retro(actor=DM, notes="Arrivals", arrived_via=Arrival.SLACK))
    await handle.result()
    return [handle]


async def handbook_rows(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """The handbook's later rows: an ask nudged then answered, an ask declined (busy), the status
    page's cadence nudge, resolved on the DMs' criteria, reopened, the retro scheduled and held;
    with the bank holidays and cadences in the policy, and named timers."""
    holidays = [date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28)]
    hour = timedelta(hours=1)
    policy = POLICY.model_copy(
        update={
            "statuspage_reminder": {Severity.SEV1: timedelta(minutes=30), Severity.SEV2: hour},
            "ask_reminder": {Severity.SEV1: timedelta(minutes=15), Severity.SEV2: hour},
            "office_hours": OfficeHours(holidays=holidays),
        }
    )
    handle = await _start(
        client, queue, "handbook", policy=policy, declare=True, lead=LEAD, severity=Severity.SEV1
    )
    await _send(handle, "ask", Ask(actor=LEAD, to=HELPER, note="You know the CDN"))
    await env.sleep(timedelta(minutes=16))  # the ask is nudged once
    await _send(handle, "join", Command(actor=HELPER))
    await _send(handle, "ask", Ask(actor=LEAD, to="U0BOB"))
    await _send(handle, "busy", Busy(actor="U0BOB", reason="On leave"))
    await _send(handle, "criteria", SetCriteria(actor=DM, text="error rate under 1%"))
    page = PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="CDN errors")
    await _send(handle, "statuspage", page)
    await env.sleep(timedelta(minutes=31))  # the page's cadence nudges the DMs
    await _send(handle, "resolve", Resolve(actor=LEAD, criteria_met=True))
    await _send(handle, "reopen", Reopen(actor=DM, reason="Errors are back"))
    await _send(handle, "resolve", Resolve(actor=DM, summary="Purged the CDN"))
    resolved_at = (await handle.query(IncidentWorkflow.state)).resolved_at
    assert resolved_at is not None
    held_at = resolved_at + timedelta(hours=2)
    await _send(handle, "schedule", ScheduleRetro(actor=LEAD, at=held_at))
    await env.sleep(timedelta(hours=2, minutes=1))  # the people involved are reminded
    await _send(handle, "retro", Retro(actor=DM, notes="Purge rules reviewed", actions=["Alarm"]))
    await handle.result()
    return [handle]


async def due_timer_left_to_ring(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """An update 5 s before the stale-progress reminder moves its deadline: the timer due then
    is left to ring, not cancelled (workflows/incident.py, LEFT_TO_RING_WITHIN)."""
    policy = POLICY.model_copy(update={"office_hours": ALL_HOURS})
    handle = await _start(client, queue, "ring", policy=policy, declare=True, lead=LEAD)
    await _send(handle, "ack", Command(actor=DM))  # no acknowledgement reminder then
    await settle(handle)
    state = await handle.query(IncidentWorkflow.state)
    due = min(state.timers.values())
    await env.sleep(due - await env.get_current_time() - timedelta(seconds=5))
    await _send(handle, "update", ProgressUpdate(actor=LEAD, text="Restarted the pods"))
    await env.sleep(timedelta(minutes=31))  # the timer left to ring fires, and sends nothing
    await _send(handle, "resolve", Resolve(actor=LEAD, summary="Pods restarted"))
    await _send(handle, "approve", Command(actor=DM))
    await _send(handle, "retro", Retro(actor=DM, skip_reason="Routine"))
    await handle.result()
    return [handle]


class WorkerPolicy:
    """The recording worker's process settings (``activities/policy.py`` reads them from the
    environment); a path changes them as an operator restarting the worker would."""

    def __init__(self) -> None:
        self.policy = POLICY

    @activity.defn(name=ActivityName.READ_POLICY)
    async def read_policy(self) -> Policy:
        return self.policy


WORKER_POLICY = WorkerPolicy()


async def policy_from_the_worker(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """Started as every front end starts one, with no policy: the worker's is read when it opens
    (a local activity's marker in the history)."""
    handle = await _start(client, queue, "worker-policy", declare=True, lead=LEAD)
    await _send(handle, "ack", Command(actor=DM))
    await _send(handle, "update", ProgressUpdate(actor=LEAD, text="Restarted the pods"))
    await _send(handle, "resolve", Resolve(actor=LEAD, summary="Pods restarted"))
    await _send(handle, "approve", Command(actor=DM))
    await _send(handle, "retro", Retro(actor=DM, skip_reason="Routine"))
    await handle.result()
    return [handle]


async def delivery_managers_taken_later(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """Reported while the worker named no delivery manager; the worker then names one, and the
    report takes them at the next command (read again, recorded) before it is judged."""
    WORKER_POLICY.policy = Policy()
    try:
        handle = await _start(client, queue, "no-dm", description="Search 500s")
        await settle(handle)
    finally:
        WORKER_POLICY.policy = POLICY
    await _send(handle, "decline", Decline(actor=DM, reason="Known issue, fix scheduled"))
    await handle.result()
    return [handle]


async def reported_by_an_alarm(
    client: Client, queue: str, env: WorkflowEnvironment
) -> list[WorkflowHandle[Any, Any]]:
    """An alarm's workflow: its first firing opens a report (unanswered: nudged at any hour and
    escalated), it clears and fires again (recorded, then counted while it flaps), the report is
    declined, and the next firing opens a new report that names it. Returns the alarm's workflow
    (recorded under alarms/) and its first report."""
    key = "cloudwatch:arn:aws:cloudwatch:eu-west-2:123456789012:alarm:search-5xx"
    alarm = await client.start_workflow(
        AlarmWorkflow.run,
        AlarmStart(key=key, source=AlarmSource.CLOUDWATCH),
        id=alarm_workflow_id(key),
        task_queue=queue,
    )

    async def notify(n: int, *, firing: bool) -> None:
        notice = AlarmNotice(
            source=AlarmSource.CLOUDWATCH,
            key=key,
            delivery_id=f"sns:recorded-{n}",
            firing=firing,
            title="search-5xx",
            description="Threshold Crossed: 1 datapoint [12.0] was greater than 5.0.",
            at=await env.get_current_time(),
        )
        await alarm.execute_update(NOTIFY, notice, id=notice.delivery_id)
        for _ in range(500):
            state = await alarm.query(AlarmWorkflow.state)
            if state.pending == 0 and state.incident_id is not None:
                return
            await asyncio.sleep(0.01)

    await notify(1, firing=True)
    report = client.get_workflow_handle((await alarm.query(AlarmWorkflow.state)).incident_id or "")
    await env.sleep(timedelta(minutes=31))  # two nudges, one escalation
    await notify(2, firing=False)  # recorded: 31 minutes since the last entry
    await notify(3, firing=True)  # counted: flapping
    await _send(report, "ack", Command(actor=DM))
    await _send(report, "decline", Decline(actor=DM, reason="Known: a load test"))
    await report.result()
    await notify(4, firing=True)  # a new report, naming the declined one
    return [alarm, report]


PATHS = [
    declined,
    accepted_and_resolved,
    declared_handover_approved,
    continued_as_new,
    signalled,
    resolved_then_retro,
    marked_security_midway,
    started_with_search_attributes,
    reminded_escalated_and_approved,
    a_command_from_each_way_in,
    handbook_rows,
    due_timer_left_to_ring,
    policy_from_the_worker,
    delivery_managers_taken_later,
    reported_by_an_alarm,
]


# Paths that continue as new are recorded on the dev server: the time-skipping test server may
# never answer a query on a run that has just continued as new (so they need no time skipped).
ON_THE_DEV_SERVER = frozenset({"continued_as_new", "started_with_search_attributes"})


def _binary(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).parent / name)


async def _record(env: WorkflowEnvironment, paths: list[Any]) -> None:
    """Run ``paths`` against a worker of today's code on ``env``; write each run's history."""
    await ensure_search_attributes(env.client, "default")
    queue = f"record-{uuid.uuid4()}"
    activities = IncidentActivities(
        messenger=ConsoleMessenger(platform_channel="#wc-platform"), status_page=ConsoleStatusPage()
    )
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[IncidentWorkflow, AlarmWorkflow],
        activities=[
            *activities.all(),
            WORKER_POLICY.read_policy,
            *alarm_activities(
                IncidentClient(env.client, Settings(_env_file=None, temporal_task_queue=queue))
            ),
        ],
    ):
        for path in paths:
            handles = await path(env.client, queue, env)
            alarms = [h for h in handles if h.id.startswith(ALARM_ID_PREFIX)]
            for handle in alarms:  # an alarm's workflow: under alarms/, by the path's name
                history = await handle.fetch_history()
                (ALARM_HISTORIES / f"{path.__name__}.json").write_text(history.to_json())
                print(f"recorded alarms/{path.__name__}: {len(history.events)} events")
            handles = [h for h in handles if h not in alarms]
            for n, handle in enumerate(handles, start=1):
                history = await handle.fetch_history()
                name = path.__name__ if len(handles) == 1 else f"{path.__name__}_run{n}"
                (HISTORIES / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    ALARM_HISTORIES.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[1:])  # record only the named paths, keeping the others
    paths = [p for p in PATHS if not wanted or p.__name__ in wanted]
    skipping = [p for p in paths if p.__name__ not in ON_THE_DEV_SERVER]
    on_dev = [p for p in paths if p.__name__ in ON_THE_DEV_SERVER]
    if skipping:
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=pydantic_data_converter,
            test_server_existing_path=_binary("temporal-test-server"),
        )
        try:
            await _record(env, skipping)
        finally:
            await env.shutdown()
    if on_dev:
        env = await WorkflowEnvironment.start_local(
            data_converter=pydantic_data_converter,
            dev_server_existing_path=_binary("temporal"),
            dev_server_extra_args=[
                "--dynamic-config-value",
                "frontend.enableUpdateWorkflowExecution=true",
            ],
        )
        try:
            await _record(env, on_dev)
        finally:
            await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
