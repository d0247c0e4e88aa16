"""PagerDuty, a destination: on-call is paged when an incident needs people now.

It acts on its own as the timeline grows, one PagerDuty alert per incident (``dedup_key`` = the
incident's id), through the Events API v2:

- **trigger**: a sev1 declared, accepted, raised to sev1 or reopened as one; a report nobody has
  answered after its escalation (an alarm's report, ``Timer.ALERT`` in ``workflows/reminders.py``);
- **acknowledge**: a delivery manager acknowledges or accepts it (a delivery manager declaring it
  is not an acknowledgement: on-call is paged and acknowledges in PagerDuty);
- **resolve**: resolved, declined or closed.

Acknowledge and resolve go only to an incident that may have paged. Whether it did is read back
from the timeline (``_paged_before``); where the timeline cannot say (an entry's severity was
changed since), it is taken to have paged: PagerDuty ignores an acknowledge or resolve for a key
it never saw, and a page left open would wake people for nothing.

A security incident's page names only its id and severity (``messages/pager.py``). Marked
confidential after paging, the page is triggered again sealed, so a trigger still waiting (during
an outage) leaves without the title; what PagerDuty already received stays there.

On when the policy recorded ``INCIDENT_PAGER=on`` as the incident opened (off for incidents begun
before the setting or without it). The routing key is the worker's secret, never recorded: the
activity (``activities/pager.py``) reads ``PAGERDUTY_ROUTING_KEY``.

    Page(key="inc-2026-12-06-search/4", incident_id="inc-2026-12-06-search", event="trigger",
         summary="Sev1 incident inc-2026-12-06-search: Search API down", severity="critical")
    # → POST {PAGERDUTY_EVENTS_URL}/v2/enqueue; the activity answers a PageReceipt

Pure models only: this runs in the workflow sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Final, Literal, Self

from pydantic import Field

from messages import pager as say
from workflows.destinations.base import Delivery, IncidentView, Lane
from workflows.vocabulary.basics import WORKING_STATUSES, Model, Severity, Status
from workflows.vocabulary.policy import setting
from workflows.vocabulary.timeline import EntryKind, TimelineEntry

if TYPE_CHECKING:
    from workflows.model.state import IncidentState
    from workflows.vocabulary.policy import Policy

PAGE_ACTIVITY: Final = "send_pagerduty_event"
PAGER = Lane("pager")  # its own lane: a PagerDuty outage holds nothing else back


class PagerEvent(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class PagerOptions(Model):
    """Whether an incident pages, recorded in its policy when it starts (never the key)."""

    paging: str = Field(
        default="off",
        pattern=r"^(on|off)$",
        description="on or off",
        json_schema_extra=setting("INCIDENT_PAGER", default="off"),
    )


class PageReceipt(Model):
    """PagerDuty's answer: the alert's key and its word for the event ("success")."""

    dedup_key: str
    status: str


class Page(Delivery):
    """One event of the incident's PagerDuty alert."""

    activity: ClassVar[str] = PAGE_ACTIVITY
    result: ClassVar[type[Model] | None] = PageReceipt
    activities_module: ClassVar[str | None] = "activities.pager"
    options: ClassVar[type[Model] | None] = PagerOptions

    kind_of_effect: Literal["pager"] = "pager"
    incident_id: str = Field(description="PagerDuty's dedup_key: one alert per incident")
    event: PagerEvent
    summary: str = Field(default="", description="a trigger's one line (sealed: no title)")
    severity: say.PagerSeverity = "critical"
    details: dict[str, str] = Field(default={}, description="a trigger's custom details")
    at: datetime | None = Field(default=None, description="when the incident called for it")
    sealed: bool = Field(default=False, description="a security incident's: nothing but its id")

    def lane(self) -> Lane:
        return PAGER

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        return say.activity_summary(self.event, self.severity, sealed=self.sealed)

    def supersedes(self, older: Delivery) -> bool:
        if not isinstance(older, Page):
            return False
        if self.event is PagerEvent.RESOLVE:
            # Resolved before anything reached PagerDuty: nobody need be woken for it now.
            return True
        # A sealed trigger replaces one still waiting that would tell PagerDuty the title.
        return (
            self.event is PagerEvent.TRIGGER
            and self.sealed
            and older.event is PagerEvent.TRIGGER
            and not older.sealed
        )

    @classmethod
    def follows(cls, incident: IncidentView, entry: TimelineEntry) -> Sequence[Self]:
        if entry.kind not in _FOLLOWED:
            return ()  # before reading the options: this runs for every entry of every incident
        options = cls.options_in(incident.policy)
        if not isinstance(options, PagerOptions) or options.paging != "on":
            return ()
        s = incident.state
        before = _paged_before(incident.timeline, entry, s.severity)
        reported = s.status is Status.TRIAGE  # an unanswered report's page, not a sev1's
        return tuple(
            cls(
                key="",
                incident_id=s.id,
                event=event,
                summary=say.summary(s, reported=reported) if event is PagerEvent.TRIGGER else "",
                severity=say.PAGER_SEVERITY[s.severity],
                details=say.details(s, reported=reported) if event is PagerEvent.TRIGGER else {},
                at=entry.at,
                sealed=s.security,
            )
            for event in _events(entry.kind, s.status, s.severity, s.security, before)
        )


