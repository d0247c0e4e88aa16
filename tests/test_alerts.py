"""What people read of alarms (issue 35): `incident alerts`, the alarm in `show`, the retro draft
that starts with the alarm, and `stats`' time from an alarm to a delivery manager's first answer.

The incidents are the pure process's own (``Incident.open`` with an alarm's start, commands
applied), so each reads as the workflow would record it; `incident alerts` also runs for real,
against the dev server with the product's worker and alarm workflows, at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.workflow import _Definition

from frontends.stats import first_answer, incident_stats
from messages.retro import retro_draft
from messages.terminal import alerts_json, alerts_table, show_text, stats_json, stats_text
from temporal_client.alarms import (
    ALARM_ID_PREFIX,
    ALARM_STATE_QUERY,
    ALARM_WORKFLOW_TYPE,
    OpenAlarm,
)
from tests.people import DM, LEAD
from tests.support import clean_env
from tests.test_cli_e2e import ThreadWorker
from workflows.alarm import ALARM_WORKFLOW, NOTIFY, AlarmWorkflow, alarm_workflow_id
from workflows.alarm_events import alarm_changed
from workflows.model import (
    Action,
    Arrival,
    Command,
    IncidentStart,
    IncidentState,
    Policy,
    Severity,
    Status,
    TimelineEntry,
)
from workflows.model.alarms import AlarmNotice, AlarmOrigin, AlarmSource, AlarmStart, AlarmState
from workflows.model.commands import Accept, Decline, Resolve, Retro
from workflows.process import Incident

LONDON = ZoneInfo("Europe/London")
FIRED = datetime(2026, 12, 6, 17, 2, tzinfo=UTC)  # a Sunday evening
ARN = "cloudwatch:arn:aws:cloudwatch:eu-west-2:123456789012:alarm:search-5xx"
STARTER = Path(__file__).resolve().parent.parent / "starter.py"


def alarm_report(
    incident_id: str,
    *,
    source: AlarmSource = AlarmSource.CLOUDWATCH,
    key: str = ARN,
    title: str = "search-5xx",
    opened: datetime = FIRED + timedelta(seconds=40),  # SNS and the intake took their time
    previous: str | None = None,
) -> Incident:
    """A report as an alarm opens it (activities/alarms.py): fired at FIRED."""
    start = IncidentStart(
        id=incident_id,
        title=title,
        description="Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
        actor=f"alarm:{source.value}",
        arrived_via=Arrival.ALARM,
        policy=Policy(delivery_managers=[DM]),
        alarm=AlarmOrigin(
            source=source,
            key=key,
            title=title,
            fired_at=FIRED,
            delivery_id=f"sns:{incident_id}-1",
            previous_incident=previous,
        ),
    )
    return Incident.open(start, opened)


def changed(incident: Incident, n: int, *, firing: bool, at: datetime) -> None:
    facts = incident.state.alarm
    assert facts is not None
    notice = AlarmNotice(
        source=facts.source,
        key=facts.key,
        delivery_id=f"sns:{incident.state.id}-{n}",
        firing=firing,
        title=incident.state.title,
        at=at,
    )
    alarm_changed(incident, notice, at)


# --- `incident alerts` ----------------------------------------------------------------------------


def test_the_listing_uses_the_alarm_workflows_own_names() -> None:
    definition = _Definition.must_from_class(AlarmWorkflow)
    assert ALARM_WORKFLOW_TYPE == ALARM_WORKFLOW == definition.name
    assert ALARM_STATE_QUERY in definition.queries
    assert NOTIFY in definition.updates
    assert alarm_workflow_id("generic:db-1-disk") == ALARM_ID_PREFIX + "generic:db-1-disk"


def _listed() -> list[OpenAlarm]:
    """Four alarms as `incident alerts` finds them, in its order."""
    firing = alarm_report("inc-2026-12-06-search-5xx").state
    disk = alarm_report(
        "inc-2026-12-06-disk-full-on-db-1-2",
        source=AlarmSource.GENERIC,
        key="generic:db-1-disk",
        title="Disk full on db-1",
    )
    disk.apply(Action.ACCEPT, Accept(actor=DM, lead=LEAD, severity=Severity.SEV2), FIRED)
    return [
        OpenAlarm(
            alarm_workflow_id(ARN),
            AlarmState(
                key=ARN,
                incident_id=firing.id,
                notices=5,
                fired=3,
                cleared=2,
                repeated=1,
                firing=True,
                last_at=FIRED + timedelta(minutes=18),
                recent_deliveries=["sns:1", "sns:2"],
            ),
            firing,
        ),
        OpenAlarm(
            "alarm-generic:db-1-disk",
            AlarmState(
                key="generic:db-1-disk",
                incident_id=disk.state.id,
                ended_incidents=["inc-2026-12-06-disk-full-on-db-1"],
                notices=4,
                fired=2,
                cleared=2,
                last_at=FIRED - timedelta(minutes=3),
            ),
            disk.state,
        ),
        OpenAlarm(
            "alarm-heartbeat:nightly-backup",
            AlarmState(
                key="heartbeat:nightly-backup",
                heartbeat_interval=timedelta(days=1),
                heartbeat_at=datetime(2026, 12, 6, 3, 0, tzinfo=UTC),
            ),
        ),
        OpenAlarm(
            'alarm-alertmanager:{}:{alertname="HighLatency"}',
            None,
            problem="No worker answered within 10 s.",
        ),
    ]


def test_alerts_prints_one_aligned_line_per_alarm_with_its_report_and_counts() -> None:
    assert alerts_table(_listed()) == (
        "STATE    FIRED  CLEARED  SINCE (UTC)       REPORT                              STATUS  ALARM\n"
        "firing       3        2  2026-12-06 17:20  inc-2026-12-06-search-5xx           triage  "
        f"{ARN}\n"
        "cleared      2        2  2026-12-06 16:59  inc-2026-12-06-disk-full-on-db-1-2  active  "
        "generic:db-1-disk (1 earlier report)\n"
        "ok           0        0  -                 -                                   -       "
        "heartbeat:nightly-backup (checks in every 1d, last 2026-12-06 03:00)\n"
        "unknown      -        -  -                 -                                   -       "
        'alertmanager:{}:{alertname="HighLatency"} (No worker answered within 10 s)'
    )
    assert alerts_table([]) == "No open alarms."


def test_alerts_json_gives_each_alarms_state_and_its_incidents_facts() -> None:
    firing, disk, heartbeat, unknown = alerts_json(_listed())
    assert (firing["key"], firing["source"], firing["state"]) == (ARN, "cloudwatch", "firing")
    assert firing["workflow_id"] == f"alarm-{ARN}"
    assert firing["alarm"]["fired"] == 3 and firing["alarm"]["repeated"] == 1
    assert "recent_deliveries" not in firing["alarm"]  # the ids it keeps to apply each once
    assert firing["incident"] == {
        "id": "inc-2026-12-06-search-5xx",
        "title": "search-5xx",
        "status": "triage",
        "severity": None,
        "lead": None,
        "security": False,
    }
    assert disk["alarm"]["ended_incidents"] == ["inc-2026-12-06-disk-full-on-db-1"]
    assert (disk["incident"]["status"], disk["incident"]["severity"]) == ("active", "sev2")
    assert (heartbeat["state"], heartbeat["incident"]) == ("ok", None)
    assert heartbeat["alarm"]["heartbeat_interval"] == "P1D"
    assert (unknown["source"], unknown["alarm"], unknown["state"]) == (
        "alertmanager",
        None,
        "unknown",
    )
    assert unknown["problem"] == "No worker answered within 10 s."
    json.dumps(alerts_json(_listed()))  # for scripts: plain JSON


# --- `show` ------------------------------------------------------------------------------------------


def test_show_names_the_alarm_firing_or_cleared_how_often_and_since_when() -> None:
    incident = alarm_report("inc-2026-12-06-search-5xx-2", previous="inc-2026-12-06-search-5xx")
    shown = show_text(incident.state)
    assert (
        f"Alarm:            CloudWatch {ARN}, firing since 2026-12-06 17:02:00 UTC (fired once, "
        "cleared 0 times, first at 2026-12-06 17:02:00 UTC)"
    ) in shown.splitlines()
    assert "Earlier report:   inc-2026-12-06-search-5xx" in shown.splitlines()
    changed(incident, 2, firing=False, at=FIRED + timedelta(minutes=20))
    changed(incident, 3, firing=True, at=FIRED + timedelta(minutes=40))
    changed(incident, 4, firing=False, at=FIRED + timedelta(minutes=50))
    alarm = next(
        line for line in show_text(incident.state).splitlines() if line.startswith("Alarm")
    )
    assert alarm.endswith(
        f"CloudWatch {ARN}, cleared since 2026-12-06 17:52:00 UTC (fired 2 times, "
        "cleared 2 times, first at 2026-12-06 17:02:00 UTC)"
    )


def test_show_says_nothing_of_alarms_for_an_incident_a_person_reported() -> None:
    start = IncidentStart(id="inc-1", title="Search down", actor=DM, policy=Policy())
    shown = show_text(Incident.open(start, FIRED).state)
    assert "Alarm" not in shown and "Earlier report" not in shown


# --- The retro draft ------------------------------------------------------------------------------


def test_the_retro_draft_of_an_alarms_report_starts_with_the_alarm() -> None:
    incident = alarm_report("inc-2026-12-06-search-5xx")
    incident.apply(Action.ACK, Command(actor=DM), FIRED + timedelta(minutes=9))
    incident.apply(
        Action.ACCEPT,
        Accept(actor=DM, lead=LEAD, severity=Severity.SEV2),
        FIRED + timedelta(minutes=14),
    )
    changed(incident, 2, firing=False, at=FIRED + timedelta(minutes=31))
    draft = retro_draft(incident.state, incident.timeline, zone=ZoneInfo("UTC"))
    timeline = draft.split("## Timeline\n", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    assert timeline[0] == "Incident inc-2026-12-06-search-5xx"
    assert timeline[2].startswith("Commands by how they arrived: ")
    assert "1 alarm (signed by its sender or its token checked)" in timeline[2]
    timeline = timeline[:2] + timeline[4:]  # then as for an incident a person reported
    assert timeline[:4] == [
        "Incident inc-2026-12-06-search-5xx",
        "",
        "### Sunday 6 December 2026",
        "",
    ]
    # The first entry is the alarm, not named as a person: the sentence names its source.
    assert timeline[4] == "17.02 Reported by CloudWatch: search-5xx (fired 2026-12-06 at 17.02)"
    assert timeline[5].startswith(f"17.11 {DM} Has seen")  # the ack: a person, named
    assert timeline[-1].startswith("17.33 The alarm cleared at 17.33 after 31m firing")
    assert "alarm:cloudwatch" not in draft


def test_an_alarms_report_accepted_then_resolved_has_its_timeline_via_alarm() -> None:
    """Its opening arrived via alarm. Its timeline, and the retro draft the workflow writes at
    resolution, say so."""
    from messages.timeline import timeline_markdown

    incident = alarm_report("inc-1")
    assert incident.state.arrivals == {Arrival.ALARM: 1}
    assert "— via alarm" in timeline_markdown(incident.state, incident.timeline)
    incident.apply(
        Action.ACCEPT,
        Accept(actor=DM, lead=LEAD, severity=Severity.SEV2),
        FIRED + timedelta(minutes=5),
    )
    incident.apply(Action.RESOLVE, Resolve(actor=DM), FIRED + timedelta(hours=1))
    assert incident.state.status is Status.RESOLVED
    assert "1 alarm" in retro_draft(incident.state, incident.timeline, zone=LONDON)


# --- `stats`: alarm to a delivery manager's first answer -------------------------------------------


def _ended_reports() -> tuple[list[IncidentState], dict[str, list[TimelineEntry]]]:
    """Alarms' reports as they ended, a person's incident, and the reports' timelines."""
    acked = alarm_report("inc-acked")  # seen after 6 minutes, accepted after 20, closed
    acked.apply(Action.ACK, Command(actor=DM), FIRED + timedelta(minutes=6))
    acked.apply(
        Action.ACCEPT,
        Accept(actor=DM, lead=LEAD, severity=Severity.SEV2),
        FIRED + timedelta(minutes=20),
    )
    acked.apply(Action.RESOLVE, Resolve(actor=DM), FIRED + timedelta(hours=1))
    acked.apply(Action.RETRO, Retro(actor=DM, notes="A bad deploy"), FIRED + timedelta(hours=2))
    accepted = alarm_report("inc-accepted")  # accepted after 10 minutes
    accepted.apply(
        Action.ACCEPT,
        Accept(actor=DM, lead=LEAD, severity=Severity.SEV1),
        FIRED + timedelta(minutes=10),
    )
    accepted.apply(Action.RESOLVE, Resolve(actor=DM), FIRED + timedelta(hours=1))
    accepted.apply(
        Action.RETRO, Retro(actor=DM, skip_reason="Known cause"), FIRED + timedelta(hours=2)
    )
    declined = alarm_report(
        "inc-declined", source=AlarmSource.GENERIC, key="generic:db-1-disk", title="Disk full"
    )
    declined.apply(
        Action.DECLINE, Decline(actor=DM, reason="Test alarm"), FIRED + timedelta(minutes=2)
    )
    unreadable = alarm_report("inc-unreadable", source=AlarmSource.GENERIC, key="generic:x")
    unreadable.apply(
        Action.DECLINE, Decline(actor=DM, reason="Noise"), FIRED + timedelta(minutes=1)
    )
    person = Incident.open(IncidentStart(id="inc-person", title="Slow", actor=DM), FIRED)
    person.apply(Action.DECLINE, Decline(actor=DM, reason="Not ours"), FIRED + timedelta(minutes=1))
    incidents = (acked, accepted, declined, unreadable, person)
    assert [i.state.status for i in incidents] == [
        Status.CLOSED,
        Status.CLOSED,
        Status.DECLINED,
        Status.DECLINED,
        Status.DECLINED,
    ]  # ended, as `stats` reads them
    # The final state dates the last ack or accept: acked's accept, not its ack.
    assert acked.state.acknowledged_at == FIRED + timedelta(minutes=20)
    timelines = {i.state.id: i.timeline for i in (acked, accepted, declined)}
    return [i.state for i in incidents], timelines


