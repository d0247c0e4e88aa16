"""The incident's vocabulary: states, people, policy, commands and the recorded state.

Every input and output of the workflow, its updates and its activities is one pydantic model
defined here, so the CLI, the worker and the tests share one definition of each.
"""

from __future__ import annotations

import base64
import re
import zlib
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

TITLE_MAX = 200
TEXT_MAX = 3000
REASON_MAX = 1000


class Status(StrEnum):
    TRIAGE = "triage"
    DECLINED = "declined"
    ACTIVE = "active"
    AWAITING_APPROVAL = "awaiting_approval"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.TRIAGE, Status.ACTIVE, Status.AWAITING_APPROVAL, Status.RESOLVED})
WORKING_STATUSES = frozenset({Status.ACTIVE, Status.AWAITING_APPROVAL})


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"


class StatusPageImpact(StrEnum):
    """Statuspage's impact levels, for ``impact_override``."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class StatusPageStatus(StrEnum):
    """The incident states Atlassian Statuspage knows."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


_SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def parse_user(text: str) -> str:
    """Return the canonical form of a person: a Slack user id, or a lower-cased email.

    Accepts Slack's escaped mentions (``<@U123|name>``, ``<@U123>``) and a leading ``@``.
    """
    raw = text.strip()
    mention = _SLACK_MENTION.match(raw)
    if mention:
        return mention.group(1)
    bare = raw.removeprefix("@")
    if _SLACK_ID.match(bare):
        return bare
    if _EMAIL.match(bare):
        return bare.lower()
    raise ValueError(f"{text!r} is not a Slack user id (like U012ABC) or an email address")


def _one_line(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise ValueError("must not be empty")
    return stripped


User = Annotated[str, AfterValidator(parse_user)]
Title = Annotated[str, Field(max_length=TITLE_MAX), AfterValidator(_one_line)]
Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_one_line)]
Reason = Annotated[str, Field(max_length=REASON_MAX), AfterValidator(_one_line)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


# --- Policy: the organisation's settings in force when the incident started ---------------------


class OfficeHours(Model):
    """When people are expected to answer; sev2/sev3 reminders wait for these hours."""

    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday")
    opens: time = time(9, 0)
    closes: time = time(17, 30)
    timezone: str = "Europe/London"


class RetroDue(Model):
    """How long after resolution the retro is due: calendar days or working days."""

    days: int = Field(ge=1, le=60)
    working_days: bool = False


def _default_intervals() -> dict[Severity, timedelta]:
    return {
        Severity.SEV1: timedelta(minutes=30),
        Severity.SEV2: timedelta(hours=1),
        Severity.SEV3: timedelta(hours=4),
    }


def _default_retro_due() -> dict[Severity, RetroDue]:
    return {
        Severity.SEV1: RetroDue(days=3),
        Severity.SEV2: RetroDue(days=5, working_days=True),
        Severity.SEV3: RetroDue(days=5, working_days=True),
    }


class Policy(Model):
    """Settings recorded in the workflow input, so a running incident never reads the environment."""

    delivery_managers: list[str] = []
    infosec_head: str | None = None
    reminder_intervals: dict[Severity, timedelta] = Field(default_factory=_default_intervals)
    dm_reminder_interval: timedelta = timedelta(minutes=30)
    escalate_after_reminders: int = Field(default=2, ge=1)
    office_hours: OfficeHours = OfficeHours()
    retro_due: dict[Severity, RetroDue] = Field(default_factory=_default_retro_due)
    channel_mode: Literal["per_incident", "shared"] = "per_incident"
    platform_channel: str = "#wc-platform"
    response_channel: str = "#wc-incident-response"
    archive_on_close: bool = True
    history_events_limit: int | None = Field(
        default=None, description="continue-as-new after this many events (tests lower it)"
    )


# --- Timeline -----------------------------------------------------------------------------------


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
    UPDATE = "update"
    SEVERITY = "severity"
    SNOOZED = "snoozed"
    SECURITY = "security"
    CRITERIA = "criteria"
    STATUSPAGE = "statuspage"
    RESOLUTION_REQUESTED = "resolution_requested"
    REJECTED = "rejected"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    RETRO_DUE = "retro_due"
    CLOSED = "closed"
    CHANNEL = "channel"
    DELIVERY_FAILED = "delivery_failed"
    REFUSED = "refused"


class TimelineEntry(Model):
    at: datetime
    actor: str
    kind: EntryKind
    text: str


# --- Messages the workflow asks the activities to deliver ---------------------------------------


class Audience(StrEnum):
    INCIDENT_CHANNEL = "incident_channel"
    PLATFORM_CHANNEL = "platform_channel"
    DIRECT = "direct"


class NoticeKind(StrEnum):
    REPORTED = "reported"
    DECLARED = "declared"
    ACK_REQUEST = "ack_request"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVISIT = "revisit"
    TRANSITION = "transition"
    UPDATE = "update"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    RESOLUTION_REQUEST = "resolution_request"
    RESOLVED = "resolved"
    RETRO_DUE = "retro_due"
    TIMELINE = "timeline"
    RETRO_DRAFT = "retro_draft"
    SUMMARY = "summary"
    CLOSED = "closed"
    SECURITY = "security"
    REFUSED = "refused"


class IncidentBrief(Model):
    """What a message may say about the incident. Public briefs of security incidents are sealed."""

    id: str
    title: str | None
    severity: Severity | None
    status: Status
    lead: str | None
    channel_id: str | None
    security: bool
    thread_ts: str | None = Field(
        default=None, description="shared channel mode: the incident's thread in that channel"
    )


class Standing(StrEnum):
    """Messages posted once and then kept current by editing them in place."""

    ANNOUNCEMENT = "announcement"  # in the platform channel
    SUMMARY = "summary"  # pinned in the incident channel


class PostedRef(Model):
    """Where a message landed, so it can be edited later."""

    channel_id: str
    ts: str


class Notice(Model):
    """One logical message: the workflow decides it, an activity delivers it exactly once."""

    kind_of_effect: Literal["notice"] = "notice"
    key: str = Field(description="unique per incident; delivery is idempotent on it")
    kind: NoticeKind
    audience: Audience
    recipients: list[str] = []
    incident: IncidentBrief
    actor: str | None = None
    text: str = ""
    mentions: list[str] = []
    standing: Standing | None = Field(
        default=None, description="a standing message: edits `replaces` when known, else posts"
    )
    replaces: PostedRef | None = None
    invite: list[str] = Field(default=[], description="people to add to the incident channel")
    archive_channel: bool = Field(default=False, description="archive the channel after posting")
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )


