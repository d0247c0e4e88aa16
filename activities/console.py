"""The embedded default: with no Slack token, every message is written to the worker's console."""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TextIO

from messages.text import channel_line, notice_line, statuspage_line
from workflows.destinations.slack import (
    ChannelRef,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef

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

    def __init__(
        self, *, platform_channel: str, stream: TextIO | None = None, json_lines: bool = False
    ) -> None:
        self._platform_channel = platform_channel
        self._out = _Lines(stream or sys.stdout, json_lines=json_lines)
        self._once = _Once()
        # What each standing message said of its incident when last written, so an edit's line
        # says what happened since ("announcement edited: resolved"), not the kind it began as.
        self._standing: OrderedDict[tuple[str, Standing], IncidentBrief] = OrderedDict()

    async def open_channel(self, request: ChannelRequest) -> ChannelRef:
        name = "#" + request.name.lstrip("#")
        if self._once.first_time(request.key):
            self._out.write(request.incident_id, channel_line(request))
        summary = None if request.summary is None else await self.deliver(request.summary)
        return ChannelRef(channel_id=name, name=name, summary=summary)

    async def deliver(self, notice: Notice) -> PostedRef | None:
        # The pinned summary is a Slack feature; on the console `incident show` is the summary.
        if notice.kind is not NoticeKind.SUMMARY and self._once.first_time(notice.key):
            before = self._remember(notice)
            line = notice_line(notice, platform_channel=self._platform_channel, before=before)
            self._out.write(notice.incident.id, line)
        return PostedRef(channel_id="console", ts=notice.key) if notice.standing else None

    def _remember(self, notice: Notice) -> IncidentBrief | None:
        """The brief a standing message last carried (None if unknown); it now carries this."""
        if notice.standing is None:
            return None
        key = (notice.incident.id, notice.standing)
        before = self._standing.pop(key, None)
        self._standing[key] = notice.incident
        if len(self._standing) > _REMEMBERED_KEYS:
            self._standing.popitem(last=False)
        return before


class _Lines:
    """Readable lines, or JSON lines (``--log-format json``) that name the incident."""

    def __init__(self, stream: TextIO, *, json_lines: bool) -> None:
        self._stream = stream
        self._json = json_lines

    def write(self, incident_id: str, line: str) -> None:
        if self._json:
            line = json.dumps(
                {
                    "time": datetime.now(UTC).isoformat(),
                    "level": "INFO",
                    "logger": "incident.console",
                    "incident_id": incident_id,
                    "message": line,
                }
            )
        self._stream.write(line + "\n")
        self._stream.flush()


class ConsoleStatusPage:
    """Stands in for Statuspage when no API key is set: the post is written, not published."""

    def __init__(self, *, stream: TextIO | None = None, json_lines: bool = False) -> None:
        self._out = _Lines(stream or sys.stdout, json_lines=json_lines)
        self._once = _Once()

    async def post(self, update: StatusPagePost) -> StatusPageRef:
        if self._once.first_time(update.key):
            self._out.write(update.incident_id, statuspage_line(update))
        return StatusPageRef(
            page_incident_id=update.page_incident_id or f"console-{update.incident_id}"
        )
