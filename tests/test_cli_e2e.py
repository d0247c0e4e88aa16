"""End to end: the `incident` CLI as a real subprocess, a real Temporal dev server, a real worker.

The worker runs in this process, on a thread with its own event loop and a task queue of its own,
and writes every message people would get to a buffer, so the tests read what was delivered.
Each test uses its own incident ids; incidents that only serve refusals are shared per module.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.api.common.v1 import SearchAttributes
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import decode_typed_search_attributes
from temporalio.testing import WorkflowEnvironment

from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities
from operations.build import build_id
from temporal_client.settings import Settings
from tests.support import clean_env, free_port, seconds, wait_until_polled
from worker import build_worker

pytestmark = pytest.mark.e2e

T = TypeVar("T")

STARTER = Path(__file__).resolve().parent.parent / "starter.py"
PLATFORM = "#wc-platform"
DM1, DM2, INFOSEC = "U0DM1", "U0DM2", "U0SEC"
DEV, LEAD, LEAD2, HELPER, REPORTER = "U0DEV", "U0LEAD", "U0LEAD2", "U0HELP", "U0REP"
WAIT_SECONDS = 15


# --- The worker, in-process --------------------------------------------------------------------


class ThreadWorker:
    """A worker on its own thread and event loop; every delivered message lands in ``output``."""

    def __init__(self, target: str, task_queue: str) -> None:
        self.target = target
        self.task_queue = task_queue
        self.output = io.StringIO()
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._client: Client | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    def __enter__(self) -> ThreadWorker:
        self._thread.start()
        assert self._started.wait(30), "the worker did not start"
        if self._failure:
            raise self._failure
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop and self._stop
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            self._client = await Client.connect(self.target, data_converter=pydantic_data_converter)
            activities = IncidentActivities(
                messenger=ConsoleMessenger(platform_channel=PLATFORM, stream=self.output),
                status_page=ConsoleStatusPage(stream=self.output),
            )
            # The organisation's policy is the worker's; the CLI's shell has none (cli_env).
            settings = Settings(
                _env_file=None,
                temporal_task_queue=self.task_queue,
                incident_delivery_managers=f"{DM1},{DM2}",
                incident_infosec_head=INFOSEC,
            )
            async with build_worker(self._client, settings, activities=activities):
                await wait_until_polled(self._client, self.task_queue)
                self._started.set()
                await self._stop.wait()
        except BaseException as error:
            self._failure = error
            self._started.set()

    def call(self, work: Callable[[Client], Coroutine[Any, Any, T]]) -> T:
        """Run ``work(client)`` on the worker's loop (the test thread has none running)."""
        assert self._loop and self._client
        return asyncio.run_coroutine_threadsafe(work(self._client), self._loop).result(30)

    def messages(self, incident_id: str) -> list[str]:
        prefix = f"[{incident_id}] "
        return [line for line in self.output.getvalue().splitlines() if line.startswith(prefix)]


