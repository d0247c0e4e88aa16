"""Pure time arithmetic: durations, office hours, working days. No clock is read here."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from workflows.vocabulary.policy import OfficeHours

_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m|s)")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``30m``, ``1h30m``, ``2d``, ``1w`` into a timedelta."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration like 30m, 1h30m or 2d")
    total = timedelta()
    for number, unit in parts:
        total += timedelta(**{_UNITS[unit]: int(number)})
    if total <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return total


def format_duration(span: timedelta) -> str:
    """``timedelta(hours=1, minutes=5)`` → ``1h 5m``; seconds only under a minute."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes = seconds // 60
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    return " ".join(parts)


def _local(moment: datetime, hours: OfficeHours) -> datetime:
    return moment.astimezone(ZoneInfo(hours.timezone))


def is_working_day(day: date, hours: OfficeHours) -> bool:
    """One of the office's weekdays and no holiday."""
    return day.weekday() in hours.weekdays and day not in hours.holidays


def in_office_hours(moment: datetime, hours: OfficeHours) -> bool:
    local = _local(moment, hours)
    return is_working_day(local.date(), hours) and hours.opens <= local.time() < hours.closes


def next_office_time(moment: datetime, hours: OfficeHours) -> datetime:
    """``moment`` itself when it falls in office hours, else the next opening."""
    if not hours.weekdays or in_office_hours(moment, hours):
        return moment
    local = _local(moment, hours)
    day = local.date()
    if local.time() >= hours.opens:
        day += timedelta(days=1)
    while not is_working_day(day, hours):
        day += timedelta(days=1)
    opening = datetime.combine(day, hours.opens, tzinfo=ZoneInfo(hours.timezone))
    return opening.astimezone(moment.tzinfo)


def add_working_days(moment: datetime, days: int, hours: OfficeHours) -> datetime:
    """The same local time ``days`` working days later (weekends and holidays skipped)."""
    local = _local(moment, hours)
    added = 0
    while added < days:
        local += timedelta(days=1)
        if is_working_day(local.date(), hours):
            added += 1
    # Recombine from the wall-clock time so a DST change keeps the local hour.
    wall = datetime.combine(local.date(), local.time(), tzinfo=ZoneInfo(hours.timezone))
    return wall.astimezone(moment.tzinfo)
