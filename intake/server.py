"""`incident intake`: monitoring alarms in over HTTP, each handed to Temporal by a forwarder.

    incident intake --port 3100 --host 127.0.0.1     # behind your HTTPS

    POST /alerts/cloudwatch      SNS HTTPS subscription: signed by SNS, topic in INCIDENT_SNS_TOPICS
    POST /alerts/alertmanager    Alertmanager webhook (version 4): Authorization: Bearer <token>
    POST /alerts/grafana         Grafana webhook: HMAC-SHA256 with INCIDENT_GRAFANA_SECRET, or bearer
    POST /alerts/generic         {"title", "status", "deduplication_key", …}: bearer
    POST /heartbeats/{name}      a monitor's "I am alive" (INCIDENT_HEARTBEATS): bearer
    GET  /healthz

Each accepted notification becomes an :class:`workflows.model.alarms.AlarmNotice` (``intake/senders.py``),
and the sender is answered 2xx only once the forwarder has returned: the alarm is in Temporal.
Everything else is refused with one sentence (``intake/refusals.py``), logged in one line without
any secret, and nothing is forwarded; a forwarder that fails is a 503, so the sender retries.
Bearer tokens and Grafana's HMAC are compared in constant time. Grafana signs the raw body, or
``<timestamp>:<body>`` when its contact point names a timestamp header, which here must be
``X-Grafana-Alerting-Timestamp`` (then no older than 5 minutes). The intake keeps nothing between
requests but SNS certificates (``intake/sns.py``), so several may run side by side.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from aiohttp import hdrs, web
from pydantic import ValidationError

from intake.alarms import AlarmForwarder, IntakeUnavailable
from intake.config import IntakeConfig
from intake.refusals import Refused, forbidden, shown
from intake.senders import (
    cloudwatch_notice,
    delivery_id,
    generic_notice,
    grouped_notice,
    json_object,
)
from intake.sns import SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION, SnsGate, read_message
from workflows.model.alarms import AlarmNotice, AlarmSource, HeartbeatNotice

log = logging.getLogger("incident.intake")  # logs are named after the command

BODY_MAX = 256 * 1024
GRAFANA_SIGNATURE = "X-Grafana-Alerting-Signature"  # Grafana's default header
GRAFANA_TIMESTAMP = "X-Grafana-Alerting-Timestamp"  # Grafana has no default: README names this
GRAFANA_WINDOW_SECONDS = 300
_TOO_LARGE = f"The body is larger than {BODY_MAX // 1024} KB."
_UNAVAILABLE = "The alarm could not be handed to Temporal; try again."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Intake:
    """The request handlers: check the sender, read the payload, forward, answer."""

    def __init__(
        self,
        config: IntakeConfig,
        forwarder: AlarmForwarder,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._forwarder = forwarder
        self._sns = SnsGate(config, http)
        self._now = clock

    async def cloudwatch(self, request: web.Request) -> web.Response:
        message = read_message(await _body(request))
        await self._sns.verify(message)
        if message.type == SUBSCRIPTION_CONFIRMATION:
            await self._sns.confirm(message)
            log.info("confirmed the SNS subscription to %s", message.topic)
            return _answer("Subscription confirmed.")
        if message.type == UNSUBSCRIBE_CONFIRMATION:
            log.info("SNS says the subscription to %s was removed", message.topic)
            return _answer("Noted; nothing was forwarded.")
        notice = cloudwatch_notice(
            message.fields["Message"], f"sns:{message.message_id}", self._now()
        )
        if notice is None:
            log.info(
                "INSUFFICIENT_DATA from %s not forwarded (sns:%s)",
                message.topic,
                message.message_id,
            )
            return _answer("INSUFFICIENT_DATA is not forwarded.")
        return await self._forward(notice)

    async def alertmanager(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self._bearer(request)
        data = json_object(body)
        return await self._forward(
            grouped_notice(AlarmSource.ALERTMANAGER, data, delivery_id(body), self._now())
        )

    async def grafana(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self._grafana_signed(request, body)
        data = json_object(body)
        return await self._forward(
            grouped_notice(AlarmSource.GRAFANA, data, delivery_id(body), self._now())
        )

    async def generic(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self._bearer(request)
        notice = generic_notice(json_object(body), delivery_id(body), self._now())
        return await self._forward(notice)

    async def heartbeat(self, request: web.Request) -> web.Response:
        await _body(request)  # nothing in it is read, but it is bounded like every other
        self._bearer(request)
        name = request.match_info["name"]
        interval = self._config.heartbeats.get(name)
        if interval is None:
            raise Refused(404, "No heartbeat by that name is expected (INCIDENT_HEARTBEATS).")
        notice = HeartbeatNotice(name=name, at=self._now(), interval=interval)
        await self._handed_on(self._forwarder.heartbeat(notice), f"heartbeat {name}")
        log.info("forwarded heartbeat %s", name)
        return _answer("Heartbeat received.")

    async def _forward(self, notice: AlarmNotice) -> web.Response:
        await self._handed_on(self._forwarder.alarm(notice), notice.delivery_id)
        state = "firing" if notice.firing else "cleared"
        key = shown(notice.key, 200)
        log.info("forwarded %s %s %s (%s)", notice.source, state, key, notice.delivery_id)
        return _answer("Accepted.")

    @staticmethod
    async def _handed_on(forwarding: Awaitable[None], what: str) -> None:
        try:
            await forwarding
        except IntakeUnavailable as error:
            raise Refused(503, _UNAVAILABLE, detail=f"{what}: {error}") from None
        except Exception:
            log.exception("forwarding %s failed", what)  # a bug keeps its traceback
            raise Refused(503, _UNAVAILABLE, detail=f"{what}: unexpected error") from None

    def _bearer(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "This needs an Authorization: Bearer token.")
        if not _one_of(token.strip().encode(), self._config.tokens):
            raise forbidden("The bearer token is not one this intake accepts.")

    def _grafana_signed(self, request: web.Request, body: bytes) -> None:
        """A good HMAC, or else a good bearer token (Grafana may send either, or both)."""
        signature = request.headers.get(GRAFANA_SIGNATURE)
        problem = None if signature is None else self._hmac_problem(request, signature, body)
        if signature is not None and problem is None:
            return
        if hdrs.AUTHORIZATION in request.headers:
            self._bearer(request)
            return
        if signature is None:
            raise Refused(401, f"This needs {GRAFANA_SIGNATURE} or an Authorization: Bearer token.")
        raise forbidden(problem or "The Grafana signature does not match the body.")

    def _hmac_problem(self, request: web.Request, signature: str, body: bytes) -> str | None:
        secret = self._config.grafana_secret
        if secret is None:
            return "This intake has no INCIDENT_GRAFANA_SECRET to check signatures with."
        stamp = request.headers.get(GRAFANA_TIMESTAMP)
        signed = body if stamp is None else stamp.encode() + b":" + body
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(expected, signature.strip().lower().encode()):
            return "The Grafana signature does not match the body."
        if stamp is not None and not _recent(stamp):
            return f"The signed {GRAFANA_TIMESTAMP} is not within 5 minutes of now."
        return None


def _one_of(token: bytes, known: tuple[bytes, ...]) -> bool:
    """Whether ``token`` is one of ``known``, comparing with every one, in constant time."""
    matched = False
    for candidate in known:
        matched |= hmac.compare_digest(candidate, token)
    return matched


def _recent(stamp: str) -> bool:
    try:
        return abs(time.time() - int(stamp)) <= GRAFANA_WINDOW_SECONDS
    except ValueError:
        return False


async def _body(request: web.Request) -> bytes:
    """The raw body, at most BODY_MAX bytes whatever Content-Length says."""
    if request.content_length is not None and request.content_length > BODY_MAX:
        raise Refused(413, _TOO_LARGE)
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, _TOO_LARGE) from None


def _answer(sentence: str) -> web.Response:
    return web.Response(text=sentence + "\n")


@web.middleware
async def _refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal answered with its sentence and logged in one line."""
    headers: dict[str, str] = {}
    try:
        return await handler(request)
    except Refused as refusal:
        status, sentence, detail = refusal.status, refusal.sentence, refusal.detail
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "the notification"
        status, sentence, detail = 400, f"{field}: {problem['msg'].lower()}.", ""
    except web.HTTPMethodNotAllowed as error:
        status, sentence, detail = 405, f"Use {', '.join(sorted(error.allowed_methods))} here.", ""
        headers[hdrs.ALLOW] = ", ".join(sorted(error.allowed_methods))
    except web.HTTPNotFound:
        status, sentence, detail = 404, "There is nothing at this path.", ""
    if status == 401:
        headers[hdrs.WWW_AUTHENTICATE] = "Bearer"
    log.warning(
        "refused %s %s from %s: %d %s%s",
        request.method,
        shown(request.path, 120),
        request.remote,
        status,
        sentence,
        f" ({detail})" if detail else "",
    )
    return web.Response(status=status, text=sentence + "\n", headers=headers)


def build_intake_app(intake: Intake) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=BODY_MAX, middlewares=[_refusals])
    app.add_routes(
        [
            web.post("/alerts/cloudwatch", intake.cloudwatch),
            web.post("/alerts/alertmanager", intake.alertmanager),
            web.post("/alerts/grafana", intake.grafana),
            web.post("/alerts/generic", intake.generic),
            web.post("/heartbeats/{name}", intake.heartbeat),
            web.get("/healthz", healthz),
        ]
    )
    return app


async def start_intake(intake: Intake, *, host: str, port: int) -> web.AppRunner:
    """Start serving; ``await runner.cleanup()`` stops. Port 0 picks a free one."""
    runner = web.AppRunner(build_intake_app(intake), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


async def serve_intake(
    config: IntakeConfig,
    forwarder: AlarmForwarder,
    *,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM)."""
    if stop is None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with httpx.AsyncClient() as http:
        runner = await start_intake(Intake(config, forwarder, http), host=host, port=port)
        try:
            log.info("intake serving alarms on http://%s:%d", host, port)
            await stop.wait()
        finally:
            await runner.cleanup()
    log.info("intake stopped")
