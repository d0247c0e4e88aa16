"""`incident upgrade-check` against a real dev server: incidents started by today's code, checked
by a copy of the code changed as a developer might change it (operations/upgrade_check.py).

The incidents are opened and worked through the CLI with a worker of today's code (in this
process, on a task queue of its own), driven to different points: only some reach the lead's
request to resolve. The worker then stops, and the check runs as an operator runs it, a
subprocess, from a copy of the project's packages that is first on its path: unchanged; with the
lead's request reordered (the DMs asked before the channel is told), unguarded; and the same
reordering behind ``workflow.patched``. Then that guarded copy is deployed (a worker of it), a new
incident takes the new path, and the check lists the patch it carries (so the tests run in the
file's order: the checks before it expect no such incident). Apart: incidents with encrypted
payloads on a queue of their own, and no server at all. The words are tested without a server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import HistoryEvent, MarkerRecordedEventAttributes
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities
from intake.temporal_forwarder import TemporalForwarder
from messages import upgrade_check as say
from operations.upgrade_check import (
    REPLAYED_WORKFLOWS,
    Delivery,
    Replayed,
    UpgradeReport,
    live_query,
    patches_in,
)
from temporal_client.codec import data_converter, parse_keys
from temporal_client.settings import Settings
from tests.support import clean_env, free_port, seconds, wait_until_polled
from worker import WORKFLOW_RUNNER, build_worker
from workflows.alarm import alarm_workflow_id
from workflows.model import IncidentState, Status
from workflows.model.alarms import AlarmNotice, AlarmSource, AlarmState

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflows", "activities", "messages", "temporal_client", "frontends", "operations")
SCRIPTS = ("starter.py", "worker.py")
DM1, DM2, LEAD, REPORTER = "U0DM1", "U0DM2", "U0LEAD", "U0REP"
PATCH = "dms-asked-first"

# The spot the change reorders: a lead asking to resolve tells the channel, then asks the DMs.
CHANGED = "workflows/commands/resolution.py"
CHANNEL_TOLD = (
    '    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)\n'
)
DMS_ASKED = """\
    incident.notices.direct(
        NoticeKind.RESOLUTION_REQUEST,
        incident.policy.delivery_managers,
        say.resolution_request(cmd.actor, s, cmd.summary),
        actor=cmd.actor,
    )
