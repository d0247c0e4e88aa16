"""Plain text of each message, as the console (and Slack's fallback text) shows it."""

from __future__ import annotations

from collections.abc import Callable

from workflows.model import Audience, ChannelRequest, Notice, StatusPagePost


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


def notice_line(notice: Notice, *, platform_channel: str) -> str:
    where = notice_destination(notice, platform_channel=platform_channel)
    who = f" from {notice.actor}" if notice.actor else ""
    kind = f"{notice.kind} (edited)" if notice.replaces else str(notice.kind)
    return f"[{notice.incident.id}] {kind} → {where}{who}: {notice_text(notice)}"


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
