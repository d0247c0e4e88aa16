"""Every Block Kit payload the product builds, at its largest, within Slack's published limits:
messages (each notice, the channel's first message, the documents' short messages and their
fallback, the relay's decided requests), modals (every form, the reject reason) and the Home tab.

The limits are ``tests/standins/blockkit.py``'s (each number from Slack's reference); the Slack
stand-in applies the same checks to everything the end-to-end tests send, so this file covers what
those runs do not reach: the longest titles, texts and ids, and the most incidents.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from messages import slack_blocks as sb
from messages import slack_documents as sd
from messages import slack_relay as sr
from messages.slack_forms import Form, FormContext, form_view
from messages.slack_home import home_view
from messages.timeline import timeline_markdown
from tests.standins.blockkit import Surface, blocks_problems, view_problems
from tests.standins.slack import UPDATE_TEXT_MAX
from tests.test_slack import channel_request, notice
from workflows.destinations.slack import Audience, IncidentBrief, NoticeKind, Standing
from workflows.model import EntryKind, IncidentState, Severity, Status, TimelineEntry
from workflows.vocabulary.basics import REASON_MAX, TEXT_MAX, TITLE_MAX

LONGEST_ID = "inc-" + "x" * 96  # check_incident_id: at most 100 characters
LONGEST_TITLE = "T" * TITLE_MAX
LONGEST_TEXT = "@here <!channel> & " + "w" * (TEXT_MAX - 19)
USER = "U0" + "X" * 18  # a long Slack user id
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def brief(status: Status, *, security: bool) -> IncidentBrief:
    return IncidentBrief(
        id=LONGEST_ID,
        title=None if security else LONGEST_TITLE,
        severity=Severity.SEV1,
        status=status,
        lead=None if security else USER,
        channel_id="C0123456789",
        security=security,
    )


def every_notice() -> list[Any]:
    """Each kind of notice, to each audience, in each status, open or confidential, saying the
    most a notice can say (its text: a command's longest text, with its own words around it)."""
    cases = []
    for kind, audience, status, security in itertools.product(
        NoticeKind, Audience, Status, (False, True)
    ):
        standing = {
            (NoticeKind.SUMMARY, Audience.INCIDENT_CHANNEL): Standing.SUMMARY,
            (NoticeKind.DECLARED, Audience.PLATFORM_CHANNEL): Standing.ANNOUNCEMENT,
        }.get((kind, audience))
        cases.append(
            notice(
                kind,
                audience,
                key=f"{LONGEST_ID}/9999",
                text=f"{USER} said: {LONGEST_TEXT} (and more words around it)",
                incident=brief(status, security=security),
                mentions=[USER] * 5,
                recipients=[USER] if audience is Audience.DIRECT else [],
                standing=standing,
            )
        )
    return cases


@pytest.mark.parametrize("message", every_notice(), ids=lambda n: f"{n.kind}-{n.audience}")
def test_every_notice_is_a_message_slack_accepts(message: Any) -> None:
    assert blocks_problems(sb.notice_blocks(message), Surface.MESSAGE) == []
    if message.standing is not None:  # edited in place: chat.update's text limit
        assert len(sb.notice_text(message)) <= UPDATE_TEXT_MAX


def test_the_channels_first_message_is_one_slack_accepts() -> None:
    request = channel_request(first_message=LONGEST_TEXT, topic=LONGEST_TITLE + " · sev1 · lead")
    assert blocks_problems(sb.channel_intro_blocks(request), Surface.MESSAGE) == []
    assert len(sb.slack_topic(request.topic)) <= sb.TOPIC_MAX


def longest_timeline(entries: int) -> str:
    state = IncidentState.model_validate(
        {"id": LONGEST_ID, "title": LONGEST_TITLE, "status": Status.RESOLVED, "reporter": USER,
         "created_at": NOW - timedelta(days=3)}
    )  # fmt: skip
    timeline = [
        TimelineEntry(at=NOW - timedelta(minutes=n), actor=USER, kind=EntryKind.UPDATE, text=LONGEST_TEXT)
        for n in range(entries)
    ]  # fmt: skip
    return timeline_markdown(state, timeline)


@pytest.mark.parametrize("entries", [1, 400], ids=["short", "400-longest-entries"])
def test_a_document_is_a_short_message_and_a_fallback_slack_accepts(entries: int) -> None:
    document = sd.notice_document(
        notice(NoticeKind.TIMELINE, text=longest_timeline(entries), key=f"{LONGEST_ID}/1")
    )
    assert document is not None
    assert blocks_problems(document.blocks, Surface.MESSAGE) == []
    assert blocks_problems(sd.fallback_blocks(document), Surface.MESSAGE) == []


def test_the_relays_own_messages_and_the_reason_modals_are_ones_slack_accepts() -> None:
    decision = sr.decision_line(sb.ActionId.REJECT, USER, "r" * REASON_MAX)
    request = notice(NoticeKind.RESOLUTION_REQUEST, Audience.DIRECT, recipients=[USER])
    assert (
        blocks_problems(sr.decided_blocks(sb.notice_blocks(request), decision), Surface.MESSAGE)
        == []
    )
    assert blocks_problems(sr.decided_from_text(LONGEST_TEXT, decision), Surface.MESSAGE) == []
    message = sr.RequestMessage(incident_id=LONGEST_ID, channel="D0", ts="1.2", text=LONGEST_TEXT)
    for asked in sr.REASON_ASKED.values():
        assert view_problems(sr.reason_modal(asked, message)) == []


@pytest.mark.parametrize("form", list(Form))
def test_every_form_is_a_modal_slack_accepts_however_it_is_prefilled(form: Form) -> None:
    context = FormContext(
        form=form,
        requester=USER,
        incident_id=LONGEST_ID,
        channel="C0123456789",
        response_url="https://hooks.slack.com/commands/T0/" + "1" * 200,
        permalink="https://example.slack.com/archives/C0123456789/p" + "1" * 16,
        title=LONGEST_TITLE,
        description=LONGEST_TEXT,
    )
    view = form_view(context)
    assert view_problems(view) == []
    assert FormContext.from_metadata(view["private_metadata"]).incident_id == LONGEST_ID


def open_incident(n: int, *, viewer: str) -> IncidentState:
    """An open incident as long to show as they come; every third the viewer's, every fifth
    confidential, every second waiting on the viewer as a delivery manager."""
    return IncidentState.model_validate(
        {
            "id": f"{LONGEST_ID[:90]}-{n}",
            "title": LONGEST_TITLE,
            "status": [Status.TRIAGE, Status.ACTIVE, Status.AWAITING_APPROVAL, Status.RESOLVED][
                n % 4
            ],
            "severity": Severity.SEV2,
            "reporter": viewer if n % 3 == 0 else USER,
            "lead": USER,
            "supporters": [USER] * 3,
            "security": n % 5 == 0,
            "self_initiated": True,
            "delivery_managers": [viewer] if n % 2 == 0 else [],
            "channel_id": "C0123456789",
            "created_at": NOW - timedelta(days=n, minutes=7),
            "last_update_at": NOW - timedelta(minutes=n),
        }
    )


@pytest.mark.parametrize("count", [0, 1, 30, 200], ids=lambda c: f"{c}-incidents")
def test_the_home_tab_is_one_slack_accepts_however_many_incidents_are_open(count: int) -> None:
    viewer = "U0VIEWER"
    incidents = [open_incident(n, viewer=viewer) for n in range(count)]
    view = home_view(viewer, incidents, now=NOW)
    assert view_problems(view) == []
    shown = "\n".join(str(b) for b in view["blocks"])
    assert count == 0 or LONGEST_TITLE in shown
    problem = home_view(viewer, [], now=NOW, problem="Temporal said no. " * 100)
    assert view_problems(problem) == []


# --- The checks themselves: what Slack refuses, they refuse ---------------------------------------


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(**fields: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "blocks": []} | fields


@pytest.mark.parametrize(
    ("payload", "surface", "problem"),
    [
        ([section("x")] * 51, Surface.MESSAGE, "no more than 50 items"),
        ([section("x" * 3001)], Surface.MESSAGE, "text must be 1 to 3000"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], Surface.MESSAGE, "1 to 150"),
        ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}]}], Surface.MESSAGE, "1 to 75"),
        ([{"type": "actions", "elements": [{"type": "button", "action_id": "a" * 256, "text": {"type": "plain_text", "text": "b"}}]}], Surface.MESSAGE, "at most 255"),
        ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"}}] * 26}], Surface.MESSAGE, "1 to 25"),
        ([{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {"type": "plain_text_input"}}], Surface.MESSAGE, "cannot hold a 'input'"),
        (modal(title={"type": "plain_text", "text": "t" * 25}), Surface.MODAL, "title: text must be 1 to 24"),
        (modal(private_metadata="m" * 3001), Surface.MODAL, "at most 3000"),
        (modal(blocks=[section("x")] * 101), Surface.MODAL, "no more than 100 items"),
        (modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "l" * 2001}, "element": {"type": "plain_text_input"}}], submit={"type": "plain_text", "text": "Go"}), Surface.MODAL, "1 to 2000"),
        (modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {"type": "static_select", "placeholder": {"type": "plain_text", "text": "p" * 151}, "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v"}]}}], submit={"type": "plain_text", "text": "Go"}), Surface.MODAL, "placeholder: text must be 1 to 150"),
        (modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {"type": "static_select", "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v"}] * 101}}], submit={"type": "plain_text", "text": "Go"}), Surface.MODAL, "1 to 100 items"),
        (modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {"type": "checkboxes", "options": [{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}]}}], submit={"type": "plain_text", "text": "Go"}), Surface.MODAL, "1 to 75"),
        (modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "l"}, "element": {"type": "plain_text_input"}}]), Surface.MODAL, "submit: must be a text object"),
        ({"type": "home", "blocks": [section("x")] * 101}, Surface.HOME, "no more than 100 items"),
    ],
)  # fmt: skip
def test_the_limits_catch_what_slack_refuses(payload: Any, surface: Surface, problem: str) -> None:
    found = (
        blocks_problems(payload, surface) if surface is Surface.MESSAGE else view_problems(payload)
    )
    assert any(problem in p for p in found), found