"""

# --- Unit: the words, the query, the patch markers (no server) -----------------------------------

# Temporal's own texts, as the Replayer reported them for this project's histories.
TIMER_WHERE_ACTIVITY = (
    'Workflow activation completion failed: Failure { failure: Some(Failure { message: "[TMPRL1100]'
    " Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 21, "
    'ActivityTaskScheduled)", source: "", stack_trace: "", encoded_attributes: None, cause: None,'
    " failure_info: None }), force_cause: NonDeterministicError }"
)
PATCH_GONE = (
    "[TMPRL1100] Nondeterminism error: Non-deprecated patch marker encountered for change "
    "retro-draft-at-resolution, but there is no corresponding change command!"
)


def test_temporals_failure_becomes_one_sentence_naming_the_event() -> None:
    assert say.replay_failure_sentence(TIMER_WHERE_ACTIVITY) == (
        "Event 21 of its history is an activity scheduled, where this code starts a timer."
    )
    assert say.replay_failure_event(TIMER_WHERE_ACTIVITY) == "21"
    assert say.replay_failure_sentence(PATCH_GONE) == (
        "Its history carries patch retro-draft-at-resolution, which this code no longer asks for "
        "(keep it as workflow.deprecate_patch until no open incident carries it)."
    )
    other = say.replay_failure_sentence("Workflow task failed\nTraceback (most recent call last)")
    assert other == "This code fails replaying it: Workflow task failed."


def test_a_delivery_that_differs_is_one_sentence() -> None:
    was = Delivery(
        "deliver_notice",
        {
            "kind_of_effect": "notice",
            "key": "inc-x/4",
            "kind": "transition",
            "audience": "incident_channel",
        },
    )
    now = Delivery(
        "deliver_notice",
        {
            "kind_of_effect": "notice",
            "key": "inc-x/4",
            "kind": "resolution_request",
            "audience": "direct",
            "recipients": [DM1, DM2],
        },
    )
    assert say.delivery_sentence(34, was, now) == (
        "Event 34 of its history scheduled the transition post in the incident channel (key "
        "inc-x/4), where this code delivers the resolution request message to U0DM1, U0DM2."
    )


def test_the_query_lists_the_queues_running_workflows_and_those_closed_since() -> None:
    assert live_query("incidents", None) == (
        'WorkflowType IN ("IncidentWorkflow", "AlarmWorkflow") AND TaskQueue = "incidents" '
        'AND ExecutionStatus = "Running"'
    )
    since = datetime(2026, 12, 1, tzinfo=UTC)
    assert live_query("incidents", since).endswith(
        'AND (ExecutionStatus = "Running" OR (CloseTime >= "2026-12-01T00:00:00+00:00" AND '
        'ExecutionStatus != "ContinuedAsNew"))'
    )


def _patch_marker(patch: str) -> HistoryEvent:
    data = json.dumps({"id": patch, "deprecated": False}).encode()
    payload = Payload(metadata={"encoding": b"json/plain"}, data=data)
    marker = MarkerRecordedEventAttributes(
        marker_name="core_patch", details={"patch-data": Payloads(payloads=[payload])}
    )
    return HistoryEvent(event_id=5, marker_recorded_event_attributes=marker)


def test_the_patch_ids_a_history_carries_are_read_from_its_markers() -> None:
    other = HistoryEvent(
        event_id=6,
        marker_recorded_event_attributes=MarkerRecordedEventAttributes(
            marker_name="core_local_activity"
        ),
    )
    history = WorkflowHistory(
        "inc-x", [_patch_marker("b"), other, _patch_marker("a"), _patch_marker("b")]
    )
    assert patches_in(history) == ("b", "a")


def _replayed(workflow_id: str, **fields: Any) -> Replayed:
    defaults: dict[str, Any] = {
        "run_id": "r",
        "workflow_type": "IncidentWorkflow",
        "status": "active",
        "running": True,
        "events": 40,
    }
    return Replayed(workflow_id, **{**defaults, **fields})


def test_the_report_is_a_table_then_the_patches_then_the_summary() -> None:
    report = UpgradeReport(
        "default",
        "incidents",
        7,
        [
            _replayed("inc-b", mismatch="Event 9 of its history is a timer started, where …."),
            _replayed("inc-a", patches=("p1",), events=112),
            _replayed("alarm-x", workflow_type="AlarmWorkflow", status="running", patches=("p1",)),
            _replayed("inc-c", status="closed", running=False, patches=("p2",)),
            _replayed("inc-d", mismatch="Its history could not be read: gone.", checked=False),
        ],
    )
    assert say.report_text(report) == "\n".join(
        [
            "WORKFLOW  STATUS   EVENTS  REPLAY",
            "alarm-x   running      40  ok",
            "inc-a     active      112  ok",
            "inc-c     closed       40  ok",
            "inc-b     active       40  would break: Event 9 of its history is a timer started, "
            "where ….",
            "inc-d     active       40  not checked: Its history could not be read: gone.",
            "Patch markers the open incidents carry (a patch no open one carries can go):",
            "  p1: 1 open incident and 1 open alarm",
            "5 replayed: 3 ok, 1 would break, 1 could not be checked.",
        ]
    )
    assert not report.passed
    assert say.verdict(report) == (
        "Do not deploy this build: 1 of the 5 workflows replayed would break, and 1 could not be "
        "checked."
    )
    data = say.report_json(report)
    assert (data["ok"], data["would_break"], data["not_checked"]) == (3, 1, 1)
    assert data["patches"] == {"p1": 2}


def test_an_empty_queue_says_what_was_looked_for() -> None:
    report = UpgradeReport("default", "incidents", 7)
    assert report.passed
    assert say.report_text(report) == (
        "No open incident carries a patch marker.\n"
        "Nothing to replay: no incident or alarm is running on task queue incidents or closed in "
        "the last 7 days."
    )


# --- Against a dev server ----------------------------------------------------------------------


@dataclass
class Done:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Project:
    """Runs the `incident` CLI as a subprocess, from the repository or from a copy of it."""

    def __init__(self, target: str, queue: str, workdir: Path) -> None:
        self.env = clean_env(TEMPORAL_ADDRESS=target, TEMPORAL_TASK_QUEUE=queue)
        self.workdir = workdir  # no .env here

    async def incident(
        self, *args: str, code: Path = ROOT, env: dict[str, str] | None = None
    ) -> Done:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(code / "starter.py"),  # its directory first on the path: that copy's packages
            *args,
            cwd=self.workdir,
            env={**self.env, **(env or {})},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), seconds(120))
        assert process.returncode is not None
        return Done(process.returncode, out.decode(), err.decode())

    async def ok(self, *args: str) -> str:
        done = await self.incident(*args)
        assert done.code == 0, f"incident {' '.join(args)}: {done.err}"
        return done.out


def copy_of_the_code(into: Path, change: Callable[[str], str] | None = None) -> Path:
    """The project's packages and scripts, with ``change`` applied to CHANGED."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    for script in SCRIPTS:
        shutil.copy(ROOT / script, into / script)
    if change is not None:
        path = into / CHANGED
        path.write_text(change(path.read_text()))
    return into


