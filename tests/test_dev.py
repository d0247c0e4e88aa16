"""End to end: `incident dev` runs a whole local stack, lists incidents in the Web UI, keeps them.

Starts `incident dev` as a subprocess on free ports with its data in a temporary directory,
declares an incident with the CLI, reads it back through the Web UI's HTTP API, stops the stack
with Ctrl-C (SIGINT), and starts it again on the same data to find the incident still there.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.support import clean_env, free_port, get_when_ready, seconds

pytestmark = pytest.mark.e2e

STARTER = Path(__file__).resolve().parent.parent / "starter.py"
STARTUP_SECONDS = 90
STOP_SECONDS = seconds(20)
DM, DEV = "U0DM1", "U0DEV"


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """One `incident dev` process; its stdout lines arrive on a queue."""

    def __init__(self, env: dict[str, str], cwd: Path, ui_port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(STARTER), "dev", "--ui-port", str(ui_port)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for_line(self, start: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, f"incident dev exited: {self.seen}"
                continue
            self.seen.append(line)
            if line.startswith(start):
                return line
        raise AssertionError(f"no {start!r} line within {seconds} s: {self.seen}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=STOP_SECONDS)

    def kill(self) -> None:
        """Stop it, the Temporal server included (SIGKILL alone would orphan the server)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        INCIDENT_DATA_DIR=str(tmp_path / "data"),
        INCIDENT_DELIVERY_MANAGERS=DM,
    )


@contextmanager
def running(env: dict[str, str], cwd: Path, ui_port: int) -> Iterator[Stack]:
    stack = Stack(env, cwd, ui_port)
    try:
        stack.wait_for_line("Web UI:", STARTUP_SECONDS)
        yield stack
    finally:
        stack.kill()


def cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(STARTER), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _listed(response: httpx.Response) -> list[str]:
    return [item["execution"]["workflowId"] for item in response.json().get("executions") or []]


def wait_until_listed_active(ui_port: int, incident_id: str) -> None:
    """Visibility is eventually consistent; the UI's API is asked until it lists the incident."""
    get_when_ready(
        f"http://127.0.0.1:{ui_port}/api/v1/namespaces/default/workflows",
        lambda response: incident_id in _listed(response),
        params={"query": 'IncidentStatus="active"'},
        seconds=30,
    )


def test_dev_runs_lists_in_the_web_ui_stops_on_ctrl_c_and_keeps_incidents(env, tmp_path):
    ui_port = free_port()
    server_port = int(env["TEMPORAL_ADDRESS"].rsplit(":", 1)[1])
    incident_id = f"dev-{uuid.uuid4().hex[:8]}"

    with running(env, tmp_path, ui_port) as stack:
        # Announced only once the UI answers: a link opened at once shows the UI, not a 503.
        namespace = httpx.get(
            f"http://127.0.0.1:{ui_port}/api/v1/namespaces/default", timeout=5, trust_env=False
        )
        assert namespace.status_code == 200, namespace.text
        declared = cli(
            env, tmp_path, "--as", DEV, "declare", "Search down", "--lead", DEV, "--id", incident_id
        )
        assert declared.returncode == 0, declared.stderr
        assert declared.stdout.strip() == incident_id

        wait_until_listed_active(ui_port, incident_id)
        assert (tmp_path / "data" / "temporal.db").is_file()

        started = time.monotonic()
        assert stack.interrupt() == 0
        assert time.monotonic() - started < STOP_SECONDS
    assert not _port_open(server_port)
    assert not _port_open(ui_port)

    with running(env, tmp_path, ui_port) as stack:
        shown = cli(env, tmp_path, "--json", "show", incident_id)
        assert shown.returncode == 0, shown.stderr
        state = json.loads(shown.stdout)
        assert (state["id"], state["status"], state["title"]) == (
            incident_id,
            "active",
            "Search down",
        )
        assert stack.interrupt() == 0
    assert not _port_open(server_port)


async def test_a_server_that_never_answers_is_stopped_not_left_running(tmp_path, monkeypatch):
    from operations import dev
    from temporal_client.client import CommandError
    from temporal_client.settings import Settings

    pid_file = tmp_path / "server.pid"
    sleeper = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    monkeypatch.setattr(dev, "STARTUP_TIMEOUT_SECONDS", 2)
    monkeypatch.setattr(
        dev, "server_command", lambda settings, ui_port: [sys.executable, "-c", sleeper]
    )
    settings = Settings(
        _env_file=None,
        temporal_address=f"127.0.0.1:{free_port()}",
        incident_data_dir=tmp_path / "data",
    )
    loop = asyncio.get_running_loop()
    try:
        with pytest.raises(CommandError, match="did not start in 2 s"):
            await dev.run_dev(settings, ui_port=free_port())
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def _ui_standin(statuses: list[int]) -> tuple[web.AppRunner, int, list[str]]:
    """A stand-in Web UI whose namespace API answers ``statuses`` in turn, then the last forever."""
    asked: list[str] = []

    async def namespace(request: web.Request) -> web.Response:
        asked.append(request.path)
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return web.json_response({"code": 14} if status >= 500 else {}, status=status)

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/{namespace}", namespace)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port, asked


