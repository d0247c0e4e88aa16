"""The relay's forms: Slack modals that ask for what a command needs, and read the answers back.

Pure functions, like :mod:`messages.slack_blocks`. Each form is one command of the CLI; the
relay (``frontends/relay_forms.py``) sends a submitted form's values as that command's input::

    view = form_view(FormContext(form=Form.DECLARE, requester="U0LEAD"))
    values = submitted_values(view_submission["view"])      # {"title": "…", "lead": "U0LEAD", …}
    context = FormContext.from_metadata(view_submission["view"]["private_metadata"])

Each input's ``block_id`` and ``action_id`` are its :class:`Field`'s name, which is the name of
the command input's field it fills, so an error for a field (``response_action: errors``) is
keyed by that name.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from messages import sentences as say
from messages.slack_blocks import Block, View
from workflows.model import Severity, StatusPageStatus
from workflows.vocabulary.basics import TEXT_MAX, TITLE_MAX


class Form(StrEnum):
    """Every form the relay opens; the modal's ``callback_id``."""

    DECLARE = "incident_form_declare"
    REPORT = "incident_form_report"
    UPDATE = "incident_form_update"
    HANDOVER = "incident_form_handover"
    RESOLVE = "incident_form_resolve"
    STATUSPAGE = "incident_form_statuspage"
    CRITERIA = "incident_form_criteria"


class Field(StrEnum):
    TITLE = "title"
    DESCRIPTION = "description"
    SEVERITY = "severity"
    LEAD = "lead"
    SECURITY = "security"
    TEXT = "text"
    TO = "to"
    SUMMARY = "summary"
    STATUS = "status"


_FIELD_NAMES = frozenset(field.value for field in Field)
SECURITY_OPTION = "security"
DEFAULT_SEVERITY = Severity.SEV2  # the CLI's default
PREFILLED_TITLE_MAX = 80
_MARKUP = re.compile(r"<([^<>]+)>")  # Slack's mentions and links
_SEVERITY_WORDS = {
    Severity.SEV1: "the most severe: reminders day and night",
    Severity.SEV2: "reminders in office hours",
    Severity.SEV3: "the least severe",
}
_TITLES = {  # at most 24 characters (Slack's limit on a modal's title)
    Form.DECLARE: "Declare an incident",
    Form.REPORT: "Report an incident",
    Form.UPDATE: "Post an update",
    Form.HANDOVER: "Hand over the lead",
    Form.RESOLVE: "Resolve the incident",
    Form.STATUSPAGE: "Post to the status page",
    Form.CRITERIA: "Resolution criteria",
}
_SUBMIT = {
    Form.DECLARE: "Declare",
    Form.REPORT: "Report",
    Form.UPDATE: "Post",
    Form.HANDOVER: "Hand over",
    Form.RESOLVE: "Resolve",
    Form.STATUSPAGE: "Post",
    Form.CRITERIA: "Save",
}


@dataclass(frozen=True)
class FormContext:
    """What a form carries through Slack as its private metadata: which form, who opened it, where
    to answer (a response URL, else a channel, else a direct message) and what it is about."""

    form: Form
    requester: str
    incident_id: str | None = None
    channel: str | None = None
    response_url: str | None = None
    permalink: str | None = None  # the message a report was made from (the shortcut)
    title: str = ""  # prefilled, from that message
    description: str = ""

    def metadata(self) -> str:
        # Slack keeps at most 3,000 characters; the prefills go in the inputs, not here.
        return json.dumps(asdict(self) | {"title": "", "description": ""})

    @classmethod
    def from_metadata(cls, metadata: str) -> FormContext:
        fields = json.loads(metadata)
        return cls(**(fields | {"form": Form(fields["form"])}))


