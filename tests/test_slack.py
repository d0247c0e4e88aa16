"""Slack, for real: the Block Kit builders on their output, and SlackMessenger against a local
stand-in of the Slack Web API that records every request and injects faults.

Retries run as Temporal runs them: each attempt in an ActivityEnvironment whose ``attempt`` counts
up, until one succeeds or a non-retryable error stops it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import httpx
import pytest
import pytest_asyncio
import typer
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.testing import ActivityEnvironment

import starter
from activities.slack import SlackMessenger
from activities.slack_posting import PACE_HOLD_SECONDS
from messages import slack_blocks as sb
from messages.slack_blocks import ActionId
from messages.slack_relay import decision_line, settled_by_one_answer
from temporal_client.settings import Settings
from tests.standins.common import Fault
from tests.standins.slack import BOT_USER, Channel, SlackStandIn
from worker import build_activities
from workflows.destinations.slack import (
    Audience,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.model import Severity, Status

TOKEN = "xoxb-test-token"
INCIDENT = "inc-2026-01-05-search-down"
BROADCASTS = ["<!channel>", "<!here>", "<!everyone>", "@channel", "@here", "@everyone"]
T = TypeVar("T")


def brief(*, security: bool = False, channel_id: str | None = None, **fields: Any) -> IncidentBrief:
    values: dict[str, Any] = {
        "id": INCIDENT,
        "title": None if security else "Search down",
        "severity": Severity.SEV1,
        "status": Status.ACTIVE,
        "lead": None if security else "U0LEAD",
        "channel_id": channel_id,
        "security": security,
    }
    return IncidentBrief(**(values | fields))


def notice(
    kind: NoticeKind = NoticeKind.UPDATE,
    audience: Audience = Audience.INCIDENT_CHANNEL,
    *,
    key: str = f"{INCIDENT}/7",
    text: str = "Restarted the pods",
    incident: IncidentBrief | None = None,
    **fields: Any,
) -> Notice:
    return Notice(
        key=key,
        kind=kind,
        audience=audience,
        incident=incident or brief(),
        text=text,
        **fields,
    )


def channel_request(**fields: Any) -> ChannelRequest:
    values: dict[str, Any] = {
        "key": f"{INCIDENT}/1",
        "incident_id": INCIDENT,
        "name": INCIDENT,
        "private": False,
        "topic": "Search down · sev1 · lead U0LEAD",
        "first_message": "Every search request fails",
        "invite": ["U0LEAD", "U0DM"],
    }
    return ChannelRequest(**(values | fields))


# --- Builders ------------------------------------------------------------------------------------


@pytest.mark.parametrize("broadcast", BROADCASTS)
def test_user_text_never_broadcasts(broadcast: str) -> None:
    text = sb.notice_text(notice(text=f"Heads up {broadcast} the index is gone"))
    assert broadcast not in text
    assert "Heads up" in text and "the index is gone" in text


def test_user_text_cannot_mention_or_link() -> None:
    text = sb.neutralise("ping <@U0BOSS> and <https://evil.example|click> & <!subteam^S1>")
    assert "<@" not in text and "<http" not in text and "<!" not in text
    assert "&amp;" in text


def test_mentions_ping_people_by_slack_id() -> None:
    text = sb.notice_text(notice(NoticeKind.REMINDER, mentions=["U0LEAD", "sue@example.org"]))
    assert text.startswith("<@U0LEAD> sue@example.org Restarted")


def test_announcement_links_the_channel_and_offers_a_join_button() -> None:
    announcement = notice(
        NoticeKind.DECLARED, Audience.PLATFORM_CHANNEL, incident=brief(channel_id="C0INC")
    )
    assert sb.notice_text(announcement).endswith("Channel: <#C0INC>")
    [actions] = [b for b in sb.notice_blocks(announcement) if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ActionId.JOIN, INCIDENT)
    ]


def test_a_confidential_announcement_has_no_button_and_no_channel() -> None:
    blocks = sb.notice_blocks(
        notice(NoticeKind.DECLARED, Audience.PLATFORM_CHANNEL, incident=brief(security=True))
    )
    assert all(b["type"] != "actions" for b in blocks)
    assert "<#" not in str(blocks)


def test_resolution_request_has_approve_and_reject_naming_the_incident() -> None:
    request = notice(NoticeKind.RESOLUTION_REQUEST, Audience.DIRECT, recipients=["U0DM"])
    [actions] = [b for b in sb.notice_blocks(request) if b["type"] == "actions"]
    assert [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]] == [
        (ActionId.APPROVE, INCIDENT, "primary"),
        (ActionId.REJECT, INCIDENT, "danger"),
    ]


GROUP = typer.main.get_group(starter.app)


def test_one_answer_settles_a_request_or_an_ask_but_not_the_announcements_join() -> None:
    """Once its button's command is done, the relay replaces a request's or an ask's buttons
    with who answered; the announcement's Join stays for everyone else."""
    settled = [
        notice(NoticeKind.ACK_REQUEST, Audience.DIRECT, recipients=["U0DM"]),
        notice(NoticeKind.RESOLUTION_REQUEST, Audience.DIRECT, recipients=["U0DM"]),
        notice(NoticeKind.ASKED, Audience.DIRECT, recipients=["U0HELP"]),
        notice(NoticeKind.RESOLVED, Audience.DIRECT, recipients=["U0DM"]),
    ]
    for request in settled:
        assert settled_by_one_answer(sb.notice_blocks(request)), request.kind
    announcement = notice(
        NoticeKind.DECLARED, Audience.PLATFORM_CHANNEL, incident=brief(channel_id="C0INC")
    )
    assert not settled_by_one_answer(sb.notice_blocks(announcement))
    # Each button says how it settles, and each runs a CLI command that exists.
    commands = set(GROUP.list_commands(typer.Context(GROUP)))
    for clicked, button in sb.BUTTONS.items():
        assert button.command in commands, clicked
        assert decision_line(clicked, "U0DM").startswith(f"{button.done} by <@U0DM>")


