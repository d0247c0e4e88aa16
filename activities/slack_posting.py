"""Posting to Slack exactly once: messages found again by their delivery key, files by their name,
one post per second per channel, plain posts that would wait for the channel merged into one.

Slack has no idempotency key, so Temporal owns the retries (slack-sdk's own retry handlers are
off) and every post carries message metadata naming its delivery key. A retry attempt looks the
key up in the channel's history before posting again; a document's file is looked up by its name
among the messages after its short message. :class:`activities.slack.SlackMessenger` builds on
this to deliver the incident's notices.

Plain posts that would wait for their channel's pace (a storm of reports, each its own workflow,
all direct messages to one delivery manager) are merged: the first to wait opens a batch at the
channel's next slot, the next join it, and at the slot it is posted once, its metadata naming
every member's key (``activities/slack_batches.py``, ``SlackPoster._batch_for``).
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
from activities.slack_batches import Batch, Member, in_batch
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
        self._open: dict[str, Batch] = {}  # per channel, the batch still taking posts
        self._posting: set[asyncio.Task[None]] = set()  # the batches waiting for their slot
        self._alone: set[str] = set()  # keys whose merged post Slack refused: retried alone

    async def post_once(
        self,
        channel_id: str,
        key: str,
        *,
        text: str,
        blocks: list[sb.Block],
        thread_ts: str | None = None,
        look_first: bool = False,
        merge: bool = False,
    ) -> str:
        """Post unless an earlier attempt (or, with ``look_first``, an earlier run's cut-short
        delivery) already did; return the message's ``ts``.

        With ``merge`` (a plain post: no buttons, never edited nor followed by a file), a post
        that would wait for the channel's pace shares one message with the others waiting for
        the same slot (:meth:`_batch_for`), and returns that message's ``ts``."""
        look = look_first or _attempt() > 1
        if merge and sb.mergeable(blocks) and key not in self._alone:
            member = Member(key, text, blocks, look, time.monotonic() + _seconds_left())
            batch = self._batch_for(channel_id, thread_ts, member)
            if batch is not None:
                return await in_batch(batch, member)
        await self.pace(channel_id)
        if look:  # looked up as late as possible: just before posting
            earlier = await self._find_posted(channel_id, key, thread_ts)
            if earlier is not None:
                return earlier
        return await self._send(channel_id, thread_ts, text, blocks, sb.message_metadata(key))

    async def _send(
        self,
        channel_id: str,
        thread_ts: str | None,
        text: str,
        blocks: list[sb.Block],
        metadata: dict[str, Any],
    ) -> str:
        response = await call(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return str(response["ts"])

    async def _find_posted(self, channel_id: str, key: str, thread_ts: str | None) -> str | None:
        for message in await self._history(channel_id, thread_ts):
            if key in sb.posted_keys(message):  # its own message, or a merged one
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
            self._open.pop(channel_id, None)  # a later slot is taken: nothing may overtake it
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

    def _batch_for(self, channel_id: str, thread_ts: str | None, member: Member) -> Batch | None:
        """The batch a mergeable post joins: the channel's open one if the post fits in it (same
        thread, within Slack's limits), else a new one at the channel's next slot. None when the
        post goes alone through :meth:`pace`: the channel is free now, its next slot is further
        away than the post may hold its activity slot, or the post is a retry with a turn.

        Order: a batch holds the slot its first member reserved and takes members until then,
        or until any other post reserves a later slot (``pace`` closes it); a non-mergeable post
        takes the slot after it. So no post overtakes one that came before it. A post whose
        deadline falls before the open batch's slot does not join: it is busy, and retried.
        """
        now = time.monotonic()
        if activity.in_activity() and (channel_id, *_activity()) in self._turns:
            return None  # its turn, kept from its first attempt, is its slot
        hold = min(PACE_HOLD_SECONDS, member.deadline - now)
        batch = self._open.get(channel_id)
        if batch is not None and batch.takes(member, thread_ts):
            if batch.slot - now > hold:
                raise _busy(channel_id, batch.slot - now)
            batch.members.append(member)
            return batch
        slot = max(
            now,
            self._next_slot.get(channel_id, 0.0),
            self._last_post.get(channel_id, -math.inf) + self._min_post_interval,
        )
        if slot <= now or slot - now > hold:
            return None
        self._last_post[channel_id] = slot
        self._next_slot[channel_id] = slot + self._min_post_interval
        batch = self._open[channel_id] = Batch(channel_id, thread_ts, slot, [member])
        posting = asyncio.create_task(self._post_batch(batch))
        self._posting.add(posting)
        posting.add_done_callback(self._posting.discard)
        return batch

    async def _post_batch(self, batch: Batch) -> None:
        """At its slot, seal the batch and post its members as one message; each gets its
        ``ts``: a retry whose key is found in the channel, that message's; a member whose
        deadline passed (a stalled event loop), the busy error, unposted. A failed look or post
        fails every member still waiting."""
        channel_id, interval = batch.channel_id, self._min_post_interval
        try:
            await asyncio.sleep(batch.slot - time.monotonic())
            self._seal(batch)
            # Sleepers woken together after the event loop stalled would post back to back.
            while (
                gap := self._last_sent.get(channel_id, -math.inf) + interval - time.monotonic()
            ) > 0:
                await asyncio.sleep(gap)
            self._last_sent[channel_id] = time.monotonic()
            await self._answer_found(batch)
            for late in [m for m in batch.members if m.deadline < time.monotonic()]:
                late.fail(_busy(channel_id, 0))
            waiting = [(m.key, m.text, m.blocks) for m in batch.members if not m.answer.done()]
            if merged := sb.merged_message(waiting):
                ts = await self._send(channel_id, batch.thread_ts, *merged)
                for member in batch.members:
                    member.settle(ts)
        except Exception as error:
            failed = self._member_error(error, batch)
            for member in batch.members:
                member.fail(failed)
        finally:  # none waits for ever, even if this task is cancelled (the worker stops)
            self._seal(batch)
            for member in batch.members:
                member.fail(ApplicationError("Not posted.", type="SlackTransient"))

    def _seal(self, batch: Batch) -> None:
        batch.sealed = True  # no member joins or leaves
        if self._open.get(batch.channel_id) is batch:
            del self._open[batch.channel_id]

    async def _answer_found(self, batch: Batch) -> None:
        """A retry whose key an earlier attempt posted (alone or merged) gets that message's
        ``ts``: the channel (or thread) looked up once for the batch, just before it posts."""
        if any(m.look for m in batch.members):
            history = await self._history(batch.channel_id, batch.thread_ts)
            found = {key: str(m["ts"]) for m in history for key in sb.posted_keys(m)}
            for member in batch.members:
                if member.look and member.key in found:
                    member.settle(found[member.key])

    def _member_error(self, error: Exception, batch: Batch) -> Exception:
        """A merged post Slack refused for good may be refused for one member's sake: each member
        is retried alone (``_alone``), to meet Slack's answer to its own post."""
        if len(batch.members) == 1 or not (
            isinstance(error, ApplicationError) and error.non_retryable
        ):
            return error
        if len(self._alone) >= TURNS_KEPT_MAX:
            self._alone.clear()
        self._alone.update(m.key for m in batch.members)
        return ApplicationError(
            f"Slack refused a merged post ({error.message}); each of its posts is retried alone.",
            type="SlackMergedPostRefused",
        )


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
