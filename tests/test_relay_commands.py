"""A Slack button or form sends its command as data (issue 34), in-process: the command's input
model, built from what was clicked or entered and sent through ``frontends.commands.act`` as the
CLI's generated commands send theirs, acting as the Slack user. No words are made for the CLI's
grammar to read again (the relay here has none to read them with), so text that a command line
would take for options, quotes or more words is recorded as it was entered; and a refusal is still
the one sentence it was. `tests/test_relay.py` and `test_relay_forms.py` show the same end to end.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, NoReturn, cast

import pytest
from typer.core import TyperGroup

from frontends.commands import Work, command_model
from frontends.relay_core import Relay
from frontends.relay_forms import FORM_COMMANDS, form_plan
from messages.slack_blocks import BUTTONS, ActionId
from messages.slack_forms import Field, Form, FormContext
from temporal_client.client import CommandError, IncidentClient
from temporal_client.settings import Settings
from workflows.model import (
    Action,
    Arrival,
    Command,
    IncidentStart,
    IncidentState,
    Receipt,
    Severity,
    Status,
)

USER, SUE = "U0CLICKS", "U0SUE"
REQUEST = "slack:T0:U0CLICKS:V0:incident_form_update"
# What a command line would read as an option, a quote, a second word, another option's value or
# the end of the options; entered in a form, it is text like any other.
AWKWARD = '--as U0X "quoted" it\'s a=b\n--reason=--help\n-- -h\n---leading dashes'


class NoGrammar:
    """The relay's grammar, for requests that must never be read as words."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"a button or a form reached the CLI's grammar ({name})")


class RecordingClient:
    """Stands in for :class:`IncidentClient`: records what would reach Temporal, and answers
    (or refuses, with ``refusal``, as the workflow's validator would)."""

    def __init__(self, refusal: str | None = None) -> None:
        self.settings = Settings(
            _env_file=None, slack_bot_token=None, incident_delivery_managers="U0DM"
        )
        self.calls: list[tuple[Any, ...]] = []
        self.refusal = refusal

    async def send(
        self, incident_id: str, action: Action, command: Command, *, request_id: str | None = None
    ) -> Receipt:
        if self.refusal:
            raise CommandError(self.refusal)
        self.calls.append(("send", incident_id, action, command, request_id))
        return Receipt(incident_id=incident_id, status=Status.ACTIVE, text=f"{action} done.")

    async def start(
        self, start: IncidentStart, *, explicit_id: bool, request_id: str | None = None
    ) -> IncidentState:
        self.calls.append(("start", start, request_id))
        return IncidentState(
            id=start.id,
            title=start.title,
            status=Status.ACTIVE if start.declare else Status.TRIAGE,
            reporter=start.actor,
            created_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        )


def relay_for(client: RecordingClient) -> Relay:
    return Relay(cast(TyperGroup, NoGrammar()), cast(IncidentClient, client), client.settings)


def ran(work: Work | None, client: RecordingClient) -> str:
    assert work is not None

    async def answer() -> str:
        return (await work(cast(IncidentClient, client), client.settings)).text

    return asyncio.run(answer())


@pytest.mark.parametrize("clicked", list(BUTTONS), ids=lambda clicked: clicked.value)
def test_a_button_sends_its_commands_input_model_as_whoever_clicks(clicked: ActionId) -> None:
    button, client = BUTTONS[clicked], RecordingClient()
    reason = {"reason": AWKWARD} if button.asks_why else {}  # Reject, Reopen: asked in a modal
    done, answer = asyncio.run(
        relay_for(client).press(button.command, "inc-1", user=USER, request_id=REQUEST, **reason)
    )
    assert (done, answer) == (True, f"inc-1: {button.command} done.")
    ((_, incident_id, action, command, request_id),) = client.calls
    assert (incident_id, action, request_id) == ("inc-1", button.command, REQUEST)
    model = command_model(button.command)
    assert command == model(actor=USER, arrived_via=Arrival.SLACK, **reason)
    assert getattr(command, "reason", None) == reason.get("reason")  # exactly as entered


