"""The app's Home tab: the open incidents as one person sees them, theirs first, and for a delivery
manager what waits on them.

A pure function of the incidents' states, the viewer and the time (``frontends/relay_home.py``
reads them from Temporal and publishes the view with ``views.publish``)::

    view = home_view(viewer="U0DM", incidents=states, now=datetime.now(UTC))

A security incident shows only that it exists (its status, severity and age) to anyone not
working on it; its lead, supporters, reporter and delivery managers see it whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from messages.slack_blocks import ActionId, Block, View, mention, neutralise
from messages.summary import sealed_announcement
from workflows.clock import format_duration
from workflows.model import IncidentState, Status
from workflows.rules import describe_status

HOME_CALLBACK = "incident_home"
INCIDENTS_SHOWN_MAX = 40  # a Home tab holds at most 100 blocks; each incident is one
WAITING_SHOWN_MAX = 20


def home_view(
    viewer: str,
    incidents: Sequence[IncidentState],
    *,
    now: datetime,
    problem: str | None = None,
) -> View:
    """The Home tab for ``viewer``: what waits on them, then the open incidents, theirs first,
    then everyone's, newest first within each; ``problem`` says why none could be read."""
    newest = sorted(incidents, key=lambda s: s.created_at, reverse=True)
    waiting = [(s, why) for s in newest if (why := waits_on(viewer, s))]
    yours = [s for s in newest if _involved(viewer, s) and not _sealed_for(viewer, s)]
    others = [s for s in newest if s not in yours]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Incidents"}},
        {
            "type": "actions",
            "block_id": "incident_home_actions",
            "elements": [
                _button(ActionId.REPORT_FORM, "Report an incident", style="primary"),
                _button(ActionId.DECLARE_FORM, "Declare an incident"),
            ],
        },
    ]
    if waiting:
        blocks.append(_heading("Waiting on you"))
        shown_waiting = waiting[:WAITING_SHOWN_MAX]
        blocks += [_section(f"{_name(viewer, s)}: {why}") for s, why in shown_waiting]
    shown = 0
    for heading, group in (("Yours", yours), ("Open incidents", others)):
        if not group:
            continue
        blocks.append(_heading(heading))
        for state in group[: INCIDENTS_SHOWN_MAX - shown]:
            blocks.append(_section(incident_lines(viewer, state, now=now)))
            shown += 1
    if problem:
        blocks.append(_section(f"The incidents could not be read: {neutralise(problem)}"))
    elif not newest:
        blocks.append(_section("No open incidents."))
    elif len(newest) > shown:
        more = len(newest) - shown
        blocks.append(_context(f"{more} more open: `/incident list --status active` lists them."))
    blocks.append(
        _context(f"As of {now:%Y-%m-%d %H:%M} UTC; refreshed whenever you open this tab.")
    )
    return {"type": "home", "callback_id": HOME_CALLBACK, "blocks": blocks}


def incident_lines(viewer: str, state: IncidentState, *, now: datetime) -> str:
    """Two lines: the incident (a link to its channel), then status, severity, lead, age and the
    time since its last update."""
    age = format_duration(now - state.created_at)
    if _sealed_for(viewer, state):
        facts = [_status(state), state.severity or "severity not set", f"{age} old"]
        return f"*{sealed_announcement(resolved=False)}*\n" + " · ".join(facts)
    channel = f"<#{state.channel_id}>" if state.channel_id else "no channel yet"
    since = (
        f"last update {format_duration(now - state.last_update_at)} ago"
        if state.last_update_at
        else "no update yet"
    )
    lead = f"lead {mention(state.lead)}" if state.lead else "no lead yet"
    facts = [_status(state), state.severity or "severity not set", lead, f"{age} old", since]
    return f"*{_title(state)}* · {channel}\n" + " · ".join(facts)


def waits_on(viewer: str, state: IncidentState) -> str | None:
    """What a delivery manager of the incident is asked to do about it now, if anything."""
    if viewer not in state.delivery_managers:
        return None
    if state.status is Status.TRIAGE:
        return f"accept or decline the report (`/incident accept {state.id} --lead @someone`)"
    if state.status is Status.AWAITING_APPROVAL:
        return f"approve or reject its resolution (`/incident approve {state.id}`)"
    if state.self_initiated and state.acknowledged_at is None and state.status is Status.ACTIVE:
        return f"acknowledge it (`/incident ack {state.id}`)"
    return None


def _involved(viewer: str, state: IncidentState) -> bool:
    return viewer == state.lead or viewer in state.supporters or viewer == state.reporter


def _sealed_for(viewer: str, state: IncidentState) -> bool:
    return state.security and not (_involved(viewer, state) or viewer in state.delivery_managers)


def _name(viewer: str, state: IncidentState) -> str:
    if _sealed_for(viewer, state):
        return sealed_announcement(resolved=False)
    channel = f" <#{state.channel_id}>" if state.channel_id else ""
    return f"*{_title(state)}*{channel}"


def _title(state: IncidentState) -> str:
    return neutralise(state.title)


def _status(state: IncidentState) -> str:
    return describe_status(state.status).capitalize()


def _heading(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(action: ActionId, label: str, *, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": label},
    }
    return button | {"style": style} if style else button
