"""The incident timeline as people read it: markdown for the retro, JSON for tools."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from messages import sentences as say
from messages.summary import durations_line
from workflows.model import IncidentState, TimelineEntry
from workflows.rules import describe_status


def as_a_timeline_line(entry: TimelineEntry, incident_id: str) -> tuple[bool, str]:
    """The entry's sentence as a line of the incident's timeline says it: without the actor it
    starts with (the line names them) nor the incident's id (the whole timeline is about it).
    True when the sentence was about its actor ("U0SUE joined inc-1 to help")."""
    text, about_the_actor = entry.text, False
    if text.startswith(f"{entry.actor}: "):  # their words, quoted
        text = text.removeprefix(f"{entry.actor}: ")
    elif text.startswith(f"{entry.actor} "):
        text, about_the_actor = text.removeprefix(f"{entry.actor} "), True
    named = re.escape(incident_id)
    text = re.sub(rf"\bcall {named}\b", "call it", text)
    text = re.sub(rf" (?:on |of |in |for )?{named}\b", "", text)
    return about_the_actor, text


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
        about_the_actor, text = as_a_timeline_line(entry, state.id)
        said = f" {text}" if about_the_actor else f": {text}"
        lines.append(f"- {entry.at:%H:%M:%S} **{entry.actor}**{said}{via}")
    return "\n".join(lines) + "\n"


def timeline_json(timeline: Sequence[TimelineEntry]) -> str:
    return json.dumps([entry.model_dump(mode="json") for entry in timeline], indent=2)
