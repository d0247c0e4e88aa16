"""Every sentence the process says, in one place: the timeline's entries, the messages people get
and the refusals of commands the handbook does not allow.

The process (``workflows/``) decides what happened and when; it calls one function here for the
words. A timeline entry and the channel message that tells it share one sentence (the message
adds the full stop). Pure: ``s`` is the incident's state as the process has just changed it.
Rewording needs no patch: it changes only what the activities receive, which replay does not
compare (README, "Changing the workflow with live incidents"); the tests that quote a sentence
say when one changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

# From the vocabulary, not the model: destinations, which the model imports, use these words.
from workflows.vocabulary.basics import Arrival, Severity, Status, StatusPageStatus

if TYPE_CHECKING:
    from workflows.model.state import IncidentState

_WHEN = "%Y-%m-%d %H:%M"

# --- Opening ----------------------------------------------------------------------------------------


def reported(title: str, description: str | None = None) -> str:
    """The timeline's first entry of a report; one made from a Slack message links to it."""
    source = reported_from_link(description or "")
    return f"Reported: {title} (from {source})" if source else f"Reported: {title}"


_REPORTED_FROM = "Reported from this message: "


def reported_from(permalink: str) -> str:
    """The last line of a report's description when it was made from a Slack message."""
    return _REPORTED_FROM + permalink


def reported_from_link(description: str) -> str | None:
    lines = description.strip().splitlines()
    last = lines[-1] if lines else ""
    return last.removeprefix(_REPORTED_FROM).strip() if last.startswith(_REPORTED_FROM) else None


def report_to_triage(actor: str, title: str, incident_id: str) -> str:
    return (
        f"{actor} reported a possible incident: {title}. "
        f"Is it an incident? `incident accept {incident_id} --lead USER --severity S` "
        f"or `incident decline {incident_id} --reason R`."
    )


def declared(s: IncidentState) -> str:
    return f"Declared {s.severity} incident: {s.title}; lead {s.lead}"


def ack_request(actor: str, s: IncidentState) -> str:
    return (
        f"{actor} declared an incident without a delivery manager: {s.title} "
        f"({s.severity}, lead {s.lead}). Please acknowledge: `incident ack {s.id}`."
    )


def announcement(s: IncidentState) -> str:
    return f"Incident declared: {s.title} ({s.severity}), led by {s.lead}."


def infosec_told(s: IncidentState) -> str:
    return f"Security incident {s.id}: {s.title}. It is handled in a private channel."


def channel_opened(name: str) -> str:
    return f"Incident channel: {name}"


def moved_to_private_channel(s: IncidentState, private_name: str) -> str:
    return (
        f"{s.id} is now a security incident: work goes on in a new private channel, "
        f"#{private_name}. Please post nothing more about it here."
    )


# --- Triage ------------------------------------------------------------------------------------------


def accepted(actor: str, s: IncidentState) -> str:
    return f"{actor} accepted {s.id} as a {s.severity} incident, led by {s.lead}"


def declined(actor: str, s: IncidentState, reason: str, revisit_at: datetime | None) -> str:
    text = f"{actor} declined {s.id}: {reason}"
    if revisit_at:
        text += f" (to be revisited {revisit_at:{_WHEN}} UTC)"
    return text


def acknowledged(actor: str, s: IncidentState) -> str:
    return f"{actor} acknowledged {s.id} and agrees to continue"


# --- People ------------------------------------------------------------------------------------------


def handed_over(actor: str, s: IncidentState, previous: str | None, to: str) -> str:
    return f"{actor} handed the lead of {s.id} from {previous} to {to}"


def you_now_lead(s: IncidentState) -> str:
    return f"You now lead {s.id}: {s.title}."


def asked(actor: str, person: str, s: IncidentState, note: str | None) -> str:
    return f"{actor} asked {person} to help on {s.id}" + (f": {note}" if note else "")


def asked_you(actor: str, s: IncidentState, note: str | None) -> str:
    why = f' "{note}"' if note else ""
    return (
        f"{actor} asks for your help on {s.id} ({s.title}){why}. "
        f"`incident join {s.id}` to help, or `incident busy {s.id} --reason R` if you can't."
    )


def cannot_help(person: str, s: IncidentState, reason: str | None) -> str:
    return f"{person} can't help on {s.id}" + (f": {reason}" if reason else "")


def asked_already(person: str, s: IncidentState) -> str:
    return f"{person} has been asked to help on {s.id} already and not yet answered."


def not_asked(person: str, s: IncidentState) -> str:
    return f"Nobody asked {person} to help on {s.id}; only someone asked can say they can't."


def joined(actor: str, s: IncidentState) -> str:
    return f"{actor} joined {s.id} to help"


def left(actor: str, s: IncidentState) -> str:
    return f"{actor} is no longer working on {s.id}"


# --- While it is worked ---------------------------------------------------------------------------------


def update_posted(s: IncidentState) -> str:
    return f"Update posted to {s.id}."


def severity_changed(actor: str, s: IncidentState, previous: Severity | None) -> str:
    return f"{actor} changed the severity of {s.id} from {previous} to {s.severity}"


def snoozed(actor: str, s: IncidentState, until: datetime) -> str:
    return f"{actor} snoozed reminders on {s.id} until {until:{_WHEN}} UTC"


def marked_security(actor: str, s: IncidentState) -> str:
    return f"{actor} marked {s.id} as a security incident"


def criteria_set(actor: str, s: IncidentState, criteria: str) -> str:
    return f"{actor}: we can call {s.id} resolved when {criteria}"


def status_page_posted(actor: str, status: StatusPageStatus, text: str) -> str:
    return f"{actor} posted to the status page ({status}): {text}"


