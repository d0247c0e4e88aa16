"""An alarm storm through the intake: notifications from flapping alarms, each alarm one report.

    python -m bench --only alarm_storm

The real intake (``intake/server.py``) serves in the bench process on a free port and hands each
notification to ``TemporalForwarder`` (Update-with-Start on the alarm's workflow, answered 2xx
once a worker accepted it), as ``incident intake`` does. A bench worker runs the product's worker
(the alarms' workflows, their activities, the reports) with one delivery manager in its settings,
delivering through ``SlackMessenger`` to the timed Slack stand-in of ``bench/standins.py``.

The storm: ALARMS generic alarms (``POST /alerts/generic`` with a bearer token), each alternating
firing and resolved; notification i is alarm i mod ALARMS's, sent i x SECONDS / NOTIFICATIONS after
the start (every alarm fires first within the first ALARMS such steps), at most SENDERS in flight.
Measured: each answer's status and time; the reports (the IncidentWorkflows on the worker's
queue, and each alarm's own); for each alarm, from its first notification's send to the Slack
stand-in receiving the delivery manager's direct message about its report ("An alarm reported
inc-…"); the Slack messages the reports posted, per alarm.

The target is absolute: no bare baseline is measured. Beside it, the floor Slack's pace puts
under it: every report's message goes to the one delivery manager's direct-message channel, where
the worker posts at most one message every ``POST_INTERVAL`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from activities.slack_posting import POST_INTERVAL
from bench.figure import Bench, Figure
from bench.harness import DM, WorkerProcess, millis, summary
from bench.server import free_port
from bench.standins import Post, TimedSlack
from bench.waits import GRACE_SECONDS, bounded
from intake.config import IntakeConfig
from intake.server import Intake, start_intake
from intake.temporal_forwarder import TemporalForwarder
from temporal_client.client import STATE_QUERY, query_incident
from workflows.alarm import alarm_workflow_id
from workflows.model import IncidentState
from workflows.model.alarms import AlarmSource, AlarmState

TOKEN = "bench-storm-token-0123456789abcdef"
REPORTED = "An alarm reported "
CLEARED = "The alarm behind "
QUIET_SECONDS = 3.0  # no new Slack post for this long: the reports' deliveries are done
LATEST_SHOWN = 5


@dataclass(frozen=True)
class Sent:
    """One notification: whose, what, when it was due and sent (epoch seconds), its answer."""

    index: int
    alarm: int
    firing: bool
    due: float
    sent: float
    seconds: float
    status: int  # 0: no answer (the connection failed)
    answer: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


async def alarm_storm(bench: Bench) -> Figure:
    sizes = bench.sizes
    alarms, n = sizes.storm_alarms, sizes.storm_notifications
    figure = Figure(
        key="alarm_storm",
        title=f"an alarm storm through the intake: {n:,} notifications from {alarms} flapping "
        f"alarms in {sizes.storm_seconds:g} s; first notification to the delivery managers' "
        "direct message",
        target="p99 < 2 s; exactly one report per alarm; every answer 2xx",
        unit="s",
    )
    run = bench.name("storm")
    queue = bench.name("alarms")
    slack = TimedSlack()
    await slack.start()
    try:
        async with WorkerProcess(
            bench.address,
            incident_queue=queue,
            # Direct messages to one person wait their turn in Slack's pace: retries by design.
            extra=[*slack.worker_args(), "--delivery-managers", DM, "--quiet-retries"],
        ) as worker:
            bench.log(
                f"  {n} notifications from {alarms} alarms over {sizes.storm_seconds:g} s, "
                f"at most {sizes.storm_senders} in flight"
            )
            began = time.time()
            sent = await storm(bench, queue, run)
            storm_seconds = time.time() - began
            waited_in_vain = await bounded(
                worker.wait_for(
                    lambda: len(report_messages(slack.posts)) >= alarms,
                    timeout=60 + 3 * alarms,
                    what=f"Slack to have the delivery manager's message of {alarms} reports",
                    poll=0.2,
                )
            )
            messages_seen = len(slack.posts)
            unsettled = await bounded(settled(bench, slack, queue, run, timeout=60 + 3 * alarms))
            await asyncio.sleep(GRACE_SECONDS)
            alarm_states = await bench.map(lambda a: alarm_state(bench, run, a), range(alarms))
            listed = await incidents_on(bench, queue)
            report_states = await bench.map(lambda i: report_state(bench, i), listed)
            await bench.terminate([alarm_workflow_of(run, a) for a in range(alarms)] + listed)
    finally:
        await slack.stop()

    figure.sizes = {
        "alarms": alarms,
        "notifications": n,
        "seconds": sizes.storm_seconds,
        "senders": sizes.storm_senders,
    }
    refused = [s for s in sent if not s.accepted]
    named = {a: state.get("incident_id") for a, state in enumerate(alarm_states)}
    opened_per_alarm = [1 + len(state.get("ended_incidents", [])) for state in alarm_states]
    by_report = {report: a for a, report in named.items() if report is not None}
    posts = [p for p in slack.posts if p.incident in set(listed) | set(by_report)]
    reported_at = report_messages(posts)
    created = {s["id"]: s["created_at"] for s in report_states if s}
    first_sent = {a: min(s.sent for s in sent if s.alarm == a) for a in range(alarms)}
    # Its first notification's answer (an alarm whose first was refused has none).
    first_answered = [
        first.seconds
        for a in range(alarms)
        if (first := min((s for s in sent if s.alarm == a), key=lambda s: s.sent)).accepted
    ]
    to_dm, to_open, open_to_dm, unheard = [], [], [], []
    latest: list[dict[str, Any]] = []
    for a in range(alarms):
        report = named[a]
        heard = reported_at.get(report) if report else None
        if heard is None:
            unheard.append(a)
            continue
        to_dm.append(heard - first_sent[a])
        opened = created.get(report)
        if opened is not None:
            to_open.append(opened - first_sent[a])
            open_to_dm.append(heard - opened)
        latest.append(
            {
                "alarm": a,
                "report": report,
                "first_sent_after_start_s": round(first_sent[a] - began, 2),
                "opened_after_first_s": None
                if opened is None
                else round(opened - first_sent[a], 3),
                "dm_after_first_s": round(heard - first_sent[a], 3),
            }
        )
    latest.sort(key=lambda row: row["dm_after_first_s"], reverse=True)
    kinds = Counter(kind_of(post) for post in posts)
    keys = Counter(post.key for post in posts)
    floor = pace_floor(sorted(first_sent.values()), POST_INTERVAL)

    figure.product = summary(to_dm, unit="s") | {
        "reports": len(listed),
        "alarms": alarms,
        "non_2xx": len(refused),
        # Slack messages: posts merged into one (activities/slack_posting.py) count once.
        "messages_per_alarm": round(len({(p.channel, p.ts) for p in posts}) / alarms, 2),
    }
    figure.baseline = summary(floor, unit="s") | {
        "why": f"no bare baseline (the target is absolute): the floor Slack's pace puts under "
        f"the same measure, every report's direct message to the one delivery manager at most "
        f"one per {POST_INTERVAL:g} s, none before its alarm's first notification was sent",
    }
    figure.extra = {
        "intake_answer_ms": summary(millis([s.seconds for s in sent if s.status]), unit="ms"),
        "non_2xx": {
            "count": len(refused),
            "by_status": dict(Counter(s.status for s in refused)),
            "first": [
                {"index": s.index, "alarm": s.alarm, "status": s.status, "answer": s.answer}
                for s in refused[:5]
            ],
        },
        "sent_late_s": summary([s.sent - s.due for s in sent], unit="s"),
        "storm_took_s": round(storm_seconds, 1),
        "phases": {
            "first_notification_answered": summary(first_answered, unit="s"),
            "first_notification_to_report_opened": summary(to_open, unit="s"),
            "report_opened_to_dm": summary(open_to_dm, unit="s"),
        },
        "reports": {
            "listed": len(listed),
            "named_by_alarms": len(by_report),
            "opened_per_alarm": [min(opened_per_alarm), max(opened_per_alarm)],
            "not_named_by_an_alarm": sorted(set(listed) - set(by_report))[:10],
            "alarms_without_one": [a for a, report in named.items() if report is None][:10],
            "delivery_managers": sorted({dm for s in report_states if s for dm in s["dms"]}),
        },
        "alarm_notices_applied": sum(state.get("notices", 0) for state in alarm_states),
        "alarm_notices_repeated": sum(state.get("repeated", 0) for state in alarm_states),
        "messages": {
            "total": len({(p.channel, p.ts) for p in posts}),
            "posts": len(posts),
            "by_kind": dict(kinds),
            "duplicates": sum(count - 1 for count in keys.values()),
            "when_every_report_was_heard": messages_seen,
            "failed_deliveries": sum(s["failed"] for s in report_states if s),
            "undelivered_at_end": sum(s["undelivered"] for s in report_states if s),
        },
        "latest_dm": latest[:LATEST_SHOWN],
        "never_heard": unheard[:10],
        "waited_in_vain": [w for w in (waited_in_vain, unsettled) if w],
    }
    figure.notes.append(
        f"The intake (in the bench process, TemporalForwarder to the worker's queue) took "
        f"{n:,} generic notifications from {alarms} alarms, each alternating firing and "
        f"resolved, notification i to alarm i mod {alarms}, sent evenly over "
        f"{sizes.storm_seconds:g} s with at most {sizes.storm_senders} in flight and never "
        "retried (a refused one is counted, not sent again). One bench worker (the product's "
        "worker, INCIDENT_DELIVERY_MANAGERS naming one delivery manager) delivered through "
        "SlackMessenger to the Slack stand-in. Value: per alarm, from its first notification's "
        "send to the stand-in accepting the direct message 'An alarm reported inc-…' about its "
        "report; p99 over the alarms. Reports: the IncidentWorkflows on the worker's queue "
        "(visibility), which must be the alarms' own, one each. Messages per alarm: every "
        "Slack message the stand-in accepted for these reports (posts merged into one message "
        "count once), once nothing was posted for "
        f"{QUIET_SECONDS:g} s and every report had delivered all it decided, / alarms. The "
        "target is absolute; the baseline column is the floor Slack's per-channel pace puts "
        "under the value, not a measurement."
    )
    if unheard:
        figure.notes.append(f"{len(unheard)} alarms' delivery managers never heard of a report.")
    if not to_dm:
        figure.notes.append("Not measured: no report's direct message reached Slack.")
        return figure
    figure.value = figure.product["p99"]
    figure.met = (
        figure.value < 2.0
        and len(listed) == alarms
        and len(by_report) == alarms
        and max(opened_per_alarm) == 1
        and not refused
        and not unheard
    )
    return figure


async def storm(bench: Bench, queue: str, run: str) -> list[Sent]:
    """Serve the intake on a free port and send it the storm; every notification's answer."""
    sizes = bench.sizes
    alarms, n, spread = sizes.storm_alarms, sizes.storm_notifications, sizes.storm_seconds
    config = IntakeConfig(tokens=(TOKEN.encode(),))
    forwarder = TemporalForwarder(bench.client, task_queue=queue)
    port = free_port()
    gate = asyncio.Semaphore(sizes.storm_senders)
    limits = httpx.Limits(
        max_connections=sizes.storm_senders, max_keepalive_connections=sizes.storm_senders
    )
    async with (
        httpx.AsyncClient(trust_env=False) as outbound,
        httpx.AsyncClient(trust_env=False, timeout=30, limits=limits) as http,
    ):
        runner = await start_intake(
            Intake(config, forwarder, outbound), host="127.0.0.1", port=port
        )
        url = f"http://127.0.0.1:{port}/alerts/generic"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        start = time.time() + 0.2

        async def send(i: int) -> Sent:
            alarm, k = i % alarms, i // alarms
            firing = k % 2 == 0
            due = start + i * spread / n
            await asyncio.sleep(max(0.0, due - time.time()))
            body = {
                "title": f"Bench {run} alarm {alarm:02d}",
                "status": "firing" if firing else "resolved",
                "deduplication_key": f"{run}-{alarm:02d}",
                # Every notification's body differs: its delivery id is the body's digest.
                "description": f"Notification {k + 1} of alarm {alarm:02d} in the storm {run}.",
            }
            async with gate:
                sent, clock = time.time(), time.perf_counter()
                try:
                    response = await http.post(url, json=body, headers=headers)
                    status, answer = response.status_code, response.text.strip()
                except httpx.HTTPError as error:
                    status, answer = 0, f"{type(error).__name__}: {error}"
                seconds = time.perf_counter() - clock
            return Sent(i, alarm, firing, due, sent, seconds, status, answer[:200])

        try:
            return await asyncio.gather(*(send(i) for i in range(n)))
        finally:
            await runner.cleanup()


