"""Alarms: what monitoring reports, and what the process keeps of it.

An :class:`AlarmNotice` is one notification as the intake (``intake/``) read it, whatever sent it;
the alarm's workflow (``workflows/alarm.py``, one per alarm key) turns its notices into at most one
open report, and the report's incident keeps :class:`AlarmFacts`: how often it fired and cleared.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from workflows.vocabulary.basics import TEXT_MAX, Model

ALARM_TITLE_MAX = 150
KEY_PART_MAX = 500
ALERT_LINE_MAX = 300
ALERT_LINES_MAX = 50  # a grouped notification lists at most this many alerts, then "… and N more"


class AlarmSource(StrEnum):
    """Who sent the notification; every ``key`` starts with it, so sources never collide."""

    CLOUDWATCH = "cloudwatch"
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    GENERIC = "generic"
    HEARTBEAT = "heartbeat"  # a monitor silent past its period (no sender: its own workflow)


class AlarmNotice(Model):
    """One alarm state change, as its sender reported it."""

    source: AlarmSource
    # The alarm's identity across notifications (dedup key): ``<source>:`` and CloudWatch's
    # AlarmArn, Alertmanager's or Grafana's groupKey, or the generic deduplication_key (one longer
    # than KEY_PART_MAX is ``sha256:<hex>`` of itself).
    key: Annotated[str, Field(min_length=1, max_length=KEY_PART_MAX + 20)]
    # One notification's identity: ``sns:<MessageId>``, else ``sha256:<hex of the raw body>``. A
    # sender's retry carries the same one, so the workflow can apply it once.
    delivery_id: Annotated[str, Field(min_length=1, max_length=200)]
    firing: bool  # False: cleared (CloudWatch OK, resolved)
    title: Annotated[str, Field(min_length=1, max_length=ALARM_TITLE_MAX)]
    description: Annotated[str, Field(max_length=TEXT_MAX)] | None = None
    source_url: str | None = None  # always http(s) when set
    at: datetime  # when the state changed, per the sender (else when the intake received it)
    # Grouped senders: one line per alert, at most ALERT_LINES_MAX and then "… and N more".
    alerts: list[Annotated[str, Field(max_length=ALERT_LINE_MAX)]] = Field(
        default_factory=list, max_length=ALERT_LINES_MAX + 1
    )


class HeartbeatNotice(Model):
    """A monitor said it is alive; ``interval`` is how often it promised to (INCIDENT_HEARTBEATS),
    carried here because the workflow reads no settings."""

    name: str
    at: datetime
    interval: timedelta


class AlarmOrigin(Model):
    """The alarm that opened a report (in its start): the report's first lines say it."""

    source: AlarmSource
    key: str
    title: str
    source_url: str | None = None
    fired_at: datetime
    delivery_id: str
    previous_incident: str | None = Field(
        default=None, description="the report or incident this alarm opened before, now ended"
    )


class AlarmFacts(Model):
    """What an incident opened by an alarm knows of it: `show`, `incident alerts` and the Web UI."""

    source: AlarmSource
    key: str
    firing: bool = True
    fired: int = Field(default=1, description="times it fired, the first included")
    cleared: int = 0
    fired_at: datetime = Field(description="when it first fired")
    changed_at: datetime = Field(description="when it last fired or cleared, per the sender")
    recorded_at: datetime = Field(description="the timeline's last entry about it")
    unrecorded_fired: int = Field(default=0, description="fired since that entry (flapping)")
    unrecorded_cleared: int = 0
    told_cleared_at: datetime | None = Field(
        default=None, description="when the people deciding were last told it cleared"
    )
    deliveries: list[str] = Field(
        default=[], description="the notifications applied (their ids, the newest few)"
    )
    previous_incident: str | None = None


class AlarmChange(Model):
    """The Update an alarm's workflow sends its open incident: it fired again, or cleared."""

    notice: AlarmNotice


class AlarmForwarded(Model):
    """The incident's answer: ``ended`` when it was declined or closed (a new report is due)."""

    incident_id: str
    ended: bool = False


class AlarmReport(Model):
    """The activity input that opens a report for an alarm (``activities/alarms.py``)."""

    notice: AlarmNotice
    previous_incident: str | None = None
    heartbeat_interval: timedelta | None = Field(
        default=None, description="a heartbeat's silence: how often it promised to check in"
    )


class ForwardAlarm(Model):
    """The activity input that hands a change to the alarm's open report or incident."""

    incident_id: str
    notice: AlarmNotice


class AlarmStart(Model):
    """An alarm's workflow input: its key, and what continue-as-new carries."""

    key: str
    source: AlarmSource | None = Field(default=None, description="None: a heartbeat")
    heartbeat: str | None = Field(default=None, description="the monitor's name, for heartbeats")
    carried: AlarmState | None = None


class AlarmState(Model):
    """One alarm's workflow: its open report or incident, and its counts."""

    key: str
    incident_id: str | None = Field(default=None, description="the open report or incident")
    ended_incidents: list[str] = Field(default=[], description="its earlier ones, now ended")
    notices: int = 0
    fired: int = 0
    cleared: int = 0
    repeated: int = Field(default=0, description="notifications applied already (retries)")
    firing: bool = False
    last_at: datetime | None = None
    recent_deliveries: list[str] = []
    heartbeat_interval: timedelta | None = None
    heartbeat_at: datetime | None = Field(default=None, description="the last check-in")
    silent_since: datetime | None = Field(
        default=None, description="a heartbeat overdue: the check-in it has not had since"
    )
    pending: int = Field(default=0, description="changes not yet applied (the query's answer)")
