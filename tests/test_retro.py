"""The retro's first draft and the incident figures over time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from frontends.stats import incident_stats, median, percentile
from messages.retro import initials, retro_draft, retro_file_name
from tests.people import DM, LEAD, NEW_LEAD
from tests.test_workflow import Desk, desk, state_of, timeline_of
from workflows.destinations.slack import Audience, NoticeKind
from workflows.model import (
    Action,
    Command,
    EntryKind,
    IncidentState,
    Policy,
    Severity,
    Status,
    StatusPageStatus,
    TimelineEntry,
)
from workflows.model.commands import Handover, PostStatusPage, ProgressUpdate, Resolve, Retro

__all__ = ["desk"]  # the fixture, imported for pytest

LONDON = ZoneInfo("Europe/London")
EXPECTED = Path(__file__).parent / "expected"


def _next_sunday_afternoon(after: datetime) -> datetime:
    day = after.astimezone(LONDON).date() + timedelta(days=1)
    while day.weekday() != 6:
        day += timedelta(days=1)
    return datetime.combine(day, time(15, 0), tzinfo=LONDON)


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


async def test_a_weekend_incident_drafts_its_retro_in_the_organisations_format(
    desk: Desk,
) -> None:
    sunday = _next_sunday_afternoon(await desk.env.get_current_time())
    await desk.sleep_until(sunday)
    policy = Policy(delivery_managers=[DM])  # office hours: Mon-Fri 09:00-17:30 London
    handle = await desk.open(severity=Severity.SEV2, policy=policy, title="Search API down")

    async def at(moment: datetime, action: Action, command: Command) -> None:
        await desk.sleep_until(moment)
        await desk.send(handle, action, command)

    await at(
        sunday + timedelta(minutes=10),
        Action.UPDATE,
        ProgressUpdate(actor=LEAD, text="The search cluster is red"),
    )
    await at(
        sunday + timedelta(minutes=20),
        Action.STATUSPAGE,
        PostStatusPage(
            actor=DM, status=StatusPageStatus.INVESTIGATING, text="Search is unavailable"
        ),
    )
    await at(sunday + timedelta(minutes=45), Action.HANDOVER, Handover(actor=LEAD, to=NEW_LEAD))
    await at(
        sunday + timedelta(hours=3, minutes=2),
        Action.UPDATE,
        ProgressUpdate(actor=NEW_LEAD, text="cause: the data disks filled with logs"),
    )
    monday = sunday + timedelta(hours=18, minutes=15)  # 09:15 Monday, after a 09:00 reminder
    await at(
        monday,
        Action.UPDATE,
        ProgressUpdate(actor=NEW_LEAD, text="action: alert on disk usage above 80%"),
    )
    await at(
        monday + timedelta(minutes=15),
        Action.RESOLVE,
        Resolve(actor=DM, summary="Logs rotated, cluster green"),
    )
    await at(
        monday + timedelta(minutes=25),
        Action.RETRO,
        Retro(actor=DM, notes="Log rotation was disabled by the last upgrade"),
    )

    state = await state_of(handle)
    timeline = await timeline_of(handle)
    assert [e.kind for e in timeline].count(EntryKind.REMINDER) == 1  # Monday 09:00, left out
    draft = retro_draft(state, timeline, zone=LONDON, name_of=lambda p: p.removeprefix("U0"))
    expected = (
        (EXPECTED / "retro_sunday_to_monday.md")
        .read_text()
        .format(
            id=handle.id,
            channel=state.channel_name,
            sunday=_long(sunday.date()),
            monday=_long(sunday.date() + timedelta(days=1)),
        )
    )
    assert draft == expected
    assert retro_file_name(state, LONDON) == f"{sunday.date().isoformat()}_search-api-down.md"


def _state(n: int, **fields: object) -> IncidentState:
    base = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "id": f"inc-{n}",
        "title": f"Incident {n}",
        "status": Status.CLOSED,
        "reporter": "U0REP",
        "created_at": base,
        "severity": Severity.SEV2,
    }
    values.update(fields)
    return IncidentState.model_validate(values)


def test_stats_match_figures_worked_out_by_hand() -> None:
    t0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

    def minutes(m: int) -> datetime:
        return t0 + timedelta(minutes=m)

    states = [
        # Accepted after 10 min, first update 5 min later, resolved at 60 min; retro held.
        _state(
            1,
            severity=Severity.SEV1,
            acknowledged_at=minutes(10),
            active_at=minutes(10),
            first_update_at=minutes(15),
            resolved_at=minutes(60),
            retro_notes="n",
            reminders_sent=2,
            escalations_sent=1,
        ),
        # Declared (active at once), acknowledged at 30, update at 20, resolved at 120; skipped.
        _state(
            2,
            acknowledged_at=minutes(30),
            active_at=minutes(0),
            first_update_at=minutes(20),
            resolved_at=minutes(120),
            retro_skipped_reason="trivial",
            reminders_sent=4,
        ),
        # Accepted at 20, update at 60, resolved at 240; retro held.
        _state(
            3,
            severity=Severity.SEV3,
            acknowledged_at=minutes(20),
            active_at=minutes(20),
            first_update_at=minutes(60),
            resolved_at=minutes(240),
            retro_notes="n",
        ),
        # A security incident and a declined report: counted apart.
        _state(4, security=True, active_at=minutes(0), resolved_at=minutes(30), retro_notes="n"),
        _state(5, status=Status.DECLINED, severity=None, decline_reason="later"),
    ]
    figures = incident_stats(states)
    main = figures.incidents
    assert main.incidents == 3 and figures.security.incidents == 1 and figures.declined == 1
    assert main.by_severity == {"sev1": 1, "sev2": 1, "sev3": 1}
    assert main.by_outcome == {"retro held": 2, "retro skipped": 1}
    # acknowledge: 10, 30, 20 → median 20, p90 30 (nearest rank: ceil(0.9 * 3) = 3rd)
    assert main.durations["time_to_acknowledge"].median == timedelta(minutes=20)
    assert main.durations["time_to_acknowledge"].p90 == timedelta(minutes=30)
    # declare: 10, 0, 20 → median 10; first update: 5, 20, 40 → median 20, p90 40
    assert main.durations["time_to_declare"].median == timedelta(minutes=10)
    assert main.durations["time_to_first_update"].median == timedelta(minutes=20)
    assert main.durations["time_to_first_update"].p90 == timedelta(minutes=40)
    # resolve: 60, 120, 240 → median 120, p90 240
    assert main.durations["time_to_resolve"].median == timedelta(minutes=120)
    assert main.durations["time_to_resolve"].p90 == timedelta(minutes=240)
    assert main.reminders_per_incident == 2.0  # (2 + 4 + 0) / 3
    assert main.escalations_per_incident == pytest.approx(1 / 3)
    assert figures.security.durations["time_to_resolve"].median == timedelta(minutes=30)


def test_median_and_percentile_of_an_even_count() -> None:
    spans = [timedelta(minutes=m) for m in (40, 10, 30, 20)]
    assert median(spans) == timedelta(minutes=25)
    assert percentile(spans, 0.9) == timedelta(minutes=40)
    assert percentile(spans, 0.5) == timedelta(minutes=20)


def _entry(minute: int, actor: str, kind: EntryKind, text: str) -> TimelineEntry:
    return TimelineEntry(
        at=datetime(2026, 7, 1, 8, minute, tzinfo=UTC), actor=actor, kind=kind, text=text
    )


def test_the_draft_keeps_what_mattered_and_seeds_causes_and_actions() -> None:
    state = _state(
        7,
        status=Status.RESOLVED,
        resolved_at=datetime(2026, 7, 1, 9, tzinfo=UTC),
        created_at=datetime(2026, 7, 1, 8, tzinfo=UTC),
        channel_name="#inc-7",
    )
    timeline = [
        _entry(0, "U0DM", EntryKind.DECLARED, "Declared sev1 incident: Incident 7; lead U0LEAD"),
        _entry(1, "incident-bot", EntryKind.CHANNEL, "Incident channel: #inc-7"),
        _entry(30, "incident-bot", EntryKind.REMINDER, "No progress update for 30m."),
        _entry(31, "incident-bot", EntryKind.ESCALATION, "inc-7 has had no progress update."),
        _entry(40, "U0LEAD", EntryKind.UPDATE, "Cause: expired certificate"),
        _entry(45, "U0LEAD", EntryKind.UPDATE, "ACTION: monitor certificate expiry"),
    ]
    draft = retro_draft(state, timeline, zone=LONDON)
    assert "No progress update for 30m" not in draft  # a nudge
    assert "Incident channel" not in draft
    assert "09.31 Inc-7 has had no progress update." in draft  # BST: UTC+1
    assert "09.00 U0DM Declared sev1 incident" in draft
    assert "**Incident until:** 1 July 2026" in draft
    assert "**Retro held:**\n" in draft  # not held yet
    causes = draft.split("## Analysis of causes")[1].split("## Actions")[0]
    assert "- expired certificate" in causes
    assert draft.endswith("## Actions\n\n- [ ] monitor certificate expiry\n")


def test_initials_of_display_names() -> None:
    assert initials("Ada Lovelace") == "AL"
    assert initials("grace brewster hopper") == "GBH"
    assert initials("U012ABC") == "U012ABC"


async def test_a_new_incident_posts_its_retro_draft_at_resolution(desk: Desk) -> None:
    handle = await desk.open(severity=Severity.SEV1, title="Search API down")
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back"))
    [posted] = desk.slack.received(handle.id, NoticeKind.RETRO_DRAFT)
    state = await state_of(handle)
    assert posted.notice.text.startswith(retro_file_name(state, LONDON))
    assert "# Incident retro - Search API down" in posted.notice.text
    assert posted.notice.audience is Audience.INCIDENT_CHANNEL
