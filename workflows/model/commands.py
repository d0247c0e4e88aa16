"""The commands: their names (the Updates') and their inputs; every input names who acts."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field, model_validator

from workflows.model.basics import (
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


# --- Update inputs (every one names who acts, and may say how it arrived) ------------------------


class Command(Model):
    actor: User
    arrived_via: Arrival = Field(
        default=Arrival.TEMPORAL_API,
        description="how the command arrived: the CLI and the Slack relay say so; an Update that "
        "does not is recorded as sent through the Temporal API, a signal always as a signal",
    )


class Accept(Command):
    lead: User
    severity: Severity


class Decline(Command):
    reason: Reason
    revisit_at: datetime | None = None


class Handover(Command):
    to: User


class Ask(Command):
    to: User
    note: Text | None = None


class Busy(Command):
    reason: Reason | None = None


class ProgressUpdate(Command):
    text: Text


class ChangeSeverity(Command):
    severity: Severity


class Snooze(Command):
    duration: timedelta = Field(gt=timedelta(0), le=timedelta(days=7))


class SetCriteria(Command):
    text: Text


class PostStatusPage(Command):
    status: StatusPageStatus
    text: Text
    impact: StatusPageImpact | None = None


class Resolve(Command):
    summary: Text | None = None
    criteria_met: bool = Field(
        default=False,
        description="the lead says the delivery managers' resolution criteria are met: resolved "
        "at once when criteria were set (the DMs agreed in advance), else asked as usual",
    )


class Reject(Command):
    reason: Reason


class Reopen(Command):
    reason: Reason


class ScheduleRetro(Command):
    at: datetime = Field(description="when the retro is held (timezone-aware)")

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
