"""Plain text of each message, as the console (and Slack's fallback text) shows it."""

from __future__ import annotations

from collections.abc import Callable

from workflows.destinations.slack import Audience, ChannelRequest, IncidentBrief, Notice, Standing
from workflows.destinations.statuspage import StatusPagePost
from workflows.model import Status
from workflows.rules import describe_status


def capitalised(text: str) -> str:
    """The text with its first letter made a capital, so a quoted phrase opens a sentence."""
    return text[:1].upper() + text[1:]


def _as_is(text: str) -> str:
    return text


def _named(person: str) -> str:
    return f"@{person}"


def notice_destination(notice: Notice, *, platform_channel: str) -> str:
    """Where a notice goes, in words: a channel name or the people messaged directly."""
    if notice.audience is Audience.PLATFORM_CHANNEL:
        return platform_channel
    if notice.audience is Audience.DIRECT:
        return "direct to " + ", ".join(notice.recipients)
    return notice.incident.channel_id or f"the channel of {notice.incident.id}"


def notice_text(
    notice: Notice,
    *,
    mention: Callable[[str], str] = _named,
    escape: Callable[[str], str] = _as_is,
    link: Callable[[str], str] = _as_is,
) -> str:
    """The message body: mentions first, then the sentence the workflow decided on, and in the
    platform channel where the incident is worked on. Slack's text (``messages.slack_blocks``)
    is the same with its own mentions, escaping and channel links."""
    mentions = " ".join(mention(person) for person in notice.mentions)
    text = f"{mentions} {escape(notice.text)}".strip()
    channel = notice.incident.channel_id
    if notice.audience is Audience.PLATFORM_CHANNEL and channel:
        text += f" Channel: {link(channel)}"
    return text


# A standing message edited because the incident moved from one status to another.
_STATUS_CHANGES: dict[tuple[Status, Status], str] = {
    (Status.AWAITING_APPROVAL, Status.ACTIVE): "resolution rejected",
    (Status.RESOLVED, Status.ACTIVE): "reopened",
    (Status.TRIAGE, Status.ACTIVE): "accepted",
}
_NOW: dict[Status, str] = {
    Status.AWAITING_APPROVAL: "resolution requested",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
    Status.DECLINED: "declined",
}


def what_changed(before: IncidentBrief, after: IncidentBrief) -> list[str]:
    """What differs between two briefs of one incident, in words: "resolved", "reopened",
    "severity sev2 to sev1", "lead U0A to U0B"."""
    changes = []
    if before.status is not after.status:
        changes.append(
            _STATUS_CHANGES.get((before.status, after.status))
            or _NOW.get(after.status)
            or f"now {describe_status(after.status)}"
        )
    if before.severity != after.severity:
        changes.append(f"severity {before.severity or 'unset'} to {after.severity or 'unset'}")
    if before.lead != after.lead and before.lead and after.lead:
        changes.append(f"lead {before.lead} to {after.lead}")
    if before.title != after.title and before.title and after.title:
        changes.append("retitled")
    if after.security and not before.security:
        changes.append("made confidential")
    if after.channel_id and not before.channel_id and not after.security:
        changes.append("channel linked")
    return changes


def notice_label(notice: Notice, before: IncidentBrief | None = None) -> str:
    """What a notice is, as the console names it: its kind ("declared", "update"), or for an edit
    of a standing message what happened to the incident since ``before``, the brief of the
    message as last posted or edited ("announcement edited: resolved"). Without ``before`` (a
    worker started since) an edit says the incident's status ("announcement edited (resolved)").
    """
    if notice.replaces is None or notice.standing is None:
        return str(notice.kind)
    edited = "announcement" if notice.standing is Standing.ANNOUNCEMENT else str(notice.standing)
    changes = what_changed(before, notice.incident) if before is not None else []
    if not changes:
        return f"{edited} edited ({describe_status(notice.incident.status)})"
    return f"{edited} edited: {', '.join(changes)}"


def notice_line(
    notice: Notice, *, platform_channel: str, before: IncidentBrief | None = None
) -> str:
    """The console's line for a notice; ``before`` as for :func:`notice_label`."""
    where = notice_destination(notice, platform_channel=platform_channel)
    who = f" from {notice.actor}" if notice.actor else ""
    label = notice_label(notice, before)
    return f"[{notice.incident.id}] {label} → {where}{who}: {notice_text(notice)}"


def channel_line(request: ChannelRequest) -> str:
    visibility = "private" if request.private else "public"
    invited = ", ".join(request.invite) or "nobody"
    return (
        f"[{request.incident_id}] channel → #{request.name.lstrip('#')} ({visibility}), "
        f"invited {invited}; topic: {request.topic}; first message: {request.first_message}"
    )


def statuspage_line(post: StatusPagePost) -> str:
    impact = f" (impact {post.impact_override})" if post.impact_override else ""
    return f"[{post.incident_id}] status page → {post.status}{impact}: {post.name}: {post.body}"
