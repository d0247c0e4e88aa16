"""`incident upgrade-check`: replay every live workflow's history against the workflow code
installed here, so a release is proven against the open incidents before it is deployed.

    report = await check_upgrade(client, since=timedelta(days=7))
    report.breaking           # the workflows this code would break, each with its first mismatch
    report.patches_carried()  # patch id -> the open workflows whose history carries its marker

It lists the running IncidentWorkflows and AlarmWorkflows of the task queue (and those closed in
the last ``since``, which `show` and `timeline` still replay on a worker), fetches their histories
a few at a time, and replays each with Temporal's Replayer set up as ``worker.py`` sets up the
worker: the same workflows, the same workflow runner, no interceptor of the worker's, and the
client's data converter (so its payload codec). Temporal compares only the kinds of commands, and
every message is an activity of one type; so, as ``tests/test_replay.py`` does, each replay also
compares what every scheduled activity carries (its key, kind and audience) with the history: two
messages swapped would otherwise replay, each recorded result paired with the other message.
The words are ``messages/upgrade_check.py``'s; the command is ``frontends/cli_upgrade_check.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowExecution, WorkflowExecutionStatus, WorkflowHistory
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadCodec
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from messages import upgrade_check as say
from temporal_client.alarms import ALARM_WORKFLOW_TYPE
from temporal_client.client import WORKFLOW_TYPE, CommandError, IncidentClient
from temporal_client.codec import CodecError
from worker import WORKFLOW_RUNNER
from workflows.alarm import AlarmWorkflow
from workflows.incident import IncidentWorkflow
from workflows.search_attributes import INCIDENT_STATUS

# The workflows the worker registers (worker.build_worker; tests/test_upgrade_check.py holds it).
REPLAYED_WORKFLOWS: tuple[type, ...] = (IncidentWorkflow, AlarmWorkflow)
HISTORIES_AT_ONCE = 20  # fetched at the same time while one replays: the server stays responsive
PATCH_MARKER = "core_patch"  # the marker workflow.patched records, its id in "patch-data"
# What identifies a delivery, as tests/test_replay.py compares it.
DELIVERY_FIELDS = ("kind_of_effect", "key", "kind", "audience", "recipients", "status")


@dataclass(frozen=True)
class Delivery:
    """One scheduled activity: its type, and what identifies the work it carries."""

    activity: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Replayed:
    """One workflow replayed. ``mismatch`` is None when it replays the same, else the first
    difference in one sentence (``detail``: Temporal's own words, when they said it)."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str  # the incident's status while it runs (active…), else how it ended
    running: bool
    events: int
    mismatch: str | None = None
    detail: str | None = None
    patches: tuple[str, ...] = ()
    checked: bool = True  # False: its history could not be read (``mismatch`` says why)

    @property
    def kind(self) -> str:
        return "alarm" if self.workflow_type == ALARM_WORKFLOW_TYPE else "incident"


@dataclass(frozen=True)
class UpgradeReport:
    namespace: str
    task_queue: str
    since_days: int
    replayed: list[Replayed] = field(default_factory=list)

    @property
    def breaking(self) -> list[Replayed]:
        return [item for item in self.replayed if item.checked and item.mismatch is not None]

    @property
    def unchecked(self) -> list[Replayed]:
        return [item for item in self.replayed if not item.checked]

    @property
    def passed(self) -> bool:
        return not self.breaking and not self.unchecked

    def patches_carried(self) -> dict[str, list[str]]:
        """Patch id → the kind (incident, alarm) of each open workflow whose history carries it."""
        carried: dict[str, list[str]] = {}
        for item in self.replayed:
            for patch in item.patches if item.running else ():
                carried.setdefault(patch, []).append(item.kind)
        return carried


def live_query(task_queue: str, closed_since: datetime | None) -> str:
    """The visibility query for the running workflows of the queue, and those closed since
    ``closed_since`` (a run that continued as new lives on in its next run, listed itself)."""
    types = f'"{WORKFLOW_TYPE}", "{ALARM_WORKFLOW_TYPE}"'
    alive = 'ExecutionStatus = "Running"'
    if closed_since is not None:
        closed = (
            f'CloseTime >= "{closed_since.isoformat()}" AND ExecutionStatus != "ContinuedAsNew"'
        )
        alive = f"({alive} OR ({closed}))"
    return f'WorkflowType IN ({types}) AND TaskQueue = "{task_queue}" AND {alive}'


def status_word(execution: WorkflowExecution) -> str:
    """The incident's status (active, resolved, closed…), else how the run ended, else running."""
    status = execution.status
    incident_status = execution.typed_search_attributes.get(INCIDENT_STATUS)
    ended_as_it_says = status in (
        WorkflowExecutionStatus.RUNNING,
        WorkflowExecutionStatus.COMPLETED,
    )
    if incident_status and (status is None or ended_as_it_says):
        return incident_status
    return status.name.lower().replace("_", " ") if status is not None else "unknown"


def patch_markers(history: WorkflowHistory) -> dict[str, int]:
    """The patch ids whose markers the history records, each with its first marker's event id."""
    found: dict[str, int] = {}
    for event in history.events:
        if not event.HasField("marker_recorded_event_attributes"):
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name != PATCH_MARKER or "patch-data" not in marker.details:
            continue
        for payload in marker.details["patch-data"].payloads:  # written by the core, never sealed
            with contextlib.suppress(ValueError):
                patch = json.loads(payload.data).get("id")
                if isinstance(patch, str):
                    found.setdefault(patch, event.event_id)
    return found


def patches_in(history: WorkflowHistory) -> tuple[str, ...]:
    """The patch ids whose markers the history records, in order (once each)."""
    return tuple(patch_markers(history))


def _facts(carried: object) -> dict[str, Any]:
    data = carried if isinstance(carried, dict) else {}
    return {name: data.get(name) for name in DELIVERY_FIELDS}


async def recorded_deliveries(
    history: WorkflowHistory, codec: PayloadCodec | None
) -> list[tuple[int, Delivery]]:
    """Every activity the history scheduled, in order, with its event id and what it carried."""
    found = []
    for event in history.events:
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        scheduled = event.activity_task_scheduled_event_attributes
        payloads: Sequence[Payload] = scheduled.input.payloads[:1]
        if codec is not None and payloads:
            payloads = await codec.decode(payloads)
        carried = None
        if payloads and payloads[0].metadata.get("encoding") == b"json/plain":
            carried = json.loads(payloads[0].data)
        found.append((event.event_id, Delivery(scheduled.activity_type.name, _facts(carried))))
    return found


class _WatchDeliveries(Interceptor):
    """Notes every activity a replayed workflow schedules, by its workflow id."""

    def __init__(self) -> None:
        self.scheduled: dict[str, list[Delivery]] = {}

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        scheduled = self.scheduled

        class Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
                first = input.args[0] if input.args else None
                carried = first.model_dump(mode="json") if isinstance(first, BaseModel) else None
                noted = scheduled.setdefault(workflow.info().workflow_id, [])
                noted.append(Delivery(input.activity, _facts(carried)))
                return super().start_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound


def first_mismatch(
    failure: Exception | None,
    recorded: list[tuple[int, Delivery]],
    replayed: list[Delivery],
    markers: dict[str, int],
) -> tuple[str, str | None] | None:
    """The first difference (a sentence, and Temporal's words when it was Temporal's check), or
    None. A delivery that differs before the event Temporal stopped at (the one it names, or the
    marker of the patch it names) comes first."""
    stopped_at = None
    if failure is not None:
        named = say.replay_failure_event(str(failure))
        patch = say.replay_failure_patch(str(failure))
        stopped_at = int(named) if named else markers.get(patch or "")
    for (event_id, was), now in zip(recorded, replayed, strict=False):
        if stopped_at is not None and event_id >= stopped_at:
            break
        if was != now:
            return say.delivery_sentence(event_id, was, now), None
    if failure is not None:
        return say.replay_failure_sentence(str(failure)), say.core_message(str(failure))
    if len(replayed) < len(recorded):
        return say.fewer_deliveries_sentence(len(replayed), len(recorded)), None
    return None


@contextlib.contextmanager
def _quiet_sdk() -> Iterator[Runtime]:
    """A runtime whose core logs only errors, and the SDK's Python loggers muted: each mismatch
    is reported once, in the report, not as the worker's warning with a traceback."""
    runtime = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")),
            metrics=None,
        )
    )
    sdk = logging.getLogger("temporalio")
    level = sdk.level
    sdk.setLevel(logging.CRITICAL)
    try:
        yield runtime
    finally:
        sdk.setLevel(level)