def _the_spot(text: str) -> str:
    if text.count(CHANNEL_TOLD + DMS_ASKED) != 1:
        pytest.fail(
            f"{CHANGED} no longer tells the channel and then asks the DMs, as this test's "
            "change expects (the lead's request to resolve): aim the change where that code went."
        )
    return CHANNEL_TOLD + DMS_ASKED


def reordered(text: str) -> str:
    """The DMs asked before the channel is told, for every incident: unguarded."""
    return text.replace(_the_spot(text), DMS_ASKED + CHANNEL_TOLD)


def guarded(text: str) -> str:
    """The same reordering for incidents that reach it from now on, behind workflow.patched."""

    def indented(block: str) -> str:
        return "".join(f"    {line}" for line in block.splitlines(keepends=True))

    new_path = (
        f'    if workflow.patched("{PATCH}"):\n'
        f"{indented(DMS_ASKED + CHANNEL_TOLD)}    else:\n{indented(CHANNEL_TOLD + DMS_ASKED)}"
    )
    changed = text.replace(_the_spot(text), new_path)
    return changed.replace(
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom temporalio import workflow\n",
        1,
    )


@dataclass
class Incidents:
    """The ids of the incidents started, by how far each went, and the copies of the code."""

    project: Project
    asked: str  # the lead asked to resolve: awaiting approval
    approved: str  # the lead asked, a DM approved: resolved
    closed: str  # asked, approved, retro: closed (its workflow completed)
    active: str  # only an update
    resolved_by_dm: str  # a DM resolved it directly
    reported: str  # a report in triage
    alarm: str  # an alarm's workflow, and the report it opened
    alarm_report: str
    unchanged: Path
    unguarded: Path
    with_patch: Path

    @property
    def through_the_request(self) -> set[str]:
        return {self.asked, self.approved, self.closed}

    @property
    def open(self) -> set[str]:
        ids = {self.asked, self.approved, self.active, self.resolved_by_dm, self.reported}
        return ids | {self.alarm, self.alarm_report}


async def _state(client: Client, incident_id: str) -> IncidentState:
    for _ in range(100):
        try:
            state = await client.get_workflow_handle(incident_id).query(
                "state", result_type=IncidentState
            )
        except Exception:  # not open yet (its first task still running)
            await asyncio.sleep(0.1)
            continue
        assert isinstance(state, IncidentState)
        return state
    raise AssertionError(f"{incident_id} never answered")


async def settled(client: Client, incident_id: str) -> None:
    """Until nothing waits to be delivered (and an active incident has its channel), so the next
    command finds every lane free and the history is the same wherever it runs."""
    deadline = asyncio.get_running_loop().time() + seconds(20)
    while True:
        state = await _state(client, incident_id)
        channel_pending = state.status in (Status.ACTIVE, Status.AWAITING_APPROVAL) and (
            state.channel_id is None
        )
        if not state.waiting and not channel_pending:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{incident_id} never settled"
        await asyncio.sleep(0.1)


