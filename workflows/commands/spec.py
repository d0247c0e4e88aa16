"""What declaring a command takes: one :class:`CommandSpec` beside the function that applies it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows.commands.host import CommandHost, CommandView
from workflows.model import Action, Command, Status
from workflows.rules import Role, Rule
from workflows.vocabulary.basics import OPEN_STATUSES, WORKING_STATUSES

Apply = Callable[[CommandHost, Any, datetime], str]
Check = Callable[[CommandView, Any, datetime], "str | None"]
ReadSignal = Callable[[dict[str, Any]], "tuple[Action, Command]"]

LEAD_OR_DM = frozenset({Role.LEAD, Role.DELIVERY_MANAGER})
DM = frozenset({Role.DELIVERY_MANAGER})
WORKING = WORKING_STATUSES
OPEN = OPEN_STATUSES


@dataclass(frozen=True)
class CommandSpec:
    """One command an incident takes.

    ``action`` names it everywhere: the Update (Web UI, ``temporal workflow update``), the CLI
    and Slack. ``model`` is its input; ``rule`` says who may send it in which statuses; ``help``
    is its one line in the CLI, Slack's help and the Web UI; ``apply`` carries it out, seeing
    the incident as a :class:`~workflows.commands.host.CommandHost`; ``check`` refuses values the
    rule cannot see (one sentence), reading a :class:`~workflows.commands.host.CommandView`;
    ``slack`` says whether `/incident` may send it; ``signal`` names the signal that carries it
    for fire-and-forget senders (its body read by ``read_signal``, or as ``model``).
    """

    action: Action
    model: type[Command]
    rule: Rule
    help: str
    apply: Apply
    check: Check | None = None
    slack: bool = True
    signal: str | None = None
    read_signal: ReadSignal | None = None


def rule(
    roles: frozenset[Role] | set[Role], statuses: frozenset[Status] | set[Status], doing: str
) -> Rule:
    """Who may do it (any of ``roles``), when (``statuses``), and ``doing``: "… may {doing}"."""
    return Rule(frozenset(roles), frozenset(statuses), doing)
