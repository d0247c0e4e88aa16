"""The `incident` commands that run the service: worker, relay, intake, codec-server, dev,
upgrade-check (``frontends/cli_upgrade_check.py``).

A group merged into ``starter.app``; they run on a server or a laptop, never from Slack.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from frontends.cli import SERVICE, command_group
from frontends.cli_upgrade_check import upgrade_check

commands = command_group(SERVICE)

LogFormatOption = Annotated[
    str, typer.Option("--log-format", help="text, or json (one object a line, with incident_id).")
]


def _log_format(text: str) -> bool:
    """Configure logging; True for JSON."""
    from operations.logs import configure_logging
    from temporal_client.client import CommandError

    if text not in ("text", "json"):
        raise CommandError(f"{text!r} is not a log format: use text or json.")
    configure_logging("json" if text == "json" else "text")
    return text == "json"


@commands.command()
def worker(log_format: LogFormatOption = "text") -> None:
    """Run the worker: every incident's workflow, reminders and deliveries."""
    from frontends.commands import load_settings
    from worker import run_worker

    json_logs = _log_format(log_format)
    asyncio.run(run_worker(load_settings(), json_logs=json_logs))


@commands.command()
def relay(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="HTTP port for Slack requests.")] = 3000,
    host: Annotated[str, typer.Option(help="Address to listen on (HTTP mode).")] = "0.0.0.0",
    log_format: LogFormatOption = "text",
) -> None:
    """Run the Slack relay: /incident and the buttons (Socket Mode with SLACK_APP_TOKEN)."""
    from frontends.commands import load_settings
    from frontends.relay import run_relay

    _log_format(log_format)
    grammar = ctx.find_root().command  # the whole `incident` command: Slack's words use it
    asyncio.run(run_relay(load_settings(), grammar, host=host, port=port))


@commands.command()
def intake(
    port: Annotated[int, typer.Option(help="HTTP port for monitoring alarms.")] = 3100,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    log_format: LogFormatOption = "text",
) -> None:
    """Run the alarm intake: CloudWatch (SNS), Alertmanager, Grafana, generic alarms, heartbeats.

    Each alarm goes to its own workflow, which opens a report (or tells the open one); a sender
    is answered 2xx only once the alarm is in Temporal, 503 while it cannot be."""
    from frontends.commands import load_settings
    from intake.config import IntakeConfig
    from intake.server import serve_intake
    from intake.temporal_forwarder import TemporalForwarder
    from temporal_client.client import CommandError
    from temporal_client.connection import connect
    from temporal_client.settings import SettingsError

    try:
        config = IntakeConfig.from_settings(load_settings(policy=False))
    except SettingsError as error:
        raise CommandError(str(error)) from None
    if not config.accepts_anything():
        raise CommandError(
            "The intake would accept nothing: set INCIDENT_SNS_TOPICS, INCIDENT_ALERT_TOKENS "
            "or INCIDENT_GRAFANA_SECRET."
        )
    _log_format(log_format)
    settings = load_settings(policy=False)

    async def main() -> None:
        client = await connect(settings, lazy=True)  # serves (503) while Temporal is down
        forwarder = TemporalForwarder(client, task_queue=settings.temporal_task_queue)
        await serve_intake(config, forwarder, host=host, port=port)

    try:
        asyncio.run(main())
    except OSError as error:
        raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None


@commands.command(name="codec-server")
def codec_server(
    port: Annotated[int, typer.Option(help="HTTP port for the Web UI's codec calls.")] = 8081,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Decrypt payloads for the Temporal Web UI (its codec endpoint); needs INCIDENT_CODEC_KEYS."""
    from frontends.commands import load_settings
    from operations.codec_server import serve_codec
    from operations.logs import configure_logging
    from temporal_client.client import CommandError
    from temporal_client.codec import EncryptionCodec

    settings = load_settings()
    keys = settings.codec_keys()
    if not keys:
        raise CommandError("INCIDENT_CODEC_KEYS is not set, so there is nothing to decrypt with.")
    configure_logging("text")

    async def main() -> None:
        import signal

        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        codec = EncryptionCodec(keys)
        origins = settings.codec_cors_origins()
        await serve_codec(codec, host=host, port=port, origins=origins, stop=stop)

    try:
        asyncio.run(main())
    except OSError as error:
        raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None


@commands.command()
def dev(
    ui_port: Annotated[int, typer.Option(help="Port of the Temporal Web UI.")] = 8233,
    log_format: LogFormatOption = "text",
) -> None:
    """Run a whole local stack: Temporal dev server (SQLite, Web UI) and the worker."""
    from frontends.commands import load_settings
    from operations.dev import run_dev

    json_logs = _log_format(log_format)
    asyncio.run(run_dev(load_settings(), ui_port=ui_port, json_logs=json_logs))


commands.command(name="upgrade-check")(upgrade_check)
