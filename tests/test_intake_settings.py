"""The intake's settings, each refused in one sentence naming it, the default SNS address rule,
and `incident intake` itself: refused when it would accept nothing, and serving when told to
(with its placeholder forwarder, every alarm is a 503 until the Temporal one is wired).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import httpx
import pytest
from pydantic import SecretStr

import starter
from intake.config import IntakeConfig
from temporal_client.settings import Settings, SettingsError
from tests.intake_stack import TOKEN, fixture
from tests.support import clean_env, free_port, get_when_ready, seconds

STARTER = Path(__file__).resolve().parent.parent / "starter.py"


def config(**fields: object) -> IntakeConfig:
    return IntakeConfig.from_settings(Settings(_env_file=None, **fields))  # type: ignore[arg-type]


def test_the_settings_are_read_into_the_intakes_config() -> None:
    read = config(
        incident_sns_topics="arn:aws:sns:eu-west-2:123456789012:alarms, arn:aws-cn:sns:cn-north-1:123456789012:a.fifo",
        incident_alert_tokens=SecretStr(f"{TOKEN},  {TOKEN}-2 ,"),
        incident_grafana_secret=SecretStr("  grafana-secret-0123456789 "),
        incident_heartbeats="uptime-robot=10m, nightly.backup=1d",
    )
    assert read.sns_topics == {
        "arn:aws:sns:eu-west-2:123456789012:alarms",
        "arn:aws-cn:sns:cn-north-1:123456789012:a.fifo",
    }
    assert read.tokens == (TOKEN.encode(), f"{TOKEN}-2".encode())
    assert read.grafana_secret == b"grafana-secret-0123456789"
    assert read.heartbeats == {
        "uptime-robot": timedelta(minutes=10),
        "nightly.backup": timedelta(days=1),
    }
    assert TOKEN not in repr(read) and "grafana-secret" not in repr(read)
    assert read.accepts_anything() and not config().accepts_anything()


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        (
            {"incident_heartbeats": "uptime=10x"},
            "INCIDENT_HEARTBEATS: uptime: '10x' is not a duration like 30m, 1h30m or 2d.",
        ),
        (
            {"incident_heartbeats": "=10m"},
            "INCIDENT_HEARTBEATS: '=10m' should look like uptime=10m (a name of letters, digits, '.', '_' or '-', then a duration).",
        ),
        ({"incident_heartbeats": "a=1m,a=2m"}, "INCIDENT_HEARTBEATS: 'a' is named twice."),
        (
            {"incident_sns_topics": "alarms"},
            "INCIDENT_SNS_TOPICS: 'alarms' is not an SNS topic ARN like arn:aws:sns:eu-west-2:123456789012:alarms.",
        ),
        (
            {"incident_sns_cert_url": "^https://(sns"},
            "INCIDENT_SNS_CERT_URL: '^https://(sns' is not a regular expression (missing ), unterminated subpattern at position 9).",
        ),
        (
            {"incident_alert_tokens": SecretStr(f"{TOKEN},short")},
            "INCIDENT_ALERT_TOKENS: every secret should be at least 16 characters (one is 5).",
        ),
        (
            {"incident_grafana_secret": SecretStr("hunter2")},
            "INCIDENT_GRAFANA_SECRET: every secret should be at least 16 characters (one is 7).",
        ),
    ],
)
def test_a_bad_setting_is_one_sentence_naming_it(fields: dict[str, object], sentence: str) -> None:
    with pytest.raises(SettingsError) as refused:
        config(**fields)
    assert str(refused.value) == sentence
    assert "short" not in str(refused.value) and "hunter2" not in str(refused.value)


def test_the_default_address_rule_allows_aws_own_sns_urls_only() -> None:
    rule = config().sns_url
    notification = fixture("sns-notification.json")
    confirmation = fixture("sns-subscription-confirmation.json")
    allowed = [
        notification["SigningCertURL"],
        confirmation["SubscribeURL"],
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-0123abcd.pem",
    ]
    refused = [
        notification["SigningCertURL"].replace("https://", "http://"),
        "https://sns.us-west-2.amazonaws.com.evil.example/SimpleNotificationService-0123.pem",
        "https://evil.example/sns.us-west-2.amazonaws.com/SimpleNotificationService-0123.pem",
        "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-0123.pem?x=1",
        "https://sns.us-west-2.amazonaws.com@evil.example/SimpleNotificationService-0123.pem",
        notification["UnsubscribeURL"],  # never visited on SNS's behalf
        "https://s3.amazonaws.com/SimpleNotificationService-0123.pem",
    ]
    assert all(rule.fullmatch(url) for url in allowed)
    assert not any(rule.fullmatch(url) for url in refused)


def _run(args: list[str], tmp_path: Path, **env: str) -> tuple[int, str]:
    err = io.StringIO()
    with (
        mock.patch.dict(os.environ, clean_env(**env), clear=True),
        contextlib.chdir(tmp_path),  # no .env
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = starter.run(args)
    return code, err.getvalue()


def test_incident_intake_refuses_to_accept_nothing_or_a_bad_setting(tmp_path: Path) -> None:
    code, err = _run(["intake"], tmp_path)
    assert code == 1
    assert err.strip() == (
        "The intake would accept nothing: set INCIDENT_SNS_TOPICS, INCIDENT_ALERT_TOKENS or "
        "INCIDENT_GRAFANA_SECRET."
    )
    code, err = _run(["intake"], tmp_path, INCIDENT_ALERT_TOKENS=TOKEN, INCIDENT_HEARTBEATS="x=1")
    assert code == 1 and err.strip().startswith("INCIDENT_HEARTBEATS: x: '1' is not a duration")


def test_incident_intake_serves_while_temporal_is_down_and_answers_503(tmp_path: Path) -> None:
    """Started before Temporal (nothing listens at its address): it serves, and each alarm is a
    503, so the sender keeps it and retries."""
    port = free_port()
    nowhere = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [sys.executable, str(STARTER), "intake", "--port", str(port)],
        env=clean_env(
            INCIDENT_ALERT_TOKENS=TOKEN, INCIDENT_HEARTBEATS="uptime=10m", TEMPORAL_ADDRESS=nowhere
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        get_when_ready(f"{url}/healthz", lambda r: r.text == "ok", seconds=seconds(20))
        answer = httpx.post(
            f"{url}/alerts/generic",
            json={"title": "Disk full", "status": "firing", "deduplication_key": "disk"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            trust_env=False,
        )
        assert (answer.status_code, answer.text.strip()) == (
            503,
            "The alarm could not be handed to Temporal; try again.",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=seconds(20))
    assert process.returncode == 0, err
    assert "Temporal did not answer: Failed client connect" in err and TOKEN not in err
    assert "intake stopped" in err
