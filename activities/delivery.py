"""The activities through which an incident reaches people: channels, messages, the status page.

The workflow decides what is said; these only deliver it. Transports are injected, so the console
(the embedded default), Slack and Statuspage all slot in behind the same three activities::

    activities = IncidentActivities(messenger=ConsoleMessenger(), status_page=ConsoleStatusPage())
    Worker(client, task_queue=..., activities=activities.all())
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from temporalio import activity

from activities.heartbeat import heartbeating
from workflows.destinations.slack import ChannelRef, ChannelRequest, Notice, PostedRef
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef


class Messenger(Protocol):
    """Where people read about incidents. Each call must be idempotent on the request's key."""

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        """Open the channel and post its first message, then the pinned summary the request
        carries, if any (a messenger may leave it out: the workflow then sends it after)."""
        ...

    async def deliver(self, notice: Notice) -> PostedRef | None:
        """Post the notice (or edit ``notice.replaces``); where it landed, when in one place."""
        ...


class StatusPage(Protocol):
    """The public status page. Each call must be idempotent on the post's key."""

    async def post(self, update: StatusPagePost) -> StatusPageRef: ...


class IncidentActivities:
    def __init__(self, *, messenger: Messenger, status_page: StatusPage) -> None:
        self._messenger = messenger
        self._status_page = status_page

    @property
    def messenger(self) -> Messenger:
        return self._messenger

    @property
    def status_page(self) -> StatusPage:
        return self._status_page

    @activity.defn(name=ChannelRequest.activity)
    @heartbeating
    async def open_incident_channel(self, request: ChannelRequest) -> ChannelRef:
        return await self._messenger.open_channel(request)

    @activity.defn(name=Notice.activity)
    @heartbeating
    async def deliver_notice(self, notice: Notice) -> PostedRef | None:
        return await self._messenger.deliver(notice)

    @activity.defn(name=StatusPagePost.activity)
    @heartbeating
    async def post_status_page(self, update: StatusPagePost) -> StatusPageRef:
        return await self._status_page.post(update)

    def all(self) -> Sequence[Callable[..., Any]]:
        return [self.open_incident_channel, self.deliver_notice, self.post_status_page]
