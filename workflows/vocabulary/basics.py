"""The incident's basic vocabulary: statuses, severities, people, the limits on text."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

TITLE_MAX = 200
TEXT_MAX = 3000
REASON_MAX = 1000


class Status(StrEnum):
    TRIAGE = "triage"
    DECLINED = "declined"
    ACTIVE = "active"
    AWAITING_APPROVAL = "awaiting_approval"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.TRIAGE, Status.ACTIVE, Status.AWAITING_APPROVAL, Status.RESOLVED})
WORKING_STATUSES = frozenset({Status.ACTIVE, Status.AWAITING_APPROVAL})


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"


class Arrival(StrEnum):
    """How a command reached the incident, so that its record says whether anyone checked who
    sent it. Only the Slack relay verifies the person (Slack signs every request); every other way
    in acts as whoever the sender names, trusted as far as access to Temporal is (README, "Trust").
    """

    CLI = "cli"  # the `incident` command line
    SLACK = "slack"  # the Slack relay: `/incident` and the buttons, as the verified Slack user
    SIGNAL = "signal"  # `temporal workflow signal`, the Web UI's "Send a Signal", a script
    TEMPORAL_API = "temporal_api"  # an Update that did not say: Web UI, `temporal workflow update`
    ALARM = "alarm"  # monitoring, through `incident intake` (a signature or a token checked)


class StatusPageImpact(StrEnum):
    """Statuspage's impact levels, for ``impact_override``."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class StatusPageStatus(StrEnum):
    """The incident states Atlassian Statuspage knows."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


_SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def parse_user(text: str) -> str:
    """Return the canonical form of a person: a Slack user id, or a lower-cased email.

    Accepts Slack's escaped mentions (``<@U123|name>``, ``<@U123>``) and a leading ``@``.
    """
    raw = text.strip()
    mention = _SLACK_MENTION.match(raw)
    if mention:
        return mention.group(1)
    bare = raw.removeprefix("@")
    if _SLACK_ID.match(bare):
        return bare
    if _EMAIL.match(bare):
        return bare.lower()
    raise ValueError(f"{text!r} is not a Slack user id (like U012ABC) or an email address")


def _one_line(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise ValueError("must not be empty")
    return stripped


ALARM_REPORTER = "alarm:"  # an alarm's report names its source as its reporter: alarm:cloudwatch


def parse_reporter(text: str) -> str:
    """Who opened an incident: a person (:func:`parse_user`), or an alarm's source."""
    if text.startswith(ALARM_REPORTER) and text[len(ALARM_REPORTER) :].isalpha():
        return text
    return parse_user(text)


def is_a_person(who: str) -> bool:
    """False for an alarm's source, which nobody can message."""
    return not who.startswith(ALARM_REPORTER)


class Person:
    """The mark of a type that names a person (:data:`User`). A front end finds a command's
    people by it, whatever their fields are called, and (with Slack) turns an email there into
    the person's Slack id before sending the command."""

    def __repr__(self) -> str:
        return "PERSON"


PERSON = Person()

User = Annotated[str, AfterValidator(parse_user), PERSON]
Reporter = Annotated[str, AfterValidator(parse_reporter)]
Title = Annotated[str, Field(max_length=TITLE_MAX), AfterValidator(_one_line)]
Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_one_line)]
Reason = Annotated[str, Field(max_length=REASON_MAX), AfterValidator(_one_line)]
# A GitHub login (``octocat``), or empty for none; GitHub allows 39 of these characters.
GitHubLogin = Annotated[str, Field(pattern=r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))?$")]


class Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")
