"""Each sender's payload read into an :class:`AlarmNotice`: pure functions, no I/O, no clock.

    notice = grouped_notice(AlarmSource.ALERTMANAGER, json_object(body), delivery_id(body), now)
    notice = cloudwatch_notice(sns_fields["Message"], f"sns:{message_id}", now)  # None: not sent
    notice = generic_notice(json_object(body), delivery_id(body), now)

Anything a sender could not have meant is ``Refused(400)`` with one sentence naming it. The
formats: CloudWatch's alarm JSON in the SNS ``Message``; Alertmanager's webhook payload version 4
(prometheus.io, ``webhook_config``); Grafana's webhook contact point payload (grafana.com,
"Configure webhook notifications"), one notice per ``groupKey``; and the generic
``{"title", "status", "deduplication_key", "description"?, "source_url"?}``.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from intake.refusals import malformed, shown
from workflows.model.alarms import (
    ALARM_TITLE_MAX,
    ALERT_LINE_MAX,
    ALERT_LINES_MAX,
    KEY_PART_MAX,
    AlarmNotice,
    AlarmSource,
)
from workflows.vocabulary.basics import TEXT_MAX

_MOMENT = TypeAdapter(datetime)
_STATUSES = {"firing": True, "resolved": False}
_CLOUDWATCH_STATES = {"ALARM": True, "OK": False}
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
_CONSOLES = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


def delivery_id(body: bytes) -> str:
    """A notification's id when its sender gives none: a retry sends the same bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise malformed("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise malformed("The body is not a JSON object.")
    return data


def cloudwatch_notice(message: str, delivery: str, received: datetime) -> AlarmNotice | None:
    """The alarm in an SNS ``Message``; None for INSUFFICIENT_DATA, which is not forwarded."""
    try:
        alarm = json.loads(message)
    except ValueError:
        alarm = None
    if not isinstance(alarm, dict) or not isinstance(alarm.get("AlarmName"), str):
        raise malformed("The SNS Message is not a CloudWatch alarm (JSON with an AlarmName).")
    state = alarm.get("NewStateValue")
    if state == INSUFFICIENT_DATA:
        return None
    if not isinstance(state, str) or state not in _CLOUDWATCH_STATES:
        raise malformed(f"NewStateValue {shown(state)} is not ALARM, OK or INSUFFICIENT_DATA.")
    arn = _text(alarm.get("AlarmArn"))
    # Notifications from before CloudWatch sent AlarmArn: the account, region and name.
    identity = arn or ":".join(_text(alarm.get(k)) for k in ("AWSAccountId", "Region", "AlarmName"))
    return AlarmNotice(
        source=AlarmSource.CLOUDWATCH,
        key=_key(AlarmSource.CLOUDWATCH, identity),
        delivery_id=delivery,
        firing=_CLOUDWATCH_STATES[state],
        title=_line(alarm["AlarmName"], ALARM_TITLE_MAX) or "CloudWatch alarm",
        description=_clip(_text(alarm.get("NewStateReason")), TEXT_MAX) or None,
        source_url=_console_url(arn),
        at=_moment(alarm.get("StateChangeTime")) or received,
    )


def grouped_notice(
    source: AlarmSource, data: dict[str, Any], delivery: str, received: datetime
) -> AlarmNotice:
    """One notice for an Alertmanager or Grafana group of alerts (same payload shape)."""
    if source is AlarmSource.ALERTMANAGER and data.get("version") != "4":
        raise malformed(f"Alertmanager payload version {shown(data.get('version'))} is not 4.")
    group_key = data.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise malformed("The body is missing groupKey.")
    firing = _status(data.get("status"))
    listed = data.get("alerts") or []
    if not isinstance(listed, list):
        raise malformed("alerts should be a list.")
    alerts = [a for a in listed if isinstance(a, dict)]
    common, annotations = (
        _strings(data.get("commonLabels")),
        _strings(data.get("commonAnnotations")),
    )
    # When the group changed: its latest start (firing) or end (resolved), among its alerts in
    # the group's state.
    changed = [a for a in alerts if a.get("status") == data["status"]] or alerts
    moments = [_moment(a.get("startsAt" if firing else "endsAt")) for a in changed]
    generators = {g for a in alerts if isinstance(g := a.get("generatorURL"), str)}
    link = generators.pop() if len(generators) == 1 else data.get("externalURL")
    return AlarmNotice(
        source=source,
        key=_key(source, group_key),
        delivery_id=delivery,
        firing=firing,
        title=_group_title(common, annotations, alerts) or _line(group_key, ALARM_TITLE_MAX),
        description=_clip(annotations.get("description", ""), TEXT_MAX) or None,
        source_url=_http_url(link),
        at=max((m for m in moments if m is not None), default=received),
        alerts=_alert_lines(alerts, common, data.get("truncatedAlerts")),
    )


