"""Operating the worker: Prometheus metrics, JSON logs, graceful stop, workers side by side."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from temporal_client.settings import Settings, SettingsError
from tests.support import clean_env, free_port, seconds

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "starter.py"
DM, LEAD = "U0DM1", "U0LEAD"


class Stack:
    def __init__(self, dev_env: WorkflowEnvironment, tmp: Path) -> None:
        self.queue = f"ops-{uuid.uuid4()}"
        self.tmp = tmp
        self.env = clean_env(
            TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
            TEMPORAL_TASK_QUEUE=self.queue,
            INCIDENT_DELIVERY_MANAGERS=DM,
        )
        self.workers: list[subprocess.Popen[str]] = []

    def start_worker(self, *args: str, **settings: str) -> subprocess.Popen[str]:
        n = len(self.workers)
        process = subprocess.Popen(
            [sys.executable, str(STARTER), "worker", *args],
            env={**self.env, **settings},
            cwd=self.tmp,
            stdout=(self.tmp / f"worker{n}.out").open("w"),
            stderr=(self.tmp / f"worker{n}.err").open("w"),
            text=True,
        )
        self.workers.append(process)
        return process

    def output(self, n: int) -> tuple[str, str]:
        return (self.tmp / f"worker{n}.out").read_text(), (self.tmp / f"worker{n}.err").read_text()

    def cli(self, *args: str, as_user: str = DM) -> str:
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run(
                [sys.executable, str(STARTER), "--as", as_user, *args],
                env=self.env,
                cwd=self.tmp,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if done.returncode == 0:
                return done.stdout
            # A worker that just started may not be polling yet.
            assert "No worker is polling" in done.stderr and time.monotonic() < deadline, (
                done.stderr
            )
            time.sleep(0.3)

    def show(self, incident_id: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.cli("--json", "show", incident_id))
        return result

    def stop_all(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def stack(dev_env: WorkflowEnvironment, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(dev_env, tmp_path)
    yield running
    running.stop_all()


def scrape(port: int, *needles: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            text = ""
        if all(needle in text for needle in needles):
            return text
        found = [line for line in text.splitlines() if "incident" in line or "completed" in line]
        assert time.monotonic() < deadline, f"missing {needles} in:\n" + "\n".join(found[:40])
        time.sleep(0.3)


@pytest.mark.e2e
def test_metrics_json_logs_and_a_graceful_stop(stack: Stack) -> None:
    port = free_port()
    worker = stack.start_worker("--log-format", "json", INCIDENT_METRICS_PORT=str(port))
    incident_id = f"inc-ops-{uuid.uuid4().hex[:8]}"
    stack.cli("declare", "Metrics check", "--lead", LEAD, "--severity", "sev1", "--id", incident_id)
    stack.cli("update", incident_id, "Looking", as_user=LEAD)
    stack.cli("resolve", incident_id, "--summary", "Fixed")

    text = scrape(
        port,
        "incident_declared_total{",
        "incident_resolved_total{",
        "incident_time_to_resolve",
        "temporal_activity_execution_latency",  # the SDK's own metrics on the same endpoint
    )
    declared = [line for line in text.splitlines() if line.startswith("incident_declared_total{")]
    assert any('severity="sev1"' in line and line.endswith(" 1") for line in declared), declared

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0
    out, err = stack.output(0)
    lines = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
    about_it = [line for line in lines if incident_id in line["message"]]
    assert about_it and all(line.get("incident_id") == incident_id for line in about_it)
    assert {"time", "level", "logger", "message"} <= set(lines[0])


@pytest.mark.e2e
def test_an_incident_carries_on_when_one_of_two_workers_stops(stack: Stack) -> None:
    first = stack.start_worker()
    stack.start_worker()
    incident_id = f"inc-ops-{uuid.uuid4().hex[:8]}"
    stack.cli("declare", "Two workers", "--lead", LEAD, "--id", incident_id)
    stack.cli("update", incident_id, "Before the stop", as_user=LEAD)
    first.send_signal(signal.SIGTERM)
    assert first.wait(20) == 0
    stack.cli("update", incident_id, "After the stop", as_user=LEAD)
    stack.cli("resolve", incident_id)
    stack.cli("retro", incident_id, "--notes", "Fine")
    state = stack.show(incident_id)
    assert state["status"] == "closed" and state["last_update"] == "After the stop"


@pytest.mark.e2e
def test_during_a_slack_outage_the_log_says_why_each_attempt_failed_in_one_line(
    stack: Stack,
) -> None:
    """An operator reading the worker's log in an outage sees one line per failed attempt with
    its cause (nothing listens where Slack should be), not a traceback each time."""
    down = f"http://127.0.0.1:{free_port()}/api/"
    worker = stack.start_worker(SLACK_BOT_TOKEN="xoxb-outage", SLACK_API_URL=down)
    incident_id = f"inc-ops-{uuid.uuid4().hex[:8]}"
    stack.cli("declare", "Slack is down", "--lead", LEAD, "--id", incident_id)

    deadline = time.monotonic() + seconds(30)
    while stack.output(0)[1].count("Completing activity as failed") < 3:  # at 0, 1 and 3 s
        assert time.monotonic() < deadline, stack.output(0)[1][-3000:]
        time.sleep(0.5)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    err = stack.output(0)[1]
    failed = [line for line in err.splitlines() if "Completing activity as failed" in line]
    assert all("open_incident_channel" in line and "Cannot connect" in line for line in failed)
    assert "Traceback" not in err, err[-3000:]


def test_tls_settings_must_come_in_pairs(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("not really a certificate")
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"):
        Settings(_env_file=None, temporal_tls_cert=cert).tls()
    with pytest.raises(SettingsError, match="Cannot read a TLS file"):
        Settings(_env_file=None, temporal_tls_cert=cert, temporal_tls_key=tmp_path / "nope").tls()
    assert Settings(_env_file=None, temporal_api_key="secret").tls() is True
    assert Settings(_env_file=None).tls() is False
