"""The status page, a destination: the public incident on Statuspage, created at the first post
and updated after; the page shows only the newest state, so a newer post makes an undelivered
older one stale. What the posts say is built by ``messages/`` (their line in the Web UI by
``messages/statuspage.py``); how they reach Statuspage is ``activities/statuspage.py``. Pure
models only: this runs in the workflow sandbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final, Literal

from messages import statuspage as say
from workflows.destinations.base import Delivery, Lane
from workflows.vocabulary.basics import Model, StatusPageImpact, StatusPageStatus

if TYPE_CHECKING:
    from workflows.model.state import IncidentState
    from workflows.vocabulary.policy import Policy

POST_STATUS_PAGE_ACTIVITY: Final = "post_status_page"

STATUS_PAGE = Lane("status-page")


class StatusPageRef(Model):
    page_incident_id: str


class StatusPagePost(Delivery):
    activity: ClassVar[str] = POST_STATUS_PAGE_ACTIVITY
    result: ClassVar[type[Model] | None] = StatusPageRef

    kind_of_effect: Literal["statuspage"] = "statuspage"
    incident_id: str
    page_incident_id: str | None
    name: str
    status: StatusPageStatus
    body: str
    impact_override: StatusPageImpact | None = None

    def lane(self) -> Lane:
        return STATUS_PAGE

    def supersedes(self, older: Delivery) -> bool:
        return isinstance(
            older, StatusPagePost
        )  # the page shows the newest state; a burst of stale posts helps nobody

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        return say.activity_summary(self.status, self.impact_override)
