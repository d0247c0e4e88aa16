"""A Temporal dev server of the bench's own: in memory, on free ports, its log in a file."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.harness import BIN
from workflows.search_attributes import ALL_KEYS

STARTUP_SECONDS = 60
BIND_ATTEMPTS = 3
CONNECT_SECONDS = 5
# The frontend answers before the server's other services bind their ports; one that cannot
# bind stops the whole server a moment later, after a client may have connected.
SETTLED_SECONDS = 0.5
# Ports are picked below the system's ephemeral range (Linux: 32768-60999). The dev server
# picks its internal services' ports by binding port 0, which only ever lands in that range:
# a port of ours picked there could be handed to one of its services before the frontend
# binds it (seen in CI: the server panicked after the bench's client had connected).
PORTS = range(20_000, 32_768)


def free_port() -> int:
    """A port that nothing on 127.0.0.1 listens on, outside the ephemeral range."""
    for _ in range(100):
        port = random.choice(PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {PORTS.start} and {PORTS.stop - 1}")


class DevServer:
    """``temporal server start-dev --headless`` with the incident search attributes registered."""

    def __init__(self) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkdtemp(prefix="incident-bench-")) / "temporal.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.client: Client | None = None

    def command(self) -> list[str]:
        command = [
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--log-level",
            "warn",
            "--dynamic-config-value",
            "frontend.enableUpdateWorkflowExecution=true",
        ]
        for key in ALL_KEYS:
            command += ["--search-attribute", f"{key.name}={key.indexed_value_type.name.title()}"]
        return command

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> Client:
        for attempt in range(1, BIND_ATTEMPTS + 1):
            with self.log.open("wb") as log:
                self._process = subprocess.Popen(
                    self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            self.client = await self._connect()
            if self.client is not None:
                await asyncio.sleep(SETTLED_SECONDS)
                if self._process.poll() is None:
                    return self.client
            # A port found free can be taken before the server binds it (by another process,
            # or by one of the server's own services, whose ports the system picks): start
            # again on new ports.
            lost_a_port = "address already in use" in self.log.read_text(errors="replace")
            if self._process.poll() is None or not lost_a_port or attempt == BIND_ATTEMPTS:
                break
            self.port = free_port()
        await self.__aexit__()
        raise RuntimeError(f"the Temporal dev server did not start; see {self.log}")

    async def _connect(self) -> Client | None:
        """A client of the server being started, or None if it stopped or never answered."""
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while self._process.poll() is None and time.monotonic() < deadline:
            try:
                # Bounded: whatever else holds the port may accept and never answer.
                return await asyncio.wait_for(
                    Client.connect(self.address, data_converter=pydantic_data_converter),
                    timeout=CONNECT_SECONDS,
                )
            except (RuntimeError, TimeoutError):
                await asyncio.sleep(0.2)
        return None

    async def __aexit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def version(self) -> str:
        out = subprocess.run([str(BIN / "temporal"), "--version"], capture_output=True, text=True)
        return out.stdout.strip()
