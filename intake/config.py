"""The alarm intake's settings, read once from :class:`temporal_client.settings.Settings`.

    config = IntakeConfig.from_settings(Settings())   # SettingsError: one sentence naming it

INCIDENT_SNS_TOPICS (topic ARNs, comma-separated), INCIDENT_SNS_CERT_URL (a regular expression
every URL fetched for SNS must match whole), INCIDENT_ALERT_TOKENS (bearer tokens,
comma-separated), INCIDENT_GRAFANA_SECRET (Grafana's HMAC secret) and INCIDENT_HEARTBEATS
(``name=10m,…``). The parsers live here rather than in ``temporal_client/settings.py``, which is
near the 400-line limit every module keeps (``tests/test_code_quality.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr

from temporal_client.settings import Settings, SettingsError
from workflows.clock import parse_duration

TOKEN_MIN = 16  # a shorter shared secret is guessable
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
HEARTBEAT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class IntakeConfig:
    """Who the intake accepts notifications from; secrets as bytes, never in a repr."""

    sns_topics: frozenset[str] = frozenset()
    sns_url: re.Pattern[str] = re.compile(r"(?!)")  # matches nothing
    tokens: tuple[bytes, ...] = field(default=(), repr=False)
    grafana_secret: bytes | None = field(default=None, repr=False)
    heartbeats: dict[str, timedelta] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeConfig:
        return cls(
            sns_topics=parse_topics(settings.incident_sns_topics),
            sns_url=parse_url_pattern(settings.incident_sns_cert_url),
            tokens=parse_tokens(settings.incident_alert_tokens),
            grafana_secret=parse_grafana_secret(settings.incident_grafana_secret),
            heartbeats=parse_heartbeats(settings.incident_heartbeats),
        )

    def accepts_anything(self) -> bool:
        return bool(self.sns_topics or self.tokens or self.grafana_secret)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_topics(text: str) -> frozenset[str]:
    """``arn:aws:sns:eu-west-2:123456789012:alarms,…`` → the topics SNS may deliver from."""
    for topic in _items(text):
        if not _TOPIC_ARN.fullmatch(topic):
            raise SettingsError(
                f"INCIDENT_SNS_TOPICS: {topic!r} is not an SNS topic ARN like "
                "arn:aws:sns:eu-west-2:123456789012:alarms."
            )
    return frozenset(_items(text))


def parse_url_pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as error:
        raise SettingsError(
            f"INCIDENT_SNS_CERT_URL: {text!r} is not a regular expression ({error})."
        ) from None


def _secret_bytes(setting: str, secret: str) -> bytes:
    if len(secret) < TOKEN_MIN:
        raise SettingsError(
            f"{setting}: every secret should be at least {TOKEN_MIN} characters "
            f"(one is {len(secret)})."
        )
    return secret.encode()


def parse_tokens(secret: SecretStr | None) -> tuple[bytes, ...]:
    """INCIDENT_ALERT_TOKENS: the bearer tokens senders may present, comma-separated."""
    if secret is None:
        return ()
    tokens = _items(secret.get_secret_value())
    return tuple(_secret_bytes("INCIDENT_ALERT_TOKENS", token) for token in tokens)


def parse_grafana_secret(secret: SecretStr | None) -> bytes | None:
    if secret is None or not secret.get_secret_value().strip():
        return None
    return _secret_bytes("INCIDENT_GRAFANA_SECRET", secret.get_secret_value().strip())


def parse_heartbeats(text: str) -> dict[str, timedelta]:
    """``uptime=10m,backup=1d`` → how often each monitor promised to say it is alive."""
    heartbeats: dict[str, timedelta] = {}
    for part in _items(text):
        name, _, every = (p.strip() for p in part.partition("="))
        if not HEARTBEAT_NAME.fullmatch(name) or not every:
            raise SettingsError(
                f"INCIDENT_HEARTBEATS: {part!r} should look like uptime=10m "
                "(a name of letters, digits, '.', '_' or '-', then a duration)."
            )
        if name in heartbeats:
            raise SettingsError(f"INCIDENT_HEARTBEATS: {name!r} is named twice.")
        try:
            heartbeats[name] = parse_duration(every)
        except ValueError as error:
            raise SettingsError(f"INCIDENT_HEARTBEATS: {name}: {error}.") from None
    return heartbeats
