"""The Slack relay's test stack: two `incident relay` processes, reached over HTTP on free ports
or in Socket Mode (the fixture runs each module both ways), the Slack stand-in as the Web API (and
response URLs, and Socket Mode's WebSocket), a real Temporal dev server and a worker delivering to
the stand-in. Shared by the relay's test modules (a module-scoped fixture: each module its own stack).

    async def test_something(stack: Stack) -> None:
        answer = await stack.say("declare Search down --lead <@U0LEAD>", user=LEAD)
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import pytest_asyncio
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.console import ConsoleStatusPage
from activities.delivery import IncidentActivities
from activities.slack import SlackMessenger
from messages.slack_blocks import ActionId
from temporal_client.settings import Settings
from tests.standins.slack import BOT_USER
from tests.standins.slack_relay import SOCKET, RelaySlackStandIn, SlackSender
from tests.support import clean_env, free_port, wait_until_polled
from worker import build_worker, ensure_search_attributes

T = TypeVar("T")
STARTER = Path(__file__).resolve().parent.parent / "starter.py"
TOKEN, SECRET, APP_TOKEN = "xoxb-relay-test", "relay-signing-secret", "xapp-relay-test"
DM1, DM2 = "U0DM1", "U0DM2"
WAIT_SECONDS = 20


async def eventually(check: Callable[[], Awaitable[T]], what: str) -> T:
    """``check()`` once it stops failing its assertions (deliveries and replies are async)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"never happened: {what}") from None
            await asyncio.sleep(0.1)


