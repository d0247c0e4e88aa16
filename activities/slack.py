"""Slack delivery: incident channels and every notice, each posted exactly once.

    messenger = SlackMessenger.connect(token=..., base_url="https://slack.com/api/",
                                       platform_channel="#wc-platform")
    IncidentActivities(messenger=messenger, status_page=...)

Slack has no idempotency key, so Temporal owns the retries (slack-sdk's own retry handlers are
off) and every post carries message metadata naming its delivery key. A retry attempt looks the
key up in the channel's history before posting again. Failures become ``ApplicationError``::

    SlackApiError / transport error
     ├── 429 rate limited     → retryable, next_retry_delay = Retry-After
     ├── permanent (PERMANENT_ERRORS: channel_not_found, is_archived, invalid_auth, …)
     │                        → non-retryable: the workflow records it and carries on
     └── anything else (5xx, dropped connection, internal_error) → retried by Temporal
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from messages import slack_blocks as sb
from workflows.model import Audience, ChannelRef, ChannelRequest, Notice, PostedRef, Standing

# Slack's refusals that a retry cannot change (the Web API methods' documented errors): the
# delivery is recorded as failed and the incident goes on. Anything else is retried.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "cant_update_message",
        "channel_not_found",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_name",
        "invalid_name_maxlength",
        "invalid_name_punctuation",
        "invalid_name_required",
        "invalid_name_specials",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "no_text",
        "no_user",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "token_revoked",
        "too_long",
        "too_many_users",
        "user_disabled",
        "user_not_found",
        "users_not_found",
    }
)
SLACK_CALL_TIMEOUT = 10.0  # seconds: a Slack call that takes longer is retried
DEADLINE_MARGIN = 2.0
PACE_HOLD_SECONDS = 2.0  # the longest a paced post keeps its activity slot while it waits
INVITE_CHUNK = 100
HISTORY_DEPTH = 200
CHANNEL_NAME_MAX = 80
NAME_VARIANTS = 20
_SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class SlackMessenger:
    """The Messenger on Slack's Web API: channels, posts, direct messages."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        platform_channel: str,
        min_post_interval: float = 1.0,
    ) -> None:
        self._client = client
        self._platform_channel = platform_channel
        self._min_post_interval = min_post_interval
        self._channel_ids: dict[str, str] = {}
        self._user_ids: dict[str, str] = {}
        self._bot_user_id: str | None = None
        self._next_slot: dict[str, float] = {}  # per channel, time.monotonic()

    @classmethod
    def connect(
        cls, *, token: str, base_url: str, platform_channel: str, min_post_interval: float = 1.0
    ) -> SlackMessenger:
        """A messenger whose client never retries on its own: a retried post could duplicate."""
        client = AsyncWebClient(
            token=token,
            base_url=base_url.rstrip("/") + "/",
            retry_handlers=[],
            timeout=int(SLACK_CALL_TIMEOUT),
        )
        return cls(
            client=client, platform_channel=platform_channel, min_post_interval=min_post_interval
        )

    # --- Messenger ---------------------------------------------------------------------------

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        if request.shared:
            channel_id = await self._channel_id(request.name)
            await self._invite(channel_id, request.invite)
            root = await self._post_once(
                channel_id,
                request.key,
                text=sb.channel_intro_text(request),
                blocks=sb.channel_intro_blocks(request),
                look_first=request.maybe_done,
            )
            return ChannelRef(channel_id=channel_id, name=_hashed(request.name), thread_ts=root)
        channel_id, name = await self._create_or_reuse(request)
        await self._invite(channel_id, request.invite)
        await self._call(
            "conversations.setTopic",
            self._client.conversations_setTopic(
                channel=channel_id, topic=sb.slack_topic(request.topic)
            ),
        )
        await self._post_once(
            channel_id,
            request.key,
            text=sb.channel_intro_text(request),
            blocks=sb.channel_intro_blocks(request),
            look_first=request.maybe_done,
        )
        return ChannelRef(channel_id=channel_id, name=_hashed(name))

    async def deliver(self, notice: Notice) -> PostedRef | None:
        text, blocks = sb.notice_text(notice), sb.notice_blocks(notice)
        if notice.audience is Audience.DIRECT:
            for person in notice.recipients:
                channel_id = await self._direct_channel(person)
                await self._post_once(
                    channel_id, notice.key, text=text, blocks=blocks, look_first=notice.maybe_done
                )
            return None
        if notice.replaces is not None:  # a standing message: edit in place (idempotent)
            await self._edit(notice, notice.replaces, text=text, blocks=blocks)
            return notice.replaces
        thread_ts = None
        if notice.audience is Audience.PLATFORM_CHANNEL:
            channel_id = await self._channel_id(self._platform_channel)
        elif notice.incident.channel_id is None:
            raise ApplicationError(
                f"{notice.incident.id} has no channel to post in.",
                type="NoIncidentChannel",
                non_retryable=True,
            )
        else:
            channel_id = await self._channel_id(notice.incident.channel_id)
            thread_ts = notice.incident.thread_ts
            await self._invite(channel_id, notice.invite)
        ts = await self._post_once(
            channel_id,
            notice.key,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            look_first=notice.maybe_done,
        )
        if notice.standing is Standing.SUMMARY:
            await self._call(
                "pins.add",
                self._client.pins_add(channel=channel_id, timestamp=ts),
                tolerate=frozenset({"already_pinned"}),
            )
        if notice.archive_channel:
            await self._call(
                "conversations.archive",
                self._client.conversations_archive(channel=channel_id),
                tolerate=frozenset({"already_archived"}),
            )
        return PostedRef(channel_id=channel_id, ts=ts) if notice.standing else None

    async def _edit(
        self, notice: Notice, message: PostedRef, *, text: str, blocks: list[sb.Block]
    ) -> None:
        await self._pace(message.channel_id)
        await self._call(
            "chat.update",
            self._client.chat_update(
                channel=message.channel_id,
                ts=message.ts,
                text=text,
                blocks=blocks,
                # No metadata: chat.update replaces what is sent, and the message must keep the
                # key of the post that created it (retries and the fault suite look it up).
            ),
        )
        if notice.standing is Standing.SUMMARY and notice.incident.thread_ts is None:
            topic = sb.notice_topic(notice)
            if topic:
                await self._call(
                    "conversations.setTopic",
                    self._client.conversations_setTopic(channel=message.channel_id, topic=topic),
                )

    # --- Posting exactly once ----------------------------------------------------------------

    async def _post_once(
        self,
        channel_id: str,
        key: str,
        *,
        text: str,
        blocks: list[sb.Block],
        thread_ts: str | None = None,
        look_first: bool = False,
    ) -> str:
        """Post unless an earlier attempt (or, with ``look_first``, an earlier run's cut-short
        delivery) already did; return the message's ``ts``."""
        await self._pace(channel_id)
        if look_first or _attempt() > 1:  # looked up as late as possible: just before posting
            earlier = await self._find_posted(channel_id, key, thread_ts)
            if earlier is not None:
                return earlier
        response = await self._call(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                metadata=sb.message_metadata(key),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return str(response["ts"])

    async def _find_posted(self, channel_id: str, key: str, thread_ts: str | None) -> str | None:
        if thread_ts is not None:
            response = await self._call(
                "conversations.replies",
                self._client.conversations_replies(
                    channel=channel_id, ts=thread_ts, include_all_metadata=True, limit=HISTORY_DEPTH
                ),
            )
        else:
            response = await self._call(
                "conversations.history",
                self._client.conversations_history(
                    channel=channel_id, include_all_metadata=True, limit=HISTORY_DEPTH
                ),
            )
        for message in response.get("messages") or []:
            if sb.posted_key(message) == key:
                return str(message["ts"])
        return None

    async def _pace(self, channel_id: str) -> None:
        """At most one post per ``min_post_interval`` per channel from this worker: a post whose
        channel is free within ``PACE_HOLD_SECONDS`` reserves that slot and waits for it.

        A post with a longer queue ahead gives its activity slot back and is retried when the
        channel frees up: a burst of escalations into one person's DMs, each sleeping out its
        turn, held most of the worker's activity slots and made other incidents' reminders wait
        for them (``python -m bench --only burst_reminders``). An attempt whose slot falls too
        close to its own start-to-close deadline gives way the same way, instead of posting late:
        a timed-out attempt that posted after the retry looked would be a duplicate (found by the
        100-incident fan-out benchmark).
        """
        now = time.monotonic()
        slot = max(now, self._next_slot.get(channel_id, 0.0))
        wait = slot - now
        if wait > 0 and wait > min(PACE_HOLD_SECONDS, _seconds_left()):
            raise ApplicationError(
                f"Slack channel {channel_id} is busy for {wait:.0f}s; posting then.",
                type="SlackChannelBusy",
                next_retry_delay=timedelta(seconds=max(1.0, wait)),
                category=ApplicationErrorCategory.BENIGN,  # paced by us, not a failure
            )
        self._next_slot[channel_id] = slot + self._min_post_interval
        if wait > 0:
            await asyncio.sleep(wait)

    # --- Channels and people -----------------------------------------------------------------

    async def _create_or_reuse(self, request: ChannelRequest) -> tuple[str, str]:
        """Create the channel, or reuse it when an earlier attempt did; else a free variant."""
        for name in _name_variants(request.name):
            try:
                response = await self._client.conversations_create(
                    name=name, is_private=request.private
                )
                channel_id = str(response["channel"]["id"])
            except SlackApiError as error:
                if _error_code(error) != "name_taken":
                    raise _failure("conversations.create", error) from error
                existing = await self._find_channel(name)
                if existing is None or not await self._is_own(existing, request):
                    continue
                channel_id = str(existing["id"])
            await self._call(
                "conversations.setPurpose",
                self._client.conversations_setPurpose(
                    channel=channel_id, purpose=sb.channel_purpose(request.incident_id)
                ),
            )
            self._channel_ids[_hashed(name)] = channel_id
            return channel_id, name
        raise ApplicationError(
            f"No free channel name for {request.incident_id} (tried {request.name}-2 to "
            f"-{NAME_VARIANTS}).",
            type="SlackChannelName",
            non_retryable=True,
        )

    async def _is_own(self, channel: dict[str, Any], request: ChannelRequest) -> bool:
        """This incident's channel: marked so by its purpose, or created by this bot and left
        unmarked by an attempt that failed right after creating it."""
        if channel.get("is_archived") or bool(channel.get("is_private")) != request.private:
            return False
        purpose = str((channel.get("purpose") or {}).get("value") or "")
        if purpose:
            return sb.is_channel_of(purpose, request.incident_id)
        return channel.get("creator") == await self._bot_user()

    async def _bot_user(self) -> str:
        if self._bot_user_id is None:
            response = await self._call("auth.test", self._client.auth_test())
            self._bot_user_id = str(response["user_id"])
        return self._bot_user_id

    async def _find_channel(self, name: str) -> dict[str, Any] | None:
        cursor = None
        while True:
            response = await self._call(
                "conversations.list",
                self._client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=False,
                    limit=1000,
                    cursor=cursor,
                ),
            )
            for channel in response.get("channels") or []:
                if channel.get("name") == name:
                    return dict(channel)
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def _channel_id(self, channel: str) -> str:
        """A channel id for ``#name`` (history lookups need ids) or the id itself."""
        if _SLACK_CHANNEL_ID.match(channel):
            return channel
        name = _hashed(channel)
        if name not in self._channel_ids:
            found = await self._find_channel(name.removeprefix("#"))
            if found is None:
                raise ApplicationError(
                    f"Slack has no channel {name} that the bot can see.",
                    type="channel_not_found",
                    non_retryable=True,
                )
            self._channel_ids[name] = str(found["id"])
        return self._channel_ids[name]

    async def _invite(self, channel_id: str, people: list[str]) -> None:
        users = [await self._user_id(person) for person in people]
        for chunk in _chunks(list(dict.fromkeys(users)), INVITE_CHUNK):
            await self._call(
                "conversations.invite",
                self._client.conversations_invite(channel=channel_id, users=chunk, force=True),
                tolerate=frozenset({"already_in_channel", "cant_invite_self"}),
            )

    async def _direct_channel(self, person: str) -> str:
        user = await self._user_id(person)
        if user not in self._channel_ids:
            response = await self._call(
                "conversations.open", self._client.conversations_open(users=[user])
            )
            self._channel_ids[user] = str(response["channel"]["id"])
        return self._channel_ids[user]

    async def _user_id(self, person: str) -> str:
        """A Slack user id for a person named by id or by email (``users.lookupByEmail``)."""
        if "@" not in person:
            return person
        if person not in self._user_ids:
            response = await self._call(
                "users.lookupByEmail", self._client.users_lookupByEmail(email=person)
            )
            self._user_ids[person] = str(response["user"]["id"])
        return self._user_ids[person]

    async def _call(
        self,
        method: str,
        request: Awaitable[AsyncSlackResponse],
        *,
        tolerate: frozenset[str] = frozenset(),
    ) -> AsyncSlackResponse:
        try:
            return await request
        except SlackApiError as error:
            if _error_code(error) in tolerate:
                response: AsyncSlackResponse = error.response
                return response
            raise _failure(method, error) from error


