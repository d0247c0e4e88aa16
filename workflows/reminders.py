"""The reminders and nudges of the process: when they fall due, and what they say.

Sev1 reminds around the clock; everything else waits for office hours. Pure: ``now`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from messages import sentences as say
from workflows import clock
from workflows.model import (
    EntryKind,
    IncidentState,
    NoticeKind,
    Policy,
    Severity,
    Status,
    Timer,
)
from workflows.notices import Notices

Record = Callable[[datetime, str, EntryKind, str], None]
BOT = "incident-bot"


class Reminders:
    """The timers of one incident (stale progress, DM nudges, retro due, revisit): when each is
    due and what it does when it fires."""

    def __init__(
        self, state: IncidentState, policy: Policy, notices: Notices, record: Record
    ) -> None:
        self._state = state
        self._policy = policy
        self._notices = notices
        self._record = record

    def next_deadline(self) -> datetime | None:
        return min(self._state.timers.values(), default=None)

    def fire_due_timers(self, now: datetime) -> bool:
        """Act on every timer that is due; True when any was."""
        timers = self._state.timers
        due_timers = sorted((due, timer) for timer, due in timers.items() if due <= now)
        for due, timer in due_timers:
            if timers.get(timer) == due:  # an earlier one may have replaced it
                del timers[timer]
                _FIRE[timer](self, now)
        return bool(due_timers)

    # --- Setting them ----------------------------------------------------------------------------

    def restart_stale_clock(self, now: datetime) -> None:
        s = self._state
        s.stale_since, s.reminders_unanswered = now, 0
        s.reminder_interval = self._policy.reminder_intervals[s.severity or Severity.SEV2]
        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + s.reminder_interval)

    def set_dm_timer(self, timer: Timer, now: datetime) -> None:
        if self._policy.delivery_managers:
            self._state.timers[timer] = self.in_hours(now + self._policy.dm_reminder_interval)

    def in_hours(self, due: datetime) -> datetime:
        """Sev1 reminds around the clock; anything else waits for office hours."""
        if self._state.severity is Severity.SEV1:
            return due
        return clock.next_office_time(due, self._policy.office_hours)

    def retro_due_at(self, now: datetime) -> datetime:
        due = self._policy.retro_due[self._state.severity or Severity.SEV2]
        if due.working_days:
            working = clock.add_working_days(now, due.days, self._policy.office_hours)
            return clock.next_office_time(working, self._policy.office_hours)
        return now + timedelta(days=due.days)

    # --- When they fire ----------------------------------------------------------------------------

    def _stale_reminder(self, now: datetime) -> None:
        s = self._state
        s.reminders_unanswered += 1
        s.reminders_sent += 1
        quiet = clock.format_duration(now - (s.stale_since or now))
        text = say.stale_progress(s, quiet)
        self._record(now, BOT, EntryKind.REMINDER, text)
        self._notices.to_channel(NoticeKind.REMINDER, text, mentions=[s.lead or ""])
        if s.reminders_unanswered % self._policy.escalate_after_reminders == 0:
            s.escalations_sent += 1
            esc = say.escalation(s, quiet)
            self._record(now, BOT, EntryKind.ESCALATION, esc)
            self._notices.direct(NoticeKind.ESCALATION, self._policy.delivery_managers, esc)
        interval = (
            s.reminder_interval or self._policy.reminder_intervals[s.severity or Severity.SEV2]
        )
        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + interval)

    def _dm_reminder(self, timer: Timer, kind: NoticeKind, text: str, now: datetime) -> None:
        self._state.reminders_sent += 1
        self._notices.direct(kind, self._policy.delivery_managers, say.dm_reminder(text))
        self.set_dm_timer(timer, now)

    def _triage_reminder(self, now: datetime) -> None:
        s = self._state
        self._dm_reminder(
            Timer.TRIAGE,
            NoticeKind.REPORTED,
            say.waits_for_triage(s),
            now,
        )

    def _ack_reminder(self, now: datetime) -> None:
        s = self._state
        self._dm_reminder(
            Timer.ACK,
            NoticeKind.ACK_REQUEST,
            say.waits_for_ack(s),
            now,
        )

    def _approval_reminder(self, now: datetime) -> None:
        s = self._state
        self._dm_reminder(
            Timer.APPROVAL,
            NoticeKind.RESOLUTION_REQUEST,
            say.waits_for_approval(s),
            now,
        )

    def _retro_reminder(self, now: datetime) -> None:
        s = self._state
        text = say.retro_due(s)
        self._record(now, BOT, EntryKind.RETRO_DUE, text)
        self._notices.direct(
            NoticeKind.RETRO_DUE, [*self._policy.delivery_managers, s.lead or ""], text
        )
        next_day = clock.add_working_days(now, 1, self._policy.office_hours)
        s.timers[Timer.RETRO_DUE] = clock.next_office_time(next_day, self._policy.office_hours)

    def _revisit(self, now: datetime) -> None:
        s = self._state
        s.status, s.revisit_at = Status.TRIAGE, None
        text = say.revisit(s)
        self._record(now, BOT, EntryKind.REVISITED, text)
        self._notices.direct(NoticeKind.REVISIT, self._policy.delivery_managers, text)
        self.set_dm_timer(Timer.TRIAGE, now)


_FIRE: dict[Timer, Callable[[Reminders, datetime], None]] = {
    Timer.STALE_PROGRESS: Reminders._stale_reminder,
    Timer.TRIAGE: Reminders._triage_reminder,
    Timer.ACK: Reminders._ack_reminder,
    Timer.APPROVAL: Reminders._approval_reminder,
    Timer.RETRO_DUE: Reminders._retro_reminder,
    Timer.REVISIT: Reminders._revisit,
}
