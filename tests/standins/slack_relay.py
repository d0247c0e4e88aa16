"""Slack for the relay's tests: the Web API stand-in plus what Slack sends and receives around it.

slack = RelaySlackStandIn(token="xoxb-test")
await slack.start()                                    # Web API at slack.url, response URLs too
sender = SlackSender(relay_url, signing_secret="s3cret", slack=slack)
await sender.slash("update inc-1 Restarted", user="U0LEAD")   # a signed slash command
slack.replies(trigger_id)                              # what only that person saw

Requests to the relay are signed as Slack signs them (v0, HMAC-SHA256 over the exact bytes sent),
or, with a ``relay_url`` of ``socket:N``, sent as Socket Mode envelopes over the relay's
connection N (``tests/standins/slack_socket.py``).
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

from tests.standins.slack import BOT_USER, Refused, SlackStandIn, check_view
from tests.standins.slack_socket import SocketModeServer

TEAM = "T0TEAM"
SOCKET = "socket:"  # a relay_url naming a Socket Mode connection: socket:0, socket:1


@dataclass
class RelaySlackStandIn(SlackStandIn, SocketModeServer):
    """Adds private answers (``chat.postEphemeral``, response URLs), ``views.open``,
    ``views.publish`` (the Home tab), ``chat.getPermalink`` and Socket Mode."""

    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    homes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # views.publish, by user
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _views_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:  # type: ignore[override]
        app = self.application()
        app.router.add_post("/response/{key}", self._respond)
        self.add_socket_routes(app)
        return await super(SlackStandIn, self).start(app, "/api/")

    def _answer(
        self, method: str, authorization: str | None, params: dict[str, Any]
    ) -> dict[str, Any]:
        if method == "apps.connections.open":  # the app-level token's, not the bot's
            if authorization != f"Bearer {self.app_token}":
                raise Refused("invalid_auth")
            return self.connections_open(self.url.removesuffix("/api/"))
        return super()._answer(method, authorization, params)

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
        _check_trigger(str(params["trigger_id"]))
        view = check_view(params["view"])
        opened = {**view, "id": f"V{next(self._views_ids):05d}", "trigger_id": params["trigger_id"]}
        self.views.append(opened)
        return {"ok": True, "view": opened}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = check_view(params["view"])
        if view.get("type") != "home":
            raise Refused("invalid_arguments", "views.publish takes a home view")
        published = {**view, "id": f"V{next(self._views_ids):05d}"}
        self.homes.setdefault(str(params["user_id"]), []).append(published)
        return {"ok": True, "view": published}

    def home(self, user: str) -> dict[str, Any] | None:
        """The Home tab ``user`` sees now: the last one published for them."""
        published = self.homes.get(user)
        return published[-1] if published else None

    def _chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, changing=False, member=False)
        ts = str(params["message_ts"])
        return {
            "ok": True,
            "channel": channel.id,
            "permalink": f"https://example.slack.com/archives/{channel.id}/p{ts.replace('.', '')}",
        }


def _check_trigger(trigger_id: str) -> None:
    """A trigger id is good for 3 seconds ("expired_trigger_id" after): the sender's say when
    they were issued (``SlackSender.trigger``)."""
    parts = trigger_id.split(".")
    if len(parts) == 3 and parts[1].isdigit() and time.time() - int(parts[1]) / 1000 > 3:
        raise Refused("expired_trigger_id")


@dataclass
class SlackSender:
    """Slack's side of the relay: signed slash commands, shortcuts, button clicks, modal
    submissions and events, as Slack sends each (form-encoded, ``payload=`` JSON, or JSON)."""

    relay_url: str
    signing_secret: str
    slack: RelaySlackStandIn
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def trigger(self, *, age: float = 0) -> str:
        """A new trigger id, issued ``age`` seconds ago (Slack honours one for 3 seconds)."""
        return f"{next(self._ids)}.{int((time.time() - age) * 1000)}.trigger"

    def signed(
        self,
        body: str,
        *,
        age: float = 0,
        secret: str | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> dict[str, str]:
        timestamp = str(int(time.time() - age))
        verifier = SignatureVerifier(secret or self.signing_secret)
        signature = verifier.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }

    # --- What Slack sends --------------------------------------------------------------------

    def slash_payload(self, text: str, *, user: str, trigger: str) -> dict[str, str]:
        return {
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

    def slash_body(self, text: str, *, user: str, trigger: str) -> str:
        return urlencode(self.slash_payload(text, user=user, trigger=trigger))

    def click_payload(
        self, message: dict[str, Any], channel: str, action_id: str, *, user: str
    ) -> dict[str, Any]:
        button = next(
            element
            for block in message["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        )
        block_id = next(
            block.get("block_id", "")
            for block in message["blocks"]
            if block["type"] == "actions" and button in block["elements"]
        )
        trigger = self.trigger()
        return {
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
                    "block_id": block_id,
                    "action_id": action_id,
                    "value": button["value"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def view_click_payload(
        self, view: dict[str, Any], action_id: str, *, user: str
    ) -> dict[str, Any]:
        """A click on a button in a view (the Home tab): no message, no channel, no response URL."""
        [(block, button)] = [
            (block, element)
            for block in view["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        ]
        return {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": self.trigger(),
            "container": {"type": "view", "view_id": view["id"]},
            "view": view,
            "actions": [
                {
                    "type": "button",
                    "block_id": block.get("block_id", ""),
                    "action_id": action_id,
                    **({"value": button["value"]} if "value" in button else {}),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def click_body(
        self, message: dict[str, Any], channel: str, action_id: str, *, user: str
    ) -> str:
        payload = self.click_payload(message, channel, action_id, user=user)
        return urlencode({"payload": json.dumps(payload)})

    def shortcut_payload(
        self, message: dict[str, Any], channel: str, callback_id: str, *, user: str
    ) -> dict[str, Any]:
        trigger = self.trigger()
        return {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": trigger,
            "action_ts": f"{time.time():.6f}",
            "channel": {"id": channel},
            "message": {"type": "message", **{k: message[k] for k in ("ts", "text", "user")}},
            "response_url": self.slack.response_url(trigger),
        }

    def submission_payload(
        self, view: dict[str, Any], *, user: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """A modal submitted as a person would: each input as given in ``values`` (by block id),
        or left as the form opened it (its initial value, option or user)."""
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element, given = block["element"], values.get(block["block_id"])
            state[block["block_id"]] = {element["action_id"]: _entered(element, given)}
        return {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": user},
            "api_app_id": "A0APP",
            "trigger_id": self.trigger(),
            "view": {**view, "state": {"values": state}},
        }

    def home_opened_payload(self, user: str) -> dict[str, Any]:
        return {
            "token": "legacy-unused",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": f"D{user}",
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            },
        }

    # --- Sending it ----------------------------------------------------------------------------

    async def post(
        self, body: str, headers: dict[str, str], *, url: str | None = None
    ) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url or self.relay_url, data=body.encode(), headers=headers) as response,
        ):
            return response.status, await response.text()

    async def deliver(
        self, kind: str, payload: dict[str, Any], *, retry: int = 0
    ) -> dict[str, Any]:
        """Send what Slack sends (``kind``: slash_commands, interactive or events_api) and return
        the relay's acknowledgement (a view submission's ``response_action``, say)."""
        if self.relay_url.startswith(SOCKET):  # Socket Mode: an envelope on that connection
            connection = int(self.relay_url.removeprefix(SOCKET))
            return await self.slack.send_envelope(kind, payload, connection=connection, retry=retry)
        if kind == "slash_commands":
            body, content_type = urlencode(payload), "application/x-www-form-urlencoded"
        elif kind == "interactive":
            body = urlencode({"payload": json.dumps(payload)})
            content_type = "application/x-www-form-urlencoded"
        else:
            body, content_type = json.dumps(payload), "application/json"
        headers = self.signed(body, content_type=content_type)
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"}
        status, answer = await self.post(body, headers)
        assert status == 200, (status, answer)
        return dict(json.loads(answer)) if answer.strip().startswith("{") else {}

    async def slash(self, text: str, *, user: str, trigger: str | None = None) -> str:
        """Send ``/incident text`` as ``user``; returns the trigger id (the reply's key)."""
        trigger = trigger or self.trigger()
        await self.deliver("slash_commands", self.slash_payload(text, user=user, trigger=trigger))
        return trigger

    async def click(
        self, message: dict[str, Any], channel: str, action_id: str, *, user: str
    ) -> str:
        """Click a button of a posted message; returns the body sent (to send again)."""
        payload = self.click_payload(message, channel, action_id, user=user)
        await self.deliver("interactive", payload)
        return urlencode({"payload": json.dumps(payload)})

    async def shortcut(
        self, message: dict[str, Any], channel: str, callback_id: str, *, user: str
    ) -> dict[str, Any]:
        """Use a message shortcut on ``message``; returns the payload sent."""
        payload = self.shortcut_payload(message, channel, callback_id, user=user)
        await self.deliver("interactive", payload)
        return payload

    async def submit(self, view: dict[str, Any], *, user: str, reason: str) -> str:
        """Submit an opened reject modal with its reason; returns the body sent."""
        payload = self.submission_payload(view, user=user, values={"reason": reason})
        await self.deliver("interactive", payload)
        return urlencode({"payload": json.dumps(payload)})

    async def submit_form(
        self, view: dict[str, Any], *, user: str, retry: int = 0, **values: Any
    ) -> dict[str, Any]:
        """Submit an opened form; returns the relay's answer (``{}``, or inline errors)."""
        payload = self.submission_payload(view, user=user, values=values)
        return await self.deliver("interactive", payload, retry=retry)

    async def open_home(self, user: str) -> None:
        """``user`` opens the app's Home tab (the ``app_home_opened`` event)."""
        await self.deliver("events_api", self.home_opened_payload(user))

    @staticmethod
    def reply_key(body: str) -> str:
        """The response-URL key of a click body (its trigger id)."""
        from urllib.parse import parse_qs

        return str(json.loads(parse_qs(body)["payload"][0])["trigger_id"])


def _entered(element: dict[str, Any], given: Any) -> dict[str, Any]:
    """One input's state in a view submission, as Slack reports it."""
    kind = element["type"]
    if kind == "plain_text_input":
        value = given if given is not None else element.get("initial_value")
        return {"type": kind, "value": value}
    if kind == "static_select":
        if given is None:
            return {"type": kind, "selected_option": element.get("initial_option")}
        option = next(o for o in element["options"] if o["value"] == given)
        return {"type": kind, "selected_option": option}
    if kind == "users_select":
        return {"type": kind, "selected_user": given or element.get("initial_user")}
    if kind == "checkboxes":
        chosen = element["options"] if given else []
        return {"type": kind, "selected_options": chosen}
    raise AssertionError(f"no such input here: {kind}")
