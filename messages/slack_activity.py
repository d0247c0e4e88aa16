"""What each Slack delivery does, in one line: its activity's summary in the Temporal Web UI.

"update to #inc-2026-12-06-search-down", "ack request to U0DM (direct message)", "new channel
#inc-2026-12-06-search-down": what goes where, never what it says, so never a security incident's
title. ``workflows/destinations/slack.py`` says which of these a notice or a channel is; this
module only words it, from plain values (it imports no model: the destination imports it).
Pure: it runs in the workflow.

    >>> notice_summary("update", to_channel("#inc-1"), edited=False, archives=False)
    'update to #inc-1'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

# What a notice is, as a noun: "<what> to <where>". Keyed by ``NoticeKind``'s values (the
# destination's enum, which this module cannot import); tests/test_activity_summary.py checks
# that every kind has its words.
NOTICE_WORDS: dict[str, str] = {
    "reported": "new report",
    "declared": "announcement",
    "ack_request": "ack request",
    "accepted": "acceptance notice",
    "declined": "decline notice",
    "revisit": "revisit reminder",
    "transition": "change notice",  # a status, a lead, a severity, people
    "update": "update",
    "reminder": "update reminder",
    "escalation": "escalation",
    "resolution_request": "resolution request",
    "resolved": "resolution",
    "retro_due": "retro reminder",
    "timeline": "timeline",
    "retro_draft": "retro draft",
    "summary": "pinned summary",
    "closed": "closing note",
    "security": "security notice",
    "refused": "refusal",
    "asked": "request to help",
}

RECIPIENTS_NAMED: Final = 3  # more people than this are counted, not named
UNNAMED_INCIDENT_CHANNEL: Final = "the incident channel"


def incident_channel(name: str | None, *, thread_in: str | None = None) -> str:
    """The incident's channel as people know it: its name, or its thread in the shared channel
    (``thread_in``), or just "the incident channel" when its name is not known."""
    if thread_in:
        return f"the incident's thread in {thread_in}"
    return name or UNNAMED_INCIDENT_CHANNEL


def to_people(recipients: Sequence[str]) -> str:
    """Direct messages: "to U0DM (direct message)", "to 4 people (direct messages)"."""
    plural = "s" if len(recipients) > 1 else ""
    if len(recipients) > RECIPIENTS_NAMED:
        people = f"{len(recipients)} people"
    else:
        people = ", ".join(recipients) or "nobody"
    return f"to {people} (direct message{plural})"


def to_channel(channel: str) -> str:
    """Posted to a channel."""
    return f"to {channel}"


def in_channel(channel: str) -> str:
    """Said in a channel: kept there (a standing message) or in the platform channel."""
    return f"in {channel}"


def notice_summary(kind: str, where: str, *, edited: bool, archives: bool) -> str:
    """A notice's line: what it is (``kind``: a ``NoticeKind``), ``where`` it goes (one of the
    phrases above), whether it edits a message already posted and archives the channel."""
    line = f"{NOTICE_WORDS.get(kind, kind.replace('_', ' '))} {where}"
    if edited:
        line += " (edited)"
    if archives:
        line += ", then the channel archived"
    return line


def channel_summary(name: str, *, private: bool, shared: bool) -> str:
    """The incident's channel being opened: "new channel #inc-…", "private channel #inc-…", or
    its thread in the shared channel ``name``."""
    channel = "#" + name.lstrip("#")
    if shared:
        return incident_channel(None, thread_in=channel)
    return f"{'private' if private else 'new'} channel {channel}"
