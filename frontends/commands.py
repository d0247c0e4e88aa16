"""The command layer shared by every front end: turn words into validated commands, run them.

A front end (the CLI: ``starter.py`` and ``frontends/cli*.py``; the Slack relay:
``frontends/relay.py``) parses its input, calls one function here, and renders the answer. Bad input raises :class:`CommandError`
with one sentence before anything is sent to Temporal.

Typed words share one grammar, the CLI's (`/incident` takes it too): each command builds a
:data:`Work` (connect-free, run against an :class:`IncidentClient`) and hands it to its
:class:`Invocation`. The CLI runs it at once and prints; the relay collects it (``planned``) and
runs it on its own event loop. Slack's buttons and forms type no words: they build the command's
input model and send it as data (:func:`sending`), through :func:`act` as the CLI's commands do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from messages.text import capitalised
from temporal_client.client import CommandError, IncidentClient, check_incident_id, incident_id_for
from temporal_client.settings import Settings, SettingsError
from workflows.clock import parse_duration
from workflows.model import (
    Action,
    Arrival,
    Command,
    IncidentStart,
    IncidentState,
    Receipt,
    Severity,
    Status,
    StatusPageStatus,
)
from workflows.vocabulary.basics import PERSON, StatusPageImpact, parse_user

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Answer:
    """What a command answers: ``data`` for ``--json``, ``text`` for the terminal, ``chat`` (when it
    differs) for a person in Slack. ``raw`` text is printed as it is, ``--json`` or not."""

    data: Any
    text: str
    chat: str | None = None
    raw: bool = False


Work = Callable[[IncidentClient, Settings], Awaitable[Answer]]


@dataclass
class Invocation:
    """How one command is invoked: who acts, through which front end (``arrived_via``, recorded
    with the command), and whether the front end runs the work itself.

    ``request_id`` is a front end's stable id for a request that may arrive twice (Slack
    redelivers); the workflow applies a request with the same id once. With ``planned`` set,
    commands append their work to it instead of running it.
    """

    json: bool = False
    as_user: str | None = None
    request_id: str | None = None
    planned: list[Work] | None = None
    arrived_via: Arrival = Arrival.CLI


_FIELD_NAMES = {"text": "text", "title": "title", "reason": "reason", "to": "new lead"}


def build(model: type[M], **fields: Any) -> M:
    """Validate a command model, turning the first problem into one sentence."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise CommandError(explain_validation(error)) from None


def explain_validation(error: ValidationError) -> str:
    problem = error.errors()[0]
    field = ".".join(str(p) for p in problem["loc"]) or "input"
    field = _FIELD_NAMES.get(field, field.replace("_", " "))
    kind = problem["type"]
    context = problem.get("ctx", {})
    if kind == "string_too_long":
        length = len(problem["input"]) if isinstance(problem["input"], str) else "?"
        return f"The {field} is too long: {length} characters, at most {context['max_length']}."
    if kind == "enum":
        return f"{problem['input']!r} is not a valid {field}: use {context['expected']}."
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"Invalid {field}: {message}." if field != "input" else f"{capitalised(message)}."


def load_settings(*, policy: bool = True) -> Settings:
    """The settings, each checked; a one-shot command (``policy=False``) leaves out the
    organisation's process settings, which are the worker's (see ``Settings.check``)."""
    try:
        settings = Settings()
        settings.check(policy=policy)
    except (SettingsError, ValidationError) as error:
        message = explain_validation(error) if isinstance(error, ValidationError) else str(error)
        raise CommandError(message) from None
    return settings


def who(as_user: str | None, settings: Settings) -> str:
    """The acting person: ``--as``, else ``INCIDENT_USER``."""
    raw = as_user or settings.incident_user
    if not raw:
        raise CommandError("Say who you are with --as USER or the INCIDENT_USER setting.")
    return person(raw)


def severity(text: str) -> Severity:
    try:
        return Severity(text.strip().lower())
    except ValueError:
        raise CommandError(f"{text!r} is not a severity: use sev1, sev2 or sev3.") from None


def status(text: str) -> Status:
    return _one_of(Status, text, "a status")


def statuspage_status(text: str) -> StatusPageStatus:
    return _one_of(StatusPageStatus, text, "a status page state")


def statuspage_impact(text: str) -> StatusPageImpact:
    return _one_of(StatusPageImpact, text, "a status page impact")


def _one_of(choices: type[E], text: str, what: str) -> E:
    try:
        return choices(text.strip().lower())
    except ValueError:
        names = ", ".join(choice.value for choice in choices)
        raise CommandError(f"{text!r} is not {what}: use one of {names}.") from None


def duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise CommandError(f"{capitalised(str(error))}.") from None


