"""What the reminders say: the nudges to leads and delivery managers, the escalations, and the
names of the timers (in `show` and in the Web UI).

The words of the commands are in ``messages/sentences.py``; as there, the reminder rules
(``workflows/reminders.py``) decide and call one function here for the words. Pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.model.state import IncidentState


def stale_progress(s: IncidentState, quiet: str) -> str:
    return f"No progress update on {s.id} for {quiet}. {s.lead}, please post one."


def escalation(s: IncidentState, quiet: str) -> str:
    return (
        f"{s.id} has had no progress update for {quiet} despite {s.reminders_unanswered} reminders."
    )


def status_page_quiet(s: IncidentState, quiet: str) -> str:
    return (
        f"The status page has not been updated about {s.id} ({s.title}) for {quiet}: "
        f"`incident statuspage {s.id} --status STATUS TEXT`."
    )


# What `show` calls each timer (workflows/reminders.py), by its name.
TIMER_LABELS = {
    "stale_progress": "Next reminder",
    "triage": "Next triage nudge",
    "ack": "Next ack nudge",
    "approval": "Next approval nudge",
    "retro_due": "Retro due",
    "revisit": "Revisit",
    "status_page": "Status page due",
    "ask": "Next ask nudge",
    "retro_meeting": "Retro reminder",
    "alert": "Next alarm nudge",
}


# What each timer is called in the Web UI's event history when it is started.
TIMER_DUE = {
    "stale_progress": "stale-progress reminder due",
    "triage": "triage nudge due",
    "ack": "ack nudge due",
    "approval": "approval nudge due",
    "retro_due": "retro due",
    "revisit": "revisit due",
    "status_page": "status page update due",
    "ask": "unanswered ask nudge due",
    "retro_meeting": "the retro starts",
    "alert": "alarm report nudge due",
}
TIMER_DRAIN_LIMIT = "deliveries in flight stop before continue-as-new"


def dm_reminder(text: str) -> str:
    return f"Reminder: {text}"


def waits_for_triage(s: IncidentState) -> str:
    return f"{s.id} ({s.title}) waits for a delivery manager to accept or decline it."


def waits_for_ack(s: IncidentState) -> str:
    return f"{s.id} ({s.title}) was declared without a delivery manager; `incident ack {s.id}`."


def waits_for_approval(s: IncidentState) -> str:
    return f"{s.lead} asked to resolve {s.id} ({s.title}); approve or reject it."


def retro_starts(s: IncidentState) -> str:
    return (
        f"The retro of {s.id} ({s.title}) is now. Afterwards: "
        f"`incident retro {s.id} --notes N [--action TEXT]…`."
    )


def retro_due(s: IncidentState) -> str:
    return f"The retro of {s.id} is due: `incident retro {s.id} --notes N` or `--skip --reason R`."


def revisit(s: IncidentState) -> str:
    return (
        f"{s.id} was declined ({s.decline_reason}) to be revisited now: accept or decline it again."
    )


def asked_again(s: IncidentState) -> str:
    return (
        f"Reminder: you were asked to help on {s.id} ({s.title}). "
        f"`incident join {s.id}`, or `incident busy {s.id} --reason R` if you can't."
    )
