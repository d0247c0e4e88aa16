"""The Web UI's line for each delivery (``messages/activity_summary.py`` asks each destination's
``Delivery.activity_summary``): what goes where, in words, for every kind of effect and every kind
of notice, and never a security incident's title.

Fast: the process alone (no Temporal), driven through a whole incident's life and every effect
it issues described as the workflow would schedule it.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from messages.activity_summary import activity_summary
from messages.slack_activity import NOTICE_WORDS
from tests.people import DM, HELPER, INFOSEC, LEAD, NEW_LEAD
from workflows.destinations.base import Delivery
from workflows.destinations.github import (
    ActionIssue,
    ActionIssueRef,
    GitHubOptions,
    RetroPullRequest,
    RetroPullRequestRef,
)
from workflows.destinations.pager import Page, PageReceipt, PagerOptions
from workflows.destinations.slack import (
    Audience,
    ChannelRef,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
)
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef
from workflows.model import (
    EFFECT_TYPES,
    Action,
    Command,
    Effect,
    IncidentStart,
    IncidentState,
    Model,
    Policy,
    Severity,
    Status,
    StatusPageStatus,
)
from workflows.model.commands import (
    ChangeSeverity,
    Handover,
    PostStatusPage,
    ProgressUpdate,
    Reopen,
    Resolve,
    Retro,
)
from workflows.process import Incident

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TITLE = "Staff passwords in a public bucket"
DOCS, ACTIONS = "wellcomecollection/docs", "wellcomecollection/actions"
LONGEST = 80  # the Web UI shows one line


def _policy() -> Policy:
    github = GitHubOptions(retro_repo=DOCS, actions_repo=ACTIONS).model_dump()
    return Policy(
        delivery_managers=[DM],
        infosec_head=INFOSEC,
        destinations={
            RetroPullRequest.destination_name(): github,
            Page.destination_name(): PagerOptions(paging="on").model_dump(),
        },
    )


def _do(incident: Incident, action: Action, command: Command) -> None:
    refusal = incident.refusal(action, command, NOW)
    assert refusal is None, refusal
    incident.apply(action, command, NOW)


def _result(effect: Effect) -> Model | None:
    """What each activity answers, as the real ones do."""
    if isinstance(effect, ChannelRequest):
        return ChannelRef(channel_id="C0CHAN", name="#" + effect.name)
    if isinstance(effect, Notice) and effect.standing:
        return effect.replaces or PostedRef(channel_id="C0", ts=effect.key)
    if isinstance(effect, Notice):
        return None
    if isinstance(effect, StatusPagePost):
        return StatusPageRef(page_incident_id="page-1")
    if isinstance(effect, RetroPullRequest):
        return RetroPullRequestRef(number=7, url="https://github.test/7", path="x", branch="b")
    if isinstance(effect, ActionIssue):
        return ActionIssueRef(number=8, url="https://github.test/8")
    if isinstance(effect, Page):
        return PageReceipt(dedup_key=effect.incident_id, status="success")
    raise AssertionError(f"no answer for {type(effect).__name__}")


def _deliver_all(incident: Incident, said: list[tuple[Effect, str]]) -> None:
    """Deliver everything queued, noting each effect's summary as the workflow schedules it."""
    while incident.outbox.effects:
        sent = incident.notices.prepared(incident.outbox.effects[0])
        said.append((sent, activity_summary(sent, incident.state, incident.policy)))
        incident.effect_done(sent, _result(sent), NOW)
        incident.notices.keep_standing_messages_current()


def _a_whole_life(*, security: bool) -> list[tuple[Effect, str]]:
    """Declared, with a status page post, updates, a handover, a severity change (to sev1: it
    pages), a resolution asked for and approved, reopened, resolved again, and closed by a retro
    with actions."""
    start = IncidentStart(
        id="inc-2026-11-23-security" if security else "inc-2026-11-23-staff-passwords",
        title=TITLE,
        description="Found by a researcher",
        security=security,
        actor=LEAD,
        lead=LEAD,
        severity=Severity.SEV2,
        declare=True,
        policy=_policy(),
    )
    incident = Incident.open(start, NOW)
    said: list[tuple[Effect, str]] = []
    steps: list[tuple[Action, Command]] = [
        (Action.JOIN, Command(actor=HELPER)),
        (Action.ACK, Command(actor=DM)),
        (Action.UPDATE, ProgressUpdate(actor=LEAD, text="Bucket made private")),
        (Action.SEVERITY, ChangeSeverity(actor=LEAD, severity=Severity.SEV1)),
        (Action.HANDOVER, Handover(actor=LEAD, to=NEW_LEAD)),
        (Action.RESOLVE, Resolve(actor=NEW_LEAD, summary="Keys rotated")),
        (Action.APPROVE, Command(actor=DM)),
        (Action.REOPEN, Reopen(actor=DM, reason="Another bucket")),
        (Action.RESOLVE, Resolve(actor=DM, summary="Both private")),
        (Action.RETRO, Retro(actor=DM, notes="Audit buckets", actions=["Add a bucket policy"])),
    ]
    if not security:  # a security incident is never on the public page
        steps.insert(
            2,
            (
                Action.STATUSPAGE,
                PostStatusPage(actor=DM, status=StatusPageStatus.IDENTIFIED, text="Found it"),
            ),
        )
    for action, command in steps:
        _deliver_all(incident, said)
        _do(incident, action, command)
    _deliver_all(incident, said)
    assert incident.state.status is Status.CLOSED
    return said