def next_steps(message_blocks: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [element["text"]["text"] for element in block["elements"]]
        for block in message_blocks
        if block["type"] == "actions"
    ]


@pytest.mark.parametrize(
    ("status", "security", "rows"),
    [
        (Status.ACTIVE, False, [["Post update", "Hand over", "Resolve"], ["Status page", "Criteria"]]),
        (Status.AWAITING_APPROVAL, False, [["Post update", "Hand over"], ["Status page", "Criteria"]]),
        (Status.ACTIVE, True, [["Post update", "Hand over", "Resolve"], ["Criteria"]]),
        (Status.RESOLVED, False, []),
        (Status.TRIAGE, False, []),
    ],
)  # fmt: skip
def test_the_pinned_summary_offers_the_next_steps_while_the_incident_is_worked_on(
    status: Status, security: bool, rows: list[list[str]]
) -> None:
    summary = notice(
        NoticeKind.SUMMARY,
        standing=Standing.SUMMARY,
        incident=brief(security=security, status=status),
    )
    blocks = sb.notice_blocks(summary)
    assert next_steps(blocks) == rows
    values = {e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert values <= {INCIDENT}
    assert next_steps(sb.notice_blocks(notice(NoticeKind.UPDATE))) == []  # only the summary


def test_ack_request_has_an_acknowledge_button() -> None:
    request = notice(NoticeKind.ACK_REQUEST, Audience.DIRECT, recipients=["U0DM"])
    [actions] = [b for b in sb.notice_blocks(request) if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [ActionId.ACKNOWLEDGE]


def test_a_long_timeline_is_split_into_sections_slack_accepts() -> None:
    lines = "\n".join(f"- 10:{n:02d} **U0LEAD** (update): step {n} " + "x" * 80 for n in range(90))
    blocks = sb.notice_blocks(notice(NoticeKind.TIMELINE, text=lines))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 3
    assert all(len(s) <= sb.SECTION_MAX for s in sections)
    assert "\n".join(sections).count("step ") == 90


def test_channel_intro_is_neutralised_and_the_topic_is_plain_text_as_typed() -> None:
    request = channel_request(topic="Café & Shop <down> · sev1", first_message="@channel all down")
    assert "@channel" not in sb.channel_intro_text(request)
    # conversations.setTopic takes plain text: no formatting, so nothing to escape (issue 17).
    assert sb.slack_topic(request.topic) == "Café & Shop <down> · sev1"
    long_topic = sb.slack_topic("x" * 300)
    assert len(long_topic) == sb.TOPIC_MAX and long_topic.endswith("…")


# --- SlackMessenger against the stand-in ---------------------------------------------------------


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(token=TOKEN)
    await stand_in.start()
    stand_in.add_channel("wc-platform", members={BOT_USER})
    stand_in.add_channel("wc-incident-response", members={BOT_USER, "U0DM"})
    yield stand_in
    await stand_in.stop()


def messenger_for(slack: SlackStandIn, *, token: str = TOKEN) -> SlackMessenger:
    return SlackMessenger.connect(
        token=token, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=0
    )


# What an injected fault makes the real clients raise: a dropped connection (slack-sdk speaks
# through aiohttp, the Statuspage adapter through httpx). Temporal retries these; a test here
# retries only these and retryable ApplicationErrors, so a crash of any other kind fails the test.
DROPPED_CONNECTION = (aiohttp.ClientError, httpx.TransportError)


async def as_temporal_would(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 1,
    start_to_close: timedelta | None = None,
) -> T:
    """Run ``call`` as an activity retried the way Temporal would, and expect it to take exactly
    ``attempts`` attempts: 1 when no fault is injected, one more for each fault it meets.

    Only what an injected fault causes is retried (a retryable ApplicationError, a dropped
    connection); anything else is a bug in the adapter and is raised at once. With
    ``start_to_close``, each attempt starts now with that deadline, as on a worker.
    """

    async def activity() -> T:
        return await call()

    failures: list[BaseException] = []
    for attempt in range(1, attempts + 1):
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=attempt)
        if start_to_close is not None:
            env.info = dataclasses.replace(
                env.info, started_time=datetime.now(UTC), start_to_close_timeout=start_to_close
            )
        try:
            result = await env.run(activity)
        except ApplicationError as error:
            if error.non_retryable:
                raise
            failures.append(error)
        except DROPPED_CONNECTION as error:
            failures.append(error)
        else:
            assert attempt == attempts, (
                f"done in {attempt} attempts, {attempts} expected; failed with {failures}"
            )
            return result
    raise AssertionError(f"still failing after {attempts} attempts: {failures}")


def keys(messages: list[dict[str, Any]]) -> list[str | None]:
    return [sb.posted_key(m) for m in messages]


async def test_a_channel_is_created_with_its_people_topic_and_first_message(
    slack: SlackStandIn,
) -> None:
    messenger = messenger_for(slack)
    topic = "Café & Shop down · sev1 · lead U0LEAD"
    ref = await as_temporal_would(lambda: messenger.open_channel(channel_request(topic=topic)))
    channel = slack.channels[ref.channel_id]
    assert (ref.name, channel.is_private) == (f"#{INCIDENT}", False)
    assert {"U0LEAD", "U0DM"} <= channel.members
    assert channel.topic == topic  # as typed: Slack shows a topic's text, unformatted
    assert [m["text"] for m in channel.messages] == [
        f"*Incident {INCIDENT}*\nEvery search request fails"
    ]


async def test_a_security_channel_is_private(slack: SlackStandIn) -> None:
    messenger = messenger_for(slack)
    request = channel_request(name=f"{INCIDENT}-private", private=True)
    ref = await as_temporal_would(lambda: messenger.open_channel(request))
    assert slack.channels[ref.channel_id].is_private
    assert slack.calls("conversations.create")[0]["is_private"] in ("1", "true", True)


async def test_a_name_taken_by_another_channel_gets_a_free_variant(slack: SlackStandIn) -> None:
    slack.add_channel(INCIDENT, purpose="Someone else's channel")
    slack.add_channel(f"{INCIDENT}-2", creator="UOTHER")
    ref = await as_temporal_would(lambda: messenger_for(slack).open_channel(channel_request()))
    assert ref.name == f"#{INCIDENT}-3"
    assert slack.by_name(INCIDENT).messages == []


async def test_the_incidents_own_channel_is_reused_not_duplicated(slack: SlackStandIn) -> None:
    # The first attempt created the channel, then the connection dropped before the answer.
    slack.inject("conversations.create", Fault.DROP_AFTER)
    ref = await as_temporal_would(
        lambda: messenger_for(slack).open_channel(channel_request()), attempts=2
    )
    assert ref.name == f"#{INCIDENT}"
    assert [c.name for c in slack.channels.values() if c.name.startswith("inc-")] == [INCIDENT]
    assert keys(slack.messages(ref.channel_id)) == [f"{INCIDENT}/1"]


@pytest.mark.parametrize("fault", list(Fault))
async def test_a_channel_opened_with_its_summary_posts_and_pins_it_once_through_a_fault(
    slack: SlackStandIn, fault: Fault
) -> None:
    """The start's pinned summary rides with the channel (one activity): a fault on its pin
    retries the whole opening, which finds the channel, its first message and the summary."""
    summary = notice(
        NoticeKind.SUMMARY,
        key=f"{INCIDENT}/1/summary",
        text="Lead: U0LEAD",
        standing=Standing.SUMMARY,
    )
    request = channel_request(summary=summary)
    slack.inject("pins.add", fault)
    ref = await as_temporal_would(lambda: messenger_for(slack).open_channel(request), attempts=2)
    channel = slack.channels[ref.channel_id]
    assert keys(channel.messages) == [f"{INCIDENT}/1", f"{INCIDENT}/1/summary"]
    assert ref.summary == PostedRef(channel_id=channel.id, ts=channel.messages[1]["ts"])
    assert channel.pinned == [ref.summary.ts]
    assert "Lead: U0LEAD" in channel.messages[1]["text"]


async def test_people_already_in_the_channel_are_fine(slack: SlackStandIn) -> None:
    slack.add_channel(
        INCIDENT, purpose=sb.channel_purpose(INCIDENT), members={BOT_USER, "U0LEAD", "U0DM"}
    )
    ref = await as_temporal_would(lambda: messenger_for(slack).open_channel(channel_request()))
    assert ref.name == f"#{INCIDENT}"
    assert len(slack.calls("conversations.invite")) == 1


async def test_emails_become_slack_users(slack: SlackStandIn) -> None:
    slack.users_by_email["sue@example.org"] = "U0SUE"
    request = channel_request(invite=["sue@example.org"])
    ref = await as_temporal_would(lambda: messenger_for(slack).open_channel(request))
    assert "U0SUE" in slack.channels[ref.channel_id].members


@pytest.mark.parametrize("fault", list(Fault))
@pytest.mark.parametrize("audience", list(Audience))
async def test_each_fault_still_delivers_each_message_exactly_once(
    slack: SlackStandIn, fault: Fault, audience: Audience
) -> None:
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    message = notice(
        audience=audience,
        incident=brief(channel_id=channel.id),
        recipients=["U0DM", "U0DM2"] if audience is Audience.DIRECT else [],
    )
    slack.inject("chat.postMessage", fault)
    await as_temporal_would(lambda: messenger_for(slack).deliver(message), attempts=2)

    assert slack.faults_met() == [("chat.postMessage", fault)]
    if audience is Audience.DIRECT:
        places = [slack.channels["DU0DM"], slack.channels["DU0DM2"]]
    else:
        places = [
            channel if audience is Audience.INCIDENT_CHANNEL else slack.by_name("wc-platform")
        ]
    for place in places:
        assert keys(place.messages) == [message.key], place.name
    assert len(slack.all_messages()) == len(places)


async def test_a_rate_limit_asks_temporal_to_wait_as_long_as_slack_said(
    slack: SlackStandIn,
) -> None:
    slack.retry_after = 7
    slack.inject("chat.postMessage", Fault.RATE_LIMIT)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            messenger_for(slack).deliver, notice(audience=Audience.PLATFORM_CHANNEL)
        )
    assert raised.value.next_retry_delay == timedelta(seconds=7)
    assert not raised.value.non_retryable


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        (lambda slack, channel: slack.channels.pop(channel.id), "channel_not_found"),
        (lambda slack, channel: setattr(channel, "is_archived", True), "is_archived"),
        (lambda slack, channel: channel.members.discard(BOT_USER), "not_in_channel"),
    ],
    ids=["channel_not_found", "is_archived", "not_in_channel"],
)
async def test_permanent_errors_are_not_retried(
    slack: SlackStandIn, arrange: Callable[[SlackStandIn, Channel], object], code: str
) -> None:
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    message = notice(incident=brief(channel_id=channel.id))
    arrange(slack, channel)
    with pytest.raises(ApplicationError) as raised:
        await as_temporal_would(lambda: messenger_for(slack).deliver(message))
    assert raised.value.non_retryable
    assert code in str(raised.value)
    assert len(slack.calls("chat.postMessage", answered=False)) == 1
    assert slack.all_messages() == []


