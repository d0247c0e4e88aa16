"""Who works on an incident: the lead hands over explicitly, anyone may join, and says when
they stop."""

from __future__ import annotations

from datetime import datetime

from messages import refusals
from messages import sentences as say
from workflows.commands.host import CommandHost, CommandView
from workflows.commands.spec import LEAD_OR_DM, WORKING, CommandSpec, rule
from workflows.destinations.slack import NoticeKind
from workflows.model import Action, Command, EntryKind, Status
from workflows.model.commands import Ask, Busy, Handover
from workflows.rules import Role


def handover(incident: CommandHost, cmd: Handover, now: datetime) -> str:
    s = incident.state
    previous = s.lead
    s.supporters = [p for p in s.supporters if p != cmd.to]
    if previous and previous not in s.supporters:
        s.supporters.append(previous)
    s.lead = cmd.to
    text = say.handed_over(cmd.actor, s, previous, cmd.to)
    incident.record(now, cmd.actor, EntryKind.HANDOVER, text)
    incident.notices.to_channel(
        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[cmd.to], invite=[cmd.to]
    )
    incident.notices.direct(NoticeKind.TRANSITION, [cmd.to], say.you_now_lead(s))
    if s.status is Status.ACTIVE:
        incident.reminders.restart_stale_clock(now)
    return text + "."


def check_handover(incident: CommandView, cmd: Handover, now: datetime) -> str | None:
    if cmd.to == incident.state.lead:
        return refusals.already_the_lead(cmd.to, incident.state)
    return None


def join(incident: CommandHost, cmd: Command, now: datetime) -> str:
    incident.state.supporters.append(cmd.actor)
    _answered(incident, cmd.actor)
    text = say.joined(cmd.actor, incident.state)
    incident.record(now, cmd.actor, EntryKind.JOINED, text)
    incident.notices.to_channel(
        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, invite=[cmd.actor]
    )
    return text + "."


def check_join(incident: CommandView, cmd: Command, now: datetime) -> str | None:
    s = incident.state
    if cmd.actor == s.lead:
        return refusals.leads_already(cmd.actor, s)
    if cmd.actor in s.supporters:
        return refusals.helping_already(cmd.actor, s)
    return None


def leave(incident: CommandHost, cmd: Command, now: datetime) -> str:
    incident.state.supporters.remove(cmd.actor)
    text = say.left(cmd.actor, incident.state)
    incident.record(now, cmd.actor, EntryKind.LEFT, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    return text + "."


def ask(incident: CommandHost, cmd: Ask, now: datetime) -> str:
    """The lead pulls in whoever they need: the person is told directly and can answer."""
    s = incident.state
    s.asked[cmd.to] = now
    text = say.asked(cmd.actor, cmd.to, s, cmd.note)
    incident.record(now, cmd.actor, EntryKind.ASKED, text)
    incident.notices.to_channel(NoticeKind.TRANSITION, text + ".", actor=cmd.actor)
    incident.notices.direct(
        NoticeKind.ASKED, [cmd.to], say.asked_you(cmd.actor, s, cmd.note), actor=cmd.actor
    )
    return text + "."


def check_ask(incident: CommandView, cmd: Ask, now: datetime) -> str | None:
    s = incident.state
    if cmd.to == s.lead:
        return refusals.leads_already(cmd.to, s)
    if cmd.to in s.supporters:
        return refusals.helping_already(cmd.to, s)
    if cmd.to in s.asked:
        return say.asked_already(cmd.to, s)
    return None


def busy(incident: CommandHost, cmd: Busy, now: datetime) -> str:
    """Asked, and unable to help: they make that clear, and the lead sees it."""
    s = incident.state
    _answered(incident, cmd.actor)
    text = say.cannot_help(cmd.actor, s, cmd.reason)
    incident.record(now, cmd.actor, EntryKind.BUSY, text)
    incident.notices.to_channel(
        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[s.lead or ""]
    )
    return text + "."


def check_busy(incident: CommandView, cmd: Busy, now: datetime) -> str | None:
    if cmd.actor not in incident.state.asked:
        return say.not_asked(cmd.actor, incident.state)
    return None


def _answered(incident: CommandHost, person: str) -> None:
    s = incident.state
    if person in s.asked:
        del s.asked[person]
        s.asked_nudged = [p for p in s.asked_nudged if p != person]


COMMANDS = [
    # The lead stays lead until they pass the role on explicitly (or a DM reassigns it).
    CommandSpec(
        Action.HANDOVER,
        Handover,
        rule(LEAD_OR_DM, WORKING, "hand over the lead"),
        "Lead or DM: pass the lead to someone else.",
        handover,
        check=check_handover,
        signal="lead_handover",
    ),
    # Anyone may offer help, and must say when they stop.
    CommandSpec(
        Action.JOIN,
        Command,
        rule({Role.ANYONE}, WORKING, "join an incident"),
        "Join an incident as a supporter.",
        join,
        check=check_join,
        signal="join",
    ),
    # "The incident lead should pull in whoever they need"; asked people answer either way.
    CommandSpec(
        Action.ASK,
        Ask,
        rule(LEAD_OR_DM, WORKING, "ask someone to help"),
        "Lead or DM: ask someone to help; they are told directly and can join or say they can't.",
        ask,
        check=check_ask,
    ),
    CommandSpec(
        Action.BUSY,
        Busy,
        rule({Role.ANYONE}, WORKING, "say they cannot help"),
        "Asked to help and unable to: say so (the lead sees it).",
        busy,
        check=check_busy,
    ),
    CommandSpec(
        Action.LEAVE,
        Command,
        rule({Role.SUPPORTER}, WORKING, "leave an incident"),
        "Stop working on an incident.",
        leave,
        signal="leave",
    ),
]
