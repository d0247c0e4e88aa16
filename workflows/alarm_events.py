"""What an alarm does to the incident it reported: the report it opens, firing again, clearing.

The alarm's own workflow (``workflows/alarm.py``) decides when a new report is due; here the
incident records what its alarm did. Flapping collapses: within ``Policy.alert_reminder`` of the
last entry about the alarm, a change is counted, not recorded, and the next entry gives the
counts; the people deciding are told of a clear at most once in that time. Pure: ``now`` is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from messages import alarm_sentences as say
from workflows.destinations.slack import NoticeKind
from workflows.model import EntryKind, IncidentStart, Status, Timer
from workflows.model.alarms import AlarmFacts, AlarmForwarded, AlarmNotice
from workflows.reminders import BOT

if TYPE_CHECKING:
    from workflows.process import Incident

DELIVERIES_KEPT = 50  # the newest notifications' ids, so a sender's retry applies once
ENDED = frozenset({Status.DECLINED, Status.CLOSED})


def open_report(incident: Incident, start: IncidentStart, now: datetime) -> None:
    """The report an alarm opens: the delivery managers are told, and nudged at any hour."""
    origin = start.alarm
    assert origin is not None
    s = incident.state
    s.alarm = AlarmFacts(
        source=origin.source,
        key=origin.key,
        fired_at=origin.fired_at,
        changed_at=origin.fired_at,
        recorded_at=now,
        deliveries=[origin.delivery_id],
        previous_incident=origin.previous_incident,
    )
    local = _local(incident, origin.fired_at)
    incident.record(
        now, start.actor, EntryKind.REPORTED, say.reported_from_alarm(origin, s.title, local)
    )
    incident.notices.direct(
        NoticeKind.REPORTED, incident.policy.delivery_managers, say.alarm_to_triage(s)
    )
    s.timers[Timer.ALERT] = now + incident.policy.alert_reminder


def alarm_changed(incident: Incident, notice: AlarmNotice, now: datetime) -> AlarmForwarded:
    """The alarm fired again or cleared: recorded (or counted, while it flaps). An incident that
    has ended answers so, and its alarm's workflow opens a new report."""
    s = incident.state
    facts = s.alarm
    if facts is None or s.status in ENDED:
        return AlarmForwarded(incident_id=s.id, ended=True)
    if notice.delivery_id in facts.deliveries:
        return AlarmForwarded(incident_id=s.id)
    facts.deliveries = [*facts.deliveries, notice.delivery_id][-DELIVERIES_KEPT:]
    was_firing, facts.firing = facts.firing, notice.firing
    since, facts.changed_at = facts.changed_at, notice.at
    if notice.firing:
        facts.fired += 1
    else:
        facts.cleared += 1
    local = _local(incident, notice.at)
    flapping = now - facts.recorded_at < incident.policy.alert_reminder
    if flapping:
        if notice.firing:
            facts.unrecorded_fired += 1
        else:
            facts.unrecorded_cleared += 1
    else:
        kind = EntryKind.ALARM_FIRED if notice.firing else EntryKind.ALARM_CLEARED
        text = (
            say.fired_again(facts, local)
            if notice.firing
            else say.cleared(facts, local, notice.at - since)
        )
        incident.record(now, BOT, kind, text)
        facts.recorded_at, facts.unrecorded_fired, facts.unrecorded_cleared = now, 0, 0
    if not notice.firing and was_firing:
        _tell_cleared(incident, facts, local, now)
    if notice.firing and s.status is Status.RESOLVED and not flapping:
        incident.notices.direct(
            NoticeKind.TRANSITION,
            [s.lead or "", *incident.policy.delivery_managers],
            say.fired_after_resolution(s),
        )
    incident.follow_timeline()
    return AlarmForwarded(incident_id=s.id)


def _tell_cleared(incident: Incident, facts: AlarmFacts, local: datetime, now: datetime) -> None:
    """The people deciding are told once: the delivery managers while it waits in triage, the
    incident channel once it is being worked on."""
    told = facts.told_cleared_at
    if told is not None and now - told < incident.policy.alert_reminder:
        return
    facts.told_cleared_at = now
    s = incident.state
    text = say.cleared_told(s, local)
    if s.status is Status.TRIAGE:
        incident.notices.direct(NoticeKind.TRANSITION, incident.policy.delivery_managers, text)
    else:
        incident.notices.to_channel(NoticeKind.TRANSITION, text)


def _local(incident: Incident, at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(incident.policy.office_hours.timezone))
