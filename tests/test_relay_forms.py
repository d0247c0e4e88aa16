"""The relay's forms end to end: `/incident` alone, `declare` or `report` alone, the "Report an
incident" message shortcut and the pinned summary's buttons each open a modal (views.open, checked
against Block Kit's limits by the stand-in); a submission runs the CLI's own command as the Slack
user, bad input is answered inline in the modal and changes nothing, a refusal is told privately,
and a redelivered submission is applied once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from frontends.relay_forms import REPORT_SHORTCUT
from messages.slack_blocks import ActionId
from messages.slack_forms import Form
from tests.people import HELPER, LEAD, REPORTER, SUE
from tests.relay_stack import DM1, Stack, eventually, one_sentence, stack
from tests.standins.slack import BOT_USER

__all__ = ["stack"]  # the fixture, imported for pytest
pytestmark = pytest.mark.e2e


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A form's inputs by block id: what a person sees to fill in."""
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


async def open_by_slash(stack: Stack, text: str, *, user: str) -> tuple[str, dict[str, Any]]:
    started = time.monotonic()
    trigger = await stack.sender.slash(text, user=user)
    view = await stack.view_opened(trigger)
    [opened] = [r for r in stack.slack.requests if r.method == "views.open" and
                r.params["trigger_id"] == trigger]  # fmt: skip
    assert opened.at - started < 3  # Slack's trigger ids expire after 3 seconds
    return trigger, view


async def missing(stack: Stack, incident_id: str) -> bool:
    try:
        await stack.client.get_workflow_handle(incident_id).describe()
    except Exception as error:
        return "not found" in str(error).lower()
    return False


# --- Declaring and reporting --------------------------------------------------------------------


async def test_incident_alone_declare_alone_or_report_alone_opens_a_form(stack: Stack) -> None:
    for text, form in [("", Form.REPORT), ("declare", Form.DECLARE), ("Report", Form.REPORT)]:
        trigger, view = await open_by_slash(stack, text, user=LEAD)
        assert view["callback_id"] == form
        assert stack.slack.replies(trigger) == []  # a form, not usage text
        fields = inputs(view)
        assert {"title", "description", "security"} <= set(fields)
        security = fields["security"]["element"]["options"][0]
        assert "security incident" in security["text"]["text"]
        assert "private channel" in fields["security"]["hint"]["text"]  # says what it does
        if form is Form.DECLARE:
            assert fields["lead"]["element"]["initial_user"] == LEAD  # the requester
            assert fields["severity"]["element"]["initial_option"]["value"] == "sev2"
        else:
            assert "lead" not in fields and "severity" not in fields


async def test_a_form_slack_will_not_open_is_explained_privately(stack: Stack) -> None:
    """A trigger id more than 3 seconds old (a slow relay, a queued retry): Slack refuses the
    modal, and the person is told so with the words that do the same."""
    trigger = stack.sender.trigger(age=4)
    await stack.sender.slash("declare", user=LEAD, trigger=trigger)
    answer = await stack.reply(trigger)
    assert answer == (
        "The form could not open (Slack said expired_trigger_id); try again, or type "
        "`/incident declare TITLE --lead @someone`."
    )
    assert not [view for view in stack.slack.views if view["trigger_id"] == trigger]


