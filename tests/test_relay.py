"""The Slack relay end to end: two `incident relay` processes on free ports, signed requests over
real HTTP, the Slack stand-in as the Web API (and response URLs), a real Temporal dev server and a
worker delivering to the stand-in. What a person in Slack sees, and what Temporal records."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from messages.slack_blocks import ActionId
from tests.people import HELPER, LEAD, REPORTER, SUE
from tests.relay_stack import DM1, DM2, STARTER, Stack, eventually, one_sentence, stack
from tests.standins.slack_relay import SlackSender

__all__ = ["stack"]  # the fixture, imported for pytest
pytestmark = pytest.mark.e2e


# --- Must show: a lead runs an incident from Slack; the DM answers with buttons -------------------


async def test_a_lead_runs_an_incident_from_slack_and_temporal_records_the_clis_updates(
    stack: Stack,
) -> None:
    slack_id, cli_id = "inc-relay-story", "inc-relay-story-cli"
    title = "Search API down"
    answer = await stack.say(
        f'declare "{title}" --lead <@{LEAD}|lead> --severity sev1 --id {slack_id}', user=LEAD
    )
    assert answer == f"Declared {slack_id}: {title}"
    ack_request = await stack.message_with(f"D{DM1}", ActionId.ACKNOWLEDGE, slack_id)
    body = await stack.sender.click(ack_request, f"D{DM1}", ActionId.ACKNOWLEDGE, user=DM1)
    assert "acknowledged" in (await stack.reply(SlackSender.reply_key(body))).lower()
    await stack.say(f"update {slack_id} Restarted the pods, watching error rates", user=LEAD)
    answer = await stack.say(f"handover {slack_id} --to <@{SUE}|sue>", user=LEAD, relay=1)
    assert SUE in answer
    await stack.say(f'resolve {slack_id} --summary "Bad deploy rolled back"', user=SUE)
    request = await stack.message_with(f"D{DM1}", ActionId.APPROVE, slack_id)
    body = await stack.sender.click(request, f"D{DM1}", ActionId.APPROVE, user=DM1)
    await stack.reply(SlackSender.reply_key(body))

    state = await stack.state(slack_id)
    assert (state["status"], state["lead"], state["delivery_manager"]) == ("resolved", SUE, DM1)
    assert state["acknowledged_at"] is not None
    decided = await stack.edited(f"D{DM1}", request, f"Approved by <@{DM1}>")
    assert all(block["type"] != "actions" for block in decided["blocks"])

    # The same story through the CLI: the same workflow input and the same Updates, in order.
    await stack.cli(
        "declare", title, "--lead", LEAD, "--severity", "sev1", "--id", cli_id, as_user=LEAD
    )
    await stack.cli("ack", cli_id, as_user=DM1)
    await stack.cli("update", cli_id, "Restarted the pods, watching error rates", as_user=LEAD)
    await stack.cli("handover", cli_id, "--to", SUE, as_user=LEAD)
    await stack.cli("resolve", cli_id, "--summary", "Bad deploy rolled back", as_user=SUE)
    await stack.cli("approve", cli_id, as_user=DM1)
    # Each says how it arrived: Slack, which verified the person, or the CLI.
    from_slack = [(name, arg) for _, name, arg in await stack.updates(slack_id)]
    from_cli = [(name, arg) for _, name, arg in await stack.updates(cli_id)]
    assert [name for name, _ in from_slack] == [
        "ack", "update", "handover", "resolve", "approve",
    ]  # fmt: skip
    assert {arg.pop("arrived_via") for _, arg in from_slack} == {"slack"}
    assert {arg.pop("arrived_via") for _, arg in from_cli} == {"cli"}
    assert from_slack == from_cli
    slack_start, cli_start = await stack.start_input(slack_id), await stack.start_input(cli_id)
    assert (slack_start.pop("arrived_via"), cli_start.pop("arrived_via")) == ("slack", "cli")
    assert {**slack_start, "id": cli_id} == cli_start
    # The timeline records it with every entry the commands made.
    for incident_id, via in ((slack_id, "slack"), (cli_id, "cli")):
        timeline = await stack.client.get_workflow_handle(incident_id).query("timeline")
        made = [entry for entry in timeline if entry["arrived_via"] is not None]
        assert [entry["kind"] for entry in made] == [
            "declared", "acknowledged", "update", "handover", "resolution_requested", "resolved",
        ]  # fmt: skip
        assert {entry["arrived_via"] for entry in made} == {via}
        assert {e["kind"] for e in timeline if e["arrived_via"] is None} <= {"channel"}


async def test_each_relay_is_reached_the_way_the_stack_says(stack: Stack) -> None:
    """Over HTTP, signed requests and no Socket Mode connection; in Socket Mode, each relay's
    own connection (no HTTP port at all), every envelope acknowledged."""
    before = len(stack.slack.envelopes)
    for relay in range(len(stack.relays)):
        assert "`/incident help COMMAND`" in await stack.say("help", user=HELPER, relay=relay)
    if stack.transport == "socket":
        assert len(stack.slack.sockets) == 2 and all(r.startswith("socket:") for r in stack.relays)
        assert len(stack.slack.envelopes) - before == 2
    else:
        assert stack.slack.sockets == [] and len(stack.slack.envelopes) == before


async def test_forged_requests_are_refused_with_401_and_change_nothing(stack: Stack) -> None:
    if stack.transport == "socket":
        pytest.skip("Socket Mode serves no HTTP: Slack authenticates the relay's own connection")
    incident_id = "inc-relay-forged"
    await stack.say(f"declare Forgery target --lead {LEAD} --id {incident_id}", user=LEAD)
    request = await stack.message_with(f"D{DM1}", ActionId.ACKNOWLEDGE, incident_id)
    before = await stack.updates(incident_id)
    sender = stack.sender
    trigger = sender.trigger()
    body = sender.slash_body(f"update {incident_id} forged", user=LEAD, trigger=trigger)
    click = sender.click_body(request, f"D{DM1}", ActionId.ACKNOWLEDGE, user=DM1)
    tampered = sender.signed(body)
    forged = [
        (body, {"Content-Type": "application/x-www-form-urlencoded"}),  # unsigned
        (body, sender.signed(body, secret="not-the-secret")),  # mis-signed
        (body, sender.signed(body, age=6 * 60)),  # correctly signed, six minutes old
        (body.replace("forged", "forged2"), tampered),  # signed, then changed
        (click, sender.signed(click, secret="not-the-secret")),  # a forged click
    ]
    for forged_body, headers in forged:
        for url in stack.relays:
            status, _ = await sender.post(forged_body, headers, url=url)
            assert status == 401
    await asyncio.sleep(1)
    assert await stack.updates(incident_id) == before
    assert stack.slack.replies(trigger) == []
    assert stack.slack.replies(SlackSender.reply_key(click)) == []
    assert (await stack.state(incident_id))["acknowledged_at"] is None


# --- Every command, every button ------------------------------------------------------------------


async def test_every_command_works_from_slack(stack: Stack) -> None:
    say = stack.say
    report = await say('report "Checkout slow" --description "p95 at 4 s"', user=REPORTER)
    incident_id = report.split(":")[0].removeprefix("Reported ")
    assert incident_id.startswith("inc-") and incident_id.endswith("checkout-slow")
    done = [
        (f"accept {incident_id} --lead <@{LEAD}|lead> --severity sev2", DM1),
        (f"join {incident_id}", HELPER),
        (f"severity {incident_id} sev1", LEAD),
        (f"snooze {incident_id} 45m", LEAD),
        (f'criteria {incident_id} "p95 under 500 ms for 15 minutes"', DM1),
        (f"statuspage {incident_id} --status identified Checkout is slow; a fix is coming", DM1),
        (f"update {incident_id} Scaled the database; it\u2019s recovering", HELPER),
        (f"leave {incident_id}", HELPER),
        (f'resolve {incident_id} --summary "Scaled up"', DM1),
        (f'retro {incident_id} --notes "Add an alert" --action "Alert on p95"', LEAD),
    ]
    for text, user in done:
        answer = await say(text, user=user)
        assert incident_id in answer, (text, answer)
    state = await stack.state(incident_id)
    assert (state["status"], state["severity"], state["lead"]) == ("closed", "sev1", LEAD)
    assert state["resolution_criteria"] == "p95 under 500 ms for 15 minutes"
    assert state["supporters"] == []
    names = [name for _, name, _ in await stack.updates(incident_id)]
    assert names == [text.split()[0] for text, _ in done]
    texts = [arg.get("text") for _, name, arg in await stack.updates(incident_id)]
    assert "Scaled the database; it\u2019s recovering" in texts

    assert incident_id in await say(f"show {incident_id}", user=HELPER)
    assert "Scaled up" in await say(f"timeline {incident_id}", user=HELPER)
    stats = await say("stats", user=HELPER)
    assert "incident" in stats.lower() and not one_sentence(stats), stats
    declined = await say("report Flaky dashboard --id inc-relay-declined", user=REPORTER)
    assert declined.startswith("Reported inc-relay-declined")
    await say('decline inc-relay-declined --reason "Known issue" --revisit 2099-01-05', user=DM2)
    assert (await stack.state("inc-relay-declined"))["status"] == "declined"

    async def listed() -> None:  # visibility catches up with the workflow's search attributes
        assert "inc-relay-declined" in await say("list --status declined", user=HELPER)

    await eventually(listed, "the declined report listed")
    marked = await say("declare Leaked key --lead <@U0LEAD> --id inc-relay-secret", user=LEAD)
    assert marked.startswith("Declared inc-relay-secret")
    await say("security inc-relay-secret", user=LEAD)
    assert (await stack.state("inc-relay-secret"))["security"] is True


async def test_help_lists_the_commands_privately(stack: Stack) -> None:
    listing = await stack.say("help", user=HELPER)
    for command in ("declare", "update", "handover", "resolve", "approve", "reject", "show"):
        assert f"`{command}`" in listing
    assert "worker" not in listing and "retro-doc" not in listing
    usage = await stack.say("help handover", user=HELPER)
    assert "/incident handover" in usage and "--to" in usage


async def test_join_button_on_the_announcement(stack: Stack) -> None:
    incident_id = "inc-relay-join"
    await stack.say(f"declare Queue backlog --lead {LEAD} --id {incident_id}", user=LEAD)
    platform = stack.slack.by_name("wc-platform").id
    announcement = await stack.message_with(platform, ActionId.JOIN, incident_id)
    body = await stack.sender.click(announcement, platform, ActionId.JOIN, user=HELPER)
    assert incident_id in await stack.reply(SlackSender.reply_key(body))
    assert (await stack.state(incident_id))["supporters"] == [HELPER]
    assert [name for _, name, _ in await stack.updates(incident_id)] == ["join"]


async def test_someone_asked_answers_with_the_buttons_in_their_direct_message(stack: Stack) -> None:
    incident_id = "inc-relay-ask"
    await stack.say(f"declare CDN errors --lead {LEAD} --id {incident_id}", user=LEAD)
    for person in (HELPER, DM2):
        answer = await stack.say(f"ask {incident_id} --to <@{person}>", user=LEAD)
        assert answer.startswith(f"{LEAD} asked {person} to help on {incident_id}")
    asked = await stack.message_with(f"D{HELPER}", ActionId.BUSY, incident_id)
    body = await stack.sender.click(asked, f"D{HELPER}", ActionId.BUSY, user=HELPER)
    assert "can't help" in await stack.reply(SlackSender.reply_key(body))
    answered = await stack.edited(f"D{HELPER}", asked, f"Can't help, said by <@{HELPER}>")
    assert not any(block["type"] == "actions" for block in answered["blocks"])
    other = await stack.message_with(f"D{DM2}", ActionId.JOIN, incident_id)
    await stack.sender.click(other, f"D{DM2}", ActionId.JOIN, user=DM2)
    state = await stack.state(incident_id)
    assert (state["supporters"], state["asked"]) == ([DM2], {})
    assert [name for _, name, _ in await stack.updates(incident_id)] == [
        "ask",
        "ask",
        "busy",
        "join",
    ]


async def test_reject_asks_for_a_reason_in_a_modal(stack: Stack) -> None:
    incident_id = "inc-relay-reject"
    await stack.say(f"declare Login errors --lead {LEAD} --id {incident_id}", user=LEAD)
    await stack.say(f"resolve {incident_id}", user=LEAD)
    request = await stack.message_with(f"D{DM2}", ActionId.REJECT, incident_id)
    await stack.sender.click(request, f"D{DM2}", ActionId.REJECT, user=DM2)

    async def opened() -> dict[str, Any]:
        assert stack.slack.views
        return stack.slack.views[-1]

    view = await eventually(opened, "the reject modal")
    assert (await stack.state(incident_id))["status"] == "awaiting_approval"  # nothing yet
    blank = await stack.sender.submit_form(view, user=DM2, reason="   ")
    assert blank == {
        "response_action": "errors",
        "errors": {"reason": "Say why the incident is not resolved."},
    }  # answered in the modal, which stays open
    await stack.sender.submit(view, user=DM2, reason="Errors are still at 3%")

    async def answered() -> dict[str, Any]:
        assert stack.slack.ephemeral and stack.slack.ephemeral[-1]["user"] == DM2
        return stack.slack.ephemeral[-1]

    assert (await eventually(answered, "a private answer"))["channel"] == f"D{DM2}"
    state = await stack.state(incident_id)
    assert state["status"] == "active"
    updates = [(name, arg) for _, name, arg in await stack.updates(incident_id)]
    assert updates == [
        (
            "resolve",
            {"actor": LEAD, "arrived_via": "slack", "summary": None, "criteria_met": False},
        ),
        ("reject", {"actor": DM2, "arrived_via": "slack", "reason": "Errors are still at 3%"}),
    ]
    await stack.edited(f"D{DM2}", request, f"Rejected by <@{DM2}>: Errors are still at 3%")


async def test_a_click_and_a_modal_reach_the_workflow_as_the_commands_input_as_entered(
    stack: Stack,
) -> None:
    """Buttons and their modals send the command's input model as data (issue 34), never words
    for the CLI's grammar: a reason a command line would read as options, quotes and more words
    is recorded exactly as it was entered."""
    incident_id = "inc-relay-as-data"
    reason = '--as U0X "quoted" it\'s a=b\n--reason=--help\n-- -h'
    await stack.say(f"declare Cache misses --lead {LEAD} --id {incident_id}", user=LEAD)
    await stack.say(f"resolve {incident_id}", user=LEAD)
    request = await stack.message_with(f"D{DM1}", ActionId.REJECT, incident_id)
    body = await stack.sender.click(request, f"D{DM1}", ActionId.REJECT, user=DM1)
    view = await stack.view_opened(SlackSender.reply_key(body))
    await stack.sender.submit(view, user=DM1, reason=reason)
    await stack.edited(f"D{DM1}", request, f"Rejected by <@{DM1}>: --as U0X")
    assert (await stack.state(incident_id))["rejection_reason"] == reason
    await stack.say(f"resolve {incident_id}", user=LEAD)
    approval = await stack.message_with(f"D{DM1}", ActionId.APPROVE, incident_id)
    body = await stack.sender.click(approval, f"D{DM1}", ActionId.APPROVE, user=DM1)
    assert incident_id in await stack.reply(SlackSender.reply_key(body))
    resolve = {"actor": LEAD, "arrived_via": "slack", "summary": None, "criteria_met": False}
    assert [(name, arg) for _, name, arg in await stack.updates(incident_id)] == [
        ("resolve", resolve),
        ("reject", {"actor": DM1, "arrived_via": "slack", "reason": reason}),
        ("resolve", resolve),
        ("approve", {"actor": DM1, "arrived_via": "slack"}),
    ]
    assert (await stack.state(incident_id))["status"] == "resolved"


async def test_resolved_on_criteria_the_dms_can_reopen_with_a_reason(stack: Stack) -> None:
    incident_id = "inc-relay-criteria"
    await stack.say(f"declare Slow search --lead {LEAD} --id {incident_id}", user=LEAD)
    await stack.say(f'criteria {incident_id} "p95 under 500 ms"', user=DM1)
    answer = await stack.say(f"resolve {incident_id} --criteria-met", user=LEAD)
    assert answer.startswith(f"{LEAD} resolved {incident_id} on the delivery managers' criteria")
    told = await stack.message_with(f"D{DM2}", ActionId.REOPEN, incident_id)
    await stack.sender.click(told, f"D{DM2}", ActionId.REOPEN, user=DM2)

    async def opened() -> dict[str, Any]:
        assert stack.slack.views and stack.slack.views[-1]["callback_id"].endswith("reopen_reason")
        return stack.slack.views[-1]

    view = await eventually(opened, "the reopen modal")
    assert (await stack.state(incident_id))["status"] == "resolved"  # nothing yet
    await stack.sender.submit(view, user=DM2, reason="p95 is back at 2 s")

    async def reopened() -> None:
        assert (await stack.state(incident_id))["status"] == "active"

    await eventually(reopened, "the incident reopened")

    await stack.edited(f"D{DM2}", told, f"Reopened by <@{DM2}>: p95 is back at 2 s")


async def test_a_click_by_someone_without_the_role_is_refused_privately(stack: Stack) -> None:
    incident_id = "inc-relay-role"
    await stack.say(f"declare Disk full --lead {LEAD} --id {incident_id}", user=LEAD)
    await stack.say(f"resolve {incident_id}", user=LEAD)
    request = await stack.message_with(f"D{DM1}", ActionId.APPROVE, incident_id)
    before = await stack.updates(incident_id)
    body = await stack.sender.click(request, f"D{DM1}", ActionId.APPROVE, user=HELPER)
    refusal = await stack.reply(SlackSender.reply_key(body))
    assert refusal.startswith("Only a delivery manager may approve") and one_sentence(refusal)
    assert await stack.updates(incident_id) == before
    assert (await stack.state(incident_id))["status"] == "awaiting_approval"
    unchanged = next(m for m in stack.slack.messages(f"D{DM1}") if m["ts"] == request["ts"])
    assert any(block["type"] == "actions" for block in unchanged["blocks"])


# --- Exactly once, and bad input -------------------------------------------------------------------


async def test_a_redelivered_command_or_click_applies_once(stack: Stack) -> None:
    incident_id = "inc-relay-redelivery"
    sender = stack.sender

    async def redelivered(kind: str, payload: dict[str, Any], relays: list[str]) -> None:
        """Slack retries what it got no answer to; the retry may reach another relay."""
        for retry, relay in enumerate(relays):
            sender.relay_url = relay
            await sender.deliver(kind, payload, retry=retry)
        sender.relay_url = stack.relays[0]

    trigger = sender.trigger()
    declare = sender.slash_payload(
        f'declare "Redelivered declare" --lead {LEAD}', user=LEAD, trigger=trigger
    )
    await redelivered("slash_commands", declare, stack.relays)
    await eventually(lambda: _replies(stack, trigger, 2), "both answers")
    answers = {reply["text"] for reply in stack.slack.replies(trigger)}
    assert len(answers) == 1, answers  # the second found the incident the first started
    declared = answers.pop().split(":")[0].removeprefix("Declared ")
    with pytest.raises(Exception, match="not found"):
        await stack.client.get_workflow_handle(f"{declared}-2").describe()

    await stack.say(f"declare Redelivery --lead {LEAD} --id {incident_id}", user=LEAD)
    trigger = sender.trigger()
    update = sender.slash_payload(f"update {incident_id} Applied once", user=LEAD, trigger=trigger)
    await redelivered("slash_commands", update, [*stack.relays, stack.relays[0]])
    await eventually(lambda: _replies(stack, trigger, 3), "three answers")
    await stack.say(f"resolve {incident_id}", user=LEAD)
    request = await stack.message_with(f"D{DM1}", ActionId.APPROVE, incident_id)
    click = sender.click_payload(request, f"D{DM1}", ActionId.APPROVE, user=DM1)
    await redelivered("interactive", click, stack.relays)
    await eventually(lambda: _replies(stack, click["trigger_id"], 2), "two answers")

    updates = await stack.updates(incident_id)
    assert [name for _, name, _ in updates] == ["update", "resolve", "approve"]
    assert len({update_id for update_id, _, _ in updates}) == 3
    timeline = await stack.client.get_workflow_handle(incident_id).query("timeline")
    assert [entry["text"] for entry in timeline].count("Applied once") == 1
    assert (await stack.state(incident_id))["status"] == "resolved"


async def _replies(stack: Stack, key: str, count: int) -> None:
    assert len(stack.slack.replies(key)) >= count


async def test_bad_input_is_answered_privately_in_one_sentence_and_changes_nothing(
    stack: Stack,
) -> None:
    incident_id = "inc-relay-bad-input"
    await stack.say(f"declare Bad input --lead {LEAD} --id {incident_id}", user=LEAD)
    before = await stack.updates(incident_id)
    cases = {
        "frobnicate inc-1": "is not a command",
        "update": "Missing argument",
        "update inc-relay-nobody-here Still down": "There is no incident inc-relay-nobody-here.",
        f"handover {incident_id} --to": "requires an argument",
        f"handover {incident_id} --bogus x": "No such option",
        f"handover {incident_id} --to <#C0GENERAL|general>": "is not a Slack user id",
        f"handover {incident_id} --to <!subteam^S0TEAM|@oncall>": "is not a Slack user id",
        f"update {incident_id} " + "x" * 4100: "too long",
        f"update {incident_id} " + "y" * 3100: "The text is too long",
        f"update {incident_id} --as {DM1} I am the DM now": "act as yourself",
        f'update {incident_id} "unclosed': "quote is not closed",
        f"ack {incident_id}": "Only a delivery manager",
        f"severity {incident_id} sev9": "'sev9' is not a severity",
    }
    for text, expected in cases.items():
        answer = await stack.say(text, user=LEAD)
        assert expected in answer and one_sentence(answer), (text, answer)
    assert await stack.updates(incident_id) == before
    assert max(stack.ack_seconds) < 3  # recorded for the benchmark; Slack's limit


def test_the_manifest_matches_the_relay() -> None:
    import yaml

    from frontends.relay import EVENTS_PATH
    from frontends.relay_forms import REPORT_SHORTCUT
    from frontends.slash import SLASH

    manifest = yaml.safe_load((STARTER.parent / "slack" / "manifest.yml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == SLASH and command["should_escape"] is True
    assert command["url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["socket_mode_enabled"] is False
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", REPORT_SHORTCUT)
    assert shortcut["name"] == "Report an incident"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["bot_events"] == ["app_home_opened"]
    assert events["request_url"].endswith(EVENTS_PATH)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read.email", "files:write"} <= scopes


def test_the_manuals_scopes_are_the_manifests() -> None:
    """The manual's scope table (docs/admin/slack-app.md; plus `commands`, which it names) is what
    the manifest asks for: an admin reading one sees the other."""
    import re

    import yaml

    page = (STARTER.parent / "docs" / "admin" / "slack-app.md").read_text()
    table = page.split("| scope | used for |", 1)[1].split("\n\n", 1)[0]
    listed = {
        scope
        for row in re.findall(r"^\| ([^|]+) \|", table, re.M)
        for scope in re.findall(r"`([a-z:.]+)`", row)
    }
    manifest = yaml.safe_load((STARTER.parent / "slack" / "manifest.yml").read_text())
    assert listed | {"commands"} == set(manifest["oauth_config"]["scopes"]["bot"])
