"""Fast unit tests of the process itself: no Temporal, no clock, no I/O.

The rules table, the value refusals, the sealing of security incidents, the clock, the settings
parsers and the pure message renderers, each checked on what a person would read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from messages.summary import announcement_text, current_details, pinned_summary
from messages.text import notice_line
from messages.timeline import timeline_markdown
from tests.people import DM, HELPER, INFOSEC, LEAD, NEW_LEAD, OUTSIDER, REPORTER
from workflows.commands import COMMANDS
from workflows.destinations.slack import (
    Audience,
    ChannelRef,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef
from workflows.model import (
    Action,
    Command,
    EntryKind,
    IncidentStart,
    Policy,
    Severity,
    Status,
    StatusPageStatus,
    TimelineEntry,
    Timer,
)
from workflows.model.commands import (
    Accept,
    Ask,
    Busy,
    ChangeSeverity,
    Decline,
    Handover,
    PostStatusPage,
    ProgressUpdate,
    Reject,
    Reopen,
    Resolve,
    Retro,
    ScheduleRetro,
    SetCriteria,
    Snooze,
)
from workflows.process import Incident
from workflows.rules import Role
from workflows.vocabulary.policy import OfficeHours

# 10:00 on Monday 23 November 2026, London (GMT): inside office hours.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLICY = Policy(delivery_managers=[DM], infosec_head=INFOSEC)
LONDON = OfficeHours()

RULES = {action: spec.rule for action, spec in COMMANDS.items()}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- Building incidents in each status --------------------------------------------------------


def _start(*, declare: bool, security: bool = False, policy: Policy = POLICY) -> IncidentStart:
    return IncidentStart(
        id="inc-test",
        title="Search API returns 500s",
        description="Every search request fails since 09:40",
        security=security,
        actor=LEAD if declare else REPORTER,
        lead=LEAD if declare else None,
        severity=Severity.SEV2 if declare else None,
        declare=declare,
        policy=policy,
    )


def _do(incident: Incident, action: Action, command: Command, now: datetime = NOW) -> str:
    """Apply a command the way the workflow does: only after the process allowed it."""
    refusal = incident.refusal(action, command, now)
    assert refusal is None, refusal
    return incident.apply(action, command, now)


def reported(*, security: bool = False) -> Incident:
    return Incident.open(_start(declare=False, security=security), NOW)


def declared(*, security: bool = False) -> Incident:
    """Declared by the lead (self-initiated, not yet acknowledged), with a supporter."""
    incident = Incident.open(_start(declare=True, security=security), NOW)
    _do(incident, Action.JOIN, Command(actor=HELPER))
    return incident


def awaiting_approval() -> Incident:
    incident = declared()
    _do(incident, Action.RESOLVE, Resolve(actor=LEAD, summary="Rolled back the deploy"))
    return incident


def resolved() -> Incident:
    incident = declared()
    _do(incident, Action.RESOLVE, Resolve(actor=DM, summary="Rolled back the deploy"))
    return incident


def closed() -> Incident:
    incident = resolved()
    _do(incident, Action.RETRO, Retro(actor=DM, notes="Add a canary"))
    return incident


def declined() -> Incident:
    incident = reported()
    _do(incident, Action.DECLINE, Decline(actor=DM, reason="Known issue, fix scheduled"))
    return incident


IN_STATUS: dict[Status, Callable[[], Incident]] = {
    Status.TRIAGE: reported,
    Status.DECLINED: declined,
    Status.ACTIVE: declared,
    Status.AWAITING_APPROVAL: awaiting_approval,
    Status.RESOLVED: resolved,
    Status.CLOSED: closed,
}


def test_each_status_builder_gives_that_status() -> None:
    for status, build in IN_STATUS.items():
        assert build().state.status is status


# --- The rules table, row by row --------------------------------------------------------------


def valid_command(action: Action, actor: str) -> Command:
    """A command for ``action`` whose values pass every value check on the incidents above."""
    commands: dict[Action, Command] = {
        Action.ACCEPT: Accept(actor=actor, lead=LEAD, severity=Severity.SEV1),
        Action.DECLINE: Decline(actor=actor, reason="Known issue"),
        Action.ACK: Command(actor=actor),
        Action.HANDOVER: Handover(actor=actor, to=NEW_LEAD),
        Action.JOIN: Command(actor=actor),
        Action.LEAVE: Command(actor=actor),
        Action.ASK: Ask(actor=actor, to="U0ASKED", note="You know the CDN"),
        Action.BUSY: Busy(actor=actor, reason="On call elsewhere"),
        Action.UPDATE: ProgressUpdate(actor=actor, text="Rolling back the 09:30 deploy"),
        Action.SEVERITY: ChangeSeverity(actor=actor, severity=Severity.SEV1),
        Action.SNOOZE: Snooze(actor=actor, duration=timedelta(hours=1)),
        Action.SECURITY: Command(actor=actor),
        Action.CRITERIA: SetCriteria(actor=actor, text="the error rate is under 1%"),
        Action.STATUSPAGE: PostStatusPage(
            actor=actor, status=StatusPageStatus.INVESTIGATING, text="Search is failing"
        ),
        Action.RESOLVE: Resolve(actor=actor, summary="Rolled back"),
        Action.APPROVE: Command(actor=actor),
        Action.REJECT: Reject(actor=actor, reason="Errors are still at 20%"),
        Action.REOPEN: Reopen(actor=actor, reason="The errors are back"),
        Action.SCHEDULE: ScheduleRetro(actor=actor, at=NOW + timedelta(days=2)),
        Action.RETRO: Retro(actor=actor, notes="Add a canary stage"),
    }
    return commands[action]


def roles_held(person: str, status: Status) -> set[Role]:
    """The roles each person holds by construction: nobody leads or helps before acceptance."""
    staffed = status not in (Status.TRIAGE, Status.DECLINED)
    held = {
        LEAD: {Role.LEAD} if staffed else set(),
        HELPER: {Role.SUPPORTER} if staffed else set(),
        DM: {Role.DELIVERY_MANAGER},
        OUTSIDER: set(),
    }[person]
    return {Role.ANYONE, *held}


# Cases where the rules allow the person but a value check refuses by design; they are covered
# in the value-refusal tests below.
VALUE_REFUSED = {
    (Action.ACK, Status.TRIAGE),  # a reported incident was never self-initiated
    (Action.JOIN, LEAD),  # the lead already leads
    (Action.JOIN, HELPER),  # the supporter already helps
}

ALLOWED_CASES = [
    (action, status, person)
    for action, rule in RULES.items()
    for status in sorted(rule.statuses)
    for person in (LEAD, HELPER, DM, OUTSIDER)
    if roles_held(person, status) & rule.roles
    and (action, status) not in VALUE_REFUSED
    and (action, person) not in VALUE_REFUSED
]
ROLE_REFUSED_CASES = [
    (action, status, person)
    for action, rule in RULES.items()
    for status in sorted(rule.statuses)
    for person in (LEAD, HELPER, DM, OUTSIDER)
    if not roles_held(person, status) & rule.roles
]
STATUS_REFUSED_CASES = [
    (action, status)
    for action, rule in RULES.items()
    for status in Status
    if status not in rule.statuses
]


_STATUS_WORDS = {
    Status.TRIAGE: "waiting for a delivery manager",
    Status.DECLINED: "declined",
    Status.ACTIVE: "active",
    Status.AWAITING_APPROVAL: "awaiting approval of its resolution",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
}


def assert_one_sentence(text: str | None) -> None:
    assert text, "expected a refusal"
    assert "\n" not in text
    assert text.endswith(".")
    assert not re.search(r"[.!?]\s+[A-Z]", text), f"more than one sentence: {text!r}"


def test_every_action_has_a_rule() -> None:
    assert set(RULES) == set(Action)


def test_rules_match_the_design_contract() -> None:
    """The "who may" column of DESIGN.md's command table."""
    lead_or_dm = {Role.LEAD, Role.DELIVERY_MANAGER}
    dm = {Role.DELIVERY_MANAGER}
    expected = {
        Action.ACCEPT: dm,
        Action.DECLINE: dm,
        Action.ACK: dm,
        Action.HANDOVER: lead_or_dm,
        Action.JOIN: {Role.ANYONE},
        Action.LEAVE: {Role.SUPPORTER},
        Action.ASK: lead_or_dm,
        Action.BUSY: {Role.ANYONE},  # someone asked (checked on the value)
        Action.UPDATE: {Role.LEAD, Role.SUPPORTER, Role.DELIVERY_MANAGER},
        Action.SEVERITY: lead_or_dm,
        Action.SNOOZE: lead_or_dm,
        Action.SECURITY: lead_or_dm,
        Action.CRITERIA: dm,
        Action.STATUSPAGE: dm,
        Action.RESOLVE: lead_or_dm,
        Action.APPROVE: dm,
        Action.REJECT: dm,
        Action.REOPEN: lead_or_dm,
        Action.SCHEDULE: lead_or_dm,
        Action.RETRO: lead_or_dm,
    }
    assert {action: set(rule.roles) for action, rule in RULES.items()} == expected