async def _open(project: Project, client: Client, name: str, *how: str) -> str:
    incident_id = f"inc-upgrade-{name}"
    await project.ok(*how, "--id", incident_id)
    await settled(client, incident_id)
    return incident_id


async def _then(project: Project, client: Client, incident_id: str, *args: str) -> None:
    await project.ok(*args)
    await settled(client, incident_id)


@contextlib.asynccontextmanager
async def today_s_worker(client: Client, queue: str) -> AsyncIterator[None]:
    """A worker of today's code in this process, polling ``queue``, its messages discarded."""
    settings = Settings(
        _env_file=None, temporal_task_queue=queue, incident_delivery_managers=f"{DM1},{DM2}"
    )
    quiet = io.StringIO()
    activities = IncidentActivities(
        messenger=ConsoleMessenger(platform_channel="#wc-platform", stream=quiet),
        status_page=ConsoleStatusPage(stream=quiet),
    )
    async with build_worker(client, settings, activities=activities):
        await wait_until_polled(client, queue)
        yield


@pytest_asyncio.fixture(scope="module")
async def incidents(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Incidents]:
    client = dev_env.client
    target = client.service_client.config.target_host
    queue = f"upgrade-check-{uuid.uuid4()}"
    project = Project(target, queue, tmp_path_factory.mktemp("cli"))
    copies = tmp_path_factory.mktemp("code")
    unchanged = copy_of_the_code(copies / "unchanged")  # the code the worker below runs
    async with today_s_worker(client, queue):
        declare = ("--as", LEAD, "declare", "Upgrade check", "--lead", LEAD, "--severity", "sev2")
        ask = ("--as", LEAD, "resolve")
        asked = await _open(project, client, "asked", *declare)
        await _then(project, client, asked, *ask, asked, "--summary", "Rolled back")
        approved = await _open(project, client, "approved", *declare)
        await _then(project, client, approved, *ask, approved, "--summary", "Rolled back")
        await _then(project, client, approved, "--as", DM1, "approve", approved)
        closed = await _open(project, client, "closed", *declare)
        await _then(project, client, closed, *ask, closed, "--summary", "Rolled back")
        await _then(project, client, closed, "--as", DM1, "approve", closed)
        await project.ok("--as", DM1, "retro", closed, "--skip", "--reason", "A typo")
        await client.get_workflow_handle(closed).result()
        active = await _open(project, client, "active", *declare)
        await _then(project, client, active, "--as", LEAD, "update", active, "Pods restarted")
        by_dm = await _open(project, client, "by-dm", *declare)
        await _then(project, client, by_dm, "--as", DM1, "resolve", by_dm, "--summary", "Fixed")
        reported = await _open(project, client, "reported", "--as", REPORTER, "report", "Odd")
        alarm_key = f"generic:upgrade-check-{uuid.uuid4().hex[:8]}"
        notice = AlarmNotice(
            source=AlarmSource.GENERIC,
            key=alarm_key,
            delivery_id="upgrade-check-1",
            firing=True,
            title="Disk full on db-1",
            at=datetime.now(UTC),
        )
        await TemporalForwarder(client, task_queue=queue).alarm(notice)
        alarm = alarm_workflow_id(alarm_key)
        alarm_report = await _alarm_report(client, alarm)
        await settled(client, alarm_report)
    yield Incidents(
        project,
        asked,
        approved,
        closed,
        active,
        by_dm,
        reported,
        alarm,
        alarm_report,
        unchanged=unchanged,
        unguarded=copy_of_the_code(copies / "unguarded", reordered),
        with_patch=copy_of_the_code(copies / "with-patch", guarded),
    )


async def _alarm_report(client: Client, alarm: str) -> str:
    for _ in range(200):
        state = await client.get_workflow_handle(alarm).query("state", result_type=AlarmState)
        assert isinstance(state, AlarmState)
        if state.incident_id:
            return state.incident_id
        await asyncio.sleep(0.1)
    raise AssertionError(f"{alarm} opened no report")


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["workflow_id"]: item for item in report["workflows"]}


