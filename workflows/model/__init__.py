"""The incident's model: what the workflow decides, delivers and records, in one vocabulary.

Every input and output of the workflow, its Updates and its activities is one pydantic model
defined here or in what this package builds on, so the CLI, the worker and the tests share one
definition of each: ``effects`` (what activities deliver, and ``Effect``: every destination's
kinds), ``state`` (the recorded state, its timers, its start and what continue-as-new carries),
``commands`` (the Updates' inputs), ``alarms`` (an alarm's workflow). It builds on
``workflows/vocabulary/`` (statuses, severities, people and text limits; the organisation's
policy; the timeline) and ``workflows/destinations/`` (the base every effect declares its
destination on, and the destinations beyond the built-in three), which never import it. Import
from here.
"""

from __future__ import annotations

from workflows.destinations import EFFECT_TYPES, FOLLOWING_THE_TIMELINE, Effect
from workflows.destinations.base import Delivery, IncidentView, Lane, Link
from workflows.destinations.slack import (
    INCIDENT_CHANNEL,
    PLATFORM_CHANNEL,
    SUPERSEDED_BY_NEWER,
    Audience,
    ChannelRef,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import STATUS_PAGE, StatusPagePost, StatusPageRef
from workflows.model.activities import ActivityName
from workflows.model.commands import (
    Accept,
    Action,
    Ask,
    Busy,
    ChangeSeverity,
    Command,
    Decline,
    Handover,
    PostStatusPage,
    ProgressUpdate,
    Reject,
    Reopen,
    Resolve,
    Retro,
    ScheduleRetro,
    SetCriteria,
    Snooze,
    Typed,
)
from workflows.model.state import (
    CarriedState,
    IncidentStart,
    IncidentState,
    LaneBacklog,
    Receipt,
    Timer,
)
from workflows.vocabulary.basics import (
    OPEN_STATUSES,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    WORKING_STATUSES,
    Arrival,
    Model,
    Reason,
    Severity,
    Status,
    StatusPageImpact,
    StatusPageStatus,
    Text,
    Title,
    User,
    parse_user,
)
from workflows.vocabulary.policy import OfficeHours, Policy, RetroDue
from workflows.vocabulary.timeline import EntryKind, TimelineEntry

__all__ = [
    "EFFECT_TYPES",
    "FOLLOWING_THE_TIMELINE",
    "INCIDENT_CHANNEL",
    "OPEN_STATUSES",
    "PLATFORM_CHANNEL",
    "REASON_MAX",
    "STATUS_PAGE",
    "SUPERSEDED_BY_NEWER",
    "TEXT_MAX",
    "TITLE_MAX",
    "WORKING_STATUSES",
    "Accept",
    "Action",
    "ActivityName",
    "Arrival",
    "Ask",
    "Audience",
    "Busy",
    "CarriedState",
    "ChangeSeverity",
    "ChannelRef",
    "ChannelRequest",
    "Command",
    "Decline",
    "Delivery",
    "Effect",
    "EntryKind",
    "Handover",
    "IncidentBrief",
    "IncidentStart",
    "IncidentState",
    "IncidentView",
    "Lane",
    "LaneBacklog",
    "Link",
    "Model",
    "Notice",
    "NoticeKind",
    "OfficeHours",
    "Policy",
    "PostStatusPage",
    "PostedRef",
    "ProgressUpdate",
    "Reason",
    "Receipt",
    "Reject",
    "Reopen",
    "Resolve",
    "Retro",
    "RetroDue",
    "ScheduleRetro",
    "SetCriteria",
    "Severity",
    "Snooze",
    "Standing",
    "Status",
    "StatusPageImpact",
    "StatusPagePost",
    "StatusPageRef",
    "StatusPageStatus",
    "Text",
    "TimelineEntry",
    "Timer",
    "Title",
    "Typed",
    "User",
    "parse_user",
]