def generic_notice(data: dict[str, Any], delivery: str, received: datetime) -> AlarmNotice:
    """``{"title", "status", "deduplication_key", "description"?, "source_url"?}``."""
    missing = [n for n in ("title", "status", "deduplication_key") if data.get(n) is None]
    if missing:
        raise malformed(f"The body is missing {', '.join(missing)}.")
    for name in ("title", "deduplication_key", "description", "source_url"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise malformed(f"{name} should be a string.")
    title, key = _line(data["title"], ALARM_TITLE_MAX), data["deduplication_key"].strip()
    if not title or not key:
        raise malformed(f"{'title' if not title else 'deduplication_key'} should not be empty.")
    link = data.get("source_url") or None
    if link is not None and _http_url(link) is None:
        raise malformed("source_url should be an http or https URL.")
    return AlarmNotice(
        source=AlarmSource.GENERIC,
        key=_key(AlarmSource.GENERIC, key),
        delivery_id=delivery,
        firing=_status(data["status"]),
        title=title,
        description=_clip(data.get("description") or "", TEXT_MAX) or None,
        source_url=link,
        at=received,
    )


def _key(source: AlarmSource, identity: str) -> str:
    """``<source>:<identity>``; a long identity by its digest, so a key stays short enough to name
    a workflow."""
    if len(identity) > KEY_PART_MAX:
        identity = "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
    return f"{source}:{identity}"


def _status(value: object) -> bool:
    if not isinstance(value, str) or value not in _STATUSES:
        raise malformed(f"status should be firing or resolved, not {shown(value)}.")
    return _STATUSES[value]


def _group_title(common: dict[str, str], annotations: dict[str, str], alerts: list[Any]) -> str:
    names = [_strings(a.get("labels")).get("alertname") for a in alerts]
    name = common.get("alertname") or ", ".join(dict.fromkeys(n for n in names if n))
    summary = annotations.get("summary", "")
    return _line(f"{name}: {summary}" if name and summary else name or summary, ALARM_TITLE_MAX)


def _alert_lines(alerts: list[Any], common: dict[str, str], truncated: object) -> list[str]:
    """One line per alert: its status, name, what sets it apart from the group, its summary."""
    lines = []
    for alert in alerts[:ALERT_LINES_MAX]:
        labels, notes = _strings(alert.get("labels")), _strings(alert.get("annotations"))
        own = [f"{k}={v}" for k, v in labels.items() if k != "alertname" and common.get(k) != v]
        line = f"{alert.get('status', '?')}: {labels.get('alertname', 'alert')}"
        line += f" ({', '.join(own[:5])})" if own else ""
        summary = notes.get("summary") or notes.get("description")
        lines.append(_line(f"{line}: {summary}" if summary else line, ALERT_LINE_MAX))
    more = len(alerts) - len(lines) + (truncated if isinstance(truncated, int) else 0)
    if more > 0:
        lines.append(f"… and {more} more")
    return lines


def _console_url(arn: str) -> str | None:
    """The CloudWatch console's page for ``arn:<partition>:cloudwatch:<region>:<acct>:alarm:<name>``."""
    parts = arn.split(":", 6)
    if len(parts) != 7 or (parts[0], parts[2], parts[5]) != ("arn", "cloudwatch", "alarm"):
        return None
    host, region = _CONSOLES.get(parts[1]), parts[3]
    if host is None or not _REGION.fullmatch(region):
        return None
    name = quote(parts[6], safe="")
    return f"https://{region}.{host}/cloudwatch/home?region={region}#alarmsV2:alarm/{name}"


def _moment(value: object) -> datetime | None:
    """A sender's time, always with a zone (UTC if it gave none); None if absent or Go's zero."""
    if not isinstance(value, str) or value.startswith("0001-01-01"):
        return None
    try:
        moment = _MOMENT.validate_python(value)
    except ValidationError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _http_url(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > 2000 or re.search(r"\s", value):
        return None
    return value if re.match(r"https?://[^/?#]+", value) else None


def _strings(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _line(text: str, limit: int) -> str:
    return _clip(" ".join(text.split()), limit)
