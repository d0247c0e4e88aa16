"""Slack fan-out: incidents declared and updated at once, delivered to the Slack stand-in.

    python -m bench --only slack_fanout

One worker delivers through ``SlackMessenger`` to the timed Slack stand-in of
``bench/standins.py``. The value is the highest rate any channel got over a stretch of at least
``RATE_WINDOW`` seconds, which must never exceed Slack's one message a second; the total time is
shown beside its lower bound (the busiest channel's messages at exactly one a second), and no
message may be posted twice.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from bench.figure import Bench, Figure
from bench.harness import LEAD, UPDATE_TEXT, WorkerProcess, declaration, ratio
from workflows.incident import IncidentWorkflow
from workflows.model import Action
from workflows.model.commands import ProgressUpdate


async def slack_fanout(bench: Bench) -> Figure:
    figure = Figure(
        key="slack_fanout",
        title="Slack fan-out: incidents declared and updated at once, against the Slack stand-in",
        target="never > 1 message/s per channel sustained; total time reported",
        unit="messages/s",
    )
    try:
        from activities.slack import SlackMessenger  # noqa: F401
        from bench.standins import PLATFORM_CHANNEL, TimedSlack
    except ImportError as error:
        figure.notes.append(f"Not measured: the Slack transport is not there ({error}).")
        return figure

    n = bench.sizes.fanout_incidents
    updates_each = bench.sizes.fanout_updates
    slack = TimedSlack()
    await slack.start()
    queue = bench.name("slack")
    ids = [bench.name("inc-fanout") for _ in range(n)]
    expected = n * (2 + updates_each)  # channel intro, announcement, updates
    try:
        async with WorkerProcess(
            bench.address, incident_queue=queue, extra=slack.worker_args()
        ) as worker:
            began = time.time()
            await bench.map(lambda i: bench.start_incident(declaration(i), queue), ids)
            for k in range(updates_each):

                async def update(incident_id: str, k: int = k) -> object:
                    handle = bench.client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
                    return await handle.execute_update(
                        Action.UPDATE,
                        ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} ({k + 1})"),
                    )

                await bench.map(update, ids)
            sent = time.time()
            await worker.wait_for(
                lambda: len(slack.posts) >= expected,
                timeout=30 + 5 * expected,
                what="every post",
                poll=0.5,
            )
            await asyncio.sleep(2)  # a late duplicate would show here
    finally:
        await slack.stop()
    await bench.terminate(ids)
    posts = slack.posts
    by_channel: dict[str, list[float]] = {}
    for post in posts:
        by_channel.setdefault(post.channel, []).append(post.at)
    keys = [post.key for post in posts]
    duplicates = len(keys) - len(set(keys))
    repeated = sorted({key for key in keys if keys.count(key) > 1}, key=str)
    figure.extra["duplicate_posts"] = [
        {
            "key": key,
            "channel": next(post.channel for post in posts if post.key == key),
            "posted_at_seconds": [round(post.at - began, 2) for post in posts if post.key == key],
        }
        for key in repeated[:10]
    ]
    rates = {channel: sustained_rate(times) for channel, times in by_channel.items()}
    platform = slack.by_name(PLATFORM_CHANNEL).id
    busiest = max(len(times) for times in by_channel.values())
    total = max(post.at for post in posts) - began
    gaps = [b - a for times in by_channel.values() for a, b in itertools.pairwise(times)]
    worst = max(rates.values())
    figure.value = round(worst, 3)
    figure.met = worst <= 1.0 + RATE_TOLERANCE and duplicates == 0
    figure.product = {
        "total_seconds": round(total, 1),
        "commands_sent_in_seconds": round(sent - began, 1),
        "messages": len(posts),
        "channels": len(by_channel),
        "max_sustained_per_channel": round(worst, 3),
        "platform_channel_sustained": round(rates.get(platform, 0.0), 3),
        "min_gap_seconds": round(min(gaps), 3) if gaps else None,
        "duplicates": duplicates,
    }
    figure.baseline = {
        "lower_bound_seconds": float(busiest - 1),
        "why": "the busiest channel's messages at exactly 1 per second",
        "ratio": ratio(total, busiest - 1),
    }
    figure.sizes = {"incidents": n, "updates_each": updates_each, "messages": expected}
    figure.notes.append(
        f"{n} incidents declared at once, then {updates_each} progress updates each sent at "
        "once, delivered by SlackMessenger (one worker) to the Slack stand-in "
        "(tests/standins/slack.py). Sustained rate: the most messages per second a channel got "
        f"over any stretch of at least {RATE_WINDOW:g} s ({RATE_TOLERANCE:.0%} allowed for "
        "timing jitter). Every announcement goes to the one platform channel, so the total time "
        "cannot be under its count in seconds."
    )
    return figure


RATE_WINDOW = 5.0
RATE_TOLERANCE = 0.02


def sustained_rate(times: list[float]) -> float:
    """The highest messages-per-second over any stretch of at least ``RATE_WINDOW`` seconds (or
    over all of them, when they span less)."""
    ordered = sorted(times)
    if len(ordered) < 2:
        return 0.0
    if ordered[-1] - ordered[0] < RATE_WINDOW:
        return (len(ordered) - 1) / max(ordered[-1] - ordered[0], 1e-3)
    best = 0.0
    for i, first in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            span = ordered[j] - first
            if span >= RATE_WINDOW:
                best = max(best, (j - i) / span)
    return best
