"""What the workflow asks the activities to deliver: messages, channels, status page posts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from workflows.model.basics import Model, Severity, Status, StatusPageImpact, StatusPageStatus

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


class ActivityName(StrEnum):
    """The activities' registered names: the workflow calls them by name, never by import."""

    OPEN_CHANNEL = "open_incident_channel"
    DELIVER = "deliver_notice"
    STATUSPAGE = "post_status_page"