async def test_a_declare_form_declares_as_the_cli_does_acting_as_the_slack_user(
    stack: Stack,
) -> None:
    trigger, view = await open_by_slash(stack, "declare", user=LEAD)
    answer = await stack.sender.submit_form(
        view,
        user=LEAD,
        title="Checkout returns 500s",
        description="Since 10:02; 'pay' fails",
        severity="sev1",
        lead=SUE,
    )
    assert answer == {}  # accepted: the modal closes
    reply = await stack.reply(trigger)
    assert reply.startswith("Declared inc-") and reply.endswith(": Checkout returns 500s")
    slack_id = reply.split(":")[0].removeprefix("Declared ")
    state = await stack.state(slack_id)
    assert (state["lead"], state["severity"], state["reporter"]) == (SUE, "sev1", LEAD)
    assert (state["status"], state["security"]) == ("active", False)

    cli_id = "inc-form-declare-cli"
    await stack.cli(
        "declare", "Checkout returns 500s", "--lead", SUE, "--severity", "sev1",
        "--description", "Since 10:02; 'pay' fails", "--id", cli_id, as_user=LEAD,
    )  # fmt: skip
    slack_start, cli_start = await stack.start_input(slack_id), await stack.start_input(cli_id)
    assert (slack_start.pop("arrived_via"), cli_start.pop("arrived_via")) == ("slack", "cli")
    assert {**slack_start, "id": cli_id} == cli_start


async def test_a_report_form_with_security_checked_reports_a_security_incident(
    stack: Stack,
) -> None:
    trigger, view = await open_by_slash(stack, "", user=REPORTER)
    await stack.sender.submit_form(view, user=REPORTER, title="Leaked API key", security=True)
    reply = await stack.reply(trigger)
    incident_id = reply.split(":")[0].removeprefix("Reported ")
    assert incident_id.endswith("-security")  # the id says nothing of the title
    state = await stack.state(incident_id)
    assert (state["status"], state["security"], state["reporter"]) == (
        "triage", True, REPORTER,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"title": "   "}, {"title": "Give the incident a title."}),
        ({"title": "x" * 201}, {"title": "The title is too long: 201 characters, at most 200."}),
        (
            {"title": "Fine", "description": "d" * 3001},
            {"description": "The description is too long: 3001 characters, at most 3000."},
        ),
    ],
    ids=["blank-title", "long-title", "long-description"],
)
async def test_bad_input_is_answered_in_the_form_and_starts_nothing(
    stack: Stack, values: dict[str, Any], expected: dict[str, str]
) -> None:
    trigger, view = await open_by_slash(stack, "declare", user=LEAD)
    answer = await stack.sender.submit_form(view, user=LEAD, **values)
    assert answer == {"response_action": "errors", "errors": expected}
    assert all(one_sentence(error) for error in expected.values())
    await asyncio.sleep(0.5)
    assert stack.slack.replies(trigger) == []
    assert await missing(stack, "inc-" + time.strftime("%Y-%m-%d") + "-" + "x" * 50)
    # Put right in the same form, it goes through.
    await stack.sender.submit_form(view, user=LEAD, title=f"Fixed {len(values['title'])}")
    assert (await stack.reply(trigger)).startswith("Declared inc-")


async def test_a_redelivered_submission_is_applied_once(stack: Stack) -> None:
    trigger, view = await open_by_slash(stack, "declare", user=LEAD)
    sender = stack.sender
    payload = sender.submission_payload(view, user=LEAD, values={"title": "Redelivered form"})
    for retry, relay in enumerate(stack.relays):  # Slack retries; it may reach another relay
        sender.relay_url = relay
        await sender.deliver("interactive", payload, retry=retry)
    sender.relay_url = stack.relays[0]

    async def both() -> set[str]:
        replies = stack.slack.replies(trigger)
        assert len(replies) == 2
        return {reply["text"] for reply in replies}

    [answer] = await eventually(both, "both answers")  # the second found what the first started
    incident_id = answer.split(":")[0].removeprefix("Declared ")
    assert await missing(stack, f"{incident_id}-2")


# --- The message shortcut ----------------------------------------------------------------------


