"""The custom search attributes that make the Temporal Web UI the incident list."""

from __future__ import annotations

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from workflows.model import IncidentState

INCIDENT_STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
INCIDENT_SEVERITY = SearchAttributeKey.for_keyword("IncidentSeverity")
INCIDENT_LEAD = SearchAttributeKey.for_keyword("IncidentLead")
INCIDENT_SECURITY = SearchAttributeKey.for_bool("IncidentSecurity")
INCIDENT_ALARM = SearchAttributeKey.for_keyword("IncidentAlarm")  # the source of the alarm

ALL_KEYS: tuple[SearchAttributeKey, ...] = (  # type: ignore[type-arg]
    INCIDENT_STATUS,
    INCIDENT_SEVERITY,
    INCIDENT_LEAD,
    INCIDENT_SECURITY,
    INCIDENT_ALARM,
)


def search_attribute_values(state: IncidentState) -> dict[str, str | bool | None]:
    """What the Web UI should show for ``state``; None means the attribute is unset."""
    return {
        INCIDENT_STATUS.name: state.status.value,
        INCIDENT_SEVERITY.name: state.severity.value if state.severity else None,
        INCIDENT_LEAD.name: state.lead,
        INCIDENT_SECURITY.name: state.security,
        INCIDENT_ALARM.name: state.alarm.source.value if state.alarm else None,
    }


def search_attribute_updates(
    current: dict[str, str | bool | None], previous: dict[str, str | bool | None]
) -> list[SearchAttributeUpdate]:  # type: ignore[type-arg]
    """The upserts that bring the Web UI from ``previous`` to ``current``, and only those."""
    updates: list[SearchAttributeUpdate] = []  # type: ignore[type-arg]
    for key in ALL_KEYS:
        value = current[key.name]
        if key.name in previous and previous[key.name] == value:
            continue
        if value is None and previous.get(key.name) is None:
            continue  # never set: nothing to unset
        updates.append(key.value_unset() if value is None else key.value_set(value))
    return updates


def typed_search_attributes(values: dict[str, str | bool | None]) -> TypedSearchAttributes:
    """``values`` as given to a workflow start (unset ones left out)."""
    pairs = [
        SearchAttributePair(key, values[key.name])
        for key in ALL_KEYS
        if values[key.name] is not None
    ]
    return TypedSearchAttributes(pairs)


def published_at_start(given: TypedSearchAttributes) -> dict[str, str | bool | None]:
    """What the Web UI already shows for a run started with ``given`` search attributes."""
    return {key.name: given.get(key) for key in ALL_KEYS}