def test_rules_follow_the_lifecycle() -> None:
    """When each command makes sense; nothing is possible once declined or closed."""
    triage, active, awaiting, resolved = (
        Status.TRIAGE,
        Status.ACTIVE,
        Status.AWAITING_APPROVAL,
        Status.RESOLVED,
    )
    working = {active, awaiting}
    expected = {
        Action.ACCEPT: {triage},
        Action.DECLINE: {triage},
        Action.ACK: {triage, *working, resolved},
        Action.HANDOVER: working,
        Action.JOIN: working,
        Action.LEAVE: working,
        Action.ASK: working,
        Action.BUSY: working,
        Action.UPDATE: working,
        Action.SEVERITY: working,
        Action.SNOOZE: {active},
        Action.SECURITY: {triage, *working, resolved},
        Action.CRITERIA: working,
        Action.STATUSPAGE: {*working, resolved},
        Action.RESOLVE: {active},
        Action.APPROVE: {awaiting},
        Action.REJECT: {awaiting},
        Action.REOPEN: {resolved},
        Action.SCHEDULE: {resolved},
        Action.RETRO: {resolved},
    }
    assert {action: set(rule.statuses) for action, rule in RULES.items()} == expected


@pytest.mark.parametrize(("action", "status", "person"), ALLOWED_CASES)
def test_allowed_role_in_allowed_status_may_act(
    action: Action, status: Status, person: str
) -> None:
    incident = IN_STATUS[status]()
    command = valid_command(action, person)
    if action is Action.BUSY:
        incident.state.asked[person] = NOW  # only someone asked answers busy
    assert incident.refusal(action, command, NOW) is None
    entries_before = len(incident.timeline)
    receipt = incident.apply(action, command, NOW)
    assert receipt
    assert "\n" not in receipt
    recorded = incident.timeline[entries_before:]
    assert recorded, "every allowed command is kept in the timeline"
    assert recorded[0].actor == person


