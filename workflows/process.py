"""The incident process as plain state transitions: decisions only, no I/O, no clock.

:class:`Incident` is what :class:`workflows.incident.IncidentWorkflow` keeps: its facts and
timeline, with three parts: the outbox (``workflows/outbox.py``: what waits to be delivered, in
lanes), the notices (``workflows/notices.py``: what is said where) and the reminders
(``workflows/reminders.py``: its timers). Every method takes ``now`` from the caller, so the same
code runs in the workflow and in plain unit tests. The commands are in ``workflows/commands/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from messages import sentences as say
from messages.retro import retro_draft, retro_file_name
from messages.timeline import timeline_markdown
from workflows import alarm_events, rules
from workflows.commands import COMMANDS
from workflows.destinations import FOLLOWING_THE_TIMELINE
from workflows.destinations.base import IncidentView
from workflows.destinations.slack import (
    ChannelRef,
    ChannelRequest,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import StatusPageRef
from workflows.model import (
    Action,
    Arrival,
    CarriedState,
    Command,
    Effect,
    EntryKind,
    IncidentStart,
    IncidentState,
    Model,
    Policy,
    Severity,
    Status,
    StatusPageStatus,
    TimelineEntry,
    Timer,
)
from workflows.notices import Notices
from workflows.outbox import Outbox
from workflows.reminders import BOT, Reminders
from workflows.rules import Role
from workflows.signals import REQUEST_IDS_KEPT, SignalRefused, read_signal, sender_of
from workflows.vocabulary.basics import parse_user


class Incident:
    """One incident, changed only through the process: opening, commands, refusals."""

    def __init__(self, carried: CarriedState, policy: Policy) -> None:
        self.state = carried.state
        self.timeline = carried.entries()
        self.request_ids = carried.request_ids
        self.policy = policy
        self.outbox = Outbox(self.state, carried)
        self.notices = Notices(self.state, policy, self.outbox)
        self.reminders = Reminders(
            self.state, self.timeline, policy, self.notices, self.record, self.follow_timeline
        )
        self._followed = len(self.timeline)  # what the timeline's followers have seen
        self._arrival: Arrival | None = None  # how the command being applied arrived

    @property
    def finished(self) -> bool:
        s = self.state
        return s.status is Status.CLOSED or (s.status is Status.DECLINED and s.revisit_at is None)

    def record(self, now: datetime, actor: str, kind: EntryKind, text: str) -> None:
        self.timeline.append(
            TimelineEntry(at=now, actor=actor, kind=kind, text=text, arrived_via=self._arrival)
        )

    @contextmanager
    def _arriving(self, via: Arrival, *, counted: bool = True) -> Iterator[None]:
        """While a command that arrived ``via`` is applied, every entry it records says so, and
        (``counted``) the incident counts it."""
        if counted:
            self.state.arrivals[via] = self.state.arrivals.get(via, 0) + 1
        self._arrival = via
        try:
            yield
        finally:
            self._arrival = None

    def follow_timeline(self) -> None:
        """Show what was recorded since last time to those who follow the timeline: reminder
        rules and destinations that act on their own. Called once a command, timer or delivery
        is done, so they see its outcome."""
        new_entries = self.timeline[self._followed :]
        self._followed = len(self.timeline)
        view: IncidentView = self
        for entry in new_entries:
            self.reminders.follow(entry)
            for kind in FOLLOWING_THE_TIMELINE:
                for effect in kind.follows(view, entry):
                    keyed = effect.model_copy(update={"key": self.outbox.next_key()})
                    self.outbox.issue(cast(Effect, keyed))  # one of EFFECT_TYPES

    def retro_document(self) -> tuple[str, str]:
        """The retro's file name and markdown, as `retro-doc` writes them (IncidentView)."""
        zone = ZoneInfo(self.policy.office_hours.timezone)
        return retro_file_name(self.state, zone), retro_draft(self.state, self.timeline, zone=zone)

    def carried(self) -> CarriedState:
        """Everything the next run needs after continue-as-new."""
        return CarriedState.packing(
            self.timeline,
            state=self.state,
            outbox=self.outbox.effects,
            effects_issued=self.outbox.issued,
            request_ids=self.request_ids,
            queued_at=self.outbox.queued_at,
        )

    # --- Opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, start: IncidentStart, now: datetime) -> Incident:
        # The workflow always opens with the policy recorded; a starter previewing the opening
        # (its search attributes, temporal_client/client.py) opens under the defaults.
        policy = start.policy if start.policy is not None else Policy()
        if start.carried is not None:
            incident = cls(start.carried, policy)
            incident.state.runs += 1
            return incident
        state = IncidentState(
            id=start.id,
            title=start.title,
            description=start.description,
            status=Status.TRIAGE,
            reporter=start.actor,
            security=start.security,
            delivery_managers=list(policy.delivery_managers),
            created_at=now,
        )
        incident = cls(CarriedState(state=state, timeline=[], outbox=[], effects_issued=0), policy)
        with incident._arriving(start.arrived_via):
            if start.declare:
                incident._declare(start, now)
            else:
                incident._report(start, now)
            if start.security:
                incident.tell_infosec(start.actor, now)
        incident.follow_timeline()
        return incident

    def _report(self, start: IncidentStart, now: datetime) -> None:
        if start.alarm is not None:
            alarm_events.open_report(self, start, now)
            return
        self.record(
            now, start.actor, EntryKind.REPORTED, say.reported(start.title, start.description)
        )
        self.notices.direct(
            NoticeKind.REPORTED,
            self.policy.delivery_managers,
            say.report_to_triage(start.actor, start.title, start.id),
            actor=start.actor,
        )
        self.reminders.set_dm_timer(Timer.TRIAGE, now)

    def _declare(self, start: IncidentStart, now: datetime) -> None:
        s = self.state
        s.self_initiated = start.actor not in self.policy.delivery_managers
        s.lead = start.lead or start.actor
        s.severity = start.severity or Severity.SEV2
        self.record(
            now,
            start.actor,
            EntryKind.DECLARED,
            say.declared(s),
        )
        if s.self_initiated:
            self.notices.direct(
                NoticeKind.ACK_REQUEST,
                self.policy.delivery_managers,
                say.ack_request(start.actor, s),
                actor=start.actor,
            )
            self.reminders.set_dm_timer(Timer.ACK, now)
        else:
            s.delivery_manager = start.actor
            s.acknowledged_at = now
        self.activate(now, start.actor)

    def activate(self, now: datetime, actor: str) -> None:
        s = self.state
        s.status = Status.ACTIVE
        s.active_at = now
        self.notices.open_channel(private=s.security)
        self.notices.announce(
            NoticeKind.DECLARED,
            say.announcement(s),
            actor=actor,
        )
        self.reminders.restart_stale_clock(now)

    def tell_infosec(self, actor: str, now: datetime) -> None:
        head = self.policy.infosec_head
        if head:
            self.notices.direct(
                NoticeKind.SECURITY,
                [head],
                say.infosec_told(self.state),
                actor=actor,
            )

    def awaits_delivery_managers(self, action: Action) -> bool:
        """True when ``action`` is a delivery manager's and none is known: the worker's people are
        read again before the command is judged (:meth:`adopt_delivery_managers`)."""
        return not self.policy.delivery_managers and Role.DELIVERY_MANAGER in (
            COMMANDS[action].rule.roles
        )

    def adopt_delivery_managers(self, people: list[str], now: datetime) -> bool:
        """An incident opened while the worker named no delivery managers takes the ones it names
        now: recorded, and they are told what waits for them. False when there are none yet."""
        if self.policy.delivery_managers or not people:
            return False
        self.policy.delivery_managers = list(people)
        self.state.delivery_managers = list(people)
        self.record(now, BOT, EntryKind.DELIVERY_MANAGERS, say.delivery_managers_adopted(people))
        self.notices.direct(
            NoticeKind.TRANSITION, people, say.delivery_managers_told(self.state), actor=BOT
        )
        self.follow_timeline()
        return True

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
        with self._arriving(Arrival.SIGNAL, counted=False):
            self.record(
                now,
                sender or "unknown sender",
                EntryKind.REFUSED,
                say.signal_refused(name, reason),
            )
        if sender:
            self.notices.direct(
                NoticeKind.REFUSED,
                [sender],
                say.your_signal_refused(name, self.state, reason),
            )

    def apply(self, action: Action, command: Command, now: datetime) -> str:
        """Carry out an allowed command and return the sentence that records it."""
        with self._arriving(command.arrived_via):
            text = COMMANDS[action].apply(self, command, now)
        self.follow_timeline()
        return text

    def mark_resolved(self, actor: str, now: datetime, *, on_criteria: bool = False) -> str:
        """Resolved by a delivery manager, or (``on_criteria``) by the lead on the criteria a
        delivery manager set in advance."""
        s = self.state
        s.status, s.resolved_at = Status.RESOLVED, now
        if not on_criteria:
            s.delivery_manager = s.delivery_manager or actor
        s.timers.clear()
        s.timers[Timer.RETRO_DUE] = self.reminders.retro_due_at(now)
        text = say.resolved_on_criteria(actor, s) if on_criteria else say.resolved(actor, s)
        self.record(now, actor, EntryKind.RESOLVED, text)
        self.notices.to_channel(NoticeKind.RESOLVED, text + ".", actor=actor)
        self.notices.announce(NoticeKind.RESOLVED, say.resolved_announcement(s), actor=actor)
        if s.statuspage_status not in (None, StatusPageStatus.RESOLVED) and not s.security:
            self.notices.post_status_page(StatusPageStatus.RESOLVED, say.PAGE_RESOLVED)
        self.notices.to_channel(NoticeKind.TIMELINE, timeline_markdown(s, self.timeline))
        zone = ZoneInfo(self.policy.office_hours.timezone)
        draft = retro_draft(s, self.timeline, zone=zone)
        self.notices.to_channel(
            NoticeKind.RETRO_DRAFT, say.retro_draft_message(retro_file_name(s, zone), draft)
        )
        return text + "."

    # --- Deliveries ------------------------------------------------------------------------

    def effect_done(self, effect: Effect, result: Model | None, now: datetime) -> None:
        """Record an effect's outcome and drop it from the outbox."""
        s = self.state
        self.outbox.drop(effect)
        if isinstance(result, ChannelRef):
            if s.channel_id != result.channel_id:  # a new channel gets its own pinned summary
                s.standing.pop(Standing.SUMMARY, None)
                s.standing_texts.pop(Standing.SUMMARY, None)
            s.channel_id, s.channel_name = result.channel_id, result.name
            s.channel_thread_ts = result.thread_ts
            if result.summary is not None and isinstance(effect, ChannelRequest):
                self.notices.summary_posted(effect, result.summary)
            self.record(now, BOT, EntryKind.CHANNEL, say.channel_opened(result.name))
            if isinstance(effect, ChannelRequest) and not effect.private and s.security:
                # Marked confidential while its public channel was being opened: move on.
                self.notices.move_to_private_channel()
        elif isinstance(result, StatusPageRef):
            s.statuspage_incident_id = result.page_incident_id
            if s.security:  # created while the incident was being marked confidential
                self.notices.resolve_public_page()
        elif isinstance(result, PostedRef) and isinstance(effect, Notice) and effect.standing:
            s.standing[effect.standing] = result
            if effect.incident.channel_id:
                s.standing_links[effect.standing] = effect.incident.channel_id
        link = effect.delivered(result)
        if link is not None:
            s.links[link.label] = link.url
            text = say.linked(link.label, link.url)
            self.record(now, BOT, EntryKind.LINKED, text)
            if s.status is not Status.CLOSED:  # a closed incident's channel may be archived
                self.notices.to_channel(NoticeKind.TRANSITION, text)
        self.follow_timeline()

    def effect_failed(self, effect: Effect, reason: str, now: datetime) -> None:
        """Record an effect the transport refused for good, and drop it from the outbox."""
        self.state.failed_deliveries += 1
        self.record(
            now,
            BOT,
            EntryKind.DELIVERY_FAILED,
            say.delivery_failed(effect.kind_of_effect, effect.key, reason),
        )
        self.outbox.drop(effect)
        self.follow_timeline()