async def test_a_bad_token_is_not_retried(slack: SlackStandIn) -> None:
    with pytest.raises(ApplicationError, match="invalid_auth") as raised:
        await as_temporal_would(
            lambda: messenger_for(slack, token="xoxb-wrong").deliver(
                notice(audience=Audience.PLATFORM_CHANNEL)
            )
        )
    assert raised.value.non_retryable
    assert slack.all_messages() == []


async def test_shared_mode_runs_the_incident_in_a_thread(slack: SlackStandIn) -> None:
    messenger = messenger_for(slack)
    request = channel_request(name="#wc-incident-response", shared=True)
    slack.inject("chat.postMessage", Fault.DROP_AFTER)
    ref = await as_temporal_would(lambda: messenger.open_channel(request), attempts=2)
    shared: Channel = slack.by_name("wc-incident-response")
    assert (ref.channel_id, ref.name) == (shared.id, "#wc-incident-response")
    assert ref.thread_ts is not None

    update = notice(incident=brief(channel_id=ref.channel_id, thread_ts=ref.thread_ts))
    slack.inject("chat.postMessage", Fault.DROP_AFTER)
    await as_temporal_would(lambda: messenger.deliver(update), attempts=2)
    assert [(sb.posted_key(m), m["thread_ts"]) for m in shared.messages] == [
        (request.key, None),
        (update.key, ref.thread_ts),
    ]
    assert [c.name for c in slack.channels.values() if c.name.startswith("inc-")] == []


