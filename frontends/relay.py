"""The Slack relay: `/incident`, the incident bot's buttons, its forms (``relay_forms``) and its
Home tab (``relay_home``), all sent as the CLI's own commands (the same Updates).

    incident relay --port 3000        # HTTP at /slack/events, verified with SLACK_SIGNING_SECRET
    SLACK_APP_TOKEN=xapp-… incident relay   # Socket Mode: no public URL

Every request is verified by slack-bolt (unsigned, mis-signed or older than 5 minutes: 401, nothing
runs) and acknowledged at once; the work happens after the ack and the answer reaches only the
person who asked. Slash commands are read by :func:`frontends.slash.plan_words`, the CLI's grammar;
buttons and forms send their command's input model as data (:meth:`Relay.order`); either way they
are the CLI's Updates, acting as the verified Slack user. Each request's Slack ids give it a
stable request id, so a redelivered request is applied once by the workflow.
The relay keeps nothing between requests: any number of relays can run side by side.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from typer.core import TyperGroup

from activities.slack_api import slack_web_client
from frontends.relay_core import Relay, log, request_id
from frontends.relay_forms import add_forms, form_for_words, open_form, reason_problem
from frontends.relay_home import Homes, add_home
from frontends.slash import SLASH, split_words
from messages.slack_blocks import BUTTONS, ActionId
from messages.slack_forms import FormContext
from messages.slack_relay import (
    REASON_ASKED,
    REASON_BLOCK,
    ReasonAsked,
    RequestMessage,
    decided_blocks,
    decided_from_text,
    decision_line,
    reason_modal,
    settled_by_one_answer,
    submitted_reason,
)
from temporal_client.client import CommandError, IncidentClient
from temporal_client.connection import connect
from temporal_client.settings import Settings

EVENTS_PATH = "/slack/events"


def build_app(relay: Relay, settings: Settings, *, socket_mode: bool = False) -> AsyncApp:
    """The bolt app: one listener per Slack surface, each acking before it works."""
    assert settings.slack_bot_token is not None
    client = slack_web_client(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        sdk_retries=True,  # replies to a person, not deliveries Temporal retries
    )
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=not socket_mode,
        ssl_check_enabled=False,
        url_verification_enabled=not socket_mode,
    )

    @app.command(SLASH)
    async def on_slash(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        user, text = body["user_id"], body.get("text", "")
        form = form_for_words(_words_or_none(text))
        if form is not None:  # the form asks for what the words would have said
            context = FormContext(
                form=form,
                requester=user,
                channel=body.get("channel_id"),
                response_url=body.get("response_url"),
            )
            await open_form(client, body["trigger_id"], context)
            return
        rid = request_id(body["team_id"], user, body["trigger_id"])
        answer = await relay.slash(text, user=user, request_id=rid)
        await respond(text=answer, response_type="ephemeral")

    async def on_button(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        clicked, user = ActionId(action["action_id"]), body["user"]["id"]
        rid = request_id(body["team"]["id"], user, action["action_ts"], clicked.value)
        incident_id = str(action.get("value", ""))
        done, answer = await relay.press(
            BUTTONS[clicked].command, incident_id, user=user, request_id=rid
        )
        await respond(text=answer, response_type="ephemeral", replace_original=False)
        message = body.get("message") or {}
        if done and settled_by_one_answer(message.get("blocks") or []):
            container = body["container"]
            decision = decision_line(clicked, user)
            await client.chat_update(
                channel=container["channel_id"],
                ts=container["message_ts"],
                text=f"{message.get('text', '')} {decision}".strip(),
                blocks=decided_blocks(message.get("blocks") or [], decision),
            )

    # Each button sends the command it names as whoever clicks: the same Update, the same rules.
    for clicked, button in BUTTONS.items():
        if button.asks_why is None:
            app.action(clicked.value)(on_button)

    for clicked, asked in REASON_ASKED.items():
        _ask_for_a_reason(app, relay, clicked, asked)

    add_forms(app, relay)
    homes = Homes(client, relay.incidents)
    add_home(app, homes)
    relay.after_each_command(homes.publish)
    return app


def _ask_for_a_reason(app: AsyncApp, relay: Relay, clicked: ActionId, asked: ReasonAsked) -> None:
    """A button whose command needs a reason (Reject, Reopen): a modal asks for it, and the
    command runs when it is submitted."""

    async def on_click(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        container, message = body["container"], body.get("message") or {}
        request = RequestMessage(
            incident_id=str(action.get("value", "")),
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=str(message.get("text", "")),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=reason_modal(asked, request))

    async def on_reason(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        reason = submitted_reason(view)
        problem = reason_problem(reason)
        if problem is not None:  # answered in the modal; nothing is sent
            await ack(response_action="errors", errors={REASON_BLOCK: problem})
            return
        await ack()
        user, request = body["user"]["id"], RequestMessage.from_metadata(view["private_metadata"])
        rid = request_id(body["team"]["id"], user, view["id"], asked.command)
        done, answer = await relay.press(
            asked.command, request.incident_id, user=user, request_id=rid, reason=reason
        )
        await client.chat_postEphemeral(channel=request.channel, user=user, text=answer)
        if done:
            decision = decision_line(clicked, user, reason)
            await client.chat_update(
                channel=request.channel,
                ts=request.ts,
                text=f"{request.text} {decision}".strip(),
                blocks=decided_from_text(request.text, decision),
            )

    app.action(clicked.value)(on_click)
    app.view(asked.view)(on_reason)


def _words_or_none(text: str) -> list[str]:
    """The words of a slash command; words that cannot be read count as some (not none)."""
    try:
        return split_words(text)
    except CommandError:
        return ["?"]


def http_app(app: AsyncApp) -> web.Application:
    """``POST /slack/events`` for slash commands and interactivity; ``GET /healthz`` for probes."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    server = web.Application()
    server.add_routes([web.post(EVENTS_PATH, events), web.get("/healthz", healthz)])
    return server


async def run_relay(
    settings: Settings,
    grammar: Any,
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve Slack until ``stop`` is set (or SIGINT/SIGTERM): Socket Mode with SLACK_APP_TOKEN,
    otherwise HTTP on ``host:port``."""
    if not isinstance(grammar, TyperGroup):
        raise TypeError("the relay needs the CLI's typer group as its grammar")
    if settings.slack_bot_token is None:
        raise CommandError("The relay needs SLACK_BOT_TOKEN to answer in Slack.")
    socket_mode = settings.slack_app_token is not None
    if not socket_mode and settings.slack_signing_secret is None:
        raise CommandError(
            "The relay needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)."
        )
    incidents = IncidentClient(await connect(settings), settings)
    app = build_app(Relay(grammar, incidents, settings), settings, socket_mode=socket_mode)
    if stop is None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    if settings.slack_app_token is not None:
        await _socket_mode(app, settings.slack_app_token.get_secret_value(), stop)
    else:
        await _http(app, host, port, stop)
    log.info("relay stopped")


async def _socket_mode(app: AsyncApp, app_token: str, stop: asyncio.Event) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("relay connected to Slack in Socket Mode")
    await stop.wait()
    await handler.close_async()  # type: ignore[no-untyped-call]


async def _http(app: AsyncApp, host: str, port: int, stop: asyncio.Event) -> None:
    runner = web.AppRunner(http_app(app), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    log.info("relay serving Slack on http://%s:%d%s", host, port, EVENTS_PATH)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
