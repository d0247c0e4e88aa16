"""Slack for the relay's tests: the Web API stand-in plus what Slack sends and receives around it.

slack = RelaySlackStandIn(token="xoxb-test")
await slack.start()                                    # Web API at slack.url, response URLs too
sender = SlackSender(relay_url, signing_secret="s3cret", slack=slack)
await sender.slash("update inc-1 Restarted", user="U0LEAD")   # a signed slash command
slack.replies(trigger_id)                              # what only that person saw

Requests to the relay are signed as Slack signs them (v0, HMAC-SHA256 over the exact bytes sent).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.standins.slack import BOT_USER, SlackStandIn

TEAM = "T0TEAM"


@dataclass
class RelaySlackStandIn(SlackStandIn):
    """Adds private answers (``chat.postEphemeral``, response URLs) and ``views.open``."""

    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _views_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:  # type: ignore[override]
        app = self.application()
        app.router.add_post("/response/{key}", self._respond)
        return await super(SlackStandIn, self).start(app, "/api/")

    def response_url(self, key: str) -> str:
        return self.url.removesuffix("/api/") + f"/response/{key}"

    def replies(self, key: str) -> list[dict[str, Any]]:
        """What was posted to the response URL of the request ``key``."""
        return self.responses.get(key, [])

    def private_texts(self) -> list[str]:
        return [r["text"] for rs in self.responses.values() for r in rs] + [
            e["text"] for e in self.ephemeral
        ]

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.setdefault(request.match_info["key"], []).append(await request.json())
        return web.Response(text="ok")

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": TEAM}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self.ephemeral.append(
            {"channel": params["channel"], "user": params["user"], "text": params.get("text")}
        )
        return {"ok": True, "message_ts": f"{1_800_000_000 + len(self.ephemeral)}.000200"}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        opened = {**view, "id": f"V{next(self._views_ids):05d}", "trigger_id": params["trigger_id"]}
        self.views.append(opened)
        return {"ok": True, "view": opened}


@dataclass
class SlackSender:
    """Slack's side of the relay: signed slash commands, button clicks and modal submissions."""

    relay_url: str
    signing_secret: str
    slack: RelaySlackStandIn
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def trigger(self) -> str:
        return f"{next(self._ids)}.{int(time.time() * 1000)}.trigger"

    def signed(self, body: str, *, age: float = 0, secret: str | None = None) -> dict[str, str]:
        timestamp = str(int(time.time() - age))
        verifier = SignatureVerifier(secret or self.signing_secret)
        signature = verifier.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }

    def slash_body(self, text: str, *, user: str, trigger: str) -> str:
        return urlencode(
            {
                "token": "legacy-unused",
                "team_id": TEAM,
                "channel_id": "C0WHERE",
                "user_id": user,
                "command": "/incident",
                "text": text,
                "response_url": self.slack.response_url(trigger),
                "trigger_id": trigger,
                "api_app_id": "A0APP",
            }
        )

    async def post(
        self, body: str, headers: dict[str, str], *, url: str | None = None
    ) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url or self.relay_url, data=body.encode(), headers=headers) as response,
        ):
            return response.status, await response.text()

    async def slash(self, text: str, *, user: str, trigger: str | None = None) -> str:
        """Send ``/incident text`` as ``user``; returns the trigger id (the reply's key)."""
        trigger = trigger or self.trigger()
        body = self.slash_body(text, user=user, trigger=trigger)
        status, _ = await self.post(body, self.signed(body))
        assert status == 200, status
        return trigger

    def click_body(
        self, message: dict[str, Any], channel: str, action_id: str, *, user: str
    ) -> str:
        button = next(
            element
            for block in message["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        )
        trigger = self.trigger()
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": trigger,
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
            "channel": {"id": channel},
            "message": {k: message[k] for k in ("ts", "text", "blocks")},
            "response_url": self.slack.response_url(trigger),
            "actions": [
                {
                    "type": "button",
                    "block_id": "incident_actions",
                    "action_id": action_id,
                    "value": button["value"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)})

    async def click(
        self, message: dict[str, Any], channel: str, action_id: str, *, user: str
    ) -> str:
        """Click a button of a posted message; returns the body sent (to send again)."""
        body = self.click_body(message, channel, action_id, user=user)
        status, _ = await self.post(body, self.signed(body))
        assert status == 200, status
        return body

    async def submit(self, view: dict[str, Any], *, user: str, reason: str) -> str:
        """Submit an opened modal with its reason; returns the body sent."""
        state = {
            "values": {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
        }
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": self.trigger(),
            "view": {**view, "state": state},
        }
        body = urlencode({"payload": json.dumps(payload)})
        status, _ = await self.post(body, self.signed(body))
        assert status == 200, status
        return body

    @staticmethod
    def reply_key(body: str) -> str:
        """The response-URL key of a click body (its trigger id)."""
        from urllib.parse import parse_qs

        return str(json.loads(parse_qs(body)["payload"][0])["trigger_id"])
