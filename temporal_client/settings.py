"""Every setting in one place, read from the environment or a `.env` file.

The organisation's process settings are the worker's: they become a
:class:`workflows.model.Policy`, read when an incident opens (``activities/policy.py``) and
recorded in its history, so a running incident never reads the environment. Front ends need only
where Temporal is and who acts.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.service import TLSConfig

from temporal_client.codec import CodecError, CodecKey, parse_keys
from workflows.clock import format_duration, parse_duration
from workflows.model import EFFECT_TYPES, Model, Policy, Severity
from workflows.vocabulary.basics import parse_user
from workflows.vocabulary.policy import OfficeHours, RetroDue

DEFAULT_TASK_QUEUE = "incidents"

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_OFFICE_HOURS = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})-(?P<closes>\d{1,2}:\d{2})\s+(?P<tz>\S+)$"
)


def _setting_duration(span: timedelta) -> str:
    """``timedelta(hours=1, minutes=30)`` → ``1h30m``, as the settings write durations."""
    return format_duration(span).replace(" ", "")


def format_intervals(intervals: dict[Severity, timedelta]) -> str:
    """The reminder cadence as INCIDENT_REMINDER_INTERVALS writes it: ``sev1=30m,sev2=1h,…``."""
    return ",".join(f"{sev.value}={_setting_duration(span)}" for sev, span in intervals.items())


def format_retro_due(due: dict[Severity, RetroDue]) -> str:
    """Retro due as INCIDENT_RETRO_DUE writes it: ``sev1=3d,sev2=5wd,…``."""
    return ",".join(
        f"{sev.value}={d.days}{'wd' if d.working_days else 'd'}" for sev, d in due.items()
    )


def format_office_hours(hours: OfficeHours) -> str:
    """Office hours as INCIDENT_OFFICE_HOURS writes them: ``Mon-Fri 09:00-17:30 Europe/London``."""
    first, last = (_WEEKDAYS[hours.weekdays[i]].title() for i in (0, -1))
    days = first if first == last else f"{first}-{last}"
    return f"{days} {hours.opens:%H:%M}-{hours.closes:%H:%M} {hours.timezone}"


# The process defaults are the policy's (workflows/vocabulary/policy.py); the settings write
# them as text.
_POLICY = Policy()


class SettingsError(ValueError):
    """A setting that cannot be understood; the message names it and says what was expected."""


class _FromEnvironment(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")


def _declared_settings(model: type[Model]) -> dict[str, tuple[str, FieldInfo]]:
    """The fields of ``model`` that name their setting (``workflows.vocabulary.policy.setting``),
    by the setting's field name here."""
    declared: dict[str, tuple[str, FieldInfo]] = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and isinstance(extra.get("setting"), str):
            declared[str(extra["setting"]).lower()] = (name, field)
    return declared


def _destination_options() -> dict[str, type[Model]]:
    return {
        kind.destination_name(): kind.options for kind in EFFECT_TYPES if kind.options is not None
    }


def _policy_settings() -> dict[str, tuple[type, Any]]:
    """The settings that policy fields and destinations' options declare: a field says its
    name and default once, and is read from the environment like every other setting."""
    models: list[type[Model]] = [Policy, *_destination_options().values()]
    settings: dict[str, tuple[type, Any]] = {}
    for model in models:
        for setting, (_, field) in _declared_settings(model).items():
            assert isinstance(field.json_schema_extra, dict)
            settings[setting] = (str, field.json_schema_extra["setting_default"])
    return settings


if TYPE_CHECKING:

    class _WithPolicySettings(_FromEnvironment):
        """What type checkers see: the declared settings' names are known only at run time."""

else:
    _WithPolicySettings = create_model(
        "_WithPolicySettings", __base__=_FromEnvironment, **_policy_settings()
    )


