"""Delivery lanes: what waits for what.

An incident's messages leave through one lane per destination: its channel (or thread in the
shared channel), the platform channel, each set of people messaged directly, the status page.
Lanes run concurrently; within a lane order is kept, so a message for the incident channel waits
for the channel to exist and for nothing else. A lane that retries (429, 500, an outage) holds
back no other lane, no command and no timer.

Each kind of effect declares its own lane (a ``Lane``) and what it makes stale (``Delivery`` in
``workflows/destinations/base.py``); this module only compares them. Pure.
"""

from __future__ import annotations

from workflows.destinations import Effect
from workflows.destinations.base import Lane
from workflows.destinations.slack import DIRECT, INCIDENT_CHANNEL, PLATFORM_CHANNEL
from workflows.destinations.statuspage import STATUS_PAGE

__all__ = ["INCIDENT_CHANNEL", "PLATFORM_CHANNEL", "STATUS_PAGE", "describe_lane", "lane_of"]


def describe_lane(lane: Lane) -> str:
    """A lane as people call it: "the incident channel", "U0DM, U0DM2 directly"."""
    if lane.kind == DIRECT:
        return lane.name.replace(",", ", ") + " directly"
    return "the " + str(lane).replace("-", " ")


def lane_of(effect: Effect) -> Lane:
    return effect.lane()


def supersedes(newer: Effect, older: Effect) -> bool:
    """True when ``older``, not yet delivered, says nothing ``newer`` will not say better."""
    return newer.lane() == older.lane() and newer.supersedes(older)