# --- Resolving and closing --------------------------------------------------------------------------------


def resolution_requested(actor: str, s: IncidentState, summary: str | None) -> str:
    return f"{actor} asked the delivery managers to resolve {s.id}{_summary(summary)}"


def resolution_request(actor: str, s: IncidentState, summary: str | None) -> str:
    return (
        f"{actor} asks to resolve {s.id}: {s.title}{_summary(summary)}. "
        f"`incident approve {s.id}` or `incident reject {s.id} --reason R`."
    )


def resolved(actor: str, s: IncidentState) -> str:
    return f"{actor} resolved {s.id}{_summary(s.resolution_summary)}"


def resolved_on_criteria(actor: str, s: IncidentState) -> str:
    criteria = f'the delivery managers\' criteria ("{s.resolution_criteria}")'
    return f"{actor} resolved {s.id} on {criteria}{_summary(s.resolution_summary)}"


NO_CRITERIA_SET = " (no resolution criteria were set, so a delivery manager decides)"


def resolved_announcement(s: IncidentState) -> str:
    return f"Resolved: {s.title}."


PAGE_RESOLVED = "This incident has been resolved."
PAGE_REOPENED = "This incident has reopened: we are investigating again."


def rejected(actor: str, s: IncidentState, reason: str) -> str:
    return f"{actor} rejected resolving {s.id}: {reason}"


def reopened(actor: str, s: IncidentState, reason: str) -> str:
    return f"{actor} reopened {s.id}: {reason}"


def reopened_announcement(s: IncidentState) -> str:
    return f"Reopened: {s.title}."


def closed(actor: str, s: IncidentState, notes: str | None, skip_reason: str | None) -> str:
    if notes:
        return f"{actor} recorded the retro of {s.id}: {notes}"
    return f"{actor} closed {s.id} without a retro: {skip_reason}"


def closing_message(closed_text: str, actions: list[str]) -> str:
    listed = "".join(f"\n- {action}" for action in actions)
    return f"{closed_text}.\nActions:{listed}" if listed else f"{closed_text}."


def retro_draft_message(file_name: str, draft: str) -> str:
    return f"{file_name}\n\n{draft}"


def retro_draft_parts(message: str) -> tuple[str, str]:
    """``(file_name, draft)`` of a :func:`retro_draft_message`, for the surfaces that post the
    draft as a file."""
    file_name, _, draft = message.partition("\n\n")
    return file_name, draft


def _summary(summary: str | None) -> str:
    return f": {summary}" if summary else ""


def retro_scheduled(actor: str, s: IncidentState, at: datetime) -> str:
    return f"{actor} scheduled the retro of {s.id} for {at:%A %-d %B %Y at %H:%M %Z}"


def retro_in_the_past(s: IncidentState) -> str:
    return f"The retro of {s.id} can only be scheduled for a time still to come."


# --- Deliveries and signals ------------------------------------------------------------------------------------


# What a kind of effect is called when it cannot be delivered (others: their kind, in words).
_DELIVERY_NAMES = {"notice": "message", "channel": "channel", "statuspage": "status page post"}


def delivery_failed(kind_of_effect: str, key: str, reason: str) -> str:
    what = _DELIVERY_NAMES.get(kind_of_effect, kind_of_effect.replace("_", " "))
    return f"Could not deliver {what} {key}: {reason}"


def linked(label: str, url: str) -> str:
    return f"{label}: {url}"


def signal_refused(name: str, reason: str) -> str:
    return f"Refused the {name} signal: {reason}"


def your_signal_refused(name: str, s: IncidentState, reason: str) -> str:
    return f"Your {name} signal to {s.id} was refused: {reason}"


# --- How commands arrived ------------------------------------------------------------------------

_ARRIVALS = {
    Arrival.CLI: "CLI",
    Arrival.SLACK: "Slack relay (verified by Slack)",
    Arrival.SIGNAL: "signal",
    Arrival.TEMPORAL_API: "Temporal API (unverified)",
    Arrival.ALARM: "alarm (signed by its sender or its token checked)",
}
ONLY_SLACK_VERIFIES = (
    "Only the Slack relay verifies who sent a command; the others act as whoever the sender named."
)


def arrival(via: Arrival) -> str:
    """How one command arrived, in a few words: ``Slack relay (verified by Slack)``."""
    return _ARRIVALS[via]


def arrivals(counts: Mapping[Arrival, int]) -> str | None:
    """``Commands by how they arrived: 3 Slack relay (verified by Slack), 1 CLI.``; None when
    nothing was recorded (incidents started before arrivals were)."""
    parts = [f"{counts[via]} {arrival(via)}" for via in Arrival if counts.get(via)]
    return f"Commands by how they arrived: {', '.join(parts)}." if parts else None


# --- The organisation's policy ---------------------------------------------------------------------


def delivery_managers_adopted(people: list[str]) -> str:
    return (
        f"Delivery managers now {', '.join(people)}, from the worker's settings "
        "(the incident opened while they named none)."
    )


def delivery_managers_told(s: IncidentState) -> str:
    waiting = {
        Status.TRIAGE: "it waits for a delivery manager to accept or decline it",
        Status.DECLINED: "it was declined",
    }.get(s.status, f"it is {s.status.value.replace('_', ' ')}")
    unacknowledged = (
        s.self_initiated and s.acknowledged_at is None and s.status is not Status.TRIAGE
    )
    ack = f"; acknowledge it with `incident ack {s.id}`" if unacknowledged else ""
    return (
        f"You are now a delivery manager of {s.id} ({s.title}), which opened before any was "
        f"configured: {waiting}{ack}."
    )
