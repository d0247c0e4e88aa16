"""What the process says, and where: the incident channel, the platform channel, people's direct
messages, the status page. Builds each effect and queues it in the outbox; keeps the standing
messages (the announcement, the pinned summary) current; seals anything public about a
security incident. Pure: no I/O, no clock.
"""

from __future__ import annotations

from messages import sentences as say
from messages.summary import (
    announcement_text,
    channel_topic,
    pinned_summary,
    sealed_announcement,
)
from workflows.destinations.slack import (
    Audience,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import StatusPagePost
from workflows.model import Effect, IncidentState, Policy, Status, StatusPageStatus
from workflows.outbox import Outbox
from workflows.vocabulary.basics import StatusPageImpact, is_a_person

CHANNEL_NAME_MAX = 80


class Notices:
    """The messages, channels and status page posts of one incident, queued in its outbox."""

    def __init__(self, state: IncidentState, policy: Policy, outbox: Outbox) -> None:
        self._state = state
        self._policy = policy
        self._outbox = outbox

    # --- Where things are said -----------------------------------------------------------------

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
            text, standing = announcement_text(self._state), Standing.ANNOUNCEMENT
            self._state.standing_texts[standing] = text
        if self._state.security:
            text = sealed_announcement(resolved=kind is NoticeKind.RESOLVED)
            actor = None  # who declared or resolved it (often the lead) is a detail too
        self._notice(
            kind, Audience.PLATFORM_CHANNEL, text, public=True, actor=actor, standing=standing
        )

    def direct(
        self, kind: NoticeKind, recipients: list[str], text: str, *, actor: str | None = None
    ) -> None:
        people = list(dict.fromkeys(p for p in recipients if p and is_a_person(p)))
        if people:
            self._notice(kind, Audience.DIRECT, text, public=False, recipients=people, actor=actor)

    def post_status_page(
        self, status: StatusPageStatus, body: str, *, impact: StatusPageImpact | None = None
    ) -> None:
        s = self._state
        s.statuspage_status = status
        self._outbox.issue(
            StatusPagePost(
                key=self._outbox.next_key(),
                incident_id=s.id,
                page_incident_id=None,
                name=s.title,
                status=status,
                body=body,
                impact_override=impact,
            )
        )

    def open_channel(self, *, private: bool) -> None:
        s = self._state
        shared = self._policy.channel_mode == "shared" and not private
        name = self._policy.response_channel if shared else channel_name(s.id, private=private)
        # Until a DM has engaged (self-initiated, not yet acknowledged) every DM is invited.
        managers = [s.delivery_manager] if s.delivery_manager else self._policy.delivery_managers
        invite = [p for p in (s.lead, *managers, *s.supporters) if p]
        if s.security and self._policy.infosec_head:
            invite.append(self._policy.infosec_head)
        self._outbox.issue(
            ChannelRequest(
                key=self._outbox.next_key(),
                incident_id=s.id,
                name=name,
                private=private,
                topic=channel_topic(s),
                first_message=s.description or s.title,
                invite=list(dict.fromkeys(invite)),
                shared=shared,
            )
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
        self._outbox.issue(
            Notice(
                key=self._outbox.next_key(),
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

    def _brief(self, *, public: bool) -> IncidentBrief:
        s = self._state
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

    @property
    def _channel_is_public(self) -> bool:
        """The shared response channel is public; an incident's own channel is its people's."""
        return self._policy.channel_mode == "shared" and not self._state.security

    # --- Standing messages ----------------------------------------------------------------------

    def keep_standing_messages_current(self) -> None:
        """Edit the announcement and the pinned summary when what they say has changed.

        An edit not yet delivered is rewritten rather than queued again, so a burst of changes
        costs one Slack call.
        """
        s = self._state
        if Standing.ANNOUNCEMENT in s.standing_texts:
            self._keep_current(Standing.ANNOUNCEMENT, announcement_text(s))
        if s.channel_id and s.status is not Status.CLOSED:
            self._keep_current(Standing.SUMMARY, pinned_summary(s))

    def _links_an_old_channel(self, standing: Standing) -> bool:
        """True when the posted announcement links no channel or an older one than the
        incident's (a queued edit links the current one anyway)."""
        s = self._state
        return (
            standing is Standing.ANNOUNCEMENT
            and standing in s.standing
            and not s.security
            and s.channel_id is not None
            and s.standing_links.get(standing) != s.channel_id
            # A queued edit links it when delivered; one in flight may, and is checked after.
            and not any(
                isinstance(e, Notice) and e.standing is standing for e in self._outbox.effects
            )
        )

    def _keep_current(self, standing: Standing, text: str) -> None:
        s = self._state
        if s.standing_texts.get(standing) == text and not self._links_an_old_channel(standing):
            return
        s.standing_texts[standing] = text
        effects = self._outbox.effects
        for index in self._outbox.rewritable():
            effect = effects[index]
            if isinstance(effect, Notice) and effect.standing is standing:
                public = standing is Standing.ANNOUNCEMENT or self._channel_is_public
                effects[index] = effect.model_copy(
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
        s = self._state
        if isinstance(effect, Notice):
            replaces = s.standing.get(effect.standing) if effect.standing else None
            if effect.incident.title is None:
                return effect.model_copy(update={"replaces": replaces})
            return effect.model_copy(
                update={
                    "replaces": replaces,
                    "incident": effect.incident.model_copy(
                        update={"channel_id": s.channel_id, "thread_ts": s.channel_thread_ts}
                    ),
                }
            )
        if isinstance(effect, StatusPagePost):
            return effect.model_copy(update={"page_incident_id": s.statuspage_incident_id})
        if isinstance(effect, ChannelRequest):
            return effect.model_copy(update={"summary": self._summary_for(effect)})
        return effect

    def _summary_for(self, request: ChannelRequest) -> Notice | None:
        """The pinned summary the channel is opened with, under a key of its own derived from
        the channel's (no new number: an incident replayed across this change keeps its keys).
        A channel opened without it (a messenger that does not pin) gets it queued behind it
        once open."""
        s = self._state
        if s.status is Status.CLOSED:
            return None
        return Notice(
            key=f"{request.key}/summary",
            kind=NoticeKind.SUMMARY,
            audience=Audience.INCIDENT_CHANNEL,
            incident=self._brief(public=self._channel_is_public),
            text=pinned_summary(s),
            standing=Standing.SUMMARY,
            maybe_done=request.maybe_done,
        )

    def summary_posted(self, request: ChannelRequest, posted: PostedRef) -> None:
        """The channel was opened with its pinned summary: edits now go to that message."""
        s = self._state
        if request.summary is None:
            return
        s.standing[Standing.SUMMARY] = posted
        s.standing_texts[Standing.SUMMARY] = request.summary.text
        s.standing_links[Standing.SUMMARY] = posted.channel_id

    # --- Confidential ---------------------------------------------------------------------------

    def move_to_private_channel(self) -> None:
        """Tell the public channel where work goes on, and open the private one."""
        s = self._state
        private_name = channel_name(s.id, private=True)
        self.to_channel(
            NoticeKind.SECURITY,
            say.moved_to_private_channel(s, private_name),
        )
        self.open_channel(private=True)

    def resolve_public_page(self) -> None:
        """A page incident opened before the incident became confidential: close it, saying
        nothing more."""
        s = self._state
        if s.statuspage_incident_id and s.statuspage_status is not StatusPageStatus.RESOLVED:
            s.statuspage_status = StatusPageStatus.RESOLVED
            self._outbox.issue(
                StatusPagePost(
                    key=self._outbox.next_key(),
                    incident_id=s.id,
                    page_incident_id=None,
                    name="",
                    status=StatusPageStatus.RESOLVED,
                    body=say.PAGE_RESOLVED,
                )
            )

    def seal_outbox(self) -> bool:
        """Seal what was decided before the incident became confidential and is not yet out.

        Public announcements lose their details, status page posts are dropped, and a public
        channel not yet opened is opened private instead (True when there was one).
        """
        sealed: list[Effect] = []
        channel_sealed = False
        for effect in self._outbox.effects:
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
                invite = [*effect.invite, self._policy.infosec_head or ""]
                effect = effect.model_copy(
                    update={
                        "private": True,
                        "name": channel_name(self._state.id, private=True),
                        "invite": list(dict.fromkeys(p for p in invite if p)),
                    }
                )
                channel_sealed = True
            sealed.append(effect)
        self._outbox.effects[:] = sealed
        return channel_sealed


def channel_name(incident_id: str, *, private: bool) -> str:
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in incident_id.lower())
    if not base.startswith("inc-"):
        base = f"inc-{base}"
    suffix = "-private" if private else ""
    return base[: CHANNEL_NAME_MAX - len(suffix)] + suffix
