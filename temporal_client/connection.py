"""Connecting to Temporal: the one place a client is made, for the CLI, the relay and the worker."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError

from temporal_client.client import CommandError
from temporal_client.codec import data_converter
from temporal_client.settings import Settings, SettingsError


async def connect(
    settings: Settings, *, runtime: Runtime | None = None, lazy: bool = False
) -> Client:
    """Connect as the settings say: local, mTLS (TEMPORAL_TLS_*) or Temporal Cloud API key.

    The one place a client is made, so the CLI, the relay and the worker share one data
    converter: payloads encrypted with INCIDENT_CODEC_KEYS (see temporal_client/codec.py).
    ``lazy``: connect at the first call (a long-running front end starts while Temporal is down).
    """
    try:
        tls = settings.tls()
        converter = data_converter(settings.codec_keys())
    except SettingsError as error:
        raise CommandError(str(error)) from None
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=converter,
                tls=tls,
                api_key=api_key,
                runtime=runtime,
                lazy=lazy,
            ),
            timeout=settings.incident_cli_timeout_seconds,
        )
    except (RuntimeError, TimeoutError, ValueError, RPCError) as error:
        problem = _connect_problem(error, settings.incident_cli_timeout_seconds)
        raise CommandError(
            f"Cannot reach Temporal at {settings.temporal_address} ({problem}): is the server "
            "running (`incident dev` starts one)?"
        ) from None


def _connect_problem(error: Exception, timeout: float) -> str:
    """What went wrong in a few words: the SDK's messages are long and end in Rust debug output."""
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s"
    text = str(error)
    for clue, words in (
        ("Connection refused", "connection refused"),
        ("dns error", "unknown host"),
    ):
        if clue in text:
            return words
    first_line = text.splitlines()[0] if text else type(error).__name__
    return first_line[:120].rstrip(".")
