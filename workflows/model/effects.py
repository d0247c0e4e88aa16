"""What the workflow asks the activities to deliver: messages, channels, status page posts,
and the destinations of ``workflows/destinations/``; ``Effect`` is every kind of them.

Each kind declares its own destination (``workflows/destinations/base.py``). A new destination is
its module in ``workflows/destinations/``, its member in ``Effect`` below, and its activities in
``activities/``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import Field

from workflows.destinations.base import Delivery, Lane
from workflows.destinations.github import ActionIssue, RetroPullRequest
from workflows.vocabulary.basics import Model, Severity, Status, StatusPageImpact, StatusPageStatus

# The lanes of the built-in destinations (a lane per destination: workflows/lanes.py).
INCIDENT_CHANNEL = Lane("incident-channel")
PLATFORM_CHANNEL = Lane("platform-channel")
STATUS_PAGE = Lane("status-page")
DIRECT = "direct"  # the kind of lane of each set of people messaged directly


class ActivityName(StrEnum):
    """The built-in activities' registered names: the workflow calls them by name, never by
    import."""

    OPEN_CHANNEL = "open_incident_channel"
    DELIVER = "deliver_notice"
    STATUSPAGE = "post_status_page"
    OPEN_ALARM_REPORT = "open_alarm_report"  # an alarm's workflow: a report for the alarm
    FORWARD_ALARM = "forward_alarm"  # an alarm's workflow: a change to its open incident
    READ_POLICY = "read_policy"  # a local activity: the worker's settings, when an incident opens


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
    ASKED = "asked"  # someone asked to help: Join / Can't help


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


# Notices whose newer copy makes an undelivered older one stale: a second "no progress for 1h"
# reminder says all the first one did, later. Requests and transitions are never dropped.
SUPERSEDED_BY_NEWER = frozenset({NoticeKind.REMINDER, NoticeKind.ESCALATION, NoticeKind.RETRO_DUE})


class Notice(Delivery):
    """One logical message: the workflow decides it, an activity delivers it exactly once."""

    activity: ClassVar[str] = ActivityName.DELIVER
    result: ClassVar[type[Model] | None] = PostedRef

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

    def lane(self) -> Lane:
        if self.audience is Audience.INCIDENT_CHANNEL:
            return INCIDENT_CHANNEL
        if self.audience is Audience.PLATFORM_CHANNEL:
            return PLATFORM_CHANNEL
        return Lane(DIRECT, ",".join(sorted(set(self.recipients))))

    def links_the_channel(self) -> bool:
        # The announcement names the channel; a sealed one (a security incident) does not.
        return self.standing is Standing.ANNOUNCEMENT and not self.incident.security

    def supersedes(self, older: Delivery) -> bool:
        return (
            isinstance(older, Notice)
            and self.kind is older.kind
            and self.kind in SUPERSEDED_BY_NEWER
            and self.standing is None
            and older.standing is None
        )


class ChannelRef(Model):
    channel_id: str
    name: str
    thread_ts: str | None = None
    summary: PostedRef | None = Field(
        default=None, description="where the pinned summary the request carried landed"
    )


class ChannelRequest(Delivery):
    """The incident's channel (or its thread in the shared channel): it opens the lane of the
    incident channel, so everything said there queues behind its creation."""

    activity: ClassVar[str] = ActivityName.OPEN_CHANNEL
    result: ClassVar[type[Model] | None] = ChannelRef

    kind_of_effect: Literal["channel"] = "channel"
    key: str
    incident_id: str
    name: str
    private: bool
    topic: str
    first_message: str
    invite: list[str]
    shared: bool = Field(default=False, description="a thread in the shared channel `name`")
    # One activity instead of two at every start: the summary no longer waits for a workflow
    # task between the channel and itself, nor does what the channel queues behind it.
    summary: Notice | None = Field(
        default=None, description="the pinned summary, posted right after the first message"
    )
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )

    def lane(self) -> Lane:
        return INCIDENT_CHANNEL


class StatusPageRef(Model):
    page_incident_id: str


class StatusPagePost(Delivery):
    activity: ClassVar[str] = ActivityName.STATUSPAGE
    result: ClassVar[type[Model] | None] = StatusPageRef

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

    def lane(self) -> Lane:
        return STATUS_PAGE

    def supersedes(self, older: Delivery) -> bool:
        return isinstance(
            older, StatusPagePost
        )  # the page shows the newest state; a burst of stale posts helps nobody


Effect = Annotated[
    Notice | ChannelRequest | StatusPagePost | RetroPullRequest | ActionIssue,
    Field(discriminator="kind_of_effect"),
]

# Every kind of effect, and those that issue effects on their own as the timeline grows.
EFFECT_TYPES: tuple[type[Delivery], ...] = get_args(get_args(Effect)[0])
FOLLOWING_THE_TIMELINE = tuple(kind for kind in EFFECT_TYPES if kind.follows_the_timeline())