async def _listed(client: IncidentClient, query: str) -> list[WorkflowExecution]:
    try:
        return [execution async for execution in client.temporal.list_workflows(query)]
    except RPCError as error:
        raise CommandError(await client._explain(error)) from None  # the client's own words


async def _fetched(
    client: IncidentClient, executions: list[WorkflowExecution], at_once: int
) -> AsyncIterator[tuple[WorkflowExecution, WorkflowHistory | str]]:
    """Each execution with its history (or why it could not be read), ``at_once`` fetched at a
    time, as they arrive."""
    arrived: asyncio.Queue[tuple[WorkflowExecution, WorkflowHistory | str]] = asyncio.Queue()
    waiting = iter(executions)

    async def fetch_some() -> None:
        for execution in waiting:  # shared: each fetcher takes the next one
            handle = client.temporal.get_workflow_handle(execution.id, run_id=execution.run_id)
            try:
                history: WorkflowHistory | str = await handle.fetch_history()
            except RPCError as error:
                history = say.unreadable_sentence(error.message)
            await arrived.put((execution, history))

    fetchers = [asyncio.create_task(fetch_some()) for _ in range(min(at_once, len(executions)))]
    try:
        for _ in executions:
            yield await arrived.get()
    finally:
        for task in fetchers:
            task.cancel()
        await asyncio.gather(*fetchers, return_exceptions=True)


