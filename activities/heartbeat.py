"""Heartbeats for delivery activities, so a worker that dies mid-delivery holds its lane for
seconds: the server notices the silence after the policy's heartbeat timeout
(``INCIDENT_DELIVERY_HEARTBEAT_TIMEOUT``, 5 s) and retries the delivery on a live worker, where
it would otherwise wait out the whole start-to-close timeout.

    @activity.defn(name=Notice.activity)
    @heartbeating
    async def deliver_notice(self, notice: Notice) -> PostedRef | None: ...

A delivery that ends within the first beat (nearly all of them) sends no heartbeat at all, so
the common case costs no call to the server.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from temporalio import activity

FIRST_BEAT_AFTER = 1.0  # seconds; the SDK throttles later beats to 0.8 of the timeout
BEAT_EVERY = 1.0

P = ParamSpec("P")
R = TypeVar("R")


def heartbeating(run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """An async activity that heartbeats while it runs (and, outside an activity, runs as is)."""

    @functools.wraps(run)
    async def beating(*args: P.args, **kwargs: P.kwargs) -> R:
        if not activity.in_activity():
            return await run(*args, **kwargs)
        beats = asyncio.create_task(_beat())
        try:
            return await run(*args, **kwargs)
        finally:
            beats.cancel()

    return beating


async def _beat() -> None:
    await asyncio.sleep(FIRST_BEAT_AFTER)
    while True:
        activity.heartbeat()
        await asyncio.sleep(BEAT_EVERY)
