"""The worker's log lines: what an operator reads, text or JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError

from operations.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root, quiet = logging.getLogger(), logging.getLogger("httpx")
    activities = logging.getLogger("temporalio.activity")
    handlers, level, quiet_level = root.handlers[:], root.level, quiet.level
    filters = activities.filters[:]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    quiet.setLevel(quiet_level)
    activities.filters[:] = filters


def test_json_lines_carry_the_incident_and_leave_out_each_http_request(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json")
    logging.getLogger("httpx").info('HTTP Request: GET http://localhost:8233/ "HTTP/1.1 200 OK"')
    logging.getLogger("httpx").warning("connection pool is full")
    logging.getLogger("temporalio.activity").info(
        "Delivered", extra={"temporal_activity": {"workflow_id": "inc-1"}}
    )
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("httpx", "connection pool is full"),
        ("temporalio.activity", "Delivered"),
    ]
    assert lines[1]["incident_id"] == "inc-1"


def attempt_failed(error: BaseException) -> None:
    """What the SDK logs when an activity attempt raises ``error`` (Temporal then retries)."""
    try:
        raise error
    except BaseException:
        activity.logger.warning("Completing activity as failed", exc_info=True)


def test_an_outside_systems_failure_is_one_line_and_a_bug_keeps_its_traceback(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A delivery waiting out a two-hour Slack outage fails about 125 times: each attempt is one
    line saying why, not a screen of traceback; a bug in our code still shows where it is."""
    configure_logging("text")
    slack_500 = ApplicationError("Slack failed chat.postMessage: HTTP 500.", type="SlackTransient")
    slack_500.__cause__ = ConnectionResetError("reset by peer")
    attempt_failed(slack_500)
    attempt_failed(httpx.ConnectError("All connection attempts failed"))
    attempt_failed(TimeoutError())
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "Completing activity as failed: SlackTransient: Slack failed chat.postMessage: HTTP 500.",
        "Completing activity as failed: ConnectError: All connection attempts failed",
        "Completing activity as failed: TimeoutError",
    ]

    attempt_failed(KeyError("channel"))
    bug = capsys.readouterr().err
    assert "Traceback (most recent call last)" in bug and "KeyError: 'channel'" in bug

    configure_logging("json")  # the same in JSON lines: no "exception" but for the bug
    attempt_failed(slack_500)
    attempt_failed(KeyError("channel"))
    outside, keyed = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert "exception" not in outside and outside["message"].endswith("HTTP 500.")
    assert "KeyError: 'channel'" in keyed["exception"]
