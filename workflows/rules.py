"""The handbook's rules: who may do what, and in which state. The one place they live.

Update validators call :func:`refusal` and raise its sentence; nothing else decides permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflows.model import IncidentState, Policy, Status


class Role(StrEnum):
    ANYONE = "anyone"
    LEAD = "lead"
    SUPPORTER = "supporter"
    DELIVERY_MANAGER = "delivery manager"


class Action(StrEnum):
    """Each command that changes an incident; the value is the Update's name."""

    ACCEPT = "accept"
    DECLINE = "decline"
    ACK = "ack"
    HANDOVER = "handover"
    JOIN = "join"
    LEAVE = "leave"
    UPDATE = "update"
    SEVERITY = "severity"
    SNOOZE = "snooze"
    SECURITY = "security"
    CRITERIA = "criteria"
    STATUSPAGE = "statuspage"
    RESOLVE = "resolve"
    APPROVE = "approve"
    REJECT = "reject"
    RETRO = "retro"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    statuses: frozenset[Status]
    doing: str  # completes "… may {doing}"


def _rule(roles: set[Role], statuses: set[Status], doing: str) -> Rule:
    return Rule(frozenset(roles), frozenset(statuses), doing)


_LEAD_OR_DM = {Role.LEAD, Role.DELIVERY_MANAGER}
_DM = {Role.DELIVERY_MANAGER}
_WORKING = {Status.ACTIVE, Status.AWAITING_APPROVAL}
_OPEN = {Status.TRIAGE, Status.ACTIVE, Status.AWAITING_APPROVAL, Status.RESOLVED}

RULES: dict[Action, Rule] = {
    # A delivery manager decides whether a report is an incident ("deal with this later").
    Action.ACCEPT: _rule(_DM, {Status.TRIAGE}, "accept a report"),
    Action.DECLINE: _rule(_DM, {Status.TRIAGE}, "decline a report"),
    # Self-initiated incidents: the DM must be informed and agree to continue.
    Action.ACK: _rule(_DM, _OPEN, "acknowledge an incident"),
    # The lead stays lead until they pass the role on explicitly (or a DM reassigns it).
    Action.HANDOVER: _rule(_LEAD_OR_DM, _WORKING, "hand over the lead"),
    # Anyone may offer help, and must say when they stop.
    Action.JOIN: _rule({Role.ANYONE}, _WORKING, "join an incident"),
    Action.LEAVE: _rule({Role.SUPPORTER}, _WORKING, "leave an incident"),
    # Everyone involved posts progress in the incident channel.
    Action.UPDATE: _rule(
        {Role.LEAD, Role.SUPPORTER, Role.DELIVERY_MANAGER}, _WORKING, "post a progress update"
    ),
    Action.SEVERITY: _rule(_LEAD_OR_DM, _WORKING, "change the severity"),
    Action.SNOOZE: _rule(_LEAD_OR_DM, {Status.ACTIVE}, "snooze the reminders"),
    Action.SECURITY: _rule(_LEAD_OR_DM, _OPEN, "mark an incident as a security incident"),
    # "We can call this resolved when X happens."
    Action.CRITERIA: _rule(_DM, _WORKING, "set the resolution criteria"),
    # The DM keeps the public status page current.
    Action.STATUSPAGE: _rule(_DM, _WORKING | {Status.RESOLVED}, "post to the status page"),
    # A DM declares or approves an incident resolved.
    Action.RESOLVE: _rule(_LEAD_OR_DM, {Status.ACTIVE}, "resolve an incident"),
    Action.APPROVE: _rule(_DM, {Status.AWAITING_APPROVAL}, "approve a resolution"),
    Action.REJECT: _rule(_DM, {Status.AWAITING_APPROVAL}, "reject a resolution"),
    Action.RETRO: _rule(_LEAD_OR_DM, {Status.RESOLVED}, "record the retro"),
}

_STATE_WORDS: dict[Status, str] = {
    Status.TRIAGE: "waiting for a delivery manager",
    Status.DECLINED: "declined",
    Status.ACTIVE: "active",
    Status.AWAITING_APPROVAL: "awaiting approval of its resolution",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
}


def describe_status(status: Status) -> str:
    return _STATE_WORDS[status]


def roles_of(person: str, state: IncidentState, policy: Policy) -> set[Role]:
    roles = {Role.ANYONE}
    if person == state.lead:
        roles.add(Role.LEAD)
    if person in state.supporters:
        roles.add(Role.SUPPORTER)
    if person in policy.delivery_managers:
        roles.add(Role.DELIVERY_MANAGER)
    return roles


def _who(roles: frozenset[Role]) -> str:
    names = [f"the {r.value}" if r is Role.LEAD else f"a {r.value}" for r in Role if r in roles]
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


def refusal(action: Action, person: str, state: IncidentState, policy: Policy) -> str | None:
    """Why ``person`` may not take ``action`` on the incident now, or None when they may."""
    rule = RULES[action]
    if state.status not in rule.statuses:
        return (
            f"Incident {state.id} is {describe_status(state.status)}, "
            f"so nobody can {rule.doing} now."
        )
    if rule.roles & roles_of(person, state, policy):
        return None
    if Role.DELIVERY_MANAGER in rule.roles and not policy.delivery_managers:
        return (
            f"Only a delivery manager may {rule.doing}, and none is configured "
            "(set INCIDENT_DELIVERY_MANAGERS)."
        )
    return f"Only {_who(rule.roles)} may {rule.doing} on {state.id}; {person} is not."