@pytest.fixture(scope="module")
def worker(dev_env: WorkflowEnvironment) -> Iterator[ThreadWorker]:
    target = dev_env.client.service_client.config.target_host
    with ThreadWorker(target, f"e2e-{uuid.uuid4()}") as running:
        yield running


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory without a .env file."""
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cli_env(worker: ThreadWorker) -> dict[str, str]:
    env = clean_env()
    env.update(
        TEMPORAL_ADDRESS=worker.target,
        TEMPORAL_TASK_QUEUE=worker.task_queue,
    )
    return env


# --- Driving the CLI ---------------------------------------------------------------------------


class Cli:
    def __init__(self, env: dict[str, str], cwd: Path, worker: ThreadWorker) -> None:
        self.env, self.cwd, self.worker = env, cwd, worker
        self.baselines: dict[str, dict[str, Any]] = {}  # `show` of each shared incident

    def __call__(
        self, *args: str, as_user: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        who = ["--as", as_user] if as_user else []
        return subprocess.run(
            [sys.executable, str(STARTER), *who, *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str, as_user: str | None = None) -> str:
        done = self(*args, as_user=as_user)
        assert done.returncode == 0, f"incident {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def receipt(self, *args: str, as_user: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.ok("--json", *args, as_user=as_user))
        return result

    def show(self, incident_id: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.ok("--json", "show", incident_id))
        return result

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = json.loads(
            self.ok("timeline", incident_id, "--format", "json")
        )
        return result

    def kinds(self, incident_id: str) -> list[str]:
        """The timeline's kinds, without the channel entry (it lands whenever Slack answers)."""
        return [e["kind"] for e in self.timeline(incident_id) if e["kind"] != "channel"]

    def declare(self, incident_id: str, title: str, *, by: str, lead: str, **opts: str) -> None:
        flags = [x for name, value in opts.items() for x in (f"--{name}", value)]
        printed = self.ok("declare", title, "--lead", lead, "--id", incident_id, *flags, as_user=by)
        assert printed.strip() == incident_id

    def settled(self, incident_id: str) -> dict[str, Any]:
        """``show`` once the channel exists, so nothing changes on its own afterwards."""
        state = self.worker_state(incident_id)
        deadline = time.monotonic() + WAIT_SECONDS
        while state["status"] in ("active", "awaiting_approval") and not state["channel_id"]:
            assert time.monotonic() < deadline, f"no channel for {incident_id}"
            time.sleep(0.2)
            state = self.worker_state(incident_id)
        return self.show(incident_id)

    def worker_state(self, incident_id: str) -> dict[str, Any]:
        async def query(client: Client) -> dict[str, Any]:
            state = await client.get_workflow_handle(incident_id).query("state")
            assert isinstance(state, dict)
            return state

        return self.worker.call(query)

    def listed(self, status: str, incident_id: str) -> dict[str, dict[str, Any]]:
        """``list --status`` once it shows the incident (visibility is eventually consistent)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            listing = json.loads(self.ok("--json", "list", "--status", status))
            by_id = {item["id"]: item for item in listing}
            if incident_id in by_id:
                return by_id
            assert time.monotonic() < deadline, f"{incident_id} never listed as {status}"
            time.sleep(0.5)

    def refused(self, *args: str, as_user: str | None = None, **env: str) -> str:
        """Run a command that must be refused; return its one sentence."""
        done = self(*args, as_user=as_user, env=env)
        assert done.returncode != 0, f"incident {' '.join(args)} was not refused: {done.stdout}"
        assert done.stdout == ""
        return one_sentence(done.stderr)


def one_sentence(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {stderr!r}"
    sentence = lines[0]
    assert "Traceback" not in sentence and "Unexpected error" not in sentence, sentence
    assert sentence[:1].isupper() or sentence[:1] in "'`", sentence
    assert sentence.endswith((".", "?")), sentence
    return sentence


@pytest.fixture(scope="module")
def cli(cli_env: dict[str, str], workdir: Path, worker: ThreadWorker) -> Cli:
    return Cli(cli_env, workdir, worker)


def new_id(label: str) -> str:
    return f"e2e-{label}-{uuid.uuid4().hex[:8]}"


def wait_for_message(worker: ThreadWorker, incident_id: str, *fragments: str) -> str:
    """The first delivered line of the incident that contains every fragment."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        for line in worker.messages(incident_id):
            if all(fragment in line for fragment in fragments):
                return line
        assert time.monotonic() < deadline, (
            f"no message with {fragments} for {incident_id}; got {worker.messages(incident_id)}"
        )
        time.sleep(0.1)


def workflow_status(worker: ThreadWorker, incident_id: str) -> WorkflowExecutionStatus | None:
    async def describe(client: Client) -> WorkflowExecutionStatus | None:
        return (await client.get_workflow_handle(incident_id).describe()).status

    return worker.call(describe)


# --- Lifecycle paths ---------------------------------------------------------------------------


def test_report_then_decline_closes_with_the_reason_and_tells_the_reporter(cli, worker):
    incident_id = new_id("decline")
    printed = cli.ok("report", "Search results look stale", "--id", incident_id, as_user=REPORTER)
    assert printed.strip() == incident_id
    assert cli.show(incident_id)["status"] == "triage"
    asked = wait_for_message(worker, incident_id, "reported", f"direct to {DM1}, {DM2}")
    assert "Search results look stale" in asked

    receipt = cli.receipt(
        "decline", incident_id, "--reason", "Known indexing lag, fixed tomorrow", as_user=DM1
    )
    assert receipt["status"] == "declined"

    state = cli.show(incident_id)
    assert state["status"] == "declined"
    assert state["decline_reason"] == "Known indexing lag, fixed tomorrow"
    assert cli.kinds(incident_id) == ["reported", "declined"]
    told = wait_for_message(worker, incident_id, "declined", f"direct to {REPORTER}")
    assert "Known indexing lag, fixed tomorrow" in told
    assert workflow_status(worker, incident_id) is WorkflowExecutionStatus.COMPLETED
    # Every step says which build ran it (the Web UI shows it in each workflow task's details).
    assert set(worker_builds(worker, incident_id)) == {build_id()}
    assert build_id().startswith("1.0.0")


def worker_builds(worker: ThreadWorker, incident_id: str) -> list[str]:
    """The build id each completed workflow task of the incident reported."""

    async def builds(client: Client) -> list[str]:
        return [
            event.workflow_task_completed_event_attributes.worker_version.build_id
            async for event in client.get_workflow_handle(incident_id).fetch_history_events()
            if event.HasField("workflow_task_completed_event_attributes")
        ]

    return worker.call(builds)


