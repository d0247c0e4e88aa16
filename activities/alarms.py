"""The activities of an alarm's workflow (``workflows/alarm.py``): opening a report for it, and
handing a change to its open report or incident. Both go through the same client as every front
end, and both are idempotent: a report is started under the notification's id (a retry finds the
report it started), and a change is an Update whose id is the notification's.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.service import RPCError, RPCStatusCode

from messages import alarm_sentences as say
from temporal_client.client import IncidentClient, incident_id_for
from workflows.model import Arrival, IncidentStart
from workflows.model.activities import ActivityName
from workflows.model.alarms import (
    AlarmChange,
    AlarmForwarded,
    AlarmOrigin,
    AlarmReport,
    AlarmSource,
    ForwardAlarm,
)
from workflows.vocabulary.basics import ALARM_REPORTER, TEXT_MAX, TITLE_MAX

ALARM_UPDATE = "alarm"  # IncidentWorkflow.alarm


class AlarmActivities:
    def __init__(self, client: IncidentClient) -> None:
        self._client = client

    @activity.defn(name=ActivityName.OPEN_ALARM_REPORT)
    async def open_alarm_report(self, report: AlarmReport) -> str:
        """Start the report (as `incident report` would, the alarm as its reporter); its id."""
        notice = report.notice
        zone = ZoneInfo(self._client.settings.office_hours().timezone)
        local = notice.at.astimezone(zone)
        title, description = notice.title, say.report_description(notice, local)
        if notice.source is AlarmSource.HEARTBEAT and report.heartbeat_interval is not None:
            since = (notice.at - report.heartbeat_interval).astimezone(zone)
            name = notice.key.split(":", 1)[1]
            title = say.heartbeat_silent(name, since)
            description = say.heartbeat_description(name, report.heartbeat_interval, since)
        start = IncidentStart(
            id=incident_id_for(title, local.date()),
            title=title[:TITLE_MAX],
            description=description[:TEXT_MAX],
            actor=f"{ALARM_REPORTER}{notice.source.value}",
            arrived_via=Arrival.ALARM,
            alarm=AlarmOrigin(
                source=notice.source,
                key=notice.key,
                title=notice.title,
                source_url=notice.source_url,
                fired_at=notice.at,
                delivery_id=notice.delivery_id,
                previous_incident=report.previous_incident,
            ),
        )
        state = await self._client.start(
            start, explicit_id=False, request_id=f"alarm:{notice.delivery_id}", from_a_worker=True
        )
        return state.id

    @activity.defn(name=ActivityName.FORWARD_ALARM)
    async def forward_alarm(self, change: ForwardAlarm) -> AlarmForwarded:
        """The incident's answer; one that has ended (or is gone) answers ``ended``."""
        notice = change.notice
        handle = self._client.temporal.get_workflow_handle(change.incident_id)
        try:
            forwarded: AlarmForwarded = await handle.execute_update(
                ALARM_UPDATE,
                AlarmChange(notice=notice),
                id=f"alarm:{notice.delivery_id}",
                result_type=AlarmForwarded,
            )
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND or "already completed" in error.message:
                return AlarmForwarded(incident_id=change.incident_id, ended=True)
            raise
        return forwarded