class ChannelRequest(Model):
    kind_of_effect: Literal["channel"] = "channel"
    key: str
    incident_id: str
    name: str
    private: bool
    topic: str
    first_message: str
    invite: list[str]
    shared: bool = Field(default=False, description="a thread in the shared channel `name`")
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )


class ChannelRef(Model):
    channel_id: str
    name: str
    thread_ts: str | None = None


class StatusPagePost(Model):
    kind_of_effect: Literal["statuspage"] = "statuspage"
    key: str
    incident_id: str
    page_incident_id: str | None
    name: str
    status: StatusPageStatus
    body: str
    impact_override: StatusPageImpact | None = None
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )


class StatusPageRef(Model):
    page_incident_id: str


Effect = Annotated[Notice | ChannelRequest | StatusPagePost, Field(discriminator="kind_of_effect")]


# --- Workflow input and state -------------------------------------------------------------------


class ActivityName(StrEnum):
    """The activities' registered names: the workflow calls them by name, never by import."""

    OPEN_CHANNEL = "open_incident_channel"
    DELIVER = "deliver_notice"
    STATUSPAGE = "post_status_page"


class Timer(StrEnum):
    STALE_PROGRESS = "stale_progress"
    TRIAGE = "triage"
    ACK = "ack"
    APPROVAL = "approval"
    RETRO_DUE = "retro_due"
    REVISIT = "revisit"


class LaneBacklog(Model):
    """What waits in one delivery lane (a destination: a channel, someone's direct messages,
    the status page)."""

    lane: str
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
    statuspage_incident_id: str | None = None
    statuspage_status: StatusPageStatus | None = None
    created_at: datetime
    active_at: datetime | None = None
    first_update_at: datetime | None = None
    last_update_at: datetime | None = None
    last_update: str | None = None
    stale_since: datetime | None = None
    resolution_requested_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reminders_unanswered: int = 0
    reminders_sent: int = 0
    escalations_sent: int = 0
    timers: dict[Timer, datetime] = {}
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
    actor: User
    lead: User | None = None
    severity: Severity | None = None
    declare: bool = False
    policy: Policy
    carried: CarriedState | None = None
    # The starter set the incident's search attributes with the start (incident.client does),
    # so the first workflow task need not upsert them: one visibility write less per incident.
    search_attributes_given: bool = False


# --- Update inputs (every one names who acts) ----------------------------------------------------


class Command(Model):
    actor: User


class Accept(Command):
    lead: User
    severity: Severity


class Decline(Command):
    reason: Reason
    revisit_at: datetime | None = None


class Handover(Command):
    to: User


class ProgressUpdate(Command):
    text: Text


class ChangeSeverity(Command):
    severity: Severity


class Snooze(Command):
    duration: timedelta = Field(gt=timedelta(0), le=timedelta(days=7))


class SetCriteria(Command):
    text: Text


class PostStatusPage(Command):
    status: StatusPageStatus
    text: Text
    impact: StatusPageImpact | None = None


class Resolve(Command):
    summary: Text | None = None


class Reject(Command):
    reason: Reason


class Retro(Command):
    notes: Text | None = None
    skip_reason: Reason | None = None
    actions: list[Text] = Field(default=[], max_length=50)

    @model_validator(mode="after")
    def _notes_or_skip(self) -> Retro:
        if (self.notes is None) == (self.skip_reason is None):
            raise ValueError("give either retro notes or a reason to skip the retro, not both")
        return self
