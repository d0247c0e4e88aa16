"""Slack's Socket Mode, as the relay meets it: ``apps.connections.open`` (with the app-level
token) hands out a WebSocket URL; Slack sends each request as an envelope over a connection and
waits for the app's acknowledgement, which carries any response (a modal's inline errors).

    url = await slack.start()                       # the Web API stand-in, with Socket Mode
    ack = await slack.send_envelope("slash_commands", payload, connection=0)

As in bolt-python's own tests (``tests/adapter_tests/socket_mode/mock_socket_mode_server.py``),
an aiohttp WebSocket endpoint stands in for Slack's; each relay that connects is one connection,
numbered in the order they connected.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

ACK_TIMEOUT = 10.0  # seconds; Slack gives up on an unacknowledged envelope after 3


@dataclass
class SocketModeServer:
    """The Socket Mode side of the Slack stand-in (mixed into it)."""

    app_token: str = "xapp-stand-in"
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)  # every one sent
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)

    def add_socket_routes(self, app: web.Application) -> None:
        app.router.add_get("/link", self._link)

    def connections_open(self, base_url: str) -> dict[str, Any]:
        """apps.connections.open's answer: where to connect."""
        return {"ok": True, "url": base_url.replace("http://", "ws://") + "/link"}

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)  # answers the client's pings
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self.sockets)})
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                answer = json.loads(message.data)
                waiting = self._acks.pop(str(answer.get("envelope_id")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(answer)
        finally:
            self.sockets.remove(socket)
        return socket

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, connection: int = 0, retry: int = 0
    ) -> dict[str, Any]:
        """Send one request (``kind``: slash_commands, interactive or events_api) over a
        connection and return the acknowledgement's payload (``{}`` when it has none)."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            **({"retry_attempt": retry, "retry_reason": "timeout"} if retry else {}),
        }
        acknowledged = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acknowledged
        self.envelopes.append(envelope)
        await self.sockets[connection].send_json(envelope)
        answer = await asyncio.wait_for(acknowledged, ACK_TIMEOUT)
        return dict(answer.get("payload") or {})
