"""The organisation's policy: the worker's settings, read when an incident opens.

The workflow calls :meth:`PolicyActivities.read_policy` as a local activity, so the policy is
recorded in the incident's history: a replay never reads the environment, and a worker whose
settings change later changes new incidents only. Front ends send no policy; where Temporal is and
who acts is all they know.
"""

from __future__ import annotations

from datetime import date

from temporalio import activity

from temporal_client.settings import Settings
from workflows.model import Policy
from workflows.model.activities import ActivityName


class PolicyActivities:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._read_on: date | None = None
        self._policy: Policy | None = None

    @activity.defn(name=ActivityName.READ_POLICY)
    async def read_policy(self) -> Policy:
        """The policy in force today (the bank holidays are this year's and next)."""
        today = date.today()
        if self._policy is None or self._read_on != today:
            self._policy, self._read_on = self._settings.policy(), today
        return self._policy
