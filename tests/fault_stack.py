"""What the fault suite kills and breaks: a dev server and workers as processes, stand-ins that
go down, hang or come back on the same port, and the count of what people received.

    server = DevServer(tmp / "temporal.db")          # fixed free ports, SQLite file
    server.start(); ...; server.kill(); server.start()   # SIGKILL, then the same file and ports
    worker = WorkerProcess(server.address, queue, env=stand_in_env(slack, page))
    slack = OutageSlack(token=TOKEN); await slack.start()
    hold = slack.hold("chat.postMessage", containing="marker", applied=True)
    await slack.go_down(); await slack.come_back()
    tally(history_effects, slack, page)   # expected vs delivered, duplicates, lost

Every process runs in its own session and is SIGKILLed by ``close()``; tests call it in finalizers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter

from messages import slack_blocks as sb
from operations.dev import temporal_cli
from tests.standins.common import StandIn, drop_connection, request_params
from tests.standins.slack import SlackStandIn
from tests.standins.statuspage import StatusPageStandIn
from tests.support import clean_env, free_port
from workflows.destinations.slack import Notice
from workflows.search_attributes import ALL_KEYS

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "build" / "faults_summary.jsonl"  # build/ is not committed


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, timeout: float, what: str, every: float = 0.25
) -> T:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        try:
            result = await check()
        except AssertionError:
            raise
        except Exception as error:  # the server may be restarting: keep polling
            result, last = None, error
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what} (last error: {last!r})")
        await asyncio.sleep(every)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


# --- Processes -----------------------------------------------------------------------------------


@dataclass
class DevServer:
    """`temporal server start-dev` on fixed ports and one SQLite file, killable and restartable."""

    db_file: Path
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            temporal_cli(),
            "server",
            "start-dev",
            "--db-filename",
            str(self.db_file),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--http-port",
            str(self.http_port),
            "--metrics-port",
            str(self.metrics_port),
            "--headless",
            "--log-level",
            "error",
            "--dynamic-config-value",
            "frontend.enableUpdateWorkflowExecution=true",
        ]
        for key in ALL_KEYS:
            command += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.title()}"]
        log = self.db_file.with_suffix(f".log{self.starts}").open("wb")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.starts += 1

    async def ready(self, timeout: float = 60) -> Client:
        async def answers() -> Client | None:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the dev server exited with {self.process.returncode}")
            client = await asyncio.wait_for(
                Client.connect(self.address, data_converter=pydantic_data_converter), 3
            )
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            return client

        return await eventually(answers, timeout=timeout, what="the dev server answers")

    def kill(self) -> None:
        """SIGKILL: no shutdown, whatever was not written to SQLite is gone."""
        if self.process is not None:
            _kill_group(self.process)
            self.process = None

    close = kill


@dataclass
class WorkerProcess:
    """`incident worker` as a subprocess, its output in a log file."""

    address: str
    task_queue: str
    log_dir: Path
    env: dict[str, str]
    name: str = "worker"
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("wb")
        env = clean_env(
            TEMPORAL_ADDRESS=self.address, TEMPORAL_TASK_QUEUE=self.task_queue, **self.env
        )
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "starter.py"), "worker"],
            cwd=self.log_dir,  # no .env file there
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.{self.starts}.log"

    async def polling(self, timeout: float = 60) -> None:
        async def started() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            return "worker polling task queue" in self.log_path.read_text()

        await eventually(started, timeout=timeout, what=f"{self.name} polls")

    def kill(self) -> None:
        if self.process is not None:
            _kill_group(self.process)
            self.process = None

    close = kill


# --- Stand-ins that go down, hang, and come back on the same port -----------------------------


@dataclass
class Hold:
    """The next request of ``method`` whose parameters contain ``containing`` waits for
    ``release``; with ``applied`` it is carried out first (posted, but never answered)."""

    method: str
    containing: str
    applied: bool
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Outage(StandIn):
    """A stand-in on a fixed port that can stop listening and come back on the same port."""

    port: int = field(default_factory=free_port)
    down: bool = False
    outages: int = 0
    dropped_while_down: int = 0
    holds: list[Hold] = field(default_factory=list)
    _site: web.TCPSite | None = None

    async def start(self, app: web.Application, path: str) -> str:
        app.middlewares.append(self._gatekeeper)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await self.come_back()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        return self.url

    async def go_down(self) -> None:
        """Stop listening; a request on a connection still open is dropped unanswered."""
        self.down, self.outages = True, self.outages + 1
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def come_back(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        self.down = False

    def hold(self, method: str, *, containing: str, applied: bool) -> Hold:
        hold = Hold(method=method, containing=containing, applied=applied)
        self.holds.append(hold)
        return hold

    @web.middleware
    async def _gatekeeper(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.down:
            self.dropped_while_down += 1
            return drop_connection(request)
        method = request.match_info.get("method", "")
        hold = next((h for h in self.holds if h.method == method), None)
        if hold is not None and hold.containing in json.dumps(await request_params(request)):
            self.holds.remove(hold)
            hold.reached.set()
            if hold.applied:
                await handler(request)
            await hold.release.wait()
            return drop_connection(request)
        return await handler(request)


@dataclass
class OutageSlack(SlackStandIn, Outage):  # type: ignore[misc]
    pass


@dataclass
class OutageStatusPage(StatusPageStandIn, Outage):  # type: ignore[misc]
    pass


def stand_in_env(slack: OutageSlack, page: OutageStatusPage) -> dict[str, str]:
    """The worker's settings that point it at the stand-ins."""
    return {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_API_URL": slack.url,
        "SLACK_PLATFORM_CHANNEL": "#wc-platform",
        "STATUSPAGE_API_KEY": page.api_key,
        "STATUSPAGE_PAGE_ID": page.page_id,
        "STATUSPAGE_API_URL": page.url,
    }


