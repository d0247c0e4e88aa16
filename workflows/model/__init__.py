"""The incident's model: what the workflow decides, delivers and records, in one vocabulary.

Every input and output of the workflow, its Updates and its activities is one pydantic model, so
the CLI, the worker and the tests share one definition of each. This package re-exports what
nearly every caller needs; the rest is imported from its home:

- ``workflows.model.state``: the recorded state, its timers, its start, what continue-as-new
  carries; ``workflows.model.commands``: each command's name (``Action``) and input;
  ``workflows.model.alarms``: an alarm's workflow; ``workflows.model.activities``: the
  activities that deliver no effect.
- ``workflows/vocabulary/``: statuses, severities, people and text limits (``basics``), the
  organisation's policy (``policy``), the timeline (``timeline``).
- ``workflows/destinations/``: where effects go, one module per outside system, and ``Effect``.
"""

from __future__ import annotations

from workflows.destinations import EFFECT_TYPES, Effect
from workflows.model.commands import Action, Command
from workflows.model.state import (
    CarriedState,
    IncidentStart,
    IncidentState,
    LaneBacklog,
    Receipt,
    Timer,
)
from workflows.vocabulary.basics import Arrival, Model, Severity, Status, StatusPageStatus
from workflows.vocabulary.policy import Policy
from workflows.vocabulary.timeline import EntryKind, TimelineEntry

__all__ = [  # noqa: RUF022 - grouped by what they are, as temporalio.worker does
    # The incident: how it starts, what it records, what a command answers
    "CarriedState",
    "IncidentStart",
    "IncidentState",
    "LaneBacklog",
    "Receipt",
    "Timer",
    # What people ask of it
    "Action",
    "Command",
    # Its vocabulary
    "Arrival",
    "EntryKind",
    "Model",
    "Policy",
    "Severity",
    "Status",
    "StatusPageStatus",
    "TimelineEntry",
    # What it delivers
    "EFFECT_TYPES",
    "Effect",
]
