"""What both stand-in servers share: a recorded request, injectable faults, start and stop."""

from __future__ import annotations

import contextlib
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After, nothing applied
    SERVER_ERROR = "server_error"  # 500, nothing applied
    DROP_AFTER = "drop_after"  # applied, then the connection is closed without an answer


@dataclass
class Recorded:
    method: str
    params: dict[str, Any]
    fault: Fault | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class StandIn:
    """An aiohttp server on 127.0.0.1 (random port) that records requests and injects faults."""

    retry_after: int = 1
    requests: list[Recorded] = field(default_factory=list)
    _faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    _runner: web.AppRunner | None = None
    url: str = ""
    failing: bool = False  # an outage: every call meets SERVER_ERROR until answer_again()

    def fail_every_call(self) -> None:
        self.failing = True

    def answer_again(self) -> None:
        self.failing = False

    def inject(self, method: str, fault: Fault, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` meet ``fault``."""
        self._faults[method].extend([fault] * times)

    def calls(self, method: str, *, answered: bool = True) -> list[dict[str, Any]]:
        """Parameters of each call of ``method`` (by default only those that were applied)."""
        return [
            r.params
            for r in self.requests
            if r.method == method and (not answered or r.fault in (None, Fault.DROP_AFTER))
        ]

    def faults_met(self) -> list[tuple[str, Fault]]:
        return [(r.method, r.fault) for r in self.requests if r.fault is not None]

    async def start(self, app: web.Application, path: str) -> str:
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}{path}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def take_fault(self, method: str) -> Fault | None:
        if self.failing:
            return Fault.SERVER_ERROR
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    def refusal(self, fault: Fault) -> web.Response:
        if fault is Fault.RATE_LIMIT:
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        return web.Response(status=500, text="stand-in: injected server error")


def drop_connection(request: web.Request) -> web.Response:
    """Close the connection without answering; the request was already applied."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)  # never sent: the transport is closed


async def request_params(request: web.Request) -> dict[str, Any]:
    """Query string, form fields and JSON body, merged as one dict of parameters."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in ("blocks", "metadata"):
        if isinstance(params.get(name), str):
            with contextlib.suppress(json.JSONDecodeError):  # left as sent: the service refuses it
                params[name] = json.loads(params[name])
    return params
