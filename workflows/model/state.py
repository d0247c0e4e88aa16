"""An incident's recorded state and timeline, its start, and what continue-as-new carries."""

from __future__ import annotations

import base64
import zlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, TypeAdapter

from workflows.destinations import Effect
from workflows.destinations.base import Lane
from workflows.destinations.slack import PostedRef, Standing
from workflows.model.alarms import AlarmFacts, AlarmOrigin
from workflows.vocabulary.basics import (
    Arrival,
    Model,
    Reporter,
    Severity,
    Status,
    StatusPageStatus,
    Text,
    Title,
    User,
)
from workflows.vocabulary.policy import Policy
from workflows.vocabulary.timeline import TimelineEntry


class Timer(StrEnum):
    """An incident's timers (``IncidentState.timers``), by the names its history records; what
    each does is its rule in ``workflows/reminders.py``."""

    STALE_PROGRESS = "stale_progress"
    TRIAGE = "triage"
    ACK = "ack"
    APPROVAL = "approval"
    RETRO_DUE = "retro_due"
    REVISIT = "revisit"
    STATUS_PAGE = "status_page"
    ASK = "ask"
    RETRO_MEETING = "retro_meeting"
    ALERT = "alert"  # an alarm's report waits for a delivery manager (any hour)


class LaneBacklog(Model):
    """What waits in one delivery lane (a destination: a channel, someone's direct messages,
    the status page)."""

    lane: Lane = Field(description='recorded as its text: "incident-channel", "direct:U1,U2"')
    waiting: int = Field(description="messages not yet delivered, the one in flight included")
    oldest_since: datetime = Field(description="when the oldest of them was decided")
    in_flight: bool


class IncidentState(Model):
    """The facts of one incident: what `show` prints and what the Web UI summarises."""

    id: str
    title: str
    description: str | None = None
    status: Status
    severity: Severity | None = None
    lead: str | None = None
    supporters: list[str] = []
    asked: dict[str, datetime] = Field(
        default={}, description="people the lead or a DM asked to help, not yet answered: when"
    )
    asked_nudged: list[str] = Field(
        default=[], description="of those, the ones already nudged (an ask is nudged once)"
    )
    reporter: str
    self_initiated: bool = False
    delivery_manager: str | None = Field(default=None, description="the DM engaged with it")
    delivery_managers: list[str] = []
    acknowledged_at: datetime | None = None
    security: bool = False
    channel_id: str | None = None
    channel_name: str | None = None
    channel_thread_ts: str | None = None
    resolution_criteria: str | None = None
    resolution_summary: str | None = None
    decline_reason: str | None = None
    revisit_at: datetime | None = None
    rejection_reason: str | None = None
    retro_notes: str | None = None
    retro_skipped_reason: str | None = None
    retro_actions: list[str] = []
    retro_scheduled_at: datetime | None = None
    retro_action_owners: list[str] = Field(
        default=[], description="who owns each action (a GitHub login, or empty), in order"
    )
    statuspage_incident_id: str | None = None
    statuspage_status: StatusPageStatus | None = None
    created_at: datetime
    active_at: datetime | None = None
    first_update_at: datetime | None = None
    last_update_at: datetime | None = None
    last_update: str | None = None
    alarm: AlarmFacts | None = Field(default=None, description="the alarm that reported it")
    opening: bool = Field(
        default=False,
        description="a query's preview in the moment the incident opens, before the worker's "
        "policy is read (no delivery managers yet): ask again",
    )
    stale_since: datetime | None = None
    resolution_requested_at: datetime | None = None
    resolved_at: datetime | None = None
    times_reopened: int = Field(default=0, description="how often it came back after resolution")
    closed_at: datetime | None = None
    reminders_unanswered: int = 0
    reminders_sent: int = 0
    escalations_sent: int = 0
    links: dict[str, str] = Field(
        default={}, description="what destinations made, by label: a pull request, a page"
    )
    timers: dict[Timer, datetime] = Field(
        default={}, description="each timer's next due time, by its name (workflows/reminders.py)"
    )
    arrivals: dict[Arrival, int] = Field(
        default={}, description="the commands applied (its opening included), by how they arrived"
    )
    reminder_interval: timedelta | None = None
    runs: int = 1
    undelivered: int = Field(default=0, description="messages decided but not yet delivered")
    failed_deliveries: int = Field(
        default=0, description="messages refused for good (see timeline)"
    )
    deliveries_decided: int = Field(
        default=0, description="every message, channel and page post decided so far"
    )
    superseded_deliveries: int = Field(
        default=0,
        description="stale messages replaced by a newer one before delivery (still in the timeline)",
    )
    waiting: list[LaneBacklog] = Field(
        default=[], description="per delivery lane: what is not yet delivered, and since when"
    )
    standing: dict[Standing, PostedRef] = Field(
        default={}, description="standing messages posted, to edit in place"
    )
    standing_texts: dict[Standing, str] = Field(
        default={}, description="what each standing message was last set to say"
    )
    standing_links: dict[Standing, str] = Field(
        default={}, description="the incident channel each posted standing message links to"
    )


_TIMELINE = TypeAdapter(list[TimelineEntry])


class CarriedState(Model):
    """Everything a new run needs after continue-as-new: the facts, the timeline, the outbox.

    The timeline travels compressed (``timeline_packed``): carried as a list it grew by about
    170 bytes an update and passed Temporal's 2 MB payload limit near 12,000 updates, and every
    replay of the next run decoded it. Runs carried before packing hold the plain ``timeline``.
    """

    state: IncidentState
    timeline: list[TimelineEntry] = []
    timeline_packed: str | None = Field(
        default=None, description="the timeline as zlib-compressed JSON, base64-encoded"
    )
    outbox: list[Effect]
    effects_issued: int
    request_ids: list[str] = Field(default=[], description="recent signals' ids, applied once")
    queued_at: dict[str, datetime] = Field(
        default={}, description="when each undelivered effect was decided, by key"
    )

    @classmethod
    def packing(cls, timeline: list[TimelineEntry], **fields: Any) -> CarriedState:
        packed = base64.b64encode(zlib.compress(_TIMELINE.dump_json(timeline), 6)).decode()
        return cls(timeline=[], timeline_packed=packed, **fields)

    def entries(self) -> list[TimelineEntry]:
        """The whole timeline, however it was carried."""
        if self.timeline_packed is None:
            return self.timeline
        return _TIMELINE.validate_json(zlib.decompress(base64.b64decode(self.timeline_packed)))


class Receipt(Model):
    """An Update's answer: what happened, in one sentence, and the resulting status."""

    incident_id: str
    status: Status
    text: str


class IncidentStart(Model):
    """The workflow input: a new report or declaration, or the state carried by continue-as-new."""

    id: str
    title: Title
    description: Text | None = None
    security: bool = False
    actor: Reporter
    arrived_via: Arrival = Field(
        default=Arrival.TEMPORAL_API, description="how the report or declaration arrived"
    )
    lead: User | None = None
    severity: Severity | None = None
    declare: bool = False
    policy: Policy | None = Field(
        default=None,
        description="the organisation's settings; None (every front end's start): the worker's, "
        "read when the incident opens and recorded in its history",
    )
    carried: CarriedState | None = None
    alarm: AlarmOrigin | None = Field(default=None, description="the alarm that reported it")
    # The starter set the incident's search attributes with the start (temporal_client/client.py does),
    # so the first workflow task need not upsert them: one visibility write less per incident.
    search_attributes_given: bool = False