# --- The worker picks the transports -------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "messenger", "status_page"),
    [
        ({}, "ConsoleMessenger", "ConsoleStatusPage"),
        ({"slack_bot_token": TOKEN}, "SlackMessenger", "ConsoleStatusPage"),
        ({"statuspage_api_key": "k"}, "ConsoleMessenger", "ConsoleStatusPage"),
        (
            {"statuspage_api_key": "k", "statuspage_page_id": "p"},
            "ConsoleMessenger",
            "AtlassianStatusPage",
        ),
    ],
    ids=["default-console", "slack", "statuspage-without-page", "statuspage"],
)
def test_the_worker_delivers_through_what_the_settings_name(
    settings: dict[str, str], messenger: str, status_page: str
) -> None:
    activities = build_activities(Settings.model_validate(settings))
    assert type(activities.messenger).__name__ == messenger
    assert type(activities.status_page).__name__ == status_page


async def test_real_names_come_from_slack_for_the_retro_initials(slack: SlackStandIn) -> None:
    from frontends.people import slack_real_names
    from messages.retro import initials

    slack.real_names.update({"U0ADA": "Ada Lovelace", "U0GRACE": "Grace Brewster Hopper"})
    names = await slack_real_names(
        token=slack.token,
        base_url=slack.url,
        people=["U0ADA", "U0GRACE", "U0GHOST", "incident-bot", "U0ADA"],
    )
    assert names == {"U0ADA": "Ada Lovelace", "U0GRACE": "Grace Brewster Hopper"}
    assert [initials(names.get(p, p)) for p in ("U0ADA", "U0GRACE", "U0GHOST")] == [
        "AL",
        "GBH",
        "U0GHOST",
    ]
    asked = [r.params["user"] for r in slack.requests if r.method == "users.info"]
    assert asked == ["U0ADA", "U0GHOST", "U0GRACE"]  # each once, bots skipped


