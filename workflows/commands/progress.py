"""While the incident is worked: progress updates, severity, snoozing the reminders, marking it a
security incident, the resolution criteria and the public status page."""

from __future__ import annotations

from datetime import datetime

from messages import refusals
from messages import sentences as say
from workflows.commands.host import CommandHost, CommandView
from workflows.commands.spec import DM, LEAD_OR_DM, OPEN, WORKING, CommandSpec, rule
from workflows.destinations.slack import NoticeKind
from workflows.model import Action, Command, EntryKind, Status, Timer
from workflows.model.commands import (
    ChangeSeverity,
    PostStatusPage,
    ProgressUpdate,
    SetCriteria,
    Snooze,
)
from workflows.rules import Role


def update(incident: CommandHost, cmd: ProgressUpdate, now: datetime) -> str:
    s = incident.state
    s.first_update_at = s.first_update_at or now
    s.last_update_at, s.last_update = now, cmd.text
    incident.record(now, cmd.actor, EntryKind.UPDATE, cmd.text)
    incident.notices.to_channel(NoticeKind.UPDATE, cmd.text, actor=cmd.actor)
    if s.status is Status.ACTIVE:
        incident.reminders.restart_stale_clock(now)
    return say.update_posted(s)


def severity(incident: CommandHost, cmd: ChangeSeverity, now: datetime) -> str:
    s = incident.state
    previous, s.severity = s.severity, cmd.severity
    text = say.severity_changed(cmd.actor, s, previous)
    incident.record(now, cmd.actor, EntryKind.SEVERITY, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    if s.status is Status.ACTIVE and s.stale_since:
        s.reminder_interval = incident.policy.reminder_intervals[cmd.severity]
        due = max(now, s.stale_since + s.reminder_interval)
        s.timers[Timer.STALE_PROGRESS] = incident.reminders.in_hours(due)
    return text + "."


def check_severity(incident: CommandView, cmd: ChangeSeverity, now: datetime) -> str | None:
    if cmd.severity == incident.state.severity:
        return refusals.already_severity(incident.state, cmd.severity)
    return None


def snooze(incident: CommandHost, cmd: Snooze, now: datetime) -> str:
    s = incident.state
    due = incident.reminders.in_hours(now + cmd.duration)
    s.timers[Timer.STALE_PROGRESS] = due
    text = say.snoozed(cmd.actor, s, due)
    incident.record(now, cmd.actor, EntryKind.SNOOZED, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    return text + "."


def security(incident: CommandHost, cmd: Command, now: datetime) -> str:
    s = incident.state
    s.security = True
    text = say.marked_security(cmd.actor, s)
    incident.record(now, cmd.actor, EntryKind.SECURITY, text)
    channel_sealed = incident.notices.seal_outbox()
    if s.status in (Status.ACTIVE, Status.AWAITING_APPROVAL) and not channel_sealed:
        incident.notices.move_to_private_channel()
    incident.notices.resolve_public_page()
    incident.tell_infosec(cmd.actor, now)
    return text + "."


def check_security(incident: CommandView, cmd: Command, now: datetime) -> str | None:
    if incident.state.security:
        return refusals.already_security(incident.state)
    return None


def criteria(incident: CommandHost, cmd: SetCriteria, now: datetime) -> str:
    incident.state.resolution_criteria = cmd.text
    text = say.criteria_set(cmd.actor, incident.state, cmd.text)
    incident.record(now, cmd.actor, EntryKind.CRITERIA, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
    return text


def statuspage(incident: CommandHost, cmd: PostStatusPage, now: datetime) -> str:
    incident.notices.post_status_page(cmd.status, cmd.text, impact=cmd.impact)
    text = say.status_page_posted(cmd.actor, cmd.status, cmd.text)
    incident.record(now, cmd.actor, EntryKind.STATUSPAGE, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text, actor=cmd.actor)
    return text


def check_statuspage(incident: CommandView, cmd: PostStatusPage, now: datetime) -> str | None:
    if incident.state.security:
        return refusals.never_on_the_page(incident.state)
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
