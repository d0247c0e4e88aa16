"""GitHub's words: the retro's pull request (its title and description), each action's issue,
and their lines in the Temporal Web UI. Pure, as ``messages/sentences.py``: ``s`` is the
incident's state as the process has just changed it.

A line in the Web UI says what goes where, never what it says: a security incident's retro is
"retro pull request to wellcomecollection/security-docs (private) on GitHub", without its title.

    >>> retro_activity_summary("wellcomecollection/docs", private=False)
    'retro pull request to wellcomecollection/docs on GitHub'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflows.model.state import IncidentState


def retro_pull_request_title(s: IncidentState) -> str:
    return f"Incident retro: {s.title}"


def retro_pull_request_description(s: IncidentState) -> str:
    held = "with the retro's notes" if s.retro_notes else "drafted from the timeline at resolution"
    return (
        f"The retro of incident {s.id} ({s.title}), {held}. Opened by the incident workflow; "
        "edit the file on this branch to add what the retro finds."
    )


def action_issue_body(s: IncidentState, action: str, retro_url: str | None) -> str:
    retro = f" ([retro]({retro_url}))" if retro_url else ""
    return f"An action agreed in the retro of incident {s.id}, {s.title}{retro}:\n\n{action}"


def retro_activity_summary(repo: str, *, private: bool) -> str:
    """The retro pull request's line; ``private``: only to a private repository (security)."""
    return f"retro pull request to {repo}{' (private)' if private else ''} on GitHub"


def action_activity_summary(repo: str, owner: str | None) -> str:
    """An action issue's line, with whom it is assigned to (a GitHub login) when anyone."""
    assigned = f", assigned to {owner}" if owner else ""
    return f"action issue in {repo} on GitHub{assigned}"
