"""The commands: their names (the Updates') and their inputs; every input names who acts.

Each input field a person gives carries a :class:`Typed`: how it is typed after the command's
name in the CLI and in `/incident`, from which ``frontends/cli_commands.py`` makes the command.
A field that names a person is typed :data:`User`, whatever it is called: the front ends read it
as a person and, with Slack, turn an email there into a Slack id (``frontends/commands.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from workflows.vocabulary.basics import (
    Arrival,
    GitHubLogin,
    Model,
    Reason,
    Severity,
    StatusPageImpact,
    StatusPageStatus,
    Text,
    User,
)


class Action(StrEnum):
    """The name of each command that changes an incident: its Update's, the CLI's and Slack's.
    Each has one declaration in ``workflows/commands/`` (checked when the table is built), and
    its input is one of the models below."""

    ACCEPT = "accept"
    DECLINE = "decline"
    ACK = "ack"
    HANDOVER = "handover"
    JOIN = "join"
    LEAVE = "leave"
    ASK = "ask"
    BUSY = "busy"
    UPDATE = "update"
    SEVERITY = "severity"
    SNOOZE = "snooze"
    SECURITY = "security"
    CRITERIA = "criteria"
    STATUSPAGE = "statuspage"
    RESOLVE = "resolve"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"
    SCHEDULE = "schedule"
    RETRO = "retro"


@dataclass(frozen=True)
class Typed:
    """How a person types one field of a command's input: ``help`` is its line in the CLI's help;
    an ``argument`` comes after the incident id (free text takes every remaining word), anything
    else is an option ``--name``; ``name`` when the typed word differs from the field's, and a
    ``default`` that only the command line assumes. How the typed text is read follows from the
    field's type (a person, a severity, a duration, a time, a status page state…)."""

    help: str
    argument: bool = False
    name: str | None = None
    default: str | None = None


# --- Update inputs (every one names who acts, and may say how it arrived) ------------------------


class Command(Model):
    actor: User
    arrived_via: Arrival = Field(
        default=Arrival.TEMPORAL_API,
        description="how the command arrived: the CLI and the Slack relay say so; an Update that "
        "does not is recorded as sent through the Temporal API, a signal always as a signal",
    )


class Accept(Command):
    lead: Annotated[User, Typed("The incident lead.")]
    severity: Annotated[Severity, Typed("sev1, sev2 or sev3.")]


class Decline(Command):
    reason: Annotated[Reason, Typed("Why it is not an incident (now).")]
    revisit_at: Annotated[
        datetime | None, Typed("Re-ask on this date (2026-12-01).", name="revisit")
    ] = None


class Handover(Command):
    to: Annotated[User, Typed("The new lead.")]


class Ask(Command):
    to: Annotated[User, Typed("Who to ask (Slack id or email).")]
    note: Annotated[Text | None, Typed("What you need them for.")] = None


class Busy(Command):
    reason: Annotated[Reason | None, Typed("Why you can't help.")] = None


class ProgressUpdate(Command):
    text: Annotated[Text, Typed("What you did or found.", argument=True)]


class ChangeSeverity(Command):
    severity: Annotated[Severity, Typed("sev1, sev2 or sev3.", argument=True)]


class Snooze(Command):
    duration: Annotated[timedelta, Typed("How long: 30m, 2h, 1d.", argument=True)] = Field(
        gt=timedelta(0), le=timedelta(days=7)
    )


class SetCriteria(Command):
    text: Annotated[Text, Typed("We can call this resolved when ...", argument=True)]


class PostStatusPage(Command):
    status: Annotated[
        StatusPageStatus,
        Typed("investigating, identified, monitoring or resolved.", default="investigating"),
    ]
    text: Annotated[Text, Typed("What the public reads.", argument=True)]
    impact: Annotated[
        StatusPageImpact | None,
        Typed("Override the page's impact: none, minor, major, critical."),
    ] = None


class Resolve(Command):
    summary: Annotated[Text | None, Typed("How it was resolved.")] = None
    criteria_met: Annotated[
        bool, Typed("Lead: the delivery managers' resolution criteria are met; resolve at once.")
    ] = Field(
        default=False,
        description="the lead says the delivery managers' resolution criteria are met: resolved "
        "at once when criteria were set (the DMs agreed in advance), else asked as usual",
    )


class Reject(Command):
    reason: Annotated[Reason, Typed("Why it is not resolved yet.")]


class Reopen(Command):
    reason: Annotated[Reason, Typed("Why: what came back.")]


class ScheduleRetro(Command):
    at: Annotated[
        datetime,
        Typed("When: 2026-12-03T14:00 (local time) or a date.", argument=True, name="when"),
    ] = Field(description="when the retro is held (timezone-aware)")

    @model_validator(mode="after")
    def _aware(self) -> ScheduleRetro:
        if self.at.tzinfo is None:
            raise ValueError("give the retro's time with its timezone")
        return self


class Retro(Command):
    notes: Text | None = None
    skip_reason: Reason | None = None
    actions: list[Text] = Field(default=[], max_length=50)
    action_owners: list[GitHubLogin] = Field(
        default=[],
        max_length=50,
        description="the owner of each action, in order (a GitHub login; empty for none)",
    )

    @model_validator(mode="after")
    def _notes_or_skip(self) -> Retro:
        if (self.notes is None) == (self.skip_reason is None):
            raise ValueError("give either retro notes or a reason to skip the retro, not both")
        if self.action_owners and len(self.action_owners) != len(self.actions):
            raise ValueError("give one owner per action (- for none), or no owners")
        return self