def test_report_accept_update_resolve_by_dm_and_skip_the_retro(cli, worker):
    incident_id = new_id("accept")
    cli.ok("report", "Images do not load", "--id", incident_id, as_user=REPORTER)

    receipt = cli.receipt("accept", incident_id, "--lead", LEAD, "--severity", "sev3", as_user=DM1)
    assert receipt["status"] == "active"
    state = cli.settled(incident_id)
    assert (state["status"], state["lead"], state["severity"]) == ("active", LEAD, "sev3")
    assert state["delivery_manager"] == DM1
    accepted = wait_for_message(worker, incident_id, "accepted", "direct to")
    assert REPORTER in accepted and LEAD in accepted
    channel = state["channel_id"]
    assert channel.startswith("#inc-")
    assert "Images do not load" in wait_for_message(worker, incident_id, f"declared → {PLATFORM}")

    cli.ok("update", incident_id, "CDN purge running", as_user=LEAD)
    wait_for_message(worker, incident_id, f"update → {channel} from {LEAD}: CDN purge running")
    assert cli.show(incident_id)["last_update"] == "CDN purge running"

    assert cli.receipt("resolve", incident_id, as_user=DM2)["status"] == "resolved"
    wait_for_message(worker, incident_id, f"resolved → {PLATFORM}", "Images do not load")
    wait_for_message(worker, incident_id, f"timeline → {channel}", "# Timeline of")

    receipt = cli.receipt(
        "retro", incident_id, "--skip", "--reason", "Trivial cache issue", as_user=DM2
    )
    assert receipt["status"] == "closed"
    state = cli.show(incident_id)
    assert state["status"] == "closed"
    assert state["retro_skipped_reason"] == "Trivial cache issue"
    assert state["retro_notes"] is None
    assert cli.kinds(incident_id) == ["reported", "accepted", "update", "resolved", "closed"]
    wait_for_message(worker, incident_id, f"closed → {channel}", "Trivial cache issue")
    assert workflow_status(worker, incident_id) is WorkflowExecutionStatus.COMPLETED


def test_declared_by_a_developer_through_approval_to_the_retro(cli, worker):
    incident_id = new_id("declare")
    title = "Catalogue API 500s"
    cli.declare(incident_id, title, by=DEV, lead=DEV)
    state = cli.settled(incident_id)
    assert (state["status"], state["lead"], state["severity"]) == ("active", DEV, "sev2")
    assert state["self_initiated"] and state["acknowledged_at"] is None
    channel = state["channel_id"]
    ask = wait_for_message(worker, incident_id, "ack_request", f"direct to {DM1}, {DM2}")
    assert f"incident ack {incident_id}" in ask
    # Announced at once, alongside the channel being opened; then edited in place to link it.
    wait_for_message(worker, incident_id, "] declared", PLATFORM, title, f"Channel: {channel}")

    assert cli.receipt("ack", incident_id, as_user=DM2)["status"] == "active"
    state = cli.show(incident_id)
    assert state["delivery_manager"] == DM2 and state["acknowledged_at"]

    cli.ok("handover", incident_id, "--to", LEAD2, as_user=DEV)
    wait_for_message(worker, incident_id, f"direct to {LEAD2}", "You now lead")
    cli.ok("join", incident_id, as_user=HELPER)
    assert HELPER in cli.show(incident_id)["supporters"]
    cli.ok("leave", incident_id, as_user=HELPER)
    cli.ok("update", incident_id, "Rolled back the deploy", as_user=LEAD2)
    cli.ok("severity", incident_id, "sev1", as_user=LEAD2)
    cli.ok("criteria", incident_id, "error rate under 1% for 30 minutes", as_user=DM1)
    cli.ok(
        "statuspage", incident_id, "--status", "identified", "--impact", "major",
        "Search is degraded", as_user=DM1,
    )  # fmt: skip
    wait_for_message(
        worker, incident_id, "status page → identified (impact major)", "Search is degraded"
    )

    state = cli.show(incident_id)
    assert (state["lead"], state["severity"]) == (LEAD2, "sev1")
    assert HELPER not in state["supporters"] and LEAD2 not in state["supporters"]
    assert state["resolution_criteria"] == "error rate under 1% for 30 minutes"
    assert state["last_update"] == "Rolled back the deploy"
    assert state["statuspage_status"] == "identified"

    receipt = cli.receipt("resolve", incident_id, "--summary", "Rollback done", as_user=LEAD2)
    assert receipt["status"] == "awaiting_approval"
    assert cli.show(incident_id)["status"] == "awaiting_approval"
    request = wait_for_message(worker, incident_id, "resolution_request", f"direct to {DM1}, {DM2}")
    assert f"incident approve {incident_id}" in request

    assert cli.receipt("approve", incident_id, as_user=DM1)["status"] == "resolved"
    wait_for_message(worker, incident_id, "status page → resolved")
    wait_for_message(worker, incident_id, f"resolved → {PLATFORM}", title)

    receipt = cli.receipt("retro", incident_id, "--notes", "Add a canary stage", as_user=LEAD2)
    assert receipt["status"] == "closed"
    state = cli.show(incident_id)
    assert state["status"] == "closed"
    assert state["retro_notes"] == "Add a canary stage"
    assert state["resolution_summary"] == "Rollback done"
    assert cli.kinds(incident_id) == [
        "declared",
        "acknowledged",
        "handover",
        "joined",
        "left",
        "update",
        "severity",
        "criteria",
        "statuspage",
        "resolution_requested",
        "resolved",
        "closed",
    ]
    wait_for_message(worker, incident_id, f"closed → {channel}", "Add a canary stage")


