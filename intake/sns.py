"""Amazon SNS over HTTP(S): reading a message, checking its signature, confirming a subscription.

    sns = SnsGate(config, http)              # http: an httpx.AsyncClient, shared
    message = read_message(body)             # Refused(400/401) unless an SNS message
    await sns.verify(message)                # Refused(403) unless signed by SNS for our topic
    await sns.confirm(message)               # visits SubscribeURL (SubscriptionConfirmation)

The string to sign is AWS's ("Verifying the signatures of Amazon SNS messages"): for a
Notification, ``Message, MessageId, Subject`` (when present) ``, Timestamp, TopicArn, Type``; for
a SubscriptionConfirmation or UnsubscribeConfirmation, ``Message, MessageId, SubscribeURL,
Timestamp, Token, TopicArn, Type``; each as ``name\\nvalue\\n``. SignatureVersion 1 is
SHA1withRSA, 2 is SHA256withRSA (PKCS #1 v1.5), with the public key of the certificate at
``SigningCertURL``.

Only URLs matching INCIDENT_SNS_CERT_URL whole are ever fetched (by default HTTPS on
``sns.<region>.amazonaws.com``), so the certificate is authenticated by TLS to AWS's own host, as
AWS's SDK validators do. A certificate is fetched once per URL and kept. A failure to fetch it is
a 503, not a 403: the URL is AWS's, so the failure says nothing about the message, and SNS retries
a 5xx but drops a message answered 4xx. There is no freshness check on ``Timestamp``: a replayed
message carries its original MessageId, and applying a delivery once is the workflow's job.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Final

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from intake.config import IntakeConfig
from intake.refusals import Refused, forbidden, malformed, shown

log = logging.getLogger("incident.intake")

NOTIFICATION: Final = "Notification"
SUBSCRIPTION_CONFIRMATION: Final = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION: Final = "UnsubscribeConfirmation"
_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS: Final = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: _CONFIRMATION,
    UNSUBSCRIBE_CONFIRMATION: _CONFIRMATION,
}
_HASHES: Final = {"1": hashes.SHA1, "2": hashes.SHA256}
_FETCH_SECONDS = 5.0  # SNS waits about 15 s for an answer
_CERTIFICATE_BYTES_MAX = 64 * 1024


@dataclass(frozen=True)
class SnsMessage:
    """The fields of one SNS message that matter here, all strings."""

    fields: dict[str, str]

    @property
    def type(self) -> str:
        return self.fields["Type"]

    @property
    def message_id(self) -> str:
        return self.fields["MessageId"]

    @property
    def topic(self) -> str:
        return self.fields["TopicArn"]

    def string_to_sign(self) -> bytes:
        names = SIGNED_FIELDS[self.type]
        return "".join(f"{n}\n{self.fields[n]}\n" for n in names if n in self.fields).encode()


def read_message(body: bytes) -> SnsMessage:
    """The SNS message in ``body``; Refused(400) if it is not one, Refused(401) if unsigned."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise malformed("The body is not JSON, so it is not an SNS message.") from None
    if not isinstance(data, dict):
        raise malformed("The body is not a JSON object, so it is not an SNS message.")
    kind = data.get("Type")
    if not isinstance(kind, str) or kind not in SIGNED_FIELDS:
        raise malformed(f"Type {shown(kind)} is not an SNS message type this intake reads.")
    needed = [n for n in SIGNED_FIELDS[kind] if n != "Subject"]
    needed += ["SignatureVersion", "SigningCertURL"]
    missing = [n for n in needed if not isinstance(data.get(n), str)]
    if missing:
        raise malformed(f"The SNS message is missing {', '.join(missing)}.")
    if not isinstance(data.get("Signature"), str) or not data["Signature"]:
        raise Refused(401, "The SNS message has no Signature.")
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    return SnsMessage(fields)


class SnsGate:
    """Checks SNS messages against the allowed topics and URLs; keeps certificates by URL."""

    def __init__(self, config: IntakeConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetching = asyncio.Lock()  # one fetch at a time: a burst waits for the first

    def _allowed_url(self, url: str, what: str) -> None:
        if not self._config.sns_url.fullmatch(url):
            raise forbidden(f"The {what} is not at an address INCIDENT_SNS_CERT_URL allows.")

    async def verify(self, message: SnsMessage) -> None:
        """Refused(403) unless the topic is allowed and SNS signed the message; Refused(503) when
        the certificate cannot be fetched now."""
        if message.topic not in self._config.sns_topics:
            raise forbidden("The SNS topic is not one INCIDENT_SNS_TOPICS allows.")
        version = message.fields["SignatureVersion"]
        if version not in _HASHES:
            raise forbidden(f"SignatureVersion {shown(version)} is not 1 or 2.")
        url = message.fields["SigningCertURL"]
        self._allowed_url(url, "signing certificate")
        key = await self._key(url)
        try:
            signature = base64.b64decode(message.fields["Signature"], validate=True)
            key.verify(signature, message.string_to_sign(), padding.PKCS1v15(), _HASHES[version]())
        except (InvalidSignature, binascii.Error):
            raise forbidden("The SNS signature does not match the message.") from None

    async def confirm(self, message: SnsMessage) -> None:
        """Visit a verified SubscriptionConfirmation's SubscribeURL; Refused(503) if it fails."""
        url = message.fields["SubscribeURL"]
        self._allowed_url(url, "SubscribeURL")
        try:
            answer = await self._http.get(url, timeout=_FETCH_SECONDS, follow_redirects=False)
            answer.raise_for_status()
        except httpx.HTTPError as error:
            raise Refused(
                503,
                "The subscription could not be confirmed; try again.",
                detail=f"visiting SubscribeURL failed: {_failure(error)}",
            ) from None

    async def _key(self, url: str) -> rsa.RSAPublicKey:
        if url in self._keys:
            return self._keys[url]
        async with self._fetching:
            if url not in self._keys:
                self._keys[url] = await self._fetch_key(url)
        return self._keys[url]

    async def _fetch_key(self, url: str) -> rsa.RSAPublicKey:
        try:
            answer = await self._http.get(url, timeout=_FETCH_SECONDS, follow_redirects=False)
            answer.raise_for_status()
            if len(answer.content) > _CERTIFICATE_BYTES_MAX:
                raise ValueError("larger than a certificate")
            key = x509.load_pem_x509_certificate(answer.content).public_key()
        except (httpx.HTTPError, ValueError) as error:
            raise Refused(
                503,
                "The SNS signing certificate could not be fetched; try again.",
                detail=f"fetching {url} failed: {_failure(error)}",
            ) from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise forbidden("The SNS signing certificate does not hold an RSA key.")
        log.info("fetched the SNS signing certificate %s", url)
        return key


def _failure(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