def test_stats_times_an_alarm_to_the_first_ack_accept_or_decline_by_source() -> None:
    states, timelines = _ended_reports()
    answered = {
        incident_id: at
        for incident_id, timeline in timelines.items()
        if (at := first_answer(timeline)) is not None
    }  # inc-unreadable's timeline could not be read: left out
    assert answered == {
        "inc-acked": FIRED + timedelta(minutes=6),
        "inc-accepted": FIRED + timedelta(minutes=10),
        "inc-declined": FIRED + timedelta(minutes=2),
    }
    stats = incident_stats(states, answered)
    assert stats.alarm_reports == {"cloudwatch": 2, "generic": 2}
    cloudwatch = stats.alarm_to_first_answer["cloudwatch"]  # the ack at 6, the accept at 10
    assert (cloudwatch.count, cloudwatch.median, cloudwatch.p90) == (
        2,
        timedelta(minutes=8),
        timedelta(minutes=10),
    )
    generic = stats.alarm_to_first_answer["generic"]
    assert (generic.count, generic.median) == (1, timedelta(minutes=2))
    lines = stats_text(stats).splitlines()
    assert lines[lines.index("Alarm reports: cloudwatch 2, generic 2") + 1 :][:2] == [
        "  cloudwatch, alarm to first DM action (ack, accept or decline): median 8m, p90 10m "
        "(over 2)",
        "  generic, alarm to first DM action (ack, accept or decline): median 2m, p90 2m (over 1)",
    ]
    figures = stats_json(stats)
    assert figures["alarm_reports"] == {"cloudwatch": 2, "generic": 2}
    assert figures["alarm_to_first_dm_action_seconds"] == {
        "cloudwatch": {"count": 2, "median": 480.0, "p90": 600.0},
        "generic": {"count": 1, "median": 120.0, "p90": 120.0},
    }


