"""PagerDuty: each ``Page`` as one event of the Events API v2 (``POST /v2/enqueue``).

    pager = PagerDutyEvents(routing_key=SecretStr(...), base_url="https://events.pagerduty.com")
    receipt = await pager.send(Page(...))     # 202: PagerDuty took it
    Worker(..., activities=[*others, *activities(settings)])

Every event carries the incident's id as its ``dedup_key``, so a retry is harmless: a trigger for
an open alert adds to it rather than opening another, and an acknowledge or resolve applied twice
(or for a key PagerDuty never saw) changes nothing. How PagerDuty's answers reach Temporal::

    HTTP answer / transport error
     ├── 202                       → delivered
     ├── 429                       → retryable, next_retry_delay = Retry-After (when given)
     ├── 5xx, 408, timeout, dropped → retryable
     └── 400, other 4xx            → non-retryable, one sentence: recorded, the incident carries on

The routing key is the worker's secret (``PAGERDUTY_ROUTING_KEY``), never in the incident's
history. Whether an incident pages is its policy's (``INCIDENT_PAGER``, recorded when it opens).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.rate_limits import retry_after_seconds
from messages.pager import SOURCE
from workflows.destinations.pager import PAGE_ACTIVITY, Page, PageReceipt, PagerEvent

DEFAULT_EVENTS_URL = "https://events.pagerduty.com"
ENQUEUE_PATH = "/v2/enqueue"


class PagerSettings(BaseSettings):
    """How the worker reaches PagerDuty. Whether an incident pages is its policy
    (``PagerOptions`` in ``workflows/destinations/pager.py``), recorded when it starts."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    pagerduty_routing_key: SecretStr | None = None
    pagerduty_events_url: str = DEFAULT_EVENTS_URL


def event_body(page: Page, routing_key: str) -> dict[str, Any]:
    """The Events API v2 request: a trigger carries its payload, the others only the key."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": page.event.value,
        "dedup_key": page.incident_id,
    }
    if page.event is PagerEvent.TRIGGER:
        payload: dict[str, Any] = {
            "summary": page.summary,
            "source": SOURCE,
            "severity": page.severity,
            "custom_details": page.details,
        }
        if page.at is not None:
            payload["timestamp"] = page.at.isoformat()
        body["payload"] = payload
    return body


class PagerDutyEvents:
    """Events to one PagerDuty service (its integration's routing key)."""

    def __init__(
        self,
        *,
        routing_key: SecretStr,
        base_url: str = DEFAULT_EVENTS_URL,
        timeout: float = 10.0,
    ) -> None:
        self._routing_key = routing_key
        self._url = base_url.rstrip("/") + ENQUEUE_PATH
        self._timeout = timeout

    async def send(self, page: Page) -> PageReceipt:
        body = event_body(page, self._routing_key.get_secret_value())
        what = f"the {page.event.value} of {page.incident_id}"
        try:
            async with httpx.AsyncClient(timeout=self._timeout, trust_env=False) as client:
                response = await client.post(self._url, json=body)
        except httpx.TransportError as error:  # refused, timed out, dropped after applying
            raise ApplicationError(
                f"PagerDuty did not answer {what} ({type(error).__name__}).",
                type="PagerDutyUnreachable",
            ) from error
        if response.status_code == 202:
            answer = _json(response)
            return PageReceipt(
                dedup_key=str(answer.get("dedup_key") or page.incident_id),
                status=str(answer.get("status") or "success"),
            )
        raise _failure(what, response)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _failure(what: str, response: httpx.Response) -> ApplicationError:
    status = response.status_code
    if status == 429:
        header = response.headers.get("Retry-After")
        delay = timedelta(seconds=retry_after_seconds(header)) if header else None
        return ApplicationError(
            f"PagerDuty throttled {what} (429).",
            type="PagerDutyThrottled",
            next_retry_delay=delay,
        )
    if status >= 500 or status == 408:
        return ApplicationError(
            f"PagerDuty answered {status} to {what}.", type="PagerDutyUnavailable"
        )
    answer = _json(response)
    errors = answer.get("errors")
    said = "; ".join(str(e) for e in errors) if isinstance(errors, list) else ""
    reason = (said or str(answer.get("message") or response.reason_phrase)).rstrip(". ")
    reason = " ".join(reason.split()).replace(". ", "; ")
    return ApplicationError(
        f"PagerDuty refused {what} ({status}): {reason}.",
        type=f"PagerDutyHTTP{status}",
        non_retryable=True,
    )


class PagerActivities:
    """The pager's one activity. Without a routing key, it says so in one sentence, recorded in
    the incident's timeline."""

    def __init__(self, pager: PagerDutyEvents | None) -> None:
        self._pager = pager

    @activity.defn(name=PAGE_ACTIVITY)
    async def send_pagerduty_event(self, page: Page) -> PageReceipt:
        if self._pager is None:
            raise ApplicationError(
                f"PAGERDUTY_ROUTING_KEY is not set on the worker, so {page.incident_id} was not "
                f"paged ({page.event.value}).",
                type="PagerDutyNotConfigured",
                non_retryable=True,
            )
        return await self._pager.send(page)


def pager_activities(settings: PagerSettings) -> list[Callable[..., Any]]:
    """The pager's activity, connected when ``PAGERDUTY_ROUTING_KEY`` is set."""
    key = settings.pagerduty_routing_key
    if key is None or not key.get_secret_value().strip():
        return [PagerActivities(None).send_pagerduty_event]
    pager = PagerDutyEvents(routing_key=key, base_url=settings.pagerduty_events_url)
    return [PagerActivities(pager).send_pagerduty_event]


def activities(_settings: object) -> list[Callable[..., Any]]:
    """What the worker registers for this destination (``Delivery.activities_module``)."""
    return pager_activities(PagerSettings())
