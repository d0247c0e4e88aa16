"""The relay's forms: `/incident` alone (or `declare`, `report` alone), the "Report an incident"
message shortcut and the buttons on an incident's pinned summary each open a modal; submitting it
sends the CLI's own command as data (no words typed and parsed again), as the verified Slack user.

    values = submitted_values(view)
    errors = form_errors(context, values)                  # {"title": "The title is too long…"}
    fields = form_fields(context, values)                  # {"text": "Restarted the pods"}
    plan = form_plan(relay, context, values, user="U0LEAD", request_id=rid)

What the form can check is checked when it is submitted, with the commands' own types, and
answered inline in the modal (``response_action: errors``); the rest (who may do what, in which
state) is the workflow's, and its refusal is told privately, like every answer. A redelivered
submission carries the same view id, so the command it runs is applied once.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from frontends.commands import Answer, Work, explain_validation, open_incident
from frontends.relay_core import Relay, request_id
from frontends.slash import Plan
from messages import sentences as say
from messages.slack_blocks import ActionId
from messages.slack_forms import (
    Field,
    Form,
    FormContext,
    description_max,
    form_view,
    prefill_from_message,
    submitted_values,
)
from temporal_client.client import CommandError, IncidentClient
from temporal_client.settings import Settings
from workflows.model import Action, Arrival, Severity, Status, StatusPageStatus
from workflows.vocabulary.basics import Reason, Text, Title, User

log = logging.getLogger("incident.relay")

REPORT_SHORTCUT = "incident_report_message"  # the message shortcut's callback id (manifest)
OPENING_FORMS = {"declare": Form.DECLARE, "report": Form.REPORT}
# The buttons on an incident's pinned summary, each opening the form of its command.
BUTTON_FORMS = {
    ActionId.POST_UPDATE: Form.UPDATE,
    ActionId.HAND_OVER: Form.HANDOVER,
    ActionId.RESOLVE: Form.RESOLVE,
    ActionId.STATUS_PAGE: Form.STATUSPAGE,
    ActionId.CRITERIA: Form.CRITERIA,
}

_TYPED_INSTEAD = {  # what a person types for the same command
    Form.DECLARE: "declare TITLE --lead @someone",
    Form.REPORT: "report TITLE",
    Form.UPDATE: "update ID TEXT",
    Form.HANDOVER: "handover ID --to @someone",
    Form.RESOLVE: "resolve ID",
    Form.STATUSPAGE: "statuspage ID --status STATUS TEXT",
    Form.CRITERIA: "criteria ID TEXT",
}
HOME_FORMS = {ActionId.REPORT_FORM: Form.REPORT, ActionId.DECLARE_FORM: Form.DECLARE}
# The forms on an incident, each the command it sends; its fields are named as the command's
# input model names them (the others, declare and report, open an incident).
FORM_COMMANDS = {
    Form.UPDATE: Action.UPDATE,
    Form.HANDOVER: Action.HANDOVER,
    Form.RESOLVE: Action.RESOLVE,
    Form.STATUSPAGE: Action.STATUSPAGE,
    Form.CRITERIA: Action.CRITERIA,
}


class _Checked(BaseModel):
    """What each field must be: the types the commands' own models use (``workflows/model``)."""

    title: Title | None = None
    description: Text | None = None
    text: Text | None = None
    summary: Text | None = None
    lead: User | None = None
    to: User | None = None
    severity: Severity | None = None
    status: StatusPageStatus | None = None
    reason: Reason | None = None


# Slack asks for these before it submits; a submission without one is refused here all the same.
_REQUIRED_BY_FORM = {
    Form.DECLARE: (Field.TITLE, Field.SEVERITY, Field.LEAD),
    Form.REPORT: (Field.TITLE,),
    Form.UPDATE: (Field.TEXT,),
    Form.HANDOVER: (Field.TO,),
    Form.STATUSPAGE: (Field.STATUS, Field.TEXT),
    Form.CRITERIA: (Field.TEXT,),
}
_REQUIRED = {
    Field.TITLE: "Give the incident a title.",
    Field.SEVERITY: "Choose a severity.",
    Field.LEAD: "Choose who leads the incident.",
    Field.TEXT: "Write something here.",
    Field.TO: "Choose who leads from now on.",
    Field.STATUS: "Choose the status page's state.",
}
_MAIN_FIELD = {
    Form.DECLARE: Field.TITLE,
    Form.REPORT: Field.TITLE,
    Form.UPDATE: Field.TEXT,
    Form.HANDOVER: Field.TO,
    Form.RESOLVE: Field.SUMMARY,
    Form.STATUSPAGE: Field.TEXT,
    Form.CRITERIA: Field.TEXT,
}


