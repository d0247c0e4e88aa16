"""What `incident show`, `list`, `alerts` and `stats` print for people (``--json`` prints the
models)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from messages import sentences as say
from messages.alarm_sentences import source_name
from messages.reminder_sentences import TIMER_LABELS
from messages.summary import durations_line, static_summary
from workflows.clock import format_duration
from workflows.lanes import describe_lane
from workflows.model import IncidentState, LaneBacklog
from workflows.model.alarms import AlarmFacts, AlarmSource, AlarmState
from workflows.rules import describe_status

if TYPE_CHECKING:
    from frontends.stats import GroupStats, IncidentStats, Spread
    from temporal_client.alarms import OpenAlarm
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
        ("Alarm", alarm_line(state.alarm) if state.alarm else None),
        ("Earlier report", state.alarm.previous_incident if state.alarm else None),
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


_SOURCE_LABELS = {AlarmSource.GENERIC: "Generic alarm", AlarmSource.HEARTBEAT: "Heartbeat"}


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def alarm_line(facts: AlarmFacts) -> str:
    """`show`'s line for the alarm that reported the incident: which, firing or cleared since
    when, and how often it fired and cleared since it first did."""
    source = _SOURCE_LABELS.get(facts.source) or source_name(facts.source)
    state = "firing" if facts.firing else "cleared"
    return (
        f"{source} {facts.key}, {state} since {_at(facts.changed_at)} (fired "
        f"{_times(facts.fired)}, cleared {_times(facts.cleared)}, first at {_at(facts.fired_at)})"
    )


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


def alarm_state(alarm: AlarmState | None) -> str:
    """One word: firing, silent (a heartbeat overdue), cleared, ok (never fired), unknown."""
    if alarm is None:
        return "unknown"
    if alarm.silent_since is not None:
        return "silent"
    if alarm.firing:
        return "firing"
    return "cleared" if alarm.fired else "ok"


def _alarm_notes(item: OpenAlarm) -> str:
    alarm, notes = item.alarm, []
    if alarm and alarm.heartbeat_interval is not None:
        last = f", last {alarm.heartbeat_at:%Y-%m-%d %H:%M}" if alarm.heartbeat_at else ""
        notes.append(f"checks in every {format_duration(alarm.heartbeat_interval)}{last}")
    if alarm and alarm.ended_incidents:
        earlier = len(alarm.ended_incidents)
        notes.append(f"{earlier} earlier report{'s' if earlier > 1 else ''}")
    if item.problem:
        notes.append(item.problem.rstrip("."))
    return f" ({'; '.join(notes)})" if notes else ""


def alerts_table(alarms: Sequence[OpenAlarm]) -> str:
    """`incident alerts`: one line per alarm, as `list` prints incidents; its key last, whole."""
    if not alarms:
        return "No open alarms."
    header = ("STATE", "FIRED", "CLEARED", "SINCE (UTC)", "REPORT", "STATUS", "ALARM")
    rows = [header]
    for item in alarms:
        alarm, incident = item.alarm, item.incident
        report = (alarm.incident_id if alarm else None) or "-"
        status = incident.status.value if incident else ("?" if report != "-" else "-")
        rows.append(
            (
                alarm_state(alarm),
                str(alarm.fired) if alarm else "-",
                str(alarm.cleared) if alarm else "-",
                f"{alarm.last_at:%Y-%m-%d %H:%M}" if alarm and alarm.last_at else "-",
                report,
                status,
                item.key + _alarm_notes(item),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    counts = {1, 2}  # right-aligned, as numbers are
    return "\n".join(
        "  ".join(
            cell.rjust(widths[i]) if i in counts else cell.ljust(widths[i])
            for i, cell in enumerate(row[:6])
        )
        + "  "
        + row[6]
        for row in rows
    )


def alerts_json(alarms: Sequence[OpenAlarm]) -> list[dict[str, Any]]:
    """`incident alerts --json`: each alarm's state (without the notifications' ids it keeps to
    apply each once) and its report or incident's facts."""
    listed = []
    for item in alarms:
        incident = item.incident
        listed.append(
            {
                "key": item.key,
                "source": item.source,
                "state": alarm_state(item.alarm),
                "workflow_id": item.workflow_id,
                "alarm": item.alarm.model_dump(mode="json", exclude={"recent_deliveries"})
                if item.alarm
                else None,
                "incident": {
                    "id": incident.id,
                    "title": static_summary(incident.title, security=incident.security),
                    "status": incident.status.value,
                    "severity": incident.severity.value if incident.severity else None,
                    "lead": incident.lead,
                    "security": incident.security,
                }
                if incident
                else None,
                "problem": item.problem,
            }
        )
    return listed


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
    lines += _alarm_lines(stats)
    arrived = say.arrivals(stats.arrivals)
    if arrived:
        lines.append(arrived)
    return "\n".join(lines)


def _alarm_lines(stats: IncidentStats) -> list[str]:
    """Reports alarms opened, by source, and how long each source's waited for a DM."""
    if not stats.alarm_reports:
        return []
    lines = [f"Alarm reports: {_tally(stats.alarm_reports)}"]
    for source, spread in stats.alarm_to_first_answer.items():
        lines.append(
            f"  {source}, alarm to first DM action (ack, accept or decline): "
            f"median {format_duration(spread.median)}, p90 {format_duration(spread.p90)} "
            f"(over {spread.count})"
        )
    return lines


def _seconds(spread: Spread) -> dict[str, object]:
    return {
        "count": spread.count,
        "median": spread.median.total_seconds(),
        "p90": spread.p90.total_seconds(),
    }


def stats_json(stats: IncidentStats) -> dict[str, object]:
    def group(g: GroupStats) -> dict[str, object]:
        return {
            "incidents": g.incidents,
            "by_severity": g.by_severity,
            "by_outcome": g.by_outcome,
            "durations_seconds": {name: _seconds(s) for name, s in g.durations.items()},
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
        "alarm_reports": stats.alarm_reports,
        "alarm_to_first_dm_action_seconds": {
            source: _seconds(spread) for source, spread in stats.alarm_to_first_answer.items()
        },
    }