@pytest.mark.parametrize(("action", "status", "person"), ROLE_REFUSED_CASES)
def test_person_without_the_role_is_refused_in_one_sentence(
    action: Action, status: Status, person: str
) -> None:
    incident = IN_STATUS[status]()
    before = incident.state.model_copy(deep=True)
    refusal = incident.refusal(action, valid_command(action, person), NOW)
    assert_one_sentence(refusal)
    assert refusal is not None
    assert refusal.startswith("Only ")
    assert RULES[action].doing in refusal
    assert f"{person} is not" in refusal
    assert incident.state == before


@pytest.mark.parametrize(("action", "status"), STATUS_REFUSED_CASES)
def test_wrong_status_is_refused_whoever_asks(action: Action, status: Status) -> None:
    incident = IN_STATUS[status]()
    for person in (LEAD, HELPER, DM, OUTSIDER):
        refusal = incident.refusal(action, valid_command(action, person), NOW)
        assert_one_sentence(refusal)
        assert refusal == (
            f"Incident inc-test is {_STATUS_WORDS[status]}, "
            f"so nobody can {RULES[action].doing} now."
        )


def test_dm_action_without_configured_dms_says_how_to_configure_them() -> None:
    incident = Incident.open(_start(declare=True, policy=Policy()), NOW)
    refusal = incident.refusal(Action.CRITERIA, valid_command(Action.CRITERIA, LEAD), NOW)
    assert_one_sentence(refusal)
    assert refusal is not None
    assert "INCIDENT_DELIVERY_MANAGERS" in refusal


# --- Refusals of values -----------------------------------------------------------------------


def _refused(incident: Incident, action: Action, command: Command, now: datetime = NOW) -> str:
    before = incident.state.model_copy(deep=True)
    refusal = incident.refusal(action, command, now)
    assert_one_sentence(refusal)
    assert refusal is not None
    assert incident.state == before
    return refusal


def test_handover_to_the_current_lead_is_refused() -> None:
    refusal = _refused(declared(), Action.HANDOVER, Handover(actor=DM, to=LEAD))
    assert refusal == "U0LEAD is already the lead of inc-test."


def test_join_by_the_lead_or_an_existing_supporter_is_refused() -> None:
    incident = declared()
    assert _refused(incident, Action.JOIN, Command(actor=LEAD)) == "U0LEAD leads inc-test already."
    assert (
        _refused(incident, Action.JOIN, Command(actor=HELPER))
        == "U0HELP is already helping on inc-test."
    )


def test_leave_by_someone_who_is_not_helping_is_refused() -> None:
    incident = declared()
    for person in (OUTSIDER, LEAD, DM):
        refusal = _refused(incident, Action.LEAVE, Command(actor=person))
        assert refusal == f"Only a supporter may leave an incident on inc-test; {person} is not."


def test_leave_then_leave_again_is_refused() -> None:
    incident = declared()
    _do(incident, Action.LEAVE, Command(actor=HELPER))
    assert incident.state.supporters == []
    _refused(incident, Action.LEAVE, Command(actor=HELPER))


def test_changing_to_the_same_severity_is_refused() -> None:
    refusal = _refused(
        declared(), Action.SEVERITY, ChangeSeverity(actor=LEAD, severity=Severity.SEV2)
    )
    assert refusal == "inc-test is already sev2."


def test_marking_security_twice_is_refused() -> None:
    incident = declared()
    _do(incident, Action.SECURITY, Command(actor=LEAD))
    refusal = _refused(incident, Action.SECURITY, Command(actor=DM))
    assert refusal == "inc-test is already a security incident."


