"""What every figure needs: statistics and timing, the worker process, its memory, the incidents'
inputs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from workflows.model import IncidentStart, Policy, Severity

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DM, LEAD = "U0BENCHDM", "U0BENCHLEAD"
UPDATE_TEXT = "Restarted the search pods; error rate is falling, still watching the dashboards"

Event = dict[str, Any]

# The incident worker's workflow runner: "shipped" (worker.build_worker), or a what-if (--runner,
# see bench.worker.what_if_worker).
RUNNERS = ["shipped", "passthrough", "sandboxed", "local-deliveries"]
RUNNER = ["shipped"]
# When set (--profile DIR), every worker process runs under `py-spy record` writing there.
PROFILE_DIR: list[Path] = []


# --- Statistics -----------------------------------------------------------------------------------


def percentile(samples: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks."""
    ordered = sorted(samples)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples: list[float], *, unit: str) -> dict[str, Any]:
    """Median, p99 and spread of ``samples``, rounded for reading."""
    if not samples:
        return {"n": 0, "unit": unit}
    return {
        "n": len(samples),
        "unit": unit,
        "median": _round(percentile(samples, 50)),
        "p99": _round(percentile(samples, 99)),
        "min": _round(min(samples)),
        "max": _round(max(samples)),
    }


def ratio(numerator: float, denominator: float) -> float:
    return _round(numerator / denominator) if denominator else math.nan


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def quartiles(samples: list[float]) -> list[float]:
    """Median lateness of the first, second, third and last quarter of the reminders by due time:
    growing from one quarter to the next means the worker fell behind."""
    size = max(1, len(samples) // 4)
    return [round(percentile(samples[i : i + size], 50), 3) for i in range(0, size * 4, size)]


def millis(samples: list[float]) -> list[float]:
    return [s * 1000 for s in samples]


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return time.perf_counter() - began


# --- Incidents ------------------------------------------------------------------------------------


def policy(**changes: Any) -> Policy:
    """The default process settings, one delivery manager, and ``changes``."""
    return Policy(delivery_managers=[DM]).model_copy(update=changes)


def declaration(
    incident_id: str,
    *,
    severity: Severity = Severity.SEV1,
    policy_from_the_worker: bool = False,
    **policy_changes: Any,
) -> IncidentStart:
    """A sev1 incident declared by the delivery manager: active at once, one pending timer (the
    stale-progress reminder), a channel and an announcement to deliver. With
    ``policy_from_the_worker`` it starts as every front end starts one, with no policy: the
    worker's (``--delivery-managers``) is read when it opens, a local activity more."""
    return IncidentStart(
        id=incident_id,
        title=f"Bench {incident_id}",
        actor=DM,
        lead=LEAD,
        severity=severity,
        declare=True,
        policy=None if policy_from_the_worker else policy(**policy_changes),
    )


def sev1_every(interval: timedelta) -> dict[Severity, timedelta]:
    return {
        Severity.SEV1: interval,
        Severity.SEV2: timedelta(hours=1),
        Severity.SEV3: timedelta(hours=4),
    }


def utc_from_epoch(seconds: float) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(seconds, tz=UTC)


# --- The worker process ---------------------------------------------------------------------------


class WorkerProcess:
    """``python -m bench.worker`` as a child process; its JSON lines collected as events."""

    def __init__(
        self,
        address: str,
        *,
        incident_queue: str | None = None,
        bare_queue: str | None = None,
        extra: list[str] | None = None,
    ) -> None:
        self._args = ["--address", address, "--runner", RUNNER[0], *(extra or [])]
        if incident_queue:
            self._args += ["--incident-queue", incident_queue]
        if bare_queue:
            self._args += ["--bare-queue", bare_queue]
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self.events: list[Event] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.pid = 0

    async def __aenter__(self) -> WorkerProcess:
        command = [sys.executable, "-m", "bench.worker", *self._args]
        if PROFILE_DIR:
            PROFILE_DIR[0].mkdir(parents=True, exist_ok=True)
            out = PROFILE_DIR[0] / f"worker-{time.strftime('%H%M%S')}-{os.getpid()}.txt"
            command = [str(BIN / "py-spy"), "record", "--format", "raw", "-o", str(out), "--"]
            command += [sys.executable, "-m", "bench.worker", *self._args]
        self._process = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**20,
        )
        self._reader = asyncio.create_task(self._read())
        await self.wait_for(lambda: self.pid != 0, timeout=60, what="the worker to start")
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            # py-spy writes its profile on SIGINT (and passes it on); the worker stops on either.
            process.send_signal(signal.SIGINT if PROFILE_DIR else signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self._process and self._process.stdout
        async for line in self._process.stdout:
            if not line.startswith(b"{"):
                continue
            event: Event = json.loads(line)
            kind = event["event"]
            if kind == "ready":
                self.pid = int(event["pid"])
                continue
            self.events.append(event)
            self.counts[(kind, str(event.get("kind", "")))] += 1

    def count(self, event: str, kind: str = "") -> int:
        return self.counts[(event, kind)]

    async def wait_for(
        self, condition: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.05
    ) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self._process and self._process.returncode is not None:
                raise RuntimeError(f"the bench worker exited ({self._process.returncode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:g} s for {what}")
            await asyncio.sleep(poll)

    async def settle(self, *, quiet: float = 1.5, timeout: float = 600) -> None:
        """Wait until nothing has reached the messenger for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            if len(self.events) == seen:
                return
            seen = len(self.events)
            await asyncio.sleep(quiet)
        raise TimeoutError(f"the worker was still busy after {timeout:g} s")

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc, else ps)."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True)
    return int(out.stdout.strip()) * 1024


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process so far (this one when ``pid`` is None; Linux /proc)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class CpuMeter:
    """CPU seconds spent by the client (this process), the worker and the server over a span."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = pids
        self._start = self._now()

    def _now(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self._pids.items()}

    def spent(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self._start[name] for name in now}


async def run_process(command: list[str], env: dict[str, str], *, cwd: str | Path = ROOT) -> float:
    """Run a command to completion; return its wall time in seconds (raises if it fails)."""
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    elapsed = time.perf_counter() - began
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {(err or out).decode()[-500:]}")
    return elapsed


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the incident settings (a stray .env or shell export)."""
    prefixes = ("TEMPORAL_", "INCIDENT_", "SLACK_", "STATUSPAGE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env
