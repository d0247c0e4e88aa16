"""A PagerDuty Events API v2 stand-in: alerts held in memory by ``dedup_key``, every request
recorded, faults injected by event action.

pager = PagerDutyStandIn(routing_key="R" * 32)
url = await pager.start()                   # http://127.0.0.1:PORT (POST /v2/enqueue)
pager.inject("trigger", Fault.RATE_LIMIT)   # the next trigger meets 429 with Retry-After
pager.go_down("503")                        # an outage: every event meets 503 (or "refuse")
pager.alerts["inc-…"].changes               # ["triggered", "acknowledged", "resolved"]

It keeps PagerDuty's dedup semantics (developer.pagerduty.com, "Events API v2 overview" and
"Alert de-duplication"): a trigger whose key has an open alert (triggered or acknowledged) is
added to that alert and opens nothing; a trigger whose key is resolved or unknown opens a new
alert; an acknowledge or resolve for a key with no open alert is accepted (202) and ignored; a
second acknowledge changes nothing. It refuses what PagerDuty refuses, with 400 and an
``errors`` list: a wrong routing key, an unknown ``event_action``, an acknowledge or resolve
without ``dedup_key``, a trigger without ``summary``, ``source`` or a valid ``severity``, a
summary over 1024 characters, a key over 255.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.standins.common import Fault, Recorded, StandIn, drop_connection

ACTIONS = frozenset({"trigger", "acknowledge", "resolve"})
SEVERITIES = frozenset({"critical", "error", "warning", "info"})
SUMMARY_MAX = 1024
DEDUP_KEY_MAX = 255
OPEN = frozenset({"triggered", "acknowledged"})


@dataclass
class Alert:
    """One alert, as PagerDuty's web UI would show it: its status, and each status it took."""

    dedup_key: str
    number: int  # which alert of the service (a key resolved then triggered again opens another)
    status: str = "triggered"
    changes: list[str] = field(default_factory=lambda: ["triggered"])
    payloads: list[dict[str, Any]] = field(default_factory=list)  # every trigger's, deduped too
    ignored: int = 0  # events that changed nothing


@dataclass
class PagerDutyStandIn(StandIn):
    routing_key: str = "R0UT1NGKEY0STAND1N0000000000000X"
    alerts: dict[str, Alert] = field(default_factory=dict)  # the newest alert of each key
    opened: list[Alert] = field(default_factory=list)  # every alert ever opened, in order
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (action, key) of no alert
    down: Literal["503", "refuse"] | None = None
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:  # type: ignore[override]
        app = web.Application()
        app.router.add_post("/v2/enqueue", self._enqueue)
        return await super().start(app, "")

    def go_down(self, how: Literal["503", "refuse"] = "503") -> None:
        """An outage until :meth:`come_back`: 503, or the connection closed before anything is
        read or applied (as a refused connection reaches the client)."""
        self.down = how

    def come_back(self) -> None:
        self.down = None

    def events(self, action: str | None = None, *, applied: bool = True) -> list[dict[str, Any]]:
        """The bodies of events received (by default only those applied), of one action or all."""
        return [
            r.params
            for r in self.requests
            if (action is None or r.method == action)
            and (not applied or r.fault in (None, Fault.DROP_AFTER))
        ]

    async def _enqueue(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        params = body if isinstance(body, dict) else {}
        action = str(params.get("event_action", "invalid"))
        if self.down is not None:
            self.requests.append(Recorded(method=action, params=params, fault=Fault.SERVER_ERROR))
            if self.down == "refuse":
                return drop_connection(request)
            return web.json_response(
                {"status": "unavailable", "message": "Service Unavailable"}, status=503
            )
        fault = self.take_fault(action)
        self.requests.append(Recorded(method=action, params=params, fault=fault))
        if fault is Fault.RATE_LIMIT:
            return web.json_response(
                {"status": "throttle event", "message": "Requests for this service are throttled."},
                status=429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if fault is Fault.SERVER_ERROR:
            return web.Response(status=500, text="stand-in: injected server error")
        problems = self._problems(body)
        if problems:
            invalid = {"status": "invalid event", "message": "Event object is invalid"}
            return web.json_response({**invalid, "errors": problems}, status=400)
        key = self._apply(action, params)
        if fault is Fault.DROP_AFTER:
            return drop_connection(request)
        answer = {"status": "success", "message": "Event processed", "dedup_key": key}
        return web.json_response(answer, status=202)

    def _problems(self, body: Any) -> list[str]:
        if not isinstance(body, dict):
            return ["Event object is not a JSON object."]
        problems = []
        if body.get("routing_key") != self.routing_key:
            problems.append("Invalid routing key.")
        action = body.get("event_action")
        if action not in ACTIONS:
            problems.append("'event_action' must be one of trigger, acknowledge or resolve.")
        key = body.get("dedup_key")
        if action in ("acknowledge", "resolve") and not key:
            problems.append("'dedup_key' is required for acknowledge and resolve events.")
        if key is not None and (not isinstance(key, str) or len(key) > DEDUP_KEY_MAX):
            problems.append("'dedup_key' must be a string of at most 255 characters.")
        if action == "trigger":
            payload = body.get("payload")
            if not isinstance(payload, dict):
                return [*problems, "'payload' is missing or not an object."]
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary:
                problems.append("'payload.summary' is missing or blank.")
            elif len(summary) > SUMMARY_MAX:
                problems.append("'payload.summary' is longer than 1024 characters.")
            if not payload.get("source"):
                problems.append("'payload.source' is missing or blank.")
            if payload.get("severity") not in SEVERITIES:
                problems.append("'payload.severity' must be critical, error, warning or info.")
        return problems

    def _apply(self, action: str, body: dict[str, Any]) -> str:
        number = next(self._numbers)
        key = str(body.get("dedup_key") or f"stand-in-{number}")
        alert = self.alerts.get(key)
        is_open = alert is not None and alert.status in OPEN
        if action == "trigger":
            if alert is not None and is_open:
                alert.payloads.append(body["payload"])  # deduplicated: added to the open alert
                alert.ignored += 1
            else:
                alert = Alert(dedup_key=key, number=len(self.opened) + 1)
                alert.payloads.append(body["payload"])
                self.alerts[key] = alert
                self.opened.append(alert)
            return key
        if alert is None or not is_open:
            self.ignored.append((action, key))
            return key
        status = "acknowledged" if action == "acknowledge" else "resolved"
        if alert.status == status:
            alert.ignored += 1
        else:
            alert.status = status
            alert.changes.append(status)
        return key
