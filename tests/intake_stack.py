"""What the intake tests share: the real intake server in-process on a free port, an in-memory
forwarder, a local stand-in for AWS (the SNS signing certificate and SubscribeURL) and an SNS
signer with its own RSA key and self-signed certificate.

    async with intake_stack() as stack:
        response = await stack.post("/alerts/generic", json={...}, token=TOKEN)
        assert stack.forwarder.alarms[0].key == "generic:…"

The signer builds AWS's string to sign itself, from AWS's documentation, rather than with the
intake's own code, so a mistake there cannot hide from the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from intake.alarms import AlarmForwarder, IntakeUnavailable
from intake.config import IntakeConfig
from intake.server import Intake, start_intake
from temporal_client.settings import Settings
from tests.support import free_port
from workflows.model.alarms import AlarmNotice, HeartbeatNotice

FIXTURES = Path(__file__).parent / "fixtures" / "alarms"
TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"  # the topic of AWS's examples
OTHER_TOPIC = "arn:aws:sns:us-west-2:123456789012:SomeoneElses"
TOKEN = "alertmanager-token-0123456789abcdef"
SECOND_TOKEN = "generic-sender-token-fedcba9876543210"
GRAFANA_SECRET = "grafana-hmac-secret-0123456789"
CERT_PATH = "/SimpleNotificationService-0123456789abcdef.pem"
SECRETS = (TOKEN, SECOND_TOKEN, GRAFANA_SECRET)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


class MemoryForwarder:
    """Keeps what it is handed; ``unavailable`` makes it refuse like a Temporal outage."""

    def __init__(self) -> None:
        self.alarms: list[AlarmNotice] = []
        self.heartbeats: list[HeartbeatNotice] = []
        self.unavailable: str | None = None

    async def alarm(self, notice: AlarmNotice) -> None:
        if self.unavailable is not None:
            raise IntakeUnavailable(self.unavailable)
        self.alarms.append(notice)

    async def heartbeat(self, notice: HeartbeatNotice) -> None:
        if self.unavailable is not None:
            raise IntakeUnavailable(self.unavailable)
        self.heartbeats.append(notice)


class SnsSigner:
    """Signs SNS messages as SNS does, with a key whose self-signed certificate it can show."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        """``message`` with SignatureVersion and Signature set (AWS: "Verifying the signatures of
        Amazon SNS messages", the string to sign for its Type)."""
        if message["Type"] == "Notification":
            names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"]
            names.append("Type")
        text = "".join(f"{n}\n{message[n]}\n" for n in names if n in message)
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), digest)
        return {
            **message,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
        }


@dataclass
class LocalAws:
    """Serves the signing certificate and answers SubscribeURL on 127.0.0.1; counts every GET."""

    pem: bytes
    port: int = field(default_factory=free_port)
    hits: Counter[str] = field(default_factory=Counter)
    missing: set[str] = field(default_factory=set)  # paths answered 404, as if AWS had none
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def allowed(self) -> str:
        """INCIDENT_SNS_CERT_URL for this server: the default's shape on a local http address."""
        return (
            rf"^http://127\.0\.0\.1:{self.port}/(SimpleNotificationService-[0-9a-f]+\.pem"
            r"|\?Action=ConfirmSubscription&.+)$"
        )

    async def start(self) -> None:
        async def get(request: web.Request) -> web.Response:
            self.hits[request.path_qs] += 1
            if request.path in self.missing:
                return web.Response(status=404)
            if request.path.endswith(".pem"):
                return web.Response(body=self.pem)
            return web.Response(text="<ConfirmSubscriptionResponse/>")

        app = web.Application()
        app.router.add_get("/{tail:.*}", get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def certificate_fetches(self) -> int:
        return sum(n for path, n in self.hits.items() if path.endswith(".pem"))


@dataclass
class IntakeStack:
    url: str
    http: httpx.AsyncClient
    forwarder: MemoryForwarder
    aws: LocalAws
    signer: SnsSigner

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        content: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return await self.http.post(f"{self.url}{path}", json=json, content=content, headers=sent)

    def sns_notification(
        self, alarm: dict[str, Any], *, message_id: str = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
    ) -> dict[str, Any]:
        """AWS's example notification carrying ``alarm``, its certificate on the local server."""
        envelope = fixture("sns-notification.json")
        envelope.pop("Signature")
        envelope.update(
            Message=json.dumps(alarm), MessageId=message_id, SigningCertURL=self.aws.url + CERT_PATH
        )
        return envelope

    def sns_confirmation(self, name: str = "sns-subscription-confirmation.json") -> dict[str, Any]:
        envelope = fixture(name)
        envelope.pop("Signature")
        query = envelope["SubscribeURL"].split("/", 3)[3]  # ?Action=ConfirmSubscription&…
        envelope.update(
            SubscribeURL=f"{self.aws.url}/{query}", SigningCertURL=self.aws.url + CERT_PATH
        )
        return envelope

    async def post_sns(self, envelope: dict[str, Any]) -> httpx.Response:
        # SNS sends text/plain, whatever the body holds.
        body = json.dumps(envelope).encode()
        return await self.post(
            "/alerts/cloudwatch",
            content=body,
            headers={"Content-Type": "text/plain; charset=UTF-8"},
        )


def grafana_signature(
    body: bytes, *, secret: str = GRAFANA_SECRET, stamp: str | None = None
) -> str:
    """What Grafana's HMACRoundTripper sends: hex HMAC-SHA256 of the body, or of stamp:body."""
    signed = body if stamp is None else f"{stamp}:".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def intake_settings(aws: LocalAws, **changes: Any) -> Settings:
    fields: dict[str, Any] = {
        "incident_sns_topics": TOPIC,
        "incident_sns_cert_url": aws.allowed,
        "incident_alert_tokens": SecretStr(f"{TOKEN}, {SECOND_TOKEN}"),
        "incident_grafana_secret": SecretStr(GRAFANA_SECRET),
        "incident_heartbeats": "uptime-robot=10m,nightly-backup=1d",
        **changes,
    }
    return Settings(_env_file=None, **fields)


@asynccontextmanager
async def intake_stack(**changes: Any) -> AsyncIterator[IntakeStack]:
    """The intake on a free port with the settings above (``changes`` override them)."""
    signer = SnsSigner()
    aws = LocalAws(signer.pem)
    await aws.start()
    forwarder = MemoryForwarder()
    typed: AlarmForwarder = forwarder
    config = IntakeConfig.from_settings(intake_settings(aws, **changes))
    port = free_port()
    async with (
        httpx.AsyncClient(trust_env=False) as outbound,
        httpx.AsyncClient(trust_env=False, timeout=30) as http,
    ):
        runner = await start_intake(Intake(config, typed, outbound), host="127.0.0.1", port=port)
        try:
            yield IntakeStack(f"http://127.0.0.1:{port}", http, forwarder, aws, signer)
        finally:
            await runner.cleanup()
            await aws.stop()
