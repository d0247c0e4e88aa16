"""The record every incident keeps: its facts, its timeline, and the outbox of effects.

The process (``workflows/process.py``) decides; this module records what it decided and queues
what must be said, sealing anything public about a security incident. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime

from workflows.model import (
    Audience,
    CarriedState,
    ChannelRef,
    ChannelRequest,
    Effect,
    EntryKind,
    IncidentBrief,
    Notice,
    NoticeKind,
    Policy,
    Status,
    StatusPagePost,
    StatusPageRef,
    TimelineEntry,
)

CHANNEL_NAME_MAX = 80


class IncidentRecord:
    """State, timeline and outbox of one incident, with the helpers that queue messages."""

    def __init__(self, carried: CarriedState, policy: Policy) -> None:
        self.state = carried.state
        self.timeline = carried.timeline
        self.outbox = carried.outbox
        self.effects_issued = carried.effects_issued
        self.request_ids = carried.request_ids
        self.policy = policy

    # --- Effects ---------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        s = self.state
        return s.status is Status.CLOSED or (s.status is Status.DECLINED and s.revisit_at is None)

    def effect_done(
        self, effect: Effect, result: ChannelRef | StatusPageRef | None, now: datetime
    ) -> None:
        """Record an effect's outcome and drop it from the outbox."""
        if isinstance(result, ChannelRef):
            self.state.channel_id, self.state.channel_name = result.channel_id, result.name
            self.state.channel_thread_ts = result.thread_ts
            self._record(now, "incident-bot", EntryKind.CHANNEL, f"Incident channel: {result.name}")
        elif isinstance(result, StatusPageRef):
            self.state.statuspage_incident_id = result.page_incident_id
        self.outbox.remove(effect)

    def effect_failed(self, effect: Effect, reason: str, now: datetime) -> None:
        """Record an effect the transport refused for good, and drop it from the outbox."""
        self.state.failed_deliveries += 1
        what = {"notice": "message", "channel": "channel", "statuspage": "status page post"}
        self._record(
            now,
            "incident-bot",
            EntryKind.DELIVERY_FAILED,
            f"Could not deliver {what[effect.kind_of_effect]} {effect.key}: {reason}",
        )
        self.outbox.remove(effect)

    def prepared(self, effect: Effect) -> Effect:
        """The effect with what is known only now filled in (the channel, the page incident)."""
        if isinstance(effect, Notice) and effect.incident.title is not None:
            return effect.model_copy(
                update={
                    "incident": effect.incident.model_copy(
                        update={
                            "channel_id": self.state.channel_id,
                            "thread_ts": self.state.channel_thread_ts,
                        }
                    )
                }
            )
        if isinstance(effect, StatusPagePost):
            return effect.model_copy(update={"page_incident_id": self.state.statuspage_incident_id})
        return effect

    def carried(self) -> CarriedState:
        return CarriedState(
            state=self.state,
            timeline=self.timeline,
            outbox=self.outbox,
            effects_issued=self.effects_issued,
            request_ids=self.request_ids,
        )

    def _record(self, now: datetime, actor: str, kind: EntryKind, text: str) -> None:
        self.timeline.append(TimelineEntry(at=now, actor=actor, kind=kind, text=text))

    def _next_key(self) -> str:
        self.effects_issued += 1
        return f"{self.state.id}/{self.effects_issued}"

    def _issue(self, effect: Effect) -> None:
        self.outbox.append(effect)

    def _brief(self, *, public: bool) -> IncidentBrief:
        s = self.state
        sealed = public and s.security
        return IncidentBrief(
            id=s.id,
            title=None if sealed else s.title,
            severity=s.severity,
            status=s.status,
            lead=None if sealed else s.lead,
            channel_id=None if sealed else s.channel_id,
            security=s.security,
        )

    def _notice(
        self,
        kind: NoticeKind,
        audience: Audience,
        text: str,
        *,
        public: bool,
        recipients: list[str] | None = None,
        actor: str | None = None,
        mentions: list[str] | None = None,
    ) -> None:
        self._issue(
            Notice(
                key=self._next_key(),
                kind=kind,
                audience=audience,
                recipients=recipients or [],
                incident=self._brief(public=public),
                actor=actor,
                text=text,
                mentions=[m for m in mentions or [] if m],
            )
        )

    def _to_channel(
        self,
        kind: NoticeKind,
        text: str,
        *,
        actor: str | None = None,
        mentions: list[str] | None = None,
    ) -> None:
        public = self.policy.channel_mode == "shared" and not self.state.security
        self._notice(
            kind, Audience.INCIDENT_CHANNEL, text, public=public, actor=actor, mentions=mentions
        )

    def _announce(self, kind: NoticeKind, text: str, *, actor: str | None = None) -> None:
        """Post in the platform channel; a security incident is never described there."""
        if self.state.security:
            text = _sealed_announcement(kind)
            actor = None  # who declared or resolved it (often the lead) is a detail too
        self._notice(kind, Audience.PLATFORM_CHANNEL, text, public=True, actor=actor)

    def _seal_outbox(self) -> bool:
        """Seal what was decided before the incident became confidential and is not yet out.

        Public announcements lose their details, status page posts are dropped, and a public
        channel not yet opened is opened private instead (True when there was one).
        """
        sealed: list[Effect] = []
        channel_sealed = False
        for effect in self.outbox:
            if isinstance(effect, StatusPagePost):
                continue
            if isinstance(effect, Notice) and effect.audience is Audience.PLATFORM_CHANNEL:
                effect = effect.model_copy(
                    update={
                        "incident": self._brief(public=True),
                        "actor": None,
                        "text": _sealed_announcement(effect.kind),
                    }
                )
            elif isinstance(effect, ChannelRequest) and not effect.private:
                invite = [*effect.invite, self.policy.infosec_head or ""]
                effect = effect.model_copy(
                    update={
                        "private": True,
                        "name": channel_name(self.state.id, private=True),
                        "invite": list(dict.fromkeys(p for p in invite if p)),
                    }
                )
                channel_sealed = True
            sealed.append(effect)
        self.outbox[:] = sealed
        return channel_sealed

    def _direct(
        self, kind: NoticeKind, recipients: list[str], text: str, *, actor: str | None = None
    ) -> None:
        people = list(dict.fromkeys(p for p in recipients if p))
        if people:
            self._notice(kind, Audience.DIRECT, text, public=False, recipients=people, actor=actor)


def _sealed_announcement(kind: NoticeKind) -> str:
    if kind is NoticeKind.RESOLVED:
        return "A confidential incident has been resolved."
    return "A confidential incident is being handled."


def channel_name(incident_id: str, *, private: bool) -> str:
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in incident_id.lower())
    if not base.startswith("inc-"):
        base = f"inc-{base}"
    suffix = "-private" if private else ""
    return base[: CHANNEL_NAME_MAX - len(suffix)] + suffix
