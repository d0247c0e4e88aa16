"""What alarms say: the report an alarm opens, the nudges while nobody answers it, and its
firing again and clearing. Pure, as ``messages/sentences.py``; times are the office's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from workflows.clock import format_duration
from workflows.model.alarms import AlarmSource

if TYPE_CHECKING:
    from workflows.model.alarms import AlarmFacts, AlarmNotice, AlarmOrigin
    from workflows.model.state import IncidentState

SOURCE_NAMES = {
    AlarmSource.CLOUDWATCH: "CloudWatch",
    AlarmSource.ALERTMANAGER: "Alertmanager",
    AlarmSource.GRAFANA: "Grafana",
    AlarmSource.GENERIC: "an alarm",
    AlarmSource.HEARTBEAT: "a heartbeat",
}
_WHEN = "%H.%M"


def source_name(source: AlarmSource) -> str:
    return SOURCE_NAMES[source]


def reported_from_alarm(origin: AlarmOrigin, title: str, local: datetime) -> str:
    """The report's first timeline entry: which alarm, and when it fired."""
    earlier = f"; it opened {origin.previous_incident} before" if origin.previous_incident else ""
    return (
        f"Reported by {source_name(origin.source)}: {title} "
        f"(fired {local:%Y-%m-%d} at {local:{_WHEN}}{earlier})"
    )


def report_description(notice: AlarmNotice, local: datetime) -> str:
    """The report's description: the alarm's reason, its alerts and where to look."""
    lines = [notice.description] if notice.description else []
    lines += [f"- {alert}" for alert in notice.alerts]
    lines.append(f"Fired {local:%Y-%m-%d %H.%M} ({source_name(notice.source)}).")
    if notice.source_url:
        lines.append(f"Source: {notice.source_url}")
    return "\n".join(lines)


def alarm_to_triage(s: IncidentState) -> str:
    return (
        f"An alarm reported {s.id}: {s.title}. Accept it (`incident accept {s.id} --lead USER "
        f"--severity SEV`), decline it, or say you are looking (`incident ack {s.id}`)."
    )


def alarm_unanswered(s: IncidentState, waiting: timedelta) -> str:
    return (
        f"The alarm report {s.id} ({s.title}) has waited {format_duration(waiting)} for a "
        f"delivery manager: accept, decline or `incident ack {s.id}`."
    )


def alarm_escalated(s: IncidentState, waiting: timedelta, delivery_managers: list[str]) -> str:
    named = ", ".join(delivery_managers) or "no delivery manager (none is configured)"
    return (
        f"An alarm has waited {format_duration(waiting)} with nobody looking: {s.id} "
        f"({s.title}). Delivery managers {named}: please answer it."
    )


def seen(actor: str) -> str:
    return f"{actor} has seen the report and is looking"


def _since(facts: AlarmFacts) -> str:
    """Flapping since the last entry: how often it fired and cleared in between."""
    fired, cleared = facts.unrecorded_fired, facts.unrecorded_cleared
    if not (fired or cleared):
        return ""
    return f" (since the last entry it fired {fired} and cleared {cleared} more times)"


def fired_again(facts: AlarmFacts, local: datetime) -> str:
    return f"The alarm fired again at {local:{_WHEN}}, {facts.fired} times in all{_since(facts)}"


def cleared(facts: AlarmFacts, local: datetime, firing_for: timedelta) -> str:
    return (
        f"The alarm cleared at {local:{_WHEN}} after {format_duration(firing_for)} firing"
        f"{_since(facts)}"
    )


def cleared_told(s: IncidentState, local: datetime) -> str:
    return (
        f"The alarm behind {s.id} ({s.title}) cleared at {local:{_WHEN}}; nothing closes by itself."
    )


def fired_after_resolution(s: IncidentState) -> str:
    return (
        f"The alarm behind {s.id} ({s.title}) fired again after it was resolved: "
        f"`incident reopen {s.id} --reason …` if it is back."
    )


def heartbeat_due(name: str) -> str:
    """The heartbeat's timer in the Web UI."""
    return f"{name} due to check in"


def heartbeat_title(name: str) -> str:
    return f"{name} has not checked in"


def heartbeat_silent(name: str, local: datetime) -> str:
    return f"{name} has not checked in since {local:{_WHEN}}"


def heartbeat_description(name: str, interval: timedelta, local: datetime) -> str:
    return (
        f"The monitor {name} promised to check in every {format_duration(interval)} and has not "
        f"since {local:%Y-%m-%d %H.%M}."
    )
