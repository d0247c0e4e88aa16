"""What each delivery does, in one line: the summary of its activity in the Temporal Web UI.

The Web UI's timeline shows an activity by its summary ("update to #inc-2026-12-06-search-down",
"ack request to U0DM (direct message)") rather than by the activity's name and the effect's key.
Nothing here names a security incident's title: a summary says what goes where, never what it
says. Pure: it runs in the workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.destinations.github import ActionIssue, RetroPullRequest
from workflows.model import (
    Audience,
    ChannelRequest,
    Effect,
    IncidentState,
    Notice,
    NoticeKind,
    Policy,
    StatusPagePost,
)

# What a notice is, as a noun: "<what> to <where>".
NOTICE_WORDS: dict[NoticeKind, str] = {
    NoticeKind.REPORTED: "new report",
    NoticeKind.DECLARED: "announcement",
    NoticeKind.ACK_REQUEST: "ack request",
    NoticeKind.ACCEPTED: "acceptance notice",
    NoticeKind.DECLINED: "decline notice",
    NoticeKind.REVISIT: "revisit reminder",
    NoticeKind.TRANSITION: "change notice",  # a status, a lead, a severity, people
    NoticeKind.UPDATE: "update",
    NoticeKind.REMINDER: "update reminder",
    NoticeKind.ESCALATION: "escalation",
    NoticeKind.RESOLUTION_REQUEST: "resolution request",
    NoticeKind.RESOLVED: "resolution",
    NoticeKind.RETRO_DUE: "retro reminder",
    NoticeKind.TIMELINE: "timeline",
    NoticeKind.RETRO_DRAFT: "retro draft",
    NoticeKind.SUMMARY: "pinned summary",
    NoticeKind.CLOSED: "closing note",
    NoticeKind.SECURITY: "security notice",
    NoticeKind.REFUSED: "refusal",
    NoticeKind.ASKED: "request to help",
}

_RECIPIENTS_NAMED = 3  # more people than this are counted, not named


def _incident_channel(notice: Notice, state: IncidentState, policy: Policy) -> str:
    if notice.incident.thread_ts:  # shared channel mode
        return f"the incident's thread in {policy.response_channel}"
    channel = notice.incident.channel_id
    if channel and channel == state.channel_id and state.channel_name:
        return state.channel_name
    if channel and channel.startswith("#"):
        return channel
    return "the incident channel"


def _people(recipients: list[str]) -> str:
    if len(recipients) > _RECIPIENTS_NAMED:
        return f"{len(recipients)} people"
    return ", ".join(recipients) or "nobody"


def _notice(notice: Notice, state: IncidentState, policy: Policy) -> str:
    what = NOTICE_WORDS.get(notice.kind, str(notice.kind).replace("_", " "))
    if notice.audience is Audience.DIRECT:
        plural = "s" if len(notice.recipients) > 1 else ""
        line = f"{what} to {_people(notice.recipients)} (direct message{plural})"
    elif notice.audience is Audience.PLATFORM_CHANNEL:
        line = f"{what} in {policy.platform_channel}"
    else:  # a standing message is kept in the channel; anything else is posted to it
        where = "in" if notice.standing else "to"
        line = f"{what} {where} {_incident_channel(notice, state, policy)}"
    if notice.replaces is not None:
        line += " (edited)"
    if notice.archive_channel:
        line += ", then the channel archived"
    return line


def _channel(request: ChannelRequest, state: IncidentState, policy: Policy) -> str:
    name = "#" + request.name.lstrip("#")
    if request.shared:
        return f"the incident's thread in {name}"
    return f"{'private' if request.private else 'new'} channel {name}"


def _status_page(post: StatusPagePost, state: IncidentState, policy: Policy) -> str:
    impact = f", impact {post.impact_override}" if post.impact_override else ""
    return f"status page post: {post.status}{impact}"


def _retro(request: RetroPullRequest, state: IncidentState, policy: Policy) -> str:
    private = " (private)" if request.private_only else ""
    return f"retro pull request to {request.repo}{private} on GitHub"


def _action(issue: ActionIssue, state: IncidentState, policy: Policy) -> str:
    owner = f", assigned to {issue.owner}" if issue.owner else ""
    return f"action issue in {issue.repo} on GitHub{owner}"


# One entry per kind of effect (``EFFECT_TYPES``); the tests fail when a kind has none.
SUMMARIES: dict[type[Any], Callable[[Any, IncidentState, Policy], str]] = {
    Notice: _notice,
    ChannelRequest: _channel,
    StatusPagePost: _status_page,
    RetroPullRequest: _retro,
    ActionIssue: _action,
}


def activity_summary(effect: Effect, state: IncidentState, policy: Policy) -> str:
    """What the effect delivers where, in plain words, on one short line: "status page post:
    identified", "announcement in #wc-platform (edited)". ``state`` and ``policy`` name the
    channels (the incident's, the platform channel)."""
    describe = SUMMARIES.get(type(effect))
    if describe is None:  # a kind of effect without words yet: still a line, never a failure
        return f"{effect.destination_name().replace('_', ' ')} {effect.key}"
    return describe(effect, state, policy)
