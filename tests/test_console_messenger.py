"""What `incident dev` prints without Slack (``activities/console.py``): an edit of the standing
announcement says what happened to the incident (resolved, closed, reopened, …), not the kind of
message it began as ("declared (edited)").

Fast: the process alone drives the console messenger, as the worker's activities would.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

from activities.console import ConsoleMessenger
from messages.text import notice_label, what_changed
from tests.people import DM, LEAD, NEW_LEAD
from workflows.destinations.slack import (
    Audience,
    ChannelRequest,
    IncidentBrief,
    Notice,
    NoticeKind,
    PostedRef,
    Standing,
)
from workflows.destinations.statuspage import StatusPagePost, StatusPageRef
from workflows.model import Action, Command, IncidentStart, Model, Policy, Severity, Status
from workflows.model.commands import ChangeSeverity, Handover, Reject, Reopen, Resolve, Retro
from workflows.process import Incident

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PLATFORM = "#wc-platform"


def _brief(**changes: object) -> IncidentBrief:
    brief = IncidentBrief(
        id="inc-1",
        title="Search down",
        severity=Severity.SEV2,
        status=Status.ACTIVE,
        lead=LEAD,
        channel_id="#inc-1",
        security=False,
    )
    return brief.model_copy(update=changes)


def _announcement(*, edited: bool, **brief: object) -> Notice:
    return Notice(
        key="inc-1/9",
        kind=NoticeKind.DECLARED,
        audience=Audience.PLATFORM_CHANNEL,
        incident=_brief(**brief),
        text="Incident …",
        standing=Standing.ANNOUNCEMENT,
        replaces=PostedRef(channel_id="console", ts="inc-1/3") if edited else None,
    )


def test_what_changed_says_what_happened_to_the_incident() -> None:
    active = _brief()
    said = {
        Status.AWAITING_APPROVAL: "resolution requested",
        Status.RESOLVED: "resolved",
        Status.CLOSED: "closed",
    }
    for status, words in said.items():
        assert what_changed(active, _brief(status=status)) == [words]
    waiting, resolved = _brief(status=Status.AWAITING_APPROVAL), _brief(status=Status.RESOLVED)
    assert what_changed(waiting, active) == ["resolution rejected"]
    assert what_changed(resolved, active) == ["reopened"]
    assert what_changed(active, _brief(severity=Severity.SEV1, lead=NEW_LEAD)) == [
        "severity sev2 to sev1",
        f"lead {LEAD} to {NEW_LEAD}",
    ]
    assert what_changed(_brief(channel_id=None), active) == ["channel linked"]
    assert what_changed(active, active) == []


def test_the_label_of_a_post_is_its_kind_and_of_an_edit_what_happened() -> None:
    assert notice_label(_announcement(edited=False)) == "declared"
    edit = _announcement(edited=True, status=Status.RESOLVED)
    assert notice_label(edit, before=_brief()) == "announcement edited: resolved"
    # A worker started since the announcement was posted does not know what it said then.
    assert notice_label(edit) == "announcement edited (resolved)"
    unchanged = _announcement(edited=True)
    assert notice_label(unchanged, before=_brief()) == "announcement edited (active)"


def _deliver_all(incident: Incident, messenger: ConsoleMessenger) -> None:
    """Deliver everything queued through the console, as the worker's activities do."""
    while incident.outbox.effects:
        sent = incident.notices.prepared(incident.outbox.effects[0])
        result: Model | None = None
        if isinstance(sent, ChannelRequest):
            result = asyncio.run(messenger.open_channel(sent))
        elif isinstance(sent, Notice):
            result = asyncio.run(messenger.deliver(sent))
        elif isinstance(sent, StatusPagePost):
            result = StatusPageRef(page_incident_id="page-1")
        incident.effect_done(sent, result, NOW)
        incident.notices.keep_standing_messages_current()


def _do(incident: Incident, action: Action, command: Command) -> None:
    refusal = incident.refusal(action, command, NOW)
    assert refusal is None, refusal
    incident.apply(action, command, NOW)


def test_the_console_names_each_edit_of_the_announcement_by_what_happened() -> None:
    out = io.StringIO()
    messenger = ConsoleMessenger(platform_channel=PLATFORM, stream=out)
    start = IncidentStart(
        id="inc-1",
        title="Search down",
        security=False,
        actor=LEAD,
        lead=LEAD,
        severity=Severity.SEV2,
        declare=True,
        policy=Policy(delivery_managers=[DM]),
    )
    incident = Incident.open(start, NOW)
    for action, command in [
        (Action.SEVERITY, ChangeSeverity(actor=LEAD, severity=Severity.SEV1)),
        (Action.HANDOVER, Handover(actor=LEAD, to=NEW_LEAD)),
        (Action.RESOLVE, Resolve(actor=NEW_LEAD, summary="Rolled back")),
        (Action.REJECT, Reject(actor=DM, reason="Errors at 3%")),
        (Action.RESOLVE, Resolve(actor=DM, summary="Errors gone")),
        (Action.REOPEN, Reopen(actor=DM, reason="Back again")),
        (Action.RESOLVE, Resolve(actor=DM, summary="Fixed")),
        (Action.RETRO, Retro(actor=DM, skip_reason="Known cause")),
    ]:
        _deliver_all(incident, messenger)
        _do(incident, action, command)
    _deliver_all(incident, messenger)

    platform = [line for line in out.getvalue().splitlines() if f"→ {PLATFORM}" in line]
    labels = [line.removeprefix("[inc-1] ").split(" → ")[0] for line in platform]
    edits = [label for label in labels if label.startswith("announcement edited")]
    assert edits == [
        "announcement edited: severity sev2 to sev1",
        f"announcement edited: lead {LEAD} to {NEW_LEAD}",
        "announcement edited: resolution requested",
        "announcement edited: resolution rejected",
        "announcement edited: resolved",
        "announcement edited: reopened",
        "announcement edited: resolved",
        "announcement edited: closed",
    ]
    assert labels[0] == "declared"
    assert not any("declared (edited)" in line for line in platform)
