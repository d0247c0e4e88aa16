"""The stand-ins answer as Slack and Statuspage do: each rule refused as the service refuses it, and
accepted at its boundary.

Driven through the clients the product uses (slack-sdk's AsyncWebClient without retry handlers,
httpx without the environment's proxies), so each test shows what the product would see. A Slack
refusal is permanent: HTTP 200, ``ok: false`` and the error name of Slack's method reference,
never a 5xx that a client would retry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from tests.standins.common import Fault
from tests.standins.slack import BOT_USER, Channel, SlackStandIn
from tests.standins.statuspage import StatusPageStandIn

TOKEN, KEY, PAGE = "xoxb-standins", "sp-standins", "page1"
NO_TEXT_WARNING = "ignore:The top-level `text` argument is missing:UserWarning"
Block = dict[str, Any]


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(token=TOKEN)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.url, retry_handlers=[])


@pytest.fixture
def room(slack: SlackStandIn) -> Channel:
    """A public channel the bot is in, holding one message of the bot's and one of someone else's."""
    channel = slack.add_channel("wc-room", members={BOT_USER, "U0ADA"})
    for n, user in enumerate([BOT_USER, "U0ADA"], start=1):
        ts, text = f"1600000000.00000{n}", f"hello {n}"
        channel.messages.append(
            {
                "ts": ts,
                "text": text,
                "blocks": [],
                "metadata": None,
                "thread_ts": None,
                "user": user,
            }
        )
    return channel


async def refusal(slack: SlackStandIn, call: Awaitable[AsyncSlackResponse]) -> str:
    """The error Slack answers ``call`` with, checked to be permanent: HTTP 200, asked once."""
    asked = len(slack.requests)
    with pytest.raises(SlackApiError) as raised:
        await call
    response = raised.value.response
    assert (response.status_code, response["ok"]) == (200, False)
    assert len(slack.requests) == asked + 1  # not retried by the client
    return str(response["error"])


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(n: int, *, label: str = "Go") -> Block:
    text = {"type": "plain_text", "text": label}
    return {"type": "button", "action_id": f"go_{n}", "text": text, "value": "inc-1"}


# --- Slack: a missing argument is a permanent refusal, not a crash -------------------------------


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("chat.postMessage", {"text": "hi"}, "invalid_arguments"),
        ("chat.update", {"channel": "{room}", "text": "hi"}, "invalid_arguments"),
        ("conversations.create", {"is_private": "1"}, "invalid_name_required"),
        ("conversations.invite", {"channel": "{room}"}, "no_user"),
        ("conversations.open", {}, "users_list_not_supplied"),
        ("conversations.replies", {"channel": "{room}"}, "thread_not_found"),
        ("conversations.setTopic", {"channel": "{room}"}, "invalid_arguments"),
        ("conversations.setPurpose", {"channel": "{room}"}, "invalid_arguments"),
        ("conversations.archive", {}, "invalid_arguments"),
        ("conversations.history", {}, "invalid_arguments"),
        ("pins.add", {"channel": "{room}"}, "no_item_specified"),
        ("users.info", {}, "invalid_arguments"),
        ("users.lookupByEmail", {}, "invalid_arguments"),
    ],
)
async def test_a_missing_required_argument_is_refused_for_good(
    slack: SlackStandIn,
    client: AsyncWebClient,
    room: Channel,
    method: str,
    args: dict[str, str],
    error: str,
) -> None:
    data = {name: value.format(room=room.id) for name, value in args.items()}
    assert await refusal(slack, client.api_call(method, data=data)) == error
    assert (room.topic, room.purpose, room.is_archived, len(room.messages)) == ("", "", False, 2)


async def test_a_token_is_checked_before_anything_else(slack: SlackStandIn, room: Channel) -> None:
    def client(token: str | None) -> AsyncWebClient:
        return AsyncWebClient(token=token, base_url=slack.url, retry_handlers=[])

    assert await refusal(slack, client(None).chat_postMessage(channel=room.id, text="hi")) == (
        "not_authed"
    )
    wrong = client("xoxb-wrong").chat_postMessage(channel=room.id, text="hi")
    assert await refusal(slack, wrong) == "invalid_auth"
    assert len(room.messages) == 2


# --- Slack: channel names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("a" * 81, "invalid_name_maxlength"),
        ("Incident-" + "X" * 119 + "!!", "invalid_name_maxlength"),  # the reviewer's 130 chars
        ("Incident-room", "invalid_name_specials"),
        ("inc!!", "invalid_name_specials"),
        ("inc room", "invalid_name_specials"),
        ("inc.room", "invalid_name_specials"),
        ("#inc-room", "invalid_name_specials"),
        ("-_-", "invalid_name_punctuation"),
    ],
    ids=["empty", "81", "reviewer", "capital", "bangs", "space", "dot", "hash", "punctuation"],
)
async def test_a_channel_name_slack_refuses_creates_nothing(
    slack: SlackStandIn, client: AsyncWebClient, name: str, error: str
) -> None:
    assert await refusal(slack, client.conversations_create(name=name)) == error
    assert slack.channels == {}


@pytest.mark.parametrize("name", ["a" * 80, "inc-2026-01-05_search-down-2", "0"])
async def test_a_channel_name_within_the_rules_is_created(
    slack: SlackStandIn, client: AsyncWebClient, name: str
) -> None:
    created = await client.conversations_create(name=name, is_private=True)
    assert slack.channels[created["channel"]["id"]].name == name


async def test_a_name_in_use_even_by_an_archived_channel_is_taken(
    slack: SlackStandIn, client: AsyncWebClient
) -> None:
    slack.add_channel("inc-old", is_archived=True)
    assert await refusal(slack, client.conversations_create(name="inc-old")) == "name_taken"
    await client.conversations_create(name="inc-new")
    assert await refusal(slack, client.conversations_create(name="inc-new")) == "name_taken"
    assert sorted(c.name for c in slack.channels.values()) == ["inc-new", "inc-old"]


# --- Slack: who may do what where ---------------------------------------------------------------

CALLS: dict[str, Callable[[AsyncWebClient, Channel], Awaitable[AsyncSlackResponse]]] = {
    "chat.postMessage": lambda c, ch: c.chat_postMessage(channel=ch.id, text="hi"),
    "conversations.invite": lambda c, ch: c.conversations_invite(channel=ch.id, users=["U0NEW"]),
    "pins.add": lambda c, ch: c.pins_add(channel=ch.id, timestamp=ch.messages[0]["ts"]),
    "conversations.setTopic": lambda c, ch: c.conversations_setTopic(channel=ch.id, topic="t"),
    "conversations.setPurpose": lambda c, ch: c.conversations_setPurpose(
        channel=ch.id, purpose="p"
    ),
}
PLACES: dict[str, tuple[dict[str, Any], str]] = {
    "public, bot not in it": ({"members": {"U0ADA"}}, "not_in_channel"),
    "private, bot not in it": ({"members": {"U0ADA"}, "is_private": True}, "channel_not_found"),
    "archived": ({"members": {BOT_USER, "U0ADA"}, "is_archived": True}, "is_archived"),
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("method", list(CALLS))
async def test_the_bot_acts_only_in_live_channels_it_is_in(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel, method: str, place: str
) -> None:
    arrangement, error = PLACES[place]
    for name, value in arrangement.items():
        setattr(room, name, value)
    members = set(room.members)
    assert await refusal(slack, CALLS[method](client, room)) == error
    assert (len(room.messages), room.members, room.pinned) == (2, members, [])
    assert (room.topic, room.purpose) == ("", "")


@pytest.mark.parametrize("method", list(CALLS))
async def test_the_bot_acts_in_a_live_channel_it_is_in(
    client: AsyncWebClient, room: Channel, method: str
) -> None:
    assert (await CALLS[method](client, room))["ok"]


async def test_an_unknown_channel_is_not_found(slack: SlackStandIn, client: AsyncWebClient) -> None:
    ghost = Channel(id="C0GHOST", name="ghost", messages=[{"ts": "1.1"}])
    for call in CALLS.values():
        assert await refusal(slack, call(client, ghost)) == "channel_not_found"


async def test_history_is_read_where_the_bot_is_even_archived_and_nowhere_else(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel
) -> None:
    room.is_archived = True
    assert len((await client.conversations_history(channel=room.id))["messages"]) == 2
    room.members.discard(BOT_USER)
    refused = client.conversations_history(channel=room.id)
    assert await refusal(slack, refused) == "not_in_channel"
    room.is_private = True
    refused = client.conversations_history(channel=room.id)
    assert await refusal(slack, refused) == "channel_not_found"
    assert room.id not in [c["id"] for c in (await client.conversations_list())["channels"]]


async def test_archiving_needs_a_live_channel_the_bot_is_in(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel
) -> None:
    await client.conversations_archive(channel=room.id)
    refused = client.conversations_archive(channel=room.id)
    assert await refusal(slack, refused) == "already_archived"
    other = slack.add_channel("wc-other", members={"U0ADA"})
    refused = client.conversations_archive(channel=other.id)
    assert await refusal(slack, refused) == "not_in_channel"
    assert (room.is_archived, other.is_archived) == (True, False)


async def test_invites_are_at_most_100_and_not_for_members_already_in(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel
) -> None:
    people = [f"U{n:04d}" for n in range(101)]
    refused = client.conversations_invite(channel=room.id, users=people)
    assert await refusal(slack, refused) == "too_many_users"
    await client.conversations_invite(channel=room.id, users=people[:100])
    assert len(room.members) == 102
    refused = client.conversations_invite(channel=room.id, users=["U0ADA"])
    assert await refusal(slack, refused) == "already_in_channel"


@pytest.mark.parametrize(
    ("method", "arg"),
    [("conversations.setTopic", "topic"), ("conversations.setPurpose", "purpose")],
)
async def test_a_topic_or_purpose_is_at_most_250_characters(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel, method: str, arg: str
) -> None:
    await client.api_call(method, data={"channel": room.id, arg: "t" * 250})
    too_long = client.api_call(method, data={"channel": room.id, arg: "u" * 251})
    assert await refusal(slack, too_long) == "too_long"
    assert getattr(room, arg) == "t" * 250


async def test_only_an_existing_message_is_pinned_once(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel
) -> None:
    refused = client.pins_add(channel=room.id, timestamp="1600000000.999999")
    assert await refusal(slack, refused) == "message_not_found"
    await client.pins_add(channel=room.id, timestamp=room.messages[0]["ts"])
    refused = client.pins_add(channel=room.id, timestamp=room.messages[0]["ts"])
    assert await refusal(slack, refused) == "already_pinned"
    assert room.pinned == [room.messages[0]["ts"]]


async def test_only_the_bots_own_existing_messages_are_updated(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel
) -> None:
    theirs, missing = room.messages[1]["ts"], "1600000000.999999"
    refused = client.chat_update(channel=room.id, ts=missing, text="edited")
    assert await refusal(slack, refused) == "message_not_found"
    refused = client.chat_update(channel=room.id, ts=theirs, text="edited")
    assert await refusal(slack, refused) == "cant_update_message"
    await client.chat_update(channel=room.id, ts=room.messages[0]["ts"], text="edited")
    assert [m["text"] for m in room.messages] == ["edited", "hello 2"]


# --- Slack: what a message may hold (chat.postMessage and chat.update alike) --------------------


def send(client: AsyncWebClient, room: Channel, method: str, **content: Any) -> Any:
    if method == "chat.update":
        return client.chat_update(channel=room.id, ts=room.messages[0]["ts"], **content)
    return client.chat_postMessage(channel=room.id, **content)


def unchanged(room: Channel) -> bool:
    return [m["text"] for m in room.messages] == ["hello 1", "hello 2"] and room.edits == 0


MESSAGE_METHODS = pytest.mark.parametrize("method", ["chat.postMessage", "chat.update"])


@MESSAGE_METHODS
@pytest.mark.filterwarnings(NO_TEXT_WARNING)
@pytest.mark.parametrize(
    "content",
    [{}, {"text": ""}, {"text": "  "}, {"text": "", "blocks": []}],
    ids=["nothing", "empty", "blank", "empty-blocks"],
)
async def test_a_message_without_text_or_blocks_is_refused(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel, method: str, content: Block
) -> None:
    assert await refusal(slack, send(client, room, method, **content)) == "no_text"
    assert unchanged(room)


@MESSAGE_METHODS
@pytest.mark.filterwarnings(NO_TEXT_WARNING)
async def test_blocks_alone_are_a_message(
    client: AsyncWebClient, room: Channel, method: str
) -> None:
    assert (await send(client, room, method, blocks=[section("only blocks")]))["ok"]


@pytest.mark.parametrize(("method", "most"), [("chat.postMessage", 40_000), ("chat.update", 4_000)])
async def test_text_has_a_limit_per_method(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel, method: str, most: int
) -> None:
    """chat.postMessage: 40,000 characters ("Truncating content"); chat.update: 4,000 (its
    msg_too_long)."""
    too_long = send(client, room, method, text="x" * (most + 1))
    assert await refusal(slack, too_long) == "msg_too_long"
    assert unchanged(room)
    assert (await send(client, room, method, text="x" * most))["ok"]


# Each Block Kit limit: ``blocks(n)`` builds a message's blocks with ``n`` of the limited thing.
BLOCK_LIMITS: dict[str, tuple[Callable[[int], list[Block]], int]] = {
    "blocks per message": (lambda n: [section("x")] * n, 50),
    "section text": (lambda n: [section("x" * n)], 3000),
    "section fields": (
        lambda n: [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * n}],
        10,
    ),
    "section field text": (
        lambda n: [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * n}]}],
        2000,
    ),
    "header text": (
        lambda n: [{"type": "header", "text": {"type": "plain_text", "text": "x" * n}}],
        150,
    ),
    "context elements": (
        lambda n: [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * n}],
        10,
    ),
    "actions elements": (
        lambda n: [{"type": "actions", "elements": [button(i) for i in range(n)]}],
        25,
    ),
    "button text": (lambda n: [{"type": "actions", "elements": [button(1, label="x" * n)]}], 75),
    "block_id": (lambda n: [{"type": "divider", "block_id": "x" * n}], 255),
    "markdown block": (lambda n: [{"type": "markdown", "text": "x" * n}], 12_000),
}


@MESSAGE_METHODS
@pytest.mark.parametrize("limit", list(BLOCK_LIMITS))
async def test_blocks_are_within_block_kit_limits(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel, method: str, limit: str
) -> None:
    blocks, most = BLOCK_LIMITS[limit]
    over = send(client, room, method, text="fallback", blocks=blocks(most + 1))
    assert await refusal(slack, over) == "invalid_blocks"
    assert unchanged(room)
    assert (await send(client, room, method, text="fallback", blocks=blocks(most)))["ok"]


@MESSAGE_METHODS
@pytest.mark.parametrize(
    ("blocks", "error"),
    [
        ([section("x" * 10_000)] * 80, "invalid_blocks"),  # the reviewer's message
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}], "invalid_blocks"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "invalid_blocks"),
        ([{"type": "section"}], "invalid_blocks"),
        ([{"type": "carousel"}], "invalid_blocks"),
        (
            [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
            "invalid_blocks",
        ),
        ("[{not json", "invalid_blocks_format"),
    ],
    ids=["reviewer", "mrkdwn-header", "empty-text", "no-text", "unknown-type", "same-id", "json"],
)
async def test_blocks_slack_cannot_read_are_refused(
    slack: SlackStandIn,
    client: AsyncWebClient,
    room: Channel,
    method: str,
    blocks: list[Block] | str,
    error: str,
) -> None:
    refused = send(client, room, method, text="fallback", blocks=blocks)
    assert await refusal(slack, refused) == error
    assert unchanged(room)


@MESSAGE_METHODS
async def test_metadata_needs_an_event_type_and_payload(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel, method: str
) -> None:
    refused = send(client, room, method, text="hi", metadata={"event_type": "incident_notice"})
    assert await refusal(slack, refused) == "invalid_metadata_format"
    assert unchanged(room)


async def test_an_update_replaces_metadata_only_when_given(
    client: AsyncWebClient, room: Channel
) -> None:
    """chat.update, metadata: "If you don't include this field, the message's previous metadata
    will be retained. To remove previous metadata, include an empty object"."""
    ts, first = room.messages[0]["ts"], {"event_type": "notice", "event_payload": {"key": "a/1"}}
    await client.chat_update(channel=room.id, ts=ts, text="v1", metadata=first)
    await client.chat_update(channel=room.id, ts=ts, text="v2")
    assert room.messages[0]["metadata"] == first
    edit = {"event_type": "notice", "event_payload": {"key": "a/9"}}
    await client.chat_update(channel=room.id, ts=ts, text="v3", metadata=edit)
    assert room.messages[0]["metadata"] == edit
    await client.chat_update(channel=room.id, ts=ts, text="v4", metadata={})
    assert room.messages[0]["metadata"] is None


