"""The reminders and nudges of the process: when they fall due, and what they do.

Every timer of an incident is one entry of ``RULES``: its name, what it does when it fires, and,
for a rule that follows the timeline, what (re)starts or stops it. A new reminder rule is its
name in ``Timer`` (``workflows/model/state.py``), one entry here, its words and its names in
``messages/reminder_sentences.py`` and, when it is configurable, its field in ``Policy`` (which
names its setting). Sev1 reminds around the clock; everything else waits for office hours.
Pure: ``now`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from messages import alarm_sentences as alarm_say
from messages import reminder_sentences as say
from workflows import clock
from workflows.destinations.slack import NoticeKind
from workflows.model import (
    EntryKind,
    IncidentState,
    Policy,
    Severity,
    Status,
    StatusPageStatus,
    TimelineEntry,
    Timer,
)
from workflows.notices import Notices
from workflows.rules import involved
from workflows.vocabulary.basics import WORKING_STATUSES

Record = Callable[[datetime, str, EntryKind, str], None]
BOT = "incident-bot"


class Reminders:
    """The timers of one incident (stale progress, DM nudges, retro due, revisit): when each is
    due and what it does when it fires."""

    def __init__(
        self,
        state: IncidentState,
        timeline: list[TimelineEntry],
        policy: Policy,
        notices: Notices,
        record: Record,
        follow_timeline: Callable[[], None],
    ) -> None:
        self._state = state
        self._timeline = timeline
        self._policy = policy
        self._notices = notices
        self._record = record
        self._follow_timeline = follow_timeline

    def follow(self, entry: TimelineEntry) -> None:
        """Let the rules that follow the timeline (re)start or stop their timers; called once
        the command or timer that recorded ``entry`` is done, so they see its outcome."""
        for rule in RULES.values():
            if rule.follows is not None:
                rule.follows(self, entry)

    def next_deadline(self) -> datetime | None:
        return min(self._state.timers.values(), default=None)

    def due_at(self, deadline: datetime) -> str | None:
        """What falls due at ``deadline`` ("stale-progress reminder due"), for the Web UI."""
        due = sorted(timer for timer, at in self._state.timers.items() if at == deadline)
        return ", ".join(say.TIMER_DUE[timer] for timer in due) or None

    def fire_due_timers(self, now: datetime) -> bool:
        """Act on every timer that is due; True when any was."""
        timers = self._state.timers
        due_timers = sorted((due, timer) for timer, due in timers.items() if due <= now)
        for due, timer in due_timers:
            if timers.get(timer) == due:  # an earlier one may have replaced it
                del timers[timer]
                RULES[timer].fire(self, now)
        self._follow_timeline()
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

    def _by_severity(self, cadence: dict[Severity, timedelta] | None) -> timedelta | None:
        """The incident's interval in a per-severity cadence; None when it has none (or the
        cadence is not in its policy: incidents begun before it)."""
        return (cadence or {}).get(self._state.severity or Severity.SEV2)

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

    # --- The status page's cadence ------------------------------------------------------------

    def _follow_status_page(self, entry: TimelineEntry) -> None:
        """Due ``cadence`` after the last post to the status page while its incident there is
        open and the incident is being worked on. Off for incidents begun before it (their
        policy has no cadence)."""
        s = self._state
        cadence = self._policy.statuspage_reminder
        if cadence is None or entry.kind not in _PAGE_CLOCK_ENTRIES:
            return
        interval = cadence.get(s.severity or Severity.SEV2)
        last_post = self._last_page_post()
        page_open = s.statuspage_status not in (None, StatusPageStatus.RESOLVED)
        if interval is None or last_post is None or not page_open or s.security:
            s.timers.pop(Timer.STATUS_PAGE, None)
        elif s.status in WORKING_STATUSES:
            s.timers[Timer.STATUS_PAGE] = self.in_hours(last_post + interval)

    def _last_page_post(self) -> datetime | None:
        """When the status page was last posted to (reopening the incident posts to it)."""
        posts = (e.at for e in reversed(self._timeline) if e.kind in _PAGE_POSTS)
        return next(posts, None)

    def _status_page_reminder(self, now: datetime) -> None:
        s = self._state
        interval = self._by_severity(self._policy.statuspage_reminder)
        if interval is None:
            return
        s.reminders_sent += 1
        quiet = clock.format_duration(now - (self._last_page_post() or now))
        text = say.status_page_quiet(s, quiet)
        self._record(now, BOT, EntryKind.REMINDER, text)
        self._notices.direct(NoticeKind.REMINDER, self._policy.delivery_managers, text)
        s.timers[Timer.STATUS_PAGE] = self.in_hours(now + interval)

    # --- Asked to help -------------------------------------------------------------------------

    def _follow_asks(self, entry: TimelineEntry) -> None:
        """An ask unanswered for its cadence is nudged once; the timer serves the next one due."""
        if entry.kind in _ASK_ENTRIES:
            self._set_ask_timer()

    def _set_ask_timer(self) -> None:
        s = self._state
        interval = self._by_severity(self._policy.ask_reminder)
        due = [
            self.in_hours(at + interval)
            for person, at in s.asked.items()
            if interval is not None and person not in s.asked_nudged
        ]
        if due and s.status in WORKING_STATUSES:
            s.timers[Timer.ASK] = min(due)
        else:
            s.timers.pop(Timer.ASK, None)

    def _ask_reminder(self, now: datetime) -> None:
        s = self._state
        interval = self._by_severity(self._policy.ask_reminder)
        if interval is None:
            return
        for person, at in s.asked.items():
            if person not in s.asked_nudged and self.in_hours(at + interval) <= now:
                s.asked_nudged.append(person)
                s.reminders_sent += 1
                self._notices.direct(NoticeKind.REMINDER, [person], say.asked_again(s))
        self._set_ask_timer()

    # --- The retro, when it is scheduled ---------------------------------------------------

    def _follow_retro_schedule(self, entry: TimelineEntry) -> None:
        """At the time set, the people involved are told; "retro due" nudges wait until the
        working day after it."""
        s = self._state
        if entry.kind is not EntryKind.RETRO_SCHEDULED or s.retro_scheduled_at is None:
            return
        s.timers[Timer.RETRO_MEETING] = s.retro_scheduled_at
        due = s.timers.get(Timer.RETRO_DUE)
        if due is not None and due <= s.retro_scheduled_at:
            next_day = clock.add_working_days(s.retro_scheduled_at, 1, self._policy.office_hours)
            s.timers[Timer.RETRO_DUE] = clock.next_office_time(next_day, self._policy.office_hours)

    def _retro_starts(self, now: datetime) -> None:
        s = self._state
        people = involved(s, self._policy)
        self._notices.direct(NoticeKind.RETRO_DUE, people, say.retro_starts(s))

    # --- An alarm's report, until a delivery manager answers it --------------------------

    def _follow_alert(self, entry: TimelineEntry) -> None:
        if entry.kind in _ALERT_ANSWERS:
            self._state.timers.pop(Timer.ALERT, None)

    def _alert_reminder(self, now: datetime) -> None:
        """Nudge the delivery managers at any hour; after ``escalate_after_reminders`` unanswered
        nudges the platform channel is told, naming them."""
        s = self._state
        s.reminders_unanswered += 1
        s.reminders_sent += 1
        waiting = now - s.created_at
        text = alarm_say.alarm_unanswered(s, waiting)
        self._record(now, BOT, EntryKind.REMINDER, text)
        self._notices.direct(NoticeKind.REMINDER, self._policy.delivery_managers, text)
        if s.reminders_unanswered % self._policy.escalate_after_reminders == 0:
            s.escalations_sent += 1
            esc = alarm_say.alarm_escalated(s, waiting, self._policy.delivery_managers)
            self._record(now, BOT, EntryKind.ESCALATION, esc)
            self._notices.announce(NoticeKind.ESCALATION, esc)
        s.timers[Timer.ALERT] = now + self._policy.alert_reminder


# What answers an alarm's report: a delivery manager deciding, or saying they are looking.
_ALERT_ANSWERS = frozenset({EntryKind.ACCEPTED, EntryKind.DECLINED, EntryKind.ACKNOWLEDGED})

# What may change when an ask is due: an ask, its answer, the severity (its cadence), a handover.
_ASK_ENTRIES = frozenset(
    {EntryKind.ASKED, EntryKind.JOINED, EntryKind.BUSY, EntryKind.SEVERITY, EntryKind.HANDOVER}
)

# What may change the status page's clock: a post, the severity (its cadence), confidentiality.
_PAGE_POSTS = frozenset({EntryKind.STATUSPAGE, EntryKind.REOPENED})
_PAGE_CLOCK_ENTRIES = _PAGE_POSTS | {EntryKind.SEVERITY, EntryKind.SECURITY}


@dataclass(frozen=True)
class ReminderRule:
    """One timer: what it does when it fires and, if it follows the timeline, what sets it.
    Rules without ``follows`` are set by the commands that start them."""

    fire: Callable[[Reminders, datetime], None]
    follows: Callable[[Reminders, TimelineEntry], None] | None = None


RULES: dict[Timer, ReminderRule] = {
    Timer.STALE_PROGRESS: ReminderRule(Reminders._stale_reminder),
    Timer.TRIAGE: ReminderRule(Reminders._triage_reminder),
    Timer.ACK: ReminderRule(Reminders._ack_reminder),
    Timer.APPROVAL: ReminderRule(Reminders._approval_reminder),
    Timer.RETRO_DUE: ReminderRule(Reminders._retro_reminder),
    Timer.REVISIT: ReminderRule(Reminders._revisit),
    Timer.STATUS_PAGE: ReminderRule(
        Reminders._status_page_reminder, follows=Reminders._follow_status_page
    ),
    Timer.ASK: ReminderRule(Reminders._ask_reminder, follows=Reminders._follow_asks),
    Timer.RETRO_MEETING: ReminderRule(
        Reminders._retro_starts, follows=Reminders._follow_retro_schedule
    ),
    Timer.ALERT: ReminderRule(Reminders._alert_reminder, follows=Reminders._follow_alert),
}
