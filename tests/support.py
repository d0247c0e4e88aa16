"""What tests that start processes and servers share: free ports, a clean environment, and
waiting until a worker polls its task queue."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

# Settings a developer's shell may hold, and proxies (slack-sdk reads them, ignoring NO_PROXY).
SETTING_PREFIXES = ("TEMPORAL_", "INCIDENT_", "SLACK_", "STATUSPAGE_")
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
        namespace="default",
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    for _ in range(tries):
        if (await client.workflow_service.describe_task_queue(request)).pollers:
            return
        assert still_alive is None or still_alive(), "the worker exited at start"
        await asyncio.sleep(0.1)
    raise AssertionError(f"nobody polls {task_queue}")