def test_status_page_post_on_a_security_incident_is_refused() -> None:
    incident = declared(security=True)
    command = valid_command(Action.STATUSPAGE, DM)
    refusal = _refused(incident, Action.STATUSPAGE, command)
    assert "security incident" in refusal
    assert "status page" in refusal


def test_ack_of_an_accepted_incident_is_refused() -> None:
    incident = reported()
    _do(incident, Action.ACCEPT, Accept(actor=DM, lead=LEAD, severity=Severity.SEV2))
    incident.state.acknowledged_at = None  # as if nobody had: still nothing to acknowledge
    refusal = _refused(incident, Action.ACK, Command(actor=DM))
    assert refusal == "inc-test was not self-initiated, so there is nothing to acknowledge."


def test_ack_of_a_report_says_a_dm_is_looking_and_stops_its_nudges() -> None:
    incident = reported()
    assert Timer.TRIAGE in incident.state.timers
    text = _do(incident, Action.ACK, Command(actor=DM))
    assert text == "U0DM has seen the report and is looking."
    s = incident.state
    assert (s.status, s.delivery_manager, Timer.TRIAGE in s.timers) == ("triage", DM, False)
    assert _refused(incident, Action.ACK, Command(actor=DM)) == (
        "inc-test is already acknowledged by U0DM."
    )


def test_ack_twice_is_refused_and_names_who_acknowledged() -> None:
    incident = declared()
    _do(incident, Action.ACK, Command(actor=DM))
    refusal = _refused(incident, Action.ACK, Command(actor=DM))
    assert refusal == "inc-test is already acknowledged by U0DM."


def test_ack_of_an_incident_a_dm_declared_is_refused() -> None:
    start = _start(declare=True).model_copy(update={"actor": DM})
    incident = Incident.open(start, NOW)
    assert incident.state.acknowledged_at == NOW
    refusal = _refused(incident, Action.ACK, Command(actor=DM))
    assert "already acknowledged" in refusal


@pytest.mark.parametrize("revisit_at", [NOW - timedelta(hours=1), NOW])
def test_decline_with_a_revisit_date_not_in_the_future_is_refused(revisit_at: datetime) -> None:
    command = Decline(actor=DM, reason="Later", revisit_at=revisit_at)
    assert (
        _refused(reported(), Action.DECLINE, command) == "The revisit date must be in the future."
    )


def test_approve_when_nothing_awaits_approval_is_refused() -> None:
    refusal = _refused(declared(), Action.APPROVE, Command(actor=DM))
    assert refusal == "Incident inc-test is active, so nobody can approve a resolution now."


def test_retro_before_resolution_is_refused() -> None:
    for incident in (declared(), awaiting_approval()):
        refusal = _refused(incident, Action.RETRO, Retro(actor=DM, notes="Too early"))
        assert "so nobody can record the retro now" in refusal


def test_retro_needs_notes_or_a_reason_to_skip_but_not_both() -> None:
    with pytest.raises(ValidationError):
        Retro(actor=DM)
    with pytest.raises(ValidationError):
        Retro(actor=DM, notes="n", skip_reason="r")


# --- The lifecycle the handbook describes -----------------------------------------------------


def test_report_tells_the_dms_and_accept_makes_it_active_with_a_channel() -> None:
    incident = reported()
    assert incident.state.status is Status.TRIAGE
    asked = _notices(incident, kind=NoticeKind.REPORTED)
    assert [n.recipients for n in asked] == [[DM]]
    assert "incident accept inc-test" in asked[0].text

    _do(incident, Action.ACCEPT, Accept(actor=DM, lead=LEAD, severity=Severity.SEV1))
    s = incident.state
    assert (s.status, s.lead, s.severity, s.delivery_manager) == (
        Status.ACTIVE,
        LEAD,
        Severity.SEV1,
        DM,
    )
    channels = [e for e in incident.outbox.effects if isinstance(e, ChannelRequest)]
    assert len(channels) == 1
    assert channels[0].name == "inc-test"
    assert not channels[0].private
    assert set(channels[0].invite) == {LEAD, DM}
    told = _notices(incident, kind=NoticeKind.ACCEPTED)
    assert set(told[0].recipients) == {REPORTER, LEAD}


def test_reject_returns_to_active_keeping_the_reason() -> None:
    incident = awaiting_approval()
    later = NOW + timedelta(minutes=10)
    _do(incident, Action.REJECT, Reject(actor=DM, reason="Errors still at 20%"), later)
    s = incident.state
    assert s.status is Status.ACTIVE
    assert s.rejection_reason == "Errors still at 20%"
    assert s.timers[Timer.STALE_PROGRESS] == later + POLICY.reminder_intervals[Severity.SEV2]
    assert incident.timeline[-1].kind is EntryKind.REJECTED