def alarm_workflow_of(run: str, alarm: int) -> str:
    return alarm_workflow_id(f"{AlarmSource.GENERIC.value}:{run}-{alarm:02d}")


async def alarm_state(bench: Bench, run: str, alarm: int) -> dict[str, Any]:
    """The alarm's workflow's state (empty when it has none)."""
    handle = bench.client.get_workflow_handle(alarm_workflow_of(run, alarm))
    try:
        state: AlarmState = await handle.query("state", result_type=AlarmState)
    except Exception:  # never started: no notification of it was accepted
        return {}
    return state.model_dump()


async def incidents_on(bench: Bench, queue: str) -> list[str]:
    """Every incident (report) started on the worker's queue, as visibility lists them."""
    query = f'WorkflowType = "IncidentWorkflow" AND TaskQueue = "{queue}"'
    return sorted({execution.id async for execution in bench.client.list_workflows(query)})


async def report_state(bench: Bench, incident_id: str) -> dict[str, Any]:
    """What the figure reads of a report (empty when it does not answer)."""
    handle = bench.client.get_workflow_handle(incident_id)
    with contextlib.suppress(Exception):
        state = await asyncio.wait_for(
            query_incident(handle, STATE_QUERY, IncidentState), timeout=30
        )
        return {
            "id": state.id,
            "created_at": state.created_at.timestamp(),
            "dms": state.delivery_managers,
            "failed": state.failed_deliveries,
            "undelivered": state.undelivered,
        }
    return {}


