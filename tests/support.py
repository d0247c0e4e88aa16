"""What tests that start processes and servers share: free ports, a clean environment, and
waiting until a worker polls its task queue."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.server import free_port as free_port  # outside the ephemeral range: see there

# Settings a developer's shell may hold, and proxies (slack-sdk reads them, ignoring NO_PROXY).
SETTING_PREFIXES = ("TEMPORAL_", "INCIDENT_", "SLACK_", "STATUSPAGE_")
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

# Wall-clock bounds in tests are what the behaviour needs on the 2-core CI machine (shared with
# the Temporal server, workers and stand-ins), times this one factor: on a slower or busier
# machine set INCIDENT_TEST_TIME_FACTOR=2 (or more) rather than editing a bound.
TIME_FACTOR = float(os.environ.get("INCIDENT_TEST_TIME_FACTOR", "1"))


def seconds(bound: float) -> float:
    """A wall-clock bound, scaled by TIME_FACTOR."""
    return bound * TIME_FACTOR


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without settings or proxies, plus ``settings``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SETTING_PREFIXES) and name.upper() not in PROXIES
    }
    return {**env, **settings}


async def wait_until_polled(
    client: Client,
    task_queue: str,
    *,
    tries: int = 100,
    still_alive: Callable[[], bool] | None = None,
) -> None:
    """Until the server has seen a workflow poller on ``task_queue`` (the CLI refuses before)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    for _ in range(tries):
        if (await client.workflow_service.describe_task_queue(request)).pollers:
            return
        assert still_alive is None or still_alive(), "the worker exited at start"
        await asyncio.sleep(0.1)
    raise AssertionError(f"nobody polls {task_queue}")


def get_when_ready(
    url: str,
    ready: Callable[[httpx.Response], bool],
    *,
    seconds: float,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """GET ``url`` until ``ready(response)``, within ``seconds``.

    A refused connection or a 5xx is "not yet" (a server still starting, or one whose own
    upstream connection is backing off), never a failure on its own; a 4xx fails at once. On the
    deadline, fails with what it last saw.
    """
    deadline = time.monotonic() + seconds
    last_seen = "nothing yet"
    while True:
        try:
            response = httpx.get(url, params=params, timeout=5, trust_env=False)
        except httpx.TransportError as error:
            last_seen = f"{type(error).__name__}: {error}"
        else:
            if 400 <= response.status_code < 500:
                response.raise_for_status()
            if response.status_code < 400 and ready(response):
                return response
            last_seen = f"{response.status_code}: {response.text[:500]}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} not ready within {seconds} s; last seen {last_seen}")
        time.sleep(0.5)
