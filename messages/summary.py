"""How an incident reads at a glance: Web UI summaries, the channel topic, the key durations."""

from __future__ import annotations

from datetime import timedelta

from workflows.clock import format_duration
from workflows.model import IncidentState, Status
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


def current_details(state: IncidentState) -> str:
    """Markdown for the Web UI's current-details panel, kept current by the workflow."""
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
    if state.status is Status.TRIAGE:
        lines.append("Waiting for a delivery manager to accept or decline.")
    figures = durations_line(state)
    if figures:
        lines.append(f"**Durations:** {figures}")
    return "\n\n".join(lines)


def channel_topic(state: IncidentState) -> str:
    return f"{state.title} · {state.severity or 'unset'} · lead {state.lead or 'none'}"