def test_a_rejected_resolution_returns_to_active_then_is_approved(cli, worker):
    incident_id = new_id("reject")
    cli.declare(incident_id, "Login loops", by=DEV, lead=LEAD, severity="sev1")

    assert cli.receipt("resolve", incident_id, as_user=LEAD)["status"] == "awaiting_approval"
    receipt = cli.receipt(
        "reject", incident_id, "--reason", "Still failing for SSO users", as_user=DM1
    )
    assert receipt["status"] == "active"
    state = cli.show(incident_id)
    assert state["status"] == "active"
    assert state["rejection_reason"] == "Still failing for SSO users"
    wait_for_message(worker, incident_id, f"@{LEAD}", "Still failing for SSO users")

    assert cli.receipt("resolve", incident_id, as_user=LEAD)["status"] == "awaiting_approval"
    assert cli.receipt("approve", incident_id, as_user=DM2)["status"] == "resolved"
    state = cli.show(incident_id)
    assert state["status"] == "resolved"
    assert state["rejection_reason"] == "Still failing for SSO users"
    assert "retro_due" in state["timers"]
    assert cli.kinds(incident_id) == [
        "declared",
        "resolution_requested",
        "rejected",
        "resolution_requested",
        "resolved",
    ]


def test_the_handbooks_later_rows_through_the_cli(cli, worker):
    """ask / busy / join, resolve --criteria-met, reopen, schedule, against the dev server."""
    incident_id = new_id("handbook")
    cli.declare(incident_id, "CDN errors", by=DEV, lead=LEAD, severity="sev2")
    cli.ok("ask", incident_id, "--to", HELPER, "--note", "You know the CDN rules", as_user=LEAD)
    cli.ok("ask", incident_id, "--to", LEAD2, as_user=LEAD)
    wait_for_message(worker, incident_id, "asks for your help", "You know the CDN rules")
    refused = cli.refused("ask", incident_id, "--to", HELPER, as_user=LEAD)
    assert (
        refused == f"{HELPER} has been asked to help on {incident_id} already and not yet answered."
    )
    cli.ok("join", incident_id, as_user=HELPER)
    cli.ok("busy", incident_id, "--reason", "On leave today", as_user=LEAD2)
    assert cli.show(incident_id)["asked"] == {}

    cli.ok("criteria", incident_id, "error rate under 1%", as_user=DM1)
    receipt = cli.receipt("resolve", incident_id, "--criteria-met", as_user=LEAD)
    assert receipt["status"] == "resolved"
    assert "on the delivery managers' criteria" in receipt["text"]
    cli.ok("reopen", incident_id, "--reason", "The errors are back", as_user=DM1)
    cli.ok("resolve", incident_id, "--summary", "Purged the CDN", as_user=DM1)

    refused = cli.refused("schedule", incident_id, "2001-01-01T10:00", as_user=LEAD)
    assert refused == f"The retro of {incident_id} can only be scheduled for a time still to come."
    cli.ok("retro", incident_id, "--schedule", "2099-01-05T14:00", as_user=LEAD)
    state = cli.show(incident_id)
    assert state["retro_scheduled_at"].startswith("2099-01-05T14:00")
    assert state["times_reopened"] == 1
    assert cli.kinds(incident_id) == [
        "declared",
        "asked",
        "asked",
        "joined",
        "busy",
        "criteria",
        "resolved",
        "reopened",
        "resolved",
        "retro_scheduled",
    ]


def test_a_security_incident_is_never_described_in_public(cli, worker):
    title = "Leaked AWS keys in a public gist"
    incident_id = cli.ok("declare", title, "--security", "--lead", DEV, as_user=DEV).strip()
    assert "leaked" not in incident_id and "aws" not in incident_id  # the id is seen everywhere
    state = cli.settled(incident_id)
    assert state["security"] and state["title"] == title

    cli.ok("resolve", incident_id, as_user=DM1)
    announced = wait_for_message(worker, incident_id, f"resolved → {PLATFORM}")
    edited = wait_for_message(worker, incident_id, f"announcement edited: resolved → {PLATFORM}")
    assert "A confidential incident has been resolved." in edited
    public = [m for m in worker.messages(incident_id) if f"→ {PLATFORM}" in m]
    assert len(public) == 3 and announced in public  # announcement, resolution, announcement edited
    for line in public:
        assert all(word not in line.lower() for word in ("leaked", "aws", "gist")), line
        assert state["channel_id"] not in line
    assert "confidential" in public[0].lower()
    told = wait_for_message(worker, incident_id, f"security → direct to {INFOSEC}")
    assert title in told
    opened = wait_for_message(worker, incident_id, "channel →")
    assert "(private)" in opened and INFOSEC in opened
    listing = cli.listed("resolved", incident_id)[incident_id]
    assert listing["security"] and "leaked" not in json.dumps(listing).lower()


