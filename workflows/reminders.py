"""The reminders and nudges of the process: when they fall due, and what they say.

Sev1 reminds around the clock; everything else waits for office hours. Pure: ``now`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from workflows import clock
from workflows.model import (
    EntryKind,
    NoticeKind,
    Severity,
    Status,
    Timer,
)
from workflows.outbox import IncidentRecord


class Reminders(IncidentRecord):
    """Timers of one incident: stale progress, DM nudges, retro due, revisit."""

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
        self.record(now, "incident-bot", EntryKind.REMINDER, text)
        self.to_channel(NoticeKind.REMINDER, text, mentions=[s.lead or ""])
        if s.reminders_unanswered % self.policy.escalate_after_reminders == 0:
            s.escalations_sent += 1
            esc = f"{s.id} has had no progress update for {quiet} despite {s.reminders_unanswered} reminders."
            self.record(now, "incident-bot", EntryKind.ESCALATION, esc)
            self.direct(NoticeKind.ESCALATION, self.policy.delivery_managers, esc)
        interval = (
            s.reminder_interval or self.policy.reminder_intervals[s.severity or Severity.SEV2]
        )
        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + interval)

    def _dm_reminder(self, timer: Timer, kind: NoticeKind, text: str, now: datetime) -> None:
        self.state.reminders_sent += 1
        self.direct(kind, self.policy.delivery_managers, f"Reminder: {text}")
        self.set_dm_timer(timer, now)

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
        self.record(now, "incident-bot", EntryKind.RETRO_DUE, text)
        self.direct(NoticeKind.RETRO_DUE, [*self.policy.delivery_managers, s.lead or ""], text)
        next_day = clock.add_working_days(now, 1, self.policy.office_hours)
        s.timers[Timer.RETRO_DUE] = clock.next_office_time(next_day, self.policy.office_hours)

    def _revisit(self, now: datetime) -> None:
        s = self.state
        s.status, s.revisit_at = Status.TRIAGE, None
        text = f"{s.id} was declined ({s.decline_reason}) to be revisited now: accept or decline it again."
        self.record(now, "incident-bot", EntryKind.REVISITED, text)
        self.direct(NoticeKind.REVISIT, self.policy.delivery_managers, text)
        self.set_dm_timer(Timer.TRIAGE, now)

    def restart_stale_clock(self, now: datetime) -> None:
        s = self.state
        s.stale_since, s.reminders_unanswered = now, 0
        s.reminder_interval = self.policy.reminder_intervals[s.severity or Severity.SEV2]
        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + s.reminder_interval)

    def set_dm_timer(self, timer: Timer, now: datetime) -> None:
        if self.policy.delivery_managers:
            self.state.timers[timer] = self.in_hours(now + self.policy.dm_reminder_interval)

    def in_hours(self, due: datetime) -> datetime:
        """Sev1 reminds around the clock; anything else waits for office hours."""
        if self.state.severity is Severity.SEV1:
            return due
        return clock.next_office_time(due, self.policy.office_hours)

    def retro_due_at(self, now: datetime) -> datetime:
        due = self.policy.retro_due[self.state.severity or Severity.SEV2]
        if due.working_days:
            working = clock.add_working_days(now, due.days, self.policy.office_hours)
            return clock.next_office_time(working, self.policy.office_hours)
        return now + timedelta(days=due.days)


_FIRE: dict[Timer, Callable[[Reminders, datetime], None]] = {
    Timer.STALE_PROGRESS: Reminders._stale_reminder,
    Timer.TRIAGE: Reminders._triage_reminder,
    Timer.ACK: Reminders._ack_reminder,
    Timer.APPROVAL: Reminders._approval_reminder,
    Timer.RETRO_DUE: Reminders._retro_reminder,
    Timer.REVISIT: Reminders._revisit,
}
