"""The incident timeline as people read it: markdown for the retro, JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence

from messages import sentences as say
from messages.summary import durations_line
from workflows.model import IncidentState, TimelineEntry
from workflows.rules import describe_status


def timeline_markdown(state: IncidentState, timeline: Sequence[TimelineEntry]) -> str:
    """A markdown timeline grouped by day (UTC), one line per entry, oldest first; each entry a
    command made says how the command arrived."""
    lines = [f"# Timeline of {state.id}: {state.title}", ""]
    lines.append(
        f"Status: {describe_status(state.status)} · severity {state.severity or '-'} · "
        f"lead {state.lead or '-'}"
    )
    figures = durations_line(state)
    if figures:
        lines.append(f"Durations: {figures}")
    arrived = say.arrivals(state.arrivals)
    if arrived:
        lines.append(f"{arrived} {say.ONLY_SLACK_VERIFIES}")
    day = None
    for entry in timeline:
        entry_day = entry.at.date().isoformat()
        if entry_day != day:
            day = entry_day
            lines += ["", f"## {day}", ""]
        via = f" — via {say.arrival(entry.arrived_via)}" if entry.arrived_via else ""
        lines.append(f"- {entry.at:%H:%M:%S} **{entry.actor}** ({entry.kind}): {entry.text}{via}")
    return "\n".join(lines) + "\n"


def timeline_json(timeline: Sequence[TimelineEntry]) -> str:
    return json.dumps([entry.model_dump(mode="json") for entry in timeline], indent=2)
