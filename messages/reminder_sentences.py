"""What the reminders say: the nudges to leads and delivery managers, the escalations, and the
names of the timers (in `show` and in the Web UI).

The words of the commands are in ``messages/sentences.py``; as there, the reminder rules
(``workflows/reminders.py``) decide and call one function here for the words. Pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.model import Timer

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


# What `show` calls each timer (workflows/reminders.py).
TIMER_LABELS: dict[Timer, str] = {
    Timer.STALE_PROGRESS: "Next reminder",
    Timer.TRIAGE: "Next triage nudge",
    Timer.ACK: "Next ack nudge",
    Timer.APPROVAL: "Next approval nudge",
    Timer.RETRO_DUE: "Retro due",
    Timer.REVISIT: "Revisit",
    Timer.STATUS_PAGE: "Status page due",
    Timer.ASK: "Next ask nudge",
    Timer.RETRO_MEETING: "Retro reminder",
    Timer.ALERT: "Next alarm nudge",
}


# What each timer is called in the Web UI's event history when it is started.
TIMER_DUE: dict[Timer, str] = {
    Timer.STALE_PROGRESS: "stale-progress reminder due",
    Timer.TRIAGE: "triage nudge due",
    Timer.ACK: "ack nudge due",
    Timer.APPROVAL: "approval nudge due",
    Timer.RETRO_DUE: "retro due",
    Timer.REVISIT: "revisit due",
    Timer.STATUS_PAGE: "status page update due",
    Timer.ASK: "unanswered ask nudge due",
    Timer.RETRO_MEETING: "the retro starts",
    Timer.ALERT: "alarm report nudge due",
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
