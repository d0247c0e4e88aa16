"""How fast the Slack relay acknowledges: Slack gives up after 3 s, so the ack must not wait.

    python -m bench.relay_ack              # 200 signed `/incident update` requests, 20 at a time
    python -m bench.relay_ack --requests 50 --concurrency 5

A dev server of its own, a worker in this process (messages to a buffer), a minimal Slack Web API
(``auth.test`` and the response URLs) and the relay's own aiohttp app on a free port. Prints the
ack time (HTTP 200 back to "Slack") and the answer time (the private answer posted) as
p50 / p99 / max in milliseconds; measures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import time
import uuid
from urllib.parse import urlencode

import aiohttp
import typer
from aiohttp import web
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

import starter
from activities.console import ConsoleMessenger, ConsoleStatusPage
from activities.delivery import IncidentActivities
from bench.server import DevServer, free_port
from frontends.relay import EVENTS_PATH, build_app, http_app
from frontends.relay_core import Relay
from temporal_client.client import IncidentClient
from temporal_client.settings import Settings
from worker import build_worker

SECRET, TOKEN, DM = "bench-secret", "xoxb-bench", "U0DM"


async def measure(requests: int, concurrency: int) -> dict[str, list[float]]:
    answered: dict[str, float] = {}

    async def slack_api(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "user_id": "UBOT", "bot_id": "B0", "team_id": "T0"})

    async def response_url(request: web.Request) -> web.Response:
        answered[request.match_info["key"]] = time.perf_counter()
        return web.Response(text="ok")

    fake = web.Application()
    fake.add_routes([web.post("/api/{method}", slack_api), web.post("/r/{key}", response_url)])
    fake_runner, fake_port = web.AppRunner(fake), free_port()
    await fake_runner.setup()
    await web.TCPSite(fake_runner, "127.0.0.1", fake_port).start()
    slack = f"http://127.0.0.1:{fake_port}"

    async with DevServer() as client:
        settings = Settings(
            _env_file=None,
            temporal_task_queue=f"relay-ack-{uuid.uuid4()}",
            slack_bot_token=SecretStr(TOKEN),
            slack_api_url=f"{slack}/api/",
            slack_signing_secret=SecretStr(SECRET),
            incident_delivery_managers=DM,
        )
        out = io.StringIO()
        activities = IncidentActivities(
            messenger=ConsoleMessenger(platform_channel="#wc-platform", stream=out),
            status_page=ConsoleStatusPage(stream=out),
        )
        grammar = typer.main.get_command(starter.app)
        assert isinstance(grammar, typer.core.TyperGroup)
        relay = Relay(grammar, IncidentClient(client, settings), settings)
        runner, port = web.AppRunner(http_app(build_app(relay, settings))), free_port()
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        async with build_worker(client, settings, activities=activities):
            await asyncio.sleep(1)  # the worker polls before the first command
            done, answer = await relay.run(
                ["declare", "Bench", "--lead", DM, "--id", "inc-bench-relay"],
                user=DM,
                request_id="bench-declare",
            )
            assert done, answer
            acks, answers = await _send_all(url, slack, answered, requests, concurrency)
        await runner.cleanup()
    await fake_runner.cleanup()
    return {"ack_ms": acks, "answer_ms": answers}


async def _send_all(
    url: str, slack: str, answered: dict[str, float], requests: int, concurrency: int
) -> tuple[list[float], list[float]]:
    gate, acks, sent = asyncio.Semaphore(concurrency), [], {}
    async with aiohttp.ClientSession() as session:

        async def one(number: int) -> None:
            key = f"t{number}"
            body = urlencode(
                {
                    "team_id": "T0",
                    "user_id": DM,
                    "command": "/incident",
                    "text": f"update inc-bench-relay Progress {number}",
                    "response_url": f"{slack}/r/{key}",
                    "trigger_id": key,
                }
            )
            stamp = str(int(time.time()))
            signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature or "",
            }
            async with gate:
                sent[key] = time.perf_counter()
                async with session.post(url, data=body.encode(), headers=headers) as response:
                    assert response.status == 200, response.status
                acks.append((time.perf_counter() - sent[key]) * 1000)

        await asyncio.gather(*(one(n) for n in range(requests)))
    deadline = time.monotonic() + 60
    while len(answered) < requests and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    answers = [(answered[key] - sent[key]) * 1000 for key in sent if key in answered]
    return acks, answers


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms, max {ordered[-1]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.requests, args.concurrency))
    print(
        f"relay ack time ({args.requests} requests, {args.concurrency} at a time): "
        f"{summary(figures['ack_ms'])} (Slack's limit: 3000 ms)"
    )
    print(f"private answer posted: {summary(figures['answer_ms'])}")
    print(json.dumps({k: round(statistics.median(v), 1) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