def test_every_kind_of_effect_and_of_notice_has_words() -> None:
    """A new kind of effect (a destination) or of notice fails here until it is given words: its
    own ``activity_summary``, not the base's line of its destination and key."""
    default = inspect.getattr_static(Delivery, "activity_summary")
    without = [
        kind.__name__
        for kind in EFFECT_TYPES
        if inspect.getattr_static(kind, "activity_summary") is default
    ]
    assert without == []
    assert set(NOTICE_WORDS) == set(NoticeKind)


def test_a_whole_incident_reads_as_what_goes_where() -> None:
    said = _a_whole_life(security=False)
    kinds = {type(effect) for effect, _ in said}
    assert kinds == set(EFFECT_TYPES)  # the life above issues every kind there is
    lines = [line for _, line in said]
    channel = "#inc-2026-11-23-staff-passwords"
    for expected in (
        f"new channel {channel}",
        f"ack request to {DM} (direct message)",
        "announcement in #wc-platform",
        "announcement in #wc-platform (edited)",
        f"update to {channel}",
        f"pinned summary in {channel} (edited)",
        "status page post: identified",
        f"resolution request to {DM} (direct message)",
        "resolution in #wc-platform",
        f"retro pull request to {DOCS} on GitHub",
        f"action issue in {ACTIONS} on GitHub",
        f"closing note to {channel}, then the channel archived",
        "page to PagerDuty: trigger (critical)",  # raised to sev1, and reopened
        "page to PagerDuty: resolve",
    ):
        assert expected in lines, (expected, lines)
    for effect, line in said:
        assert line and "\n" not in line and len(line) <= LONGEST, line
        assert effect.key not in line  # words, not the outbox's key


def test_a_security_incident_s_summaries_never_name_it() -> None:
    said = _a_whole_life(security=True)
    lines = [line for _, line in said]
    assert "private channel #inc-2026-11-23-security-private" in lines
    assert f"retro pull request to {DOCS} (private) on GitHub" in lines
    assert "page to PagerDuty: trigger (critical, sealed)" in lines
    assert not any(isinstance(effect, ActionIssue | StatusPagePost) for effect, _ in said)
    for word in TITLE.lower().split():
        if len(word) > 3:  # "passwords", "public", "bucket"
            assert not any(word in line.lower() for line in lines), word


def _notice(**changes: object) -> Notice:
    """An update to the incident channel, with ``changes`` to it or to its incident's brief."""
    brief = IncidentBrief(
        id="inc-1",
        title="Search down",
        severity=Severity.SEV1,
        status=Status.ACTIVE,
        lead=LEAD,
        channel_id="C0CHAN",
        security=False,
    )
    of_brief = {
        name: changes.pop(name) for name in list(changes) if name in IncidentBrief.model_fields
    }
    notice = Notice(
        key="inc-1/5",
        kind=NoticeKind.UPDATE,
        audience=Audience.INCIDENT_CHANNEL,
        incident=brief.model_copy(update=of_brief),
    )
    return notice.model_copy(update=changes)


def _state(**changes: object) -> IncidentState:
    state = IncidentState(
        id="inc-1", title="Search down", status=Status.ACTIVE, reporter=LEAD, created_at=NOW
    )
    return state.model_copy(update=changes)


@pytest.mark.parametrize(
    ("notice", "state", "expected"),
    [
        # A Slack channel id: the name the channel opened with, when the state knows it.
        (_notice(), {"channel_id": "C0CHAN", "channel_name": "#inc-1"}, "update to #inc-1"),
        (_notice(), {}, "update to the incident channel"),
        (
            _notice(channel_id="C0SHARED", thread_ts="1.2"),
            {"channel_id": "C0SHARED", "channel_name": "#wc-incident-response"},
            "update to the incident's thread in #wc-incident-response",
        ),
        (
            _notice(kind=NoticeKind.ESCALATION, audience=Audience.DIRECT, recipients=[DM, "U0DM2"]),
            {},
            f"escalation to {DM}, U0DM2 (direct messages)",
        ),
        (
            _notice(
                kind=NoticeKind.RETRO_DUE,
                audience=Audience.DIRECT,
                recipients=["U01", "U02", "U03", "U04"],
            ),
            {},
            "retro reminder to 4 people (direct messages)",
        ),
    ],
)
def test_where_a_notice_goes_is_named_as_people_know_it(
    notice: Notice, state: dict[str, str], expected: str
) -> None:
    assert activity_summary(notice, _state(**state), Policy()) == expected


def test_a_kind_of_effect_without_words_still_gets_a_line() -> None:
    post = StatusPagePost(
        key="inc-1/9",
        incident_id="inc-1",
        page_incident_id=None,
        name="Search down",
        status=StatusPageStatus.MONITORING,
        body="Watching",
    )
    assert Delivery.activity_summary(post, _state(), Policy()) == "statuspage inc-1/9"
