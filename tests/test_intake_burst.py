"""A burst: 200 notifications at once across every sender, good and bad, over real HTTP. Each is
answered as it deserves, each good one forwarded exactly once, and the SNS certificate fetched
once for all of them.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.intake_stack import (
    TOKEN,
    IntakeStack,
    fixture,
    grafana_signature,
    intake_stack,
)
from tests.support import seconds

PER_SENDER = 40  # good notifications per sender (four senders), and 40 bad ones: 200 in all


@dataclass
class Sent:
    path: str
    body: bytes
    headers: dict[str, str]
    expected: int
    key: str | None = None  # the notice's key when it should be forwarded


def _cloudwatch(stack: IntakeStack, n: int, *, forged: bool = False) -> Sent:
    arn = f"arn:aws:cloudwatch:eu-west-2:123456789012:alarm:burst-{n}"
    alarm = {**fixture("cloudwatch-alarm.json"), "AlarmArn": arn, "AlarmName": f"burst-{n}"}
    envelope = stack.signer.sign(
        stack.sns_notification(alarm, message_id=str(uuid.uuid4())), version="12"[n % 2]
    )
    if forged:
        envelope["Subject"] = "changed after signing"
    body = json.dumps(envelope).encode()
    return Sent("/alerts/cloudwatch", body, {}, 403 if forged else 200, f"cloudwatch:{arn}")


def _grouped(n: int) -> dict[str, Any]:
    payload = fixture("alertmanager-v4.json")
    payload["groupKey"] = f'{{}}:{{alertname="burst-{n}"}}'
    return payload


def _alertmanager(n: int, *, token: str = TOKEN) -> Sent:
    payload = _grouped(n)
    headers = {"Authorization": f"Bearer {token}"}
    expected = 200 if token == TOKEN else 403
    return Sent(
        "/alerts/alertmanager",
        json.dumps(payload).encode(),
        headers,
        expected,
        f"alertmanager:{payload['groupKey']}",
    )


def _grafana(n: int, *, forged: bool = False) -> Sent:
    payload = {**fixture("grafana-webhook.json"), "groupKey": f"{{}}:{{burst={n}}}"}
    body = json.dumps(payload).encode()
    signature = grafana_signature(body if not forged else body + b" ")
    headers = {"X-Grafana-Alerting-Signature": signature}
    return Sent(
        "/alerts/grafana", body, headers, 403 if forged else 200, f"grafana:{payload['groupKey']}"
    )


def _generic(n: int, *, malformed: bool = False) -> Sent:
    payload: dict[str, Any] = {
        "title": f"Burst {n}",
        "status": "firing",
        "deduplication_key": f"burst-{n}",
    }
    if malformed:
        del payload["status"]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return Sent(
        "/alerts/generic",
        json.dumps(payload).encode(),
        headers,
        400 if malformed else 200,
        f"generic:burst-{n}",
    )


async def test_200_notifications_at_once_are_each_answered_and_forwarded_once() -> None:
    async with intake_stack() as stack:
        good = [
            make(n)
            for n in range(PER_SENDER)
            for make in (lambda n: _cloudwatch(stack, n), _alertmanager, _grafana, _generic)
        ]
        bad = [
            sent
            for n in range(PER_SENDER, PER_SENDER + 10)
            for sent in (
                _cloudwatch(stack, n, forged=True),
                _alertmanager(n, token="a-token-nobody-was-given-0000"),
                _grafana(n, forged=True),
                _generic(n, malformed=True),
            )
        ]
        burst = good + bad
        assert len(burst) == 200
        limits = httpx.Limits(max_connections=len(burst))
        async with httpx.AsyncClient(trust_env=False, limits=limits, timeout=60) as http:
            started = time.monotonic()
            answers = await asyncio.gather(
                *(http.post(stack.url + s.path, content=s.body, headers=s.headers) for s in burst)
            )
            took = time.monotonic() - started
        assert [a.status_code for a in answers] == [s.expected for s in burst]
        forwarded = stack.forwarder.alarms
        assert sorted(n.key for n in forwarded) == sorted(str(s.key) for s in good)
        assert len({n.delivery_id for n in forwarded}) == len(good) == len(forwarded)
        assert stack.aws.certificate_fetches() == 1
    assert took < seconds(30), f"the burst took {took:.1f} s"