def _attempt() -> int:
    return activity.info().attempt if activity.in_activity() else 1


def _seconds_left() -> float:
    """How long this attempt may still wait before posting: its start-to-close deadline less the
    longest a Slack call may take (the client's timeout) and a margin."""
    if not activity.in_activity():
        return math.inf
    info = activity.info()
    if info.start_to_close_timeout is None:
        return math.inf
    deadline = info.started_time + info.start_to_close_timeout
    budget = (deadline - datetime.now(UTC)).total_seconds()
    return budget - SLACK_CALL_TIMEOUT - DEADLINE_MARGIN


def _error_code(error: SlackApiError) -> str:
    data = error.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _failure(method: str, error: SlackApiError) -> ApplicationError:
    """The ApplicationError that tells Temporal whether (and when) to try again."""
    status = error.response.status_code
    code = _error_code(error) or f"HTTP {status}"
    if status == 429 or code == "ratelimited":
        retry_after = _retry_after(error.response.headers.get("Retry-After"))
        return ApplicationError(
            f"Slack rate-limited {method}; retrying in {retry_after}s.",
            type="SlackRateLimited",
            next_retry_delay=timedelta(seconds=retry_after),
        )
    if code in PERMANENT_ERRORS:
        return ApplicationError(f"Slack refused {method}: {code}.", type=code, non_retryable=True)
    return ApplicationError(f"Slack failed {method}: {code}.", type="SlackTransient")


def _retry_after(header: str | None) -> float:
    try:
        return max(1.0, float(header or 1))
    except ValueError:
        return 1.0


def _hashed(name: str) -> str:
    return "#" + name.lstrip("#")


def _name_variants(name: str) -> Iterator[str]:
    """``inc-x``, then ``inc-x-2`` … each within Slack's 80 characters."""
    base = name.lstrip("#")
    yield base[:CHANNEL_NAME_MAX]
    for n in range(2, NAME_VARIANTS + 1):
        suffix = f"-{n}"
        yield base[: CHANNEL_NAME_MAX - len(suffix)] + suffix


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
