"""Deciding what a report is: a delivery manager accepts or declines it, and acknowledges an
incident someone declared without one ("the DM must be informed and agree to continue")."""

from __future__ import annotations

from datetime import datetime

from messages import alarm_sentences as alarm_say
from messages import refusals
from messages import sentences as say
from workflows.commands.host import CommandHost, CommandView
from workflows.commands.spec import DM, OPEN, CommandSpec, rule
from workflows.destinations.slack import NoticeKind
from workflows.model import Action, Command, EntryKind, Status, Timer
from workflows.model.commands import Accept, Decline


def accept(incident: CommandHost, cmd: Accept, now: datetime) -> str:
    s = incident.state
    s.lead, s.severity, s.delivery_manager, s.acknowledged_at = (
        cmd.lead,
        cmd.severity,
        cmd.actor,
        now,
    )
    s.timers.pop(Timer.TRIAGE, None)
    text = say.accepted(cmd.actor, s)
    incident.record(now, cmd.actor, EntryKind.ACCEPTED, text)
    incident.notices.direct(NoticeKind.ACCEPTED, [s.reporter, s.lead], text + ".", actor=cmd.actor)
    incident.activate(now, cmd.actor)
    return text + "."


def decline(incident: CommandHost, cmd: Decline, now: datetime) -> str:
    s = incident.state
    s.status, s.decline_reason, s.revisit_at = Status.DECLINED, cmd.reason, cmd.revisit_at
    s.timers.clear()
    if cmd.revisit_at:
        s.timers[Timer.REVISIT] = cmd.revisit_at
    text = say.declined(cmd.actor, s, cmd.reason, cmd.revisit_at)
    incident.record(now, cmd.actor, EntryKind.DECLINED, text)
    incident.notices.direct(NoticeKind.DECLINED, [s.reporter], text + ".", actor=cmd.actor)
    return text + "."


def check_decline(incident: CommandView, cmd: Decline, now: datetime) -> str | None:
    if cmd.revisit_at and cmd.revisit_at <= now:
        return refusals.REVISIT_IN_THE_PAST
    return None


def ack(incident: CommandHost, cmd: Command, now: datetime) -> str:
    s = incident.state
    s.delivery_manager, s.acknowledged_at = cmd.actor, now
    s.timers.pop(Timer.ACK, None)
    if s.status is Status.TRIAGE:  # a report: "seen, looking"; the nudges stop
        s.timers.pop(Timer.TRIAGE, None)
        text = alarm_say.seen(cmd.actor)
        incident.record(now, cmd.actor, EntryKind.ACKNOWLEDGED, text)
        incident.notices.direct(NoticeKind.TRANSITION, [s.reporter], text + ".", actor=cmd.actor)
        return text + "."
    text = say.acknowledged(cmd.actor, s)
    incident.record(now, cmd.actor, EntryKind.ACKNOWLEDGED, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    return text + "."


def check_ack(incident: CommandView, cmd: Command, now: datetime) -> str | None:
    s = incident.state
    if s.acknowledged_at:
        return refusals.already_acknowledged(s)
    if not s.self_initiated and s.status is not Status.TRIAGE:
        return refusals.nothing_to_acknowledge(s)
    return None


COMMANDS = [
    # A delivery manager decides whether a report is an incident ("deal with this later").
    CommandSpec(
        Action.ACCEPT,
        Accept,
        rule(DM, {Status.TRIAGE}, "accept a report"),
        "Delivery manager: accept a report as an incident.",
        accept,
    ),
    CommandSpec(
        Action.DECLINE,
        Decline,
        rule(DM, {Status.TRIAGE}, "decline a report"),
        'Delivery manager: "we can deal with this later".',
        decline,
        check=check_decline,
    ),
    # Self-initiated incidents: the DM must be informed and agree to continue.
    CommandSpec(
        Action.ACK,
        Command,
        rule(DM, OPEN, "acknowledge an incident"),
        "Delivery manager: acknowledge a self-initiated incident, or say you are looking at a "
        "report (its nudges stop).",
        ack,
        check=check_ack,
        signal="acknowledge",
    ),
]
