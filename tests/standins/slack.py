"""A Slack Web API stand-in: the subset the incident bot calls, with a workspace held in memory.

slack = SlackStandIn(token="xoxb-test")
url = await slack.start()            # http://127.0.0.1:PORT/api/
slack.inject("chat.postMessage", Fault.DROP_AFTER)
...
slack.messages(channel_id)           # what people in that channel would read
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standins.common import Fault, Recorded, StandIn, drop_connection, request_params

BOT_USER = "UBOT"


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    creator: str = "UOTHER"
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    topic: str = ""
    purpose: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    pinned: list[str] = field(default_factory=list)
    edits: int = 0

    def listing(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "creator": self.creator,
            "topic": {"value": self.topic},
            "purpose": {"value": self.purpose},
        }


@dataclass
class SlackStandIn(StandIn):
    token: str = "xoxb-stand-in"
    channels: dict[str, Channel] = field(default_factory=dict)
    users_by_email: dict[str, str] = field(default_factory=dict)
    real_names: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:  # type: ignore[override]
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        return await super().start(app, "/api/")

    # --- The workspace, for tests to arrange and inspect ---------------------------------------

    def add_channel(self, name: str, **fields: Any) -> Channel:
        channel = Channel(id=f"C{next(self._ids):06d}", name=name, **fields)
        self.channels[channel.id] = channel
        return channel

    def by_name(self, name: str) -> Channel:
        return next(c for c in self.channels.values() if c.name == name.lstrip("#"))

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return self.channels[channel_id].messages

    def direct_messages(self, user: str) -> list[dict[str, Any]]:
        return self.channels[f"D{user}"].messages if f"D{user}" in self.channels else []

    def all_messages(self) -> list[tuple[Channel, dict[str, Any]]]:
        return [(c, m) for c in self.channels.values() for m in c.messages]

    # --- The API ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await request_params(request)
        fault = self.take_fault(method)
        self.requests.append(Recorded(method=method, params=params, fault=fault))
        if fault in (Fault.RATE_LIMIT, Fault.SERVER_ERROR):
            return self.refusal(fault)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer: dict[str, Any] = handler(params)
        if fault is Fault.DROP_AFTER:
            return drop_connection(request)
        return web.json_response(answer)

    def _channel(
        self, params: dict[str, Any], *, reading: bool = False
    ) -> Channel | dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_archived and not reading:  # archived channels can be read, not changed
            return {"ok": False, "error": "is_archived"}
        return channel

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user_id": BOT_USER}

    def _conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params["name"])
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        private = str(params.get("is_private")).lower() in ("true", "1")
        channel = self.add_channel(name, is_private=private, creator=BOT_USER, members={BOT_USER})
        return {"ok": True, "channel": channel.listing()}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        visible = [
            c.listing()
            for c in self.channels.values()
            if not c.is_im and (not c.is_private or BOT_USER in c.members)
        ]
        return {"ok": True, "channels": visible, "response_metadata": {"next_cursor": ""}}

    def _conversations_setPurpose(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if isinstance(channel, dict):
            return channel
        channel.purpose = str(params["purpose"])
        return {"ok": True}

    def _conversations_setTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if isinstance(channel, dict):
            return channel
        channel.topic = str(params["topic"])
        return {"ok": True}

    def _conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if isinstance(channel, dict):
            return channel
        users = set(str(params["users"]).split(","))
        if users <= channel.members:
            return {"ok": False, "error": "already_in_channel"}
        channel.members |= users
        return {"ok": True}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params["users"])
        if f"D{user}" not in self.channels:
            self.channels[f"D{user}"] = Channel(
                id=f"D{user}", name=user, is_im=True, members={user, BOT_USER}
            )
        return {"ok": True, "channel": {"id": f"D{user}"}}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if isinstance(channel, dict):
            return channel
        if BOT_USER not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        message = {
            "ts": f"{1_700_000_000 + next(self._ts)}.000100",
            "text": params.get("text", ""),
            "blocks": params.get("blocks", []),
            "metadata": params.get("metadata"),
            "thread_ts": params.get("thread_ts"),
            "user": BOT_USER,
        }
        channel.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"]}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if isinstance(channel, dict):
            return channel
        message = next((m for m in channel.messages if m["ts"] == str(params.get("ts"))), None)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.update(text=params.get("text", ""), blocks=params.get("blocks", []))
        channel.edits += 1
        return {"ok": True, "channel": channel.id, "ts": message["ts"]}

    def _pins_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if isinstance(channel, dict):
            return channel
        ts = str(params.get("timestamp"))
        if ts in channel.pinned:
            return {"ok": False, "error": "already_pinned"}
        channel.pinned.append(ts)
        return {"ok": True}

    def _conversations_archive(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.is_archived:
            return {"ok": False, "error": "already_archived"}
        channel.is_archived = True
        return {"ok": True}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, reading=True)
        if isinstance(channel, dict):
            return channel
        top_level = [m for m in channel.messages if not m["thread_ts"]]
        return {"ok": True, "messages": self._shown(params, top_level)}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, reading=True)
        if isinstance(channel, dict):
            return channel
        root = str(params["ts"])
        thread = [m for m in channel.messages if m["ts"] == root or m["thread_ts"] == root]
        return {"ok": True, "messages": list(reversed(self._shown(params, thread)))}

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users_by_email.get(str(params["email"]))
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": {"id": user}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user", ""))
        if user not in self.real_names:
            return {"ok": False, "error": "user_not_found"}
        name = self.real_names[user]
        return {"ok": True, "user": {"id": user, "real_name": name, "profile": {"real_name": name}}}

    @staticmethod
    def _shown(params: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Newest first, metadata only when asked for (as Slack does)."""
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        limit = int(params.get("limit", 100))
        shown = [
            {k: v for k, v in m.items() if k != "metadata" or with_metadata}
            for m in reversed(messages)
        ]
        return shown[:limit]
