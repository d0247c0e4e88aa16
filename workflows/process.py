"""The incident process as plain state transitions: decisions only, no I/O, no clock.

:class:`Incident` is what :class:`workflows.incident.IncidentWorkflow` keeps; every method takes
``now`` from the caller, so the same code runs in the workflow and in plain unit tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from messages.summary import channel_topic
from messages.timeline import timeline_markdown
from workflows import clock, rules
from workflows.model import (
    Accept,
    Audience,
    CarriedState,
    ChangeSeverity,
    ChannelRef,
    ChannelRequest,
    Command,
    Decline,
    Effect,
    EntryKind,
    Handover,
    IncidentBrief,
    IncidentStart,
    IncidentState,
    Notice,
    NoticeKind,
    Policy,
    PostStatusPage,
    ProgressUpdate,
    Reject,
    Resolve,
    Retro,
    SetCriteria,
    Severity,
    Snooze,
    Status,
    StatusPagePost,
    StatusPageRef,
    StatusPageStatus,
    TimelineEntry,
    Timer,
    parse_user,
)
from workflows.rules import Action
from workflows.signals import REQUEST_IDS_KEPT, SignalRefused, read_signal, sender_of

CHANNEL_NAME_MAX = 80


class Incident:
    """One incident's state, timeline and outbox of effects, changed only through the process."""

    def __init__(self, carried: CarriedState, policy: Policy) -> None:
        self.state = carried.state
        self.timeline = carried.timeline
        self.outbox = carried.outbox
        self.effects_issued = carried.effects_issued
        self.request_ids = carried.request_ids
        self.policy = policy

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
        self._open_channel(now, private=s.security)
        self._announce(
            NoticeKind.DECLARED,
            f"Incident declared: {s.title} ({s.severity}), led by {s.lead}.",
            actor=actor,
        )
        self._restart_stale_clock(now)

    def _open_channel(self, now: datetime, *, private: bool) -> None:
        s = self.state
        shared = self.policy.channel_mode == "shared" and not private
        name = self.policy.response_channel if shared else _channel_name(s.id, private=private)
        # Until a DM has engaged (self-initiated, not yet acknowledged) every DM is invited.
        managers = [s.delivery_manager] if s.delivery_manager else self.policy.delivery_managers
        invite = [p for p in (s.lead, *managers, *s.supporters) if p]
        if s.security and self.policy.infosec_head:
            invite.append(self.policy.infosec_head)
        self._issue(
            ChannelRequest(
                key=self._next_key(),
                incident_id=s.id,
                name=name,
                private=private,
                topic=channel_topic(s),
                first_message=s.description or s.title,
                invite=list(dict.fromkeys(invite)),
                shared=shared,
            )
        )

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
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[cmd.to])
        self._direct(NoticeKind.TRANSITION, [cmd.to], f"You now lead {s.id}: {s.title}.")
        if s.status is Status.ACTIVE:
            self._restart_stale_clock(now)
        return text + "."

    def _join(self, cmd: Command, now: datetime) -> str:
        self.state.supporters.append(cmd.actor)
        text = f"{cmd.actor} joined {self.state.id} to help"
        self._record(now, cmd.actor, EntryKind.JOINED, text)
        self._to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
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
            self._to_channel(
                NoticeKind.SECURITY, text + "; it moves to a new private channel.", actor=cmd.actor
            )
            self._open_channel(now, private=True)
        self._tell_infosec(cmd.actor, now)
        return text + "."

    def _criteria(self, cmd: SetCriteria, now: datetime) -> str:
        self.state.resolution_criteria = cmd.text
        text = f"{cmd.actor}: we can call {self.state.id} resolved when {cmd.text}"
        self._record(now, cmd.actor, EntryKind.CRITERIA, text)
        self._to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
        return text

    def _statuspage(self, cmd: PostStatusPage, now: datetime) -> str:
        self._post_status_page(cmd.status, cmd.text)
        text = f"{cmd.actor} posted to the status page ({cmd.status}): {cmd.text}"
        self._record(now, cmd.actor, EntryKind.STATUSPAGE, text)
        self._to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
        return text

    def _post_status_page(self, status: StatusPageStatus, body: str) -> None:
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
        s.timers.clear()
        if cmd.notes:
            text = f"{cmd.actor} recorded the retro of {s.id}: {cmd.notes}"
        else:
            text = f"{cmd.actor} closed {s.id} without a retro: {cmd.skip_reason}"
        self._record(now, cmd.actor, EntryKind.CLOSED, text)
        self._to_channel(NoticeKind.CLOSED, text + ".", actor=cmd.actor)
        return text + "."

    # --- Timers ----------------------------------------------------------------------------

    def next_deadline(self) -> datetime | None:
        return min(self.state.timers.values(), default=None)

    def fire_due_timers(self, now: datetime) -> bool:
        """Act on every timer that is due; True when any was."""
        due_timers = sorted((due, timer) for timer, due in self.state.timers.items() if due <= now)
        for due, timer in due_timers:
            if self.state.timers.get(timer) == due:  # an earlier one may have replaced it
                del self.state.timers[timer]
                _FIRE[timer](self, now)
        return bool(due_timers)

    def _stale_reminder(self, now: datetime) -> None:
        s = self.state
        s.reminders_unanswered += 1
        s.reminders_sent += 1
        quiet = clock.format_duration(now - (s.stale_since or now))
        text = f"No progress update on {s.id} for {quiet}. {s.lead}, please post one."
        self._record(now, "incident-bot", EntryKind.REMINDER, text)
        self._to_channel(NoticeKind.REMINDER, text, mentions=[s.lead or ""])
        if s.reminders_unanswered % self.policy.escalate_after_reminders == 0:
            s.escalations_sent += 1
            esc = f"{s.id} has had no progress update for {quiet} despite {s.reminders_unanswered} reminders."
            self._record(now, "incident-bot", EntryKind.ESCALATION, esc)
            self._direct(NoticeKind.ESCALATION, self.policy.delivery_managers, esc)
        interval = (
            s.reminder_interval or self.policy.reminder_intervals[s.severity or Severity.SEV2]
        )
        s.timers[Timer.STALE_PROGRESS] = self._in_hours(now + interval)

    def _dm_reminder(self, timer: Timer, kind: NoticeKind, text: str, now: datetime) -> None:
        self.state.reminders_sent += 1
        self._direct(kind, self.policy.delivery_managers, f"Reminder: {text}")
        self._set_dm_timer(timer, now)

    def _triage_reminder(self, now: datetime) -> None:
        s = self.state
        self._dm_reminder(
            Timer.TRIAGE,
            NoticeKind.REPORTED,
            f"{s.id} ({s.title}) waits for a delivery manager to accept or decline it.",
            now,
        )

    def _ack_reminder(self, now: datetime) -> None:
        s = self.state
        self._dm_reminder(
            Timer.ACK,
            NoticeKind.ACK_REQUEST,
            f"{s.id} ({s.title}) was declared without a delivery manager; `incident ack {s.id}`.",
            now,
        )

    def _approval_reminder(self, now: datetime) -> None:
        s = self.state
        self._dm_reminder(
            Timer.APPROVAL,
            NoticeKind.RESOLUTION_REQUEST,
            f"{s.lead} asked to resolve {s.id} ({s.title}); approve or reject it.",
            now,
        )

    def _retro_reminder(self, now: datetime) -> None:
        s = self.state
        text = (
            f"The retro of {s.id} is due: `incident retro {s.id} --notes N` or `--skip --reason R`."
        )
        self._record(now, "incident-bot", EntryKind.RETRO_DUE, text)
        self._direct(NoticeKind.RETRO_DUE, [*self.policy.delivery_managers, s.lead or ""], text)
        next_day = clock.add_working_days(now, 1, self.policy.office_hours)
        s.timers[Timer.RETRO_DUE] = clock.next_office_time(next_day, self.policy.office_hours)

    def _revisit(self, now: datetime) -> None:
        s = self.state
        s.status, s.revisit_at = Status.TRIAGE, None
        text = f"{s.id} was declined ({s.decline_reason}) to be revisited now: accept or decline it again."
        self._record(now, "incident-bot", EntryKind.REVISITED, text)
        self._direct(NoticeKind.REVISIT, self.policy.delivery_managers, text)
        self._set_dm_timer(Timer.TRIAGE, now)

    def _restart_stale_clock(self, now: datetime) -> None:
        s = self.state
        s.stale_since, s.reminders_unanswered = now, 0
        s.reminder_interval = self.policy.reminder_intervals[s.severity or Severity.SEV2]
        s.timers[Timer.STALE_PROGRESS] = self._in_hours(now + s.reminder_interval)

    def _set_dm_timer(self, timer: Timer, now: datetime) -> None:
        if self.policy.delivery_managers:
            self.state.timers[timer] = self._in_hours(now + self.policy.dm_reminder_interval)

    def _in_hours(self, due: datetime) -> datetime:
        """Sev1 reminds around the clock; anything else waits for office hours."""
        if self.state.severity is Severity.SEV1:
            return due
        return clock.next_office_time(due, self.policy.office_hours)

    def _retro_due(self, now: datetime) -> datetime:
        due = self.policy.retro_due[self.state.severity or Severity.SEV2]
        if due.working_days:
            working = clock.add_working_days(now, due.days, self.policy.office_hours)
            return clock.next_office_time(working, self.policy.office_hours)
        return now + timedelta(days=due.days)

    # --- Effects ---------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        s = self.state
        return s.status is Status.CLOSED or (s.status is Status.DECLINED and s.revisit_at is None)

    def effect_done(
        self, effect: Effect, result: ChannelRef | StatusPageRef | None, now: datetime
    ) -> None:
        """Record an effect's outcome and drop it from the outbox."""
        if isinstance(result, ChannelRef):
            self.state.channel_id, self.state.channel_name = result.channel_id, result.name
            self.state.channel_thread_ts = result.thread_ts
            self._record(now, "incident-bot", EntryKind.CHANNEL, f"Incident channel: {result.name}")
        elif isinstance(result, StatusPageRef):
            self.state.statuspage_incident_id = result.page_incident_id
        self.outbox.remove(effect)

    def effect_failed(self, effect: Effect, reason: str, now: datetime) -> None:
        """Record an effect the transport refused for good, and drop it from the outbox."""
        self.state.failed_deliveries += 1
        what = {"notice": "message", "channel": "channel", "statuspage": "status page post"}
        self._record(
            now,
            "incident-bot",
            EntryKind.DELIVERY_FAILED,
            f"Could not deliver {what[effect.kind_of_effect]} {effect.key}: {reason}",
        )
        self.outbox.remove(effect)

    def prepared(self, effect: Effect) -> Effect:
        """The effect with what is known only now filled in (the channel, the page incident)."""
        if isinstance(effect, Notice) and effect.incident.title is not None:
            return effect.model_copy(
                update={
                    "incident": effect.incident.model_copy(
                        update={
                            "channel_id": self.state.channel_id,
                            "thread_ts": self.state.channel_thread_ts,
                        }
                    )
                }
            )
        if isinstance(effect, StatusPagePost):
            return effect.model_copy(update={"page_incident_id": self.state.statuspage_incident_id})
        return effect

    def carried(self) -> CarriedState:
        return CarriedState(
            state=self.state,
            timeline=self.timeline,
            outbox=self.outbox,
            effects_issued=self.effects_issued,
            request_ids=self.request_ids,
        )

    def _record(self, now: datetime, actor: str, kind: EntryKind, text: str) -> None:
        self.timeline.append(TimelineEntry(at=now, actor=actor, kind=kind, text=text))

    def _next_key(self) -> str:
        self.effects_issued += 1
        return f"{self.state.id}/{self.effects_issued}"

    def _issue(self, effect: Effect) -> None:
        self.outbox.append(effect)

    def _brief(self, *, public: bool) -> IncidentBrief:
        s = self.state
        sealed = public and s.security
        return IncidentBrief(
            id=s.id,
            title=None if sealed else s.title,
            severity=s.severity,
            status=s.status,
            lead=None if sealed else s.lead,
            channel_id=None if sealed else s.channel_id,
            security=s.security,
        )

    def _notice(
        self,
        kind: NoticeKind,
        audience: Audience,
        text: str,
        *,
        public: bool,
        recipients: list[str] | None = None,
        actor: str | None = None,
        mentions: list[str] | None = None,
    ) -> None:
        self._issue(
            Notice(
                key=self._next_key(),
                kind=kind,
                audience=audience,
                recipients=recipients or [],
                incident=self._brief(public=public),
                actor=actor,
                text=text,
                mentions=[m for m in mentions or [] if m],
            )
        )

    def _to_channel(
        self,
        kind: NoticeKind,
        text: str,
        *,
        actor: str | None = None,
        mentions: list[str] | None = None,
    ) -> None:
        public = self.policy.channel_mode == "shared" and not self.state.security
        self._notice(
            kind, Audience.INCIDENT_CHANNEL, text, public=public, actor=actor, mentions=mentions
        )

    def _announce(self, kind: NoticeKind, text: str, *, actor: str | None = None) -> None:
        """Post in the platform channel; a security incident is never described there."""
        if self.state.security:
            text = _sealed_announcement(kind)
            actor = None  # who declared or resolved it (often the lead) is a detail too
        self._notice(kind, Audience.PLATFORM_CHANNEL, text, public=True, actor=actor)

    def _seal_outbox(self) -> bool:
        """Seal what was decided before the incident became confidential and is not yet out.

        Public announcements lose their details, status page posts are dropped, and a public
        channel not yet opened is opened private instead (True when there was one).
        """
        sealed: list[Effect] = []
        channel_sealed = False
        for effect in self.outbox:
            if isinstance(effect, StatusPagePost):
                continue
            if isinstance(effect, Notice) and effect.audience is Audience.PLATFORM_CHANNEL:
                effect = effect.model_copy(
                    update={
                        "incident": self._brief(public=True),
                        "actor": None,
                        "text": _sealed_announcement(effect.kind),
                    }
                )
            elif isinstance(effect, ChannelRequest) and not effect.private:
                invite = [*effect.invite, self.policy.infosec_head or ""]
                effect = effect.model_copy(
                    update={
                        "private": True,
                        "name": _channel_name(self.state.id, private=True),
                        "invite": list(dict.fromkeys(p for p in invite if p)),
                    }
                )
                channel_sealed = True
            sealed.append(effect)
        self.outbox[:] = sealed
        return channel_sealed

    def _direct(
        self, kind: NoticeKind, recipients: list[str], text: str, *, actor: str | None = None
    ) -> None:
        people = list(dict.fromkeys(p for p in recipients if p))
        if people:
            self._notice(kind, Audience.DIRECT, text, public=False, recipients=people, actor=actor)


def _sealed_announcement(kind: NoticeKind) -> str:
    if kind is NoticeKind.RESOLVED:
        return "A confidential incident has been resolved."
    return "A confidential incident is being handled."


def _channel_name(incident_id: str, *, private: bool) -> str:
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in incident_id.lower())
    if not base.startswith("inc-"):
        base = f"inc-{base}"
    suffix = "-private" if private else ""
    return base[: CHANNEL_NAME_MAX - len(suffix)] + suffix


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

_FIRE: dict[Timer, Callable[[Incident, datetime], None]] = {
    Timer.STALE_PROGRESS: Incident._stale_reminder,
    Timer.TRIAGE: Incident._triage_reminder,
    Timer.ACK: Incident._ack_reminder,
    Timer.APPROVAL: Incident._approval_reminder,
    Timer.RETRO_DUE: Incident._retro_reminder,
    Timer.REVISIT: Incident._revisit,
}