def form_for_words(words: list[str]) -> Form | None:
    """The form `/incident` opens instead of running words: none given, or only `declare` or
    `report` (the CLI would refuse them for want of a title)."""
    if not words:
        return Form.REPORT
    if len(words) == 1:
        return OPENING_FORMS.get(words[0].lower())
    return None


def form_errors(context: FormContext, values: dict[Field, Any]) -> dict[str, str]:
    """Each field's problem, as the command's own types find it: one sentence per field."""
    fields = {name: value for name, value in values.items() if value is not None}
    if context.permalink and Field.DESCRIPTION in fields:
        fields[Field.DESCRIPTION] = _with_permalink(fields[Field.DESCRIPTION], context.permalink)
    errors = {
        name.value: _REQUIRED[name]
        for name in _REQUIRED_BY_FORM.get(context.form, ())
        if name not in fields
    }
    for name, value in fields.items():
        if name.value not in _Checked.model_fields:
            continue
        try:
            _Checked.model_validate({name.value: value})
        except ValidationError as error:
            errors[name.value] = explain_validation(error)
    if context.permalink and Field.DESCRIPTION.value in errors:
        errors[Field.DESCRIPTION.value] = (
            f"At most {description_max(context)} characters here: the message's link is added."
        )
    return errors


def reason_problem(reason: str) -> str | None:
    """What is wrong with a rejection's reason (the reject modal's one field), if anything."""
    if not reason.strip():
        return "Say why the incident is not resolved."
    try:
        _Checked.model_validate({"reason": reason})
    except ValidationError as error:
        return explain_validation(error)
    return None


def form_fields(context: FormContext, values: dict[Field, Any]) -> dict[str, Any]:
    """What a submitted form says, named as its command takes it: the input model's fields for a
    form on an incident (``{"text": …}``), :func:`~frontends.commands.open_incident`'s for
    declare and report. Each value is as entered: nothing is typed as words to be parsed."""
    if context.form in FORM_COMMANDS:
        return {name.value: value for name, value in values.items() if value is not None}
    description = values.get(Field.DESCRIPTION)
    if context.permalink:
        description = _with_permalink(description, context.permalink)
    fields: dict[str, Any] = {
        "title": str(values.get(Field.TITLE) or ""),
        "description": description or None,
        "security": bool(values.get(Field.SECURITY)),
        "incident_id": None,
        "declare": context.form is Form.DECLARE,
    }
    if context.form is Form.DECLARE:
        fields |= {"lead": values.get(Field.LEAD), "severity": values.get(Field.SEVERITY)}
    return fields


def form_plan(
    relay: Relay, context: FormContext, values: dict[Field, Any], *, user: str, request_id: str
) -> Plan:
    """A submitted form's command, nothing sent yet: on an incident, its input model built now
    (:meth:`Relay.order`: :class:`CommandError` with one sentence for a value it cannot take);
    declare or report, the incident opened as `incident declare` and `report` open theirs."""
    fields = form_fields(context, values)
    action = FORM_COMMANDS.get(context.form)
    if action is not None:
        incident_id = context.incident_id or ""
        return relay.order(action, incident_id, user=user, request_id=request_id, **fields)
    return Plan(work=_opening(user, request_id, fields))


def _opening(user: str, request_id: str, fields: dict[str, Any]) -> Work:
    async def work(client: IncidentClient, settings: Settings) -> Answer:
        state = await open_incident(
            client, settings, actor=user, arrived_via=Arrival.SLACK, request_id=request_id, **fields
        )
        done = "Reported" if state.status is Status.TRIAGE else "Declared"
        return Answer(
            state.model_dump(mode="json"), state.id, chat=f"{done} {state.id}: {state.title}"
        )

    return work