async def test_report_an_incident_from_a_message_links_it_in_description_and_timeline(
    stack: Stack,
) -> None:
    room = stack.slack.add_channel("search-team", members={BOT_USER, HELPER})
    message: dict[str, Any] = {
        "ts": "1700000999.000200",
        "text": "Search is timing out for <@U0SUE|sue>\nsince 10:02 &amp; rising, see <https://grafana.example/d/1|the graph>",
        "user": HELPER,
        "blocks": [],
        "thread_ts": None,
        "metadata": None,
    }
    room.messages.append(message)
    sent = await stack.sender.shortcut(message, room.id, REPORT_SHORTCUT, user=REPORTER)
    view = await stack.view_opened(sent["trigger_id"])
    assert view["callback_id"] == Form.REPORT
    fields = inputs(view)
    assert fields["title"]["element"]["initial_value"] == "Search is timing out for @sue"
    description = fields["description"]["element"]["initial_value"]
    assert "since 10:02 & rising, see the graph" in description
    permalink = f"https://example.slack.com/archives/{room.id}/p1700000999000200"
    assert permalink in str(view["blocks"])  # the person sees it will be linked

    await stack.sender.submit_form(view, user=REPORTER)  # as prefilled
    reply = await stack.reply(sent["trigger_id"])
    incident_id = reply.split(":")[0].removeprefix("Reported ")
    state = await stack.state(incident_id)
    assert state["description"].endswith(f"Reported from this message: {permalink}")
    timeline = await stack.client.get_workflow_handle(incident_id).query("timeline")
    assert timeline[0]["text"] == f"Reported: Search is timing out for @sue (from {permalink})"
    assert timeline[0]["actor"] == REPORTER and timeline[0]["arrived_via"] == "slack"


# --- The pinned summary's buttons --------------------------------------------------------------


async def click_form(
    stack: Stack, incident_id: str, action: ActionId, *, user: str
) -> tuple[str, dict[str, Any]]:
    summary = await stack.summary(incident_id, with_action=action)
    body = await stack.sender.click(summary, stack.slack.by_name(incident_id).id, action, user=user)
    key = stack.sender.reply_key(body)
    return key, await stack.view_opened(key)


async def test_the_summarys_buttons_open_small_forms_that_run_the_commands(stack: Stack) -> None:
    incident_id = "inc-form-buttons"
    await stack.say(f"declare Queue stuck --lead <@{LEAD}> --id {incident_id}", user=LEAD)

    key, view = await click_form(stack, incident_id, ActionId.POST_UPDATE, user=LEAD)
    assert view["callback_id"] == Form.UPDATE and incident_id in str(view["blocks"])
    assert await stack.sender.submit_form(view, user=LEAD, text="  ") == {
        "response_action": "errors",
        "errors": {"text": "Write something here."},
    }
    await stack.sender.submit_form(view, user=LEAD, text="Drained the dead letters")
    assert incident_id in await stack.reply(key)

    key, view = await click_form(stack, incident_id, ActionId.CRITERIA, user=DM1)
    await stack.sender.submit_form(view, user=DM1, text="queue depth under 100 for 10 minutes")
    await stack.reply(key)

    key, view = await click_form(stack, incident_id, ActionId.HAND_OVER, user=LEAD)
    await stack.sender.submit_form(view, user=LEAD, to=SUE)
    assert SUE in await stack.reply(key)

    key, view = await click_form(stack, incident_id, ActionId.RESOLVE, user=DM1)
    await stack.sender.submit_form(view, user=DM1, summary="Consumers restarted")
    await stack.reply(key)

    state = await stack.state(incident_id)
    assert (state["status"], state["lead"]) == ("resolved", SUE)
    assert state["resolution_criteria"] == "queue depth under 100 for 10 minutes"
    updates = [(name, arg["actor"]) for _, name, arg in await stack.updates(incident_id)]
    assert updates == [
        ("update", LEAD), ("criteria", DM1), ("handover", LEAD), ("resolve", DM1),
    ]  # fmt: skip


