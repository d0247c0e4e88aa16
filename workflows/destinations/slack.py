"""Slack, a destination: the incident's channel (or its thread in the shared channel), the
messages said there, in the platform channel and directly to people, and the standing messages
kept current by editing them (the announcement, the pinned summary).

    Notice(key="inc-2026-12-01-cdn/3", kind=NoticeKind.UPDATE, audience=Audience.INCIDENT_CHANNEL,
           incident=brief, text="Rolled back the CDN config")
    # → one message in the incident's channel, posted once whatever the retries

Its lanes: the incident channel (opened by the ``ChannelRequest``, so everything said there waits
for the channel and for nothing else), the platform channel, and one per set of people messaged
directly. What the messages say is built by ``messages/`` (``sentences``, ``slack_blocks``; their
line in the Web UI, ``slack_activity``); how they reach Slack is ``activities/slack.py``. Pure
models only: this runs in the workflow sandbox.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Final, Literal

from pydantic import Field

from messages import slack_activity as say
from workflows.destinations.base import Delivery, Lane
from workflows.vocabulary.basics import Model, Severity, Status

if TYPE_CHECKING:
    from workflows.model.state import IncidentState
    from workflows.vocabulary.policy import Policy

OPEN_CHANNEL_ACTIVITY: Final = "open_incident_channel"
DELIVER_NOTICE_ACTIVITY: Final = "deliver_notice"

INCIDENT_CHANNEL = Lane("incident-channel")
PLATFORM_CHANNEL = Lane("platform-channel")
DIRECT: Final = "direct"  # the kind of lane of each set of people messaged directly


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

    activity: ClassVar[str] = DELIVER_NOTICE_ACTIVITY
    result: ClassVar[type[Model] | None] = PostedRef

    kind_of_effect: Literal["notice"] = "notice"
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

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        if self.audience is Audience.DIRECT:
            where = say.to_people(self.recipients)
        elif self.audience is Audience.PLATFORM_CHANNEL:
            where = say.in_channel(policy.platform_channel)
        elif self.standing is not None:  # kept in the channel, where it was first posted
            where = say.in_channel(self._incident_channel(state, policy))
        else:
            where = say.to_channel(self._incident_channel(state, policy))
        return say.notice_summary(
            self.kind, where, edited=self.replaces is not None, archives=self.archive_channel
        )

    def _incident_channel(self, state: IncidentState, policy: Policy) -> str:
        if self.incident.thread_ts:  # shared channel mode
            return say.incident_channel(None, thread_in=policy.response_channel)
        channel = self.incident.channel_id
        if channel and channel == state.channel_id and state.channel_name:
            return say.incident_channel(state.channel_name)
        return say.incident_channel(channel if channel and channel.startswith("#") else None)


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

    activity: ClassVar[str] = OPEN_CHANNEL_ACTIVITY
    result: ClassVar[type[Model] | None] = ChannelRef

    kind_of_effect: Literal["channel"] = "channel"
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

    def lane(self) -> Lane:
        return INCIDENT_CHANNEL

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        return say.channel_summary(self.name, private=self.private, shared=self.shared)
