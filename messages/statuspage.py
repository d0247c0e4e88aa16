"""The status page's words: a post's line in the Temporal Web UI (what goes where, never what
it tells the public). Pure: it runs in the workflow.

    >>> from workflows.vocabulary.basics import StatusPageStatus
    >>> activity_summary(StatusPageStatus.IDENTIFIED, None)
    'status page post: identified'
"""

from __future__ import annotations

from workflows.vocabulary.basics import StatusPageImpact, StatusPageStatus


def activity_summary(status: StatusPageStatus, impact: StatusPageImpact | None) -> str:
    """A post's line: the status it gives the page, and the impact when it sets one."""
    told = f", impact {impact}" if impact else ""
    return f"status page post: {status}{told}"
