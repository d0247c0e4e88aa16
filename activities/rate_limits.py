"""Rate limits as Slack (429) and Statuspage (420, 429) state them: wait what ``Retry-After`` says."""

from __future__ import annotations


def retry_after_seconds(header: str | None) -> float:
    """The seconds a ``Retry-After`` header asks for; at least 1, and 1 when it says nothing usable."""
    try:
        return max(1.0, float(header or 1))
    except ValueError:
        return 1.0