@pytest.mark.e2e
async def test_the_check_replays_what_the_worker_registers(dev_env: WorkflowEnvironment) -> None:
    """The same workflows and runner as the worker, and none of its interceptors to miss."""
    config = build_worker(dev_env.client, Settings(_env_file=None)).config()  # built, never run
    assert set(config["workflows"]) == set(REPLAYED_WORKFLOWS)
    assert config["workflow_runner"] is WORKFLOW_RUNNER
    assert not config.get("interceptors")


@pytest.mark.e2e
async def test_unchanged_code_replays_every_workflow(incidents: Incidents) -> None:
    done = await incidents.project.incident("upgrade-check", "--json", code=incidents.unchanged)
    assert (done.code, done.err) == (0, ""), done.err
    report = done.json()
    workflows = _by_id(report)
    assert set(workflows) == incidents.open | {incidents.closed}
    assert all(item["ok"] and item["mismatch"] is None for item in workflows.values())
    assert workflows[incidents.closed]["open"] is False
    assert workflows[incidents.closed]["status"] == "closed"
    assert workflows[incidents.asked]["status"] == "awaiting_approval"
    assert workflows[incidents.alarm]["workflow_type"] == "AlarmWorkflow"
    assert report["summary"] == f"{len(workflows)} replayed: {len(workflows)} ok, 0 would break."
    text = await incidents.project.incident("upgrade-check", code=incidents.unchanged)
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[-1] == report["summary"]
    for incident_id in workflows:
        (line,) = [line for line in lines if line.startswith(f"{incident_id} ")]
        assert line.endswith("  ok"), line


@pytest.mark.e2e
async def test_an_unguarded_reordering_names_exactly_the_incidents_it_would_break(
    incidents: Incidents,
) -> None:
    done = await incidents.project.incident("upgrade-check", "--json", code=incidents.unguarded)
    assert done.code == 1
    report = done.json()
    breaking = {item["workflow_id"] for item in report["workflows"] if not item["ok"]}
    assert breaking == incidents.through_the_request
    assert report["would_break"] == 3 and report["passed"] is False
    total = len(report["workflows"])
    assert (
        done.err == f"Do not deploy this build: 3 of the {total} workflows replayed would break.\n"
    )
    text = await incidents.project.incident("upgrade-check", code=incidents.unguarded)
    assert text.code == 1
    assert text.out.splitlines()[-1] == f"{total} replayed: {total - 3} ok, 3 would break."
    for incident_id in incidents.through_the_request:
        (line,) = [line for line in text.out.splitlines() if line.startswith(f"{incident_id} ")]
        assert re.search(
            r"  would break: Event \d+ of its history scheduled the transition post in the "
            rf"incident channel \(key {incident_id}/\d+\), where this code delivers the "
            rf"resolution request message to {DM1}, {DM2}\.$",
            line,
        ), line
    # Without the closed ones, the closed incident is not replayed at all.
    recent = await incidents.project.incident(
        "upgrade-check", "--since", "0", "--json", code=incidents.unguarded
    )
    assert recent.code == 1
    assert {item["workflow_id"] for item in recent.json()["workflows"]} == incidents.open
    assert {item["workflow_id"] for item in recent.json()["workflows"] if not item["ok"]} == {
        incidents.asked,
        incidents.approved,
    }


@pytest.mark.e2e
async def test_the_same_change_guarded_by_a_patch_replays_every_workflow(
    incidents: Incidents,
) -> None:
    done = await incidents.project.incident("upgrade-check", "--json", code=incidents.with_patch)
    assert (done.code, done.err) == (0, ""), done.err
    report = done.json()
    assert all(item["ok"] for item in report["workflows"])
    assert report["patches"] == {}  # none of them has reached the new path


