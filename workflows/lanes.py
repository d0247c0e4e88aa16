"""Delivery lanes: where each kind of effect goes, by which activity, and what it supersedes.

An incident's messages leave through one lane per destination: its channel (or thread in the
shared channel), the platform channel, each set of people messaged directly, the status page.
Lanes run concurrently; within a lane order is kept, so a message for the incident channel waits
for the channel to exist and for nothing else. A lane that retries (429, 500, an outage) holds
back no other lane, no command and no timer.

This table is the one place a kind of effect is declared: adding a destination (a pager, a
second chat) is its effect model, one entry here and its activity in ``activities/``. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows.model import (
    ActivityName,
    Audience,
    ChannelRef,
    ChannelRequest,
    Effect,
    Notice,
    NoticeKind,
    PostedRef,
    StatusPagePost,
    StatusPageRef,
)

INCIDENT_CHANNEL = "incident-channel"
PLATFORM_CHANNEL = "platform-channel"
STATUS_PAGE = "status-page"

# Notices whose newer copy makes an undelivered older one stale: a second "no progress for 1h"
# reminder says all the first one did, later. Requests and transitions are never dropped.
SUPERSEDED_BY_NEWER = frozenset({NoticeKind.REMINDER, NoticeKind.ESCALATION, NoticeKind.RETRO_DUE})


@dataclass(frozen=True)
class Destination:
    """How one kind of effect is delivered: its activity, the activity's result, its lane."""

    activity: ActivityName
    result: type | None
    lane: Callable[[Any], str]


def _notice_lane(notice: Notice) -> str:
    if notice.audience is Audience.INCIDENT_CHANNEL:
        return INCIDENT_CHANNEL
    if notice.audience is Audience.PLATFORM_CHANNEL:
        return PLATFORM_CHANNEL
    return "direct:" + ",".join(sorted(set(notice.recipients)))


DESTINATIONS: dict[type, Destination] = {
    # The channel opens its own lane: everything said in it queues behind its creation.
    ChannelRequest: Destination(ActivityName.OPEN_CHANNEL, ChannelRef, lambda _: INCIDENT_CHANNEL),
    Notice: Destination(ActivityName.DELIVER, PostedRef, _notice_lane),
    StatusPagePost: Destination(ActivityName.STATUSPAGE, StatusPageRef, lambda _: STATUS_PAGE),
}


def describe_lane(lane: str) -> str:
    """A lane as people call it: "the incident channel", "U0DM, U0DM2 directly"."""
    if lane.startswith("direct:"):
        return ", ".join(lane.removeprefix("direct:").split(",")) + " directly"
    return "the " + lane.replace("-", " ")


def destination_of(effect: Effect) -> Destination:
    return DESTINATIONS[type(effect)]


def lane_of(effect: Effect) -> str:
    return destination_of(effect).lane(effect)


def supersedes(newer: Effect, older: Effect) -> bool:
    """True when ``older``, not yet delivered, says nothing ``newer`` will not say better."""
    if lane_of(newer) != lane_of(older):
        return False
    if isinstance(newer, StatusPagePost) and isinstance(older, StatusPagePost):
        return True  # the page shows the newest state; a burst of stale posts helps nobody
    return (
        isinstance(newer, Notice)
        and isinstance(older, Notice)
        and newer.kind is older.kind
        and newer.kind in SUPERSEDED_BY_NEWER
        and newer.standing is None
        and older.standing is None
    )
