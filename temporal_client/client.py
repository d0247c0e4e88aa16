"""The one Temporal client layer behind both front ends, the CLI and the Slack relay.

Each call either returns its answer or raises :class:`CommandError` with one plain sentence:
refusals by the process, unknown or closed incidents, no server, no worker.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from messages.summary import static_summary
from temporal_client.codec import CodecError
from temporal_client.settings import Settings
from workflows.model import (
    Action,
    Command,
    IncidentStart,
    IncidentState,
    Receipt,
    Status,
    TimelineEntry,
)
from workflows.search_attributes import (
    INCIDENT_LEAD,
    INCIDENT_SECURITY,
    INCIDENT_SEVERITY,
    INCIDENT_STATUS,
    search_attribute_values,
    typed_search_attributes,
)
from workflows.vocabulary.basics import OPEN_STATUSES

T = TypeVar("T")

_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")  # fullmatch: `$` would let a final "\n" through
_SLUG_MAX = 50
WORKER_SEEN_FOR = 5.0  # seconds
_REQUEST_MEMO = "request_id"  # the front end's id of the request that started an incident
OPEN_LISTED_MAX = 50  # open incidents read for one view (the Slack Home tab)
# The workflow by its names (checked against workflows/incident.py by tests/test_commands_table.py)
# rather than its class: importing the workflow would make every CLI command, `incident show`
# too, import the whole process.
WORKFLOW_TYPE = "IncidentWorkflow"
STATE_QUERY = "state"
TIMELINE_QUERY = "timeline"
OPENING_POLL_SECONDS = 0.02


class CommandError(Exception):
    """A command that did not happen, with the one sentence that says why."""


@dataclass(frozen=True)
class IncidentListing:
    id: str
    title: str
    status: str
    severity: str | None
    lead: str | None
    security: bool
    started_at: datetime | None


def check_incident_id(text: str) -> str:
    if not _ID.fullmatch(text):
        raise CommandError(
            f"{text!r} is not a valid incident id: use lowercase letters, digits, dots and "
            "dashes, at most 100 characters."
        )
    return text


def incident_id_for(title: str, day: date, *, security: bool = False) -> str:
    """``inc-2026-11-22-search-api-down`` from the day and the title.

    A security incident's id says nothing of its title (``inc-2026-11-22-security``): the id is
    shown wherever the incident is (the Web UI list, the private channel's name).
    """
    words = "security" if security else title
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:_SLUG_MAX].strip("-")
    return f"inc-{day.isoformat()}-{slug or 'incident'}"


async def _listed_title(execution: WorkflowExecution) -> str:
    """The title kept in the memo; an incident sealed with a key this client lacks still lists."""
    try:
        return str(await execution.memo_value("title", ""))
    except CodecError:
        return "(encrypted with a key INCIDENT_CODEC_KEYS does not hold)"
    except (KeyError, RuntimeError):  # a client with no codec at all meets an encrypted memo
        return "(encrypted)"


def opening_search_attributes(start: IncidentStart) -> TypedSearchAttributes:
    """The search attributes a new incident starts with (its status, severity, lead), given
    with the start so the Web UI lists it at once and the workflow need not upsert them."""
    from workflows.process import Incident

    return typed_search_attributes(
        search_attribute_values(Incident.open(start, datetime.now(UTC)).state)
    )


def opening(start: IncidentStart) -> tuple[IncidentStart, dict[str, Any]]:
    """The start as every new incident is started (`incident declare`, the relay, the bench):
    its search attributes given, so its first workflow task writes none, and its title in the
    memo and the Web UI's summary. Returns the input and the options of ``start_workflow``."""
    start = start.model_copy(update={"search_attributes_given": True})
    title = static_summary(start.title, security=start.security)
    return start, {
        "search_attributes": opening_search_attributes(start),
        "memo": {"title": title},
        "static_summary": title,
    }


async def query_incident(handle: WorkflowHandle[Any, Any], name: str, result_type: type[T]) -> T:
    """Query the incident; its state asked in the moment it opens (its worker reading the
    organisation's policy, milliseconds) is a preview marked ``opening``: ask again."""
    while True:
        answer: T = await handle.query(name, result_type=result_type)
        if not (isinstance(answer, IncidentState) and answer.opening):
            return answer
        await asyncio.sleep(OPENING_POLL_SECONDS)


class IncidentClient:
    def __init__(self, client: Client, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._timeout = settings.incident_cli_timeout_seconds
        self._worker_seen_at = -math.inf

    @property
    def settings(self) -> Settings:
        return self._settings

    async def start(
        self,
        start: IncidentStart,
        *,
        explicit_id: bool,
        request_id: str | None = None,
        from_a_worker: bool = False,
    ) -> IncidentState:
        """Start an incident; a generated id that is taken gets a ``-2``, ``-3``… suffix.

        ``request_id`` (kept in the memo) makes a repeated request find the incident it started.
        ``from_a_worker`` (an alarm's activity) knows a worker is there: it is one.
        """
        if not from_a_worker:
            await self._require_worker()
        start, options = opening(start)
        if request_id is not None:
            options["memo"][_REQUEST_MEMO] = request_id
        base = start.id
        for attempt in range(1, 100):
            candidate = base if attempt == 1 else f"{base}-{attempt}"
            try:
                handle = await self._client.start_workflow(
                    WORKFLOW_TYPE,
                    start.model_copy(update={"id": candidate}),
                    result_type=IncidentState,
                    id=candidate,
                    task_queue=self._settings.temporal_task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    **options,
                )
            except WorkflowAlreadyStartedError:
                if request_id is not None and await self._started_by(candidate, request_id):
                    return await self.state(candidate)
                if explicit_id:
                    raise CommandError(f"An incident with id {candidate} already exists.") from None
                continue
            except RPCError as error:
                raise CommandError(await self._explain(error, candidate)) from None
            return await self._bounded(
                query_incident(handle, STATE_QUERY, IncidentState),
                candidate,
                unanswered=f"Incident {candidate} was created, but no worker answered within "
                f"{self._timeout:g} s: is `incident worker` (or `incident dev`) running?",
            )
        raise CommandError(f"Too many incidents named {base} today; give one with --id.")

    async def send(
        self, incident_id: str, action: Action, command: Command, *, request_id: str | None = None
    ) -> Receipt:
        """Send one command as an Update; the workflow's validator may refuse it.

        ``request_id`` becomes the Update id: Temporal applies an Update id once per workflow run
        and answers a repeat with the first outcome, so a redelivered request is not applied twice.
        """
        handle = self._handle(incident_id)
        await self._require_worker()
        update_id = f"{action.value}:{request_id}" if request_id else str(uuid.uuid4())
        try:
            return await self._bounded(
                handle.execute_update(action.value, command, id=update_id, result_type=Receipt),
                incident_id,
                # The server keeps the update: it is applied when a worker comes back.
                unanswered=f"No worker answered {action.value} on {incident_id} within "
                f"{self._timeout:g} s, so it may still take effect when `incident worker` (or "
                f"`incident dev`) runs: check `incident show {incident_id}` before repeating it.",
            )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                raise CommandError(cause.message) from None
            raise CommandError(f"The {action.value} on {incident_id} failed: {cause}.") from None

    @property
    def temporal(self) -> Client:
        """The Temporal client itself, for what only a worker's activities send."""
        return self._client

    async def state(self, incident_id: str) -> IncidentState:
        handle = self._handle(incident_id)
        return await self._bounded(query_incident(handle, STATE_QUERY, IncidentState), incident_id)

    async def timeline(self, incident_id: str) -> list[TimelineEntry]:
        handle = self._handle(incident_id)
        return await self._bounded(
            query_incident(handle, TIMELINE_QUERY, list[TimelineEntry]), incident_id
        )

    async def ended(self, since: datetime | None = None) -> list[IncidentState]:
        """The final state of every incident that has ended (closed or declined)."""
        query = f'WorkflowType = "{WORKFLOW_TYPE}" AND ExecutionStatus = "Completed"'
        if since:
            query += f' AND StartTime >= "{since.isoformat()}"'
        states = []
        try:
            async for execution in self._client.list_workflows(query):
                handle = self._client.get_workflow_handle(
                    execution.id, run_id=execution.run_id, result_type=IncidentState
                )
                states.append(await handle.result())
        except RPCError as error:
            raise CommandError(await self._explain(error)) from None
        except CodecError as error:
            raise CommandError(str(error)) from None
        return states

    async def open_incidents(self, *, limit: int = OPEN_LISTED_MAX) -> list[IncidentState]:
        """The state of each open incident (triage to resolved), newest first, as its workflow
        answers now; one whose worker does not answer in time is left out."""
        statuses = ", ".join(f'"{status.value}"' for status in sorted(OPEN_STATUSES))
        query = (
            f'WorkflowType = "{WORKFLOW_TYPE}" AND ExecutionStatus = "Running" '
            f"AND {INCIDENT_STATUS.name} IN ({statuses})"
        )
        try:
            ids = [e.id async for e in self._client.list_workflows(query, limit=limit)]
        except RPCError as error:
            raise CommandError(await self._explain(error)) from None
        answers = await asyncio.gather(*(self.state(i) for i in ids), return_exceptions=True)
        return [answer for answer in answers if isinstance(answer, IncidentState)]

    async def list(self, status: Status | None = None) -> list[IncidentListing]:
        query = f'WorkflowType = "{WORKFLOW_TYPE}"'
        if status:
            query += f' AND {INCIDENT_STATUS.name} = "{status.value}"'
        listings = []
        try:
            async for execution in self._client.list_workflows(query):
                attributes = execution.typed_search_attributes
                listings.append(
                    IncidentListing(
                        id=execution.id,
                        title=await _listed_title(execution),
                        status=attributes.get(INCIDENT_STATUS) or "starting",
                        severity=attributes.get(INCIDENT_SEVERITY),
                        lead=attributes.get(INCIDENT_LEAD),
                        security=bool(attributes.get(INCIDENT_SECURITY)),
                        started_at=execution.start_time,
                    )
                )
        except RPCError as error:
            raise CommandError(await self._explain(error)) from None
        return listings

    async def _started_by(self, incident_id: str, request_id: str) -> bool:
        """Whether the incident with this id was started by the request with this id."""
        try:
            description = await self._client.get_workflow_handle(incident_id).describe()
            return bool(await description.memo_value(_REQUEST_MEMO, "") == request_id)
        except (RPCError, CodecError):
            return False

    def _handle(self, incident_id: str) -> WorkflowHandle[Any, IncidentState]:
        check_incident_id(incident_id)
        return self._client.get_workflow_handle(incident_id, result_type=IncidentState)

    async def _bounded(
        self, call: Awaitable[T], incident_id: str, *, unanswered: str | None = None
    ) -> T:
        """Await a call to the workflow, turning every failure into one sentence.

        ``unanswered`` is the sentence when no worker answers in time.
        """
        try:
            return await asyncio.wait_for(call, timeout=self._timeout)
        except (TimeoutError, RPCTimeoutOrCancelledError):
            # A cancelled update call raises RPCTimeoutOrCancelledError, not TimeoutError.
            raise CommandError(
                unanswered
                or f"No worker answered for {incident_id} within {self._timeout:g} s: is "
                "`incident worker` (or `incident dev`) running?"
            ) from None
        except RPCError as error:
            raise CommandError(await self._explain(error, incident_id)) from None
        except WorkflowQueryFailedError as error:
            raise CommandError(f"Could not read {incident_id}: {error}.") from None
        except CodecError as error:
            raise CommandError(str(error)) from None

    async def _explain(self, error: RPCError, incident_id: str | None = None) -> str:
        if error.status is RPCStatusCode.NOT_FOUND and "namespace" in error.message.lower():
            return (
                f"Temporal at {self._settings.temporal_address} has no namespace "
                f"{self._settings.temporal_namespace!r}: check TEMPORAL_NAMESPACE."
            )
        if "invalid search attribute" in error.message:
            return (
                "Temporal does not know the incident search attributes yet: "
                "`incident worker` registers them when it starts."
            )
        if incident_id is None:
            return f"Temporal refused the request: {error.message.rstrip('.')}."
        if "already completed" in error.message:
            try:
                description = await self._client.get_workflow_handle(incident_id).describe()
            except RPCError:
                return f"Incident {incident_id} is closed."
            if description.status is WorkflowExecutionStatus.COMPLETED:
                return f"Incident {incident_id} is closed; it takes no more commands."
            ended = description.status.name.lower() if description.status else "ended"
            return f"Incident {incident_id} has ended ({ended})."
        if error.status is RPCStatusCode.NOT_FOUND:
            return f"There is no incident {incident_id}."
        return f"Temporal refused the request for {incident_id}: {error.message.rstrip('.')}."

    async def _require_worker(self) -> None:
        """Refuse before changing anything when no worker polls the task queue.

        A long-lived front end (the relay) asks at most every ``WORKER_SEEN_FOR`` seconds: a
        worker seen that recently is taken to be there (a start costs one call less).
        """
        if time.monotonic() - self._worker_seen_at < WORKER_SEEN_FOR:
            return
        queue = self._settings.temporal_task_queue
        try:
            response = await self._client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=self._settings.temporal_namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
        except RPCError as error:
            raise CommandError(await self._explain(error)) from None
        if not response.pollers:
            raise CommandError(
                f"No worker is polling task queue {queue!r}: start one with `incident worker` "
                "(or `incident dev`); nothing was changed."
            )
        self._worker_seen_at = time.monotonic()
