"""How an incident reads at a glance: Web UI summaries, the channel topic, the key durations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from workflows.clock import format_duration
from workflows.lanes import describe_lane
from workflows.model import IncidentState, LaneBacklog, Status
from workflows.rules import describe_status


def durations(state: IncidentState) -> dict[str, timedelta]:
    """The handbook's figures: time to get going, to first update, to resolution."""
    figures: dict[str, timedelta] = {}
    if state.active_at:
        figures["time_to_active"] = state.active_at - state.created_at
    if state.acknowledged_at:
        figures["time_to_acknowledge"] = state.acknowledged_at - state.created_at
    if state.first_update_at and state.active_at:
        figures["time_to_first_update"] = state.first_update_at - state.active_at
    if state.resolved_at:
        figures["time_to_resolve"] = state.resolved_at - state.created_at
    return figures


def durations_line(state: IncidentState) -> str:
    labels = {
        "time_to_active": "to active",
        "time_to_acknowledge": "to DM acknowledgement",
        "time_to_first_update": "to first update",
        "time_to_resolve": "to resolve",
    }
    return ", ".join(
        f"{labels[name]} {format_duration(span)}" for name, span in durations(state).items()
    )


def static_summary(title: str, *, security: bool) -> str:
    """The Web UI's summary line, fixed at start. Security incidents show no title."""
    return "Confidential security incident" if security else title


def current_details(
    state: IncidentState, waiting: Sequence[LaneBacklog] = (), now: datetime | None = None
) -> str:
    """Markdown for the Web UI's current-details panel, kept current by the workflow: the facts,
    and what waits to be delivered (per lane, since when) while anything does. ``now`` adds each
    wait's age, for a reader with a clock; the workflow writes the panel without it."""
    lines = [
        f"**Status:** {describe_status(state.status)}",
        f"**Severity:** {state.severity or '-'}",
        f"**Lead:** {state.lead or '-'}",
    ]
    if state.supporters:
        lines.append(f"**Supporters:** {', '.join(state.supporters)}")
    if state.security:
        lines.append("**Security incident** (details kept private)")
    else:
        if state.resolution_criteria:
            lines.append(f"**Resolved when:** {state.resolution_criteria}")
        if state.last_update:
            lines.append(f"**Last update:** {state.last_update}")
        # How it ended, once it has: what a reader opening an ended incident looks for first
        # (a reopened one's old resolution, a revisited report's decline, are not shown).
        ended = state.status in (Status.RESOLVED, Status.CLOSED)
        if state.status is Status.DECLINED and state.decline_reason:
            lines.append(f"**Declined:** {state.decline_reason}")
        if ended and state.resolution_summary:
            lines.append(f"**Resolution:** {state.resolution_summary}")
        if state.status is Status.CLOSED and state.retro_notes:
            lines.append(f"**Retro:** {state.retro_notes}")
        elif state.status is Status.CLOSED and state.retro_skipped_reason:
            lines.append(f"**Retro skipped:** {state.retro_skipped_reason}")
    if state.status is Status.TRIAGE:
        lines.append("Waiting for a delivery manager to accept or decline.")
    figures = durations_line(state)
    if figures:
        lines.append(f"**Durations:** {figures}")
    lines.extend(f"**{label}:** {url}" for label, url in state.links.items())
    for lane in waiting:
        since = f"{lane.oldest_since:%H:%M:%S} UTC"
        age = f" ({format_duration(now - lane.oldest_since)} ago)" if now else ""
        lines.append(
            f"**Waiting to go to {describe_lane(lane.lane)}:** {lane.waiting}, "
            f"the oldest since {since}{age}"
        )
    return "\n\n".join(lines)


def channel_topic(state: IncidentState) -> str:
    return topic_line(state.title, state.severity, state.lead)


def topic_line(title: str, severity: str | None, lead: str | None) -> str:
    """An incident channel's topic: title · severity · lead."""
    return f"{title} · {severity or 'unset'} · lead {lead or 'none'}"


def announcement_text(state: IncidentState) -> str:
    """The platform channel's announcement, kept current. Security incidents show no details."""
    if state.security:
        return sealed_announcement(resolved=state.status in (Status.RESOLVED, Status.CLOSED))
    headline = {
        Status.AWAITING_APPROVAL: "Incident awaiting resolution approval",
        Status.RESOLVED: "Incident resolved",
        Status.CLOSED: "Incident closed",
    }.get(state.status, "Incident declared")
    return f"{headline}: {state.title} ({state.severity}), led by {state.lead}."


def sealed_announcement(*, resolved: bool) -> str:
    """All a public channel ever says of a security incident."""
    if resolved:
        return "A confidential incident has been resolved."
    return "A confidential incident is being handled."


def pinned_summary(state: IncidentState) -> str:
    """The incident channel's pinned summary: the facts, not the latest update, so it changes
    (and is edited) only when a fact does."""
    lines = [
        "Incident summary (kept current)",
        f"Status: {describe_status(state.status)} · Severity: {state.severity or '-'}",
        f"Lead: {state.lead or '-'}",
        f"Supporters: {', '.join(state.supporters) or '-'}",
        f"Delivery manager: {state.delivery_manager or 'not yet engaged'}",
    ]
    if state.resolution_criteria:
        lines.append(f"Resolved when: {state.resolution_criteria}")
    if state.statuspage_status and not state.security:
        lines.append(f"Status page: {state.statuspage_status}")
    return "\n".join(lines)
