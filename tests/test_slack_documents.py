"""The timeline and the retro draft in Slack: a short message in Slack's own formatting plus the
document as a file (files.uploadV2), each exactly once, against the Slack stand-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from activities.slack import SlackMessenger
from messages import sentences as say
from messages import slack_blocks as sb
from messages import slack_documents as sd
from messages.retro import retro_draft, retro_file_name
from messages.timeline import timeline_markdown
from tests.standins.common import Fault
from tests.standins.slack import BOT_USER, Channel, SlackStandIn
from tests.test_slack import TOKEN, as_temporal_would, brief, keys, notice
from workflows.destinations.slack import Notice, NoticeKind
from workflows.model import EntryKind, IncidentState, Severity, Status, TimelineEntry

LONDON = ZoneInfo("Europe/London")
INCIDENT = "inc-2026-01-05-search-down"
# What standard Markdown looks like when Slack's mrkdwn shows it literally (issue 17).
LITERAL_MARKDOWN = re.compile(r"^#+ |\*\*|\]\(#|^- \[ \]", re.MULTILINE)


def incident_state() -> IncidentState:
    return IncidentState.model_validate(
        {
            "id": INCIDENT,
            "title": "Search down & <!channel> slow",
            "status": Status.RESOLVED,
            "reporter": "U0REP",
            "lead": "U0LEAD",
            "severity": Severity.SEV1,
            "created_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            "active_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            "resolved_at": datetime(2026, 1, 5, 11, 0, tzinfo=UTC),
            "channel_name": f"#{INCIDENT}",
        }
    )


def entries(count: int) -> list[TimelineEntry]:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return [
        TimelineEntry(
            at=start + timedelta(minutes=n),
            actor="U0LEAD",
            kind=EntryKind.UPDATE,
            text=f"step {n}: cause: a disk filled" if n == 3 else f"step {n} <@U0BOSS> @here",
        )
        for n in range(count)
    ]


def timeline_notice(count: int = 90, **fields: Any) -> Notice:
    text = timeline_markdown(incident_state(), entries(count))
    return notice(NoticeKind.TIMELINE, text=text, key=f"{INCIDENT}/40", **fields)


def draft_notice(**fields: Any) -> Notice:
    state = incident_state()
    text = say.retro_draft_message(
        retro_file_name(state, LONDON), retro_draft(state, entries(12), zone=LONDON)
    )
    return notice(NoticeKind.RETRO_DRAFT, text=text, key=f"{INCIDENT}/41", **fields)


# --- What Slack shows: one source, rendered into mrkdwn --------------------------------------------


def test_markdown_becomes_mrkdwn_and_user_text_stays_inert() -> None:
    shown = sd.mrkdwn(
        "# Timeline of inc-1\n**Incident from:** 5 May\n- [Timeline](#timeline)\n"
        "- [ ] alert on 5xx\n- 10:00:00 **U0LEAD** (update): <!channel> see [PR](https://x.org/1)"
    )
    assert shown.splitlines() == [
        "*Timeline of inc-1*",
        "*Incident from:* 5 May",
        "• Timeline",
        "☐ alert on 5xx",
        "• 10:00:00 *U0LEAD* (update): &lt;!channel&gt; see PR (https://x.org/1)",
    ]


@pytest.mark.parametrize("build", [timeline_notice, draft_notice], ids=["timeline", "retro-draft"])
def test_a_long_document_is_a_short_message_in_slacks_formatting(
    build: Callable[..., Notice],
) -> None:
    document = sd.notice_document(build())
    assert document is not None
    assert len(document.text) < 600  # a message people read; the file holds the rest
    assert not LITERAL_MARKDOWN.search(document.text), document.text
    assert "<!channel>" not in document.text and "&amp;" in document.text  # the title, inert
    assert document.content.startswith("# ")  # the file is the Markdown as written
    assert all(block["type"] in ("section", "context") for block in document.blocks)


def test_the_files_are_named_for_the_incident_and_the_retros_folder() -> None:
    timeline = sd.notice_document(timeline_notice())
    draft = sd.notice_document(draft_notice())
    assert timeline is not None and draft is not None
    assert timeline.file_name == f"{INCIDENT}_timeline.md"
    assert "90 entries" in timeline.text
    assert draft.file_name == "2026-01-05_search-down-channel-slow.md"  # YYYY-MM-DD_short-title
    assert draft.content.startswith("# Incident retro - Search down")
    assert "*Incident until:* 5 January 2026" in draft.text


def test_other_notices_are_not_documents() -> None:
    assert sd.notice_document(notice(NoticeKind.UPDATE)) is None


# --- Delivered: the short message once, the file once ---------------------------------------------


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(token=TOKEN)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


def messenger(slack: SlackStandIn, *, settle: float = 0.0) -> SlackMessenger:
    return SlackMessenger.connect(
        token=TOKEN,
        base_url=slack.url,
        platform_channel="#wc-platform",
        min_post_interval=0,
        share_settle_seconds=settle,
    )


def incident_channel(slack: SlackStandIn) -> Channel:
    return slack.add_channel(INCIDENT, members={BOT_USER})


@pytest.mark.parametrize("build", [timeline_notice, draft_notice], ids=["timeline", "retro-draft"])
async def test_the_channel_gets_the_short_message_then_the_file(
    slack: SlackStandIn, build: Callable[..., Notice]
) -> None:
    channel = incident_channel(slack)
    delivered = build(incident=brief(channel_id=channel.id))
    document = sd.notice_document(delivered)
    assert document is not None
    await as_temporal_would(lambda: messenger(slack).deliver(delivered))

    short, shared = channel.messages
    assert sb.posted_key(short) == delivered.key and short["text"] == document.text
    assert not LITERAL_MARKDOWN.search(short["text"])
    [upload] = slack.files(channel.id)
    assert shared["files"][0]["name"] == upload.name == document.file_name
    assert upload.text == document.content and upload.title == document.title


@pytest.mark.parametrize(
    ("method", "fault"),
    [
        ("files.getUploadURLExternal", Fault.SERVER_ERROR),
        ("files.getUploadURLExternal", Fault.DROP_AFTER),
        ("files.completeUploadExternal", Fault.RATE_LIMIT),
        ("files.completeUploadExternal", Fault.SERVER_ERROR),
        ("files.completeUploadExternal", Fault.DROP_AFTER),  # shared, then the answer was lost
        ("chat.postMessage", Fault.DROP_AFTER),
    ],
)
async def test_a_fault_anywhere_still_shares_the_file_exactly_once(
    slack: SlackStandIn, method: str, fault: Fault
) -> None:
    slack.retry_after = 0
    channel = incident_channel(slack)
    delivered = timeline_notice(incident=brief(channel_id=channel.id))
    slack.inject(method, fault)
    await as_temporal_would(lambda: messenger(slack).deliver(delivered), attempts=2)
    assert slack.faults_met() == [(method, fault)]
    assert keys(channel.messages) == [delivered.key, None]  # the short message, then the file
    assert [upload.name for upload in slack.files(channel.id)] == [f"{INCIDENT}_timeline.md"]


async def test_a_retry_waits_for_a_share_slack_is_still_settling(slack: SlackStandIn) -> None:
    """Slack shares an upload after its scans: the retry of an attempt whose answer was lost
    does not see the file at once, waits, sees it, and does not upload it again."""
    slack.share_delay = 1.0
    channel = incident_channel(slack)
    delivered = timeline_notice(incident=brief(channel_id=channel.id))
    slack.inject("files.completeUploadExternal", Fault.DROP_AFTER)
    await as_temporal_would(
        lambda: messenger(slack, settle=2.0).deliver(delivered),
        attempts=2,
        start_to_close=timedelta(seconds=30),  # the workflow's, for deliveries
    )
    assert len(slack.files(channel.id)) == 1
    assert len(slack.calls("files.completeUploadExternal")) == 1


async def test_without_the_settling_wait_that_retry_would_share_the_file_twice(
    slack: SlackStandIn,
) -> None:
    """The counterpart of the test above: what the wait is for."""
    slack.share_delay = 1.0
    channel = incident_channel(slack)
    delivered = timeline_notice(incident=brief(channel_id=channel.id))
    slack.inject("files.completeUploadExternal", Fault.DROP_AFTER)
    await as_temporal_would(
        lambda: messenger(slack, settle=0.0).deliver(delivered),
        attempts=2,
        start_to_close=timedelta(seconds=30),
    )
    assert len(slack.files(channel.id)) == 2


async def test_in_a_shared_channel_the_file_goes_in_the_incidents_thread(
    slack: SlackStandIn,
) -> None:
    channel = slack.add_channel("wc-incident-response", members={BOT_USER})
    root = await as_temporal_would(
        lambda: messenger(slack).deliver(notice(incident=brief(channel_id=channel.id)))
    )
    assert root is None
    thread = channel.messages[0]["ts"]
    delivered = draft_notice(incident=brief(channel_id=channel.id, thread_ts=thread))
    slack.inject("files.completeUploadExternal", Fault.DROP_AFTER)
    await as_temporal_would(lambda: messenger(slack).deliver(delivered), attempts=2)
    replies = [m for m in channel.messages if m["thread_ts"] == thread]
    assert [sb.posted_key(m) for m in replies] == [delivered.key, None]
    assert len(slack.files(channel.id)) == 1


async def test_without_files_write_the_document_is_posted_in_mrkdwn_under_the_message(
    slack: SlackStandIn,
) -> None:
    """An app installed before ``files:write`` was added: the document still reaches the
    channel, in Slack's formatting, once however often the delivery is retried."""
    slack.scopes.clear()
    channel = incident_channel(slack)
    delivered = draft_notice(incident=brief(channel_id=channel.id))
    await as_temporal_would(lambda: messenger(slack).deliver(delivered))
    again = delivered.model_copy(update={"maybe_done": True})  # a later run, cut short before
    await as_temporal_would(lambda: messenger(slack).deliver(again))
    short, fallback = channel.messages
    assert fallback["thread_ts"] == short["ts"] and slack.files(channel.id) == []
    shown = "\n".join(block["text"]["text"] for block in fallback["blocks"])
    assert "*Analysis of causes*" in shown and "disk filled" in shown
    assert not LITERAL_MARKDOWN.search(shown)
    assert "<@U0BOSS>" not in shown and "<!channel>" not in shown
