"""Slack delivery: incident channels and every notice, each posted exactly once.

    messenger = SlackMessenger.connect(token=..., base_url="https://slack.com/api/",
                                       platform_channel="#wc-platform")
    IncidentActivities(messenger=messenger, status_page=...)

Slack has no idempotency key, so Temporal owns the retries (slack-sdk's own retry handlers are
off) and every post carries message metadata naming its delivery key. A retry attempt looks the
key up in the channel's history before posting again. Failures become ``ApplicationError`` as
``activities/slack_api.py`` says; channels and people are ``activities/slack_directory.py``'s.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.slack_api import SLACK_CALL_TIMEOUT, call, slack_web_client
from activities.slack_directory import SlackDirectory, hashed
from messages import slack_blocks as sb
from workflows.model import Audience, ChannelRef, ChannelRequest, Notice, PostedRef, Standing

DEADLINE_MARGIN = 2.0
PACE_HOLD_SECONDS = 2.0  # the longest a paced post keeps its activity slot while it waits
HISTORY_DEPTH = 200


class SlackMessenger:
    """The Messenger on Slack's Web API: channels, posts, direct messages."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        platform_channel: str,
        min_post_interval: float = 1.0,
    ) -> None:
        self._client = client
        self._directory = SlackDirectory(client)
        self._platform_channel = platform_channel
        self._min_post_interval = min_post_interval
        self._next_slot: dict[str, float] = {}  # per channel, time.monotonic()

    @classmethod
    def connect(
        cls, *, token: str, base_url: str, platform_channel: str, min_post_interval: float = 1.0
    ) -> SlackMessenger:
        """A messenger whose client never retries on its own: a retried post could duplicate."""
        client = slack_web_client(token=token, base_url=base_url, timeout=int(SLACK_CALL_TIMEOUT))
        return cls(
            client=client, platform_channel=platform_channel, min_post_interval=min_post_interval
        )

    # --- Messenger ---------------------------------------------------------------------------

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        if request.shared:
            channel_id = await self._directory.channel_id(request.name)
            await self._directory.invite(channel_id, request.invite)
            root = await self._post_intro(channel_id, request)
            return ChannelRef(channel_id=channel_id, name=hashed(request.name), thread_ts=root)
        channel_id, name = await self._directory.create_or_reuse(request)
        await self._directory.invite(channel_id, request.invite)
        await call(
            "conversations.setTopic",
            self._client.conversations_setTopic(
                channel=channel_id, topic=sb.slack_topic(request.topic)
            ),
        )
        await self._post_intro(channel_id, request)
        return ChannelRef(channel_id=channel_id, name=hashed(name))

    async def _post_intro(self, channel_id: str, request: ChannelRequest) -> str:
        """The incident's first message: its channel's, or in shared mode its thread's root."""
        return await self._post_once(
            channel_id,
            request.key,
            text=sb.channel_intro_text(request),
            blocks=sb.channel_intro_blocks(request),
            look_first=request.maybe_done,
        )

    async def deliver(self, notice: Notice) -> PostedRef | None:
        text, blocks = sb.notice_text(notice), sb.notice_blocks(notice)
        if notice.audience is Audience.DIRECT:
            for person in notice.recipients:
                channel_id = await self._directory.direct_channel(person)
                await self._post_once(
                    channel_id, notice.key, text=text, blocks=blocks, look_first=notice.maybe_done
                )
            return None
        if notice.replaces is not None:  # a standing message: edit in place (idempotent)
            await self._edit(notice, notice.replaces, text=text, blocks=blocks)
            return notice.replaces
        thread_ts = None
        if notice.audience is Audience.PLATFORM_CHANNEL:
            channel_id = await self._directory.channel_id(self._platform_channel)
        elif notice.incident.channel_id is None:
            raise ApplicationError(
                f"{notice.incident.id} has no channel to post in.",
                type="NoIncidentChannel",
                non_retryable=True,
            )
        else:
            channel_id = await self._directory.channel_id(notice.incident.channel_id)
            thread_ts = notice.incident.thread_ts
            await self._directory.invite(channel_id, notice.invite)
        ts = await self._post_once(
            channel_id,
            notice.key,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            look_first=notice.maybe_done,
        )
        if notice.standing is Standing.SUMMARY:
            await call(
                "pins.add",
                self._client.pins_add(channel=channel_id, timestamp=ts),
                tolerate=frozenset({"already_pinned"}),
            )
        if notice.archive_channel:
            await call(
                "conversations.archive",
                self._client.conversations_archive(channel=channel_id),
                tolerate=frozenset({"already_archived"}),
            )
        return PostedRef(channel_id=channel_id, ts=ts) if notice.standing else None

    async def _edit(
        self, notice: Notice, message: PostedRef, *, text: str, blocks: list[sb.Block]
    ) -> None:
        await self._pace(message.channel_id)
        await call(
            "chat.update",
            self._client.chat_update(
                channel=message.channel_id,
                ts=message.ts,
                text=text,
                blocks=blocks,
                # No metadata: chat.update replaces what is sent, and the message must keep the
                # key of the post that created it (retries and the fault suite look it up).
            ),
        )
        if notice.standing is Standing.SUMMARY and notice.incident.thread_ts is None:
            topic = sb.notice_topic(notice)
            if topic:
                await call(
                    "conversations.setTopic",
                    self._client.conversations_setTopic(channel=message.channel_id, topic=topic),
                )

    # --- Posting exactly once ----------------------------------------------------------------

    async def _post_once(
        self,
        channel_id: str,
        key: str,
        *,
        text: str,
        blocks: list[sb.Block],
        thread_ts: str | None = None,
        look_first: bool = False,
    ) -> str:
        """Post unless an earlier attempt (or, with ``look_first``, an earlier run's cut-short
        delivery) already did; return the message's ``ts``."""
        await self._pace(channel_id)
        if look_first or _attempt() > 1:  # looked up as late as possible: just before posting
            earlier = await self._find_posted(channel_id, key, thread_ts)
            if earlier is not None:
                return earlier
        response = await call(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                metadata=sb.message_metadata(key),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return str(response["ts"])

    async def _find_posted(self, channel_id: str, key: str, thread_ts: str | None) -> str | None:
        if thread_ts is not None:
            response = await call(
                "conversations.replies",
                self._client.conversations_replies(
                    channel=channel_id, ts=thread_ts, include_all_metadata=True, limit=HISTORY_DEPTH
                ),
            )
        else:
            response = await call(
                "conversations.history",
                self._client.conversations_history(
                    channel=channel_id, include_all_metadata=True, limit=HISTORY_DEPTH
                ),
            )
        for message in response.get("messages") or []:
            if sb.posted_key(message) == key:
                return str(message["ts"])
        return None

    async def _pace(self, channel_id: str) -> None:
        """At most one post per ``min_post_interval`` per channel from this worker: a post whose
        channel is free within ``PACE_HOLD_SECONDS`` reserves that slot and waits for it.

        A post with a longer queue ahead gives its activity slot back and is retried when the
        channel frees up: a burst of escalations into one person's DMs, each sleeping out its
        turn, held most of the worker's activity slots and made other incidents' reminders wait
        for them (``python -m bench --only burst_reminders``). An attempt whose slot falls too
        close to its own start-to-close deadline gives way the same way, instead of posting late:
        a timed-out attempt that posted after the retry looked would be a duplicate (found by the
        100-incident fan-out benchmark).
        """
        now = time.monotonic()
        slot = max(now, self._next_slot.get(channel_id, 0.0))
        wait = slot - now
        if wait > 0 and wait > min(PACE_HOLD_SECONDS, _seconds_left()):
            raise ApplicationError(
                f"Slack channel {channel_id} is busy for {wait:.0f}s; posting then.",
                type="SlackChannelBusy",
                next_retry_delay=timedelta(seconds=max(1.0, wait)),
                category=ApplicationErrorCategory.BENIGN,  # paced by us, not a failure
            )
        self._next_slot[channel_id] = slot + self._min_post_interval
        if wait > 0:
            await asyncio.sleep(wait)


def _attempt() -> int:
    return activity.info().attempt if activity.in_activity() else 1


def _seconds_left() -> float:
    """How long this attempt may still wait before posting: its start-to-close deadline less the
    longest a Slack call may take (the client's timeout) and a margin."""
    if not activity.in_activity():
        return math.inf
    info = activity.info()
    if info.start_to_close_timeout is None:
        return math.inf
    deadline = info.started_time + info.start_to_close_timeout
    budget = (deadline - datetime.now(UTC)).total_seconds()
    return budget - SLACK_CALL_TIMEOUT - DEADLINE_MARGIN
