"""Reminders of sev1 incidents declared in one burst: fired by the workflow, and received by Slack,
after they fell due.

    python -m bench --only burst_reminders [--bursts 20@3,200@30] [--overload-bursts 200@3]

Each burst size runs a bench worker of its own that delivers through ``SlackMessenger`` to the
Slack stand-in of ``bench/standins.py``, served by this process, which notes when each message
reached it. Beside the incidents, a burst of as many bare workflows whose timers fall due as
theirs do. What did not happen in time is reported in the figure, which is then not met.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.figure import Bench, Burst, Figure
from bench.harness import (
    WorkerProcess,
    declaration,
    quartiles,
    ratio,
    sev1_every,
    summary,
)
from bench.side_by_side import BareTimers, Reminded
from bench.standins import Post, TimedSlack
from bench.waits import GRACE_SECONDS, bounded, facts_of
from messages.slack_blocks import neutralise
from workflows.model import EntryKind, IncidentState, TimelineEntry


@dataclass(frozen=True)
class Reminder:
    """One reminder an incident fired (epoch seconds): when it was due, when the workflow fired
    it (its timeline entry), when Slack received it (None: never posted, e.g. superseded)."""

    due: float
    fired: float
    received: float | None


async def burst_reminders(bench: Bench) -> Figure:
    figure = Figure(
        key="burst_reminders",
        title="reminders of sev1 incidents declared in one burst: fired by the workflow, and "
        "received by Slack, after they fell due",
        target="p99 < 1 s, fired and received, at every burst whose cadence the machine keeps; "
        "a burst faster than that: received p99 no later than bare timers'",
        unit="s",
    )
    bursts = {str(b): await measured_burst(bench, b) for b in bench.sizes.bursts}
    overloads = {str(b): await measured_burst(bench, b) for b in bench.sizes.overload_bursts}
    p99s = [
        b["first_reminder"][side].get("p99")
        for b in bursts.values()
        for side in ("fired", "received")
    ]
    incomplete = [
        key for key, b in (bursts | overloads).items() if b["missing"] or b["waited_in_vain"]
    ]
    for overload in overloads.values():
        ratios = overload["first_reminder"]["p99_ratio_to_bare"]
        overload["no_later_than_bare"] = ratios["received"] is not None and ratios["received"] <= 1
    largest = bursts[str(max(bench.sizes.bursts, key=lambda b: b.incidents))]
    figure.extra = {"bursts": bursts, "overload_bursts": overloads}
    figure.sizes = {
        "bursts": [str(b) for b in bench.sizes.bursts],
        "overload_bursts": [str(b) for b in bench.sizes.overload_bursts],
    }
    if None in p99s:
        figure.notes.append("Not measured: a burst had no reminder fired or received at all.")
        return figure
    figure.value = max(p for p in p99s if p is not None)
    figure.met = (
        figure.value < 1.0
        and not incomplete
        and all(o["no_later_than_bare"] for o in overloads.values())
    )
    figure.product = largest["first_reminder"]["received"]
    figure.baseline = largest["bare_timer_then_activity"]
    figure.notes.append(
        "Each burst (INCIDENTS@CADENCE) runs on a fresh worker delivering through "
        "SlackMessenger to the Slack stand-in. Its sev1 incidents are declared at once (at most "
        f"{bench.sizes.concurrency} starts in flight), each reminding at that cadence; the "
        "window lasts until Slack has a reminder of every incident (+ "
        f"{GRACE_SECONDS:g} s), then they are terminated. The bound (value) applies to the "
        "bursts whose cadence is longer than the machine takes to start them all, so their "
        "reminders fall due while the announcements still wait their turn in the platform "
        "channel's pace (one a second), not while the machine is still starting incidents; "
        "the cadence grows with the burst (by default 20 every 3 s, 200 every 30 s). "
        "overload_bursts: a burst whose reminders fall due before its starts are taken in, "
        "where bare timers miss the bound too; held to no later than bare. Headline (value, "
        "product): each "
        "incident's FIRST reminder. fired = its REMINDER timeline entry's time (the workflow "
        "task that acted on the timer) - due (stale_since + reminder_interval); received = "
        "when the Slack stand-in accepted the chat.postMessage carrying that reminder's text "
        "(the earliest of the incident's reminders, if the first was superseded) - the same "
        "due. all_reminders_in_window: every reminder fired in the window, the k-th due at the "
        "(k-1)-th's timeline time + interval. Baseline: a burst of as many bare workflows "
        "(no-op activity at the start, a timer due the interval after their start call, then "
        "the no-op activity): when that activity ran - due."
    )
    if incomplete:
        figure.notes.append(f"Not every incident reminded in time in the bursts {incomplete}.")
    return figure


async def measured_burst(bench: Bench, burst: Burst) -> dict[str, Any]:
    bench.log(
        f"  a burst of {burst.incidents} incidents, reminding every {burst.every_seconds:g} s"
    )
    return await one_burst(bench, burst.incidents, burst.every_seconds)


async def one_burst(bench: Bench, n: int, interval: float) -> dict[str, Any]:
    slack = TimedSlack()
    await slack.start()
    incident_queue, bare_queue = bench.name("burst"), bench.name("burst-bare")
    try:
        async with WorkerProcess(
            bench.address,
            incident_queue=incident_queue,
            bare_queue=bare_queue,
            # Announcements wait their turn in the one platform channel: retries by design.
            extra=[*slack.worker_args(), "--quiet-retries"],
        ) as worker:
            bare = await bare_burst(bench, worker, n, interval, bare_queue)
            await asyncio.sleep(1.0)
            measured = await incident_burst(bench, worker, slack, n, interval, incident_queue)
    finally:
        await slack.stop()
    late = bare.pop("late")
    first = measured["first_reminder"]
    # How much later than bare timers the incidents' reminders are, in the same run: the bound
    # says whether people get them in time, the ratio what the product adds to the machine's own.
    first["p99_ratio_to_bare"] = {
        side: ratio(first[side]["p99"], late["p99"])
        if first[side].get("p99") and late.get("p99")
        else None
        for side in ("fired", "received")
    }
    return measured | {"bare_timer_then_activity": late, "bare": bare}


async def bare_burst(
    bench: Bench, worker: WorkerProcess, n: int, interval: float, queue: str
) -> dict[str, Any]:
    bare = BareTimers(bench, worker, queue, announce=True)
    # Each due the interval after its own start call, as an incident's first reminder is.
    ids = [bench.name("bare-burst") for _ in range(n)]
    await bare.start(ids, lambda _workflow_id: time.time() + interval)
    waited_in_vain = await bounded(
        worker.wait_for(
            bare.all_fired,
            timeout=interval + 60 + n / 2,
            what="the bare workflows' timers",
        )
    )
    late = bare.lateness()
    if waited_in_vain:
        await bench.terminate(list(bare.due))
    return {"late": summary(late, unit="s"), "missing": n - len(late), "problem": waited_in_vain}


async def incident_burst(
    bench: Bench, worker: WorkerProcess, slack: TimedSlack, n: int, interval: float, queue: str
) -> dict[str, Any]:
    ids = [bench.name("inc-burst") for _ in range(n)]
    every = sev1_every(timedelta(seconds=interval))
    reminded = Reminded(worker, ids)
    began = time.time()
    await bench.map(
        lambda i: bench.start_incident(declaration(i, reminder_intervals=every), queue), ids
    )
    started_in = time.time() - began
    waited_in_vain = await bounded(
        worker.wait_for(
            reminded.every_incident,
            timeout=interval + 60 + n / 2,
            what=f"Slack to have a reminder of each of the {n} incidents",
        )
    )
    window_end = time.time()
    await asyncio.sleep(GRACE_SECONDS)
    await bench.terminate(ids)
    facts = await bench.map(lambda i: facts_of(bench, i), ids)
    posts = slack.posts_by_incident()
    reminders = {
        incident_id: reminders_of(state, timeline, posts.get(incident_id, []))
        for incident_id, (state, timeline) in zip(ids, facts, strict=True)
    }
    result = burst_statistics(reminders, window_end, began)
    result |= {
        "incidents": n,
        "started_in_seconds": round(started_in, 2),
        "window_seconds": round(window_end - began, 1),
        "waited_in_vain": waited_in_vain,
        "escalations_fired": sum(state.escalations_sent for state, _ in facts),
        "superseded_deliveries": sum(state.superseded_deliveries for state, _ in facts),
        "failed_deliveries": sum(state.failed_deliveries for state, _ in facts),
    }
    return result


def reminders_of(
    state: IncidentState, timeline: list[TimelineEntry], posts: list[Post]
) -> list[Reminder]:
    """Every reminder the incident fired: the first due at stale_since + interval, each next one
    the interval after the last fired (the workflow re-arms its timer when it fires)."""
    if state.stale_since is None or state.reminder_interval is None:
        return []
    due = state.stale_since + state.reminder_interval
    found = []
    for entry in timeline:
        if entry.kind is not EntryKind.REMINDER:
            continue
        said = neutralise(entry.text)
        received = next((post.at for post in posts if said in post.text), None)
        found.append(Reminder(due.timestamp(), entry.at.timestamp(), received))
        due = entry.at + state.reminder_interval
    return found


def burst_statistics(
    reminders: dict[str, list[Reminder]], window_end: float, began: float
) -> dict[str, Any]:
    first_fired: list[float] = []
    first_received: list[tuple[float, float, str, Reminder]] = []  # due, late, id, first
    superseded_first = 0
    for incident_id, fired in reminders.items():
        if not fired:
            continue
        first = fired[0]
        first_fired.append(first.fired - first.due)
        heard = [r.received for r in fired if r.received is not None]
        if heard:
            first_received.append((first.due, min(heard) - first.due, incident_id, first))
            superseded_first += first.received is None
    first_received.sort()
    in_window = [r for each in reminders.values() for r in each if r.fired <= window_end]
    heard_in_window = [(r, r.received) for r in in_window if r.received is not None]
    latest = sorted(first_received, key=lambda row: row[1], reverse=True)[:5]
    return {
        "first_reminder": {
            "fired": summary(first_fired, unit="s"),
            "received": summary([late for _due, late, _id, _r in first_received], unit="s"),
            "received_by_due_order": quartiles([late for _d, late, _i, _r in first_received])
            if len(first_received) >= 4
            else None,
            "first_superseded": superseded_first,
        },
        "all_reminders_in_window": {
            "count": len(in_window),
            "fired": summary([r.fired - r.due for r in in_window], unit="s"),
            "received": summary([at - r.due for r, at in heard_in_window], unit="s"),
            "fired_to_received": summary([at - r.fired for r, at in heard_in_window], unit="s"),
            "not_received": len(in_window) - len(heard_in_window),
        },
        "reminders_per_incident_until_terminated": [
            min((len(r) for r in reminders.values()), default=0),
            max((len(r) for r in reminders.values()), default=0),
        ],
        "missing": {
            "never_fired": sorted(i for i, r in reminders.items() if not r)[:10],
            "never_received": sorted(
                i for i, r in reminders.items() if not any(x.received for x in r)
            )[:10],
        }
        if len(first_received) < len(reminders)
        else {},
        "latest_received": [
            {
                "incident": incident_id,
                "due_after_first_start_s": round(due - began, 2),
                "fired_late_s": round(first.fired - first.due, 3),
                "received_late_s": round(late, 3),
            }
            for due, late, incident_id, first in latest
        ],
    }
