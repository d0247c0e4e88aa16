"""Incident figures over time, from the recorded state of ended incidents. Pure arithmetic.

An alarm's report is timed from the alarm (when it first fired, per its sender) to a delivery
manager's first answer: ack, accept or decline. Its final state cannot say when that was
(``acknowledged_at`` is the last ack or accept, so an accept after an ack moves it, and a decline
is not dated), so the caller reads each report's timeline for :func:`first_answer` and passes
the answers as ``answered_at``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.model import Arrival, EntryKind, IncidentState, Status, TimelineEntry

_FIGURES: dict[str, Callable[[IncidentState], tuple[datetime | None, datetime | None]]] = {
    "time_to_acknowledge": lambda s: (s.created_at, s.acknowledged_at),
    "time_to_declare": lambda s: (s.created_at, s.active_at),
    "time_to_first_update": lambda s: (s.active_at, s.first_update_at),
    "time_to_resolve": lambda s: (s.created_at, s.resolved_at),
}


@dataclass(frozen=True)
class Spread:
    count: int
    median: timedelta
    p90: timedelta


@dataclass
class GroupStats:
    incidents: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    durations: dict[str, Spread] = field(default_factory=dict)
    reminders_per_incident: float = 0.0
    escalations_per_incident: float = 0.0
    reopened: int = 0  # incidents that came back after resolution
    reopens: int = 0  # how often, all told


@dataclass
class IncidentStats:
    """Ordinary incidents; security incidents and declined reports counted apart; the commands
    of all of them by how they arrived (only the Slack relay's verified by Slack)."""

    incidents: GroupStats
    security: GroupStats
    declined: int
    arrivals: dict[Arrival, int] = field(default_factory=dict)
    # Every report an alarm opened (declined and security ones too), by the alarm's source.
    alarm_reports: dict[str, int] = field(default_factory=dict)
    alarm_to_first_answer: dict[str, Spread] = field(default_factory=dict)


# What answers an alarm's report (as workflows/reminders.py's nudges stop for).
DM_ANSWERS = frozenset({EntryKind.ACKNOWLEDGED, EntryKind.ACCEPTED, EntryKind.DECLINED})


def percentile(values: Sequence[timedelta], fraction: float) -> timedelta:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of values at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[timedelta]) -> timedelta:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def outcome(state: IncidentState) -> str:
    if state.status is Status.DECLINED:
        return "declined"
    if state.retro_notes:
        return "retro held"
    if state.retro_skipped_reason:
        return "retro skipped"
    return state.status.value


def _group(states: Sequence[IncidentState]) -> GroupStats:
    group = GroupStats(incidents=len(states))
    if not states:
        return group
    group.by_severity = dict(Counter(s.severity.value if s.severity else "none" for s in states))
    group.by_outcome = dict(Counter(outcome(s) for s in states))
    for name, span in _FIGURES.items():
        values = [end - start for start, end in map(span, states) if start and end]
        if values:
            group.durations[name] = Spread(len(values), median(values), percentile(values, 0.9))
    group.reminders_per_incident = sum(s.reminders_sent for s in states) / len(states)
    group.escalations_per_incident = sum(s.escalations_sent for s in states) / len(states)
    group.reopened = sum(1 for s in states if s.times_reopened)
    group.reopens = sum(s.times_reopened for s in states)
    return group


def first_answer(timeline: Sequence[TimelineEntry]) -> datetime | None:
    """When a delivery manager first acknowledged, accepted or declined the report."""
    return next((entry.at for entry in timeline if entry.kind in DM_ANSWERS), None)


def _alarm_figures(
    states: Sequence[IncidentState], answered_at: Mapping[str, datetime]
) -> tuple[dict[str, int], dict[str, Spread]]:
    reports: Counter[str] = Counter()
    waits: dict[str, list[timedelta]] = {}
    for state in states:
        if state.alarm is None:
            continue
        source = state.alarm.source.value
        reports[source] += 1
        answered = answered_at.get(state.id)  # None: its timeline could not be read
        if answered is not None:  # a sender's clock ahead of ours is no negative wait
            waits.setdefault(source, []).append(max(answered - state.alarm.fired_at, timedelta()))
    spreads = {
        source: Spread(len(values), median(values), percentile(values, 0.9))
        for source, values in sorted(waits.items())
    }
    return dict(sorted(reports.items())), spreads


def incident_stats(
    states: Sequence[IncidentState], answered_at: Mapping[str, datetime] | None = None
) -> IncidentStats:
    """``answered_at``: when a DM first answered each alarm's report (:func:`first_answer`), by
    its id."""
    declined = [s for s in states if s.status is Status.DECLINED]
    rest = [s for s in states if s.status is not Status.DECLINED]
    arrivals: Counter[Arrival] = Counter()
    for state in states:
        arrivals.update(state.arrivals)
    alarm_reports, alarm_waits = _alarm_figures(states, answered_at or {})
    return IncidentStats(
        incidents=_group([s for s in rest if not s.security]),
        security=_group([s for s in rest if s.security]),
        declined=len(declined),
        arrivals={via: arrivals[via] for via in Arrival if arrivals[via]},
        alarm_reports=alarm_reports,
        alarm_to_first_answer=alarm_waits,
    )