# --- Counting what was expected and what arrived -----------------------------------------------


async def scheduled_effects(handle: WorkflowHandle[Any, Any]) -> dict[str, dict[str, Any]]:
    """Every effect the workflow ever scheduled (all runs), by key: what people should get."""
    effects: dict[str, dict[str, Any]] = {}
    async for event in handle.fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        payloads = event.activity_task_scheduled_event_attributes.input.payloads
        effect = pydantic_data_converter.payload_converter.from_payloads(list(payloads))[0]
        effects[effect["key"]] = effect
    return effects


@dataclass
class Tally:
    expected: int
    delivered: int
    duplicates: int
    lost: int
    edits_expected: int
    edits_applied: int
    statuspage_expected: int
    statuspage_delivered: int


def tally(
    effects: dict[str, dict[str, Any]], slack: SlackStandIn, page: StatusPageStandIn
) -> Tally:
    """What the workflows scheduled against what the stand-ins hold: Slack messages per key (a
    direct notice is one message per recipient), edits of standing messages, status page updates.
    """
    expected: Counter[str] = Counter()
    edits: dict[str, tuple[str, str, str]] = {}
    for key, effect in effects.items():
        kind = effect["kind_of_effect"]
        if kind == "channel":
            expected[key] = 1
            if effect.get("summary"):  # the pinned summary, posted by the same activity
                expected[effect["summary"]["key"]] = 1
        elif kind == "notice" and effect.get("replaces"):
            # A standing message edited in place: chat.update keeps the message's own key (the
            # post's), so an edit is known by where it went and what it said.
            where = effect["replaces"]
            text = sb.notice_text(Notice.model_validate(effect))
            edits[key] = (where["channel_id"], where["ts"], text)
        elif kind == "notice":
            direct = effect["audience"] == "direct"
            expected[key] = len(set(effect["recipients"])) if direct else 1
    posted: Counter[tuple[str, str]] = Counter()
    for channel, message in slack.all_messages():
        for posted_key in sb.posted_keys(message):  # a merged message carries several
            posted[channel.id, posted_key] += 1
    channels_per_key: Counter[str] = Counter(key for _, key in posted)
    posts_per_key: Counter[str] = Counter()
    for (_, key), n in posted.items():
        posts_per_key[key] += n
    duplicates = sum(max(0, posts_per_key[key] - n) for key, n in expected.items())
    duplicates += sum(n for key, n in posts_per_key.items() if key not in expected)
    lost = sum(max(0, n - channels_per_key[key]) for key, n in expected.items())
    edited = {(c["channel"], c["ts"], c["text"]) for c in slack.calls("chat.update")}
    page_keys = [k for k, e in effects.items() if e["kind_of_effect"] == "statuspage"]
    page_updates = sum(len(i["incident_updates"]) for i in page.incidents.values())
    return Tally(
        expected=sum(expected.values()),
        delivered=sum(posted.values()),
        duplicates=duplicates,
        lost=lost,
        edits_expected=len(edits),
        edits_applied=sum(1 for edit in edits.values() if edit in edited),
        statuspage_expected=len(page_keys),
        statuspage_delivered=page_updates,
    )


_reported: list[str] = []  # this run's lines so far: the first one starts the summary afresh


def report(test: str, **figures: Any) -> dict[str, Any]:
    """Print the figure line and add it to this run's summary, which the README quotes (every
    fault suite's lines: the first report of a run empties what an earlier run left)."""
    line = {"test": test, **figures}
    print("FAULTS", json.dumps(line))
    SUMMARY.parent.mkdir(exist_ok=True)
    with SUMMARY.open("a" if _reported else "w") as summary:
        _reported.append(test)
        summary.write(json.dumps(line) + "\n")
    return line
