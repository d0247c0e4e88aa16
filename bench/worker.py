"""A bench worker process: the product's worker and the baseline's, reporting what reached people.

    python -m bench.worker --address HOST:PORT --incident-queue Q1 --bare-queue Q2

The product worker is ``worker.build_worker`` as shipped, with a recording messenger in place of
the console: every channel and message it is asked to deliver becomes one JSON line on stdout with
the wall-clock time it arrived, and so does every run of the baseline's no-op activity. With
``--slack-url`` it delivers through ``SlackMessenger`` instead, reporting each delivery once Slack
took it (the fan-out and lanes figures); with ``--statuspage-url`` it posts to the status page
through ``AtlassianStatusPage``. ``--delivery-managers`` names the organisation's delivery managers
in the worker's settings (INCIDENT_DELIVERY_MANAGERS), which an incident started without a policy
(an alarm's report) reads when it opens. The first line is ``{"event": "ready", ...}``. It stops on
SIGTERM or when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.console import ConsoleStatusPage
from activities.delivery import IncidentActivities, Messenger, StatusPage
from activities.policy import PolicyActivities
from bench.baseline import BareFired, BareWorkflow, bare_activity
from bench.harness import RUNNERS
from temporal_client.client import IncidentClient
from temporal_client.settings import Settings
from worker import (
    ACTIVITY_TASK_POLLERS,
    WORKFLOW_RUNNER,
    WORKFLOW_TASK_POLLERS,
    alarm_activities,
    build_worker,
)
from workflows.alarm import AlarmWorkflow
from workflows.destinations.slack import ChannelRef, ChannelRequest, Notice, PostedRef
from workflows.incident import IncidentWorkflow


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, "t": time.time(), **fields}) + "\n")
    sys.stdout.flush()


class RecordingMessenger:
    """Stands in for Slack inside the worker: records when each message reached it."""

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        emit("channel", incident=request.incident_id)
        name = "#" + request.name.lstrip("#")
        summary = None
        if request.summary is not None:  # posted with the channel, as SlackMessenger does
            emit_notice(request.summary)
            summary = PostedRef(channel_id=name, ts=request.summary.key)
        return ChannelRef(channel_id=name, name=name, summary=summary)

    async def deliver(self, notice: Notice) -> PostedRef | None:
        emit_notice(notice)
        # Where a standing message landed, as a real messenger says: without it the incident
        # could never edit its announcement or summary, and the bench would skip those edits.
        if notice.standing is None:
            return None
        return notice.replaces or PostedRef(channel_id="#bench", ts=notice.key)


class ReportingMessenger:
    """A real messenger (SlackMessenger) that reports each channel and message once it is out."""

    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        opened = await self._messenger.open_channel(request)
        emit("channel", incident=request.incident_id)
        if request.summary is not None and opened.summary is not None:
            emit_notice(request.summary)
        return opened

    async def deliver(self, notice: Notice) -> PostedRef | None:
        posted = await self._messenger.deliver(notice)
        emit_notice(notice)
        return posted


def emit_notice(notice: Notice) -> None:
    emit(
        "notice",
        incident=notice.incident.id,
        kind=notice.kind.value,
        audience=notice.audience.value,
        key=notice.key,
    )


def _record_bare(fired: BareFired) -> None:
    emit("bare", workflow_id=fired.workflow_id, index=fired.index)


def what_if_worker(
    client: Client, settings: Settings, activities: IncidentActivities, runner: str
) -> Worker:
    """``build_worker`` with another workflow runner or workflow: what a change would gain.

    ``passthrough``: Temporal's sandbox with the incident's own modules passed through (shipped
    until the worker went without a sandbox); ``sandboxed``: the SDK's default sandbox, which
    re-imports them for every workflow run; ``local-deliveries``: the shipped runner, with the
    incident delivering through local activities (``bench/local_deliveries.py``). Alarms' workflows
    and the activities reading the policy and opening reports are registered as the shipped
    worker registers them."""
    workflow_runner: WorkflowRunner = WORKFLOW_RUNNER
    if runner == "passthrough":
        restrictions = SandboxRestrictions.default.with_passthrough_modules(
            "workflows", "messages", "bench.local_deliveries"
        )
        workflow_runner = SandboxedWorkflowRunner(restrictions=restrictions)
    elif runner == "sandboxed":
        workflow_runner = SandboxedWorkflowRunner()
    workflow: type = IncidentWorkflow
    if runner == "local-deliveries":
        from bench.local_deliveries import LocalDeliveriesIncidentWorkflow

        workflow = LocalDeliveriesIncidentWorkflow
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[workflow, AlarmWorkflow],
        activities=[
            *activities.all(),
            PolicyActivities(settings).read_policy,
            *alarm_activities(IncidentClient(client, settings)),
        ],
        graceful_shutdown_timeout=timedelta(seconds=10),
        workflow_runner=workflow_runner,
        workflow_task_poller_behavior=WORKFLOW_TASK_POLLERS,
        activity_task_poller_behavior=ACTIVITY_TASK_POLLERS,
    )


async def serve(args: argparse.Namespace) -> None:
    client = await Client.connect(args.address, data_converter=pydantic_data_converter)
    workers: list[Worker] = []
    if args.incident_queue:
        messenger: Messenger = RecordingMessenger()
        if args.slack_url:
            from activities.slack import SlackMessenger

            messenger = ReportingMessenger(
                SlackMessenger.connect(
                    token=args.slack_token, base_url=args.slack_url, platform_channel="#wc-platform"
                )
            )
        status_page: StatusPage = ConsoleStatusPage(stream=io.StringIO())
        if args.statuspage_url:
            from activities.statuspage import AtlassianStatusPage

            status_page = AtlassianStatusPage.connect(
                api_key=args.statuspage_key,
                page_id=args.statuspage_page,
                base_url=args.statuspage_url,
            )
        activities = IncidentActivities(messenger=messenger, status_page=status_page)
        settings = Settings(temporal_address=args.address, temporal_task_queue=args.incident_queue)
        if args.delivery_managers is not None:
            settings = settings.model_copy(
                update={"incident_delivery_managers": args.delivery_managers}
            )
        if args.runner == "shipped":
            workers.append(build_worker(client, settings, activities=activities))
        else:
            workers.append(what_if_worker(client, settings, activities, args.runner))
    if args.bare_queue:
        workers.append(
            Worker(
                client,
                task_queue=args.bare_queue,
                workflows=[BareWorkflow],
                activities=[bare_activity(_record_bare)],
                # The same runner and pollers as the product's worker: the ratios compare
                # workflows, not worker settings.
                workflow_runner=WORKFLOW_RUNNER,
                workflow_task_poller_behavior=WORKFLOW_TASK_POLLERS,
                activity_task_poller_behavior=ACTIVITY_TASK_POLLERS,
            )
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    async with contextlib.AsyncExitStack() as stack:
        for each in workers:
            await stack.enter_async_context(each)
        emit("ready", pid=os.getpid())
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--address", required=True)
    parser.add_argument("--incident-queue")
    parser.add_argument("--bare-queue")
    parser.add_argument("--slack-url", help="deliver through SlackMessenger at this API base")
    parser.add_argument("--slack-token", default="xoxb-bench")
    parser.add_argument("--statuspage-url", help="post through AtlassianStatusPage at this base")
    parser.add_argument("--statuspage-key", default="bench-statuspage-key")
    parser.add_argument("--statuspage-page", default="bench-page")
    parser.add_argument(
        "--delivery-managers",
        help="INCIDENT_DELIVERY_MANAGERS of the worker's settings (comma-separated Slack ids)",
    )
    parser.add_argument(
        "--quiet-retries",
        action="store_true",
        help="do not log each failed activity attempt (a figure that breaks a stand-in on purpose)",
    )
    parser.add_argument("--runner", choices=RUNNERS, default="shipped")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.quiet_retries:
        logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    asyncio.run(serve(args))
    sys.stdout.flush()
    # Skip interpreter teardown: the SDK's Rust threads can abort it (temporalio/sdk-python#300).
    os._exit(0)


if __name__ == "__main__":
    main()
