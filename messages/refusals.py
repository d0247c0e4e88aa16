"""The sentences that refuse a command or a query: one plain sentence each, saying why and, where
it helps, what to do instead. Pure, as ``messages/sentences.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.model.state import IncidentState
    from workflows.vocabulary.basics import Severity


def nobody_can_now(s: IncidentState, status_words: str, doing: str) -> str:
    return f"Incident {s.id} is {status_words}, so nobody can {doing} now."


def no_delivery_manager_configured(doing: str) -> str:
    return (
        f"Only a delivery manager may {doing}, and the worker names none: set "
        "INCIDENT_DELIVERY_MANAGERS in the worker's settings and restart it (this incident takes "
        "them at its next command)."
    )


def only(who: str, doing: str, s: IncidentState, person: str) -> str:
    return f"Only {who} may {doing} on {s.id}; {person} is not."


def signal_needs_an_object(name: str) -> str:
    return f"The {name} signal needs a JSON object body with at least an actor."


def signal_request_id_not_text(name: str) -> str:
    return f"The {name} signal's request_id must be a string."


def signal_body_invalid(name: str, problem: str) -> str:
    return f"The {name} signal's body is not valid: {problem}."


def already_acknowledged(s: IncidentState) -> str:
    return f"{s.id} is already acknowledged by {s.delivery_manager}."


def nothing_to_acknowledge(s: IncidentState) -> str:
    return f"{s.id} was not self-initiated, so there is nothing to acknowledge."


REVISIT_IN_THE_PAST = "The revisit date must be in the future."


def already_the_lead(person: str, s: IncidentState) -> str:
    return f"{person} is already the lead of {s.id}."


def leads_already(person: str, s: IncidentState) -> str:
    return f"{person} leads {s.id} already."


def helping_already(person: str, s: IncidentState) -> str:
    return f"{person} is already helping on {s.id}."


def already_severity(s: IncidentState, severity: Severity) -> str:
    return f"{s.id} is already {severity}."


def already_security(s: IncidentState) -> str:
    return f"{s.id} is already a security incident."


def never_on_the_page(s: IncidentState) -> str:
    return f"{s.id} is a security incident, so nothing about it goes on the status page."
