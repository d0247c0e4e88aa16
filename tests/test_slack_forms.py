"""The relay's forms in-process: what each form turns into (its command's input, as data: never
words for the CLI's grammar), what it refuses before anything is sent, and a report prefilled from
a message."""

from __future__ import annotations

from typing import Any

import pytest

from frontends.commands import command_model
from frontends.relay_forms import FORM_COMMANDS, form_errors, form_fields, form_for_words
from messages.slack_forms import Field, Form, FormContext, prefill_from_message
from workflows.vocabulary.basics import TEXT_MAX

PERMALINK = "https://example.slack.com/archives/C1/p1700000000000100"


def context(form: Form, **fields: Any) -> FormContext:
    return FormContext(form=form, requester="U0ME", incident_id="inc-1", **fields)


@pytest.mark.parametrize(
    ("words", "form"),
    [([], Form.REPORT), (["declare"], Form.DECLARE), (["REPORT"], Form.REPORT),
     (["declare", "Search down"], None), (["help"], None), (["update"], None)],
)  # fmt: skip
def test_only_nothing_or_a_bare_declare_or_report_opens_a_form(
    words: list[str], form: Form | None
) -> None:
    assert form_for_words(words) is form


@pytest.mark.parametrize(
    ("form", "values", "fields"),
    [
        (Form.DECLARE, {Field.TITLE: "-5% errors", Field.LEAD: "U0SUE", Field.SEVERITY: "sev1",
                        Field.DESCRIPTION: "--security is not a flag here", Field.SECURITY: False},
         {"title": "-5% errors", "description": "--security is not a flag here",
          "security": False, "incident_id": None, "declare": True, "lead": "U0SUE",
          "severity": "sev1"}),
        (Form.REPORT, {Field.TITLE: "Leak", Field.SECURITY: True},
         {"title": "Leak", "description": None, "security": True, "incident_id": None,
          "declare": False}),
        (Form.UPDATE, {Field.TEXT: "--help"}, {"text": "--help"}),
        (Form.HANDOVER, {Field.TO: "U0SUE"}, {"to": "U0SUE"}),
        (Form.RESOLVE, {Field.SUMMARY: None}, {}),
        (Form.RESOLVE, {Field.SUMMARY: "--as U0X"}, {"summary": "--as U0X"}),
        (Form.STATUSPAGE, {Field.STATUS: "identified", Field.TEXT: "-- Degraded"},
         {"status": "identified", "text": "-- Degraded"}),
        (Form.CRITERIA, {Field.TEXT: "p95 < 1s"}, {"text": "p95 < 1s"}),
    ],
)  # fmt: skip
def test_a_form_is_its_commands_input_as_entered_and_never_words(
    form: Form, values: dict[Field, Any], fields: dict[str, Any]
) -> None:
    said = form_fields(context(form), values)
    assert said == fields
    if form in FORM_COMMANDS:  # named as the command's input model names its fields
        model = command_model(FORM_COMMANDS[form])
        assert model(actor="U0ME", **said).model_dump(include=set(said)) == said


def test_a_report_from_a_message_ends_its_description_with_the_link() -> None:
    said = form_fields(context(Form.REPORT, permalink=PERMALINK), {Field.TITLE: "Slow"})
    assert said["description"] == f"Reported from this message: {PERMALINK}"
    typed = {Field.TITLE: "Slow", Field.DESCRIPTION: "p95 at 4 s"}
    said = form_fields(context(Form.REPORT, permalink=PERMALINK), typed)
    assert said["description"] == f"p95 at 4 s\n\nReported from this message: {PERMALINK}"


@pytest.mark.parametrize(
    ("form", "values", "errors"),
    [
        (Form.DECLARE, {Field.TITLE: "Down"}, {
            "severity": "Choose a severity.", "lead": "Choose who leads the incident."}),
        (Form.DECLARE, {Field.TITLE: "Down", Field.SEVERITY: "sev9", Field.LEAD: "U0SUE"}, {
            "severity": "'sev9' is not a valid severity: use 'sev1', 'sev2' or 'sev3'."}),
        (Form.DECLARE, {Field.TITLE: "Down", Field.SEVERITY: "sev1", Field.LEAD: "C0CHANNEL"}, {
            "lead": "Invalid lead: 'C0CHANNEL' is not a Slack user id (like U012ABC) or an email address."}),
        (Form.STATUSPAGE, {Field.STATUS: "fixed", Field.TEXT: "ok"}, {
            "status": "'fixed' is not a valid status: use 'investigating', 'identified', 'monitoring' or 'resolved'."}),
        (Form.HANDOVER, {}, {"to": "Choose who leads from now on."}),
        (Form.RESOLVE, {Field.SUMMARY: "s" * (TEXT_MAX + 1)}, {
            "summary": f"The summary is too long: {TEXT_MAX + 1} characters, at most {TEXT_MAX}."}),
        (Form.RESOLVE, {}, {}),
    ],
)  # fmt: skip
def test_what_a_form_can_check_it_refuses_field_by_field_in_one_sentence(
    form: Form, values: dict[Field, Any], errors: dict[str, str]
) -> None:
    assert form_errors(context(form), values) == errors


def test_a_description_that_leaves_no_room_for_the_link_is_refused_saying_so() -> None:
    room = TEXT_MAX - len(f"Reported from this message: {PERMALINK}") - 2
    values = {Field.TITLE: "Slow", Field.DESCRIPTION: "d" * (room + 1)}
    assert form_errors(context(Form.REPORT, permalink=PERMALINK), values) == {
        "description": f"At most {room} characters here: the message's link is added."
    }
    values[Field.DESCRIPTION] = "d" * room
    assert form_errors(context(Form.REPORT, permalink=PERMALINK), values) == {}


@pytest.mark.parametrize(
    ("text", "title", "description"),
    [
        ("Checkout is down", "Checkout is down", "Checkout is down"),
        ("<!here> search &lt;500ms&gt; &amp; <https://x.example|dash>\nmore",
         "@here search <500ms> & dash", "@here search <500ms> & dash\nmore"),
        ("\n\n  <@U0SUE> says <#C01|general> is noisy", "@U0SUE says #general is noisy",
         "@U0SUE says #general is noisy"),
        ("word " * 40, ("word " * 16).strip() + "…", ("word " * 40).strip()),
        ("", "", ""),
    ],
)  # fmt: skip
def test_a_report_is_prefilled_from_the_messages_words(
    text: str, title: str, description: str
) -> None:
    assert prefill_from_message(text) == (title, description)
