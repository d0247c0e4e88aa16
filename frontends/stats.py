"""Incident figures over time, from the recorded state of ended incidents. Pure arithmetic."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.model import Arrival, IncidentState, Status

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


def incident_stats(states: Sequence[IncidentState]) -> IncidentStats:
    declined = [s for s in states if s.status is Status.DECLINED]
    rest = [s for s in states if s.status is not Status.DECLINED]
    arrivals: Counter[Arrival] = Counter()
    for state in states:
        arrivals.update(state.arrivals)
    return IncidentStats(
        incidents=_group([s for s in rest if not s.security]),
        security=_group([s for s in rest if s.security]),
        declined=len(declined),
        arrivals={via: arrivals[via] for via in Arrival if arrivals[via]},
    )
