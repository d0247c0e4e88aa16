"""What the alarm intake hands on: one notice per accepted notification, whatever sent it.

    notice = AlarmNotice(source=AlarmSource.GENERIC, key="generic:disk-full", delivery_id=…,
                         firing=True, title="Disk full on db-1", at=received)
    await forwarder.alarm(notice)   # returns once the notice is in Temporal

The intake (``intake/server.py``) answers a sender 2xx only after :meth:`AlarmForwarder.alarm`
(or ``heartbeat``) returned; a forwarder that cannot reach Temporal raises
:class:`IntakeUnavailable` and the sender is told to retry (503). This module is pure (pydantic,
no I/O), so the workflow side may import the models. Any other exception from a forwarder is
also a 503, logged with its traceback.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import Field

from workflows.model.basics import TEXT_MAX, Model

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


class IntakeUnavailable(Exception):
    """The notice could not be handed to Temporal; the sender is answered 503 and retries. The
    message (why, in one sentence) is logged; the sender is shown a fixed sentence."""


class AlarmForwarder(Protocol):
    """Hands accepted notices to Temporal. Each method returns only once the notice is there, and
    raises :class:`IntakeUnavailable` when it cannot be."""

    async def alarm(self, notice: AlarmNotice) -> None: ...

    async def heartbeat(self, notice: HeartbeatNotice) -> None: ...
