"""The timeline's entries: what happened, when, by whom, and how the command arrived.

Apart from the rest of the state because destinations (``workflows/destinations/``) read it and
the state's outbox holds their effects.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from workflows.vocabulary.basics import Arrival, Model


class EntryKind(StrEnum):
    REPORTED = "reported"
    DECLARED = "declared"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVISITED = "revisited"
    ACKNOWLEDGED = "acknowledged"
    HANDOVER = "handover"
    JOINED = "joined"
    LEFT = "left"
    ASKED = "asked"
    BUSY = "busy"
    UPDATE = "update"
    SEVERITY = "severity"
    SNOOZED = "snoozed"
    SECURITY = "security"
    CRITERIA = "criteria"
    STATUSPAGE = "statuspage"
    RESOLUTION_REQUESTED = "resolution_requested"
    REJECTED = "rejected"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    RETRO_DUE = "retro_due"
    RETRO_SCHEDULED = "retro_scheduled"
    CLOSED = "closed"
    CHANNEL = "channel"
    DELIVERY_FAILED = "delivery_failed"
    LINKED = "linked"
    REFUSED = "refused"
    ALARM_FIRED = "alarm_fired"  # an alarm fired again (a report it opened says it first)
    ALARM_CLEARED = "alarm_cleared"
    DELIVERY_MANAGERS = "delivery_managers"  # taken from the worker (opened while it had none)


class TimelineEntry(Model):
    at: datetime
    actor: str
    kind: EntryKind
    text: str
    arrived_via: Arrival | None = Field(
        default=None,
        description="how the command that made this entry arrived; None for what the incident "
        "did itself (reminders, deliveries) and for incidents started before it was recorded",
    )