def test_every_effect_key_is_unique() -> None:
    incident = declared(security=True)
    _do(incident, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Keys rotated"))
    _do(incident, Action.RESOLVE, Resolve(actor=DM))
    keys = [effect.key for effect in incident.outbox.effects]
    assert len(keys) == len(set(keys))


# --- Security incidents are sealed ------------------------------------------------------------

SECRET_TITLE = "Prod AWS keys leaked"
SECRET_DESCRIPTION = "Keys pushed to a public GitHub repository"


def _notices(
    incident: Incident, *, kind: NoticeKind | None = None, audience: Audience | None = None
) -> list[Notice]:
    return [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice)
        and (kind is None or e.kind is kind)
        and (audience is None or e.audience is audience)
    ]


def _assert_sealed(notice: Notice) -> None:
    assert notice.incident.title is None
    assert notice.incident.lead is None
    assert notice.incident.channel_id is None
    for secret in (SECRET_TITLE, SECRET_DESCRIPTION, LEAD):
        assert secret not in notice.text
        assert secret not in (notice.actor or "")
        assert secret not in notice.mentions
    assert SECRET_TITLE not in notice_line(notice, platform_channel="#wc-platform")


def _security_start(*, declare: bool, policy: Policy = POLICY) -> IncidentStart:
    return IncidentStart(
        id="inc-test",
        title=SECRET_TITLE,
        description=SECRET_DESCRIPTION,
        security=True,
        actor=LEAD,
        lead=LEAD if declare else None,
        severity=Severity.SEV1 if declare else None,
        declare=declare,
        policy=policy,
    )


