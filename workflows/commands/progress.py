"""While the incident is worked: progress updates, severity, snoozing the reminders, marking it a
security incident, the resolution criteria and the public status page."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from workflows.commands.spec import DM, LEAD_OR_DM, OPEN, WORKING, CommandSpec, rule
from workflows.model import (
    ChangeSeverity,
    Command,
    EntryKind,
    NoticeKind,
    PostStatusPage,
    ProgressUpdate,
    SetCriteria,
    Snooze,
    Status,
    Timer,
)
from workflows.rules import Action, Role

if TYPE_CHECKING:
    from workflows.process import Incident


def update(incident: Incident, cmd: ProgressUpdate, now: datetime) -> str:
    s = incident.state
    s.first_update_at = s.first_update_at or now
    s.last_update_at, s.last_update = now, cmd.text
    incident.record(now, cmd.actor, EntryKind.UPDATE, cmd.text)
    incident.notices.to_channel(NoticeKind.UPDATE, cmd.text, actor=cmd.actor)
    if s.status is Status.ACTIVE:
        incident.reminders.restart_stale_clock(now)
    return f"Update posted to {s.id}."


def severity(incident: Incident, cmd: ChangeSeverity, now: datetime) -> str:
    s = incident.state
    previous, s.severity = s.severity, cmd.severity
    text = f"{cmd.actor} changed the severity of {s.id} from {previous} to {cmd.severity}"
    incident.record(now, cmd.actor, EntryKind.SEVERITY, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    if s.status is Status.ACTIVE and s.stale_since:
        s.reminder_interval = incident.policy.reminder_intervals[cmd.severity]
        due = max(now, s.stale_since + s.reminder_interval)
        s.timers[Timer.STALE_PROGRESS] = incident.reminders.in_hours(due)
    return text + "."


def check_severity(incident: Incident, cmd: ChangeSeverity, now: datetime) -> str | None:
    if cmd.severity == incident.state.severity:
        return f"{incident.state.id} is already {cmd.severity}."
    return None


def snooze(incident: Incident, cmd: Snooze, now: datetime) -> str:
    s = incident.state
    due = incident.reminders.in_hours(now + cmd.duration)
    s.timers[Timer.STALE_PROGRESS] = due
    text = f"{cmd.actor} snoozed reminders on {s.id} until {due:%Y-%m-%d %H:%M} UTC"
    incident.record(now, cmd.actor, EntryKind.SNOOZED, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    return text + "."


def security(incident: Incident, cmd: Command, now: datetime) -> str:
    s = incident.state
    s.security = True
    text = f"{cmd.actor} marked {s.id} as a security incident"
    incident.record(now, cmd.actor, EntryKind.SECURITY, text)
    channel_sealed = incident.notices.seal_outbox()
    if s.status in (Status.ACTIVE, Status.AWAITING_APPROVAL) and not channel_sealed:
        incident.notices.move_to_private_channel()
    incident.notices.resolve_public_page()
    incident.tell_infosec(cmd.actor, now)
    return text + "."


def check_security(incident: Incident, cmd: Command, now: datetime) -> str | None:
    if incident.state.security:
        return f"{incident.state.id} is already a security incident."
    return None


def criteria(incident: Incident, cmd: SetCriteria, now: datetime) -> str:
    incident.state.resolution_criteria = cmd.text
    text = f"{cmd.actor}: we can call {incident.state.id} resolved when {cmd.text}"
    incident.record(now, cmd.actor, EntryKind.CRITERIA, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
    return text


def statuspage(incident: Incident, cmd: PostStatusPage, now: datetime) -> str:
    incident.notices.post_status_page(cmd.status, cmd.text, impact=cmd.impact)
    text = f"{cmd.actor} posted to the status page ({cmd.status}): {cmd.text}"
    incident.record(now, cmd.actor, EntryKind.STATUSPAGE, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
    return text


def check_statuspage(incident: Incident, cmd: PostStatusPage, now: datetime) -> str | None:
    if incident.state.security:
        return f"{incident.state.id} is a security incident, so nothing about it goes on the status page."
    return None


COMMANDS = [
    # Everyone involved posts progress in the incident channel.
    CommandSpec(
        Action.UPDATE,
        ProgressUpdate,
        rule({Role.LEAD, Role.SUPPORTER, Role.DELIVERY_MANAGER}, WORKING, "post a progress update"),
        "Post a progress update (resets the reminder timer).",
        update,
        signal="progress_update",
    ),
    CommandSpec(
        Action.SEVERITY,
        ChangeSeverity,
        rule(LEAD_OR_DM, WORKING, "change the severity"),
        "Lead or DM: change the severity (and the reminder cadence).",
        severity,
        check=check_severity,
    ),
    CommandSpec(
        Action.SNOOZE,
        Snooze,
        rule(LEAD_OR_DM, {Status.ACTIVE}, "snooze the reminders"),
        "Lead or DM: push the next reminder back.",
        snooze,
    ),
    CommandSpec(
        Action.SECURITY,
        Command,
        rule(LEAD_OR_DM, OPEN, "mark an incident as a security incident"),
        "Lead or DM: mark as a security incident (cannot be undone).",
        security,
        check=check_security,
    ),
    # "We can call this resolved when X happens."
    CommandSpec(
        Action.CRITERIA,
        SetCriteria,
        rule(DM, WORKING, "set the resolution criteria"),
        "Delivery manager: say when the incident can be called resolved.",
        criteria,
    ),
    # The DM keeps the public status page current.
    CommandSpec(
        Action.STATUSPAGE,
        PostStatusPage,
        rule(DM, WORKING | {Status.RESOLVED}, "post to the status page"),
        "Delivery manager: post to the public status page (never for security incidents).",
        statuspage,
        check=check_statuspage,
    ),
]
