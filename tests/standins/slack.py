"""A Slack Web API stand-in: the subset the incident bot calls, with a workspace held in memory.

slack = SlackStandIn(token="xoxb-test")
url = await slack.start()            # http://127.0.0.1:PORT/api/
slack.inject("chat.postMessage", Fault.DROP_AFTER)
...
slack.messages(channel_id)           # what people in that channel would read

It refuses what Slack refuses, as Slack does: HTTP 200, ``ok: false`` and the error name from the
method's reference (docs.slack.dev/reference/methods/<method>, "Errors"; the same names as
slackapi/slack-api-specs ``web-api/slack_web_openapi_v2.json``), so slack-sdk raises
``SlackApiError`` as it would against Slack. Each rule lives in one place::

    REQUIRED            a required argument missing
    _channel            channel_not_found, is_archived, not_in_channel (who may do what where)
    _check_channel_name invalid_name_required, _maxlength, _specials, _punctuation
    _check_message      no_text, msg_too_long, invalid_metadata_format, and _check_blocks
    _check_blocks       invalid_blocks_format, invalid_blocks (Block Kit's limits: blockkit.py)
    check_view          invalid_arguments for a modal or Home tab over those limits
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standins.blockkit import Surface, blocks_problems, view_problems
from tests.standins.common import Fault, Recorded, StandIn, drop_connection, request_params

BOT_USER = "UBOT"

# Required arguments (each method's "Required arguments") and Slack's answer when one is absent
# or empty: the error the method's reference names for that case ("was empty", "missing", "not
# specified"), otherwise the generic invalid_arguments.
INVALID_ARGUMENTS = "invalid_arguments"
REQUIRED: dict[str, dict[str, str]] = {
    "chat.postEphemeral": {"channel": INVALID_ARGUMENTS, "user": INVALID_ARGUMENTS},
    "chat.postMessage": {"channel": INVALID_ARGUMENTS},
    "chat.update": {"channel": INVALID_ARGUMENTS, "ts": INVALID_ARGUMENTS},
    "conversations.archive": {"channel": INVALID_ARGUMENTS},
    "conversations.create": {"name": "invalid_name_required"},
    "conversations.history": {"channel": INVALID_ARGUMENTS},
    "conversations.invite": {"channel": INVALID_ARGUMENTS, "users": "no_user"},
    "conversations.open": {"users": "users_list_not_supplied"},
    "conversations.replies": {"channel": "channel_not_found", "ts": "thread_not_found"},
    "conversations.setPurpose": {"channel": INVALID_ARGUMENTS, "purpose": INVALID_ARGUMENTS},
    "conversations.setTopic": {"channel": INVALID_ARGUMENTS, "topic": INVALID_ARGUMENTS},
    "files.completeUploadExternal": {"files": INVALID_ARGUMENTS},
    "files.getUploadURLExternal": {"filename": INVALID_ARGUMENTS, "length": INVALID_ARGUMENTS},
    "pins.add": {"channel": "channel_not_found", "timestamp": "no_item_specified"},
    "users.info": {"user": INVALID_ARGUMENTS},
    "users.lookupByEmail": {"email": INVALID_ARGUMENTS},
    "views.open": {"trigger_id": INVALID_ARGUMENTS, "view": INVALID_ARGUMENTS},
    "views.publish": {"user_id": INVALID_ARGUMENTS, "view": INVALID_ARGUMENTS},
    "chat.getPermalink": {"channel": "channel_not_found", "message_ts": "message_not_found"},
}
CHANNEL_NAME_MAX = 80  # conversations.create, "Naming"
TOPIC_MAX = 250  # conversations.setTopic / setPurpose: too_long
INVITE_MAX = 100  # conversations.invite, users: "Up to 100 users may be listed"
MESSAGE_TEXT_MAX = 40_000  # chat.postMessage, "Truncating content"; refused here (msg_too_long)
UPDATE_TEXT_MAX = (
    4_000  # chat.update, msg_too_long: "The text field cannot exceed 4,000 characters"
)
# Block Kit's limits: tests/standins/blockkit.py (shared with the test of every payload).


class Refused(Exception):
    """Slack's answer to a call it will not carry out (HTTP 200): ``ok`` false and an error name,
    with ``[ERROR]`` lines in ``response_metadata`` as Slack adds for argument errors."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error, self.messages = error, messages

    def answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            answer["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return answer


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
class Upload:
    """A file as files.uploadV2 sends it: its name, then its bytes, then its title and share."""

    id: str
    name: str
    content: bytes | None = None
    title: str = ""

    @property
    def text(self) -> str:
        return (self.content or b"").decode()


@dataclass
class SlackStandIn(StandIn):
    token: str = "xoxb-stand-in"
    channels: dict[str, Channel] = field(default_factory=dict)
    users_by_email: dict[str, str] = field(default_factory=dict)
    real_names: dict[str, str] = field(default_factory=dict)
    scopes: set[str] = field(default_factory=lambda: {"files:write"})  # the token's, where asked
    uploads: dict[str, Upload] = field(default_factory=dict)
    share_delay: float = 0.0  # seconds before a completed upload shows in its channel
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:  # type: ignore[override]
        return await super().start(self.application(), "/api/")

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._receive_upload)
        return app

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
        try:
            answer = self._answer(method, request.headers.get("Authorization"), params)
        except Refused as refused:
            answer = refused.answer()
        if fault is Fault.DROP_AFTER:
            return drop_connection(request)
        return web.json_response(answer)

    def _answer(
        self, method: str, authorization: str | None, params: dict[str, Any]
    ) -> dict[str, Any]:
        if not authorization:
            raise Refused("not_authed")
        if authorization != f"Bearer {self.token}":
            raise Refused("invalid_auth")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            raise Refused("unknown_method")
        for name, error in REQUIRED.get(method, {}).items():
            if params.get(name) in (None, ""):
                raise Refused(error, f"missing required field: {name}")
        answer: dict[str, Any] = handler(params)
        return answer

    def _channel(
        self, params: dict[str, Any], *, changing: bool = True, member: bool = True
    ) -> Channel:
        """The channel a call names, if the bot may act there: a private channel it is not in is
        invisible to it; an archived one can be read, not changed; elsewhere it must be a member
        (posting into a public channel it is not in would need chat:write.public)."""
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None or (channel.is_private and BOT_USER not in channel.members):
            raise Refused("channel_not_found")
        if changing and channel.is_archived:
            raise Refused("is_archived")
        if member and BOT_USER not in channel.members:
            raise Refused("not_in_channel")
        return channel

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user_id": BOT_USER}

    def _conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params["name"])
        _check_channel_name(name)
        if any(c.name == name for c in self.channels.values()):
            raise Refused("name_taken")
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
        self._channel(params).purpose = _within(str(params["purpose"]), TOPIC_MAX)
        return {"ok": True}

    def _conversations_setTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        self._channel(params).topic = _within(str(params["topic"]), TOPIC_MAX)
        return {"ok": True}

    def _conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        users = set(filter(None, str(params["users"]).split(",")))
        if len(users) > INVITE_MAX:
            raise Refused("too_many_users")
        if users <= channel.members:
            raise Refused("already_in_channel")
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
        user = str(params.get("channel", ""))
        if user[:1] in ("U", "W"):  # a user id: the app's direct messages with them (Messages tab)
            params = params | {
                "channel": self._conversations_open({"users": user})["channel"]["id"]
            }
        channel = self._channel(params)
        _check_message(params)
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
        channel = self._channel(params, member=False)
        message = _message(channel, params["ts"], missing="message_not_found")
        if message["user"] != BOT_USER:
            raise Refused("cant_update_message")
        _check_message(params, text_max=UPDATE_TEXT_MAX)
        message.update(text=params.get("text", ""), blocks=params.get("blocks", []))
        if "metadata" in params:  # replaced; {} removes it; left out, the message keeps it
            message["metadata"] = params["metadata"] or None
        channel.edits += 1
        return {"ok": True, "channel": channel.id, "ts": message["ts"]}

    # files.uploadV2 is three steps: an upload URL, the bytes POSTed to it, then the completion
    # that shares the file in a channel (its own message, with the file; no metadata).

    def files(self, channel_id: str) -> list[Upload]:
        """The files shared in a channel, in the order they were shared."""
        return [
            self.uploads[shared["id"]]
            for message in self.channels[channel_id].messages
            for shared in message.get("files") or []
        ]

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require_scope("files:write")
        upload = Upload(id=f"F{next(self._ids):08d}", name=str(params["filename"]))
        self.uploads[upload.id] = upload
        base = self.url.removesuffix("/api/")
        return {"ok": True, "upload_url": f"{base}/upload/{upload.id}", "file_id": upload.id}

    async def _receive_upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="no such upload")
        upload.content = await request.read()
        return web.Response(text="OK - " + str(len(upload.content)))

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require_scope("files:write")
        listed = params["files"]
        listed = json.loads(listed) if isinstance(listed, str) else listed
        uploads = []
        for item in listed:
            upload = self.uploads.get(str(item.get("id")))
            if upload is None or upload.content is None:
                raise Refused("file_not_found")
            upload.title = str(item.get("title") or upload.name)
            uploads.append(upload)
        if params.get("channel_id"):
            channel = self._channel({"channel": params["channel_id"]})
            message = {
                "ts": f"{1_700_000_000 + next(self._ts)}.000100",
                "text": params.get("initial_comment", ""),
                "blocks": [],
                "metadata": None,
                "thread_ts": params.get("thread_ts"),
                "user": BOT_USER,
                "files": [{"id": u.id, "name": u.name, "title": u.title} for u in uploads],
                "shown_at": time.monotonic() + self.share_delay,
            }
            channel.messages.append(message)
        return {
            "ok": True,
            "files": [{"id": u.id, "name": u.name, "title": u.title} for u in uploads],
        }

    def _require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Refused("missing_scope")

    def _pins_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = _message(channel, params["timestamp"], missing="message_not_found")["ts"]
        if ts in channel.pinned:
            raise Refused("already_pinned")
        channel.pinned.append(ts)
        return {"ok": True}

    def _conversations_archive(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, changing=False)
        if channel.is_archived:
            raise Refused("already_archived")
        channel.is_archived = True
        return {"ok": True}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, changing=False)
        top_level = [m for m in channel.messages if not m["thread_ts"]]
        return {"ok": True, "messages": self._shown(params, top_level)}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params, changing=False)
        root = _message(channel, params["ts"], missing="thread_not_found")["ts"]
        thread = [m for m in channel.messages if m["ts"] == root or m["thread_ts"] == root]
        return {"ok": True, "messages": list(reversed(self._shown(params, thread)))}

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users_by_email.get(str(params["email"]))
        if user is None:
            raise Refused("users_not_found")
        return {"ok": True, "user": {"id": user}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params["user"])
        if user not in self.real_names:
            raise Refused("user_not_found")
        name = self.real_names[user]
        return {"ok": True, "user": {"id": user, "real_name": name, "profile": {"real_name": name}}}

    @staticmethod
    def _shown(params: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Newest first, metadata only when asked for (as Slack does), only those after
        ``oldest`` when given; a file share not yet settled is not seen."""
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        limit = int(params.get("limit", 100))
        oldest = float(params.get("oldest") or 0)
        now = time.monotonic()
        shown = [
            {k: v for k, v in m.items() if (k != "metadata" or with_metadata) and k != "shown_at"}
            for m in reversed(messages)
            if float(m["ts"]) > oldest and m.get("shown_at", 0) <= now
        ]
        return shown[:limit]


def _message(channel: Channel, ts: object, *, missing: str) -> dict[str, Any]:
    found = next((m for m in channel.messages if m["ts"] == str(ts)), None)
    if found is None:
        raise Refused(missing)
    return found


def _within(text: str, limit: int) -> str:
    if len(text) > limit:
        raise Refused("too_long")
    return text


def _check_channel_name(name: str) -> None:
    """conversations.create, "Naming": only lowercase letters, numbers, hyphens and underscores,
    at most 80 characters."""
    if len(name) > CHANNEL_NAME_MAX:
        raise Refused("invalid_name_maxlength")
    if any(not (c in "-_" or (c.isalnum() and c == c.lower())) for c in name):
        raise Refused("invalid_name_specials")
    if not any(c.isalnum() for c in name):
        raise Refused("invalid_name_punctuation")


def _check_message(params: dict[str, Any], *, text_max: int = MESSAGE_TEXT_MAX) -> None:
    """chat.postMessage and chat.update: text, blocks, attachments or markdown_text required, text
    within ``text_max``, blocks valid Block Kit, metadata with an event type and a payload."""
    text, blocks = str(params.get("text") or ""), params.get("blocks")
    if not (text.strip() or blocks or params.get("attachments") or params.get("markdown_text")):
        raise Refused("no_text")
    if len(text) > text_max:
        raise Refused("msg_too_long")
    if blocks is not None:
        _check_blocks(blocks)
    metadata = params.get("metadata")
    if metadata not in (None, {}) and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        raise Refused("invalid_metadata_format")


def _check_blocks(blocks: object) -> None:
    """Block Kit as Slack checks a message's blocks: invalid_blocks_format for what is not an
    array of blocks, invalid_blocks (naming where) for a block over its limits."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise Refused("invalid_blocks_format", "blocks must be an array of objects")
    problems = blocks_problems(blocks, Surface.MESSAGE)
    if problems:
        raise Refused("invalid_blocks", *problems)


def check_view(view: object) -> dict[str, Any]:
    """A view as views.open and views.publish take it (a JSON string or an object): Slack answers
    invalid_arguments, naming each problem, for one over Block Kit's limits."""
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except json.JSONDecodeError:
            raise Refused("invalid_arguments", "view must be a JSON object") from None
    problems = view_problems(view)
    if problems:
        raise Refused("invalid_arguments", *problems)
    assert isinstance(view, dict)
    return view