# --- Standing messages, membership, archive -------------------------------------------------------


async def test_a_standing_summary_is_pinned_then_edited_in_place_with_the_topic(
    slack: SlackStandIn,
) -> None:
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = messenger_for(slack)
    first = notice(
        NoticeKind.SUMMARY,
        text="Lead: U0LEAD",
        standing=Standing.SUMMARY,
        incident=brief(channel_id=channel.id),
    )
    ref = await as_temporal_would(lambda: messenger.deliver(first))
    assert ref == PostedRef(channel_id=channel.id, ts=channel.messages[0]["ts"])
    assert channel.pinned == [ref.ts]

    moved_on = brief(channel_id=channel.id).model_copy(update={"lead": "U0NEW"})
    edit = notice(
        NoticeKind.SUMMARY,
        key=f"{INCIDENT}/9",
        text="Lead: U0NEW",
        standing=Standing.SUMMARY,
        replaces=ref,
        incident=moved_on,
    )
    assert await as_temporal_would(lambda: messenger.deliver(edit)) == ref
    assert [m["text"] for m in channel.messages] == ["Lead: U0NEW"]  # edited, not reposted
    assert channel.topic == "Search down · sev1 · lead U0NEW"


async def test_a_notice_invites_people_first_and_a_closing_one_archives(
    slack: SlackStandIn,
) -> None:
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = messenger_for(slack)
    here = brief(channel_id=channel.id)
    await as_temporal_would(lambda: messenger.deliver(notice(invite=["U0HELP"], incident=here)))
    assert "U0HELP" in channel.members
    slack.inject("conversations.archive", Fault.DROP_AFTER)  # archived, answer lost, retried
    closing = notice(
        NoticeKind.CLOSED, key=f"{INCIDENT}/8", text="Closed.", archive_channel=True, incident=here
    )
    await as_temporal_would(lambda: messenger.deliver(closing), attempts=2)
    assert channel.is_archived
    assert [m["text"] for m in channel.messages] == ["Restarted the pods", "Closed."]


