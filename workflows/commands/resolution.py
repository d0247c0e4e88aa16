"""Ending an incident: the lead asks and a delivery manager resolves ("it's up to a delivery
manager to declare/approve an incident resolved"), then the retro closes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from messages import sentences as say
from workflows.commands.host import CommandHost, CommandView
from workflows.commands.spec import DM, LEAD_OR_DM, CommandSpec, rule
from workflows.destinations.slack import NoticeKind
from workflows.model import Action, Command, EntryKind, Status, StatusPageStatus, Timer
from workflows.model.commands import Reject, Reopen, Resolve, Retro, ScheduleRetro
from workflows.rules import involved


def resolve(incident: CommandHost, cmd: Resolve, now: datetime) -> str:
    s = incident.state
    s.resolution_summary = cmd.summary or s.resolution_summary
    if cmd.actor in incident.policy.delivery_managers:
        return incident.mark_resolved(cmd.actor, now)
    if cmd.criteria_met and s.resolution_criteria:
        # "There may be situations where this is so obvious as to be unnecessary": the DMs
        # said in advance when it could be called resolved. They are told, and can reopen it.
        text = incident.mark_resolved(cmd.actor, now, on_criteria=True)
        incident.notices.direct(
            NoticeKind.RESOLVED, incident.policy.delivery_managers, text, actor=cmd.actor
        )
        return text
    s.status, s.resolution_requested_at = Status.AWAITING_APPROVAL, now
    s.timers.pop(Timer.STALE_PROGRESS, None)
    text = say.resolution_requested(cmd.actor, s, cmd.summary)
    if cmd.criteria_met:
        text += say.NO_CRITERIA_SET
    incident.record(now, cmd.actor, EntryKind.RESOLUTION_REQUESTED, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    incident.notices.direct(
        NoticeKind.RESOLUTION_REQUEST,
        incident.policy.delivery_managers,
        say.resolution_request(cmd.actor, s, cmd.summary),
        actor=cmd.actor,
    )
    incident.reminders.set_dm_timer(Timer.APPROVAL, now)
    return text + "."


def approve(incident: CommandHost, cmd: Command, now: datetime) -> str:
    return incident.mark_resolved(cmd.actor, now)


def reject(incident: CommandHost, cmd: Reject, now: datetime) -> str:
    s = incident.state
    s.status, s.rejection_reason = Status.ACTIVE, cmd.reason
    s.timers.pop(Timer.APPROVAL, None)
    text = say.rejected(cmd.actor, s, cmd.reason)
    incident.record(now, cmd.actor, EntryKind.REJECTED, text)
    incident.notices.to_channel(
        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[s.lead or ""]
    )
    incident.reminders.restart_stale_clock(now)
    return text + "."


def reopen(incident: CommandHost, cmd: Reopen, now: datetime) -> str:
    """It came back before the retro: active again, reminders resume, the page says so."""
    s = incident.state
    s.status, s.resolved_at = Status.ACTIVE, None
    s.times_reopened += 1
    s.timers.pop(Timer.RETRO_DUE, None)
    text = say.reopened(cmd.actor, s, cmd.reason)
    incident.record(now, cmd.actor, EntryKind.REOPENED, text)
    incident.notices.to_channel(
        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[s.lead or ""]
    )
    incident.notices.direct(NoticeKind.TRANSITION, incident.policy.delivery_managers, text + ".")
    if not s.security:  # the platform channel heard it resolved; never a confidential one's title
        incident.notices.announce(
            NoticeKind.TRANSITION, say.reopened_announcement(s), actor=cmd.actor
        )
    if (
        s.statuspage_status is StatusPageStatus.RESOLVED
        and s.statuspage_incident_id
        and not s.security
    ):
        incident.notices.post_status_page(
            StatusPageStatus.INVESTIGATING,
            say.PAGE_REOPENED,
        )
    incident.reminders.restart_stale_clock(now)
    return text + "."


def schedule(incident: CommandHost, cmd: ScheduleRetro, now: datetime) -> str:
    """ "Schedule a post-mortem": the people involved are told now and reminded at the time."""
    s = incident.state
    s.retro_scheduled_at = cmd.at
    zone = ZoneInfo(incident.policy.office_hours.timezone)
    text = say.retro_scheduled(cmd.actor, s, cmd.at.astimezone(zone))
    incident.record(now, cmd.actor, EntryKind.RETRO_SCHEDULED, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    incident.notices.direct(NoticeKind.TRANSITION, involved(s, incident.policy), text + ".")
    return text + "."


def check_schedule(incident: CommandView, cmd: ScheduleRetro, now: datetime) -> str | None:
    if cmd.at <= now:
        return say.retro_in_the_past(incident.state)
    return None


def retro(incident: CommandHost, cmd: Retro, now: datetime) -> str:
    s = incident.state
    s.status, s.closed_at = Status.CLOSED, now
    s.retro_notes, s.retro_skipped_reason = cmd.notes, cmd.skip_reason
    s.retro_actions = list(cmd.actions)
    s.retro_action_owners = list(cmd.action_owners)
    s.timers.clear()
    text = say.closed(cmd.actor, s, cmd.notes, cmd.skip_reason)
    incident.record(now, cmd.actor, EntryKind.CLOSED, text)
    closing = say.closing_message(text, cmd.actions)
    archive = incident.policy.archive_on_close and s.channel_thread_ts is None
    incident.notices.to_channel(
        NoticeKind.CLOSED, closing, actor=cmd.actor, archive_channel=archive
    )
    return closing


def read_dm_approval(body: dict[str, Any]) -> tuple[Action, Command]:
    """``dm_approval`` carries both answers: ``"approved": false`` (with a reason) rejects."""
    fields = {k: v for k, v in body.items() if k != "approved"}
    if body.get("approved", True) is True:
        return Action.APPROVE, Command.model_validate(fields)
    return Action.REJECT, Reject.model_validate(fields)


COMMANDS = [
    # A DM declares or approves an incident resolved; the lead asks.
    CommandSpec(
        Action.RESOLVE,
        Resolve,
        rule(LEAD_OR_DM, {Status.ACTIVE}, "resolve an incident"),
        "Lead: ask the delivery managers to resolve. Delivery manager: resolve.",
        resolve,
        signal="resolved",
    ),
    CommandSpec(
        Action.APPROVE,
        Command,
        rule(DM, {Status.AWAITING_APPROVAL}, "approve a resolution"),
        "Delivery manager: approve a resolution request.",
        approve,
        signal="dm_approval",
        read_signal=read_dm_approval,
    ),
    CommandSpec(
        Action.REJECT,
        Reject,
        rule(DM, {Status.AWAITING_APPROVAL}, "reject a resolution"),
        "Delivery manager: reject a resolution request; the incident is active again.",
        reject,
    ),
    # Incidents recur: reopened before the retro closes it.
    CommandSpec(
        Action.REOPEN,
        Reopen,
        rule(LEAD_OR_DM, {Status.RESOLVED}, "reopen an incident"),
        "Lead or DM: reopen a resolved incident (before its retro); reminders resume.",
        reopen,
    ),
    # "Schedule a post-mortem."
    CommandSpec(
        Action.SCHEDULE,
        ScheduleRetro,
        rule(LEAD_OR_DM, {Status.RESOLVED}, "schedule the retro"),
        "Lead or DM: schedule the retro; the people involved are reminded at the time.",
        schedule,
        check=check_schedule,
    ),
    CommandSpec(
        Action.RETRO,
        Retro,
        rule(LEAD_OR_DM, {Status.RESOLVED}, "record the retro"),
        "Lead or DM: close a resolved incident with retro notes, or skip the retro with a reason.",
        retro,
    ),
]