async def test_the_web_ui_is_announced_once_its_api_answers_through_transient_503s(tmp_path):
    from operations import dev
    from temporal_client.settings import Settings

    runner, port, asked = await _ui_standin([503, 503, 503, 200])
    settings = Settings(_env_file=None, temporal_address="127.0.0.1:7233")
    try:
        assert await dev._wait_for_web_ui(settings, port, asyncio.Event(), seconds=30)
    finally:
        await runner.cleanup()
    assert asked == ["/api/v1/namespaces/default"] * 4


async def test_a_web_ui_that_never_answers_is_given_up_on_by_its_deadline(tmp_path):
    from operations import dev
    from temporal_client.settings import Settings

    runner, port, asked = await _ui_standin([503])
    settings = Settings(_env_file=None, temporal_address="127.0.0.1:7233")
    try:
        assert not await dev._wait_for_web_ui(settings, port, asyncio.Event(), seconds=1)
    finally:
        await runner.cleanup()
    assert len(asked) >= 2  # it kept asking until the deadline, not once


async def test_the_open_incidents_link_lists_every_open_status_and_no_ended_incident(dev_env):
    """The query of the link `incident dev` prints, asked of Temporal's list API as the Web UI
    asks it: awaiting approval is listed, closed and declined are not, even while their workflow
    still runs (a closed incident delivering its last messages, a declined one waiting for its
    revisit date), nor is a run that ended (one that continued as new, or failed)."""
    from urllib.parse import parse_qs, urlsplit

    from temporalio.client import WorkflowHandle
    from temporalio.common import SearchAttributePair, TypedSearchAttributes

    from operations import dev
    from temporal_client.settings import Settings
    from workflows.model import Status
    from workflows.search_attributes import INCIDENT_STATUS
    from workflows.vocabulary.basics import OPEN_STATUSES

    _, link = dev.web_ui_links(Settings(_env_file=None), free_port())
    [query] = parse_qs(urlsplit(link).query)["query"]
    client = dev_env.client
    prefix = f"open-link-{uuid.uuid4().hex[:8]}"
    # Runs no worker picks up stay Running with the attributes they started with. Their type is
    # not IncidentWorkflow, so the other tests' lists of open incidents never meet them.
    queue_name = f"{prefix}-nobody-polls"

    async def start(workflow_id: str, status: Status) -> WorkflowHandle[Any, Any]:
        attributes = TypedSearchAttributes([SearchAttributePair(INCIDENT_STATUS, status.value)])
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            "OpenIncidentsLinkProbe",
            id=workflow_id,
            task_queue=queue_name,
            search_attributes=attributes,
        )
        return handle

    handles = [await start(f"{prefix}-{status.value}", status) for status in Status]
    ended = await start(f"{prefix}-ended-active", Status.ACTIVE)
    await ended.terminate("stands for a run that ended")
    mine = {handle.id for handle in [*handles, ended]}
    expected = {f"{prefix}-{status.value}" for status in OPEN_STATUSES}
    assert f"{prefix}-awaiting_approval" in expected and f"{prefix}-closed" not in expected
    try:
        deadline = time.monotonic() + 30
        while True:  # visibility is eventually consistent
            listed = {execution.id async for execution in client.list_workflows(query)} & mine
            if listed == expected or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert listed == expected
    finally:
        for handle in handles:
            await handle.terminate("test over")


README = Path(__file__).resolve().parent.parent / "README.md"
WALKTHROUGH_HEADING = "## Walkthrough: one incident"


def walkthrough_script() -> str:
    """The README walkthrough's first shell block, exactly as a reader copies it."""
    text = README.read_text()
    section = text[text.index(WALKTHROUGH_HEADING) :]
    block = section[section.index("```sh\n") + len("```sh\n") :]
    return block[: block.index("```")]


def test_the_readme_walkthrough_runs_as_written_against_incident_dev(tmp_path):
    """Copied into a shell on a fresh machine, after `incident dev` (run as the README says,
    with no settings: its own delivery manager), every line succeeds and the incident ends
    closed. The shell holds only where Temporal is: no policy setting at all."""
    ui_port = free_port()
    env = clean_env(
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}", INCIDENT_DATA_DIR=str(tmp_path / "data")
    )
    script = walkthrough_script()
    assert "INCIDENT_DELIVERY_MANAGERS" not in script  # the policy is the worker's
    repo = README.parent
    venv = Path(sys.executable).parent
    # The walkthrough activates the README's .venv; this run's own Python stands in for it when
    # the tests run from another environment.
    shell_env = {**env, "PATH": f"{venv}{os.pathsep}{env.get('PATH', '')}"}
    with running(env, tmp_path, ui_port) as stack:
        stack.wait_for_line("Worker running", STARTUP_SECONDS)
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", f'{script}\necho "ID=$ID"'],
            cwd=repo,
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=seconds(120),
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        incident_id = done.stdout.strip().splitlines()[-1].removeprefix("ID=")
        shown = cli(env, tmp_path, "--json", "show", incident_id)
        assert shown.returncode == 0, shown.stderr
        state = json.loads(shown.stdout)
        assert (state["status"], state["delivery_managers"]) == ("closed", ["U0DM"])
        assert state["lead"] == "U0SUE"
        assert stack.interrupt() == 0
