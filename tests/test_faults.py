"""The fault suite: crash the worker, the server and the stand-ins, and count what people got.

A real `temporal server start-dev` (SQLite file, fixed ports) and real `incident worker`
processes, delivering to the Slack and Statuspage stand-ins on 127.0.0.1. Each test drives
whole incidents through faults and prints one figure line (``FAULTS {...}``), also appended to
``build/faults_summary.jsonl``: incidents driven, faults injected, messages expected vs
delivered, duplicates and lost (both must be 0). Run only these: ``pytest -m faults -s``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle

from tests.fault_stack import (
    DevServer,
    OutageSlack,
    OutageStatusPage,
    WorkerProcess,
    eventually,
    report,
    scheduled_effects,
    stand_in_env,
    tally,
)
from tests.people import ALL_HOURS, DM, DM2, HELPER, LEAD
from tests.standins.common import Fault
from tests.standins.github import GitHubStandIn
from tests.standins.slack import BOT_USER
from tests.support import seconds
from workflows.destinations.github import GitHubOptions, RetroPullRequest
from workflows.incident import IncidentWorkflow
from workflows.model import (
    Action,
    Command,
    EntryKind,
    IncidentStart,
    IncidentState,
    Policy,
    Receipt,
    Severity,
    Status,
    StatusPageStatus,
    Timer,
)
from workflows.model.commands import (
    ChangeSeverity,
    Handover,
    PostStatusPage,
    ProgressUpdate,
    Resolve,
    Retro,
)

pytestmark = pytest.mark.faults

TOKEN = "xoxb-fault-suite"
# A delivery whose worker died is retried once its heartbeat times out (5 s), then backs off.
SETTLE_SECONDS = 120
CALL_SECONDS = 90

# Each command, and the timeline entry that proves it landed.
ENTRY_OF: dict[Action, EntryKind] = {
    Action.UPDATE: EntryKind.UPDATE,
    Action.JOIN: EntryKind.JOINED,
    Action.HANDOVER: EntryKind.HANDOVER,
    Action.SEVERITY: EntryKind.SEVERITY,
    Action.STATUSPAGE: EntryKind.STATUSPAGE,
    Action.RESOLVE: EntryKind.RESOLVED,
    Action.RETRO: EntryKind.CLOSED,
}

Handle = WorkflowHandle[Any, IncidentState]
# The DMs on duty at any hour (deliveries heartbeat with the policy's default timeout, 5 s).
WORKERS_POLICY = Policy(delivery_managers=[DM, DM2], office_hours=ALL_HOURS)


@pytest_asyncio.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    dev = DevServer(tmp_path_factory.mktemp("faults") / "temporal.db")
    dev.start()
    try:
        await dev.ready()
        yield dev
    finally:
        dev.kill()


@dataclass
class Desk:
    """One test's incidents, workers and stand-ins; counts the commands each incident got."""

    server: DevServer
    client: Client
    slack: OutageSlack
    page: OutageStatusPage
    log_dir: Path
    task_queue: str = field(default_factory=lambda: f"faults-{uuid.uuid4().hex[:8]}")
    workers: list[WorkerProcess] = field(default_factory=list)
    handles: list[Handle] = field(default_factory=list)
    landed: dict[str, Counter[EntryKind]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def worker(self, name: str = "worker", **more_env: str) -> WorkerProcess:
        env = {**stand_in_env(self.slack, self.page), **more_env}
        process = WorkerProcess(self.server.address, self.task_queue, self.log_dir, env, name)
        self.workers.append(process)
        return process

    async def declare(self, name: str, *, policy: Policy | None = None) -> Handle:
        incident_id = f"inc-faults-{name}-{uuid.uuid4().hex[:6]}"
        start = IncidentStart(
            id=incident_id,
            title=f"Fault drill {name}",
            description=f"Drill {name}",
            actor=DM,
            lead=LEAD,
            severity=Severity.SEV1,
            declare=True,
            policy=policy or WORKERS_POLICY,
        )
        handle: Handle = await self.client.start_workflow(
            IncidentWorkflow.run, start, id=incident_id, task_queue=self.task_queue
        )
        self.handles.append(handle)
        self.landed[incident_id] = Counter({EntryKind.DECLARED: 1})
        return handle

    async def send(self, handle: Handle, action: Action, command: Command) -> Receipt:
        """One command as an Update with its own id (a retried call is applied once)."""
        began = time.monotonic()
        receipt: Receipt = await asyncio.wait_for(
            handle.execute_update(action.value, command, id=str(uuid.uuid4()), result_type=Receipt),
            CALL_SECONDS,
        )
        self.latencies.append(time.monotonic() - began)
        kind = ENTRY_OF[action]
        if action is Action.RESOLVE and receipt.status is not Status.RESOLVED:
            kind = EntryKind.RESOLUTION_REQUESTED
        self.landed[handle.id][kind] += 1
        return receipt

    async def close_out(self, handle: Handle, *, by: str = LEAD) -> None:
        """Resolve (a DM resolves at once) and record the retro."""
        await self.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Drill over"))
        await self.send(handle, Action.RETRO, Retro(actor=by, notes="Nothing lost"))

    async def settled(self, timeout: float = SETTLE_SECONDS) -> list[IncidentState]:
        """Every incident has delivered everything it decided."""

        async def all_delivered() -> list[IncidentState] | None:
            states = [await h.query(IncidentWorkflow.state) for h in self.handles]
            return states if all(s.undelivered == 0 for s in states) else None

        return await eventually(all_delivered, timeout=timeout, what="every message delivered")

    async def verdict(self, test: str, *, faults: int, **extra: Any) -> dict[str, Any]:
        """Check every command landed and every message arrived once; report the figures."""
        states = await self.settled()
        effects: dict[str, dict[str, Any]] = {}
        commands = 0
        for handle in self.handles:
            effects.update(await scheduled_effects(handle))
            timeline = await handle.query(IncidentWorkflow.timeline)
            kinds = Counter(e.kind for e in timeline)
            for kind, sent in self.landed[handle.id].items():
                assert kinds[kind] == sent, f"{handle.id}: {kind} {kinds[kind]} of {sent}"
                commands += sent
        counted = tally(effects, self.slack, self.page)
        figures = report(
            test,
            incidents=len(self.handles),
            commands=commands,
            faults_injected=faults,
            messages_expected=counted.expected,
            messages_delivered=counted.delivered,
            statuspage_expected=counted.statuspage_expected,
            statuspage_delivered=counted.statuspage_delivered,
            edits_expected=counted.edits_expected,
            edits_applied=counted.edits_applied,
            duplicates=counted.duplicates,
            lost=counted.lost,
            failed_deliveries=sum(s.failed_deliveries for s in states),
            **extra,
        )
        assert counted.duplicates == 0 and counted.lost == 0, figures
        assert counted.expected == counted.delivered, figures
        assert counted.edits_expected == counted.edits_applied, figures
        assert counted.statuspage_expected == counted.statuspage_delivered, figures
        assert figures["failed_deliveries"] == 0, figures
        return figures


@pytest_asyncio.fixture
async def desk(server: DevServer, tmp_path: Path) -> AsyncIterator[Desk]:
    slack, page = OutageSlack(token=TOKEN), OutageStatusPage(api_key="sp-key", page_id="page1")
    await slack.start()
    await page.start()
    slack.add_channel("wc-platform", members={BOT_USER})
    client = await server.ready()
    test_desk = Desk(server, client, slack, page, tmp_path)
    try:
        yield test_desk
    finally:
        for worker in test_desk.workers:
            worker.kill()
        for hold in slack.holds:
            hold.release.set()
        await slack.stop()
        await page.stop()


def update(text: str, actor: str = LEAD) -> ProgressUpdate:
    return ProgressUpdate(actor=actor, text=text)


async def test_worker_killed_mid_incident_loses_and_repeats_nothing(desk: Desk) -> None:
    worker = desk.worker()
    worker.start()
    await worker.polling()
    a, b, c = [await desk.declare(name) for name in "abc"]
    await desk.settled()

    # a: the command lands, its post is held before Slack applies it, then the worker dies.
    # b: Slack applies the post but never answers, and the worker dies while it waits.
    before = desk.slack.hold("chat.postMessage", containing="before-post", applied=False)
    during = desk.slack.hold("chat.postMessage", containing="during-post", applied=True)
    await desk.send(a, Action.UPDATE, update("before-post: rolled back"))
    await desk.send(b, Action.UPDATE, update("during-post: rolled back"))
    await asyncio.wait_for(asyncio.gather(before.reached.wait(), during.reached.wait()), 15)
    worker.kill()
    before.release.set()
    during.release.set()

    # Commands sent while no worker runs wait on the server and land when one is back.
    waiting = [
        asyncio.create_task(desk.send(c, Action.UPDATE, update("sent while the worker is dead"))),
        asyncio.create_task(desk.send(c, Action.JOIN, Command(actor=HELPER))),
        asyncio.create_task(
            desk.send(a, Action.SEVERITY, ChangeSeverity(actor=DM, severity=Severity.SEV2))
        ),
    ]
    await asyncio.sleep(1)
    assert not any(task.done() for task in waiting)
    worker.start()
    await worker.polling()
    await asyncio.gather(*waiting)
    await desk.send(c, Action.HANDOVER, Handover(actor=LEAD, to=HELPER))
    for handle in (a, b):
        await desk.close_out(handle)
    await desk.close_out(c, by=HELPER)

    figures = await desk.verdict("worker_killed_mid_incident", faults=3, worker_kills=1)
    assert figures["commands"] >= 14
    for marker in ("before-post", "during-post"):
        said = [
            m for _, m in desk.slack.all_messages() if m["text"].endswith(f"{marker}: rolled back")
        ]
        assert len(said) == 1, said


async def test_two_workers_one_killed_incidents_carry_on(desk: Desk) -> None:
    first, second = desk.worker("first"), desk.worker("second")
    first.start()
    await first.polling()
    handles = [await desk.declare(f"pair{n}") for n in range(4)]
    await desk.settled()
    # The first worker holds a post when the second joins; then the first dies.
    held = desk.slack.hold("chat.postMessage", containing="held by the first", applied=True)
    await desk.send(handles[0], Action.UPDATE, update("held by the first worker"))
    await asyncio.wait_for(held.reached.wait(), 15)
    second.start()
    await second.polling()
    first.kill()
    held.release.set()

    for n, handle in enumerate(handles):
        await desk.send(handle, Action.UPDATE, update(f"carrying on {n} on the second worker"))
        await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.send(
        handles[1],
        Action.STATUSPAGE,
        PostStatusPage(actor=DM, status=StatusPageStatus.IDENTIFIED, text="Degraded search"),
    )
    for handle in handles:
        await desk.close_out(handle)
    await desk.verdict("two_workers_one_killed", faults=2, worker_kills=1)
    assert "worker polling task queue" in second.log_path.read_text()


async def test_a_worker_killed_while_opening_the_channel_holds_its_lane_seconds(
    desk: Desk,
) -> None:
    """The channel is created, then its worker dies before answering: the next update in that
    channel waits only for the delivery's heartbeat to time out (it waited out the whole
    start-to-close timeout before, 37 s), and the channel is still opened once."""
    first, second = desk.worker("first"), desk.worker("second")
    first.start()
    await first.polling()
    held = desk.slack.hold("conversations.create", containing="faults-lane", applied=True)
    handle = await desk.declare("lane")
    await asyncio.wait_for(held.reached.wait(), 15)
    second.start()
    await second.polling()
    first.kill()
    killed_at = time.monotonic()
    held.release.set()

    await desk.send(handle, Action.UPDATE, update("after the crash: rolled back"))

    async def update_arrived() -> bool | None:
        said = (m["text"] for _, m in desk.slack.all_messages())
        return any(text.endswith("after the crash: rolled back") for text in said) or None

    await eventually(update_arrived, timeout=60, what="the update in the incident channel")
    lane_held = time.monotonic() - killed_at
    await desk.close_out(handle)
    await desk.verdict(
        "worker_killed_while_opening_the_channel",
        faults=1,
        worker_kills=1,
        lane_held_seconds=round(lane_held, 1),
    )
    channels = [c for c in desk.slack.channels.values() if "faults-lane" in c.name]
    assert len(channels) == 1, [c.name for c in channels]
    # The heartbeat timeout (5 s) and the first retry (1 s), with room for a slow machine.
    assert lane_held < 15, f"the channel's lane was held {lane_held:.1f} s after the worker died"


async def test_server_killed_and_restarted_keeps_incidents_and_timers(desk: Desk) -> None:
    cadence = {
        Severity.SEV1: timedelta(seconds=20),
        **{s: timedelta(hours=1) for s in (Severity.SEV2, Severity.SEV3)},
    }
    quick = Policy(delivery_managers=[DM, DM2], office_hours=ALL_HOURS, reminder_intervals=cadence)
    worker = desk.worker()
    worker.start()
    await worker.polling()
    reminded, steady = await desk.declare("remind", policy=quick), await desk.declare("steady")
    await desk.send(steady, Action.JOIN, Command(actor=HELPER))
    await desk.send(reminded, Action.UPDATE, update("watching the error rate"))
    await desk.settled()
    before = {h.id: await h.query(IncidentWorkflow.state) for h in (reminded, steady)}
    assert before[reminded.id].reminders_sent == 0
    due = before[reminded.id].timers[Timer.STALE_PROGRESS]

    desk.server.kill()
    killed_at = time.monotonic()
    await asyncio.sleep(2)
    desk.server.start()
    desk.client = await desk.server.ready()
    down_for = time.monotonic() - killed_at
    reminded, steady = (desk.client.get_workflow_handle(h.id) for h in (reminded, steady))
    desk.handles = [reminded, steady]

    after_steady = await eventually(
        lambda: steady.query(IncidentWorkflow.state), timeout=60, what="queries after restart"
    )
    assert after_steady == before[steady.id]

    async def reminder() -> list[Any] | None:
        timeline = await reminded.query(IncidentWorkflow.timeline)
        return [e for e in timeline if e.kind is EntryKind.REMINDER] or None

    [first, *_] = await eventually(reminder, timeout=60, what="a reminder after the restart")
    assert first.at >= due
    await desk.send(reminded, Action.UPDATE, update("after the restart"))
    for handle in (reminded, steady):
        await desk.close_out(handle)
    figures = await desk.verdict(
        "server_killed_and_restarted",
        faults=1,
        server_kills=1,
        server_down_seconds=round(down_for, 1),
        reminders_fired_after_restart=1,
    )
    channel = next(c for c in desk.slack.channels.values() if c.name == reminded.id)
    assert any("No progress update" in m["text"] for m in channel.messages), figures


async def test_slack_and_statuspage_faults_and_outage_lose_and_repeat_nothing(desk: Desk) -> None:
    slack, page = desk.slack, desk.page
    slack.inject("conversations.create", Fault.DROP_AFTER)
    slack.inject("conversations.invite", Fault.RATE_LIMIT)
    slack.inject("conversations.open", Fault.SERVER_ERROR)
    for fault in (Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.DROP_AFTER):
        slack.inject("chat.postMessage", fault, times=2)
    page.inject("create", Fault.DROP_AFTER)
    page.inject("patch", Fault.RATE_LIMIT)
    page.inject("patch", Fault.SERVER_ERROR)
    page.inject("patch", Fault.DROP_AFTER)
    worker = desk.worker()
    worker.start()
    await worker.polling()
    handles = [await desk.declare(f"flaky{n}") for n in range(3)]
    for status in (StatusPageStatus.INVESTIGATING, StatusPageStatus.IDENTIFIED):
        text = f"Search is {status}"
        await desk.send(
            handles[0], Action.STATUSPAGE, PostStatusPage(actor=DM, status=status, text=text)
        )
    await desk.settled()

    # Slack and the status page go down; commands are still accepted at once.
    await slack.go_down()
    await page.go_down()
    down_since = time.monotonic()
    desk.latencies.clear()
    for n, handle in enumerate(handles):
        await desk.send(handle, Action.UPDATE, update(f"during the outage {n}"))
        await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.send(
        handles[0],
        Action.STATUSPAGE,
        PostStatusPage(actor=DM, status=StatusPageStatus.MONITORING, text="A fix is in place"),
    )
    await desk.send(handles[1], Action.HANDOVER, Handover(actor=LEAD, to=HELPER))
    while_down = len(desk.latencies)
    slowest = max(desk.latencies)
    # Waiting for a delivery would take until Slack returns (25 s) or a retry's back-off.
    assert slowest < seconds(5), f"a command waited {slowest:.1f} s while Slack was down"
    await asyncio.sleep(max(0.0, 25 - (time.monotonic() - down_since)))
    queued = sum([(await h.query(IncidentWorkflow.state)).undelivered for h in handles])
    assert queued > 0  # queued, not lost, not blocking
    await slack.come_back()
    await page.come_back()
    outage = time.monotonic() - down_since

    await desk.close_out(handles[0])
    await desk.close_out(handles[1], by=HELPER)
    await desk.close_out(handles[2])
    injected = len(slack.faults_met()) + len(page.faults_met()) + 2  # + the two outages
    figures = await desk.verdict(
        "slack_statuspage_faults_and_outage",
        faults=injected,
        outage_seconds=round(outage, 1),
        messages_queued_during_outage=queued,
        commands_while_down=while_down,
        slowest_command_while_down_seconds=round(slowest, 2),
    )
    assert figures["statuspage_delivered"] == 4  # investigating, identified, monitoring, resolved
    assert len(slack.faults_met()) == 9 and len(page.faults_met()) == 4


async def test_one_service_down_holds_back_nothing_of_the_other(desk: Desk) -> None:
    """The status page down: Slack still gets the update and the invite at once. Slack down:
    the status page still gets its posts. Then both are back and nothing is lost or doubled."""
    worker = desk.worker()
    worker.start()
    await worker.polling()
    handle = await desk.declare("lanes")
    channel_id = (await desk.settled())[0].channel_id
    assert channel_id is not None
    channel = desk.slack.channels[channel_id]
    page_post = Action.STATUSPAGE

    await desk.page.go_down()
    await desk.send(
        handle,
        page_post,
        PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="Search is down"),
    )
    began = time.monotonic()
    await desk.send(handle, Action.UPDATE, update("Restarted the pods"))
    await desk.send(handle, Action.JOIN, Command(actor=HELPER))

    async def in_slack() -> bool:
        texts = [m["text"] for m in channel.messages]
        return any("Restarted the pods" in t for t in texts) and HELPER in channel.members

    await eventually(in_slack, timeout=seconds(10), what="the update and invite in Slack")
    slack_seconds = time.monotonic() - began

    await desk.slack.go_down()
    await desk.page.come_back()
    back = time.monotonic()
    await desk.send(
        handle,
        page_post,
        PostStatusPage(actor=DM, status=StatusPageStatus.IDENTIFIED, text="A bad deploy"),
    )

    async def on_the_page() -> list[str] | None:
        statuses = [
            u["status"] for i in desk.page.incidents.values() for u in i["incident_updates"]
        ]
        return statuses if statuses == ["investigating", "identified"] else None

    # The post retried through the outage is reached at its next attempt (at most a minute).
    await eventually(on_the_page, timeout=seconds(90), what="both page posts, in order")
    page_seconds = time.monotonic() - back
    await desk.slack.come_back()
    await desk.close_out(handle)
    await desk.verdict(
        "one_service_down_the_other_unaffected",
        faults=2,
        slack_seconds_during_page_outage=round(slack_seconds, 2),
        page_seconds_after_it_returned_during_slack_outage=round(page_seconds, 2),
    )


