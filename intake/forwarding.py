"""The forwarder `incident intake` runs with for now: a placeholder, until the Temporal one exists.

PLACEHOLDER: the Temporal forwarder (which starts or signals an incident's workflow for each
notice) is not written yet, so :class:`NotWiredForwarder` refuses every notice with
:class:`IntakeUnavailable`. Every sender is answered 503 and retries, so nothing is lost on its
side, but nothing reaches an incident either. Replace it with the Temporal forwarder (the same two
methods, :class:`intake.alarms.AlarmForwarder`) and build that in ``frontends/cli_operations.py``.
"""

from __future__ import annotations

from intake.alarms import AlarmNotice, HeartbeatNotice, IntakeUnavailable

NOT_WIRED = "the Temporal forwarder is not wired yet"


class NotWiredForwarder:
    """Refuses every notice: see the module docstring. Not for production."""

    async def alarm(self, notice: AlarmNotice) -> None:
        raise IntakeUnavailable(NOT_WIRED)

    async def heartbeat(self, notice: HeartbeatNotice) -> None:
        raise IntakeUnavailable(NOT_WIRED)
