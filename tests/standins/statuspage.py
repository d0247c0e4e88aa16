"""An Atlassian Statuspage v1 stand-in: page incidents held in memory, every request recorded.

page = StatusPageStandIn(api_key="key", page_id="page1")
url = await page.start()               # http://127.0.0.1:PORT/v1/
page.inject("create", Fault.DROP_AFTER)
page.incidents                         # what the public page would show
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standins.common import Fault, Recorded, StandIn, drop_connection, request_params


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
        def apply(request: web.Request, params: dict[str, Any]) -> tuple[int, Any]:
            fields = params.get("incident") or {}
            if not fields.get("name"):
                return 422, {"error": "name can't be blank"}
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
                [i for i in self.incidents.values() if i["status"] != "resolved"],
            ),
        )

    async def _get(self, request: web.Request) -> web.StreamResponse:
        def apply(request: web.Request, params: dict[str, Any]) -> tuple[int, Any]:
            incident = self.incidents.get(request.match_info["incident"])
            return (200, incident) if incident else (404, {"error": "Not found"})

        return await self._answer(request, "get", apply)

    async def _patch(self, request: web.Request) -> web.StreamResponse:
        def apply(request: web.Request, params: dict[str, Any]) -> tuple[int, Any]:
            incident = self.incidents.get(request.match_info["incident"])
            if incident is None:
                return 404, {"error": "Not found"}
            fields = params.get("incident") or {}
            incident["status"] = fields.get("status", incident["status"])
            incident["metadata"] = fields.get("metadata") or incident["metadata"]
            incident["components"] = fields.get("components") or incident["components"]
            incident["incident_updates"].append(
                {"status": fields.get("status"), "body": fields.get("body")}
            )
            return 200, incident

        return await self._answer(request, "patch", apply)