@pytest.mark.parametrize(
    ("form", "values", "fields"),
    [
        (Form.UPDATE, {Field.TEXT: AWKWARD}, {"text": AWKWARD}),
        (Form.HANDOVER, {Field.TO: SUE}, {"to": SUE}),
        (Form.RESOLVE, {Field.SUMMARY: AWKWARD}, {"summary": AWKWARD}),
        (Form.STATUSPAGE, {Field.STATUS: "identified", Field.TEXT: AWKWARD},
         {"status": "identified", "text": AWKWARD}),
        (Form.CRITERIA, {Field.TEXT: AWKWARD}, {"text": AWKWARD}),
    ],
    ids=lambda value: value.name.lower() if isinstance(value, Form) else "",
)  # fmt: skip
def test_a_form_on_an_incident_sends_its_commands_input_model_as_entered(
    form: Form, values: dict[Field, Any], fields: dict[str, Any]
) -> None:
    client = RecordingClient()
    context = FormContext(form=form, requester=USER, incident_id="inc-1")
    plan = form_plan(relay_for(client), context, values, user=USER, request_id=REQUEST)
    assert client.calls == []  # built, nothing sent yet: the modal is answered first
    assert ran(plan.work, client) == f"{FORM_COMMANDS[form]} done."
    ((_, incident_id, action, command, request_id),) = client.calls
    assert (incident_id, action, request_id) == ("inc-1", FORM_COMMANDS[form], REQUEST)
    model = command_model(FORM_COMMANDS[form])
    assert command == model(actor=USER, arrived_via=Arrival.SLACK, **fields)
    assert command.model_dump(include=set(fields)) == fields  # nothing read into it


@pytest.mark.parametrize("form", [Form.DECLARE, Form.REPORT])
def test_a_declare_or_report_form_opens_the_incident_as_entered(form: Form) -> None:
    client = RecordingClient()
    context = FormContext(form=form, requester=USER)
    title = '-5% "errors" --lead U0X'
    values: dict[Field, Any] = {Field.TITLE: title, Field.DESCRIPTION: AWKWARD}
    values |= {Field.LEAD: SUE, Field.SEVERITY: "sev1"} if form is Form.DECLARE else {}
    answer = ran(form_plan(relay_for(client), context, values, user=USER, request_id=REQUEST).work,
                 client)  # fmt: skip
    ((_, start, request_id),) = client.calls
    assert answer == start.id and request_id == REQUEST
    assert (start.title, start.description, start.actor) == (title, AWKWARD, USER)
    assert (start.declare, start.arrived_via) == (form is Form.DECLARE, Arrival.SLACK)
    if form is Form.DECLARE:
        assert (start.lead, start.severity) == (SUE, Severity.SEV1)


def test_a_refusal_is_the_same_one_sentence_and_nothing_is_sent() -> None:
    refusal = "Only a delivery manager may approve a resolution on inc-1; U0CLICKS is not."
    client = RecordingClient(refusal=refusal)
    assert asyncio.run(
        relay_for(client).press(Action.APPROVE, "inc-1", user=USER, request_id=REQUEST)
    ) == (False, refusal)
    done, answer = asyncio.run(
        relay_for(client).press(Action.ACK, "Not An Id!", user=USER, request_id=REQUEST)
    )
    assert not done and answer.startswith("'Not An Id!' is not a valid incident id")
    context = FormContext(form=Form.UPDATE, requester=USER, incident_id="inc-1")
    with pytest.raises(CommandError) as refused:
        form_plan(
            relay_for(client), context, {Field.TEXT: "x" * 3001}, user=USER, request_id=REQUEST
        )
    assert str(refused.value) == "The text is too long: 3001 characters, at most 3000."
    assert client.calls == []
