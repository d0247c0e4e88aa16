"""Plain posts to one channel merged into one message at the channel's next slot
(``activities/slack_posting.py``, ``activities/slack_batches.py``), against the Slack stand-in
over real HTTP.

The rules tested here:

- A mergeable post (no buttons, not standing, no file) that finds its channel free posts at once,
  alone. The first that has to wait opens a batch at the channel's next slot; the next join it
  until it is full (Slack's 50 blocks, 40,000 characters), then the next opens the next batch.
- Order: a batch holds its slot; any other post reserving a slot after it (a post with buttons,
  a standing message) closes it, so a later plain post opens a new batch after that one and
  nothing overtakes a post that came before it.
- Every member's activity returns the merged message's ``ts``; its metadata names every key, so
  a retry of any member finds it and posts nothing.
- A member cancelled before its batch is sealed leaves it; one whose deadline falls before the
  batch's slot does not join (busy, retried).
- No two posts to a channel closer than the interval (the stand-in does not enforce Slack's pace;
  each test checks the arrivals it recorded).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.slack import SlackMessenger
from messages import slack_blocks as sb
from tests.standins.common import Fault
from tests.standins.slack import BOT_USER, Refused, SlackStandIn
from workflows.destinations.slack import (
    Audience,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.model import Severity, Status

TOKEN = "xoxb-coalescing"
DM = "U0DM"
INTERVAL = 0.5  # under PACE_HOLD_SECONDS, so a batch or two ahead is held, not retried


class MergeRefusingSlack(SlackStandIn):
    """Refuses the next ``refusals`` merged messages (more than one key) as invalid blocks."""

    refusals = 0

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.refusals and len(sb.posted_keys(params)) > 1:
            self.refusals -= 1
            raise Refused("invalid_blocks", "refused for the test")
        return super()._chat_postMessage(params)


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[MergeRefusingSlack]:
    stand_in = MergeRefusingSlack(token=TOKEN)
    await stand_in.start()
    stand_in.add_channel("wc-platform", members={BOT_USER})
    yield stand_in
    await stand_in.stop()


def messenger_for(slack: SlackStandIn, interval: float = INTERVAL) -> SlackMessenger:
    return SlackMessenger.connect(
        token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=interval
    )


def brief(
    incident_id: str, channel_id: str | None = None, status: Status = Status.ACTIVE
) -> IncidentBrief:
    return IncidentBrief(
        id=incident_id,
        title="Search down",
        severity=Severity.SEV2,
        status=status,
        lead="U0LEAD",
        channel_id=channel_id,
        security=False,
    )


def report(n: int, **fields: Any) -> Notice:
    """Incident n's direct message to the delivery manager (no buttons: mergeable)."""
    values: dict[str, Any] = {
        "key": f"inc-{n:03d}/2",
        "kind": NoticeKind.REPORTED,
        "audience": Audience.DIRECT,
        "incident": brief(f"inc-{n:03d}"),
        "recipients": [DM],
        "text": f"An alarm reported inc-{n:03d}: disk {n} full.",
    }
    return Notice(**(values | fields))


def attempt_of(
    activity_id: str, *, attempt: int = 1, start_to_close: float = 30.0
) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info,
        activity_id=activity_id,
        workflow_id=f"wf-{activity_id}",
        attempt=attempt,
        started_time=datetime.now(UTC),
        start_to_close_timeout=timedelta(seconds=start_to_close),
    )
    return env


async def staggered(*calls: Callable[[], Awaitable[Any]], gap: float = 0.1) -> list[Any]:
    """Start each call ``gap`` seconds after the one before (so they reach the poster in this
    order); every result or exception, in order."""

    async def later(i: int, call: Callable[[], Awaitable[Any]]) -> Any:
        await asyncio.sleep(i * gap)
        return await call()

    return await asyncio.gather(
        *(later(i, call) for i, call in enumerate(calls)), return_exceptions=True
    )


def deliver(
    messenger: SlackMessenger, notice: Notice, **attempt: Any
) -> Callable[[], Coroutine[Any, Any, PostedRef | None]]:
    """The notice's delivery as one attempt of its own activity (its key as the activity id)."""

    async def run() -> PostedRef | None:
        return await attempt_of(notice.key, **attempt).run(messenger.deliver, notice)

    return run


def keys_per_message(messages: list[dict[str, Any]]) -> list[list[str]]:
    return [sb.posted_keys(m) for m in messages]