@pytest.mark.filterwarnings(NO_TEXT_WARNING)
async def test_a_refused_call_still_meets_its_injected_fault(
    slack: SlackStandIn, client: AsyncWebClient, room: Channel
) -> None:
    slack.inject("chat.postMessage", Fault.SERVER_ERROR)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=room.id, text="")
    assert raised.value.response.status_code == 500
    assert await refusal(slack, client.chat_postMessage(channel=room.id, text="")) == "no_text"
    assert slack.faults_met() == [("chat.postMessage", Fault.SERVER_ERROR)]


# --- Statuspage ---------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def page() -> AsyncIterator[StatusPageStandIn]:
    stand_in = StatusPageStandIn(api_key=KEY, page_id=PAGE)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest_asyncio.fixture
async def http(page: StatusPageStandIn) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{page.url}pages/{PAGE}/",
        headers={"Authorization": f"OAuth {KEY}"},
        trust_env=False,
    ) as client:
        yield client


def incident(**fields: Any) -> dict[str, Any]:
    return {"incident": {"name": "Search is slow", "status": "investigating", **fields}}


async def open_incident(http: httpx.AsyncClient) -> str:
    created = await http.post("incidents.json", json=incident(body="Looking"))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


INVALID_FIELDS = pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"name": "x" * 256},
        {"status": "totally-bogus"},
        {"impact_override": "apocalyptic"},
        {"body": "x" * 25_001},
        {"components": {"cmp-search": "down"}},
        {"component_ids": "cmp-search"},
        {"metadata": {"incident_workflow": "not an object"}},
    ],
    ids=["blank-name", "long-name", "status", "impact", "long-body", "component", "ids", "meta"],
)


