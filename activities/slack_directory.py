"""Channels and people in Slack, for the messenger (``activities/slack.py``): an incident's channel
created once, channel and user ids looked up once per worker, people invited, direct messages
opened.

A channel is marked as its incident's own by its purpose, so a retried ``conversations.create``
reuses it; a name taken by anything else gets a free variant (``-2``, ``-3`` …).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError

from activities.slack_api import call, error_code, failure
from messages import slack_blocks as sb
from workflows.destinations.slack import ChannelRequest
from workflows.notices import CHANNEL_NAME_MAX

INVITE_CHUNK = 100
NAME_VARIANTS = 20
_SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class SlackDirectory:
    """Channel and user ids behind the names the workflow uses, remembered once found."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._channel_ids: dict[str, str] = {}  # "#name" or a user id (their DM) → channel id
        self._user_ids: dict[str, str] = {}
        self._bot_user_id: str | None = None

    async def create_or_reuse(self, request: ChannelRequest) -> tuple[str, str]:
        """Create the channel, or reuse it when an earlier attempt did; else a free variant."""
        for name in _name_variants(request.name):
            try:
                response = await self._client.conversations_create(
                    name=name, is_private=request.private
                )
                channel_id = str(response["channel"]["id"])
            except SlackApiError as error:
                if error_code(error) != "name_taken":
                    raise failure("conversations.create", error) from error
                existing = await self._find_channel(name)
                if existing is None or not await self._is_own(existing, request):
                    continue
                channel_id = str(existing["id"])
            await call(
                "conversations.setPurpose",
                self._client.conversations_setPurpose(
                    channel=channel_id, purpose=sb.channel_purpose(request.incident_id)
                ),
            )
            self._channel_ids[hashed(name)] = channel_id
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
            response = await call("auth.test", self._client.auth_test())
            self._bot_user_id = str(response["user_id"])
        return self._bot_user_id

    async def _find_channel(self, name: str) -> dict[str, Any] | None:
        cursor = None
        while True:
            response = await call(
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

    async def channel_id(self, channel: str) -> str:
        """A channel id for ``#name`` (history lookups need ids) or the id itself."""
        if _SLACK_CHANNEL_ID.match(channel):
            return channel
        name = hashed(channel)
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

    async def invite(self, channel_id: str, people: list[str]) -> None:
        users = [await self._user_id(person) for person in people]
        for chunk in _chunks(list(dict.fromkeys(users)), INVITE_CHUNK):
            await call(
                "conversations.invite",
                self._client.conversations_invite(channel=channel_id, users=chunk, force=True),
                tolerate=frozenset({"already_in_channel", "cant_invite_self"}),
            )

    async def direct_channel(self, person: str) -> str:
        user = await self._user_id(person)
        if user not in self._channel_ids:
            response = await call(
                "conversations.open", self._client.conversations_open(users=[user])
            )
            self._channel_ids[user] = str(response["channel"]["id"])
        return self._channel_ids[user]

    async def _user_id(self, person: str) -> str:
        """A Slack user id for a person named by id or by email (``users.lookupByEmail``)."""
        if "@" not in person:
            return person
        if person not in self._user_ids:
            response = await call(
                "users.lookupByEmail", self._client.users_lookupByEmail(email=person)
            )
            self._user_ids[person] = str(response["user"]["id"])
        return self._user_ids[person]


def hashed(name: str) -> str:
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