async def test_worker_killed_while_writing_to_github_opens_one_pull_request_and_one_issue_each(
    desk: Desk,
) -> None:
    """The retro's pull request is created, and an action's issue too, but the worker dies before
    GitHub answers either; the next worker's attempts find them instead of opening others."""
    github = GitHubStandIn(token="ghs-fault-suite")
    docs = github.add_repo("wellcome/docs")
    actions = github.add_repo("wellcome/platform")
    await github.start()
    try:
        env = {"GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.url}
        worker = desk.worker(**env)
        worker.start()
        await worker.polling()
        options = GitHubOptions(retro_repo=docs.full_name, actions_repo=actions.full_name)
        policy = Policy(
            delivery_managers=[DM, DM2],
            office_hours=ALL_HOURS,
            destinations={RetroPullRequest.destination_name(): options.model_dump()},
        )
        handle = await desk.declare("github", policy=policy)
        await desk.settled()

        pull_held = github.hold("create_pull", applied=True)
        issue_held = github.hold("create_issue", applied=True)
        await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Drill over"))
        retro = Retro(actor=LEAD, notes="Nothing lost", actions=["Alarm on 5xx", "Runbook"])
        await desk.send(handle, Action.RETRO, retro)
        await asyncio.wait_for(
            asyncio.gather(pull_held.reached.wait(), issue_held.reached.wait()), 30
        )
        worker.kill()
        pull_held.release.set()
        issue_held.release.set()
        worker = desk.worker("after", **env)
        worker.start()
        await worker.polling()

        state = await desk.settled()
        await eventually(
            lambda: _all_linked(handle), timeout=SETTLE_SECONDS, what="the retro and both actions"
        )
        assert len(docs.pulls) == 1
        branch = f"incident-retro/{handle.id}"
        [retro_file] = [c for p, c in docs.files(branch).items() if p.startswith("incident_ret")]
        assert "- Nothing lost" in retro_file  # the retro's update reached the same file
        assert sorted(i["title"] for i in actions.real_issues()) == ["Alarm on 5xx", "Runbook"]
        writes = {w: len(github.calls(w)) for w in ("create_ref", "create_pull", "create_issue")}
        assert writes == {"create_ref": 1, "create_pull": 1, "create_issue": 2}
        await desk.verdict(
            "worker_killed_while_writing_to_github",
            faults=2,
            worker_kills=1,
            pull_requests=len(docs.pulls),
            action_issues=len(actions.real_issues()),
            failed_github_deliveries=sum(s.failed_deliveries for s in state),
        )
    finally:
        for held in github.held:
            held.release.set()
        await github.stop()


async def _all_linked(handle: Handle) -> bool | None:
    state = await handle.query(IncidentWorkflow.state)
    return True if len(state.links) == 3 else None
