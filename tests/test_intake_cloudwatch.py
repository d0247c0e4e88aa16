"""CloudWatch alarms through SNS, over real HTTP to the intake: SNS signatures of both versions
made with the test's own key, checked against a certificate fetched from a local server the
settings allow; topics, certificate and SubscribeURL addresses refused when not allowed.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from tests.intake_stack import CERT_PATH, OTHER_TOPIC, fixture, intake_stack

ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:search-5xx"


def alarm(state: str = "ALARM", **changes: str) -> dict[str, object]:
    """AWS's published CloudWatch alarm example, changed as the test says."""
    return {**fixture("cloudwatch-alarm.json"), "NewStateValue": state, **changes}


@pytest.mark.parametrize("version", ["1", "2"])
async def test_a_signed_alarm_is_forwarded_as_one_notice(version: str) -> None:
    async with intake_stack() as stack:
        envelope = stack.signer.sign(stack.sns_notification(alarm()), version=version)
        response = await stack.post_sns(envelope)
        assert response.status_code == 200, response.text
        (notice,) = stack.forwarder.alarms
    # The example as AWS publishes it: its ARN holds placeholders, so no console link.
    assert notice.key == "cloudwatch:arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE"
    assert notice.delivery_id == "sns:22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
    assert (notice.source, notice.firing, notice.title) == ("cloudwatch", True, "EXAMPLE")
    assert notice.description is not None and notice.description.startswith("Threshold Crossed")
    assert notice.at == datetime(2015, 6, 3, 17, 43, 27, 123000, tzinfo=UTC)
    assert notice.source_url is None and notice.alerts == []


async def test_a_cleared_alarm_links_to_its_console_page() -> None:
    async with intake_stack() as stack:
        ok = alarm("OK", AlarmName="search 5xx", AlarmArn=ARN)
        response = await stack.post_sns(stack.signer.sign(stack.sns_notification(ok), version="2"))
        assert response.status_code == 200, response.text
        (notice,) = stack.forwarder.alarms
    assert (notice.key, notice.firing, notice.title) == (f"cloudwatch:{ARN}", False, "search 5xx")
    assert notice.source_url == (
        "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2"
        "#alarmsV2:alarm/search-5xx"
    )


async def test_a_forged_signature_is_refused_and_nothing_is_forwarded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with intake_stack() as stack:
        envelope = stack.signer.sign(stack.sns_notification(alarm()))
        envelope["Message"] = json.dumps(alarm(AlarmName="something else"))
        caplog.set_level(logging.INFO, logger="incident.intake")
        response = await stack.post_sns(envelope)
        unsigned = {k: v for k, v in envelope.items() if k != "Signature"}
        missing = await stack.post_sns(unsigned)
        assert stack.forwarder.alarms == []
    assert response.status_code == 403
    assert response.text.strip() == "The SNS signature does not match the message."
    assert missing.status_code == 401
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(refusals) == 2, "one line for each refusal"
    assert "403 The SNS signature does not match" in refusals[0]
    assert "401 The SNS message has no Signature." in refusals[1]


async def test_a_topic_not_allowed_is_refused_before_any_certificate_is_fetched() -> None:
    async with intake_stack() as stack:
        envelope = stack.sns_notification(alarm())
        envelope["TopicArn"] = OTHER_TOPIC
        response = await stack.post_sns(stack.signer.sign(envelope))
        assert response.status_code == 403
        assert "INCIDENT_SNS_TOPICS" in response.text
        assert stack.forwarder.alarms == [] and stack.aws.certificate_fetches() == 0


@pytest.mark.parametrize(
    "where",
    [
        "/elsewhere/SimpleNotificationService-0123456789abcdef.pem",
        "/SimpleNotificationService-0123456789abcdef.pem.evil",
    ],
)
async def test_a_certificate_off_the_allowed_pattern_is_never_fetched(where: str) -> None:
    async with intake_stack() as stack:
        envelope = stack.sns_notification(alarm())
        envelope["SigningCertURL"] = stack.aws.url + where
        response = await stack.post_sns(stack.signer.sign(envelope))
        assert response.status_code == 403
        assert "INCIDENT_SNS_CERT_URL" in response.text
        assert stack.aws.hits == {} and stack.forwarder.alarms == []