def moment(text: str, settings: Settings) -> datetime:
    """A date (``2026-12-01``, meaning office opening that day) or a date and time, local time."""
    hours = settings.office_hours()
    zone = ZoneInfo(hours.timezone)
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), hours.opens, tzinfo=zone)
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{text!r} is not a date like 2026-12-01 or 2026-12-01T14:30.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def person(text: str) -> str:
    """A Slack user id, mention or email, as the workflow records people."""
    try:
        return parse_user(text)
    except ValueError as error:
        raise CommandError(f"{capitalised(str(error))}.") from None


async def open_incident(
    client: IncidentClient,
    settings: Settings,
    *,
    actor: str,
    arrived_via: Arrival,
    title: str,
    description: str | None,
    security: bool,
    incident_id: str | None,
    declare: bool,
    lead: str | None = None,
    severity: Severity | None = None,
    request_id: str | None = None,
) -> IncidentState:
    """Report (triage) or declare (active now) a new incident, recorded as arrived through the
    front end that says ``arrived_via``; a repeated ``request_id`` returns the incident that
    request started instead of starting another."""
    today = datetime.now(ZoneInfo(settings.office_hours().timezone)).date()
    # No policy: the worker's settings are the organisation's, recorded when the incident opens.
    start = build(
        IncidentStart,
        id=check_incident_id(incident_id) if incident_id else "pending",
        title=title,
        description=description,
        security=security,
        actor=actor,
        arrived_via=arrived_via,
        lead=lead,
        severity=severity,
        declare=declare,
    )
    if incident_id is None:
        generated = incident_id_for(start.title, today, security=start.security)
        start = start.model_copy(update={"id": generated})
    start = start.model_copy(update=await slack_ids(settings, actor=start.actor, lead=start.lead))
    return await client.start(start, explicit_id=incident_id is not None, request_id=request_id)


async def act(
    client: IncidentClient,
    incident_id: str,
    action: Action,
    model: type[Command],
    *,
    request_id: str | None = None,
    **fields: Any,
) -> Receipt:
    """Validate and send one command to an incident (once per ``request_id``, when given)."""
    check_incident_id(incident_id)
    command = build(model, **fields)
    people = {name: getattr(command, name) for name in person_fields(type(command))}
    command = command.model_copy(update=await slack_ids(client.settings, **people))
    return await client.send(incident_id, action, command, request_id=request_id)


@cache
def person_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that name a person: typed :data:`~workflows.model.User` (or
    ``User | None``), whatever they are called. Other text is never looked up."""
    return tuple(name for name, field in model.model_fields.items() if names_a_person(field))


def names_a_person(field: FieldInfo) -> bool:
    """True for a field typed :data:`~workflows.model.User` or ``User | None``."""
    return _names_a_person(field.annotation, field.metadata)


def _names_a_person(annotation: Any, metadata: Iterable[object] = ()) -> bool:
    """True for a type marked :data:`~workflows.vocabulary.basics.PERSON` (``metadata`` is what
    pydantic took out of the field's ``Annotated``), or such a type ``| None``."""
    if any(mark is PERSON for mark in metadata):
        return True
    if get_origin(annotation) is Annotated:
        bare, *marks = get_args(annotation)
        return _names_a_person(bare, marks)
    if get_origin(annotation) in (Union, UnionType):
        kinds = [kind for kind in get_args(annotation) if kind is not NoneType]
        return bool(kinds) and all(_names_a_person(kind) for kind in kinds)
    return False


async def slack_ids(settings: Settings, **people: str | None) -> dict[str, str]:
    """With Slack set up, people named by email become their Slack user ids, so an unknown
    email is refused here, before anything changes. Without Slack, emails are identities."""
    token = settings.slack_bot_token
    if token is None:
        return {}
    from frontends.people import UnknownPerson, slack_user_for_email

    found: dict[str, str] = {}
    for name, person in people.items():
        if person and "@" in person:
            try:
                found[name] = await slack_user_for_email(
                    token=token.get_secret_value(), base_url=settings.slack_api_url, email=person
                )
            except UnknownPerson as error:
                raise CommandError(str(error)) from None
    return found


# --- A command already built (a Slack button's or form's), sent as data --------------------------


def command_model(action: Action) -> type[Command]:
    """The input model of ``action``'s command (the command table's, ``workflows/commands/``)."""
    from workflows.commands import COMMANDS

    return COMMANDS[action].model


def sending(
    incident_id: str, action: Action, command: Command, *, request_id: str | None = None
) -> Work:
    """The work of sending ``command``, already built, to an incident: through :func:`act`, as
    the CLI's generated commands send theirs (its validated values validate again as they are),
    answered with its receipt. No words are made to be parsed again."""

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        fields = dict(command)
        receipt = await act(
            client, incident_id, action, type(command), request_id=request_id, **fields
        )
        return receipt_answer(receipt)

    return work


def receipt_answer(receipt: Receipt) -> Answer:
    """What a command sent to an incident answers: its receipt (in Slack, naming the incident)."""
    named = receipt.incident_id in receipt.text
    chat = receipt.text if named else f"{receipt.incident_id}: {receipt.text}"
    return Answer(receipt.model_dump(mode="json"), receipt.text, chat=chat)