def assert_paced(slack: SlackStandIn, channel_id: str, interval: float) -> None:
    """No two posts Slack accepted in the channel closer than the interval (less 10%: the
    arrival is noted a little after the send)."""
    arrivals = [
        r.at
        for r in slack.requests
        if r.method == "chat.postMessage" and r.params.get("channel") == channel_id
    ]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= interval * 0.9 for gap in gaps), gaps


def fitting(notices: list[Notice]) -> int:
    """How many of these notices one merged message carries (Slack's 50 blocks)."""
    parts = [(n.key, sb.notice_text(n), sb.notice_blocks(n)) for n in notices]
    return max(k for k in range(1, len(parts) + 1) if sb.merged_message(parts[:k]))


# --- The builders ----------------------------------------------------------------------------


def test_a_merged_message_joins_blocks_with_dividers_texts_and_every_key() -> None:
    parts = [(f"inc-{n}/1", f"text {n}", [{"type": "section", "text": {}}]) for n in range(3)]
    merged = sb.merged_message(parts)
    assert merged is not None
    text, blocks, metadata = merged
    assert text == "text 0\n\ntext 1\n\ntext 2"
    assert [b["type"] for b in blocks] == ["section", "divider"] * 2 + ["section"]
    message = {"metadata": metadata}
    assert sb.posted_key(message) == "inc-0/1"  # readers of the first key keep working
    assert sb.posted_keys(message) == ["inc-0/1", "inc-1/1", "inc-2/1"]
    # One member is a plain post: its own blocks and the metadata every post carries.
    assert sb.merged_message(parts[:1]) == ("text 0", parts[0][2], sb.message_metadata("inc-0/1"))
    assert sb.posted_keys({"metadata": sb.message_metadata("inc-9/1")}) == ["inc-9/1"]
    assert sb.posted_keys({"text": "a person's message"}) == []


