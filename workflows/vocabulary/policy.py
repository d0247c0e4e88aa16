"""The organisation's settings in force when an incident started (recorded in it)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Literal

from pydantic import Field, JsonValue
from pydantic.config import JsonDict

from workflows.vocabulary.basics import Model, Severity

# --- Policy: the organisation's settings in force when the incident started ---------------------


class OfficeHours(Model):
    """When people are expected to answer; sev2/sev3 reminders wait for these hours."""

    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday")
    opens: time = time(9, 0)
    closes: time = time(17, 30)
    timezone: str = "Europe/London"
    holidays: list[date] = Field(
        default=[],
        description="days off (bank holidays): no office hours and not working days; recorded "
        "when the incident starts, so a newer calendar never changes how it replays",
    )


class RetroDue(Model):
    """How long after resolution the retro is due: calendar days or working days."""

    days: int = Field(ge=1, le=60)
    working_days: bool = False


def _default_intervals() -> dict[Severity, timedelta]:
    return {
        Severity.SEV1: timedelta(minutes=30),
        Severity.SEV2: timedelta(hours=1),
        Severity.SEV3: timedelta(hours=4),
    }


def _default_retro_due() -> dict[Severity, RetroDue]:
    return {
        Severity.SEV1: RetroDue(days=3),
        Severity.SEV2: RetroDue(days=5, working_days=True),
        Severity.SEV3: RetroDue(days=5, working_days=True),
    }


def setting(name: str, *, default: str) -> JsonDict:
    """A policy field read from the environment by this name (``temporal_client/settings.py``
    makes the setting from the field). ``default`` is what new incidents get when it is unset,
    written as the setting is; the field's own default is what incidents begun before the field
    existed replay with."""
    return {"setting": name, "setting_default": default}


class Policy(Model):
    """Settings recorded in the workflow input, so a running incident never reads the environment."""

    delivery_managers: list[str] = []  # noqa: RUF012 - a pydantic field: pydantic copies it
    infosec_head: str | None = None
    reminder_intervals: dict[Severity, timedelta] = Field(default_factory=_default_intervals)
    dm_reminder_interval: timedelta = timedelta(minutes=30)
    escalate_after_reminders: int = Field(default=2, ge=1)
    office_hours: OfficeHours = OfficeHours()
    retro_due: dict[Severity, RetroDue] = Field(default_factory=_default_retro_due)
    channel_mode: Literal["per_incident", "shared"] = "per_incident"
    platform_channel: str = "#wc-platform"
    response_channel: str = "#wc-incident-response"
    archive_on_close: bool = True
    statuspage_reminder: dict[Severity, timedelta] | None = Field(
        default=None,
        description="nudge the delivery managers when an open status page incident has not been "
        "updated for this long, by severity (none: that severity is not nudged)",
        json_schema_extra=setting("INCIDENT_STATUSPAGE_REMINDER", default="sev1=30m,sev2=1h"),
    )
    ask_reminder: dict[Severity, timedelta] | None = Field(
        default=None,
        description="nudge someone asked to help once when they have not answered for this "
        "long, by severity",
        json_schema_extra=setting("INCIDENT_ASK_REMINDER", default="sev1=15m,sev2=1h,sev3=1h"),
    )
    alert_reminder: timedelta = Field(
        default=timedelta(minutes=15),
        description="nudge the delivery managers this often, at any hour, while an alarm's "
        "report waits for one of them to accept, decline or acknowledge it",
        json_schema_extra=setting("INCIDENT_ALERT_REMINDER", default="15m"),
    )
    delivery_heartbeat_timeout: timedelta | None = Field(
        default=timedelta(seconds=5),
        description="a delivery whose worker falls silent this long (it died) is tried again on "
        "another worker, rather than after its whole 30 s timeout (none: after it)",
        json_schema_extra=setting("INCIDENT_DELIVERY_HEARTBEAT_TIMEOUT", default="5s"),
    )
    destinations: dict[str, dict[str, JsonValue]] = Field(
        default={},
        description="the options of destinations that have them (`Delivery.options`), by their "
        "kind of effect; a destination with none recorded is off",
    )
    history_events_limit: int | None = Field(
        default=None, description="continue-as-new after this many events (tests lower it)"
    )