async def check_upgrade(
    client: IncidentClient,
    *,
    since: timedelta,
    now: datetime | None = None,
    at_once: int = HISTORIES_AT_ONCE,
) -> UpgradeReport:
    """Replay the queue's running workflows, and those closed within ``since``, against this
    code; raise CommandError (one sentence) when Temporal cannot list them."""
    settings = client.settings
    closed_since = (now or datetime.now(UTC)) - since if since > timedelta(0) else None
    query = live_query(settings.temporal_task_queue, closed_since)
    executions = await _listed(client, query)
    report = UpgradeReport(
        namespace=settings.temporal_namespace,
        task_queue=settings.temporal_task_queue,
        since_days=since.days,
    )
    if not executions:
        return report
    # The client's converter and codec; failures kept readable (they stay in this process: with a
    # key, the worker's converter would hide a failing replay's message as "Encoded failure").
    converter = dataclasses.replace(
        client.temporal.data_converter, failure_converter_class=DefaultFailureConverter
    )
    watch = _WatchDeliveries()
    order: deque[tuple[WorkflowExecution, WorkflowHistory]] = deque()

    async def histories() -> AsyncIterator[WorkflowHistory]:
        async for execution, history in _fetched(client, executions, at_once):
            if isinstance(history, str):
                report.replayed.append(_unreadable(execution, history, execution.history_length))
                continue
            order.append((execution, history))
            yield history

    with _quiet_sdk() as runtime:
        replayer = Replayer(
            workflows=list(REPLAYED_WORKFLOWS),
            workflow_runner=WORKFLOW_RUNNER,
            data_converter=converter,
            interceptors=[watch],
            runtime=runtime,
        )
        async with replayer.workflow_replay_iterator(histories()) as results:
            async for result in results:
                execution, history = order.popleft()
                replayed = watch.scheduled.pop(history.workflow_id, [])
                report.replayed.append(
                    await _replayed(execution, history, result.replay_failure, replayed, converter)
                )
    return report


async def _replayed(
    execution: WorkflowExecution,
    history: WorkflowHistory,
    failure: Exception | None,
    replayed: list[Delivery],
    converter: DataConverter,
) -> Replayed:
    markers = patch_markers(history)
    try:
        recorded = await recorded_deliveries(history, converter.payload_codec)
        mismatch = first_mismatch(failure, recorded, replayed, markers)
    except CodecError as error:
        return _unreadable(execution, say.unreadable_sentence(str(error)), len(history.events))
    return Replayed(
        workflow_id=execution.id,
        run_id=execution.run_id,
        workflow_type=execution.workflow_type,
        status=status_word(execution),
        running=execution.status is WorkflowExecutionStatus.RUNNING,
        events=len(history.events),
        mismatch=mismatch[0] if mismatch else None,
        detail=mismatch[1] if mismatch else None,
        patches=tuple(markers),
    )


def _unreadable(execution: WorkflowExecution, sentence: str, events: int) -> Replayed:
    return Replayed(
        workflow_id=execution.id,
        run_id=execution.run_id,
        workflow_type=execution.workflow_type,
        status=status_word(execution),
        running=execution.status is WorkflowExecutionStatus.RUNNING,
        events=events,
        mismatch=sentence,
        checked=False,
    )
