"""The handbook's rules: who someone is to an incident, and the sentence that refuses them.

Each command's :class:`Rule` (which roles, in which statuses) is declared with the command in
``workflows/commands/``; its validator calls :func:`refusal` with it and raises the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from messages import refusals
from workflows.model import IncidentState, Policy, Status


class Role(StrEnum):
    ANYONE = "anyone"
    LEAD = "lead"
    SUPPORTER = "supporter"
    DELIVERY_MANAGER = "delivery manager"


@dataclass(frozen=True)
class Rule:
    """Who may send a command (any of ``roles``) and when (``statuses``)."""

    roles: frozenset[Role]
    statuses: frozenset[Status]
    doing: str  # completes "… may {doing}"


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


def involved(state: IncidentState, policy: Policy) -> list[str]:
    """Who takes part in the retro: the lead, the supporters and the delivery managers."""
    people = [state.lead, *state.supporters, *policy.delivery_managers]
    return list(dict.fromkeys(p for p in people if p))


def _who(roles: frozenset[Role]) -> str:
    names = [f"the {r.value}" if r is Role.LEAD else f"a {r.value}" for r in Role if r in roles]
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


def refusal(rule: Rule, person: str, state: IncidentState, policy: Policy) -> str | None:
    """Why ``person`` may not act under ``rule`` on the incident now, or None when they may."""
    if state.status not in rule.statuses:
        return refusals.nobody_can_now(state, describe_status(state.status), rule.doing)
    if rule.roles & roles_of(person, state, policy):
        return None
    if Role.DELIVERY_MANAGER in rule.roles and not policy.delivery_managers:
        return refusals.no_delivery_manager_configured(rule.doing)
    return refusals.only(_who(rule.roles), rule.doing, state, person)
