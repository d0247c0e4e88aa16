"""`incident codec-server`: Temporal's remote codec protocol, so the Web UI shows decrypted payloads.

    INCIDENT_CODEC_KEYS=... incident codec-server --port 8081
    temporal server start-dev --ui-codec-endpoint http://localhost:8081

``POST /decode`` and ``POST /encode`` take and return ``{"payloads": [...]}`` (the protobuf JSON
form of ``temporal.api.common.v1.Payloads``). Browsers at the origins in
INCIDENT_CODEC_CORS_ORIGINS may call it. Whoever reaches it can read every incident: it listens
on 127.0.0.1 unless told otherwise, and belongs behind the same sign-in as the Web UI.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from aiohttp import hdrs, web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from temporal_client.codec import CodecError, EncryptionCodec

log = logging.getLogger("incident.codec_server")  # logs are named after the command

Transform = Callable[[Iterable[Payload]], Awaitable[list[Payload]]]


def build_codec_app(codec: EncryptionCodec, *, origins: Sequence[str]) -> web.Application:
    """The aiohttp application: ``/encode``, ``/decode`` and their CORS preflights."""
    allowed = frozenset(origins)

    def with_cors(request: web.Request, response: web.Response) -> web.Response:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin in allowed:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = "POST, OPTIONS"
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = (
                "content-type, x-namespace, authorization"
            )
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        response.headers[hdrs.VARY] = "Origin"
        return response

    async def preflight(request: web.Request) -> web.Response:
        return with_cors(request, web.Response(status=204))

    def endpoint(transform: Transform) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                payloads = json_format.Parse(await request.read(), Payloads())
            except (json_format.ParseError, UnicodeDecodeError):
                problem = 'The body is not {"payloads": [...]} in protobuf JSON form.'
                return with_cors(request, web.Response(status=400, text=problem))
            try:
                result = Payloads(payloads=await transform(payloads.payloads))
            except CodecError as error:
                return with_cors(request, web.Response(status=400, text=str(error)))
            body = json_format.MessageToJson(result)
            return with_cors(request, web.Response(text=body, content_type="application/json"))

        return handle

    app = web.Application()
    app.add_routes(
        [
            web.post("/encode", endpoint(codec.encode)),
            web.post("/decode", endpoint(codec.decode)),
            web.options("/encode", preflight),
            web.options("/decode", preflight),
        ]
    )
    return app


async def start_codec_server(
    codec: EncryptionCodec, *, host: str, port: int, origins: Sequence[str]
) -> web.AppRunner:
    """Start serving; ``await runner.cleanup()`` stops. Port 0 picks a free one."""
    runner = web.AppRunner(build_codec_app(codec, origins=origins), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    return int(address[1])


async def serve_codec(
    codec: EncryptionCodec,
    *,
    host: str,
    port: int,
    origins: Sequence[str],
    stop: asyncio.Event,
) -> None:
    """Serve until ``stop`` is set."""
    runner = await start_codec_server(codec, host=host, port=port, origins=origins)
    try:
        log.info(
            "codec server on http://%s:%d (browsers allowed from %s)",
            host,
            bound_port(runner),
            ", ".join(origins) or "nowhere",
        )
        await stop.wait()
    finally:
        await runner.cleanup()
