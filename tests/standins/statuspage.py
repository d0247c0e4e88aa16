"""An Atlassian Statuspage v1 stand-in: page incidents held in memory, every request recorded.

page = StatusPageStandIn(api_key="key", page_id="page1")
url = await page.start()               # http://127.0.0.1:PORT/v1/
page.inject("create", Fault.DROP_AFTER)
page.incidents                         # what the public page would show

It refuses what Statuspage refuses, with the status its API answers and an ``error`` body: 401 for
a missing or wrong key, 404 for an unknown page or incident, 400 for a request without its
``incident`` object, 422 for fields that break the rules in ``_incident_problem``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standins.common import Fault, Recorded, StandIn, drop_connection, request_params

# The incident's fields, from Atlassian's OpenAPI (developer.statuspage.io, "Create an incident"
# postPagesPageIdIncidents and "Update an incident" patchPagesPageIdIncidentsIncidentId).
STATUSES = frozenset(
    {"investigating", "identified", "monitoring", "resolved"}  # realtime incidents
    | {"scheduled", "in_progress", "verifying", "completed"}  # scheduled maintenance
)
CLOSED_STATUSES = frozenset({"resolved", "completed"})  # not in unresolved.json
IMPACTS = frozenset({"none", "maintenance", "minor", "major", "critical"})  # impact_override
COMPONENT_STATUSES = frozenset(
    {"operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"}
)
NAME_MAX = 255  # name: "There is a maximum limit of 255 characters"
BODY_MAX = 25_000  # body: "There is a maximum limit of 25000 characters"

Answer = tuple[int, Any]


@dataclass
class StatusPageStandIn(StandIn):
    api_key: str = "stand-in-key"
    page_id: str = "page1"
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:  # type: ignore[override]
        app = web.Application()
        base = "/v1/pages/{page}/incidents"
        app.router.add_post(f"{base}.json", self._create)
        app.router.add_get(f"{base}.json", self._list_all)
        app.router.add_get(f"{base}/unresolved.json", self._list_unresolved)
        app.router.add_get(f"{base}/{{incident}}.json", self._get)
        app.router.add_patch(f"{base}/{{incident}}.json", self._patch)
        return await super().start(app, "/v1/")

    def updates(self, incident_id: str) -> list[dict[str, Any]]:
        """The incident's updates as the page shows them, oldest first."""
        return list(self.incidents[incident_id]["incident_updates"])

    async def _answer(self, request: web.Request, method: str, apply: Any) -> web.StreamResponse:
        params = await request_params(request)
        fault = self.take_fault(method)
        self.requests.append(Recorded(method=method, params=params, fault=fault))
        if fault in (Fault.RATE_LIMIT, Fault.SERVER_ERROR):
            if fault is Fault.RATE_LIMIT:
                return web.json_response(
                    {"error": "rate limited"},
                    status=429,
                    headers={"Retry-After": str(self.retry_after)},
                )
            return self.refusal(fault)
        if request.headers.get("Authorization") != f"OAuth {self.api_key}":
            return web.json_response({"error": "Unauthorized"}, status=401)
        if request.match_info["page"] != self.page_id:
            return web.json_response({"error": "Page not found"}, status=404)
        status, body = apply(request, params)
        if fault is Fault.DROP_AFTER:
            return drop_connection(request)
        return web.json_response(body, status=status)

    async def _create(self, request: web.Request) -> web.StreamResponse:
        def apply(request: web.Request, params: dict[str, Any]) -> Answer:
            refused = _incident_problem(params.get("incident"), creating=True)
            if refused is not None:
                return refused
            fields: dict[str, Any] = params["incident"]
            incident_id = f"sp{next(self._ids)}"
            self.incidents[incident_id] = {
                "id": incident_id,
                "name": fields["name"],
                "status": fields.get("status", "investigating"),
                "metadata": fields.get("metadata") or {},
                "impact_override": fields.get("impact_override"),
                "components": fields.get("components") or {},
                "incident_updates": [{"status": fields.get("status"), "body": fields.get("body")}],
            }
            return 201, self.incidents[incident_id]

        return await self._answer(request, "create", apply)

    async def _list_all(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(
            request, "list", lambda r, p: (200, list(self.incidents.values()))
        )

    async def _list_unresolved(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(
            request,
            "unresolved",
            lambda r, p: (
                200,
                [i for i in self.incidents.values() if i["status"] not in CLOSED_STATUSES],
            ),
        )

    async def _get(self, request: web.Request) -> web.StreamResponse:
        def apply(request: web.Request, params: dict[str, Any]) -> Answer:
            incident = self.incidents.get(request.match_info["incident"])
            return (200, incident) if incident else (404, {"error": "Not found"})

        return await self._answer(request, "get", apply)

    async def _patch(self, request: web.Request) -> web.StreamResponse:
        def apply(request: web.Request, params: dict[str, Any]) -> Answer:
            incident = self.incidents.get(request.match_info["incident"])
            if incident is None:
                return 404, {"error": "Not found"}
            refused = _incident_problem(params.get("incident"), creating=False)
            if refused is not None:
                return refused
            fields: dict[str, Any] = params["incident"]
            for name in ("name", "status", "impact_override"):
                incident[name] = fields.get(name, incident[name])
            incident["metadata"] = fields.get("metadata") or incident["metadata"]
            incident["components"] = fields.get("components") or incident["components"]
            incident["incident_updates"].append(
                {"status": fields.get("status"), "body": fields.get("body")}
            )
            return 200, incident

        return await self._answer(request, "patch", apply)


def _incident_problem(fields: Any, *, creating: bool) -> Answer | None:
    """Statuspage's refusal of an ``incident`` object, or None when it would be accepted."""
    if not isinstance(fields, dict):
        return 400, {"error": "incident is missing"}

    def unprocessable(problem: str) -> Answer:
        return 422, {"error": problem}

    name = fields.get("name")
    if (creating or "name" in fields) and not (isinstance(name, str) and name.strip()):
        return unprocessable("name can't be blank")
    if isinstance(name, str) and len(name) > NAME_MAX:
        return unprocessable(f"name is too long (maximum is {NAME_MAX} characters)")
    if "status" in fields and fields["status"] not in STATUSES:
        return unprocessable(f"status {fields['status']!r} is not included in the list")
    impact = fields.get("impact_override")
    if impact is not None and impact not in IMPACTS:
        return unprocessable(f"impact_override {impact!r} is not included in the list")
    body = fields.get("body")
    if body is not None and not (isinstance(body, str) and len(body) <= BODY_MAX):
        return unprocessable(f"body is too long (maximum is {BODY_MAX} characters)")
    components = fields.get("components") or {}
    if not isinstance(components, dict) or any(
        s not in COMPONENT_STATUSES for s in components.values()
    ):
        return unprocessable(f"components: each status one of {sorted(COMPONENT_STATUSES)}")
    component_ids = fields.get("component_ids") or []
    if not isinstance(component_ids, list) or not all(isinstance(c, str) for c in component_ids):
        return unprocessable("component_ids must be a list of component ids")
    metadata = fields.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, dict) for v in metadata.values()):
        return unprocessable("metadata: all top-level values must be objects")
    return None
