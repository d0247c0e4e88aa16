"""The incident process as plain state transitions: decisions only, no I/O, no clock.

:class:`Incident` is what :class:`workflows.incident.IncidentWorkflow` keeps; every method takes
``now`` from the caller, so the same code runs in the workflow and in plain unit tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from messages.retro import retro_draft, retro_file_name
from messages.timeline import timeline_markdown
from workflows import rules
from workflows.model import (
    Accept,
    CarriedState,
    ChangeSeverity,
    Command,
    Decline,
    EntryKind,
    Handover,
    IncidentStart,
    IncidentState,
    NoticeKind,
    PostStatusPage,
    ProgressUpdate,
    Reject,
    Resolve,
    Retro,
    SetCriteria,
    Severity,
    Snooze,
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
            incident._tell_infosec(start.actor, now)
        return incident

    def _report(self, start: IncidentStart, now: datetime) -> None:
        self._record(now, start.actor, EntryKind.REPORTED, f"Reported: {start.title}")
        self._direct(
            NoticeKind.REPORTED,
            self.policy.delivery_managers,
            f"{start.actor} reported a possible incident: {start.title}. "
            f"Is it an incident? `incident accept {start.id} --lead USER --severity S` "
            f"or `incident decline {start.id} --reason R`.",
            actor=start.actor,
        )
        self._set_dm_timer(Timer.TRIAGE, now)

    def _declare(self, start: IncidentStart, now: datetime) -> None:
        s = self.state
        s.self_initiated = start.actor not in self.policy.delivery_managers
        s.lead = start.lead or start.actor
        s.severity = start.severity or Severity.SEV2
        self._record(
            now,
            start.actor,
            EntryKind.DECLARED,
            f"Declared {s.severity} incident: {s.title}; lead {s.lead}",
        )
        if s.self_initiated:
            self._direct(
                NoticeKind.ACK_REQUEST,
                self.policy.delivery_managers,
                f"{start.actor} declared an incident without a delivery manager: {s.title} "
                f"({s.severity}, lead {s.lead}). Please acknowledge: `incident ack {s.id}`.",
                actor=start.actor,
            )
            self._set_dm_timer(Timer.ACK, now)
        else:
            s.delivery_manager = start.actor
            s.acknowledged_at = now
        self._activate(now, start.actor)

    def _activate(self, now: datetime, actor: str) -> None:
        s = self.state
        s.status = Status.ACTIVE
        s.active_at = now
        self._open_channel(private=s.security)
        self._announce(
            NoticeKind.DECLARED,
            f"Incident declared: {s.title} ({s.severity}), led by {s.lead}.",
            actor=actor,
        )
        self._restart_stale_clock(now)

    def _tell_infosec(self, actor: str, now: datetime) -> None:
        head = self.policy.infosec_head
        if head:
            self._direct(
                NoticeKind.SECURITY,
                [head],
                f"Security incident {self.state.id}: {self.state.title}. "
                "It is handled in a private channel.",
                actor=actor,
            )

    # --- Commands --------------------------------------------------------------------------

    def refusal(self, action: Action, command: Command, now: datetime) -> str | None:
        """The one sentence that refuses ``command``, or None when the process allows it."""
        reason = rules.refusal(action, command.actor, self.state, self.policy)
        if reason:
            return reason
        check = _VALUE_CHECKS.get(action)
        return check(self, command, now) if check else None

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
        self._record(
            now,
            sender or "unknown sender",
            EntryKind.REFUSED,
            f"Refused the {name} signal: {reason}",
        )
        if sender:
            self._direct(
                NoticeKind.REFUSED,
                [sender],
                f"Your {name} signal to {self.state.id} was refused: {reason}",
            )

    def apply(self, action: Action, command: Command, now: datetime) -> str:
        """Carry out an allowed command and return the sentence that records it."""
        text: str = _APPLY[action](self, command, now)
        return text

    def _accept(self, cmd: Accept, now: datetime) -> str:
        s = self.state
        s.lead, s.severity, s.delivery_manager, s.acknowledged_at = (
            cmd.lead,
            cmd.severity,
            cmd.actor,
            now,
        )
        self.state.timers.pop(Timer.TRIAGE, None)
        text = f"{cmd.actor} accepted {s.id} as a {s.severity} incident, led by {s.lead}"
        self._record(now, cmd.actor, EntryKind.ACCEPTED, text)
        self._direct(NoticeKind.ACCEPTED, [s.reporter, s.lead], text + ".", actor=cmd.actor)
        self._activate(now, cmd.actor)
        return text + "."

    def _decline(self, cmd: Decline, now: datetime) -> str:
        s = self.state
        s.status, s.decline_reason, s.revisit_at = Status.DECLINED, cmd.reason, cmd.revisit_at
        s.timers.clear()
        text = f"{cmd.actor} declined {s.id}: {cmd.reason}"
        if cmd.revisit_at:
            s.timers[Timer.REVISIT] = cmd.revisit_at
            text += f" (to be revisited {cmd.revisit_at:%Y-%m-%d %H:%M} UTC)"
        self._record(now, cmd.actor, EntryKind.DECLINED, text)
        self._direct(NoticeKind.DECLINED, [s.reporter], text + ".", actor=cmd.actor)
        return text + "."

    def _ack(self, cmd: Command, now: datetime) -> str:
        s = self.state
        s.delivery_manager, s.acknowledged_at = cmd.actor, now
        s.timers.pop(Timer.ACK, None)
        text = f"{cmd.actor} acknowledged {s.id} and agrees to continue"
        self._record(now, cmd.actor, EntryKind.ACKNOWLEDGED, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
        return text + "."

    def _handover(self, cmd: Handover, now: datetime) -> str:
        s = self.state
        previous = s.lead
        s.supporters = [p for p in s.supporters if p != cmd.to]
        if previous and previous not in s.supporters:
            s.supporters.append(previous)
        s.lead = cmd.to
        text = f"{cmd.actor} handed the lead of {s.id} from {previous} to {cmd.to}"
        self._record(now, cmd.actor, EntryKind.HANDOVER, text)
        self._to_channel(
            NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[cmd.to], invite=[cmd.to]
        )
        self._direct(NoticeKind.TRANSITION, [cmd.to], f"You now lead {s.id}: {s.title}.")
        if s.status is Status.ACTIVE:
            self._restart_stale_clock(now)
        return text + "."

    def _join(self, cmd: Command, now: datetime) -> str:
        self.state.supporters.append(cmd.actor)
        text = f"{cmd.actor} joined {self.state.id} to help"
        self._record(now, cmd.actor, EntryKind.JOINED, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor, invite=[cmd.actor])
        return text + "."

    def _leave(self, cmd: Command, now: datetime) -> str:
        self.state.supporters.remove(cmd.actor)
        text = f"{cmd.actor} is no longer working on {self.state.id}"
        self._record(now, cmd.actor, EntryKind.LEFT, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
        return text + "."

    def _update(self, cmd: ProgressUpdate, now: datetime) -> str:
        s = self.state
        s.first_update_at = s.first_update_at or now
        s.last_update_at, s.last_update = now, cmd.text
        self._record(now, cmd.actor, EntryKind.UPDATE, cmd.text)
        self._to_channel(NoticeKind.UPDATE, cmd.text, actor=cmd.actor)
        if s.status is Status.ACTIVE:
            self._restart_stale_clock(now)
        return f"Update posted to {s.id}."

    def _severity(self, cmd: ChangeSeverity, now: datetime) -> str:
        s = self.state
        previous, s.severity = s.severity, cmd.severity
        text = f"{cmd.actor} changed the severity of {s.id} from {previous} to {cmd.severity}"
        self._record(now, cmd.actor, EntryKind.SEVERITY, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
        if s.status is Status.ACTIVE and s.stale_since:
            s.reminder_interval = self.policy.reminder_intervals[cmd.severity]
            due = max(now, s.stale_since + s.reminder_interval)
            s.timers[Timer.STALE_PROGRESS] = self._in_hours(due)
        return text + "."

    def _snooze(self, cmd: Snooze, now: datetime) -> str:
        s = self.state
        due = self._in_hours(now + cmd.duration)
        s.timers[Timer.STALE_PROGRESS] = due
        text = f"{cmd.actor} snoozed reminders on {s.id} until {due:%Y-%m-%d %H:%M} UTC"
        self._record(now, cmd.actor, EntryKind.SNOOZED, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
        return text + "."

    def _security(self, cmd: Command, now: datetime) -> str:
        s = self.state
        s.security = True
        text = f"{cmd.actor} marked {s.id} as a security incident"
        self._record(now, cmd.actor, EntryKind.SECURITY, text)
        channel_sealed = self._seal_outbox()
        if s.status in (Status.ACTIVE, Status.AWAITING_APPROVAL) and not channel_sealed:
            self._move_to_private_channel(now)
        self._resolve_public_page()
        self._tell_infosec(cmd.actor, now)
        return text + "."

    def _criteria(self, cmd: SetCriteria, now: datetime) -> str:
        self.state.resolution_criteria = cmd.text
        text = f"{cmd.actor}: we can call {self.state.id} resolved when {cmd.text}"
        self._record(now, cmd.actor, EntryKind.CRITERIA, text)
        self._to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
        return text

    def _statuspage(self, cmd: PostStatusPage, now: datetime) -> str:
        self._post_status_page(cmd.status, cmd.text, impact=cmd.impact)
        text = f"{cmd.actor} posted to the status page ({cmd.status}): {cmd.text}"
        self._record(now, cmd.actor, EntryKind.STATUSPAGE, text)
        self._to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
        return text

    def _post_status_page(
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

    def _resolve(self, cmd: Resolve, now: datetime) -> str:
        s = self.state
        s.resolution_summary = cmd.summary or s.resolution_summary
        if cmd.actor in self.policy.delivery_managers:
            return self._mark_resolved(cmd.actor, now)
        s.status, s.resolution_requested_at = Status.AWAITING_APPROVAL, now
        s.timers.pop(Timer.STALE_PROGRESS, None)
        summary = f": {cmd.summary}" if cmd.summary else ""
        text = f"{cmd.actor} asked the delivery managers to resolve {s.id}{summary}"
        self._record(now, cmd.actor, EntryKind.RESOLUTION_REQUESTED, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
        self._direct(
            NoticeKind.RESOLUTION_REQUEST,
            self.policy.delivery_managers,
            f"{cmd.actor} asks to resolve {s.id}: {s.title}{summary}. "
            f"`incident approve {s.id}` or `incident reject {s.id} --reason R`.",
            actor=cmd.actor,
        )
        self._set_dm_timer(Timer.APPROVAL, now)
        return text + "."

    def _approve(self, cmd: Command, now: datetime) -> str:
        return self._mark_resolved(cmd.actor, now)

    def _mark_resolved(self, actor: str, now: datetime) -> str:
        s = self.state
        s.status, s.resolved_at = Status.RESOLVED, now
        s.delivery_manager = s.delivery_manager or actor
        s.timers.clear()
        s.timers[Timer.RETRO_DUE] = self._retro_due(now)
        text = f"{actor} resolved {s.id}"
        if s.resolution_summary:
            text += f": {s.resolution_summary}"
        self._record(now, actor, EntryKind.RESOLVED, text)
        self._to_channel(NoticeKind.RESOLVED, text + ".", actor=actor)
        self._announce(NoticeKind.RESOLVED, f"Resolved: {s.title}.", actor=actor)
        if s.statuspage_status not in (None, StatusPageStatus.RESOLVED) and not s.security:
            self._post_status_page(StatusPageStatus.RESOLVED, "This incident has been resolved.")
        self._to_channel(NoticeKind.TIMELINE, timeline_markdown(s, self.timeline))
        if self.posts_retro_draft:
            zone = ZoneInfo(self.policy.office_hours.timezone)
            draft = retro_draft(s, self.timeline, zone=zone)
            self._to_channel(NoticeKind.RETRO_DRAFT, f"{retro_file_name(s, zone)}\n\n{draft}")
        return text + "."

    def _reject(self, cmd: Reject, now: datetime) -> str:
        s = self.state
        s.status, s.rejection_reason = Status.ACTIVE, cmd.reason
        s.timers.pop(Timer.APPROVAL, None)
        text = f"{cmd.actor} rejected resolving {s.id}: {cmd.reason}"
        self._record(now, cmd.actor, EntryKind.REJECTED, text)
        self._to_channel(
            NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[s.lead or ""]
        )
        self._restart_stale_clock(now)
        return text + "."

    def _retro(self, cmd: Retro, now: datetime) -> str:
        s = self.state
        s.status, s.closed_at = Status.CLOSED, now
        s.retro_notes, s.retro_skipped_reason = cmd.notes, cmd.skip_reason
        s.retro_actions = list(cmd.actions)
        s.timers.clear()
        if cmd.notes:
            text = f"{cmd.actor} recorded the retro of {s.id}: {cmd.notes}"
        else:
            text = f"{cmd.actor} closed {s.id} without a retro: {cmd.skip_reason}"
        self._record(now, cmd.actor, EntryKind.CLOSED, text)
        actions = "".join(f"\n- {action}" for action in cmd.actions)
        closing = f"{text}.\nActions:{actions}" if actions else f"{text}."
        archive = self.policy.archive_on_close and s.channel_thread_ts is None
        self._to_channel(NoticeKind.CLOSED, closing, actor=cmd.actor, archive_channel=archive)
        return closing


# --- Value checks beyond role and state (who and when are in rules.py) ---------------------------


def _check_ack(incident: Incident, cmd: Command, now: datetime) -> str | None:
    s = incident.state
    if s.acknowledged_at:
        return f"{s.id} is already acknowledged by {s.delivery_manager}."
    if not s.self_initiated:
        return f"{s.id} was not self-initiated, so there is nothing to acknowledge."
    return None


def _check_handover(incident: Incident, cmd: Handover, now: datetime) -> str | None:
    if cmd.to == incident.state.lead:
        return f"{cmd.to} is already the lead of {incident.state.id}."
    return None


def _check_join(incident: Incident, cmd: Command, now: datetime) -> str | None:
    s = incident.state
    if cmd.actor == s.lead:
        return f"{cmd.actor} leads {s.id} already."
    if cmd.actor in s.supporters:
        return f"{cmd.actor} is already helping on {s.id}."
    return None


def _check_severity(incident: Incident, cmd: ChangeSeverity, now: datetime) -> str | None:
    if cmd.severity == incident.state.severity:
        return f"{incident.state.id} is already {cmd.severity}."
    return None


def _check_security(incident: Incident, cmd: Command, now: datetime) -> str | None:
    if incident.state.security:
        return f"{incident.state.id} is already a security incident."
    return None


def _check_statuspage(incident: Incident, cmd: PostStatusPage, now: datetime) -> str | None:
    if incident.state.security:
        return f"{incident.state.id} is a security incident, so nothing about it goes on the status page."
    return None


def _check_decline(incident: Incident, cmd: Decline, now: datetime) -> str | None:
    if cmd.revisit_at and cmd.revisit_at <= now:
        return "The revisit date must be in the future."
    return None


_VALUE_CHECKS: dict[Action, Callable[[Incident, Any, datetime], str | None]] = {
    Action.ACK: _check_ack,
    Action.HANDOVER: _check_handover,
    Action.JOIN: _check_join,
    Action.SEVERITY: _check_severity,
    Action.SECURITY: _check_security,
    Action.STATUSPAGE: _check_statuspage,
    Action.DECLINE: _check_decline,
}

_APPLY: dict[Action, Callable[[Incident, Any, datetime], str]] = {
    Action.ACCEPT: Incident._accept,
    Action.DECLINE: Incident._decline,
    Action.ACK: Incident._ack,
    Action.HANDOVER: Incident._handover,
    Action.JOIN: Incident._join,
    Action.LEAVE: Incident._leave,
    Action.UPDATE: Incident._update,
    Action.SEVERITY: Incident._severity,
    Action.SNOOZE: Incident._snooze,
    Action.SECURITY: Incident._security,
    Action.CRITERIA: Incident._criteria,
    Action.STATUSPAGE: Incident._statuspage,
    Action.RESOLVE: Incident._resolve,
    Action.APPROVE: Incident._approve,
    Action.REJECT: Incident._reject,
    Action.RETRO: Incident._retro,
}
