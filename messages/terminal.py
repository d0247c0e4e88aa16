"""What `incident show` and `incident list` print for people (``--json`` prints the models)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from messages import sentences as say
from messages.reminder_sentences import TIMER_LABELS
from messages.summary import durations_line
from workflows.clock import format_duration
from workflows.lanes import describe_lane
from workflows.model import IncidentState, LaneBacklog
from workflows.rules import describe_status

if TYPE_CHECKING:
    from frontends.stats import GroupStats, IncidentStats
    from temporal_client.client import IncidentListing


def waiting_text(waiting: Sequence[LaneBacklog], now: datetime) -> str | None:
    """What is not yet delivered, per lane, and how long the oldest has waited."""
    if not waiting:
        return None
    parts = []
    for lane in waiting:
        age = format_duration(max(timedelta(0), now - lane.oldest_since))
        parts.append(f"{lane.waiting} for {describe_lane(lane.lane)} (the oldest for {age})")
    return "; ".join(parts)


def show_text(state: IncidentState, now: datetime | None = None) -> str:
    """What `show` prints; ``now`` (the reader's clock) dates what still waits to be delivered."""
    rows: list[tuple[str, str | None]] = [
        ("Incident", state.id),
        ("Title", state.title),
        ("Status", describe_status(state.status)),
        ("Severity", state.severity),
        ("Lead", state.lead),
        ("Supporters", ", ".join(state.supporters) or None),
        ("Delivery manager", state.delivery_manager),
        ("Security", "yes (private channel, never public)" if state.security else None),
        ("Channel", state.channel_name),
        ("Resolved when", state.resolution_criteria),
        ("Reported by", state.reporter),
        ("Created", f"{state.created_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("Last update", state.last_update),
        ("Declined because", state.decline_reason),
        ("Rejected because", state.rejection_reason),
        ("Resolution", state.resolution_summary),
        ("Retro scheduled", _at(state.retro_scheduled_at)),
        ("Retro notes", state.retro_notes),
        ("Retro skipped", state.retro_skipped_reason),
        ("Durations", durations_line(state) or None),
        ("Reminders", f"{state.reminders_sent} sent, {state.escalations_sent} escalations"),
        (
            "Failed deliveries",
            f"{state.failed_deliveries} (see the timeline)" if state.failed_deliveries else None,
        ),
        ("Waiting to deliver", waiting_text(state.waiting, now) if now else None),
        *state.links.items(),
    ]
    for timer, due in sorted(state.timers.items(), key=lambda item: item[1]):
        rows.append((TIMER_LABELS[timer], f"{due:%Y-%m-%d %H:%M:%S} UTC"))
    width = max(len(label) for label, value in rows if value)  # aligned on what is shown
    return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in rows if value)


def _at(moment: datetime | None) -> str | None:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else None


def listing_table(listings: Sequence[IncidentListing]) -> str:
    if not listings:
        return "No incidents."
    header = ("ID", "STATUS", "SEV", "LEAD", "TITLE")
    rows = [
        (item.id, item.status, item.severity or "-", item.lead or "-", item.title)
        for item in listings
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        for row in [header, *rows]
    )


_FIGURE_LABELS = {
    "time_to_acknowledge": "to DM acknowledgement",
    "time_to_declare": "to declared/accepted",
    "time_to_first_update": "to first update",
    "time_to_resolve": "to resolve",
}


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))


def _group_lines(name: str, group: GroupStats) -> list[str]:
    if not group.incidents:
        return [f"{name}: none"]
    lines = [
        f"{name}: {group.incidents} ({_tally(group.by_severity)}); {_tally(group.by_outcome)}",
    ]
    for figure, spread in group.durations.items():
        lines.append(
            f"  {_FIGURE_LABELS[figure]}: median {format_duration(spread.median)}, "
            f"p90 {format_duration(spread.p90)} (over {spread.count})"
        )
    lines.append(
        f"  per incident: {group.reminders_per_incident:.1f} reminders, "
        f"{group.escalations_per_incident:.1f} escalations"
    )
    if group.reopened:
        times = "once" if group.reopens == 1 else f"{group.reopens} times"
        lines.append(f"  reopened: {group.reopened} of {group.incidents} ({times})")
    return lines


def stats_text(stats: IncidentStats) -> str:
    lines = _group_lines("Incidents", stats.incidents)
    lines += _group_lines("Security incidents", stats.security)
    lines.append(f"Declined reports: {stats.declined}")
    arrived = say.arrivals(stats.arrivals)
    if arrived:
        lines.append(arrived)
    return "\n".join(lines)


def stats_json(stats: IncidentStats) -> dict[str, object]:
    def group(g: GroupStats) -> dict[str, object]:
        return {
            "incidents": g.incidents,
            "by_severity": g.by_severity,
            "by_outcome": g.by_outcome,
            "durations_seconds": {
                name: {
                    "count": s.count,
                    "median": s.median.total_seconds(),
                    "p90": s.p90.total_seconds(),
                }
                for name, s in g.durations.items()
            },
            "reminders_per_incident": g.reminders_per_incident,
            "escalations_per_incident": g.escalations_per_incident,
            "reopened": g.reopened,
            "reopens": g.reopens,
        }

    return {
        "incidents": group(stats.incidents),
        "security": group(stats.security),
        "declined": stats.declined,
        "commands_by_arrival": {via.value: count for via, count in stats.arrivals.items()},
    }