class Settings(_WithPolicySettings):
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = DEFAULT_TASK_QUEUE
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: SecretStr | None = None

    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_platform_channel: str = _POLICY.platform_channel
    slack_response_channel: str = _POLICY.response_channel
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None

    statuspage_api_key: SecretStr | None = None
    statuspage_page_id: str | None = None
    statuspage_api_url: str = "https://api.statuspage.io/v1/"
    statuspage_components: str = ""

    incident_delivery_managers: str = ""
    incident_infosec_head: str | None = None
    incident_reminder_intervals: str = format_intervals(_POLICY.reminder_intervals)
    incident_dm_reminder_interval: str = _setting_duration(_POLICY.dm_reminder_interval)
    incident_escalate_after: int = _POLICY.escalate_after_reminders
    incident_office_hours: str = format_office_hours(_POLICY.office_hours)
    incident_holidays: str = "GB-ENG"
    incident_retro_due: str = format_retro_due(_POLICY.retro_due)
    incident_channel_mode: Literal["per_incident", "shared"] = _POLICY.channel_mode
    incident_archive_on_close: bool = _POLICY.archive_on_close
    incident_user: str | None = None
    incident_data_dir: Path = Path(".incident")
    incident_cli_timeout_seconds: float = 10.0
    incident_metrics_port: int | None = None
    incident_codec_keys: SecretStr | None = None
    incident_codec_cors_origins: str = "http://localhost:8233,http://localhost:8080"
    # The alarm intake, `incident intake` (read by intake/config.py, which says what each holds).
    incident_sns_topics: str = ""
    incident_sns_cert_url: str = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/(SimpleNotificationService-[0-9a-f]+\.pem|\?Action=ConfirmSubscription&.+)$"
    incident_alert_tokens: SecretStr | None = None
    incident_grafana_secret: SecretStr | None = None
    incident_heartbeats: str = ""

    def policy(self) -> Policy:
        """The process settings as recorded in a new incident's workflow input."""
        return self._policy(parse_holidays(self.incident_holidays, date.today()))

    def check(self, *, policy: bool = True) -> None:
        """Check every setting, so that a bad one is one sentence before anything is sent.
        Without ``policy`` (a one-shot command: the process settings are the worker's, which
        reads them when an incident opens) the organisation's settings are not read at all."""
        if policy:
            self.policy()
        self.codec_keys()

    def office_hours(self) -> OfficeHours:
        """The office hours without their holidays: enough for a timezone or an opening time."""
        return parse_office_hours(self.incident_office_hours)

    def _policy(self, holidays: list[date]) -> Policy:
        return Policy(
            delivery_managers=self.delivery_managers(),
            infosec_head=_user("INCIDENT_INFOSEC_HEAD", self.incident_infosec_head)
            if self.incident_infosec_head
            else None,
            reminder_intervals=parse_intervals(self.incident_reminder_intervals),
            dm_reminder_interval=_duration(
                "INCIDENT_DM_REMINDER_INTERVAL", self.incident_dm_reminder_interval
            ),
            escalate_after_reminders=max(1, self.incident_escalate_after),
            office_hours=self.office_hours().model_copy(update={"holidays": holidays}),
            retro_due=parse_retro_due(self.incident_retro_due),
            channel_mode=self.incident_channel_mode,
            platform_channel=self.slack_platform_channel,
            response_channel=self.slack_response_channel,
            archive_on_close=self.incident_archive_on_close,
            **self._declared_by_policy(),
        )

    def _declared_by_policy(self) -> dict[str, Any]:
        """The policy fields that declare their own setting, and the destinations' options."""
        values = self._read(Policy)
        values["destinations"] = {
            kind: self._checked(options, self._read(options))
            for kind, options in _destination_options().items()
        }
        return values

    @staticmethod
    def _checked(options: type[Model], values: dict[str, Any]) -> dict[str, Any]:
        """A destination's options as its model takes them, or the setting named in one sentence:
        a bad value is refused when an incident starts, never inside a running one."""
        try:
            return options.model_validate(values).model_dump(mode="json")
        except ValidationError as error:
            problem = error.errors()[0]
            field = options.model_fields[str(problem["loc"][0])]
            extra = field.json_schema_extra
            setting = extra.get("setting") if isinstance(extra, dict) else problem["loc"][0]
            expected = field.description or problem["msg"].lower()
            raise SettingsError(f"{setting}: {problem['input']!r} should be {expected}.") from None

    def _read(self, model: type[Model]) -> dict[str, Any]:
        """``model``'s fields that declare a setting, parsed by the field's type."""
        values: dict[str, Any] = {}
        for setting, (name, field) in _declared_settings(model).items():
            parse = _PARSERS[field.annotation]
            values[name] = parse(setting.upper(), getattr(self, setting))
        return values

    def tls(self) -> TLSConfig | bool:
        """mTLS from TEMPORAL_TLS_CERT/KEY (and _CA); TLS trusting TEMPORAL_TLS_CA alone (a
        self-hosted server's own CA, e.g. with a TEMPORAL_API_KEY for its JWT authorizer); plain
        TLS with an API key; else none."""
        if self.temporal_tls_cert or self.temporal_tls_key:
            if not (self.temporal_tls_cert and self.temporal_tls_key):
                raise SettingsError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together.")
            return TLSConfig(
                client_cert=_read(self.temporal_tls_cert),
                client_private_key=_read(self.temporal_tls_key),
                server_root_ca_cert=_read(self.temporal_tls_ca) if self.temporal_tls_ca else None,
            )
        if self.temporal_tls_ca:
            return TLSConfig(server_root_ca_cert=_read(self.temporal_tls_ca))
        return self.temporal_api_key is not None

    def codec_keys(self) -> list[CodecKey]:
        """The payload keys from INCIDENT_CODEC_KEYS, the encrypting one first; none when unset."""
        if self.incident_codec_keys is None:
            return []
        try:
            return parse_keys(self.incident_codec_keys.get_secret_value())
        except CodecError as error:
            raise SettingsError(str(error)) from None

    def codec_cors_origins(self) -> list[str]:
        return [
            o.strip().rstrip("/") for o in self.incident_codec_cors_origins.split(",") if o.strip()
        ]

    def components(self) -> dict[str, str]:
        """``STATUSPAGE_COMPONENTS``: the page components an incident affects."""
        from activities.statuspage import parse_components

        try:
            return parse_components(self.statuspage_components)
        except ValueError as error:
            raise SettingsError(f"STATUSPAGE_COMPONENTS: {error}.") from None

    def delivery_managers(self) -> list[str]:
        names = [n for n in self.incident_delivery_managers.split(",") if n.strip()]
        return [_user("INCIDENT_DELIVERY_MANAGERS", name) for name in names]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SettingsError(
            f"Cannot read a TLS file: {error.strerror}: {error.filename}."
        ) from None


