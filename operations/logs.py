"""Worker logs: readable text by default, JSON lines with ``--log-format json``.

Every line about an incident names it: ``incident_id`` comes from the SDK's workflow and
activity loggers (their ``temporal_workflow`` / ``temporal_activity`` extras).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]


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
