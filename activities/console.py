"""The embedded default: with no Slack token, every message is written to the worker's console."""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import TextIO

from messages.text import channel_line, notice_line, statuspage_line
from workflows.model import ChannelRef, ChannelRequest, Notice, StatusPagePost, StatusPageRef

_REMEMBERED_KEYS = 10_000


class _Once:
    """Keys already written, so a retried activity does not print its message twice."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > _REMEMBERED_KEYS:
            self._seen.popitem(last=False)
        return True


class ConsoleMessenger:
    """Writes channels and messages as readable lines: which incident, where, who, what."""

    def __init__(self, *, platform_channel: str, stream: TextIO | None = None) -> None:
        self._platform_channel = platform_channel
        self._stream = stream or sys.stdout
        self._once = _Once()

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        name = "#" + request.name.lstrip("#")
        if self._once.first_time(request.key):
            self._write(channel_line(request))
        return ChannelRef(channel_id=name, name=name)

    async def deliver(self, notice: Notice) -> None:
        if self._once.first_time(notice.key):
            self._write(notice_line(notice, platform_channel=self._platform_channel))

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()


class ConsoleStatusPage:
    """Stands in for Statuspage when no API key is set: the post is written, not published."""

    def __init__(self, *, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._once = _Once()

    async def post(self, update: StatusPagePost) -> StatusPageRef:
        if self._once.first_time(update.key):
            self._stream.write(statuspage_line(update) + "\n")
            self._stream.flush()
        return StatusPageRef(
            page_incident_id=update.page_incident_id or f"console-{update.incident_id}"
        )