@INVALID_FIELDS
async def test_an_invalid_incident_is_not_created(
    page: StatusPageStandIn, http: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    answer = await http.post("incidents.json", json=incident(**fields))
    assert answer.status_code == 422 and answer.json()["error"], answer.text
    assert page.incidents == {}


@INVALID_FIELDS
async def test_an_invalid_update_changes_nothing(
    page: StatusPageStandIn, http: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    incident_id = await open_incident(http)
    before = repr(page.incidents[incident_id])
    answer = await http.patch(f"incidents/{incident_id}.json", json={"incident": fields})
    assert answer.status_code == 422 and answer.json()["error"], answer.text
    assert repr(page.incidents[incident_id]) == before


@pytest.mark.parametrize(
    "body", [{}, {"name": "Search is slow"}, {"incident": "Search is slow"}], ids=str
)
async def test_a_request_without_its_incident_object_is_a_bad_request(
    page: StatusPageStandIn, http: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    answer = await http.post("incidents.json", json=body)
    assert answer.status_code == 400 and answer.json()["error"]
    assert page.incidents == {}


async def test_a_name_is_needed_to_create_not_to_update(
    page: StatusPageStandIn, http: httpx.AsyncClient
) -> None:
    nameless = await http.post("incidents.json", json={"incident": {"status": "identified"}})
    assert nameless.status_code == 422
    incident_id = await open_incident(http)
    patched = await http.patch(
        f"incidents/{incident_id}.json", json={"incident": {"status": "identified"}}
    )
    assert patched.status_code == 200
    assert page.incidents[incident_id]["name"] == "Search is slow"


# Atlassian's OpenAPI for incidents: realtime and scheduled statuses, impact_override, components.
STATUSES = ["investigating", "identified", "monitoring", "resolved"]
SCHEDULED_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]
IMPACTS = ["none", "maintenance", "minor", "major", "critical"]
COMPONENT_STATUSES = [
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
]


@pytest.mark.parametrize(
    "fields",
    [
        *({"status": status} for status in [*STATUSES, *SCHEDULED_STATUSES]),
        *({"impact_override": impact} for impact in IMPACTS),
        *({"components": {"cmp-1": status}} for status in COMPONENT_STATUSES),
        {"name": "x" * 255, "body": "x" * 25_000},
    ],
    ids=lambda fields: str(fields)[:60],
)
async def test_every_value_statuspage_allows_is_accepted(
    page: StatusPageStandIn, http: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    created = await http.post("incidents.json", json=incident(**fields))
    assert created.status_code == 201, created.text
    patched = await http.patch(f"incidents/{created.json()['id']}.json", json={"incident": fields})
    assert patched.status_code == 200, patched.text


@pytest.mark.parametrize("call", ["GET", "PATCH"])
async def test_an_unknown_incident_is_not_found(http: httpx.AsyncClient, call: str) -> None:
    answer = await http.request(call, "incidents/sp404.json", json=incident())
    assert answer.status_code == 404 and answer.json()["error"]


@pytest.mark.parametrize("headers", [{"Authorization": "OAuth wrong"}, {"Authorization": ""}])
async def test_a_bad_or_missing_key_is_unauthorised(
    page: StatusPageStandIn, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await http.post("incidents.json", json=incident(), headers=headers)
    assert answer.status_code == 401 and answer.json()["error"]
    assert page.incidents == {}


async def test_an_unknown_page_is_not_found(
    page: StatusPageStandIn, http: httpx.AsyncClient
) -> None:
    answer = await http.post(f"{page.url}pages/no-such-page/incidents.json", json=incident())
    assert answer.status_code == 404
    assert page.incidents == {}