def test_the_same_title_twice_a_day_gets_two_ids(cli):
    title = f"Search API down {uuid.uuid4().hex[:6]}"
    first = cli.ok("report", title, as_user=REPORTER).strip()
    second = cli.ok("report", title, as_user=REPORTER).strip()
    assert first.startswith("inc-") and title.split()[-1] in first
    assert second != first and second.startswith(first)
    assert cli.show(first)["title"] == cli.show(second)["title"] == title


# --- Shared incidents for reads and refusals ---------------------------------------------------


@pytest.fixture(scope="module")
def triage_id(cli: Cli) -> str:
    incident_id = new_id("triage")
    cli.ok("report", "Newsletter signups fail", "--id", incident_id, as_user=REPORTER)
    cli.baselines[incident_id] = cli.settled(incident_id)
    return incident_id


@pytest.fixture(scope="module")
def active_id(cli: Cli) -> str:
    """Declared by a developer who leads it; a helper supports."""
    incident_id = new_id("active")
    cli.declare(incident_id, "Exhibition pages 404", by=DEV, lead=LEAD)
    cli.ok("join", incident_id, as_user=HELPER)
    cli.baselines[incident_id] = cli.settled(incident_id)
    return incident_id


@pytest.fixture(scope="module")
def awaiting_id(cli: Cli) -> str:
    incident_id = new_id("awaiting")
    cli.declare(incident_id, "Slow checkout", by=DEV, lead=LEAD)
    cli.ok("resolve", incident_id, as_user=LEAD)
    cli.baselines[incident_id] = cli.settled(incident_id)
    return incident_id


@pytest.fixture(scope="module")
def closed_id(cli: Cli) -> str:
    incident_id = new_id("closed")
    cli.declare(incident_id, "Blip", by=DM1, lead=DEV)
    cli.ok("resolve", incident_id, as_user=DM1)
    cli.ok("retro", incident_id, "--skip", "--reason", "A blip", as_user=DM1)
    cli.baselines[incident_id] = cli.settled(incident_id)
    return incident_id


def test_show_json_has_the_contracted_fields(cli, active_id):
    state = cli.show(active_id)
    contract = {
        "id",
        "title",
        "status",
        "severity",
        "lead",
        "supporters",
        "delivery_manager",
        "security",
        "channel_id",
        "resolution_criteria",
        "created_at",
        "last_update_at",
    }
    assert contract <= state.keys()
    assert (state["id"], state["status"], state["lead"]) == (active_id, "active", LEAD)
    assert state["supporters"] == [HELPER]


def test_list_active_shows_an_active_incident(cli, active_id, triage_id):
    listed = cli.listed("active", active_id)
    assert listed[active_id]["status"] == "active"
    assert listed[active_id]["title"] == "Exhibition pages 404"
    assert listed[active_id]["lead"] == LEAD
    assert triage_id not in listed
    assert active_id in cli.ok("list", "--status", "active")


