"""The app's Home tab end to end: published on `app_home_opened` from Temporal's incidents, and
again for a person after each command they run, without opening it again; what waits on a
delivery manager; a security incident sealed for those not working on it; its buttons open the
forms (answered in the app's direct messages)."""

from __future__ import annotations

from typing import Any

import pytest

from messages.slack_blocks import ActionId
from messages.slack_forms import Form
from tests.people import HELPER, LEAD, REPORTER
from tests.relay_stack import DM1, Stack, eventually, stack

__all__ = ["stack"]  # the fixture, imported for pytest
pytestmark = pytest.mark.e2e


def texts(view: dict[str, Any]) -> list[str]:
    """What the Home tab says, block by block."""
    found = []
    for block in view["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):  # text objects, or buttons with one
            text = element.get("text", "")
            found.append(text["text"] if isinstance(text, dict) else text)
    return found


async def home_saying(stack: Stack, user: str, *wanted: str, absent: str = "\0") -> list[str]:
    """``user``'s Home tab once it says each of ``wanted`` (and not ``absent``), as published."""

    async def published() -> list[str]:
        view = stack.slack.home(user)
        assert view is not None, f"no Home tab published for {user}"
        said = texts(view)
        joined = "\n".join(said)
        assert all(w in joined for w in wanted), (wanted, said)
        assert absent not in joined, (absent, said)
        return said

    return await eventually(published, f"{user}'s Home saying {wanted}")


async def listed(stack: Stack, *incident_ids: str) -> None:
    """Once Temporal's visibility (eventually consistent) lists the incidents as open, so a Home
    tab opened now shows them."""

    async def visible() -> None:
        query = 'IncidentStatus IN ("triage", "active", "awaiting_approval", "resolved")'
        found = {e.id async for e in stack.client.list_workflows(query)}
        assert set(incident_ids) <= found, incident_ids

    await eventually(visible, f"{incident_ids} listed")


def section_of(said: list[str], incident_title: str) -> str:
    [section] = [t for t in said if t.startswith(f"*{incident_title}*")]
    return section


async def test_the_home_tab_lists_open_incidents_yours_first_and_follows_your_changes(
    stack: Stack,
) -> None:
    await stack.sender.open_home(HELPER)
    said = await home_saying(stack, HELPER, "Incidents", "Report an incident")
    assert "Declare an incident" in said

    mine, theirs = "inc-home-mine", "inc-home-theirs"
    await stack.say(f"declare Cache stampede --lead <@{LEAD}> --id {theirs}", user=LEAD)
    await listed(stack, theirs)
    # Declared by the helper: their tab shows it without being opened again.
    await stack.say(
        f"declare Search slow --lead <@{HELPER}> --severity sev1 --id {mine}", user=HELPER
    )
    said = await home_saying(stack, HELPER, "*Search slow*", "Yours", "*Cache stampede*")
    assert said.index("Yours") < said.index(section_of(said, "Search slow"))
    assert said.index(section_of(said, "Search slow")) < said.index("Open incidents")
    assert said.index("Open incidents") < said.index(section_of(said, "Cache stampede"))
    line = section_of(said, "Search slow")
    assert "Active · sev1 · lead <@U0HELP>" in line and "no update yet" in line

    async def channel_open() -> None:
        assert (await stack.state(mine))["channel_id"]

    await eventually(channel_open, "the incident's channel open")
    await stack.sender.open_home(HELPER)  # the Home is written when opened, or after a command
    said = await home_saying(stack, HELPER, "*Search slow* · <#C")  # a link to the channel

    await stack.say(f"update {mine} Raised the cache size", user=HELPER)
    said = await home_saying(stack, HELPER, "last update")
    assert "last update" in section_of(said, "Search slow")

    await stack.say(f'resolve {mine} --summary "Cache resized"', user=DM1)
    await stack.say(f"retro {mine} --skip --reason Trivial", user=DM1)
    await stack.say(f"join {theirs}", user=HELPER)  # any command of theirs refreshes it
    said = await home_saying(stack, HELPER, "*Cache stampede*", absent="*Search slow*")
    assert said.index("Yours") < said.index(section_of(said, "Cache stampede"))  # now helping


async def test_a_delivery_manager_sees_what_waits_on_them_until_it_is_done(stack: Stack) -> None:
    declared, reported = "inc-home-ack", "inc-home-triage"
    await stack.say(f"declare Payments flaky --lead <@{LEAD}> --id {declared}", user=LEAD)
    await stack.say(f"report Odd login spikes --id {reported}", user=REPORTER)
    await listed(stack, declared, reported)
    await stack.sender.open_home(DM1)
    said = await home_saying(stack, DM1, "Waiting on you", f"/incident ack {declared}")
    waiting = "\n".join(said[said.index("Waiting on you") :])
    assert f"accept or decline the report (`/incident accept {reported}" in waiting
    await stack.say(f"ack {declared}", user=DM1)  # done: the tab follows without reopening
    await home_saying(
        stack, DM1, f"/incident accept {reported}", absent=f"/incident ack {declared}"
    )
    await stack.sender.open_home(LEAD)  # not a delivery manager: nothing waits on them
    said = await home_saying(stack, LEAD, "*Payments flaky*")
    assert "Waiting on you" not in said


async def test_a_security_incident_is_sealed_for_people_not_working_on_it(stack: Stack) -> None:
    answer = await stack.say(f"declare Leaked token --lead <@{LEAD}> --security", user=LEAD)
    await home_saying(stack, LEAD, "*Leaked token*")
    await listed(stack, answer.split(":")[0].removeprefix("Declared "))
    await stack.sender.open_home(REPORTER)
    said = await home_saying(stack, REPORTER, "A confidential incident is being handled.")
    assert not any("Leaked token" in text for text in said)


async def test_the_home_tabs_buttons_open_the_forms_answered_in_a_direct_message(
    stack: Stack,
) -> None:
    await stack.sender.open_home(REPORTER)
    await home_saying(stack, REPORTER, "Report an incident")
    home = stack.slack.home(REPORTER)
    assert home is not None
    payload = stack.sender.view_click_payload(home, ActionId.REPORT_FORM, user=REPORTER)
    await stack.sender.deliver("interactive", payload)
    view = await stack.view_opened(payload["trigger_id"])
    assert view["callback_id"] == Form.REPORT
    await stack.sender.submit_form(view, user=REPORTER, title="Exports are empty")

    async def told() -> str:
        direct = stack.slack.direct_messages(REPORTER)
        assert direct and direct[-1]["text"].startswith("Reported inc-"), direct
        return str(direct[-1]["text"])

    answer = await eventually(told, "the answer in a direct message")
    await home_saying(stack, REPORTER, "*Exports are empty*")
    assert answer.endswith(": Exports are empty")
