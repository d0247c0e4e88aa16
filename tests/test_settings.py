"""The settings' own forms (office hours, intervals, retro due) and their defaults."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from temporal_client.settings import (
    Settings,
    SettingsError,
    format_intervals,
    format_office_hours,
    parse_holidays,
    parse_intervals,
    parse_office_hours,
    parse_retro_due,
)
from workflows.destinations.github import GitHubOptions
from workflows.destinations.pager import PagerOptions
from workflows.model import Policy, Severity
from workflows.vocabulary.policy import OfficeHours, RetroDue


def test_parse_office_hours_default_form() -> None:
    hours = parse_office_hours("Mon-Fri 09:00-17:30 Europe/London")
    assert hours == OfficeHours(
        weekdays=[0, 1, 2, 3, 4], opens=time(9), closes=time(17, 30), timezone="Europe/London"
    )


def test_parse_office_hours_single_day_wrapping_range_and_short_hours() -> None:
    assert parse_office_hours("sat 10:00-14:00 UTC").weekdays == [5]
    wrapped = parse_office_hours("Fri-Mon 8:00-18:00 America/New_York")
    assert wrapped.weekdays == [4, 5, 6, 0]
    assert (wrapped.opens, wrapped.timezone) == (time(8), "America/New_York")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "weekdays 9-5",
        "Mon-Fri 09:00-17:30",  # no timezone
        "Mon-Xyz 09:00-17:30 Europe/London",
        "Mon-Fri 25:00-26:00 Europe/London",
        "Mon-Fri 17:30-09:00 Europe/London",  # closes before it opens
        "Mon-Fri 09:00-17:30 Mars/Olympus_Mons",
    ],
)
def test_parse_office_hours_rejects_with_the_setting_name(text: str) -> None:
    with pytest.raises(SettingsError, match="INCIDENT_OFFICE_HOURS"):
        parse_office_hours(text)


def test_parse_intervals() -> None:
    assert parse_intervals("sev1=15m, SEV2=2h,sev3=1d") == {
        Severity.SEV1: timedelta(minutes=15),
        Severity.SEV2: timedelta(hours=2),
        Severity.SEV3: timedelta(days=1),
    }


@pytest.mark.parametrize(
    "text",
    ["sev1=30m,sev2=1h", "sev1=30m,sev2=1h,sev3=soon", "sev1=30m,sev2=1h,sev4=4h", "30m"],
)
def test_parse_intervals_rejects_with_the_setting_name(text: str) -> None:
    with pytest.raises(SettingsError, match="INCIDENT_REMINDER_INTERVALS"):
        parse_intervals(text)


def test_parse_retro_due() -> None:
    assert parse_retro_due("sev1=3d,sev2=5wd,sev3=10wd") == {
        Severity.SEV1: RetroDue(days=3),
        Severity.SEV2: RetroDue(days=5, working_days=True),
        Severity.SEV3: RetroDue(days=10, working_days=True),
    }


@pytest.mark.parametrize(
    "text",
    [
        "sev1=3d,sev2=5wd",
        "sev1=3x,sev2=5wd,sev3=5wd",
        "sev1=0d,sev2=5wd,sev3=5wd",
        "sev1=61d,sev2=5wd,sev3=5wd",
    ],
)
def test_parse_retro_due_rejects_with_the_setting_name(text: str) -> None:
    with pytest.raises(SettingsError, match="INCIDENT_RETRO_DUE"):
        parse_retro_due(text)


def test_the_settings_defaults_are_the_models_written_as_text() -> None:
    """One source: the defaults the settings table shows are Policy()'s, and read back as it."""
    fields = Settings.model_fields
    assert fields["incident_reminder_intervals"].default == "sev1=30m,sev2=1h,sev3=4h"
    assert fields["incident_office_hours"].default == "Mon-Fri 09:00-17:30 Europe/London"
    assert fields["incident_retro_due"].default == "sev1=3d,sev2=5wd,sev3=5wd"
    assert fields["incident_dm_reminder_interval"].default == "30m"
    assert fields["incident_statuspage_reminder"].default == "sev1=30m,sev2=1h"
    assert fields["incident_holidays"].default == "GB-ENG"
    defaults = Settings.model_construct().policy()
    # New incidents get the status page cadence and England's bank holidays; the fields' own
    # defaults (none) are for incidents begun before they existed.
    cadence = {Severity.SEV1: timedelta(minutes=30), Severity.SEV2: timedelta(hours=1)}
    holidays = parse_holidays("GB-ENG", date.today())
    assert date(date.today().year, 12, 25) in holidays
    office_hours = OfficeHours(holidays=holidays)
    # No repository named, no paging: off.
    off = {"github_retro": GitHubOptions().model_dump(), "pager": PagerOptions().model_dump()}
    hour = timedelta(hours=1)
    ask = {Severity.SEV1: timedelta(minutes=15), Severity.SEV2: hour, Severity.SEV3: hour}
    assert defaults == Policy(
        statuspage_reminder=cadence,
        ask_reminder=ask,
        office_hours=office_hours,
        destinations=off,
    )
    assert format_intervals({Severity.SEV1: timedelta(hours=1, minutes=30)}) == "sev1=1h30m"
    assert format_office_hours(OfficeHours(weekdays=[5])) == "Sat 09:00-17:30 Europe/London"


def test_holidays_come_from_the_calendar_named_and_a_bad_one_is_one_sentence() -> None:
    december = date(2026, 12, 1)
    england = parse_holidays("GB-ENG", december)
    assert [d for d in england if d.month == 12 and d.year == 2026] == [
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 12, 28),  # Boxing Day falls on a Saturday: observed on the Monday
    ]
    assert date(2027, 1, 1) in england  # next year's too: a retro due after New Year
    assert date(2026, 11, 30) in parse_holidays("GB-SCT", december)  # St Andrew's Day
    assert date(2026, 11, 30) not in england
    assert parse_holidays("", december) == []
    with pytest.raises(SettingsError) as raised:
        parse_holidays("Narnia", december)
    assert str(raised.value) == (
        "INCIDENT_HOLIDAYS: 'Narnia' is not a calendar the holidays package knows "
        "(a country code and optional subdivision, like GB-ENG or GB-SCT)."
    )


def test_a_ca_alone_means_tls_trusting_it_as_a_self_hosted_server_with_a_jwt_authorizer_needs(
    tmp_path: Path,
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"the server's own CA")
    tls = Settings(_env_file=None, temporal_tls_ca=ca, temporal_api_key="a.jwt.token").tls()
    assert not isinstance(tls, bool)
    assert (tls.server_root_ca_cert, tls.client_cert) == (b"the server's own CA", None)
    with pytest.raises(SettingsError, match="Cannot read a TLS file"):
        Settings(_env_file=None, temporal_tls_ca=tmp_path / "nope.pem").tls()


def test_a_client_certificate_is_sent_with_the_ca_that_signed_the_server(tmp_path: Path) -> None:
    for name in ("client.pem", "client.key", "ca.pem"):
        (tmp_path / name).write_text(name)
    tls = Settings(
        _env_file=None,
        temporal_tls_cert=tmp_path / "client.pem",
        temporal_tls_key=tmp_path / "client.key",
        temporal_tls_ca=tmp_path / "ca.pem",
    ).tls()
    assert not isinstance(tls, bool)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (
        b"client.pem",
        b"client.key",
        b"ca.pem",
    )