def test_the_web_ui_lists_a_new_incident_from_its_first_event(cli, worker, triage_id):
    """The CLI starts an incident with its search attributes (status, severity, lead), so the
    workflow upserts them only when they change: one visibility write less per incident."""
    incident_id = new_id("listed")
    cli.declare(incident_id, "Basket totals wrong", by=DEV, lead=LEAD)
    cli.ok("handover", incident_id, "--to", LEAD2, as_user=LEAD)
    cli.settled(incident_id)

    async def indexed(client: Client, workflow_id: str) -> tuple[dict[str, Any], list[Any]]:
        def ours(attributes: SearchAttributes) -> dict[str, Any]:
            typed = decode_typed_search_attributes(attributes)
            return {p.key.name: p.value for p in typed if p.key.name.startswith("Incident")}

        history = await client.get_workflow_handle(workflow_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        upserts = [
            ours(event.upsert_workflow_search_attributes_event_attributes.search_attributes)
            for event in history.events
            if event.HasField("upsert_workflow_search_attributes_event_attributes")
        ]
        return ours(started.search_attributes), [u for u in upserts if u]

    given, upserted = worker.call(lambda client: indexed(client, incident_id))
    assert given == {
        "IncidentStatus": "active",
        "IncidentSeverity": "sev2",
        "IncidentLead": LEAD,
        "IncidentSecurity": False,
    }
    assert upserted == [{"IncidentLead": LEAD2}]

    given, upserted = worker.call(lambda client: indexed(client, triage_id))
    assert given == {"IncidentStatus": "triage", "IncidentSecurity": False}
    assert upserted == []


# --- Refusals: one sentence, non-zero, and nothing changed -------------------------------------


def assert_unchanged_after(cli: Cli, incident_id: str, *args: str, as_user: str | None) -> str:
    """Refused, and `show` is as before (a shared incident's `show` from its fixture)."""
    before = cli.baselines.get(incident_id) or cli.show(incident_id)
    sentence = cli.refused(*args, as_user=as_user)
    assert cli.show(incident_id) == before
    return sentence


def assert_nothing_created(cli: Cli, incident_id: str) -> None:
    assert cli.refused("show", incident_id) == f"There is no incident {incident_id}."


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["declare", "", "--lead", DEV], "Invalid title: must not be empty.", id="empty-title"),
        pytest.param(["declare", "x" * 201, "--lead", DEV], "The title is too long: 201 characters, at most 200.", id="long-title"),
        pytest.param(["declare", "Down", "--lead", DEV, "--severity", "sev9"], "'sev9' is not a severity", id="unknown-severity"),
        pytest.param(["report", "   "], "Invalid title: must not be empty.", id="blank-report"),
        pytest.param(["declare", "Down", "--lead", "nobody"], "'nobody' is not a Slack user id", id="bad-lead"),
    ],
)  # fmt: skip
def test_a_bad_new_incident_is_refused_and_nothing_is_created(cli, args, expected):
    incident_id = new_id("never")
    sentence = cli.refused(*args, "--id", incident_id, as_user=DEV)
    assert sentence.startswith(expected)
    assert_nothing_created(cli, incident_id)


def test_a_duplicate_explicit_id_is_refused(cli, active_id):
    sentence = assert_unchanged_after(
        cli, active_id, "declare", "Other", "--lead", DEV, "--id", active_id, as_user=DEV
    )
    assert sentence == f"An incident with id {active_id} already exists."


@pytest.mark.parametrize(
    ("args", "by", "expected"),
    [
        pytest.param(["update", "{id}", "x" * 3001], LEAD, "The text is too long: 3001 characters, at most 3000.", id="long-update"),
        pytest.param(["severity", "{id}", "sev0"], LEAD, "'sev0' is not a severity: use sev1, sev2 or sev3.", id="unknown-severity"),
        pytest.param(["handover", "{id}", "--to", LEAD], LEAD, f"{LEAD} is already the lead of {{id}}.", id="handover-to-lead"),
        pytest.param(["handover", "{id}", "--to", HELPER], HELPER, f"Only the lead or a delivery manager may hand over the lead on {{id}}; {HELPER} is not.", id="handover-by-supporter"),
        pytest.param(["criteria", "{id}", "when fixed"], LEAD, f"Only a delivery manager may set the resolution criteria on {{id}}; {LEAD} is not.", id="criteria-by-lead"),
        pytest.param(["update", "{id}", "hello"], "U0STRANGER", "Only the lead, a supporter or a delivery manager may post a progress update on {id}; U0STRANGER is not.", id="update-by-stranger"),
        pytest.param(["accept", "{id}", "--lead", LEAD, "--severity", "sev1"], DM1, "Incident {id} is active, so nobody can accept a report now.", id="accept-not-in-triage"),
        pytest.param(["decline", "{id}", "--reason", "no"], DM1, "Incident {id} is active, so nobody can decline a report now.", id="decline-not-in-triage"),
        pytest.param(["approve", "{id}"], DM1, "Incident {id} is active, so nobody can approve a resolution now.", id="approve-nothing-waits"),
        pytest.param(["retro", "{id}", "--notes", "n"], DM1, "Incident {id} is active, so nobody can record the retro now.", id="retro-before-resolution"),
        pytest.param(["retro", "{id}"], DM1, "Give either --notes N or --skip --reason R.", id="retro-without-notes"),
        pytest.param(["statuspage", "{id}", "--impact", "huge", "Slow"], DM1, "'huge' is not a status page impact: use one of none, minor, major, critical.", id="unknown-impact"),
        pytest.param(["snooze", "{id}", "soon"], LEAD, "'soon' is not a duration like 30m, 1h30m or 2d.", id="malformed-snooze"),
        pytest.param(["snooze", "{id}", "0m"], LEAD, "'0m' is not a positive duration.", id="zero-snooze"),
        pytest.param(["update", "{id}", "hi"], "not a user", "'not a user' is not a Slack user id (like U012ABC) or an email address.", id="bad-as-user"),
        pytest.param(["update", "{id}", "hi"], None, "Say who you are with --as USER or the INCIDENT_USER setting.", id="no-as-user"),
    ],
)  # fmt: skip
def test_a_refused_command_leaves_an_active_incident_unchanged(cli, active_id, args, by, expected):
    args = [arg.format(id=active_id) for arg in args]
    sentence = assert_unchanged_after(cli, active_id, *args, as_user=by)
    assert sentence == expected.format(id=active_id)


