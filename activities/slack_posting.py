"""Posting to Slack exactly once: messages found again by their delivery key, files by their name,
one post per second per channel.

Slack has no idempotency key, so Temporal owns the retries (slack-sdk's own retry handlers are
off) and every post carries message metadata naming its delivery key. A retry attempt looks the
key up in the channel's history before posting again; a document's file is looked up by its name
among the messages after its short message. :class:`activities.slack.SlackMessenger` builds on
this to deliver the incident's notices.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.slack_api import SLACK_CALL_TIMEOUT, call
from messages import slack_blocks as sb
from messages import slack_documents as sd

DEADLINE_MARGIN = 2.0
# Slack allows about one message a second per channel. A post reaches Slack tens of milliseconds
# after it is sent, more or less under load (the fan-out benchmark's closest two: 1.022 s apart
# with this interval); 5% to spare keeps every stretch at or under one a second.
POST_INTERVAL = 1.05
PACE_HOLD_SECONDS = 2.0  # the longest a paced post keeps its activity slot while it waits
HISTORY_DEPTH = 200
SHARE_SETTLE_SECONDS = 3.0  # how long a retry waits for an earlier upload's share to show
TURNS_KEPT_MAX = 1000  # turns kept for retries before the passed ones are forgotten
TURN_FORGOTTEN_AFTER = 60.0  # seconds after a turn passed with nobody coming for it
log = logging.getLogger("incident.slack")


class SlackPoster:
    """Posts and files in Slack channels, each once per key, paced per channel."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        min_post_interval: float = POST_INTERVAL,
        share_settle_seconds: float = SHARE_SETTLE_SECONDS,
    ) -> None:
        self._client = client
        self._min_post_interval = min_post_interval
        self._share_settle_seconds = share_settle_seconds
        self._next_slot: dict[str, float] = {}  # per channel, time.monotonic()
        # The turn each attempt that gave its slot back holds, until its retry comes for it:
        # (channel, workflow id, activity id) → time.monotonic().
        self._turns: dict[tuple[str, str, str], float] = {}
        self._last_post: dict[str, float] = {}  # per channel, the latest post's slot
        self._last_sent: dict[str, float] = {}  # per channel, when the latest post was sent

    async def post_once(
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
        await self.pace(channel_id)
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
        for message in await self._history(channel_id, thread_ts):
            if sb.posted_key(message) == key:
                return str(message["ts"])
        return None

    async def _history(
        self, channel_id: str, thread_ts: str | None, *, oldest: str | None = None
    ) -> list[dict[str, Any]]:
        """The channel's newest messages (or the thread's), with their metadata."""
        if thread_ts is not None:
            response = await call(
                "conversations.replies",
                self._client.conversations_replies(
                    channel=channel_id,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=HISTORY_DEPTH,
                    oldest=oldest,
                ),
            )
        else:
            response = await call(
                "conversations.history",
                self._client.conversations_history(
                    channel=channel_id,
                    include_all_metadata=True,
                    limit=HISTORY_DEPTH,
                    oldest=oldest,
                ),
            )
        return list(response.get("messages") or [])

    async def share_once(
        self,
        channel_id: str,
        document: sd.SlackDocument,
        *,
        posted: str,
        thread_ts: str | None,
        look_first: bool,
    ) -> None:
        """Upload the document's file next to its short message (``posted``), unless an earlier
        attempt did: the file is found by its name among the messages after the short one.

        Slack shares an upload with the channel asynchronously (after its scans), so a retry
        that finds nothing waits ``share_settle_seconds`` and looks once more before uploading
        again. A workspace where the bot may not upload (no ``files:write``) gets the document in
        mrkdwn under the short message instead, posted once like any message.
        """
        if look_first or _attempt() > 1:
            if await self._find_file(channel_id, document.file_name, posted, thread_ts):
                return
            settle = min(self._share_settle_seconds, max(0.0, _seconds_left()))
            if settle > 0:
                await asyncio.sleep(settle)
                if await self._find_file(channel_id, document.file_name, posted, thread_ts):
                    return
        await self.pace(channel_id)
        try:
            await call(
                "files.uploadV2",
                self._client.files_upload_v2(
                    channel=channel_id,
                    thread_ts=thread_ts,
                    filename=document.file_name,
                    title=document.title,
                    content=document.content,
                ),
            )
        except ApplicationError as refused:
            if not refused.non_retryable:
                raise
            log.warning("%s: no file for %s (%s)", channel_id, document.key, refused.message)
            await self.post_once(
                channel_id,
                f"{document.key}/document",
                text=document.title,
                blocks=sd.fallback_blocks(document),
                thread_ts=thread_ts or posted,
                look_first=True,
            )

    async def _find_file(
        self, channel_id: str, file_name: str, after: str, thread_ts: str | None
    ) -> bool:
        for message in await self._history(channel_id, thread_ts, oldest=after):
            if any(shared.get("name") == file_name for shared in message.get("files") or []):
                return True
        return False

    async def pace(self, channel_id: str) -> None:
        """At most one post per ``min_post_interval`` per channel from this worker: a post whose
        channel is free within ``PACE_HOLD_SECONDS`` reserves that slot and waits for it.

        A post with a longer queue ahead gives its activity slot back and is retried when the
        channel frees up: a burst of escalations into one person's DMs, each sleeping out its
        turn, held most of the worker's activity slots and made other incidents' reminders wait
        for them (``python -m bench --only burst_reminders``). It keeps its turn, so its retry
        posts then: without the turn, every waiting post was retried at the same moment, one won
        and the rest came back again, attempts growing with the square of the queue. An attempt
        whose slot falls too close to its own start-to-close deadline gives way the same way,
        instead of posting late: a timed-out attempt that posted after the retry looked would be
        a duplicate (found by the 100-incident fan-out benchmark).
        """
        now, interval = time.monotonic(), self._min_post_interval
        holder = (channel_id, *_activity()) if activity.in_activity() else None
        turn = self._turns.pop(holder, None) if holder else None
        if turn is None:
            turn = max(now, self._next_slot.get(channel_id, 0.0))
            self._next_slot[channel_id] = turn + interval
        # A retry that comes after its turn posts an interval after the last post, not at once.
        slot = max(turn, self._last_post.get(channel_id, -math.inf) + interval)
        wait = slot - now
        if wait > 0 and wait > min(PACE_HOLD_SECONDS, _seconds_left()):
            if holder:
                self._keep_turn(holder, slot, now)
            raise _busy(channel_id, wait)
        self._last_post[channel_id] = slot
        self._next_slot[channel_id] = max(self._next_slot.get(channel_id, 0.0), slot + interval)
        if wait > 0:
            await asyncio.sleep(wait)
        # Sleepers woken together after the event loop stalled would post back to back: each
        # goes an interval after the post actually sent before it.
        while (gap := self._last_sent.get(channel_id, -math.inf) + interval - time.monotonic()) > 0:
            if gap > _seconds_left():  # never post after this attempt's deadline (a duplicate)
                raise _busy(channel_id, gap)
            await asyncio.sleep(gap)
        self._last_sent[channel_id] = time.monotonic()

    def _keep_turn(self, holder: tuple[str, str, str], turn: float, now: float) -> None:
        """Keep ``turn`` for the attempt's retry; turns nobody came for (a superseded delivery,
        cancelled) are forgotten a minute after they passed."""
        if len(self._turns) >= TURNS_KEPT_MAX:
            self._turns = {k: t for k, t in self._turns.items() if t > now - TURN_FORGOTTEN_AFTER}
        self._turns[holder] = turn


def _busy(channel_id: str, wait: float) -> ApplicationError:
    return ApplicationError(
        f"Slack channel {channel_id} is busy for {wait:.0f}s; posting then.",
        type="SlackChannelBusy",
        next_retry_delay=timedelta(seconds=max(1.0, wait)),
        category=ApplicationErrorCategory.BENIGN,  # paced by us, not a failure
    )


def _activity() -> tuple[str, str]:
    """The activity whose attempts these are: its retries share the workflow and activity ids."""
    info = activity.info()
    return info.workflow_id or "", info.activity_id


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
