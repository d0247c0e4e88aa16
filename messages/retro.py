"""The retro's first draft, in the organisation's own format, from the workflow's timeline.

    # Incident retro - <title>
    **Incident from:** <date> … **Incident until:** <date> … **Retro held:** <date or blank>
    ## Timeline   day headings, then "HH.MM WHO what happened"
    ## Analysis of causes
    ## Actions

Progress updates that start with ``cause:`` or ``action:`` seed the last two sections. Under the
timeline's heading, one line says how the commands arrived (which were verified by Slack).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from messages import sentences as say
from messages.text import capitalised
from messages.timeline import as_a_timeline_line
from workflows.model import EntryKind, IncidentState, TimelineEntry
from workflows.vocabulary.basics import is_a_person

BOT = "incident-bot"
SHORT_TITLE_MAX = 40

# What a retro reads: transitions, updates, handovers, status page posts, escalations.
# Plain reminders and nudges are left out; escalations are the reminders that mattered.
_LEFT_OUT = frozenset(
    {EntryKind.REMINDER, EntryKind.RETRO_DUE, EntryKind.CHANNEL, EntryKind.LINKED}
)
_MARK = re.compile(r"^(cause|action)\s*:\s*", re.IGNORECASE)


def retro_file_name(state: IncidentState, zone: ZoneInfo) -> str:
    """``YYYY-MM-DD_short-title.md``, dated the day the incident began (local time)."""
    day = state.created_at.astimezone(zone).date().isoformat()
    slug = re.sub(r"[^a-z0-9]+", "-", state.title.lower()).strip("-")
    return f"{day}_{slug[:SHORT_TITLE_MAX].strip('-') or 'incident'}.md"


def _long_date(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def _day_heading(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"### {local:%A} {local.day} {local:%B %Y}"


def _what_happened(entry: TimelineEntry, incident_id: str) -> str:
    """The entry's sentence as a timeline line says it (no actor, no incident id), capitalised;
    an update's ``cause:`` or ``action:`` mark left out."""
    if entry.kind is EntryKind.UPDATE:
        entry = entry.model_copy(update={"text": _MARK.sub("", entry.text)})
    return capitalised(as_a_timeline_line(entry, incident_id)[1])


def _marked(timeline: Sequence[TimelineEntry], mark: str) -> list[str]:
    found = []
    for entry in timeline:
        match = _MARK.match(entry.text)
        if entry.kind is EntryKind.UPDATE and match and match.group(1).lower() == mark:
            found.append(entry.text[match.end() :])
    return found


def _retro_held(state: IncidentState, zone: ZoneInfo) -> str:
    """When the retro is (or was) held: the time scheduled, else the day its notes closed it."""
    if state.retro_scheduled_at is not None:
        return _long_date(state.retro_scheduled_at, zone)
    if state.retro_notes and state.closed_at:
        return _long_date(state.closed_at, zone)
    return ""


def retro_draft(
    state: IncidentState,
    timeline: Sequence[TimelineEntry],
    *,
    zone: ZoneInfo,
    name_of: Callable[[str], str] = lambda person: person,
    channel_link: str | None = None,
) -> str:
    """The draft as markdown; ``name_of`` turns ids into initials or display names."""
    until = state.resolved_at or state.closed_at
    lines = [
        f"# Incident retro - {state.title}",
        f"**Incident from:** {_long_date(state.created_at, zone)}",
        "",
        f"**Incident until:** {_long_date(until, zone) if until else ''}".rstrip(),
        "",
        f"**Retro held:** {_retro_held(state, zone)}".rstrip(),
        "",
        "- [Timeline](#timeline)",
        "- [Analysis of causes](#analysis-of-causes)",
        "- [Actions](#actions)",
        "",
        "## Timeline",
        channel_link or state.channel_name or state.channel_id or f"Incident {state.id}",
    ]
    arrived = say.arrivals(state.arrivals)
    if arrived:
        lines += ["", f"{arrived} {say.ONLY_SLACK_VERIFIES}"]
    day = None
    for entry in timeline:
        if entry.kind in _LEFT_OUT:
            continue
        heading = _day_heading(entry.at, zone)
        if heading != day:
            day = heading
            lines += ["", heading, ""]
        # Neither the bot nor an alarm is a person to name (an alarm's entries name their source:
        # "Reported by CloudWatch: …").
        named = entry.actor != BOT and is_a_person(entry.actor)
        who = f" {name_of(entry.actor)}" if named else ""
        lines.append(f"{entry.at.astimezone(zone):%H.%M}{who} {_what_happened(entry, state.id)}")
    causes = [*([state.retro_notes] if state.retro_notes else []), *_marked(timeline, "cause")]
    actions = [*state.retro_actions, *_marked(timeline, "action")]
    lines += ["", "## Analysis of causes", ""]
    lines += [f"- {cause}" for cause in causes]
    lines += ["", "## Actions", ""]
    lines += [f"- [ ] {action}" for action in actions]
    return "\n".join(lines).rstrip("\n") + "\n"


def initials(display_name: str) -> str:
    """``Ada Lovelace`` → ``AL``; a single word or an id is kept whole."""
    words = display_name.split()
    return "".join(w[0].upper() for w in words) if len(words) > 1 else display_name
