"""What each delivery does, in one line: the summary of its activity in the Temporal Web UI.

The Web UI's timeline shows an activity by its summary ("update to #inc-2026-12-06-search-down",
"ack request to U0DM (direct message)") rather than by the activity's name and the effect's key.
Each destination says its own (``Delivery.activity_summary`` in ``workflows/destinations/``, in
words from its words module: ``messages/slack_activity.py``, ``statuspage.py``, ``github.py``,
``pager.py``); this is where the workflow asks. Nothing names a security incident's title: a
summary says what goes where, never what it says. Pure: it runs in the workflow.
"""

from __future__ import annotations

from workflows.model import Effect, IncidentState, Policy


def activity_summary(effect: Effect, state: IncidentState, policy: Policy) -> str:
    """What the effect delivers where, in plain words, on one short line: "status page post:
    identified", "announcement in #wc-platform (edited)". ``state`` and ``policy`` name the
    channels (the incident's, the platform channel)."""
    return effect.activity_summary(state, policy)
