"""The worker's log lines: what an operator reads, text or JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from operations.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    handlers, level, httpx_level = root.handlers[:], root.level, httpx.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    httpx.setLevel(httpx_level)


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