class Stack:
    """The relays, Slack, Temporal: the test's view of the whole thing."""

    def __init__(
        self,
        client: Client,
        slack: RelaySlackStandIn,
        relays: list[str],
        env: dict[str, str],
        transport: str = "http",
    ) -> None:
        self.client, self.slack, self.relays, self.env = client, slack, relays, env
        self.transport = transport  # "http" or "socket" (Socket Mode)
        self.sender = SlackSender(relays[0], SECRET, slack)
        self.ack_seconds: list[float] = []

    async def say(self, text: str, *, user: str, relay: int = 0) -> str:
        """``/incident text`` as ``user``; the private answer."""
        self.sender.relay_url = self.relays[relay]
        started = time.perf_counter()
        trigger = await self.sender.slash(text, user=user)
        self.ack_seconds.append(time.perf_counter() - started)
        return await self.reply(trigger)

    async def reply(self, key: str) -> str:
        async def answered() -> str:
            replies = self.slack.replies(key)
            assert replies, key
            assert all(r.get("response_type") == "ephemeral" for r in replies)
            return str(replies[-1]["text"])

        return await eventually(answered, f"a private answer to {key}")

    async def state(self, incident_id: str) -> dict[str, Any]:
        state = await self.client.get_workflow_handle(incident_id).query("state")
        assert isinstance(state, dict)
        return state

    async def updates(self, incident_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """Every Update the workflow accepted: ``(update id, name, argument)``."""
        history = await self.client.get_workflow_handle(incident_id).fetch_history()
        accepted = []
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                args = pydantic_data_converter.payload_converter.from_payloads(
                    list(request.input.args.payloads)
                )
                accepted.append((request.meta.update_id, request.input.name, args[0]))
        return accepted

    async def start_input(self, incident_id: str) -> dict[str, Any]:
        history = await self.client.get_workflow_handle(incident_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        value = pydantic_data_converter.payload_converter.from_payloads(
            list(started.input.payloads)
        )[0]
        assert isinstance(value, dict)
        return value

    async def message_with(
        self, channel: str, action: ActionId, incident_id: str
    ) -> dict[str, Any]:
        """The message in ``channel`` that carries the ``action`` button for the incident."""

        async def posted() -> dict[str, Any]:
            for message in self.slack.messages(channel) if channel in self.slack.channels else []:
                for block in message["blocks"]:
                    for element in block.get("elements", []) if block["type"] == "actions" else []:
                        if element["action_id"] == action and element["value"] == incident_id:
                            return message
            raise AssertionError(f"no {action} button for {incident_id} in {channel}")

        return await eventually(posted, f"{action} for {incident_id} in {channel}")

    async def edited(self, channel: str, message: dict[str, Any], says: str) -> dict[str, Any]:
        """``message`` once the relay's edit saying ``says`` reached Slack: the relay answers the
        click first and edits the message after, so the answer can arrive before the edit."""

        async def decided() -> dict[str, Any]:
            now = next(m for m in self.slack.messages(channel) if m["ts"] == message["ts"])
            assert says in now["text"], now["text"]
            return now

        return await eventually(decided, f"the message in {channel} edited to say {says!r}")

    async def view_opened(self, trigger: str) -> dict[str, Any]:
        """The modal Slack opened for the request whose trigger id is ``trigger``."""

        async def opened() -> dict[str, Any]:
            found = [view for view in self.slack.views if view["trigger_id"] == trigger]
            assert found, trigger
            return found[-1]

        return await eventually(opened, f"a modal for {trigger}")

    async def summary(self, incident_id: str, *, with_action: ActionId) -> dict[str, Any]:
        """The incident channel's pinned summary, once it carries ``with_action``."""

        async def pinned() -> dict[str, Any]:
            channels = [c for c in self.slack.channels.values() if c.name == incident_id]
            assert channels, f"no channel {incident_id} yet"
            pinned = [m for m in channels[0].messages if m["ts"] in channels[0].pinned]
            assert pinned, f"no summary pinned in {incident_id} yet"
            message = pinned[0]
            actions = [
                element["action_id"]
                for block in message["blocks"]
                if block["type"] == "actions"
                for element in block["elements"]
            ]
            assert with_action in actions, actions
            return message

        return await eventually(pinned, f"the summary of {incident_id} with {with_action}")

    async def cli(self, *args: str, as_user: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(STARTER), "--as", as_user, *args,
            env=self.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()


async def _wait_until_serving(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError(f"the relay exited: {log.read_text()}")
        try:
            async with aiohttp.ClientSession() as session, session.get(url) as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"the relay never served {url}: {log.read_text()}")


async def _own_namespace(dev_env: WorkflowEnvironment, namespace: str) -> Client:
    """A namespace of the dev server for one stack, with the incident search attributes: each
    module, run over each transport, names its incidents as it likes."""
    await dev_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    client = await Client.connect(
        dev_env.client.service_client.config.target_host,
        namespace=namespace,
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(client, namespace)
    return client


async def _wait_until_connected(
    slack: RelaySlackStandIn, count: int, process: asyncio.subprocess.Process, log: Path
) -> None:
    for _ in range(300):
        if process.returncode is not None:
            raise AssertionError(f"the relay exited: {log.read_text()}")
        if len(slack.sockets) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the relay never connected in Socket Mode: {log.read_text()}")


@pytest_asyncio.fixture(scope="module", params=["http", "socket"])
async def stack(
    request: pytest.FixtureRequest,
    dev_env: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    """The stack with its relays reached over HTTP (signed requests) or in Socket Mode (each
    relay's own WebSocket connection to the stand-in): every test runs both ways."""
    transport = str(request.param)
    client = await _own_namespace(dev_env, f"relay-{transport}-{uuid.uuid4().hex[:8]}")
    slack = RelaySlackStandIn(token=TOKEN, app_token=APP_TOKEN)
    await slack.start()
    slack.add_channel("wc-platform", members={BOT_USER})
    task_queue = f"relay-{uuid.uuid4()}"
    activities = IncidentActivities(
        messenger=SlackMessenger.connect(
            token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=0
        ),
        status_page=ConsoleStatusPage(stream=io.StringIO()),
    )
    # The organisation's policy is the worker's; the relays' environment has none.
    settings = Settings(
        _env_file=None,
        temporal_task_queue=task_queue,
        temporal_namespace=client.namespace,
        incident_delivery_managers=f"{DM1},{DM2}",
    )
    workdir = tmp_path_factory.mktemp("relay")
    env = clean_env(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=task_queue,
        TEMPORAL_NAMESPACE=client.namespace,
    )
    relay_env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.url}
    relay_env |= {"SLACK_APP_TOKEN": APP_TOKEN} if transport == "socket" else {}
    relay_env |= {"SLACK_SIGNING_SECRET": SECRET} if transport == "http" else {}
    processes = []
    async with build_worker(client, settings, activities=activities):
        await wait_until_polled(client, task_queue)
        try:
            urls = []
            for number in range(2):  # stateless: two relays side by side, either may answer
                port, log = free_port(), workdir / f"relay-{number}.log"
                process = await asyncio.create_subprocess_exec(
                    sys.executable, str(STARTER), "relay", "--host", "127.0.0.1",
                    "--port", str(port), cwd=workdir, env=relay_env,
                    stdout=log.open("w"), stderr=asyncio.subprocess.STDOUT,
                )  # fmt: skip
                processes.append(process)
                if transport == "socket":  # no HTTP at all: a connection to Slack
                    await _wait_until_connected(slack, number + 1, process, log)
                    urls.append(f"{SOCKET}{number}")
                else:
                    await _wait_until_serving(f"http://127.0.0.1:{port}/healthz", process, log)
                    urls.append(f"http://127.0.0.1:{port}/slack/events")
            yield Stack(client, slack, urls, {**env, "PYTHONUNBUFFERED": "1"}, transport)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
                    await process.wait()
            await slack.stop()


def one_sentence(text: str) -> bool:
    return "\n" not in text and text.endswith(".") and "Traceback" not in text
