"""Alertmanager, Grafana, the generic sender and heartbeats, over real HTTP to the intake: who may
send (bearer tokens, Grafana's HMAC), what each refusal says, and that a refusal forwards nothing
and logs one line without a secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.intake_stack import (
    GRAFANA_SECRET,
    SECOND_TOKEN,
    SECRETS,
    TOKEN,
    fixture,
    grafana_signature,
    intake_stack,
)
from tests.support import seconds

GRAFANA_TS = "X-Grafana-Alerting-Timestamp"


@pytest.fixture(autouse=True)
def no_secret_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="incident.intake")


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [r.getMessage() for r in caplog.records if r.name == "incident.intake"]
    assert not any(secret in line for line in lines for secret in SECRETS), lines
    return [line for line in lines if line.startswith("refused")]


# --- Alertmanager ------------------------------------------------------------------------------


async def test_alertmanager_with_a_good_token_is_forwarded_as_one_notice_for_its_group() -> None:
    payload = fixture("alertmanager-v4.json")
    async with intake_stack() as stack:
        response = await stack.post("/alerts/alertmanager", json=payload, token=TOKEN)
        assert response.status_code == 200, response.text
        (notice,) = stack.forwarder.alarms
    assert notice.key == 'alertmanager:{}/{severity="critical"}:{alertname="ProbeFailure"}'
    assert notice.title == "ProbeFailure: BlackBox Probe Failure: https://server.example.org"
    assert notice.firing and notice.delivery_id.startswith("sha256:")
    assert notice.at == datetime(2023, 2, 6, 13, 8, 45, 828000, tzinfo=UTC)
    assert notice.description == payload["commonAnnotations"]["description"]
    assert notice.source_url == payload["alerts"][0]["generatorURL"]
    assert notice.alerts == [
        "firing: ProbeFailure: BlackBox Probe Failure: https://server.example.org"
    ]


async def test_alertmanager_resolved_is_cleared_at_its_end() -> None:
    payload = fixture("alertmanager-v4.json")
    payload["status"] = payload["alerts"][0]["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2023-02-06T13:20:00.5Z"
    async with intake_stack() as stack:
        response = await stack.post("/alerts/alertmanager", json=payload, token=SECOND_TOKEN)
        assert response.status_code == 200, response.text
        (notice,) = stack.forwarder.alarms
    assert not notice.firing
    assert notice.at == datetime(2023, 2, 6, 13, 20, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Basic dXNlcjpwYXNz", 401),
        ("Bearer", 401),
        ("Bearer not-the-token-at-all-0000", 403),
        (f"Bearer {TOKEN}x", 403),
        (f"Bearer {GRAFANA_SECRET}", 403),  # a secret, but not a token
    ],
)
async def test_alertmanager_without_a_good_token_is_refused(
    caplog: pytest.LogCaptureFixture, authorization: str | None, status: int
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with intake_stack() as stack:
        response = await stack.post(
            "/alerts/alertmanager", json=fixture("alertmanager-v4.json"), headers=headers
        )
        assert stack.forwarder.alarms == []
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    (line,) = refusal_lines(caplog)
    assert f": {status} " in line


async def test_alertmanager_payloads_it_cannot_read_are_a_400_naming_what_is_wrong() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"version": "3"}, "Alertmanager payload version '3' is not 4."),
        ({"groupKey": None}, "The body is missing groupKey."),
        ({"status": "pending"}, "status should be firing or resolved, not 'pending'."),
        ({"alerts": {"a": 1}}, "alerts should be a list."),
    ]
    async with intake_stack() as stack:
        for change, sentence in cases:
            payload = {**fixture("alertmanager-v4.json"), **change}
            response = await stack.post("/alerts/alertmanager", json=payload, token=TOKEN)
            assert (response.status_code, response.text.strip()) == (400, sentence)
        assert stack.forwarder.alarms == []


# --- Grafana -----------------------------------------------------------------------------------


async def test_grafana_signed_with_the_secret_is_forwarded() -> None:
    body = json.dumps(fixture("grafana-webhook.json")).encode()
    headers = {"X-Grafana-Alerting-Signature": grafana_signature(body)}
    async with intake_stack() as stack:
        response = await stack.post("/alerts/grafana", content=body, headers=headers)
        assert response.status_code == 200, response.text
        (notice,) = stack.forwarder.alarms
    assert (notice.source, notice.key, notice.firing) == ("grafana", "grafana:{}:{}", True)
    assert notice.title == "High memory usage, High CPU usage"
    assert notice.source_url == "https://play.grafana.org/"  # two rules: the Grafana instance
    assert notice.alerts == [
        "firing: High memory usage (zone=us-1): This alert was triggered for zone us-1",
        "firing: High CPU usage (zone=eu-1): This alert was triggered for zone eu-1",
    ]
    assert notice.at == datetime(2021, 10, 12, 7, 56, 3, 157076, tzinfo=UTC)


async def test_grafana_signed_with_a_timestamp_is_forwarded_while_fresh() -> None:
    body = json.dumps(fixture("grafana-webhook.json")).encode()
    fresh, stale = str(int(time.time())), str(int(time.time()) - 600)
    async with intake_stack() as stack:
        good = await stack.post(
            "/alerts/grafana",
            content=body,
            headers={
                "X-Grafana-Alerting-Signature": grafana_signature(body, stamp=fresh),
                GRAFANA_TS: fresh,
            },
        )
        old = await stack.post(
            "/alerts/grafana",
            content=body,
            headers={
                "X-Grafana-Alerting-Signature": grafana_signature(body, stamp=stale),
                GRAFANA_TS: stale,
            },
        )
        # The timestamp is signed: changing it breaks the signature.
        moved = await stack.post(
            "/alerts/grafana",
            content=body,
            headers={
                "X-Grafana-Alerting-Signature": grafana_signature(body, stamp=stale),
                GRAFANA_TS: fresh,
            },
        )
        assert len(stack.forwarder.alarms) == 1
    assert good.status_code == 200, good.text
    assert (old.status_code, moved.status_code) == (403, 403)
    assert "within 5 minutes" in old.text and "does not match" in moved.text


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Grafana-Alerting-Signature": "0" * 64}, 403),
        ({"X-Grafana-Alerting-Signature": "not hex at all"}, 403),
        ({}, 401),
    ],
)
async def test_grafana_with_a_bad_or_missing_signature_is_refused(
    caplog: pytest.LogCaptureFixture, headers: dict[str, str], status: int
) -> None:
    body = json.dumps(fixture("grafana-webhook.json")).encode()
    async with intake_stack() as stack:
        response = await stack.post("/alerts/grafana", content=body, headers=headers)
        assert response.status_code == status and stack.forwarder.alarms == []
    assert len(refusal_lines(caplog)) == 1


async def test_grafana_signed_with_another_secret_is_refused_and_a_bearer_token_is_enough() -> None:
    body = json.dumps(fixture("grafana-webhook.json")).encode()
    forged = grafana_signature(body, secret="someone-elses-secret-000")
    async with intake_stack() as stack:
        refused = await stack.post(
            "/alerts/grafana", content=body, headers={"X-Grafana-Alerting-Signature": forged}
        )
        by_token = await stack.post("/alerts/grafana", content=body, token=TOKEN)
        assert len(stack.forwarder.alarms) == 1
    assert refused.status_code == 403 and by_token.status_code == 200


# --- The generic sender ------------------------------------------------------------------------


async def test_a_generic_alarm_is_forwarded_and_its_retry_keeps_its_delivery_id() -> None:
    body = {
        "title": "Disk full on db-1",
        "status": "firing",
        "deduplication_key": "db-1-disk",
        "description": "/var at 100%",
        "source_url": "https://monitor.example.org/db-1",
    }
    async with intake_stack() as stack:
        for _ in range(2):
            response = await stack.post("/alerts/generic", json=body, token=SECOND_TOKEN)
            assert response.status_code == 200, response.text
        cleared = await stack.post(
            "/alerts/generic", json={**body, "status": "resolved"}, token=SECOND_TOKEN
        )
        assert cleared.status_code == 200
        first, retry, resolved = stack.forwarder.alarms
    # A retry is the same bytes: the same delivery id (only ``at``, the receipt time, differs).
    assert first.model_dump(exclude={"at"}) == retry.model_dump(exclude={"at"})
    assert first.key == resolved.key == "generic:db-1-disk"
    assert (first.firing, resolved.firing) == (True, False)
    assert first.delivery_id != resolved.delivery_id
    assert (first.title, first.description, first.source_url) == (
        "Disk full on db-1",
        "/var at 100%",
        "https://monitor.example.org/db-1",
    )


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"title": "Disk full"}, "The body is missing status, deduplication_key."),
        ({"status": "firing", "deduplication_key": "k"}, "The body is missing title."),
        (
            {"title": "x", "status": "open", "deduplication_key": "k"},
            "status should be firing or resolved, not 'open'.",
        ),
        (
            {"title": " ", "status": "firing", "deduplication_key": "k"},
            "title should not be empty.",
        ),
        ({"title": 3, "status": "firing", "deduplication_key": "k"}, "title should be a string."),
        (
            {
                "title": "x",
                "status": "firing",
                "deduplication_key": "k",
                "source_url": "javascript:alert(1)",
            },
            "source_url should be an http or https URL.",
        ),
        ("not an object", "The body is not a JSON object."),
    ],
)
async def test_a_generic_alarm_it_cannot_read_is_a_400_with_one_sentence(
    caplog: pytest.LogCaptureFixture, body: object, sentence: str
) -> None:
    async with intake_stack() as stack:
        response = await stack.post("/alerts/generic", json=body, token=TOKEN)
        assert stack.forwarder.alarms == []
    assert (response.status_code, response.text.strip()) == (400, sentence)
    (line,) = refusal_lines(caplog)
    assert line.endswith(f"400 {sentence}")


async def test_a_body_that_is_not_json_is_a_400() -> None:
    async with intake_stack() as stack:
        response = await stack.post("/alerts/generic", content=b"{oops", token=TOKEN)
        assert (response.status_code, response.text.strip()) == (400, "The body is not JSON.")


# --- Limits, methods, an unavailable Temporal ---------------------------------------------------


async def test_a_body_over_256_kb_is_a_413_whether_or_not_it_says_its_length() -> None:
    big = json.dumps(
        {"title": "x", "status": "firing", "deduplication_key": "k", "pad": "x" * 300_000}
    )

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        data = big.encode()
        for start in range(0, len(data), 16_384):
            yield data[start : start + 16_384]

    async with intake_stack() as stack:
        declared = await stack.post("/alerts/generic", content=big.encode(), token=TOKEN)
        chunked = await stack.post("/alerts/generic", content=chunks(), token=TOKEN)
        grafana = await stack.post("/alerts/grafana", content=big.encode())
        assert stack.forwarder.alarms == []
    assert "content-length" not in chunked.request.headers
    for response in (declared, chunked, grafana):
        assert (response.status_code, response.text.strip()) == (
            413,
            "The body is larger than 256 KB.",
        )


async def test_a_declared_length_over_256_kb_is_refused_before_the_body_is_read() -> None:
    """The answer comes at once, without waiting for a body the sender has not sent yet."""
    async with intake_stack() as stack:
        host, port = stack.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST /alerts/generic HTTP/1.1\r\nHost: {host}\r\nContent-Length: 300000\r\n"
            f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        try:
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), timeout=seconds(5))
        finally:
            writer.close()
            await writer.wait_closed()
        assert status_line.startswith(b"HTTP/1.1 413"), status_line
        assert stack.forwarder.alarms == []


async def test_a_wrong_method_is_a_405_and_an_unknown_path_a_404() -> None:
    async with intake_stack() as stack:
        wrong = await stack.http.get(f"{stack.url}/alerts/generic")
        nowhere = await stack.post("/alerts/pagerduty", json={}, token=TOKEN)
        health = await stack.http.get(f"{stack.url}/healthz")
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "POST")
    assert nowhere.status_code == 404 and health.status_code == 200


async def test_an_unavailable_temporal_is_a_503_so_the_sender_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with intake_stack() as stack:
        stack.forwarder.unavailable = "Temporal at 127.0.0.1:7233 did not answer"
        response = await stack.post(
            "/alerts/alertmanager", json=fixture("alertmanager-v4.json"), token=TOKEN
        )
        beat = await stack.post("/heartbeats/uptime-robot", token=TOKEN)
        assert stack.forwarder.alarms == [] and stack.forwarder.heartbeats == []
    assert (response.status_code, response.text.strip()) == (
        503,
        "The alarm could not be handed to Temporal; try again.",
    )
    assert beat.status_code == 503
    first, _ = refusal_lines(caplog)
    assert "did not answer" in first  # the forwarder's reason is logged, not shown


# --- Heartbeats --------------------------------------------------------------------------------


async def test_a_known_heartbeat_is_forwarded_with_its_interval() -> None:
    async with intake_stack() as stack:
        before = datetime.now(UTC)
        response = await stack.post("/heartbeats/uptime-robot", token=TOKEN)
        assert response.status_code == 200, response.text
        (beat,) = stack.forwarder.heartbeats
    assert (beat.name, beat.interval) == ("uptime-robot", timedelta(minutes=10))
    assert before <= beat.at <= datetime.now(UTC)


async def test_an_unknown_heartbeat_is_a_404_and_a_heartbeat_needs_a_token() -> None:
    async with intake_stack() as stack:
        unknown = await stack.post("/heartbeats/cron-nobody-set-up", token=TOKEN)
        anonymous = await stack.post("/heartbeats/uptime-robot")
        probing = await stack.post("/heartbeats/cron-nobody-set-up")
        assert stack.forwarder.heartbeats == []
    assert unknown.status_code == 404 and "INCIDENT_HEARTBEATS" in unknown.text
    assert (anonymous.status_code, probing.status_code) == (401, 401)  # names are not probed
