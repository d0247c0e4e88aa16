"""The activities the workflows call that deliver no effect: an alarm's report and changes to
it, and the worker's policy when an incident opens. A destination's activities are named in its
module (``workflows/destinations/``).
"""

from __future__ import annotations

from enum import StrEnum


class ActivityName(StrEnum):
    """Registered names: the workflow calls them by name, never by import."""

    OPEN_ALARM_REPORT = "open_alarm_report"  # an alarm's workflow: a report for the alarm
    FORWARD_ALARM = "forward_alarm"  # an alarm's workflow: a change to its open incident
    READ_POLICY = "read_policy"  # a local activity: the worker's settings, when an incident opens
