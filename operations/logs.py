"""Worker logs: readable text by default, JSON lines with ``--log-format json``.

Every line about an incident names it: ``incident_id`` comes from the SDK's workflow and
activity loggers (their ``temporal_workflow`` / ``temporal_activity`` extras).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

import aiohttp
import httpx
from temporalio.exceptions import ApplicationError

LogFormat = Literal["text", "json"]

# An outside system's failure as an activity meets it: an answer the adapter classified (an
# ApplicationError: Slack's 500, Statuspage's 503, a refusal, a rate limit) or no answer at all.
OUTSIDE_FAILURES: tuple[type[BaseException], ...] = (
    ApplicationError,
    TimeoutError,
    ConnectionError,
    aiohttp.ClientError,
    httpx.TransportError,
)


class OutsideFailureInOneLine(logging.Filter):
    """An activity attempt that failed because Slack, Statuspage or GitHub did is logged as one
    line with its cause, not a traceback: Temporal retries it at least once a minute, so each
    delivery waiting out a two-hour outage fails about 125 times. A bug keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OUTSIDE_FAILURES):
            if isinstance(error, ApplicationError):  # already "SlackTransient: Slack failed …"
                cause = str(error)
            else:
                cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            record.msg, record.args = f"{record.getMessage()}: {cause}", ()
            record.exc_info, record.exc_text = None, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for extra in ("temporal_workflow", "temporal_activity"):
            details = getattr(record, extra, None)
            if isinstance(details, dict) and details.get("workflow_id"):
                data["incident_id"] = details["workflow_id"]
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data)


def configure_logging(log_format: LogFormat) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    # httpx logs every request at INFO (each status page and GitHub call, `incident dev`'s wait
    # for the Web UI); a failed call is logged by the activity that retries it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    activity = logging.getLogger("temporalio.activity")
    if not any(isinstance(f, OutsideFailureInOneLine) for f in activity.filters):
        activity.addFilter(OutsideFailureInOneLine())