@pytest.mark.e2e
async def test_once_deployed_the_patch_is_listed_for_the_incidents_that_carry_it(
    incidents: Incidents, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The guarded build runs; an incident opened now takes the new path and carries the patch.
    The build before it would now break that incident: the patch may not simply go."""
    project, client = incidents.project, dev_env.client
    log = (tmp_path / "worker.log").open("w")
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        str(incidents.with_patch / "starter.py"),
        "worker",
        cwd=project.workdir,
        env={**project.env, "INCIDENT_DELIVERY_MANAGERS": f"{DM1},{DM2}"},
        stdout=log,
        stderr=log,
    )
    try:
        queue = project.env["TEMPORAL_TASK_QUEUE"]
        await wait_until_polled(
            client, queue, tries=300, still_alive=lambda: worker.returncode is None
        )
        declare = ("--as", LEAD, "declare", "After the deploy", "--lead", LEAD)
        new = await _open(project, client, "after-deploy", *declare)
        await _then(project, client, new, "--as", LEAD, "resolve", new, "--summary", "Done")
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), seconds(30))
        log.close()

    done = await project.incident(
        "upgrade-check", "--since", "0", "--json", code=incidents.with_patch
    )
    assert (done.code, done.err) == (0, ""), done.err
    report = done.json()
    assert report["patches"] == {PATCH: 1}
    assert _by_id(report)[new]["patches"] == [PATCH]
    text = await project.incident("upgrade-check", "--since", "0", code=incidents.with_patch)
    assert f"  {PATCH}: 1 open incident\n" in text.out

    before = await project.incident(
        "upgrade-check", "--since", "0", "--json", code=incidents.unchanged
    )
    assert before.code == 1
    assert [i["workflow_id"] for i in before.json()["workflows"] if not i["ok"]] == [new]
    assert _by_id(before.json())[new]["mismatch"] == (
        f"Its history carries patch {PATCH}, which this code no longer asks for (keep it as "
        "workflow.deprecate_patch until no open incident carries it)."
    )


@pytest.mark.e2e
async def test_with_encrypted_payloads_it_replays_with_the_same_keys(
    incidents: Incidents, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """INCIDENT_CODEC_KEYS: the histories are sealed, and the check opens them as the worker
    does (the deliveries compared too); without the key it checks nothing, and says so."""
    keys = f"k1:{base64.b64encode(bytes(range(32))).decode()}"
    target = dev_env.client.service_client.config.target_host
    queue = f"upgrade-check-sealed-{uuid.uuid4()}"
    project = Project(target, queue, tmp_path)
    project.env["INCIDENT_CODEC_KEYS"] = keys
    sealed = await Client.connect(target, data_converter=data_converter(parse_keys(keys)))
    async with today_s_worker(sealed, queue):
        declare = ("--as", LEAD, "declare", "Sealed", "--lead", LEAD)
        asked = await _open(project, sealed, "sealed-asked", *declare)
        await _then(project, sealed, asked, "--as", LEAD, "resolve", asked, "--summary", "Done")
        active = await _open(project, sealed, "sealed-active", *declare)
    history = await dev_env.client.get_workflow_handle(asked).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == b"binary/encrypted"

    done = await project.incident("upgrade-check", "--json", code=incidents.unchanged)
    assert (done.code, done.err) == (0, ""), done.err
    assert {item["workflow_id"] for item in done.json()["workflows"]} == {asked, active}
    changed = await project.incident("upgrade-check", "--json", code=incidents.unguarded)
    assert changed.code == 1
    breaking = [item for item in changed.json()["workflows"] if not item["ok"]]
    assert [item["workflow_id"] for item in breaking] == [asked]
    assert "the transition post in the incident channel" in breaking[0]["mismatch"]
    keyless = await project.incident(
        "upgrade-check", code=incidents.unchanged, env={"INCIDENT_CODEC_KEYS": ""}
    )
    assert keyless.code == 1
    assert keyless.err == "Do not deploy this build: 2 of the 2 workflows could not be checked.\n"
    assert (
        "not checked: Its history could not be read: This incident's data is encrypted with key k1"
        in keyless.out
    )


@pytest.mark.e2e
async def test_without_a_server_it_says_so_in_one_sentence(tmp_path: Path) -> None:
    project = Project(f"127.0.0.1:{free_port()}", "incidents", tmp_path)
    done = await project.incident("upgrade-check")
    assert done.code == 1
    assert done.out == ""
    assert re.fullmatch(r"Cannot reach Temporal at 127\.0\.0\.1:\d+ \([^)]*\): .*\?\n", done.err)


def test_since_is_a_number_of_days(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "starter.py"), "upgrade-check", "--since", "-1"],
        cwd=tmp_path,
        env=clean_env(TEMPORAL_ADDRESS="127.0.0.1:1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