def prefill_from_message(text: str) -> tuple[str, str]:
    """A report's title and description from the message it is made from: its first line (cut
    at a word, as a title) and its whole text, Slack's markup read back into plain words."""
    plain = _MARKUP.sub(_unmarked, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    first = next((line.strip() for line in plain.splitlines() if line.strip()), "")
    if len(first) > PREFILLED_TITLE_MAX:
        first = first[:PREFILLED_TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return first, plain


def _unmarked(found: re.Match[str]) -> str:
    """``<@U1|sue>`` → ``@sue``, ``<https://x|text>`` → ``text``, ``<https://x>`` → the address."""
    target, _, label = found.group(1).partition("|")
    if target.startswith("@") or target.startswith("#"):
        return (target[0] + label) if label else target
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    return label or target


def description_max(context: FormContext) -> int:
    """How long the description typed may be: the command's limit, less the permalink's line."""
    if context.permalink is None:
        return TEXT_MAX
    return TEXT_MAX - len(say.reported_from(context.permalink)) - 2


def form_view(context: FormContext) -> View:
    """The modal for ``context.form``, prefilled where Slack can (the requester as lead)."""
    form = context.form
    blocks: list[Block]
    if form in (Form.DECLARE, Form.REPORT):
        blocks = _opening_blocks(context)
    elif form is Form.HANDOVER:
        blocks = [_users(Field.TO, "Who leads from now on?")]
    elif form is Form.RESOLVE:
        blocks = [_text(Field.SUMMARY, "What fixed it?", optional=True, multiline=True)]
    elif form is Form.STATUSPAGE:
        blocks = [
            _select(
                Field.STATUS, "Status", [(s.value, s.value.capitalize()) for s in StatusPageStatus]
            ),
            _text(Field.TEXT, "What the public reads", multiline=True),
        ]
    elif form is Form.CRITERIA:
        blocks = [_text(Field.TEXT, "We can call this resolved when…", multiline=True)]
    else:
        blocks = [_text(Field.TEXT, "What did you do or find?", multiline=True)]
    if context.incident_id:
        blocks.insert(0, _context_line(f"Incident {context.incident_id}"))
    return {
        "type": "modal",
        "callback_id": form.value,
        "private_metadata": context.metadata(),
        "title": _plain(_TITLES[form]),
        "submit": _plain(_SUBMIT[form]),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def _opening_blocks(context: FormContext) -> list[Block]:
    declare = context.form is Form.DECLARE
    blocks = [
        _text(Field.TITLE, "Title", initial=context.title, max_length=TITLE_MAX),
        _text(
            Field.DESCRIPTION,
            "What is known so far",
            optional=True,
            multiline=True,
            initial=context.description,
            max_length=description_max(context),
        ),
    ]
    if declare:
        blocks.append(
            _select(
                Field.SEVERITY,
                "Severity",
                [(s.value, f"{s.value}: {_SEVERITY_WORDS[s]}") for s in Severity],
                initial=DEFAULT_SEVERITY.value,
            )
        )
        blocks.append(_users(Field.LEAD, "Incident lead", initial=context.requester))
    blocks.append(_security())
    if context.permalink:
        blocks.append(_context_line(f"{say.reported_from(context.permalink)} (added for you)"))
    if not declare:
        blocks.append(
            _context_line(
                "A delivery manager decides whether it is an incident, its lead and severity. "
                "To start the incident yourself: `/incident declare`."
            )
        )
    return blocks


def _security() -> Block:
    option = {
        "text": _plain("This is a security incident"),
        "description": _plain("Private channel; details kept off public channels."),
        "value": SECURITY_OPTION,
    }
    return {
        "type": "input",
        "block_id": Field.SECURITY.value,
        "optional": True,
        "label": _plain("Security"),
        "hint": _plain(
            "The incident gets a private channel, the Head of Information Security is told, "
            "and nothing public says more than “a confidential incident”. It cannot be undone."
        ),
        "element": {"type": "checkboxes", "action_id": Field.SECURITY.value, "options": [option]},
    }


def _text(
    field: Field,
    label: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    initial: str = "",
    max_length: int = TEXT_MAX,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": field.value,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    block: Block = {"type": "input", "block_id": field.value, "label": _plain(label)}
    if optional:
        block["optional"] = True
    return block | {"element": element}


def _select(
    field: Field, label: str, options: list[tuple[str, str]], *, initial: str | None = None
) -> Block:
    choices = [{"text": _plain(text), "value": value} for value, text in options]
    element: Block = {
        "type": "static_select",
        "action_id": field.value,
        "placeholder": _plain("Choose one"),
        "options": choices,
    }
    if initial is not None:
        element["initial_option"] = next(c for c in choices if c["value"] == initial)
    return {"type": "input", "block_id": field.value, "label": _plain(label), "element": element}


def _users(field: Field, label: str, *, initial: str | None = None) -> Block:
    element: Block = {
        "type": "users_select",
        "action_id": field.value,
        "placeholder": _plain("Choose someone"),
    }
    if initial:
        element["initial_user"] = initial
    return {"type": "input", "block_id": field.value, "label": _plain(label), "element": element}


def _context_line(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def submitted_values(view: View) -> dict[Field, str | bool | None]:
    """What was entered in each field of a submitted form (``view.state.values``)."""
    found: dict[Field, str | bool | None] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        if block_id not in _FIELD_NAMES:
            continue
        for element in actions.values():
            found[Field(block_id)] = _value(element)
    return found


def _value(element: dict[str, Any]) -> str | bool | None:
    kind = element.get("type")
    if kind == "checkboxes":
        return any(o.get("value") == SECURITY_OPTION for o in element.get("selected_options") or [])
    if kind == "static_select":
        option = element.get("selected_option") or {}
        return option.get("value")
    if kind == "users_select":
        return element.get("selected_user")
    value = element.get("value")
    return value if isinstance(value, str) and value.strip() else None
