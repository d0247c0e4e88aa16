"""What a page says in PagerDuty: its one-line summary, its severity and its details; and its
line in the Temporal Web UI (``activity_summary``: which event, never the incident's title).

PagerDuty is a third party: a security incident's page names only its id and severity and points
at Slack, never its title, description or people. Pure, as ``messages/sentences.py``.

    >>> from workflows.vocabulary.basics import Severity
    >>> sealed_summary("inc-2026-12-06-x", Severity.SEV1, reported=False)
    'Security incident inc-2026-12-06-x (sev1): see Slack'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from workflows.vocabulary.basics import Severity

if TYPE_CHECKING:
    from workflows.model.state import IncidentState

PagerSeverity = Literal["critical", "error", "warning", "info"]

SOURCE: Final = "incident-workflow"  # the payload's `source`: what raised the page
SUMMARY_LIMIT: Final = 1024  # PagerDuty's longest summary

# How urgent PagerDuty should take it; a report has no severity yet.
PAGER_SEVERITY: dict[Severity | None, PagerSeverity] = {
    Severity.SEV1: "critical",
    Severity.SEV2: "error",
    Severity.SEV3: "warning",
    None: "error",
}

# Why it paged, as the page's details say it.
WHY_SEV1: Final = "declared, accepted or raised as sev1"
WHY_UNANSWERED: Final = "no delivery manager has answered the report after its escalation"


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def sealed_summary(incident_id: str, severity: Severity | None, *, reported: bool) -> str:
    """A security incident's summary: its id, its severity and where to look."""
    if reported:
        return _short(f"Security report {incident_id}, unanswered: see Slack")
    return _short(f"Security incident {incident_id} ({severity or 'no severity'}): see Slack")


def summary(s: IncidentState, *, reported: bool) -> str:
    """The page's one line, as a phone call or a text reads it out: "Sev1 incident inc-…:
    Search API down"; a security incident's says nothing of it beyond its id."""
    if s.security:
        return sealed_summary(s.id, s.severity, reported=reported)
    if reported:
        return _short(f"Unanswered report {s.id}: {s.title}")
    return _short(f"{(s.severity or 'incident').capitalize()} incident {s.id}: {s.title}")


def details(s: IncidentState, *, reported: bool) -> dict[str, str]:
    """The page's custom details: what responders read before they open Slack."""
    why = WHY_UNANSWERED if reported else WHY_SEV1
    told = {"incident": s.id, "severity": str(s.severity or "none"), "why": why}
    if s.security:
        return {**told, "confidential": "a security incident: its details are in Slack only"}
    return {
        **told,
        "title": s.title,
        "description": s.description or "",
        "lead": s.lead or "nobody yet",
    }


def activity_summary(event: str, severity: PagerSeverity, *, sealed: bool) -> str:
    """A page's line in the Web UI: its event (``PagerEvent``'s value) to PagerDuty and, for a
    trigger, how urgent and whether sealed. Never its summary: that names the title.

    >>> activity_summary("trigger", "critical", sealed=False)
    'page to PagerDuty: trigger (critical)'
    >>> activity_summary("resolve", "critical", sealed=False)
    'page to PagerDuty: resolve'
    """
    if event != "trigger":
        return f"page to PagerDuty: {event}"
    return f"page to PagerDuty: trigger ({severity}{', sealed' if sealed else ''})"
