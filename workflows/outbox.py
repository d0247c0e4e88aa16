"""The record every incident keeps: its facts, its timeline, and the outbox of effects.

The process (``workflows/process.py``) decides; this module records what it decided and queues
what must be said, sealing anything public about a security incident. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime

from messages.summary import (
    announcement_text,
    channel_topic,
    pinned_summary,
    sealed_announcement,
)
from workflows.lanes import lane_of, supersedes
from workflows.model import (
    Audience,
    CarriedState,
    ChannelRef,
    ChannelRequest,
    Effect,
    EntryKind,
    IncidentBrief,
    LaneBacklog,
    Notice,
    NoticeKind,
    Policy,
    PostedRef,
    Standing,
    Status,
    StatusPagePost,
    StatusPageRef,
    StatusPageStatus,
    TimelineEntry,
)

CHANNEL_NAME_MAX = 80


class IncidentRecord:
    """State, timeline and outbox of one incident, with the helpers that queue messages."""

    # Set by the workflow from `workflow.patched`: incidents started before standing messages
    # were kept current must replay without those edits (see README, "Changing the workflow").
    keeps_standing_messages = False
    # Likewise: incidents started before delivery lanes deliver one effect at a time, in order.
    delivers_in_lanes = False

    def __init__(self, carried: CarriedState, policy: Policy) -> None:
        self.state = carried.state
        self.timeline = carried.entries()
        self.outbox = carried.outbox
        self.effects_issued = carried.effects_issued
        self.request_ids = carried.request_ids
        self.queued_at = dict(carried.queued_at)
        self.policy = policy
        # Effects whose activity runs now, key → lane. Kept apart from the outbox: sealing a
        # security incident drops queued effects, and their lane stays busy until they end.
        self.in_flight: dict[str, str] = {}
        # In-flight effects made stale by a newer one (a reminder retrying through an outage):
        # the workflow cancels their activities; `to_cancel` holds those not yet cancelled.
        self.superseded_in_flight: set[str] = set()
        self.to_cancel: set[str] = set()

    # --- Effects ---------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        s = self.state
        return s.status is Status.CLOSED or (s.status is Status.DECLINED and s.revisit_at is None)

    # --- Lanes -------------------------------------------------------------------------------

    def ready_to_deliver(self) -> list[Effect]:
        """The oldest effect of every lane that has nothing in flight, in the order decided."""
        busy = set(self.in_flight.values())
        ready: list[Effect] = []
        for effect in self.outbox:
            lane = lane_of(effect)
            if lane not in busy:
                busy.add(lane)
                ready.append(effect)
        return ready

    def delivery_started(self, effect: Effect) -> None:
        self.in_flight[effect.key] = lane_of(effect)

    def delivery_cancelled(self, effect: Effect) -> None:
        """Its activity was cancelled. Superseded: it is dropped. Otherwise (the run continues
        as new) it stays queued, marked so that its next delivery first looks for what the
        cut-short one may have done."""
        self.in_flight.pop(effect.key, None)
        if effect.key in self.superseded_in_flight:
            self.superseded_in_flight.discard(effect.key)
            self.outbox[:] = [e for e in self.outbox if e.key != effect.key]
            self.state.superseded_deliveries += 1
            return
        self.outbox[:] = [
            e.model_copy(update={"maybe_done": True}) if e.key == effect.key else e
            for e in self.outbox
        ]

    def note_queued(self, now: datetime) -> None:
        """Remember when each queued effect was decided (for `show`), forget delivered ones."""
        keys = {e.key for e in self.outbox}
        self.queued_at = {k: at for k, at in self.queued_at.items() if k in keys}
        for key in keys - self.queued_at.keys():
            self.queued_at[key] = now

    def backlog(self) -> list[LaneBacklog]:
        """Per lane, what waits and since when: `show` and the Web UI say it."""
        lanes: dict[str, LaneBacklog] = {}
        for effect in self.outbox:
            lane = lane_of(effect)
            since = self.queued_at.get(effect.key, self.state.created_at)
            known = lanes.get(lane)
            if known is None:
                lanes[lane] = LaneBacklog(
                    lane=lane, waiting=1, oldest_since=since, in_flight=effect.key in self.in_flight
                )
            else:
                known.waiting += 1
                known.oldest_since = min(known.oldest_since, since)
                known.in_flight = known.in_flight or effect.key in self.in_flight
        return list(lanes.values())

    def _rewritable(self) -> list[int]:
        """Positions of queued effects that may still be rewritten: not in flight. Before lanes
        the head of the outbox was taken to be in flight."""
        if self.delivers_in_lanes:
            return [i for i, e in enumerate(self.outbox) if e.key not in self.in_flight]
        return list(range(1, len(self.outbox)))

    def effect_done(
        self, effect: Effect, result: ChannelRef | StatusPageRef | PostedRef | None, now: datetime
    ) -> None:
        """Record an effect's outcome and drop it from the outbox."""
        s = self.state
        self._drop(effect)
        if isinstance(result, ChannelRef):
            if s.channel_id != result.channel_id:  # a new channel gets its own pinned summary
                s.standing.pop(Standing.SUMMARY, None)
                s.standing_texts.pop(Standing.SUMMARY, None)
            s.channel_id, s.channel_name = result.channel_id, result.name
            s.channel_thread_ts = result.thread_ts
            self.record(now, "incident-bot", EntryKind.CHANNEL, f"Incident channel: {result.name}")
            if isinstance(effect, ChannelRequest) and not effect.private and s.security:
                # Marked confidential while its public channel was being opened: move on.
                self.move_to_private_channel(now)
        elif isinstance(result, StatusPageRef):
            s.statuspage_incident_id = result.page_incident_id
            if s.security:  # created while the incident was being marked confidential
                self.resolve_public_page()
        elif isinstance(result, PostedRef) and isinstance(effect, Notice) and effect.standing:
            s.standing[effect.standing] = result
            if self.delivers_in_lanes and effect.incident.channel_id:
                s.standing_links[effect.standing] = effect.incident.channel_id

    def effect_failed(self, effect: Effect, reason: str, now: datetime) -> None:
        """Record an effect the transport refused for good, and drop it from the outbox."""
        self.state.failed_deliveries += 1
        what = {"notice": "message", "channel": "channel", "statuspage": "status page post"}
        self.record(
            now,
            "incident-bot",
            EntryKind.DELIVERY_FAILED,
            f"Could not deliver {what[effect.kind_of_effect]} {effect.key}: {reason}",
        )
        self._drop(effect)

    def _drop(self, effect: Effect) -> None:
        # By key: the outbox copy may have been sealed while the effect was being delivered.
        self.outbox[:] = [e for e in self.outbox if e.key != effect.key]
        self.in_flight.pop(effect.key, None)
        self.superseded_in_flight.discard(effect.key)
        self.to_cancel.discard(effect.key)

    def keep_standing_messages_current(self) -> None:
        """Edit the announcement and the pinned summary when what they say has changed.

        An edit not yet delivered is rewritten rather than queued again, so a burst of changes
        costs one Slack call.
        """
        s = self.state
        if not self.keeps_standing_messages:
            return
        if Standing.ANNOUNCEMENT in s.standing_texts:
            self._keep_current(Standing.ANNOUNCEMENT, announcement_text(s))
        if s.channel_id and s.status is not Status.CLOSED:
            self._keep_current(Standing.SUMMARY, pinned_summary(s))

    def _links_an_old_channel(self, standing: Standing) -> bool:
        """Lanes post the announcement while the channel is still being opened: once it is
        open, the posted announcement is edited to link it (a queued one links it anyway)."""
        s = self.state
        return (
            self.delivers_in_lanes
            and standing is Standing.ANNOUNCEMENT
            and standing in s.standing
            and not s.security
            and s.channel_id is not None
            and s.standing_links.get(standing) != s.channel_id
            # A queued edit links it when delivered; one in flight may, and is checked after.
            and not any(isinstance(e, Notice) and e.standing is standing for e in self.outbox)
        )

    def _keep_current(self, standing: Standing, text: str) -> None:
        s = self.state
        if s.standing_texts.get(standing) == text and not self._links_an_old_channel(standing):
            return
        s.standing_texts[standing] = text
        for index in self._rewritable():
            effect = self.outbox[index]
            if isinstance(effect, Notice) and effect.standing is standing:
                public = standing is Standing.ANNOUNCEMENT or self._channel_is_public
                self.outbox[index] = effect.model_copy(
                    update={"text": text, "incident": self._brief(public=public)}
                )
                return
        if standing is Standing.ANNOUNCEMENT:
            self._notice(
                NoticeKind.DECLARED, Audience.PLATFORM_CHANNEL, text, public=True, standing=standing
            )
        else:
            self.to_channel(NoticeKind.SUMMARY, text, standing=standing)

    def prepared(self, effect: Effect) -> Effect:
        """The effect with what is known only now filled in (the channel, the page incident)."""
        if isinstance(effect, Notice):
            replaces = self.state.standing.get(effect.standing) if effect.standing else None
            if effect.incident.title is None:
                return effect.model_copy(update={"replaces": replaces})
            return effect.model_copy(
                update={
                    "replaces": replaces,
                    "incident": effect.incident.model_copy(
                        update={
                            "channel_id": self.state.channel_id,
                            "thread_ts": self.state.channel_thread_ts,
                        }
                    ),
                }
            )
        if isinstance(effect, StatusPagePost):
            return effect.model_copy(update={"page_incident_id": self.state.statuspage_incident_id})
        return effect

    def carried(self) -> CarriedState:
        return CarriedState.packing(
            self.timeline,
            state=self.state,
            outbox=self.outbox,
            effects_issued=self.effects_issued,
            request_ids=self.request_ids,
            queued_at=self.queued_at,
        )

    def record(self, now: datetime, actor: str, kind: EntryKind, text: str) -> None:
        self.timeline.append(TimelineEntry(at=now, actor=actor, kind=kind, text=text))

    def _next_key(self) -> str:
        self.effects_issued += 1
        return f"{self.state.id}/{self.effects_issued}"

    def _issue(self, effect: Effect) -> None:
        if self.delivers_in_lanes:
            effect = self._supersede(effect)
        self.outbox.append(effect)

    def _supersede(self, newer: Effect) -> Effect:
        """Drop queued effects ``newer`` makes stale: stale news is not delivered late as if
        fresh. The timeline still has every one. A stale notice in flight (retrying through an
        outage) is cancelled; a status page post in flight is not: it may be the one creating
        the page incident."""
        for key in self.in_flight.keys() - self.superseded_in_flight:
            effect = next((e for e in self.outbox if e.key == key), None)
            if isinstance(effect, Notice) and supersedes(newer, effect):
                self.superseded_in_flight.add(key)
                self.to_cancel.add(key)
        rewritable = self._rewritable()
        stale = [self.outbox[i] for i in rewritable if supersedes(newer, self.outbox[i])]
        if not stale:
            return newer
        keys = {e.key for e in stale}
        self.outbox[:] = [e for e in self.outbox if e.key not in keys]
        self.state.superseded_deliveries += len(stale)
        if isinstance(newer, StatusPagePost) and newer.impact_override is None:
            # The impact a dropped post would have set still applies.
            impacts = [e.impact_override for e in stale if isinstance(e, StatusPagePost)]
            impact = next((i for i in reversed(impacts) if i is not None), None)
            return newer.model_copy(update={"impact_override": impact})
        return newer

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
        standing: Standing | None = None,
        invite: list[str] | None = None,
        archive_channel: bool = False,
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
                standing=standing,
                invite=[p for p in invite or [] if p],
                archive_channel=archive_channel,
            )
        )

    @property
    def _channel_is_public(self) -> bool:
        """The shared response channel is public; an incident's own channel is its people's."""
        return self.policy.channel_mode == "shared" and not self.state.security

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
    ) -> None:
        self._notice(
            kind,
            Audience.INCIDENT_CHANNEL,
            text,
            public=self._channel_is_public,
            actor=actor,
            mentions=mentions,
            standing=standing,
            invite=invite,
            archive_channel=archive_channel,
        )

    def announce(self, kind: NoticeKind, text: str, *, actor: str | None = None) -> None:
        """Post in the platform channel; a security incident is never described there.

        The declaration is the standing announcement, edited in place as the incident changes.
        """
        standing = None
        if kind is NoticeKind.DECLARED:
            text, standing = announcement_text(self.state), Standing.ANNOUNCEMENT
            self.state.standing_texts[standing] = text
        if self.state.security:
            text = sealed_announcement(resolved=kind is NoticeKind.RESOLVED)
            actor = None  # who declared or resolved it (often the lead) is a detail too
        self._notice(
            kind, Audience.PLATFORM_CHANNEL, text, public=True, actor=actor, standing=standing
        )

    def move_to_private_channel(self, now: datetime) -> None:
        """Tell the public channel where work goes on, and open the private one."""
        s = self.state
        private_name = channel_name(s.id, private=True)
        self.to_channel(
            NoticeKind.SECURITY,
            f"{s.id} is now a security incident: work goes on in a new private channel, "
            f"#{private_name}. Please post nothing more about it here.",
        )
        self._open_channel(private=True)

    def resolve_public_page(self) -> None:
        """A page incident opened before the incident became confidential: close it, saying
        nothing more."""
        s = self.state
        if s.statuspage_incident_id and s.statuspage_status is not StatusPageStatus.RESOLVED:
            s.statuspage_status = StatusPageStatus.RESOLVED
            self._issue(
                StatusPagePost(
                    key=self._next_key(),
                    incident_id=s.id,
                    page_incident_id=None,
                    name="",
                    status=StatusPageStatus.RESOLVED,
                    body="This incident has been resolved.",
                )
            )

    def _open_channel(self, *, private: bool) -> None:
        s = self.state
        shared = self.policy.channel_mode == "shared" and not private
        name = self.policy.response_channel if shared else channel_name(s.id, private=private)
        # Until a DM has engaged (self-initiated, not yet acknowledged) every DM is invited.
        managers = [s.delivery_manager] if s.delivery_manager else self.policy.delivery_managers
        invite = [p for p in (s.lead, *managers, *s.supporters) if p]
        if s.security and self.policy.infosec_head:
            invite.append(self.policy.infosec_head)
        self._issue(
            ChannelRequest(
                key=self._next_key(),
                incident_id=s.id,
                name=name,
                private=private,
                topic=channel_topic(s),
                first_message=s.description or s.title,
                invite=list(dict.fromkeys(invite)),
                shared=shared,
            )
        )

    def seal_outbox(self) -> bool:
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
                        "text": sealed_announcement(resolved=effect.kind is NoticeKind.RESOLVED),
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

    def direct(
        self, kind: NoticeKind, recipients: list[str], text: str, *, actor: str | None = None
    ) -> None:
        people = list(dict.fromkeys(p for p in recipients if p))
        if people:
            self._notice(kind, Audience.DIRECT, text, public=False, recipients=people, actor=actor)


def channel_name(incident_id: str, *, private: bool) -> str:
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in incident_id.lower())
    if not base.startswith("inc-"):
        base = f"inc-{base}"
    suffix = "-private" if private else ""
    return base[: CHANNEL_NAME_MAX - len(suffix)] + suffix
