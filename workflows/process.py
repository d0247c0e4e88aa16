"""The incident process as plain state transitions: decisions only, no I/O, no clock.

:class:`Incident` is what :class:`workflows.incident.IncidentWorkflow` keeps; every method takes
``now`` from the caller, so the same code runs in the workflow and in plain unit tests.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from messages.retro import retro_draft, retro_file_name
from messages.timeline import timeline_markdown
from workflows import rules
from workflows.commands import COMMANDS
from workflows.model import (
    CarriedState,
    Command,
    EntryKind,
    IncidentStart,
    IncidentState,
    NoticeKind,
    Severity,
    Status,
    StatusPageImpact,
    StatusPagePost,
    StatusPageStatus,
    Timer,
    parse_user,
)
from workflows.reminders import Reminders
from workflows.rules import Action
from workflows.signals import REQUEST_IDS_KEPT, SignalRefused, read_signal, sender_of


class Incident(Reminders):
    """One incident, changed only through the process: opening, commands, refusals."""

    # Set by the workflow from `workflow.patched`: incidents started before the retro draft was
    # posted at resolution must replay without it (see README, "Changing the workflow").
    posts_retro_draft = False

    # --- Opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, start: IncidentStart, now: datetime) -> Incident:
        if start.carried is not None:
            incident = cls(start.carried, start.policy)
            incident.state.runs += 1
            return incident
        state = IncidentState(
            id=start.id,
            title=start.title,
            description=start.description,
            status=Status.TRIAGE,
            reporter=start.actor,
            security=start.security,
            delivery_managers=list(start.policy.delivery_managers),
            created_at=now,
        )
        incident = cls(
            CarriedState(state=state, timeline=[], outbox=[], effects_issued=0), start.policy
        )
        if start.declare:
            incident._declare(start, now)
        else:
            incident._report(start, now)
        if start.security:
            incident.tell_infosec(start.actor, now)
        return incident

    def _report(self, start: IncidentStart, now: datetime) -> None:
        self.record(now, start.actor, EntryKind.REPORTED, f"Reported: {start.title}")
        self.direct(
            NoticeKind.REPORTED,
            self.policy.delivery_managers,
            f"{start.actor} reported a possible incident: {start.title}. "
            f"Is it an incident? `incident accept {start.id} --lead USER --severity S` "
            f"or `incident decline {start.id} --reason R`.",
            actor=start.actor,
        )
        self.set_dm_timer(Timer.TRIAGE, now)

    def _declare(self, start: IncidentStart, now: datetime) -> None:
        s = self.state
        s.self_initiated = start.actor not in self.policy.delivery_managers
        s.lead = start.lead or start.actor
        s.severity = start.severity or Severity.SEV2
        self.record(
            now,
            start.actor,
            EntryKind.DECLARED,
            f"Declared {s.severity} incident: {s.title}; lead {s.lead}",
        )
        if s.self_initiated:
            self.direct(
                NoticeKind.ACK_REQUEST,
                self.policy.delivery_managers,
                f"{start.actor} declared an incident without a delivery manager: {s.title} "
                f"({s.severity}, lead {s.lead}). Please acknowledge: `incident ack {s.id}`.",
                actor=start.actor,
            )
            self.set_dm_timer(Timer.ACK, now)
        else:
            s.delivery_manager = start.actor
            s.acknowledged_at = now
        self.activate(now, start.actor)

    def activate(self, now: datetime, actor: str) -> None:
        s = self.state
        s.status = Status.ACTIVE
        s.active_at = now
        self._open_channel(private=s.security)
        self.announce(
            NoticeKind.DECLARED,
            f"Incident declared: {s.title} ({s.severity}), led by {s.lead}.",
            actor=actor,
        )
        self.restart_stale_clock(now)

    def tell_infosec(self, actor: str, now: datetime) -> None:
        head = self.policy.infosec_head
        if head:
            self.direct(
                NoticeKind.SECURITY,
                [head],
                f"Security incident {self.state.id}: {self.state.title}. "
                "It is handled in a private channel.",
                actor=actor,
            )

    # --- Commands --------------------------------------------------------------------------

    def refusal(self, action: Action, command: Command, now: datetime) -> str | None:
        """The one sentence that refuses ``command``, or None when the process allows it."""
        spec = COMMANDS[action]
        reason = rules.refusal(spec.rule, command.actor, self.state, self.policy)
        if reason:
            return reason
        return spec.check(self, command, now) if spec.check else None

    def receive_signal(self, name: str, body: object, now: datetime) -> str | None:
        """Apply a signal under the same rules as its Update; a refusal is recorded, not raised.

        Returns the refusal sentence, or None when the signal was applied (or was a repeat).
        """
        try:
            action, command, request_id = read_signal(name, body)
        except SignalRefused as refused:
            self._refused_signal(name, sender_of(body), str(refused), now)
            return str(refused)
        if request_id is not None:
            if request_id in self.request_ids:
                return None  # a retried or redelivered signal: applied once already
            self.request_ids = [*self.request_ids, request_id][-REQUEST_IDS_KEPT:]
        reason = self.refusal(action, command, now)
        if reason:
            self._refused_signal(name, command.actor, reason, now)
            return reason
        self.apply(action, command, now)
        return None

    def _refused_signal(self, name: str, sender: str | None, reason: str, now: datetime) -> None:
        try:
            sender = parse_user(sender) if sender else None
        except ValueError:
            sender = None  # not a person we can tell
        self.record(
            now,
            sender or "unknown sender",
            EntryKind.REFUSED,
            f"Refused the {name} signal: {reason}",
        )
        if sender:
            self.direct(
                NoticeKind.REFUSED,
                [sender],
                f"Your {name} signal to {self.state.id} was refused: {reason}",
            )

    def apply(self, action: Action, command: Command, now: datetime) -> str:
        """Carry out an allowed command and return the sentence that records it."""
        return COMMANDS[action].apply(self, command, now)

    def post_status_page(
        self, status: StatusPageStatus, body: str, *, impact: StatusPageImpact | None = None
    ) -> None:
        s = self.state
        s.statuspage_status = status
        self._issue(
            StatusPagePost(
                key=self._next_key(),
                incident_id=s.id,
                page_incident_id=None,
                name=s.title,
                status=status,
                body=body,
                impact_override=impact,
            )
        )

    def mark_resolved(self, actor: str, now: datetime) -> str:
        s = self.state
        s.status, s.resolved_at = Status.RESOLVED, now
        s.delivery_manager = s.delivery_manager or actor
        s.timers.clear()
        s.timers[Timer.RETRO_DUE] = self.retro_due_at(now)
        text = f"{actor} resolved {s.id}"
        if s.resolution_summary:
            text += f": {s.resolution_summary}"
        self.record(now, actor, EntryKind.RESOLVED, text)
        self.to_channel(NoticeKind.RESOLVED, text + ".", actor=actor)
        self.announce(NoticeKind.RESOLVED, f"Resolved: {s.title}.", actor=actor)
        if s.statuspage_status not in (None, StatusPageStatus.RESOLVED) and not s.security:
            self.post_status_page(StatusPageStatus.RESOLVED, "This incident has been resolved.")
        self.to_channel(NoticeKind.TIMELINE, timeline_markdown(s, self.timeline))
        if self.posts_retro_draft:
            zone = ZoneInfo(self.policy.office_hours.timezone)
            draft = retro_draft(s, self.timeline, zone=zone)
            self.to_channel(NoticeKind.RETRO_DRAFT, f"{retro_file_name(s, zone)}\n\n{draft}")
        return text + "."
