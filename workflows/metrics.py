"""Incident metrics, emitted through the workflow's metric meter (skipped on replay).

The worker serves them with the SDK's own metrics on INCIDENT_METRICS_PORT (Prometheus):
``incident_declared``, ``incident_resolved``, ``incident_reminders``, ``incident_escalations``
(counters, by severity) and ``incident_time_to_resolve`` (histogram, seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

from workflows.model import IncidentState, Status


@dataclass(frozen=True)
class Observed:
    """What the metrics have counted so far for one incident (in this run)."""

    status: Status | None
    reminders: int
    escalations: int

    @classmethod
    def of(cls, state: IncidentState) -> Observed:
        return cls(state.status, state.reminders_sent, state.escalations_sent)


NOTHING_YET = Observed(None, 0, 0)


def measure(state: IncidentState, before: Observed) -> Observed:
    """Emit what changed since ``before``; return what is now counted."""
    now = Observed.of(state)
    if now == before:
        return now
    meter = workflow.metric_meter().with_additional_attributes(
        {"severity": state.severity.value if state.severity else "none"}
    )
    if now.status is not before.status:
        if now.status is Status.ACTIVE and before.status in (None, Status.TRIAGE):
            meter.create_counter("incident_declared", "incidents declared or accepted").add(1)
        if now.status is Status.RESOLVED and state.resolved_at:
            meter.create_counter("incident_resolved", "incidents resolved").add(1)
            meter.create_histogram_timedelta(
                "incident_time_to_resolve", "from report or declaration to resolution"
            ).record(state.resolved_at - state.created_at)
    if now.reminders > before.reminders:
        meter.create_counter("incident_reminders", "reminders sent").add(
            now.reminders - before.reminders
        )
    if now.escalations > before.escalations:
        meter.create_counter("incident_escalations", "escalations to the DMs").add(
            now.escalations - before.escalations
        )
    return now