def _with_permalink(description: object, permalink: str) -> str:
    typed = str(description or "").strip()
    return f"{typed}\n\n{say.reported_from(permalink)}" if typed else say.reported_from(permalink)


async def answer_privately(
    client: AsyncWebClient, context: FormContext, user: str, text: str
) -> None:
    """Tell only ``user``: through the response URL of the request that opened the form, else
    ephemerally in its channel, else in a direct message from the app."""
    try:
        if context.response_url:
            await AsyncWebhookClient(context.response_url).send(
                text=text, response_type="ephemeral", replace_original=False
            )
        elif context.channel:
            await client.chat_postEphemeral(channel=context.channel, user=user, text=text)
        else:
            await client.chat_postMessage(channel=user, text=text)
    except SlackApiError as error:
        log.warning("could not answer %s privately: %s", user, error.response.get("error"))


def add_forms(app: AsyncApp, relay: Relay) -> None:
    """The forms' listeners: the shortcut, the summary's buttons and every form's submission."""

    @app.shortcut(REPORT_SHORTCUT)
    async def on_report_message(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        channel, message = body["channel"]["id"], body.get("message") or {}
        try:
            found = await client.chat_getPermalink(channel=channel, message_ts=message["ts"])
            permalink: str | None = str(found["permalink"])
        except SlackApiError as error:
            log.warning("no permalink for a reported message: %s", error.response.get("error"))
            permalink = None
        title, description = prefill_from_message(str(message.get("text") or ""))
        context = FormContext(
            form=Form.REPORT,
            requester=body["user"]["id"],
            channel=channel,
            response_url=body.get("response_url"),
            permalink=permalink,
            title=title,
            description=description,
        )
        await open_form(client, body["trigger_id"], context)

    async def on_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        container = body.get("container") or {}
        context = FormContext(
            form=BUTTON_FORMS[ActionId(action["action_id"])],
            requester=body["user"]["id"],
            incident_id=str(action.get("value", "")),
            channel=container.get("channel_id"),
            response_url=body.get("response_url"),
        )
        await open_form(client, body["trigger_id"], context)

    for clicked in BUTTON_FORMS:
        app.action(clicked.value)(on_button)

    async def on_home_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        form = HOME_FORMS[ActionId(action["action_id"])]
        context = FormContext(form=form, requester=body["user"]["id"])  # answered in a DM
        await open_form(client, body["trigger_id"], context)

    for clicked in HOME_FORMS:
        app.action(clicked.value)(on_home_button)

    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        context = FormContext.from_metadata(view["private_metadata"])
        user, values = body["user"]["id"], submitted_values(view)
        errors = form_errors(context, values)
        if not errors:
            rid = request_id(body["team"]["id"], user, view["id"], context.form.value)
            try:
                plan = form_plan(relay, context, values, user=user, request_id=rid)
            except CommandError as refusal:
                errors = {_MAIN_FIELD[context.form].value: str(refusal)}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        _, answer = await relay.execute(plan, user=user, what=context.form.name.lower())
        await answer_privately(client, context, user, answer)

    for form in Form:
        app.view(form.value)(on_submit)


async def open_form(client: AsyncWebClient, trigger_id: str, context: FormContext) -> None:
    """Open ``context.form`` for the request that ``trigger_id`` names (Slack allows 3 s); if
    Slack will not, say so privately, with the words that do the same."""
    try:
        await client.views_open(trigger_id=trigger_id, view=form_view(context))
    except SlackApiError as error:
        code = error.response.get("error") or "no answer"
        log.warning("could not open %s for %s: %s", context.form.name, context.requester, code)
        await answer_privately(
            client, context, context.requester, form_not_opened(context.form, str(code))
        )


def form_not_opened(form: Form, code: str) -> str:
    """The one sentence for a form Slack would not open (``expired_trigger_id``: too late)."""
    words = _TYPED_INSTEAD[form]
    return f"The form could not open (Slack said {code}); try again, or type `/incident {words}`."