@pytest.mark.parametrize(
    ("args", "by", "expected"),
    [
        pytest.param(["accept", "{id}", "--lead", LEAD, "--severity", "sev2"], DEV, f"Only a delivery manager may accept a report on {{id}}; {DEV} is not.", id="accept-by-non-dm"),
        pytest.param(["decline", "{id}", "--reason", "later"], REPORTER, f"Only a delivery manager may decline a report on {{id}}; {REPORTER} is not.", id="decline-by-non-dm"),
        pytest.param(["decline", "{id}", "--reason", "later", "--revisit", "next tuesday"], DM1, "'next tuesday' is not a date like 2026-12-01 or 2026-12-01T14:30.", id="malformed-revisit"),
        pytest.param(["decline", "{id}", "--reason", "later", "--revisit", "2020-01-01"], DM1, "The revisit date must be in the future.", id="past-revisit"),
        pytest.param(["accept", "{id}", "--lead", LEAD, "--severity", "high"], DM1, "'high' is not a severity: use sev1, sev2 or sev3.", id="accept-unknown-severity"),
        pytest.param(["resolve", "{id}"], DM1, "Incident {id} is waiting for a delivery manager, so nobody can resolve an incident now.", id="resolve-in-triage"),
    ],
)  # fmt: skip
def test_a_refused_answer_to_a_report_leaves_it_in_triage(cli, triage_id, args, by, expected):
    args = [arg.format(id=triage_id) for arg in args]
    sentence = assert_unchanged_after(cli, triage_id, *args, as_user=by)
    assert sentence == expected.format(id=triage_id)
    assert cli.baselines[triage_id]["status"] == "triage"


@pytest.mark.parametrize(
    ("args", "by", "expected"),
    [
        pytest.param(["approve", "{id}"], LEAD, f"Only a delivery manager may approve a resolution on {{id}}; {LEAD} is not.", id="approve-by-lead"),
        pytest.param(["reject", "{id}", "--reason", "no"], LEAD, f"Only a delivery manager may reject a resolution on {{id}}; {LEAD} is not.", id="reject-by-lead"),
        pytest.param(["resolve", "{id}"], LEAD, "Incident {id} is awaiting approval of its resolution, so nobody can resolve an incident now.", id="resolve-twice"),
    ],
)  # fmt: skip
def test_a_refused_command_leaves_a_resolution_request_waiting(
    cli, awaiting_id, args, by, expected
):
    args = [arg.format(id=awaiting_id) for arg in args]
    sentence = assert_unchanged_after(cli, awaiting_id, *args, as_user=by)
    assert sentence == expected.format(id=awaiting_id)


@pytest.mark.parametrize(
    "args",
    [["update", "{id}", "hello"], ["join", "{id}"], ["retro", "{id}", "--notes", "again"]],
    ids=["update", "join", "retro"],
)
def test_a_closed_incident_takes_no_more_commands(cli, closed_id, args):
    args = [arg.format(id=closed_id) for arg in args]
    sentence = assert_unchanged_after(cli, closed_id, *args, as_user=DM1)
    assert sentence == f"Incident {closed_id} is closed; it takes no more commands."
    assert cli.baselines[closed_id]["status"] == "closed"


@pytest.mark.parametrize(
    "args",
    [["update", "{id}", "hello"], ["show", "{id}"], ["timeline", "{id}"]],
    ids=["update", "show", "timeline"],
)
def test_an_unknown_incident_is_named(cli, args):
    incident_id = new_id("unknown")
    sentence = cli.refused(*[arg.format(id=incident_id) for arg in args], as_user=DM1)
    assert sentence == f"There is no incident {incident_id}."
    if args[0] == "update":
        assert_nothing_created(cli, incident_id)


def test_a_malformed_incident_id_is_refused_before_anything_is_sent(cli):
    sentence = cli.refused("update", "Not An Id!", "hello", as_user=DM1)
    assert sentence.startswith("'Not An Id!' is not a valid incident id")


# --- No worker, no server ----------------------------------------------------------------------


def test_without_a_worker_nothing_is_created(cli):
    incident_id = new_id("noworker")
    started = time.monotonic()
    sentence = cli.refused(
        "declare",
        "Nobody home",
        "--lead",
        DEV,
        "--id",
        incident_id,
        as_user=DEV,
        TEMPORAL_TASK_QUEUE=f"nobody-polls-{uuid.uuid4()}",
        INCIDENT_CLI_TIMEOUT_SECONDS="5",
    )
    assert time.monotonic() - started < seconds(15)
    assert "`incident worker`" in sentence and "nothing was changed" in sentence
    assert_nothing_created(cli, incident_id)


def test_a_command_with_no_worker_polling_changes_nothing(cli, active_id):
    before = cli.baselines[active_id]
    sentence = cli.refused(
        "update",
        active_id,
        "lost?",
        as_user=LEAD,
        TEMPORAL_TASK_QUEUE=f"nobody-polls-{uuid.uuid4()}",
    )
    assert "`incident worker`" in sentence
    assert cli.show(active_id) == before


