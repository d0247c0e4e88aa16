"""Payload encryption: AES-GCM over every Temporal payload, keys from INCIDENT_CODEC_KEYS.

    INCIDENT_CODEC_KEYS=k2026b:<base64 of 32 random bytes>,k2026a:<older key>

The first key encrypts; every listed key decrypts, so keys rotate by putting a new one first and
dropping an old one only once no open incident's history still uses it. Each encrypted payload
says which key sealed it (metadata ``encryption-key-id``) next to ``encoding: binary/encrypted``.
With no key set, payloads are written as plain JSON (as before) and encrypted ones cannot be read.

    converter = data_converter(settings.codec_keys())   # made in connect(): CLI, relay, worker
    codec = EncryptionCodec(settings.codec_keys())      # alone: the codec server
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

if TYPE_CHECKING:  # cryptography is imported only when a key is set: every CLI command loads this
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12
_KEY_ID_FORM = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CodecError(ValueError):
    """A payload that cannot be sealed or opened, or a key setting that cannot be read."""


@dataclass(frozen=True)
class CodecKey:
    id: str
    secret: bytes = field(repr=False)


def parse_keys(text: str) -> list[CodecKey]:
    """``kid1:base64key,kid2:base64key`` → the keys, the encrypting one first."""
    keys: list[CodecKey] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        key_id, colon, encoded = part.partition(":")
        key_id = key_id.strip()
        if not colon or not _KEY_ID_FORM.match(key_id):
            raise CodecError(
                "INCIDENT_CODEC_KEYS: each key should look like ID:BASE64 (ID of letters, "
                "digits, dots, dashes or underscores)."
            )
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise CodecError(f"INCIDENT_CODEC_KEYS: key {key_id} is not valid base64.") from None
        if len(secret) != KEY_BYTES:
            raise CodecError(
                f"INCIDENT_CODEC_KEYS: key {key_id} is {len(secret)} bytes; AES-256 needs "
                f"{KEY_BYTES} (`openssl rand -base64 32` makes one)."
            )
        if any(key.id == key_id for key in keys):
            raise CodecError(f"INCIDENT_CODEC_KEYS: key id {key_id} appears twice.")
        keys.append(CodecKey(key_id, secret))
    return keys


class EncryptionCodec(PayloadCodec):
    """Seals each payload with the first key; opens payloads sealed with any of the keys.

    Payloads that are not ``binary/encrypted`` pass through on decode (histories from before a key
    was set stay readable); with no keys, encode passes everything through too.
    """

    def __init__(self, keys: Sequence[CodecKey]) -> None:
        super().__init__()
        self._keys: dict[str, AESGCM] = {}
        if keys:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._keys = {key.id: AESGCM(key.secret) for key in keys}
        self._sealing_id = keys[0].id if keys else None

    @property
    def encrypts(self) -> bool:
        return self._sealing_id is not None

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        if self._sealing_id is None:
            return list(payloads)
        cipher = self._keys[self._sealing_id]
        sealed = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), None)
            metadata = {"encoding": ENCODING, KEY_ID: self._sealing_id.encode()}
            sealed.append(Payload(metadata=metadata, data=data))
        return sealed

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise CodecError(
                f"This incident's data is encrypted with key {key_id or '(none named)'}, which "
                "INCIDENT_CODEC_KEYS does not hold."
            )
        from cryptography.exceptions import InvalidTag

        try:
            plain = cipher.decrypt(payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:], None)
        except InvalidTag:
            raise CodecError(
                f"A payload sealed with key {key_id} does not open with that key: the key in "
                "INCIDENT_CODEC_KEYS is not the one that sealed it, or the data was altered."
            ) from None
        return Payload.FromString(plain)


def data_converter(keys: Sequence[CodecKey]) -> DataConverter:
    """Pydantic JSON payloads, sealed by :class:`EncryptionCodec`.

    With a key, failure messages and stack traces move into the (encrypted) payloads too.
    """
    codec = EncryptionCodec(keys)
    failures = DefaultFailureConverterWithEncodedAttributes if keys else DefaultFailureConverter
    return dataclasses.replace(
        pydantic_data_converter, payload_codec=codec, failure_converter_class=failures
    )