def test_declared_security_incident_never_describes_itself_in_public() -> None:
    incident = Incident.open(_security_start(declare=True), NOW)
    _do(incident, Action.ACK, Command(actor=DM))
    _do(incident, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Keys rotated"))
    _do(incident, Action.HANDOVER, Handover(actor=LEAD, to=NEW_LEAD))
    _do(incident, Action.RESOLVE, Resolve(actor=DM, summary="Keys rotated, repo purged"))
    _do(incident, Action.RETRO, Retro(actor=DM, notes="Add secret scanning"))

    public = _notices(incident, audience=Audience.PLATFORM_CHANNEL)
    assert [n.kind for n in public] == [NoticeKind.DECLARED, NoticeKind.RESOLVED]
    for notice in public:
        _assert_sealed(notice)
        assert NEW_LEAD not in notice.text
    assert not [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]

    channels = [e for e in incident.outbox.effects if isinstance(e, ChannelRequest)]
    assert len(channels) == 1
    assert channels[0].private
    assert channels[0].name == "inc-test-private"
    assert INFOSEC in channels[0].invite


def test_infosec_head_is_told_directly_of_a_security_incident() -> None:
    for start in (_security_start(declare=True), _security_start(declare=False)):
        incident = Incident.open(start, NOW)
        told = _notices(incident, kind=NoticeKind.SECURITY)
        assert len(told) == 1
        assert told[0].audience is Audience.DIRECT
        assert told[0].recipients == [INFOSEC]
        assert SECRET_TITLE in told[0].text


def test_reported_security_incident_accepted_later_is_announced_sealed() -> None:
    incident = Incident.open(_security_start(declare=False), NOW)
    _do(incident, Action.ACCEPT, Accept(actor=DM, lead=LEAD, severity=Severity.SEV1))
    public = _notices(incident, audience=Audience.PLATFORM_CHANNEL)
    assert len(public) == 1
    _assert_sealed(public[0])
    channels = [e for e in incident.outbox.effects if isinstance(e, ChannelRequest)]
    assert [c.private for c in channels] == [True]


def test_security_marked_later_seals_what_follows_and_skips_the_status_page() -> None:
    incident = Incident.open(
        _start(declare=True).model_copy(
            update={"title": SECRET_TITLE, "description": SECRET_DESCRIPTION}
        ),
        NOW,
    )
    _do(incident, Action.ACK, Command(actor=DM))
    _do(incident, Action.STATUSPAGE, valid_command(Action.STATUSPAGE, DM))
    posts_before = [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    assert len(posts_before) == 1

    _do(incident, Action.SECURITY, Command(actor=LEAD))
    _do(incident, Action.RESOLVE, Resolve(actor=DM, summary="Keys rotated"))

    # Nothing had gone out yet: the queued status page post is dropped, the queued public
    # announcements are sealed, and the channel not yet opened is opened private instead.
    assert not [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    public = [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.audience is Audience.PLATFORM_CHANNEL
    ]
    assert [n.kind for n in public] == [NoticeKind.DECLARED, NoticeKind.RESOLVED]
    for notice in public:
        _assert_sealed(notice)
    channels = [e for e in incident.outbox.effects if isinstance(e, ChannelRequest)]
    assert [(c.private, c.name) for c in channels] == [(True, "inc-test-private")]
    assert INFOSEC in channels[0].invite
    told = [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.kind is NoticeKind.SECURITY
    ]
    assert any(n.recipients == [INFOSEC] for n in told)


def test_security_marked_after_the_channel_opened_moves_to_a_new_private_one() -> None:
    incident = declared()
    for effect in list(incident.outbox.effects):
        result = (
            ChannelRef(channel_id="C0PUBLIC", name="inc-test")
            if isinstance(effect, ChannelRequest)
            else None
        )
        incident.effect_done(effect, result, NOW)
    _do(incident, Action.SECURITY, Command(actor=LEAD))
    moved = [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.kind is NoticeKind.SECURITY
    ]
    assert any("new private channel" in n.text for n in moved)
    channels = [e for e in incident.outbox.effects if isinstance(e, ChannelRequest)]
    assert [(c.private, c.name) for c in channels] == [(True, "inc-test-private")]


def test_non_security_resolution_resolves_the_open_status_page_incident() -> None:
    incident = declared()
    _do(incident, Action.STATUSPAGE, valid_command(Action.STATUSPAGE, DM))
    posted = [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    assert [p.status for p in posted] == [StatusPageStatus.INVESTIGATING]
    _do(incident, Action.RESOLVE, Resolve(actor=DM))
    # The page shows only its newest state: the undelivered post gives way to the resolution.
    posts = [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    assert [p.status for p in posts] == [StatusPageStatus.RESOLVED]


def test_shared_channel_mode_uses_the_response_channel_but_never_for_security() -> None:
    shared = Policy(delivery_managers=[DM], infosec_head=INFOSEC, channel_mode="shared")
    normal = Incident.open(_start(declare=True, policy=shared), NOW)
    secret = Incident.open(_security_start(declare=True, policy=shared), NOW)
    [normal_channel] = [e for e in normal.outbox.effects if isinstance(e, ChannelRequest)]
    [secret_channel] = [e for e in secret.outbox.effects if isinstance(e, ChannelRequest)]
    assert (normal_channel.name, normal_channel.private) == ("#wc-incident-response", False)
    assert (secret_channel.name, secret_channel.private) == ("inc-test-private", True)
    for notice in _notices(secret, audience=Audience.PLATFORM_CHANNEL):
        _assert_sealed(notice)


# --- What people read -------------------------------------------------------------------------


def test_timeline_markdown_groups_entries_by_day() -> None:
    incident = declared()
    state = incident.state
    entries = [
        TimelineEntry(
            at=_utc("2026-11-23T10:00:00"), actor=LEAD, kind=EntryKind.DECLARED, text="Declared"
        ),
        TimelineEntry(
            at=_utc("2026-11-23T23:59:30"), actor=HELPER, kind=EntryKind.UPDATE, text="Cache off"
        ),
        TimelineEntry(
            at=_utc("2026-11-24T00:00:05"), actor=DM, kind=EntryKind.RESOLVED, text="Fixed"
        ),
    ]
    markdown = timeline_markdown(state, entries)
    lines = markdown.splitlines()
    assert lines[0] == "# Timeline of inc-test: Search API returns 500s"
    first_day, second_day = lines.index("## 2026-11-23"), lines.index("## 2026-11-24")
    assert first_day < second_day
    declared_line = lines.index("- 10:00:00 **U0LEAD**: Declared")
    update_line = lines.index("- 23:59:30 **U0HELP**: Cache off")
    resolved_line = lines.index("- 00:00:05 **U0DM**: Fixed")
    assert first_day < declared_line < update_line < second_day < resolved_line
    assert markdown.count("## ") == 2


def test_timeline_markdown_is_posted_at_resolution() -> None:
    incident = resolved()
    [timeline] = _notices(incident, kind=NoticeKind.TIMELINE)
    assert timeline.audience is Audience.INCIDENT_CHANNEL
    assert "## 2026-11-23" in timeline.text
    assert "**U0HELP** joined to help" in timeline.text  # the actor and the id said once


def _brief(**changes: object) -> IncidentBrief:
    brief = IncidentBrief(
        id="inc-test",
        title="Search down",
        severity=Severity.SEV1,
        status=Status.ACTIVE,
        lead=LEAD,
        channel_id="C0CHAN",
        security=False,
    )
    return brief.model_copy(update=changes)


def test_notice_line_names_where_who_and_what() -> None:
    direct = Notice(
        key="inc-test/1",
        kind=NoticeKind.ESCALATION,
        audience=Audience.DIRECT,
        recipients=[DM, "U0DM2"],
        incident=_brief(),
        actor=LEAD,
        text="No update for 1h.",
    )
    assert (
        notice_line(direct, platform_channel="#wc-platform")
        == "[inc-test] escalation → direct to U0DM, U0DM2 from U0LEAD: No update for 1h."
    )
    reminder = direct.model_copy(
        update={
            "kind": NoticeKind.REMINDER,
            "audience": Audience.INCIDENT_CHANNEL,
            "recipients": [],
            "actor": None,
            "mentions": [LEAD],
            "text": "Please post an update.",
        }
    )
    assert (
        notice_line(reminder, platform_channel="#wc-platform")
        == "[inc-test] reminder → C0CHAN: @U0LEAD Please post an update."
    )
    no_channel_yet = reminder.model_copy(update={"incident": _brief(channel_id=None)})
    assert "→ the channel of inc-test:" in notice_line(
        no_channel_yet, platform_channel="#wc-platform"
    )
    announcement = direct.model_copy(
        update={"kind": NoticeKind.DECLARED, "audience": Audience.PLATFORM_CHANNEL, "text": "Hi."}
    )
    assert (
        notice_line(announcement, platform_channel="#wc-platform")
        == "[inc-test] declared → #wc-platform from U0LEAD: Hi. Channel: C0CHAN"
    )


# --- Standing messages, channel membership, archive, racing security -------------------------


def _deliver_all(incident: Incident) -> None:
    """Deliver everything queued, the way the activities answer (channels, standing posts)."""
    while incident.outbox.effects:
        effect = incident.outbox.effects[0]
        result: ChannelRef | PostedRef | StatusPageRef | None = None
        if isinstance(effect, ChannelRequest):
            result = ChannelRef(channel_id=f"C-{effect.name}", name=effect.name)
        elif isinstance(effect, Notice) and effect.standing:
            result = effect.replaces or PostedRef(channel_id="C0", ts=effect.key)
        elif isinstance(effect, StatusPagePost):
            result = StatusPageRef(page_incident_id="page-1")
        incident.effect_done(incident.notices.prepared(effect), result, NOW)
        incident.notices.keep_standing_messages_current()


def _standing(incident: Incident) -> list[Notice]:
    return [e for e in incident.outbox.effects if isinstance(e, Notice) and e.standing]


def test_the_announcement_and_pinned_summary_are_edited_in_place_once_per_change() -> None:
    incident = declared()
    _deliver_all(incident)
    assert incident.state.standing.keys() == {Standing.ANNOUNCEMENT, Standing.SUMMARY}
    announcement = incident.state.standing[Standing.ANNOUNCEMENT]

    _do(incident, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    incident.notices.keep_standing_messages_current()
    assert _standing(incident) == []  # an update changes no fact on either

    _do(incident, Action.SEVERITY, ChangeSeverity(actor=LEAD, severity=Severity.SEV1))
    incident.notices.keep_standing_messages_current()
    _do(incident, Action.HANDOVER, Handover(actor=LEAD, to=NEW_LEAD))
    incident.notices.keep_standing_messages_current()
    edits = _standing(incident)
    # Two changes, one pending edit each: the second rewrote the first rather than queueing.
    assert sorted(str(n.standing) for n in edits) == [Standing.ANNOUNCEMENT, Standing.SUMMARY]
    [edit] = [n for n in edits if n.standing is Standing.ANNOUNCEMENT]
    assert edit.text == f"Incident declared: Search API returns 500s (sev1), led by {NEW_LEAD}."
    prepared = incident.notices.prepared(edit)
    assert isinstance(prepared, Notice) and prepared.replaces == announcement
    [summary] = [n for n in edits if n.standing is Standing.SUMMARY]
    assert f"Lead: {NEW_LEAD}" in summary.text and f"Supporters: {HELPER}, {LEAD}" in summary.text


def test_joining_and_taking_the_lead_invite_people_to_the_channel() -> None:
    incident = declared()  # HELPER joined
    _do(incident, Action.HANDOVER, Handover(actor=LEAD, to=NEW_LEAD))
    invites = [e.invite for e in incident.outbox.effects if isinstance(e, Notice) and e.invite]
    assert invites == [[HELPER], [NEW_LEAD]]


def test_closing_archives_the_channel_unless_told_not_to() -> None:
    closing = [
        e for e in closed().outbox.effects if isinstance(e, Notice) and e.kind is NoticeKind.CLOSED
    ]
    assert [n.archive_channel for n in closing] == [True]
    keep = Policy(delivery_managers=[DM], archive_on_close=False)
    incident = Incident.open(_start(declare=True, policy=keep), NOW)
    _do(incident, Action.RESOLVE, Resolve(actor=DM))
    _do(incident, Action.RETRO, Retro(actor=DM, notes="n"))
    assert not any(isinstance(e, Notice) and e.archive_channel for e in incident.outbox.effects)


def test_marked_security_while_its_public_channel_was_being_opened() -> None:
    incident = declared()
    incident.outbox.effects[:] = [
        e for e in incident.outbox.effects if isinstance(e, ChannelRequest)
    ]
    in_flight = incident.outbox.effects[0]
    assert isinstance(in_flight, ChannelRequest) and not in_flight.private
    _do(incident, Action.SECURITY, Command(actor=LEAD))  # seals the outbox copy meanwhile
    incident.effect_done(in_flight, ChannelRef(channel_id="C0PUB", name="inc-test"), NOW)
    assert in_flight.key not in [e.key for e in incident.outbox.effects]
    moved = [
        e
        for e in incident.outbox.effects
        if isinstance(e, Notice) and e.kind is NoticeKind.SECURITY
    ]
    assert any("#inc-test-private" in n.text for n in moved)
    assert [c.private for c in incident.outbox.effects if isinstance(c, ChannelRequest)] == [True]


def test_an_open_page_incident_is_resolved_without_details_when_marked_security() -> None:
    incident = declared()
    _do(incident, Action.STATUSPAGE, valid_command(Action.STATUSPAGE, DM))
    _deliver_all(incident)
    _do(incident, Action.SECURITY, Command(actor=LEAD))
    [post] = [e for e in incident.outbox.effects if isinstance(e, StatusPagePost)]
    assert (post.status, post.body, post.name) == (
        StatusPageStatus.RESOLVED,
        "This incident has been resolved.",
        "",
    )
    prepared = incident.notices.prepared(post)
    assert isinstance(prepared, StatusPagePost) and prepared.page_incident_id == "page-1"


def test_announcement_and_summary_texts() -> None:
    state = declared().state
    assert announcement_text(state) == (
        f"Incident declared: Search API returns 500s (sev2), led by {LEAD}."
    )
    sealed = state.model_copy(update={"security": True, "status": Status.RESOLVED})
    assert announcement_text(sealed) == "A confidential incident has been resolved."
    assert pinned_summary(state).splitlines() == [
        "Incident summary (kept current)",
        "Status: active · Severity: sev2",
        f"Lead: {LEAD}",
        f"Supporters: {HELPER}",
        "Delivery manager: not yet engaged",
    ]


def test_a_long_timeline_travels_packed_across_continue_as_new() -> None:
    incident = declared()
    for n in range(3000):
        _do(
            incident,
            Action.UPDATE,
            ProgressUpdate(actor=LEAD, text=f"Still rolling back, step {n}"),
        )
    incident.outbox.effects.clear()  # delivered
    carried = incident.carried()
    assert carried.timeline == [] and carried.timeline_packed is not None
    plain = carried.model_copy(update={"timeline": incident.timeline, "timeline_packed": None})
    assert len(carried.model_dump_json()) * 5 < len(plain.model_dump_json())
    continued = Incident.open(_start(declare=True).model_copy(update={"carried": carried}), NOW)
    assert continued.timeline == incident.timeline
    assert plain.entries() == incident.timeline  # as runs continued before packing carried it


# --- Found by planted bugs that survived (python -m tests.plant_bugs) ----------------------------


def test_closing_a_shared_mode_incident_never_archives_the_shared_channel() -> None:
    shared = Policy(delivery_managers=[DM], channel_mode="shared")
    incident = Incident.open(_start(declare=True, policy=shared), NOW)
    [request] = [e for e in incident.outbox.effects if isinstance(e, ChannelRequest)]
    thread = ChannelRef(channel_id="C0RESPONSE", name="#wc-incident-response", thread_ts="1.1")
    incident.effect_done(request, thread, NOW)
    _do(incident, Action.RESOLVE, Resolve(actor=DM))
    _do(incident, Action.RETRO, Retro(actor=DM, notes="n"))
    closing = [
        e for e in incident.outbox.effects if isinstance(e, Notice) and e.kind is NoticeKind.CLOSED
    ]
    assert [n.archive_channel for n in closing] == [False]


def test_a_snooze_ending_out_of_hours_waits_for_office_hours() -> None:
    incident = declared()  # sev2: office hours hold its reminders
    evening = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Monday 17:00 in London (GMT)
    _do(incident, Action.SNOOZE, Snooze(actor=LEAD, duration=timedelta(hours=2)), evening)
    due = incident.state.timers[Timer.STALE_PROGRESS]
    assert due == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday at opening, not 19:00


def test_messages_not_yet_delivered_travel_across_continue_as_new() -> None:
    incident = declared()
    _do(incident, Action.UPDATE, ProgressUpdate(actor=LEAD, text="Rolled back"))
    queued = [e.key for e in incident.outbox.effects]
    assert queued
    carried = incident.carried()
    continued = Incident.open(_start(declare=True).model_copy(update={"carried": carried}), NOW)
    assert [e.key for e in continued.outbox.effects] == queued


def test_the_web_uis_details_say_how_an_ended_incident_ended() -> None:
    """What a reader opening an incident in the Web UI looks for first, once it has ended."""
    assert "**Resolution:** Rolled back the deploy" in current_details(resolved().state)
    details = current_details(closed().state)
    assert "**Resolution:** Rolled back the deploy" in details
    assert "**Retro:** Add a canary" in details
    assert "**Declined:** Known issue, fix scheduled" in current_details(declined().state)
    reopened = resolved()
    _do(reopened, Action.REOPEN, Reopen(actor=DM, reason="Errors are back"))
    assert "Resolution" not in current_details(reopened.state)
    assert "Resolution" not in current_details(declared().state)
    sealed = declared(security=True)
    _do(sealed, Action.RESOLVE, Resolve(actor=DM, summary="Rotated the leaked token"))
    assert "Rotated" not in current_details(sealed.state)
