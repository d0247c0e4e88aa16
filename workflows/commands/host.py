"""What a command may read and do to the incident it is applied to, and nothing more.

A command's ``check`` sees a :class:`CommandView` (the facts and the policy: it refuses, it changes
nothing); its function sees a :class:`CommandHost`, which adds the process's intentions: record
an entry, say something somewhere, set a reminder, and the steps commands share with the rest of
the process (activate, tell the Head of Information Security, resolve). The timeline, the outbox,
the request ids and the deliveries are out of reach. ``workflows.process.Incident``
is both, structurally; mypy checks it where the table's functions are called.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from workflows.destinations.slack import NoticeKind, Standing
    from workflows.model import EntryKind, IncidentState, Policy, StatusPageStatus, Timer
    from workflows.vocabulary.basics import StatusPageImpact


class CommandView(Protocol):
    """What a command's check reads to refuse it: the incident's facts and its policy."""

    @property
    def state(self) -> IncidentState: ...

    @property
    def policy(self) -> Policy: ...


class CommandNotices(Protocol):
    """What a command may say, and where (``workflows/notices.py``)."""

    def to_channel(
        self,
        kind: NoticeKind,
        text: str,
        *,
        actor: str | None = None,
        mentions: list[str] | None = None,
        standing: Standing | None = None,
        invite: list[str] | None = None,
        archive_channel: bool = False,
    ) -> None: ...

    def announce(self, kind: NoticeKind, text: str, *, actor: str | None = None) -> None: ...

    def direct(
        self, kind: NoticeKind, recipients: list[str], text: str, *, actor: str | None = None
    ) -> None: ...

    def post_status_page(
        self, status: StatusPageStatus, body: str, *, impact: StatusPageImpact | None = None
    ) -> None: ...

    def seal_outbox(self) -> bool:
        """Seal what is public and not yet out (True when a public channel was to open)."""
        ...

    def move_to_private_channel(self) -> None: ...

    def resolve_public_page(self) -> None: ...


class CommandReminders(Protocol):
    """The reminders a command may (re)start, and when a reminder may ring
    (``workflows/reminders.py``)."""

    def restart_stale_clock(self, now: datetime) -> None: ...

    def set_dm_timer(self, timer: Timer, now: datetime) -> None: ...

    def in_hours(self, due: datetime) -> datetime:
        """``due``, or the next office time after it (sev1 reminds around the clock)."""
        ...


class CommandHost(CommandView, Protocol):
    """What a command's function may read and do."""

    @property
    def notices(self) -> CommandNotices: ...

    @property
    def reminders(self) -> CommandReminders: ...

    def record(self, now: datetime, actor: str, kind: EntryKind, text: str) -> None:
        """Add an entry to the timeline."""
        ...

    def activate(self, now: datetime, actor: str) -> None:
        """Active now: the channel opens, the platform channel hears, reminders start."""
        ...

    def tell_infosec(self, actor: str, now: datetime) -> None: ...

    def mark_resolved(self, actor: str, now: datetime, *, on_criteria: bool = False) -> str:
        """Resolved (by a delivery manager, or by the lead ``on_criteria``); its sentence."""
        ...