def test_a_report_declined_then_revisited_and_accepted_is_timed_to_the_decline() -> None:
    incident = alarm_report("inc-revisited")
    incident.apply(
        Action.DECLINE,
        Decline(actor=DM, reason="Tomorrow", revisit_at=FIRED + timedelta(days=1)),
        FIRED + timedelta(minutes=3),
    )
    incident.reminders.fire_due_timers(FIRED + timedelta(days=1))  # the revisit: back in triage
    incident.apply(
        Action.ACCEPT,
        Accept(actor=DM, lead=LEAD, severity=Severity.SEV3),
        FIRED + timedelta(days=1, minutes=5),
    )
    assert incident.state.status is Status.ACTIVE
    assert first_answer(incident.timeline) == FIRED + timedelta(minutes=3)


def test_stats_say_nothing_of_alarms_when_none_reported_an_incident() -> None:
    start = IncidentStart(id="inc-person", title="Slow", actor=DM)
    stats = incident_stats([Incident.open(start, FIRED).state])
    assert (stats.alarm_reports, stats.alarm_to_first_answer) == ({}, {})
    assert "Alarm" not in stats_text(stats)


# --- `incident alerts` for real --------------------------------------------------------------------


def _incident(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, str(STARTER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.e2e
def test_incident_alerts_lists_the_running_alarms_with_their_reports(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Three alarms on the dev server, as the intake would start them: one firing (its report in
    triage), one that fired and cleared after its report was accepted, a heartbeat that only
    checked in. `incident alerts --json` lists each with its report and that one's status, and
    the text lists them one a line."""
    target = dev_env.client.service_client.config.target_host
    queue = f"alerts-{uuid.uuid4()}"
    tag = uuid.uuid4().hex[:6]
    search, disk = f"cloudwatch:{ARN[11:]}-{tag}", f"generic:db-1-disk-{tag}"
    beat = f"heartbeat:nightly-backup-{tag}"
    with ThreadWorker(target, queue) as worker:

        async def start(client: Client) -> None:
            for key, source in ((search, AlarmSource.CLOUDWATCH), (disk, AlarmSource.GENERIC)):
                handle = await client.start_workflow(
                    ALARM_WORKFLOW,
                    AlarmStart(key=key, source=source),
                    id=alarm_workflow_id(key),
                    task_queue=queue,
                )
                now = datetime.now(UTC)
                notice = AlarmNotice(
                    source=source, key=key, delivery_id=f"{key}:1", firing=True,
                    title=f"{key.split(':')[0]} alarm {tag}", at=now,
                )  # fmt: skip
                await handle.execute_update(NOTIFY, notice, id=f"notify:{notice.delivery_id}")
                await handle.execute_update(NOTIFY, notice, id="a-retry")  # applied once
            await client.start_workflow(
                ALARM_WORKFLOW,
                AlarmStart(key=beat, heartbeat=beat.split(":", 1)[1]),
                id=alarm_workflow_id(beat),
                task_queue=queue,
            )

        worker.call(start)
        env = clean_env(TEMPORAL_ADDRESS=target, TEMPORAL_TASK_QUEUE=queue)
        report = _settled(worker, disk)
        _incident("--as", "U0DM1", "accept", report, "--lead", LEAD, "--severity", "sev2", env=env)

        async def clear(client: Client) -> None:
            handle = client.get_workflow_handle(alarm_workflow_id(disk))
            notice = AlarmNotice(
                source=AlarmSource.GENERIC, key=disk, delivery_id=f"{disk}:2", firing=False,
                title=f"generic alarm {tag}", at=datetime.now(UTC),
            )  # fmt: skip
            await handle.execute_update(NOTIFY, notice, id=f"notify:{notice.delivery_id}")

        worker.call(clear)
        _settled(worker, disk)
        first = _settled(worker, search)
        listed = _listed_once_visible(env, {search, disk, beat})
        assert listed[search]["state"] == "firing"
        assert listed[search]["alarm"]["fired"] == 1 and listed[search]["alarm"]["repeated"] == 1
        assert listed[search]["incident"]["id"] == first
        assert listed[search]["incident"]["status"] == "triage"
        assert listed[disk]["state"] == "cleared"
        assert (listed[disk]["alarm"]["fired"], listed[disk]["alarm"]["cleared"]) == (1, 1)
        assert (listed[disk]["incident"]["id"], listed[disk]["incident"]["status"]) == (
            report,
            "active",
        )
        assert (listed[beat]["state"], listed[beat]["incident"]) == ("ok", None)
        text = _incident("alerts", env=env).splitlines()
        assert text[0].split() == [
            "STATE", "FIRED", "CLEARED", "SINCE", "(UTC)", "REPORT", "STATUS", "ALARM",
        ]  # fmt: skip
        ours = {line.split()[-1]: line.split() for line in text[1:] if tag in line}
        assert ours[search][:3] == ["firing", "1", "0"] and ours[search][5:7] == [first, "triage"]
        assert ours[disk][:3] == ["cleared", "1", "1"] and ours[disk][5:7] == [report, "active"]
        assert ours[beat][:6] == ["ok", "0", "0", "-", "-", "-"]
        _end(worker, [search, disk, beat], [first, report])


def _settled(worker: ThreadWorker, key: str) -> str:
    """The alarm's report, once its workflow has applied every notice it took."""

    async def state(client: Client) -> AlarmState:
        handle = client.get_workflow_handle(alarm_workflow_id(key))
        answer: AlarmState = await handle.query(AlarmWorkflow.state)
        return answer

    deadline = time.monotonic() + 20
    while True:
        alarm = worker.call(state)
        if alarm.incident_id is not None and alarm.pending == 0:
            return alarm.incident_id
        assert time.monotonic() < deadline, f"{key} did not settle: {alarm}"
        time.sleep(0.1)


def _listed_once_visible(env: dict[str, str], keys: set[str]) -> dict[str, dict[str, Any]]:
    """`incident alerts --json` once it lists every one of ``keys`` (visibility lags a little)."""
    deadline = time.monotonic() + 20
    while True:
        listed = {item["key"]: item for item in json.loads(_incident("alerts", "--json", env=env))}
        if keys <= listed.keys():
            return listed
        assert time.monotonic() < deadline, f"never listed: {keys - listed.keys()}"
        time.sleep(0.5)


def _end(worker: ThreadWorker, keys: list[str], incidents: list[str]) -> None:
    """Terminate what the test started: no later listing waits for this test's worker."""

    async def end(client: Client) -> None:
        for workflow_id in [*map(alarm_workflow_id, keys), *incidents]:
            handle = client.get_workflow_handle(workflow_id)
            if (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")

    worker.call(end)