def _user(setting: str, text: str) -> str:
    try:
        return parse_user(text)
    except ValueError as error:
        raise SettingsError(f"{setting}: {error}.") from None


def _duration(setting: str, text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise SettingsError(f"{setting}: {error}.") from None


def _pairs(setting: str, text: str, *, every_severity: bool = True) -> dict[Severity, str]:
    pairs: dict[Severity, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            pairs[Severity(name.strip().lower())] = value.strip()
        except ValueError:
            raise SettingsError(
                f"{setting}: {part!r} should look like sev1=30m (severities sev1, sev2, sev3)."
            ) from None
    missing = [s.value for s in Severity if s not in pairs]
    if missing and every_severity:
        raise SettingsError(f"{setting}: no value for {', '.join(missing)}.")
    return pairs


def parse_intervals(text: str) -> dict[Severity, timedelta]:
    """``sev1=30m,sev2=1h,sev3=4h`` → the stale-progress reminder cadence by severity."""
    setting = "INCIDENT_REMINDER_INTERVALS"
    return {sev: _duration(setting, value) for sev, value in _pairs(setting, text).items()}


def _severity_durations(setting: str, text: str) -> dict[Severity, timedelta]:
    """``sev1=30m,sev2=1h``: a duration for some severities (the others have none)."""
    pairs = _pairs(setting, text, every_severity=False)
    return {sev: _duration(setting, value) for sev, value in pairs.items()}


# How a policy field that declares its setting is read, by the field's type.
_PARSERS: dict[Any, Any] = {
    dict[Severity, timedelta] | None: _severity_durations,
    timedelta: _duration,
    timedelta | None: _duration,
    str: lambda setting, text: text.strip(),
}


def parse_retro_due(text: str) -> dict[Severity, RetroDue]:
    """``sev1=3d,sev2=5wd`` → retro due after calendar days (d) or working days (wd)."""
    due: dict[Severity, RetroDue] = {}
    for sev, value in _pairs("INCIDENT_RETRO_DUE", text).items():
        match = re.fullmatch(r"(\d+)(wd|d)", value)
        if not match or not 1 <= int(match.group(1)) <= 60:
            raise SettingsError(
                f"INCIDENT_RETRO_DUE: {value!r} should be days like 3d or working days like 5wd."
            )
        due[sev] = RetroDue(days=int(match.group(1)), working_days=match.group(2) == "wd")
    return due


def parse_office_hours(text: str) -> OfficeHours:
    """``Mon-Fri 09:00-17:30 Europe/London`` → office hours; sev2/sev3 reminders wait for them."""
    problem = SettingsError(
        f"INCIDENT_OFFICE_HOURS: {text!r} should look like 'Mon-Fri 09:00-17:30 Europe/London'."
    )
    match = _OFFICE_HOURS.match(text.strip().lower())
    if not match:
        raise problem
    first, last = match.group("first"), match.group("last") or match.group("first")
    if first not in _WEEKDAYS or last not in _WEEKDAYS:
        raise problem
    start, end = _WEEKDAYS.index(first), _WEEKDAYS.index(last)
    weekdays = [d % 7 for d in range(start, end + 1 if end >= start else end + 8)]
    try:
        opens = time.fromisoformat(match.group("opens").zfill(5))
        closes = time.fromisoformat(match.group("closes").zfill(5))
        zone = next(z for z in _zone_names(text) if z.lower() == match.group("tz"))
        ZoneInfo(zone)
    except (ValueError, StopIteration, ZoneInfoNotFoundError):
        raise problem from None
    if opens >= closes:
        raise problem
    return OfficeHours(weekdays=weekdays, opens=opens, closes=closes, timezone=zone)


def parse_holidays(text: str, today: date) -> list[date]:
    """``GB-ENG`` (a country and, after a dash, its subdivision, as the ``holidays`` package
    names them) → this year's and next year's bank holidays; empty → none."""
    import holidays

    code = text.strip().upper()
    if not code:
        return []
    country, _, subdivision = code.partition("-")
    try:
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=[today.year, today.year + 1]
        )
    except NotImplementedError:
        raise SettingsError(
            f"INCIDENT_HOLIDAYS: {text!r} is not a calendar the holidays package knows "
            "(a country code and optional subdivision, like GB-ENG or GB-SCT)."
        ) from None
    return sorted(calendar)


def _zone_names(text: str) -> list[str]:
    return text.split()[-1:]
