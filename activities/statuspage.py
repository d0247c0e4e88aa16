"""Atlassian Statuspage: the public page incident, created once, then updated, then resolved.

    status_page = AtlassianStatusPage.connect(api_key=..., page_id=...,
                                              base_url="https://api.statuspage.io/v1/")
    IncidentActivities(messenger=..., status_page=status_page)

The API has no idempotency key, so each page incident carries the workflow's delivery key in its
``metadata``; a retry attempt looks it up before creating (``incidents/unresolved.json``) or
updating (the incident itself) again. Failures become ``ApplicationError``::

    HTTP answer / transport error
     ├── 420, 429        → retryable, next_retry_delay = Retry-After
     ├── 5xx, transport  → retryable
     └── other 4xx (401, 404, 422, …) → non-retryable: recorded, the incident carries on
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.rate_limits import retry_after_seconds
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef
from workflows.model import StatusPageStatus

METADATA_NAMESPACE = "incident_workflow"
COMPONENT_STATUSES = frozenset(
    {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
)


class AtlassianStatusPage:
    """The StatusPage on Atlassian Statuspage's v1 REST API."""

    def __init__(
        self, *, client: httpx.AsyncClient, page_id: str, components: dict[str, str] | None = None
    ) -> None:
        self._client = client
        self._page = f"pages/{page_id}"
        self._components = components or {}

    @classmethod
    def connect(
        cls,
        *,
        api_key: str,
        page_id: str,
        base_url: str,
        components: dict[str, str] | None = None,
        timeout: float = 20.0,
    ) -> AtlassianStatusPage:
        client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"OAuth {api_key}"},
            timeout=timeout,
            trust_env=False,
        )
        return cls(client=client, page_id=page_id, components=components)

    async def post(self, update: StatusPagePost) -> StatusPageRef:
        # A retry, or a post an earlier run's cut-short delivery may have made: look first.
        retry = update.maybe_done or (activity.in_activity() and activity.info().attempt > 1)
        fields: dict[str, Any] = {
            "status": update.status.value,
            "body": update.body,
            "metadata": {
                METADATA_NAMESPACE: {"incident_id": update.incident_id, "key": update.key}
            },
        }
        if update.impact_override is not None:
            fields["impact_override"] = update.impact_override.value
        if self._components:  # affected while open, operational again once resolved
            resolved = update.status is StatusPageStatus.RESOLVED
            fields["component_ids"] = list(self._components)
            fields["components"] = {
                component: "operational" if resolved else status
                for component, status in self._components.items()
            }
        if update.page_incident_id is None:
            existing = await self._find_created(update) if retry else None
            if existing is not None:
                return StatusPageRef(page_incident_id=existing)
            created = await self._request(
                "POST",
                f"{self._page}/incidents.json",
                json={"incident": {"name": update.name, **fields}},
            )
            return StatusPageRef(page_incident_id=str(created["id"]))
        path = f"{self._page}/incidents/{update.page_incident_id}.json"
        if retry and _carries_key(await self._request("GET", path), update.key):
            return StatusPageRef(page_incident_id=update.page_incident_id)
        await self._request("PATCH", path, json={"incident": fields})
        return StatusPageRef(page_incident_id=update.page_incident_id)

    async def _find_created(self, update: StatusPagePost) -> str | None:
        """The page incident an earlier attempt of this post created, if any."""
        paths = [f"{self._page}/incidents/unresolved.json"]
        if update.status is StatusPageStatus.RESOLVED:
            paths.append(f"{self._page}/incidents.json")
        for path in paths:
            listed = await self._request("GET", path)
            for incident in listed if isinstance(listed, list) else []:
                if _carries_key(incident, update.key):
                    return str(incident["id"])
        return None

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._client.request(method, path, **kwargs)
        if response.is_success:
            return response.json()
        raise _failure(method, path, response)


def parse_components(text: str) -> dict[str, str]:
    """``STATUSPAGE_COMPONENTS``: ``id`` or ``id=status``, comma-separated (default
    ``partial_outage``)."""
    components: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        component, _, status = item.partition("=")
        status = status.strip() or "partial_outage"
        if status not in COMPONENT_STATUSES:
            allowed = ", ".join(sorted(COMPONENT_STATUSES))
            raise ValueError(f"{status!r} is not a component status: use one of {allowed}")
        components[component.strip()] = status
    return components


def _carries_key(incident: Any, key: str) -> bool:
    metadata = incident.get("metadata") if isinstance(incident, dict) else None
    return isinstance(metadata, dict) and (metadata.get(METADATA_NAMESPACE) or {}).get("key") == key


def _failure(method: str, path: str, response: httpx.Response) -> ApplicationError:
    status = response.status_code
    what = f"Statuspage answered {status} to {method} {path}"
    if status in (420, 429):
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        return ApplicationError(
            f"{what}; retrying in {delay:g}s.",
            type="StatusPageRateLimited",
            next_retry_delay=timedelta(seconds=delay),
        )
    if status >= 500:
        return ApplicationError(f"{what}.", type="StatusPageUnavailable")
    detail = response.text[:200]
    return ApplicationError(f"{what}: {detail}", type=f"StatusPageHTTP{status}", non_retryable=True)