# --- Deciding, from the timeline --------------------------------------------------------------

_RAISES = frozenset(
    {EntryKind.DECLARED, EntryKind.ACCEPTED, EntryKind.SEVERITY, EntryKind.REOPENED}
)
_ANSWERS = frozenset({EntryKind.ACKNOWLEDGED, EntryKind.ACCEPTED})
_ENDS = frozenset({EntryKind.RESOLVED, EntryKind.DECLINED, EntryKind.CLOSED})
_FOLLOWED = _RAISES | _ANSWERS | _ENDS | {EntryKind.ESCALATION, EntryKind.SECURITY}

# The status each entry leaves the incident in (the others leave it as it was).
_STATUS_AFTER = {
    EntryKind.REPORTED: Status.TRIAGE,
    EntryKind.REVISITED: Status.TRIAGE,
    EntryKind.DECLARED: Status.ACTIVE,
    EntryKind.ACCEPTED: Status.ACTIVE,
    EntryKind.REOPENED: Status.ACTIVE,
    EntryKind.REJECTED: Status.ACTIVE,
    EntryKind.RESOLUTION_REQUESTED: Status.AWAITING_APPROVAL,
    EntryKind.RESOLVED: Status.RESOLVED,
    EntryKind.DECLINED: Status.DECLINED,
    EntryKind.CLOSED: Status.CLOSED,
}


@dataclass
class Paged:
    """What PagerDuty holds of the incident, as far as the timeline tells: ``open`` True (an
    alert is open), None (it may be) or False (none); and whether it was acknowledged since."""

    open: bool | None = False
    acknowledged: bool = False


def _events(
    kind: EntryKind,
    status: Status,
    severity: Severity | None,
    security: bool,
    before: Paged,
) -> list[PagerEvent]:
    """The events one entry calls for, given the incident as it is now and what paged before."""
    may_be_open = before.open is not False
    if kind in _ENDS:
        return [PagerEvent.RESOLVE] if may_be_open else []
    if kind in _ANSWERS and may_be_open and not before.acknowledged:
        return [PagerEvent.ACKNOWLEDGE]
    if kind is EntryKind.ESCALATION and status is Status.TRIAGE and before.open is not True:
        return [PagerEvent.TRIGGER]
    sev1_working = severity is Severity.SEV1 and status in WORKING_STATUSES
    if kind in _RAISES and sev1_working and before.open is not True:
        return [PagerEvent.TRIGGER]
    if kind is EntryKind.SECURITY and security and (before.open or (may_be_open and sev1_working)):
        # Sealed again; acknowledged again if it was, in case the first trigger was replaced.
        return [PagerEvent.TRIGGER, *([PagerEvent.ACKNOWLEDGE] if before.acknowledged else [])]
    return []


def _paged_before(
    timeline: list[TimelineEntry], entry: TimelineEntry, severity: Severity | None
) -> Paged:
    """What the entries before ``entry`` did to the incident's alert, replayed through the same
    decisions. An entry's severity is today's while none was changed after it; one changed
    since is taken as sev1 (its trigger only may have gone), so no alert is left open."""
    upto = next((i for i in range(len(timeline) - 1, -1, -1) if timeline[i] is entry), None)
    seen = timeline if upto is None else timeline[: upto + 1]
    entries = seen if upto is None else seen[:-1]
    changed = [i for i, e in enumerate(seen) if e.kind is EntryKind.SEVERITY]
    known_from = changed[-1] if changed else 0
    paged, status = Paged(), Status.TRIAGE
    for i, past in enumerate(entries):
        status = _STATUS_AFTER.get(past.kind, status)
        known = i >= known_from
        for event in _events(past.kind, status, severity if known else Severity.SEV1, False, paged):
            if event is PagerEvent.TRIGGER:
                certain = known or past.kind is EntryKind.ESCALATION
                paged.open, paged.acknowledged = (True if certain else None), False
            elif event is PagerEvent.ACKNOWLEDGE:
                paged.acknowledged = True
            else:
                paged.open, paged.acknowledged = False, False
    return paged
