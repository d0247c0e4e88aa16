"""What the alarm intake hands on: one notice per accepted notification, whatever sent it.

    notice = AlarmNotice(source=AlarmSource.GENERIC, key="generic:disk-full", delivery_id=…,
                         firing=True, title="Disk full on db-1", at=received)
    await forwarder.alarm(notice)   # returns once the notice is in Temporal

The intake (``intake/server.py``) answers a sender 2xx only after :meth:`AlarmForwarder.alarm`
(or ``heartbeat``) returned; a forwarder that cannot reach Temporal raises
:class:`IntakeUnavailable` and the sender is told to retry (503). This module is pure (pydantic,
no I/O). The notices' models are the process's (``workflows/model/alarms.py``). Any other
exception from a forwarder is also a 503, logged with its traceback.
"""

from __future__ import annotations

from typing import Protocol

from workflows.model.alarms import AlarmNotice, HeartbeatNotice


class IntakeUnavailable(Exception):
    """The notice could not be handed to Temporal; the sender is answered 503 and retries. The
    message (why, in one sentence) is logged; the sender is shown a fixed sentence."""


class AlarmForwarder(Protocol):
    """Hands accepted notices to Temporal. Each method returns only once the notice is there, and
    raises :class:`IntakeUnavailable` when it cannot be."""

    async def alarm(self, notice: AlarmNotice) -> None: ...

    async def heartbeat(self, notice: HeartbeatNotice) -> None: ...