async def test_an_attempt_that_would_post_after_its_deadline_gives_way_and_posts_nothing(
    slack: SlackStandIn,
) -> None:
    """A queued post that would outlive its attempt is retried later instead: Temporal's retry
    could otherwise post it while the timed-out attempt still waits (a duplicate)."""
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = SlackMessenger.connect(
        token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=300
    )
    here = brief(channel_id=channel.id)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, started_time=datetime.now(UTC), start_to_close_timeout=timedelta(seconds=30)
    )
    await env.run(messenger.deliver, notice(incident=here))
    with pytest.raises(ApplicationError) as busy:
        await env.run(messenger.deliver, notice(key=f"{INCIDENT}/8", incident=here))
    assert busy.value.type == "SlackChannelBusy" and not busy.value.non_retryable
    assert busy.value.next_retry_delay is not None
    # Retried once the channel is free: after this attempt's own 30 s deadline, not within it.
    assert busy.value.next_retry_delay > timedelta(seconds=30)
    assert len(channel.messages) == 1


async def test_a_post_with_a_queue_ahead_gives_its_activity_slot_back_instead_of_sleeping(
    slack: SlackStandIn,
) -> None:
    """A burst into one channel (escalations into one person's DMs) must not hold the worker's
    activity slots while it waits its turn: other incidents' reminders need them. The post
    that would wait longer than PACE_HOLD_SECONDS returns at once and is retried when the
    channel is free, as a benign (not logged as failed) retry."""
    interval = PACE_HOLD_SECONDS + 3
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = SlackMessenger.connect(
        token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=interval
    )
    env = ActivityEnvironment()  # plenty of time left before the attempt's deadline
    env.info = dataclasses.replace(
        env.info, started_time=datetime.now(UTC), start_to_close_timeout=timedelta(minutes=5)
    )
    await env.run(messenger.deliver, notice(incident=brief(channel_id=channel.id)))
    began = time.monotonic()
    with pytest.raises(ApplicationError) as busy:
        await env.run(
            messenger.deliver, notice(key=f"{INCIDENT}/8", incident=brief(channel_id=channel.id))
        )
    assert time.monotonic() - began < 1.0  # did not sleep out the queue
    assert busy.value.type == "SlackChannelBusy" and not busy.value.non_retryable
    assert busy.value.category is ApplicationErrorCategory.BENIGN
    assert busy.value.next_retry_delay is not None
    assert timedelta(seconds=PACE_HOLD_SECONDS) < busy.value.next_retry_delay
    assert busy.value.next_retry_delay <= timedelta(seconds=interval)
    assert len(channel.messages) == 1


