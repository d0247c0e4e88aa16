"""The incident worker: runs every IncidentWorkflow and its delivery activities.

    python worker.py          # or: incident worker

It registers the incident search attributes first when they are missing (idempotent), so the
Temporal Web UI can list and filter incidents.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import PollerBehaviorSimpleMaximum, UnsandboxedWorkflowRunner, Worker

from activities.alarms import AlarmActivities
from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities, Messenger, StatusPage
from activities.policy import PolicyActivities
from activities.slack import SlackMessenger
from activities.statuspage import AtlassianStatusPage
from operations.build import build_id
from operations.logs import configure_logging
from temporal_client.client import IncidentClient
from temporal_client.connection import connect
from temporal_client.settings import Settings
from workflows.alarm import AlarmWorkflow
from workflows.incident import IncidentWorkflow
from workflows.model import EFFECT_TYPES
from workflows.search_attributes import ALL_KEYS

log = logging.getLogger("incident.worker")


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the incident search attributes that are missing; return the names added."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        # The time-skipping test server cannot list attributes, but adding them is harmless.
        if error.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = {
        key.name: IndexedValueType.ValueType(
            SearchAttributeIndexedValueType(key.indexed_value_type)
        )
        for key in ALL_KEYS
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


def build_activities(settings: Settings, *, json_logs: bool = False) -> IncidentActivities:
    """Slack when ``SLACK_BOT_TOKEN`` is set, Statuspage when its key and page are; else the
    console, which stays the default."""
    messenger: Messenger = ConsoleMessenger(
        platform_channel=settings.slack_platform_channel, json_lines=json_logs
    )
    if settings.slack_bot_token is not None:
        messenger = SlackMessenger.connect(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            platform_channel=settings.slack_platform_channel,
        )
    status_page: StatusPage = ConsoleStatusPage(json_lines=json_logs)
    if settings.statuspage_api_key is not None and settings.statuspage_page_id:
        status_page = AtlassianStatusPage.connect(
            api_key=settings.statuspage_api_key.get_secret_value(),
            page_id=settings.statuspage_page_id,
            base_url=settings.statuspage_api_url,
            components=settings.components(),
        )
    log.info("delivering through %s and %s", type(messenger).__name__, type(status_page).__name__)
    return IncidentActivities(messenger=messenger, status_page=status_page)


def destination_activities(settings: Settings) -> list[Callable[..., Any]]:
    """The activities of destinations that bring their own module (``Delivery.activities_module``:
    it has ``activities(settings)``, which returns none when the destination is not set up)."""
    modules = dict.fromkeys(k.activities_module for k in EFFECT_TYPES if k.activities_module)
    found: list[Callable[..., Any]] = []
    for name in modules:
        found.extend(importlib.import_module(name).activities(settings))
    return found


def alarm_activities(client: IncidentClient) -> list[Callable[..., Any]]:
    """An alarm's workflow opens reports and tells them of changes through the client."""
    alarms = AlarmActivities(client)
    return [alarms.open_alarm_report, alarms.forward_alarm]


def build_worker(
    client: Client, settings: Settings, *, activities: IncidentActivities | None = None
) -> Worker:
    """The worker for every incident; ``activities`` swaps the delivery (tests capture messages)."""
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[IncidentWorkflow, AlarmWorkflow],
        activities=[
            *(activities or build_activities(settings)).all(),
            PolicyActivities(settings).read_policy,
            *alarm_activities(IncidentClient(client, settings)),
            *destination_activities(settings),
        ],
        # Reported with every workflow task: the Web UI shows which build ran each step.
        build_id=build_id(),
        graceful_shutdown_timeout=timedelta(seconds=10),
        max_concurrent_activities=ACTIVITY_SLOTS,
        workflow_runner=WORKFLOW_RUNNER,
        workflow_task_poller_behavior=WORKFLOW_TASK_POLLERS,
        activity_task_poller_behavior=ACTIVITY_TASK_POLLERS,
    )


# No sandbox (a quarter of each workflow task): tests check what it would refuse. bench/HISTORY.md
WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()


# Posts waiting on Slack's pace keep their slot: 500 so other deliveries find one. bench/HISTORY.md
ACTIVITY_SLOTS = 500


# Ten fixed pollers: five left starts backlogged, autoscaled ones made timers late. bench/HISTORY.md
WORKFLOW_TASK_POLLERS = PollerBehaviorSimpleMaximum(maximum=10)
ACTIVITY_TASK_POLLERS = PollerBehaviorSimpleMaximum(maximum=10)


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving Prometheus metrics on INCIDENT_METRICS_PORT (SDK and incident metrics)."""
    if settings.incident_metrics_port is None:
        return None
    prometheus = PrometheusConfig(
        bind_address=f"0.0.0.0:{settings.incident_metrics_port}",
        counters_total_suffix=True,
        durations_as_seconds=True,
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


def log_encryption(settings: Settings) -> None:
    """Say at start whether incident payloads are encrypted, and with which key (never the key)."""
    keys = settings.codec_keys()
    if keys:
        log.info("payloads encrypted with key %s (%d key(s) can decrypt)", keys[0].id, len(keys))
    else:
        log.warning(
            "INCIDENT_CODEC_KEYS is not set: incident titles, descriptions and updates (security "
            "incidents' included) are stored in Temporal unencrypted"
        )


async def run_worker(
    settings: Settings, stop: asyncio.Event | None = None, *, json_logs: bool = False
) -> None:
    """Poll until ``stop`` is set, or until SIGINT/SIGTERM when no event is given."""
    client = await connect(settings, runtime=metrics_runtime(settings))
    log_encryption(settings)
    if not settings.delivery_managers():
        log.warning(
            "INCIDENT_DELIVERY_MANAGERS is not set: incidents opened now have no delivery "
            "manager until it is (each takes them at its next command once the worker has them)"
        )
    added = await ensure_search_attributes(client, settings.temporal_namespace)
    if added:
        log.info("registered search attributes %s", ", ".join(added))
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    activities = build_activities(settings, json_logs=json_logs)
    async with build_worker(client, settings, activities=activities):
        log.info(
            "worker polling task queue %r on %s (namespace %s), build %s",
            settings.temporal_task_queue,
            settings.temporal_address,
            settings.temporal_namespace,
            build_id(),
        )
        if settings.incident_metrics_port is not None:
            log.info("metrics on http://localhost:%d/metrics", settings.incident_metrics_port)
        await stop.wait()
    log.info("worker stopped")


def main() -> None:
    configure_logging("text")
    asyncio.run(run_worker(Settings()))


if __name__ == "__main__":
    main()