def test_a_worker_that_went_away_is_named_and_the_command_waits_for_it(cli, dev_env):
    """The server keeps an unanswered update; the sentence says so, and a new worker applies it."""
    incident_id, queue = new_id("gone"), f"e2e-gone-{uuid.uuid4()}"
    target = dev_env.client.service_client.config.target_host
    quick = {"TEMPORAL_TASK_QUEUE": queue, "INCIDENT_CLI_TIMEOUT_SECONDS": "3"}
    with ThreadWorker(target, queue) as first:
        done = cli(
            "declare",
            "Worker vanished",
            "--lead",
            LEAD,
            "--id",
            incident_id,
            as_user=LEAD,
            env=quick,
        )
        assert done.returncode == 0, done.stderr
        # Stop only once nothing is in flight, or the next worker waits out activity timeouts.
        wait_for_message(first, incident_id, f"declared → {PLATFORM}")
        deadline = time.monotonic() + WAIT_SECONDS
        while cli.worker_state(incident_id)["undelivered"]:
            assert time.monotonic() < deadline, f"{incident_id} kept messages undelivered"
            time.sleep(0.2)

    sentence = cli.refused("update", incident_id, "Still here", as_user=LEAD, **quick)
    assert sentence == (
        f"No worker answered update on {incident_id} within 3 s, so it may still take effect "
        f"when `incident worker` (or `incident dev`) runs: check `incident show {incident_id}` "
        "before repeating it."
    )
    sentence = cli.refused("show", incident_id, **quick)
    assert sentence == (
        f"No worker answered for {incident_id} within 3 s: is `incident worker` (or "
        "`incident dev`) running?"
    )

    with ThreadWorker(target, queue) as back:
        wait_for_message(back, incident_id, "update", "Still here")
        assert cli.show(incident_id)["last_update"] == "Still here"


@pytest.mark.parametrize(
    "args",
    [["show", "inc-x"], ["list"], ["declare", "Down", "--lead", DEV]],
    ids=["show", "list", "declare"],
)
def test_an_unreachable_server_is_one_sentence(cli, args):
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    sentence = cli.refused(
        *args, as_user=DEV, TEMPORAL_ADDRESS=address, INCIDENT_CLI_TIMEOUT_SECONDS="3"
    )
    assert time.monotonic() - started < seconds(15)
    assert sentence.startswith(f"Cannot reach Temporal at {address} (connection refused)")
    assert "`incident dev`" in sentence


def test_a_server_that_never_answers_is_one_sentence_in_bounded_time(cli):
    with socket.socket() as silent:  # accepts connections, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        sentence = cli.refused(
            "show", "inc-x", TEMPORAL_ADDRESS=address, INCIDENT_CLI_TIMEOUT_SECONDS="2"
        )
        assert time.monotonic() - started < seconds(12)
    assert sentence.startswith(f"Cannot reach Temporal at {address} (no answer within 2 s)")


def test_an_unknown_namespace_is_named(cli):
    namespace = f"nowhere-{uuid.uuid4().hex[:6]}"
    sentence = cli.refused("show", "inc-x", TEMPORAL_NAMESPACE=namespace)
    assert namespace in sentence and "TEMPORAL_NAMESPACE" in sentence


# --- People named by email, with Slack set up ----------------------------------------------------


@pytest.fixture
def slack_people() -> Iterator[dict[str, str]]:
    """A Slack stand-in knowing one email, and the settings that point the CLI at it."""
    from tests.standins.slack import SlackStandIn

    slack = SlackStandIn(token="xoxb-cli")
    slack.users_by_email["sue@example.org"] = "U0SUE"
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    url = asyncio.run_coroutine_threadsafe(slack.start(), loop).result(10)
    try:
        yield {"SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": url}
    finally:
        asyncio.run_coroutine_threadsafe(slack.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_people_named_by_email_become_slack_users_and_an_unknown_one_changes_nothing(
    cli, worker, slack_people
):
    incident_id = new_id("email")
    done = cli(
        "declare", "Emails as people", "--lead", "Sue@Example.org", "--id", incident_id,
        as_user=DM1, env=slack_people,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    before = cli.settled(incident_id)
    assert before["lead"] == "U0SUE"

    refused = cli(
        "handover", incident_id, "--to", "nobody@example.org", as_user=DM1, env=slack_people
    )
    assert (refused.returncode, refused.stderr.strip()) == (
        1,
        "No Slack user has the email nobody@example.org.",
    )
    assert cli.show(incident_id) == before
    refused = cli("update", incident_id, "hi", as_user="ghost@example.org", env=slack_people)
    assert refused.stderr.strip() == "No Slack user has the email ghost@example.org."
    assert cli.show(incident_id) == before