async def test_posts_queued_into_one_channel_each_keep_their_turn_for_their_retry(
    slack: SlackStandIn,
) -> None:
    """A burst into one channel (escalations into one person's DMs): each post that gives its
    slot back keeps its own turn, one interval after the one before, and its retry posts at that
    turn. Without turns every waiting post was retried at the same moment, one posted and the
    rest came back again: attempts grew with the square of the queue (the burst benchmark)."""
    interval = PACE_HOLD_SECONDS + 0.5
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = SlackMessenger.connect(
        token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=interval
    )
    here = brief(channel_id=channel.id)

    def attempt_of(activity_id: str, attempt: int = 1) -> ActivityEnvironment:
        env = ActivityEnvironment()
        env.info = dataclasses.replace(
            env.info,
            activity_id=activity_id,
            attempt=attempt,
            started_time=datetime.now(UTC),
            start_to_close_timeout=timedelta(minutes=5),
        )
        return env

    await attempt_of("post-0").run(messenger.deliver, notice(key=f"{INCIDENT}/20", incident=here))
    delays = []
    for n in (1, 2, 3):
        with pytest.raises(ApplicationError) as busy:
            await attempt_of(f"post-{n}").run(
                messenger.deliver, notice(key=f"{INCIDENT}/2{n}", incident=here)
            )
        assert busy.value.next_retry_delay is not None
        delays.append(busy.value.next_retry_delay.total_seconds())
    assert delays == pytest.approx([interval, 2 * interval, 3 * interval], abs=0.3)
    queued_at = time.monotonic()

    time.sleep(interval - PACE_HOLD_SECONDS + 0.1)  # the first retry comes near its turn
    await attempt_of("post-1", attempt=2).run(
        messenger.deliver, notice(key=f"{INCIDENT}/21", incident=here)
    )
    with pytest.raises(ApplicationError) as still_queued:  # the third's turn is still to come
        await attempt_of("post-3", attempt=2).run(
            messenger.deliver, notice(key=f"{INCIDENT}/23", incident=here)
        )
    assert still_queued.value.next_retry_delay is not None
    its_turn_in = delays[2] - (time.monotonic() - queued_at)
    assert still_queued.value.next_retry_delay.total_seconds() == pytest.approx(
        its_turn_in, abs=0.3
    )
    assert keys(channel.messages) == [f"{INCIDENT}/20", f"{INCIDENT}/21"]


async def test_a_summary_pinned_by_an_attempt_whose_answer_was_lost_is_not_pinned_again(
    slack: SlackStandIn,
) -> None:
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    summary = notice(
        NoticeKind.SUMMARY, standing=Standing.SUMMARY, incident=brief(channel_id=channel.id)
    )
    slack.inject("pins.add", Fault.DROP_AFTER)  # pinned, answer lost, retried: already_pinned
    ref = await as_temporal_would(lambda: messenger_for(slack).deliver(summary), attempts=2)
    assert ref is not None and channel.pinned == [ref.ts]
    assert keys(channel.messages) == [summary.key]


async def test_posts_to_one_channel_keep_slacks_pace_one_after_another(
    slack: SlackStandIn,
) -> None:
    """Each post reserves the channel's next slot after the last one, not after now: three
    posts back to back land an interval apart (Slack allows about one a second per channel)."""
    interval = 0.3
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = SlackMessenger.connect(
        token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=interval
    )
    env = ActivityEnvironment()  # an attempt with time left before its deadline
    env.info = dataclasses.replace(
        env.info, started_time=datetime.now(UTC), start_to_close_timeout=timedelta(seconds=30)
    )
    for n in range(3):
        update = notice(key=f"{INCIDENT}/{10 + n}", incident=brief(channel_id=channel.id))
        await env.run(messenger.deliver, update)
    arrivals = [r.at for r in slack.requests if r.method == "chat.postMessage"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 2 and min(gaps) >= interval * 0.9, gaps


async def test_posts_waiting_together_through_a_stalled_event_loop_still_go_an_interval_apart(
    slack: SlackStandIn,
) -> None:
    """Two posts sleeping until their slots wake together when the worker's event loop stalls
    past both (a busy worker): the second still goes an interval after the first was sent.
    Requests with buttons, never merged (merged posts: tests/test_slack_coalescing.py)."""
    interval = 0.3
    channel = slack.add_channel(INCIDENT, members={BOT_USER})
    messenger = SlackMessenger.connect(
        token=TOKEN, base_url=slack.url, platform_channel="#wc-platform", min_post_interval=interval
    )
    here = brief(channel_id=channel.id)

    def attempt_of(activity_id: str) -> ActivityEnvironment:
        env = ActivityEnvironment()
        env.info = dataclasses.replace(
            env.info,
            activity_id=activity_id,
            started_time=datetime.now(UTC),
            start_to_close_timeout=timedelta(seconds=30),
        )
        return env

    async def stall() -> None:
        await asyncio.sleep(0.05)  # both posts are asleep until their slots
        time.sleep(3 * interval)  # the loop runs nothing else meanwhile

    await asyncio.gather(
        *(
            attempt_of(f"post-{n}").run(
                messenger.deliver,
                notice(NoticeKind.ACK_REQUEST, key=f"{INCIDENT}/3{n}", incident=here),
            )
            for n in range(3)
        ),
        stall(),
    )
    arrivals = [r.at for r in slack.requests if r.method == "chat.postMessage"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 2 and min(gaps) >= interval * 0.9, gaps
