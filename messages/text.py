"""Plain text of each message, as the console (and Slack's fallback text) shows it."""

from __future__ import annotations

from workflows.model import Audience, ChannelRequest, Notice, StatusPagePost


def notice_destination(notice: Notice, *, platform_channel: str) -> str:
    """Where a notice goes, in words: a channel name or the people messaged directly."""
    if notice.audience is Audience.PLATFORM_CHANNEL:
        return platform_channel
    if notice.audience is Audience.DIRECT:
        return "direct to " + ", ".join(notice.recipients)
    return notice.incident.channel_id or f"the channel of {notice.incident.id}"


def notice_text(notice: Notice) -> str:
    """The message body: mentions first, then the sentence the workflow decided on."""
    mentions = " ".join(f"@{person}" for person in notice.mentions)
    text = f"{mentions} {notice.text}".strip()
    channel = notice.incident.channel_id
    if notice.audience is Audience.PLATFORM_CHANNEL and channel:
        text += f" Channel: {channel}"
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
