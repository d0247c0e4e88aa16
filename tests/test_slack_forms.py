"""The relay's forms in-process: what each form turns into (the CLI's words, read by the CLI's own
grammar), what it refuses before anything is sent, and a report prefilled from a message."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.core import TyperGroup

import starter
from frontends.relay_forms import form_errors, form_for_words, form_words
from frontends.slash import plan_words
from messages.slack_forms import Field, Form, FormContext, prefill_from_message
from workflows.model import TEXT_MAX

_COMMAND = typer.main.get_command(starter.app)
assert isinstance(_COMMAND, TyperGroup)
GRAMMAR: TyperGroup = _COMMAND
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
    ("form", "values", "words"),
    [
        (Form.DECLARE, {Field.TITLE: "-5% errors", Field.LEAD: "U0SUE", Field.SEVERITY: "sev1",
                        Field.DESCRIPTION: "--security is not a flag here", Field.SECURITY: False},
         ["declare", "--description=--security is not a flag here", "--lead=U0SUE",
          "--severity=sev1", "--", "-5% errors"]),
        (Form.REPORT, {Field.TITLE: "Leak", Field.SECURITY: True},
         ["report", "--security", "--", "Leak"]),
        (Form.UPDATE, {Field.TEXT: "--help"}, ["update", "inc-1", "--", "--help"]),
        (Form.HANDOVER, {Field.TO: "U0SUE"}, ["handover", "inc-1", "--to=U0SUE"]),
        (Form.RESOLVE, {}, ["resolve", "inc-1"]),
        (Form.RESOLVE, {Field.SUMMARY: "Rolled back"}, ["resolve", "inc-1", "--summary=Rolled back"]),
        (Form.STATUSPAGE, {Field.STATUS: "identified", Field.TEXT: "Degraded"},
         ["statuspage", "inc-1", "--status=identified", "--", "Degraded"]),
        (Form.CRITERIA, {Field.TEXT: "p95 < 1s"}, ["criteria", "inc-1", "--", "p95 < 1s"]),
    ],
)  # fmt: skip
def test_a_form_is_the_clis_command_and_what_is_typed_is_never_an_option(
    form: Form, values: dict[Field, Any], words: list[str]
) -> None:
    said = form_words(context(form), values)
    assert said == words
    plan = plan_words(GRAMMAR, said, actor="U0ME", request_id="slack:T:U0ME:V1:form")
    assert plan.work is not None  # a command, not help or usage


def test_a_report_from_a_message_ends_its_description_with_the_link() -> None:
    said = form_words(context(Form.REPORT, permalink=PERMALINK), {Field.TITLE: "Slow"})
    assert said == [
        "report",
        f"--description=Reported from this message: {PERMALINK}",
        "--",
        "Slow",
    ]
    typed = {Field.TITLE: "Slow", Field.DESCRIPTION: "p95 at 4 s"}
    said = form_words(context(Form.REPORT, permalink=PERMALINK), typed)
    assert said[1] == f"--description=p95 at 4 s\n\nReported from this message: {PERMALINK}"


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