def test_a_merged_message_stays_within_slacks_limits() -> None:
    section = {"type": "section", "text": {}}
    assert sb.merged_message([("a/1", "a", [section] * 25), ("b/1", "b", [section] * 24)])
    assert sb.merged_message([("a/1", "a", [section] * 25), ("b/1", "b", [section] * 25)]) is None
    long = "x" * (sb.MESSAGE_TEXT_MAX // 2)
    assert sb.merged_message([("a/1", long, [section]), ("b/1", long, [section])]) is None
    assert sb.merged_message([]) is None


def test_only_posts_without_buttons_or_block_ids_merge() -> None:
    assert sb.mergeable(sb.notice_blocks(report(1)))
    ack = report(1, kind=NoticeKind.ACK_REQUEST)
    assert not sb.mergeable(sb.notice_blocks(ack))


# --- SlackMessenger ----------------------------------------------------------------------------


async def test_a_burst_of_direct_messages_lands_as_one_post_then_a_few_merged_ones(
    slack: MergeRefusingSlack,
) -> None:
    """Forty reports' direct messages to one delivery manager at once (each its own activity,
    as each report is its own workflow): the first posts at once, alone; the rest wait for the
    next slots in as few messages as Slack's 50 blocks allow, every activity answered with the
    ts of the message that carries its key."""
    messenger, n = messenger_for(slack), 40
    notices = [report(i) for i in range(n)]
    per_message = fitting(notices[1:])
    assert 5 < per_message < n - 1  # the burst needs more than one merged message
    began = time.monotonic()
    results = await asyncio.gather(*(deliver(messenger, notice)() for notice in notices))
    took = time.monotonic() - began

    assert results == [None] * n  # direct messages return no ref; their ts is checked below
    messages = slack.direct_messages(DM)
    expected = 1 + math.ceil((n - 1) / per_message)
    assert len(messages) == expected, keys_per_message(messages)
    assert keys_per_message(messages)[0] == [notices[0].key]  # alone, at once
    assert "keys" not in messages[0]["metadata"]["event_payload"]
    carried = [key for message in messages for key in sb.posted_keys(message)]
    assert sorted(carried) == sorted(notice.key for notice in notices)  # each once
    # One interval per merged message after the first, and no more.
    assert took < (expected - 1) * INTERVAL + 1.0, took
    assert_paced(slack, f"D{DM}", INTERVAL)
    # A merged message reads as its members, in the order they joined, a divider between each.
    second = messages[1]
    by_key = {notice.key: notice for notice in notices}
    members = [by_key[key] for key in sb.posted_keys(second)]
    assert len(members) == per_message
    assert second["text"] == "\n\n".join(sb.notice_text(m) for m in members)
    merged = sb.merged_message([(m.key, sb.notice_text(m), sb.notice_blocks(m)) for m in members])
    assert merged is not None and second["blocks"] == merged[1]


async def test_each_member_returns_the_merged_messages_ts(slack: MergeRefusingSlack) -> None:
    messenger = messenger_for(slack)
    channel_id = await messenger._directory.direct_channel(DM)
    keys = [f"inc-{n:03d}/5" for n in range(4)]

    async def post(key: str) -> str:
        return await attempt_of(key).run(
            messenger.post_once,
            channel_id,
            key,
            text=key,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": key}}],
            merge=True,
        )

    answers = await asyncio.gather(*(post(key) for key in keys))
    first, merged = slack.messages(channel_id)
    assert answers == [first["ts"]] + [merged["ts"]] * 3
    assert sb.posted_keys(merged) == keys[1:]


@pytest.mark.parametrize(
    ("kind", "audience", "standing"),
    [
        (NoticeKind.ACK_REQUEST, Audience.DIRECT, None),  # buttons
        (NoticeKind.SUMMARY, Audience.INCIDENT_CHANNEL, Standing.SUMMARY),  # edited later
    ],
)
async def test_a_post_that_may_not_merge_takes_the_slot_after_the_open_batch_and_closes_it(
    slack: MergeRefusingSlack, kind: NoticeKind, audience: Audience, standing: Standing | None
) -> None:
    """Plain, plain, then one that may not merge, then plain, plain, a tenth of a second apart:
    the first alone at once, the second's batch at the next slot, the third alone at the slot
    after (never merged), and the last two in a new batch after it: no post overtakes one that
    came before it."""
    messenger = messenger_for(slack, interval=0.6)
    channel = slack.add_channel("inc-order", members={BOT_USER, DM})
    where = channel.id if audience is Audience.INCIDENT_CHANNEL else None

    def plain(n: int) -> Notice:
        if audience is Audience.DIRECT:
            return report(n)
        return report(
            n, kind=NoticeKind.UPDATE, audience=audience, recipients=[], incident=brief("i", where)
        )

    # The summary of a resolved incident has no buttons: only its standing keeps it apart.
    resolved = Status.RESOLVED if standing else Status.ACTIVE
    special = report(
        9,
        kind=kind,
        audience=audience,
        standing=standing,
        incident=brief("inc-009", where, resolved),
    )
    assert sb.mergeable(sb.notice_blocks(special)) is (standing is not None)
    notices = [plain(0), plain(1), special, plain(3), plain(4)]
    results = await staggered(*(deliver(messenger, notice) for notice in notices))
    assert not [r for r in results if isinstance(r, BaseException)], results

    channel_id = channel.id if audience is Audience.INCIDENT_CHANNEL else f"D{DM}"
    messages = slack.messages(channel_id)
    assert keys_per_message(messages) == [
        [notices[0].key],
        [notices[1].key],
        [special.key],
        [notices[3].key, notices[4].key],
    ]
    assert messages[2]["blocks"] == sb.notice_blocks(special)  # whole, its buttons its own
    if standing is not None:  # its ref is its own message, to edit and pin
        assert results[2].ts == messages[2]["ts"] and channel.pinned == [messages[2]["ts"]]
    assert_paced(slack, channel_id, 0.6)


async def test_a_retry_of_a_merged_post_finds_it_and_posts_nothing(
    slack: MergeRefusingSlack,
) -> None:
    messenger = messenger_for(slack)
    notices = [report(n) for n in range(3)]
    await asyncio.gather(*(deliver(messenger, notice)() for notice in notices))
    posted = len(slack.calls("chat.postMessage"))
    assert keys_per_message(slack.direct_messages(DM))[1] == [notices[1].key, notices[2].key]

    # Retried with the channel free (each through pace, alone), or an earlier run's delivery
    # looked for first: found in the merged message, not posted again.
    await deliver(messenger, notices[2], attempt=2)()
    await deliver(messenger, notices[1].model_copy(update={"maybe_done": True}))()
    assert len(slack.calls("chat.postMessage")) == posted

    # Retried together while the channel is busy: they wait in one batch, which looks the
    # channel up once just before its slot, finds both and posts nothing for them.
    looked = len(slack.calls("conversations.history"))
    await asyncio.gather(
        deliver(messenger, report(7))(),
        *(deliver(messenger, notice, attempt=2)() for notice in notices[1:]),
    )
    assert len(slack.calls("conversations.history")) == looked + 1
    assert len(slack.calls("chat.postMessage")) == posted + 1  # report 7's, alone
    assert_paced(slack, f"D{DM}", INTERVAL)


@pytest.mark.parametrize("fault", [Fault.DROP_AFTER, Fault.SERVER_ERROR])
async def test_when_a_merged_post_fails_every_member_fails_and_its_retry_delivers_it_once(
    slack: MergeRefusingSlack, fault: Fault
) -> None:
    """The merged post's answer lost (applied) or refused with a 500 (not applied): every member
    fails and is retried by Temporal; each key ends up in exactly one message."""
    messenger = messenger_for(slack)
    notices = [report(n) for n in range(4)]
    await deliver(messenger, notices[0])()  # the channel's next slot is an interval away
    slack.inject("chat.postMessage", fault)
    failed = await asyncio.gather(
        *(deliver(messenger, notice)() for notice in notices[1:]), return_exceptions=True
    )
    assert all(isinstance(e, (ApplicationError, aiohttp.ClientError)) for e in failed), failed
    assert len(slack.calls("chat.postMessage", answered=False)) == 2  # merged: one post
    retried = await asyncio.gather(
        *(deliver(messenger, notice, attempt=2)() for notice in notices[1:])
    )
    assert retried == [None] * 3
    carried = [key for m in slack.direct_messages(DM) for key in sb.posted_keys(m)]
    assert sorted(carried) == sorted(notice.key for notice in notices)
    assert_paced(slack, f"D{DM}", INTERVAL)


async def test_a_merged_post_slack_refuses_for_good_is_retried_member_by_member(
    slack: MergeRefusingSlack,
) -> None:
    """A permanent refusal of a merged message may be one member's doing: every member fails
    retryably and its retry posts alone, meeting Slack's answer to its own post."""
    slack.refusals = 1
    messenger = messenger_for(slack)
    notices = [report(n) for n in range(3)]
    results = await asyncio.gather(
        *(deliver(messenger, notice)() for notice in notices), return_exceptions=True
    )
    assert results[0] is None
    for refused in results[1:]:
        assert isinstance(refused, ApplicationError) and not refused.non_retryable
        assert refused.type == "SlackMergedPostRefused"
    await asyncio.gather(*(deliver(messenger, n, attempt=2)() for n in notices[1:]))
    assert keys_per_message(slack.direct_messages(DM)) == [[n.key] for n in notices]
    assert_paced(slack, f"D{DM}", INTERVAL)


async def test_a_member_cancelled_before_its_batch_is_sealed_is_not_posted(
    slack: MergeRefusingSlack,
) -> None:
    messenger = messenger_for(slack)
    notices = [report(n) for n in range(3)]
    tasks = [asyncio.create_task(deliver(messenger, notice)()) for notice in notices]
    await asyncio.sleep(INTERVAL / 2)  # the first posted, the other two wait in one batch
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[:2] == [None, None] and isinstance(results[2], asyncio.CancelledError)
    assert keys_per_message(slack.direct_messages(DM)) == [[notices[0].key], [notices[1].key]]


async def test_a_post_whose_deadline_falls_before_the_batchs_slot_does_not_join(
    slack: MergeRefusingSlack,
) -> None:
    """Its attempt would end before the batch posts: it is busy (retried), and the batch never
    posts after any member's deadline."""
    messenger = messenger_for(slack, interval=1.5)
    notices = [report(n) for n in range(3)]
    # 10 s for the Slack call and a 2 s margin leave this attempt half a second.
    hurried = deliver(messenger, notices[2], start_to_close=12.5)
    results = await staggered(
        deliver(messenger, notices[0]), deliver(messenger, notices[1]), hurried
    )
    assert results[:2] == [None, None]
    busy = results[2]
    assert isinstance(busy, ApplicationError) and busy.type == "SlackChannelBusy"
    assert keys_per_message(slack.direct_messages(DM)) == [[notices[0].key], [notices[1].key]]


async def test_a_batch_and_a_paced_post_woken_together_by_a_stalled_loop_go_an_interval_apart(
    slack: MergeRefusingSlack,
) -> None:
    messenger = messenger_for(slack, interval=0.3)
    notices = [report(0), report(1), report(2, kind=NoticeKind.ACK_REQUEST), report(3)]

    async def stall() -> None:
        await asyncio.sleep(0.1)  # the batch and the request are asleep until their slots
        time.sleep(1.0)  # the loop runs nothing else meanwhile

    results = await asyncio.gather(
        staggered(*(deliver(messenger, notice) for notice in notices), gap=0.02), stall()
    )
    assert results[0] == [None] * 4
    # Woken together, the three go in any order, each alone, an interval apart.
    assert sorted(keys_per_message(slack.direct_messages(DM))) == [[n.key] for n in notices]
    assert_paced(slack, f"D{DM}", 0.3)
