"""The calendar on the time-skipping server: bank holidays hold sev2 reminders, never sev1.

The holidays come from the setting's calendar (INCIDENT_HOLIDAYS, default GB-ENG), recorded in
the incident's policy when it starts.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from temporal_client.settings import parse_holidays
from tests.people import DM
from tests.test_workflow import Desk, assert_at, desk, state_of, timeline_of
from workflows.model import EntryKind, Policy, Severity, Timer
from workflows.vocabulary.policy import OfficeHours

__all__ = ["desk"]  # the fixture, imported for pytest

LONDON = ZoneInfo("Europe/London")


async def test_over_christmas_sev2_reminds_on_the_next_working_day_and_sev1_does_not_wait(
    desk: Desk,
) -> None:
    now = (await desk.env.get_current_time()).astimezone(LONDON)
    year = now.year if now < datetime(now.year, 12, 24, 16, tzinfo=LONDON) else now.year + 1
    christmas_eve = datetime(year, 12, 24, 16, 45, tzinfo=LONDON)  # 45 min before closing
    bank_holidays = parse_holidays("GB-ENG", christmas_eve.date())
    policy = Policy(delivery_managers=[DM], office_hours=OfficeHours(holidays=bank_holidays))
    await desk.sleep_until(christmas_eve)

    sev2 = await desk.open(severity=Severity.SEV2, policy=policy)
    sev1 = await desk.open(severity=Severity.SEV1, policy=policy)

    # The first working day after Christmas Eve: not the 25th or 26th (nor, in years when one
    # falls at a weekend, the Monday or Tuesday it is observed on).
    day = christmas_eve.date() + timedelta(days=1)
    while day.weekday() >= 5 or day in bank_holidays:
        day += timedelta(days=1)
    first_working_morning = datetime.combine(day, time(9), tzinfo=LONDON)
    due = (await state_of(sev2)).timers[Timer.STALE_PROGRESS]
    assert due == first_working_morning

    await desk.sleep_until(first_working_morning + timedelta(minutes=5))
    [sev2_reminder] = await timeline_of(sev2, EntryKind.REMINDER)
    assert_at(sev2_reminder.at, first_working_morning)
    # Sev1 reminded every 30 minutes straight through the holidays.
    sev1_reminders = await timeline_of(sev1, EntryKind.REMINDER)
    sev1_declared = (await state_of(sev1)).created_at
    assert_at(sev1_reminders[0].at, sev1_declared + timedelta(minutes=30))
    assert any(
        r.at.astimezone(LONDON).date() == christmas_eve.date() + timedelta(days=1)
        for r in sev1_reminders
    )
