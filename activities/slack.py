"""Slack delivery: incident channels and every notice, each posted exactly once.

    messenger = SlackMessenger.connect(token=..., base_url="https://slack.com/api/",
                                       platform_channel="#wc-platform")
    IncidentActivities(messenger=messenger, status_page=...)

Posting exactly once (delivery keys in message metadata, files found by name, pacing) is
``activities/slack_posting.py``'s; failures become ``ApplicationError`` as
``activities/slack_api.py`` says; channels and people are ``activities/slack_directory.py``'s.
The timeline and the retro draft go as a short message plus a file
(``messages/slack_documents.py``).
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError

from activities.slack_api import SLACK_CALL_TIMEOUT, call, slack_web_client
from activities.slack_directory import SlackDirectory, hashed
from activities.slack_posting import POST_INTERVAL, SHARE_SETTLE_SECONDS, SlackPoster
from messages import slack_blocks as sb
from messages import slack_documents as sd
from workflows.destinations.slack import (
    Audience,
    ChannelRef,
    ChannelRequest,
    Notice,
    PostedRef,
    Standing,
)


class SlackMessenger(SlackPoster):
    """The Messenger on Slack's Web API: channels, posts, direct messages, documents as files."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        platform_channel: str,
        min_post_interval: float = POST_INTERVAL,
        share_settle_seconds: float = SHARE_SETTLE_SECONDS,
    ) -> None:
        super().__init__(
            client=client,
            min_post_interval=min_post_interval,
            share_settle_seconds=share_settle_seconds,
        )
        self._directory = SlackDirectory(client)
        self._platform_channel = platform_channel

    @classmethod
    def connect(
        cls,
        *,
        token: str,
        base_url: str,
        platform_channel: str,
        min_post_interval: float = POST_INTERVAL,
        share_settle_seconds: float = SHARE_SETTLE_SECONDS,
    ) -> SlackMessenger:
        """A messenger whose client never retries on its own: a retried post could duplicate."""
        client = slack_web_client(token=token, base_url=base_url, timeout=int(SLACK_CALL_TIMEOUT))
        return cls(
            client=client,
            platform_channel=platform_channel,
            min_post_interval=min_post_interval,
            share_settle_seconds=share_settle_seconds,
        )

    # --- Messenger ---------------------------------------------------------------------------

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        if request.shared:
            channel_id = await self._directory.channel_id(request.name)
            await self._directory.invite(channel_id, request.invite)
            root = await self._post_intro(channel_id, request)
            opened = ChannelRef(channel_id=channel_id, name=hashed(request.name), thread_ts=root)
        else:
            channel_id, name = await self._directory.create_or_reuse(request)
            await self._directory.invite(channel_id, request.invite)
            await call(
                "conversations.setTopic",
                self._client.conversations_setTopic(
                    channel=channel_id, topic=sb.slack_topic(request.topic)
                ),
            )
            await self._post_intro(channel_id, request)
            opened = ChannelRef(channel_id=channel_id, name=hashed(name))
        if request.summary is None:
            return opened
        # The summary goes where the channel just opened: known only now.
        brief = request.summary.incident.model_copy(
            update={"channel_id": channel_id, "thread_ts": opened.thread_ts}
        )
        summary = request.summary.model_copy(update={"incident": brief})
        return opened.model_copy(update={"summary": await self.deliver(summary)})

    async def _post_intro(self, channel_id: str, request: ChannelRequest) -> str:
        """The incident's first message: its channel's, or in shared mode its thread's root."""
        return await self.post_once(
            channel_id,
            request.key,
            text=sb.channel_intro_text(request),
            blocks=sb.channel_intro_blocks(request),
            look_first=request.maybe_done,
        )

    async def deliver(self, notice: Notice) -> PostedRef | None:
        document = sd.notice_document(notice)
        if document is not None and notice.audience is Audience.INCIDENT_CHANNEL:
            text, blocks = document.text, document.blocks
        else:
            document, text, blocks = None, sb.notice_text(notice), sb.notice_blocks(notice)
        # A plain post may share a message with others waiting for the same channel: not one
        # edited later by its ts (standing), followed by a file, archiving its channel, nor with
        # buttons (sb.mergeable: the relay edits the message whose button was clicked).
        merge = document is None and notice.standing is None and not notice.archive_channel
        if notice.audience is Audience.DIRECT:
            for person in notice.recipients:
                channel_id = await self._directory.direct_channel(person)
                await self.post_once(
                    channel_id,
                    notice.key,
                    text=text,
                    blocks=blocks,
                    look_first=notice.maybe_done,
                    merge=merge,
                )
            return None
        if notice.replaces is not None:  # a standing message: edit in place (idempotent)
            await self._edit(notice, notice.replaces, text=text, blocks=blocks)
            return notice.replaces
        thread_ts = None
        if notice.audience is Audience.PLATFORM_CHANNEL:
            channel_id = await self._directory.channel_id(self._platform_channel)
        elif notice.incident.channel_id is None:
            raise ApplicationError(
                f"{notice.incident.id} has no channel to post in.",
                type="NoIncidentChannel",
                non_retryable=True,
            )
        else:
            channel_id = await self._directory.channel_id(notice.incident.channel_id)
            thread_ts = notice.incident.thread_ts
            await self._directory.invite(channel_id, notice.invite)
        ts = await self.post_once(
            channel_id,
            notice.key,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            look_first=notice.maybe_done,
            merge=merge,
        )
        if document is not None:
            await self.share_once(
                channel_id, document, posted=ts, thread_ts=thread_ts, look_first=notice.maybe_done
            )
        if notice.standing is Standing.SUMMARY:
            await call(
                "pins.add",
                self._client.pins_add(channel=channel_id, timestamp=ts),
                tolerate=frozenset({"already_pinned"}),
            )
        if notice.archive_channel:
            await call(
                "conversations.archive",
                self._client.conversations_archive(channel=channel_id),
                tolerate=frozenset({"already_archived"}),
            )
        return PostedRef(channel_id=channel_id, ts=ts) if notice.standing else None

    async def _edit(
        self, notice: Notice, message: PostedRef, *, text: str, blocks: list[sb.Block]
    ) -> None:
        await self.pace(message.channel_id)
        await call(
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
                await call(
                    "conversations.setTopic",
                    self._client.conversations_setTopic(channel=message.channel_id, topic=topic),
                )