async def test_a_certificate_that_cannot_be_fetched_is_a_503_and_is_fetched_again_later() -> None:
    async with intake_stack() as stack:
        stack.aws.missing.add(CERT_PATH)
        envelope = stack.signer.sign(stack.sns_notification(alarm()))
        first = await stack.post_sns(envelope)
        assert first.status_code == 503 and "try again" in first.text
        assert stack.forwarder.alarms == []
        stack.aws.missing.clear()  # SNS retries a 5xx; by then AWS answers
        second = await stack.post_sns(envelope)
        assert second.status_code == 200, second.text
        assert len(stack.forwarder.alarms) == 1 and stack.aws.certificate_fetches() == 2


async def test_a_subscription_to_an_allowed_topic_is_confirmed_once() -> None:
    async with intake_stack() as stack:
        confirmation = stack.signer.sign(stack.sns_confirmation())
        response = await stack.post_sns(confirmation)
        assert response.status_code == 200, response.text
        visits = {p: n for p, n in stack.aws.hits.items() if "ConfirmSubscription" in p}
        (visited,) = visits
        assert visits[visited] == 1 and visited.endswith(confirmation["Token"])
        assert stack.forwarder.alarms == []


async def test_a_subscription_to_another_topic_is_refused_and_not_confirmed() -> None:
    async with intake_stack() as stack:
        confirmation = stack.sns_confirmation()
        confirmation["TopicArn"] = OTHER_TOPIC
        response = await stack.post_sns(stack.signer.sign(confirmation))
        assert response.status_code == 403
        assert not any("ConfirmSubscription" in path for path in stack.aws.hits)


async def test_a_subscribe_url_off_the_allowed_pattern_is_not_visited() -> None:
    async with intake_stack() as stack:
        confirmation = stack.sns_confirmation()
        confirmation["SubscribeURL"] = stack.aws.url + "/?Action=Unsubscribe&x=1"
        response = await stack.post_sns(stack.signer.sign(confirmation))
        assert response.status_code == 403 and "SubscribeURL" in response.text
        assert not any("Action" in path for path in stack.aws.hits)


async def test_an_unsubscribe_confirmation_is_noted_and_nothing_is_visited() -> None:
    async with intake_stack() as stack:
        envelope = stack.signer.sign(stack.sns_confirmation("sns-unsubscribe-confirmation.json"))
        response = await stack.post_sns(envelope)
        assert response.status_code == 200
        assert not any("Action" in path for path in stack.aws.hits)
        assert stack.forwarder.alarms == []


async def test_a_replayed_message_keeps_its_delivery_id() -> None:
    """Dedup is the workflow's: the intake forwards both, with the same delivery id."""
    async with intake_stack() as stack:
        envelope = stack.signer.sign(stack.sns_notification(alarm(), message_id="replayed-1"))
        answers = [await stack.post_sns(envelope) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        first, second = stack.forwarder.alarms
    assert first.delivery_id == second.delivery_id == "sns:replayed-1"
    assert first == second


async def test_insufficient_data_is_answered_and_not_forwarded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with intake_stack() as stack:
        envelope = stack.signer.sign(stack.sns_notification(alarm("INSUFFICIENT_DATA")))
        with caplog.at_level(logging.INFO, logger="incident.intake"):
            response = await stack.post_sns(envelope)
        assert response.status_code == 200 and stack.forwarder.alarms == []
    assert any("INSUFFICIENT_DATA" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("message", "sentence"),
    [
        ("Hello world!", "The SNS Message is not a CloudWatch alarm (JSON with an AlarmName)."),
        (json.dumps({"AlarmName": "x", "NewStateValue": "MAYBE"}), "NewStateValue 'MAYBE'"),
    ],
)
async def test_a_signed_message_that_is_not_an_alarm_is_a_400(message: str, sentence: str) -> None:
    async with intake_stack() as stack:
        envelope = stack.sns_notification(alarm())
        envelope["Message"] = message
        response = await stack.post_sns(stack.signer.sign(envelope))
        assert response.status_code == 400 and response.text.startswith(sentence)
        assert stack.forwarder.alarms == []


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b"[]", 400), (b'{"Type": "Notification"}', 400)],
)
async def test_a_body_that_is_not_an_sns_message_is_a_400(body: bytes, status: int) -> None:
    async with intake_stack() as stack:
        response = await stack.post("/alerts/cloudwatch", content=body)
        assert response.status_code == status and response.text.count(".") >= 1
        assert stack.forwarder.alarms == [] and stack.aws.hits == {}
