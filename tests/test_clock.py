"""Durations, office hours and working days: when a reminder may come (workflows/clock.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.test_process import LONDON, _utc
from workflows import clock


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2D", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert clock.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "m", "1.5h", "-5m", "0m", "5 minutes", "1h30"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        clock.parse_duration(text)


def test_format_duration_reads_naturally() -> None:
    assert clock.format_duration(timedelta(seconds=42)) == "42s"
    assert clock.format_duration(timedelta(hours=1, minutes=5)) == "1h 5m"
    assert clock.format_duration(timedelta(days=2, minutes=1)) == "2d 1m"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Monday evening → Tuesday 09:00 (GMT = UTC in November).
        ("2026-11-23T19:00", "2026-11-24T09:00"),
        # Before opening → the same morning.
        ("2026-11-24T06:30", "2026-11-24T09:00"),
        # Friday evening → Monday morning.
        ("2026-11-20T18:00", "2026-11-23T09:00"),
        # Saturday noon → Monday morning.
        ("2026-11-21T12:00", "2026-11-23T09:00"),
        # Inside office hours: unchanged.
        ("2026-11-23T10:15", "2026-11-23T10:15"),
        # Closing time itself is outside.
        ("2026-11-23T17:30", "2026-11-24T09:00"),
        # Friday 18:00 BST → Monday 09:00 GMT (clocks went back on Sunday 25 October).
        ("2026-10-23T17:00", "2026-10-26T09:00"),
        # Friday 18:00 GMT → Monday 09:00 BST = 08:00 UTC (clocks went forward on 29 March).
        ("2026-03-27T18:00", "2026-03-30T08:00"),
        # In BST: 09:00 London is 08:00 UTC.
        ("2026-06-01T07:59", "2026-06-01T08:00"),
    ],
)
def test_next_office_time(moment: str, expected: str) -> None:
    assert clock.next_office_time(_utc(moment), LONDON) == _utc(expected)


def test_next_office_time_keeps_the_callers_timezone() -> None:
    result = clock.next_office_time(_utc("2026-11-23T19:00"), LONDON)
    assert result.utcoffset() == timedelta(0)


def test_in_office_hours_follows_london_time() -> None:
    assert clock.in_office_hours(_utc("2026-06-01T16:00"), LONDON)  # 17:00 BST
    assert not clock.in_office_hours(_utc("2026-06-01T16:30"), LONDON)  # 17:30 BST
    assert clock.in_office_hours(_utc("2026-12-01T17:00"), LONDON)  # 17:00 GMT
    assert not clock.in_office_hours(_utc("2026-11-21T12:00"), LONDON)  # Saturday


@pytest.mark.parametrize(
    ("moment", "days", "expected"),
    [
        ("2026-11-20T14:00", 1, "2026-11-23T14:00"),  # Friday + 1 → Monday
        ("2026-11-19T14:00", 5, "2026-11-26T14:00"),  # Thursday + 5 → Thursday
        ("2026-11-21T14:00", 5, "2026-11-27T14:00"),  # Saturday + 5 → Friday
        ("2026-11-23T14:00", 3, "2026-11-26T14:00"),  # no weekend in between
        # Friday 14:00 BST + 1 → Monday 14:00 GMT: the local hour is kept across the change.
        ("2026-10-23T13:00", 1, "2026-10-26T14:00"),
    ],
)
def test_add_working_days(moment: str, days: int, expected: str) -> None:
    assert clock.add_working_days(_utc(moment), days, LONDON) == _utc(expected)


CHRISTMAS = LONDON.model_copy(
    update={"holidays": [date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28)]}
)


def test_bank_holidays_have_no_office_hours_and_are_not_working_days() -> None:
    christmas_eve_evening = _utc("2026-12-24 18:00")
    # Friday 25th and Monday 28th are bank holidays (Boxing Day observed): Tuesday it is.
    assert clock.next_office_time(christmas_eve_evening, CHRISTMAS) == _utc("2026-12-29 09:00")
    assert clock.next_office_time(christmas_eve_evening, LONDON) == _utc("2026-12-25 09:00")
    assert not clock.in_office_hours(_utc("2026-12-28 11:00"), CHRISTMAS)
    # Five working days after Wednesday 23rd: 24th, 29th, 30th, 31st and Friday 1st? No: the
    # calendar given holds only 2026's holidays, so 1 January counts here.
    assert clock.add_working_days(_utc("2026-12-23 10:00"), 5, CHRISTMAS) == _utc(
        "2027-01-01 10:00"
    )
    assert clock.add_working_days(_utc("2026-12-23 10:00"), 5, LONDON) == _utc("2026-12-30 10:00")
