"""Batches of plain posts to one Slack channel, posted as one message at one slot of the channel's
pace: what each member says and waits for. ``activities.slack_posting.SlackPoster`` makes them,
fills them and posts them (``_batch_for``, ``_post_batch``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from messages import slack_blocks as sb


@dataclass(eq=False)
class Member:
    """A post waiting in a batch: what it says, whether it is looked up before posting (a retry),
    the latest it may be posted (``time.monotonic()``), and its answer: the ``ts`` or an error."""

    key: str
    text: str
    blocks: list[sb.Block]
    look: bool
    deadline: float
    answer: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, ts: str) -> None:
        if not self.answer.done():
            self.answer.set_result(ts)

    def fail(self, error: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)


@dataclass(eq=False)
class Batch:
    """Mergeable posts to one channel (or one thread in it), posted as one message at ``slot``."""

    channel_id: str
    thread_ts: str | None
    slot: float  # time.monotonic()
    members: list[Member] = field(default_factory=list)
    sealed: bool = False  # at its slot: no member joins or leaves

    def takes(self, member: Member, thread_ts: str | None) -> bool:
        """Whether ``member`` may join: not sealed, the same thread, within Slack's limits."""
        joined = [(m.key, m.text, m.blocks) for m in [*self.members, member]]
        return not self.sealed and thread_ts == self.thread_ts and bool(sb.merged_message(joined))


async def in_batch(batch: Batch, member: Member) -> str:
    """The ``ts`` of the message that carries ``member``. Cancelled before its batch is sealed,
    the post leaves the batch and nothing of it is posted; cancelled after, its part may still be
    posted (the post is under way), and its retry or a later run's look-first finds it by key."""
    try:
        return await member.answer
    except asyncio.CancelledError:
        if not batch.sealed:
            batch.members.remove(member)
        raise
