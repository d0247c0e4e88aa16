"""Whole incidents on the time-skipping server, delivered by the real SlackMessenger and
AtlassianStatusPage to local stand-ins: what people in Slack and on the status page would see."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import IncidentActivities
from activities.slack import SlackMessenger
from activities.statuspage import AtlassianStatusPage
from messages import slack_blocks as sb
from messages.retro import retro_file_name
from messages.terminal import show_text
from tests.people import DM, DM2, HELPER, INFOSEC, LEAD
from tests.standins.common import Fault
from tests.standins.slack import BOT_USER, Channel, SlackStandIn
from tests.standins.statuspage import StatusPageStandIn
from tests.test_slack_documents import LITERAL_MARKDOWN
from tests.test_workflow import (
    Desk,
    Handle,
    RecordingMessenger,
    RecordingStatusPage,
    state_of,
    timeline_of,
)
from workflows.incident import IncidentWorkflow
from workflows.model import Action, Command, EntryKind, Status, StatusPageStatus
from workflows.model.commands import Handover, PostStatusPage, ProgressUpdate, Resolve, Retro

TOKEN, SP_KEY, PAGE = "xoxb-incident-test", "sp-key", "page1"


@dataclass
class World:
    desk: Desk
    slack: SlackStandIn
    page: StatusPageStandIn

    def incident_channel(self, handle: Handle) -> Channel:
        return next(c for c in self.slack.channels.values() if c.name.startswith(handle.id))

    def platform(self) -> Channel:
        return self.slack.by_name("wc-platform")


@pytest_asyncio.fixture
async def world(time_env: WorkflowEnvironment) -> AsyncIterator[World]:
    slack, page = SlackStandIn(token=TOKEN), StatusPageStandIn(api_key=SP_KEY, page_id=PAGE)
    await slack.start()
    await page.start()
    slack.add_channel("wc-platform", members={BOT_USER})
    activities = IncidentActivities(
        messenger=SlackMessenger.connect(
            token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=0
        ),
        status_page=AtlassianStatusPage.connect(api_key=SP_KEY, page_id=PAGE, base_url=page.url),
    )
    task_queue = f"incidents-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[IncidentWorkflow],
        activities=activities.all(),
    ):
        # The desk's recording transports stay empty: this worker delivers to the stand-ins.
        desk = Desk(time_env, task_queue, RecordingMessenger(), RecordingStatusPage())
        try:
            yield World(desk, slack, page)
        finally:
            await desk.close()
            await slack.stop()
            await page.stop()


def texts(channel: Channel) -> list[str]:
    return [m["text"] for m in channel.messages]


def assert_each_key_once(slack: SlackStandIn) -> None:
    """Every message the bot posted is there once (a file's share is its own message, keyless:
    ``slack.files`` counts those)."""
    for channel in slack.channels.values():
        keys = [sb.posted_key(m) for m in channel.messages if not m.get("files")]
        assert len(keys) == len(set(keys)), f"{channel.name} got a message twice: {keys}"


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "with-faults"])
async def test_a_whole_incident_reaches_slack_and_the_status_page_exactly_once(
    world: World, faults: bool
) -> None:
    desk, slack, page = world.desk, world.slack, world.page
    if faults:  # the first call of each: applied but unanswered, or refused for a while
        slack.inject("conversations.create", Fault.DROP_AFTER)
        slack.inject("conversations.invite", Fault.SERVER_ERROR)
        slack.inject("chat.postMessage", Fault.DROP_AFTER)
        slack.inject("chat.update", Fault.DROP_AFTER)
        page.inject("create", Fault.DROP_AFTER)
        page.inject("patch", Fault.RATE_LIMIT)
    handle = await desk.open(actor=DM)
    await desk.send(handle, Action.JOIN, Command(actor=HELPER))
    await desk.send(handle, Action.HANDOVER, Handover(actor=LEAD, to=HELPER))
    if faults:
        slack.inject("conversations.open", Fault.RATE_LIMIT)
        slack.inject("chat.postMessage", Fault.SERVER_ERROR)
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=HELPER, text="Rolled back v42"))
    if faults:
        slack.inject("chat.postMessage", Fault.DROP_AFTER)
    await desk.send(
        handle, Action.UPDATE, ProgressUpdate(actor=HELPER, text="<!channel> errors falling")
    )
    for status, text in [
        (StatusPageStatus.IDENTIFIED, "Search is degraded; a fix is on its way"),
        (StatusPageStatus.MONITORING, "A fix is in place"),
    ]:
        await desk.send(
            handle, Action.STATUSPAGE, PostStatusPage(actor=DM, status=status, text=text)
        )
    await desk.send(handle, Action.RESOLVE, Resolve(actor=HELPER, summary="Bad deploy"))
    if faults:  # the timeline's file is shared, then the answer is lost
        slack.inject("files.completeUploadExternal", Fault.DROP_AFTER)
    await desk.send(handle, Action.APPROVE, Command(actor=DM))
    await desk.send(handle, Action.RETRO, Retro(actor=DM, notes="Alert on search 5xx"))
    state = await state_of(handle)
    assert (state.status, state.failed_deliveries, state.undelivered) == (Status.CLOSED, 0, 0)

    channel = world.incident_channel(handle)
    assert (channel.name, channel.is_private) == (handle.id, False)
    assert state.channel_id == channel.id
    assert {LEAD, DM, HELPER} <= channel.members  # the supporter was invited on joining
    assert channel.topic == f"Search API returns 500s · sev1 · lead {HELPER}"  # kept current
    assert channel.is_archived  # at close
    [summary] = [m for m in channel.messages if m["ts"] in channel.pinned]
    assert summary["text"].splitlines()[1:5] == [
        "Status: resolved · Severity: sev1",
        f"Lead: {HELPER}",
        f"Supporters: {LEAD}",
        f"Delivery manager: {DM}",
    ]
    said = [t for m, t in zip(channel.messages, texts(channel), strict=True) if m is not summary]
    assert said[0] == f"*Incident {handle.id}*\nEvery search request fails"
    assert said[1:3] == [
        f"{HELPER} joined {handle.id} to help.",
        f"<@{HELPER}> {LEAD} handed the lead of {handle.id} from {LEAD} to {HELPER}.",
    ]
    assert "Rolled back v42" in said and "&lt;!channel&gt; errors falling" in said
    # The timeline and the retro draft: a short message each, in Slack's formatting, and a file.
    assert any(t.startswith(f"*Timeline of {handle.id}: Search API returns 500s*") for t in said)
    assert any(t.startswith("*Incident retro - Search API returns 500s*") for t in said)
    assert not any(LITERAL_MARKDOWN.search(t) for t in said)
    assert [upload.name for upload in slack.files(channel.id)] == [
        f"{handle.id}_timeline.md",
        retro_file_name(state, ZoneInfo("Europe/London")),
    ]
    assert said[-1].startswith(f"{DM} recorded the retro")
    assert not any("<!channel>" in json.dumps(m) for _, m in slack.all_messages())

    platform = world.platform()
    assert texts(platform) == [  # the announcement, edited in place, then the resolution post
        f"Incident closed: Search API returns 500s (sev1), led by {HELPER}. "
        f"Channel: <#{channel.id}>",
        "Resolved: Search API returns 500s. Channel: <#" + channel.id + ">",
    ]
    assert buttons(platform.messages[0]) == []  # no Join button on a closed incident
    assert platform.edits >= 1
    assert texts(slack.channels[f"D{HELPER}"]) == [
        f"You now lead {handle.id}: Search API returns 500s."
    ]
    for manager in (DM, DM2):
        [request] = slack.direct_messages(manager)
        assert buttons(request) == [
            (sb.ActionId.APPROVE, handle.id),
            (sb.ActionId.REJECT, handle.id),
        ]
    assert_each_key_once(slack)

    [(page_id, incident)] = page.incidents.items()
    assert state.statuspage_incident_id == page_id
    assert incident["name"] == "Search API returns 500s"
    assert [u["status"] for u in page.updates(page_id)] == ["identified", "monitoring", "resolved"]
    if faults:
        assert len(slack.faults_met()) == 8 and len(page.faults_met()) == 2


async def test_a_security_incident_stays_private_and_off_the_status_page(world: World) -> None:
    desk, slack, page = world.desk, world.slack, world.page
    secrets = ["Leaked credentials in the build logs", "Keys visible to contractors", "Rotated"]
    handle = await desk.open(actor=DM, security=True, title=secrets[0])
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text=secrets[2]))
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Keys rotated"))

    channel = world.incident_channel(handle)
    assert (channel.name, channel.is_private) == (f"{handle.id}-private", True)
    assert {LEAD, DM, INFOSEC} <= channel.members
    assert secrets[2] in texts(channel)
    assert texts(world.platform()) == [  # the announcement, edited, and the resolution post
        "A confidential incident has been resolved.",
        "A confidential incident has been resolved.",
    ]
    public = [m for c, m in slack.all_messages() if not c.is_private and not c.is_im]
    for secret in [*secrets, "Every search request fails", LEAD]:
        assert not any(secret in json.dumps(m) for m in public), secret
    [told] = slack.direct_messages(INFOSEC)
    assert told["text"].startswith(f"Security incident {handle.id}: {secrets[0]}")
    assert page.requests == []


async def test_an_incident_marked_security_later_moves_and_leaves_nothing_public(
    world: World,
) -> None:
    desk, slack, page = world.desk, world.slack, world.page
    handle = await desk.open(actor=DM)
    await desk.send(
        handle,
        Action.STATUSPAGE,
        PostStatusPage(actor=DM, status=StatusPageStatus.INVESTIGATING, text="Search is slow"),
    )
    public_channel = world.incident_channel(handle)
    await desk.send(handle, Action.SECURITY, Command(actor=LEAD))
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Token found in logs"))

    state = await state_of(handle)
    private = slack.channels[state.channel_id or ""]
    assert private.is_private and private.name == f"{handle.id}-private"
    assert {LEAD, DM, INFOSEC} <= private.members
    assert "Token found in logs" in texts(private)
    assert texts(public_channel)[-1] == (
        f"{handle.id} is now a security incident: work goes on in a new private channel, "
        f"#{handle.id}-private. Please post nothing more about it here."
    )
    assert texts(world.platform()) == ["A confidential incident is being handled."]
    assert buttons(world.platform().messages[0]) == []
    [(page_id, _)] = page.incidents.items()
    assert [(u["status"], u["body"]) for u in page.updates(page_id)] == [
        ("investigating", "Search is slow"),
        ("resolved", "This incident has been resolved."),
    ]
    assert (state.failed_deliveries, state.undelivered) == (0, 0)


async def test_a_message_slack_refuses_for_good_is_recorded_and_the_incident_goes_on(
    world: World,
) -> None:
    world.platform().is_archived = True
    handle = await world.desk.open(actor=DM)
    await world.desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Still going"))

    state = await state_of(handle)
    assert (state.status, state.failed_deliveries, state.undelivered) == (Status.ACTIVE, 1, 0)
    [failure] = await timeline_of(handle, EntryKind.DELIVERY_FAILED)
    assert "is_archived" in failure.text
    assert "Still going" in texts(world.incident_channel(handle))
    assert "Failed deliveries: 1" in show_text(state)


async def test_the_channel_opens_with_its_pinned_summary_in_one_delivery(world: World) -> None:
    """The start's pinned summary rides with the channel: one activity, so what the channel
    queues next (the first reminder, an update) waits for one delivery instead of two with a
    workflow task between. Later changes edit that same pinned message."""
    handle = await world.desk.open(actor=DM)
    await world.desk.send(handle, Action.HANDOVER, Handover(actor=LEAD, to=HELPER))

    scheduled = []
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            attributes = event.activity_task_scheduled_event_attributes
            effect = json.loads(attributes.input.payloads[0].data)
            scheduled.append((attributes.activity_type.name, effect))
    [opening] = [effect for name, effect in scheduled if name == "open_incident_channel"]
    assert opening["summary"]["key"] == f"{opening['key']}/summary"
    summaries = [e for name, e in scheduled if name == "deliver_notice" and e["kind"] == "summary"]
    assert summaries and all(e["replaces"] for e in summaries)  # edits only, no second post

    channel = world.incident_channel(handle)
    [pinned] = [m for m in channel.messages if m["ts"] in channel.pinned]
    assert sb.posted_key(pinned) == opening["summary"]["key"]
    assert f"Lead: {HELPER}" in pinned["text"]
    assert_each_key_once(world.slack)
    assert (await state_of(handle)).undelivered == 0