async def test_a_forms_text_reaches_the_workflow_exactly_as_entered(stack: Stack) -> None:
    """A form sends its command's input model as data (issue 34), never words for the CLI's
    grammar: text a command line would read as options, quotes and more words stays text."""
    incident_id = "inc-form-as-data"
    text = '--as U0X "quoted" it\'s a=b\n--help\n-- -h'
    await stack.say(f"declare Queue stuck --lead <@{LEAD}> --id {incident_id}", user=LEAD)
    key, view = await click_form(stack, incident_id, ActionId.POST_UPDATE, user=LEAD)
    assert await stack.sender.submit_form(view, user=LEAD, text=text) == {}
    assert incident_id in await stack.reply(key)
    assert [(name, arg) for _, name, arg in await stack.updates(incident_id)] == [
        ("update", {"actor": LEAD, "arrived_via": "slack", "text": text}),
    ]
    timeline = await stack.client.get_workflow_handle(incident_id).query("timeline")
    assert text in [entry["text"] for entry in timeline]


@pytest.mark.parametrize(
    ("action", "values", "errors"),
    [
        (ActionId.POST_UPDATE, {"text": " "}, {"text": "Write something here."}),
        (ActionId.HAND_OVER, {}, {"to": "Choose who leads from now on."}),
        (ActionId.RESOLVE, {"summary": "s" * 3001},
         {"summary": "The summary is too long: 3001 characters, at most 3000."}),
        (ActionId.STATUS_PAGE, {"text": " "},
         {"status": "Choose the status page's state.", "text": "Write something here."}),
        (ActionId.CRITERIA, {"text": "\n"}, {"text": "Write something here."}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)  # fmt: skip
async def test_each_button_forms_bad_input_is_answered_in_the_form_and_changes_nothing(
    stack: Stack, action: ActionId, values: dict[str, Any], errors: dict[str, str]
) -> None:
    incident_id = f"inc-form-bad-{action.value.removeprefix('incident_').replace('_', '-')}"
    await stack.say(f"declare Bad form input --lead <@{LEAD}> --id {incident_id}", user=LEAD)
    key, view = await click_form(stack, incident_id, action, user=DM1)
    answer = await stack.sender.submit_form(view, user=DM1, **values)
    assert answer == {"response_action": "errors", "errors": errors}
    await asyncio.sleep(0.5)
    assert stack.slack.replies(key) == [] and await stack.updates(incident_id) == []


async def test_a_delivery_manager_posts_to_the_status_page_from_its_form(stack: Stack) -> None:
    incident_id = "inc-form-statuspage"
    await stack.say(f"declare Search degraded --lead <@{LEAD}> --id {incident_id}", user=LEAD)
    key, view = await click_form(stack, incident_id, ActionId.STATUS_PAGE, user=DM1)
    options = [o["value"] for o in inputs(view)["status"]["element"]["options"]]
    assert options == ["investigating", "identified", "monitoring", "resolved"]
    await stack.sender.submit_form(view, user=DM1, status="identified", text="Search is slow")
    assert incident_id in await stack.reply(key)
    assert (await stack.state(incident_id))["statuspage_status"] == "identified"


async def test_a_button_used_without_the_role_is_refused_privately_and_changes_nothing(
    stack: Stack,
) -> None:
    incident_id = "inc-form-roles"
    await stack.say(f"declare Disk filling --lead <@{LEAD}> --id {incident_id}", user=LEAD)
    refusals: list[tuple[ActionId, str, dict[str, Any], str]] = [
        (ActionId.HAND_OVER, HELPER, {"to": SUE}, "Only the lead or a delivery manager"),
        (ActionId.STATUS_PAGE, LEAD, {"status": "identified", "text": "Degraded"}, "Only a delivery manager"),
        (ActionId.CRITERIA, HELPER, {"text": "disk under 80%"}, "Only a delivery manager"),
    ]  # fmt: skip
    for action, user, values, refusal in refusals:
        key, view = await click_form(stack, incident_id, action, user=user)
        assert await stack.sender.submit_form(view, user=user, **values) == {}
        answer = await stack.reply(key)
        assert answer.startswith(refusal) and one_sentence(answer), answer
        assert all(r.get("response_type") == "ephemeral" for r in stack.slack.replies(key))
    assert await stack.updates(incident_id) == []
    state = await stack.state(incident_id)
    assert (state["lead"], state["resolution_criteria"]) == (LEAD, None)