async def settled(bench: Bench, slack: TimedSlack, queue: str, run: str, *, timeout: float) -> None:
    """Until Slack has had nothing new for ``QUIET_SECONDS`` and nothing is left to apply or
    deliver (every alarm's notices applied, every report's messages delivered)."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = -1, time.monotonic()
    while True:
        if len(slack.posts) != seen:
            seen, quiet_since = len(slack.posts), time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            alarms = range(bench.sizes.storm_alarms)
            states = await bench.map(lambda a: alarm_state(bench, run, a), alarms)
            reports = await bench.map(
                lambda i: report_state(bench, i), await incidents_on(bench, queue)
            )
            if not any(s.get("pending") for s in states) and not any(
                r.get("undelivered") for r in reports
            ):
                return
            quiet_since = time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"waited {timeout:g} s for the alarms and their reports to finish delivering"
            )
        await asyncio.sleep(0.25)


def report_messages(posts: list[Post]) -> dict[str, float]:
    """When the stand-in first accepted each report's 'An alarm reported …', by report."""
    heard: dict[str, float] = {}
    for post in posts:
        if post.incident is not None and post.text.startswith(REPORTED):
            heard.setdefault(post.incident, post.at)
    return heard


def kind_of(post: Post) -> str:
    if post.text.startswith(REPORTED):
        return "reported (direct)"
    if post.text.startswith(CLEARED):
        return "cleared (direct)" if post.channel.startswith("D") else "cleared (channel)"
    return "other (direct)" if post.channel.startswith("D") else "other (channel)"


def pace_floor(first_sent: list[float], interval: float) -> list[float]:
    """For alarms whose first notifications were sent at ``first_sent`` (sorted), the least
    time to their reports' messages in one direct-message channel paced at ``interval``: none
    before its first notification, each at least ``interval`` after the one before."""
    floor, last = [], -float("inf")
    for sent in first_sent:
        last = max(sent, last + interval)
        floor.append(last - sent)
    return floor
