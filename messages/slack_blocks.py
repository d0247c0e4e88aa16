"""What people read in Slack: message text and Block Kit, built from the workflow's notices.

Pure functions only: the Slack activity sends what these return, tests read it::

    text, blocks = notice_text(notice), notice_blocks(notice)

User text (titles, descriptions, updates, reasons) never broadcasts: Slack's control sequences
(``<!channel>``, ``<!here>``, ``<!everyone>``, ``<@U…>``, links) are escaped and ``@channel``-style
words are broken with a zero-width space. Buttons carry an :class:`ActionId` and the incident id as
their ``value``, ready for the relay that receives the clicks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from messages import text as plain
from messages.summary import topic_line
from workflows.destinations.slack import Audience, ChannelRequest, Notice, NoticeKind, Standing
from workflows.model import Action, Status
from workflows.vocabulary.basics import WORKING_STATUSES

Block = dict[str, Any]
View = dict[str, Any]  # a modal or a Home tab

SECTION_MAX = 3000  # Slack's limit on one section's text
TOPIC_MAX = 250  # Slack's limit on a channel topic
MESSAGE_BLOCKS_MAX = 50
MESSAGE_TEXT_MAX = 40_000  # chat.postMessage's text, beyond which Slack truncates it
MERGED_TEXT_SEPARATOR = "\n\n"
METADATA_EVENT = "incident_notice"

_BROADCAST_WORD = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_ZERO_WIDTH_SPACE = "\u200b"


class ActionId(StrEnum):
    """Every button the incident bot posts; the relay dispatches on these."""

    ACKNOWLEDGE = "incident_acknowledge"
    APPROVE = "incident_approve"
    REJECT = "incident_reject"
    JOIN = "incident_join"
    BUSY = "incident_busy"
    REOPEN = "incident_reopen"
    # On the pinned summary: each opens the form of its command (frontends/relay_forms.py).
    POST_UPDATE = "incident_post_update"
    HAND_OVER = "incident_hand_over"
    RESOLVE = "incident_resolve"
    STATUS_PAGE = "incident_status_page"
    CRITERIA = "incident_criteria"
    # On the Home tab: each opens the form to open an incident.
    REPORT_FORM = "incident_report_form"
    DECLARE_FORM = "incident_declare_form"


@dataclass(frozen=True)
class Button:
    """A button the bot posts on a notice, declared once: its label, the command it sends as
    whoever clicks (its input model, the same Update and rules as the CLI's), how the message
    then says who answered ("Approved by …"), and for a command that needs a reason, the modal's
    title and question (the incident id goes in ``{}``)."""

    label: str
    command: Action
    done: str
    asks_why: tuple[str, str] | None = None


BUTTONS = {
    ActionId.ACKNOWLEDGE: Button("Acknowledge", Action.ACK, "Acknowledged"),
    ActionId.APPROVE: Button("Approve", Action.APPROVE, "Approved"),
    ActionId.REJECT: Button(
        "Reject", Action.REJECT, "Rejected", ("Reject resolution", "Why is {} not resolved?")
    ),
    ActionId.JOIN: Button("Join", Action.JOIN, "Joined"),
    ActionId.BUSY: Button("Can't help", Action.BUSY, "Can't help, said"),
    ActionId.REOPEN: Button(
        "Reopen", Action.REOPEN, "Reopened", ("Reopen incident", "Why reopen {}?")
    ),
}
# The actions block of a message one answer settles (a request, an ask): once a button's command
# succeeds, the relay replaces the buttons with who answered. Others (the announcement's Join)
# stay for everyone.
ANSWER_BLOCK, OFFER_BLOCK = "incident_answer", "incident_actions"


def neutralise(text: str) -> str:
    """User text made safe for Slack mrkdwn: no broadcasts, mentions or links it did not mean."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST_WORD.sub(lambda m: f"@{_ZERO_WIDTH_SPACE}{m.group(1)}", escaped)


def mention(person: str) -> str:
    """A real mention for a Slack user id; anyone else (an email) is named, not pinged."""
    return f"<@{person}>" if _SLACK_ID.match(person) else neutralise(person)


def message_metadata(key: str, *more: str) -> dict[str, Any]:
    """The metadata every post carries, so a retry can find what an earlier attempt posted; a
    merged message (:func:`merged_message`) names every member's key in ``keys``, its first
    also in ``key``."""
    payload: dict[str, Any] = {"key": key}
    if more:
        payload["keys"] = [key, *more]
    return {"event_type": METADATA_EVENT, "event_payload": payload}


def posted_key(message: dict[str, Any]) -> str | None:
    """The delivery key a message carries in its metadata, if the incident bot posted it (a
    merged message's first: :func:`posted_keys` has them all)."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None


def posted_keys(message: dict[str, Any]) -> list[str]:
    """Every delivery key a message carries: one for a post, each member's for a merged one."""
    first = posted_key(message)
    if first is None:
        return []
    keys = message["metadata"]["event_payload"].get("keys")
    if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
        return list(keys)
    return [first]


def mergeable(blocks: list[Block]) -> bool:
    """Whether a post's blocks may share a message with others': no buttons (the relay edits the
    clicked message, which would change the other members too) and no block ids (unique per
    message)."""
    return all(b.get("type") != "actions" and "block_id" not in b for b in blocks)


def merged_message(
    members: list[tuple[str, str, list[Block]]],
) -> tuple[str, list[Block], dict[str, Any]] | None:
    """One message carrying several posts, each ``(key, text, blocks)`` in order: the blocks
    with a divider between members, the texts (the notification and fallback) joined, the
    metadata naming every key. None when Slack would refuse it (over MESSAGE_BLOCKS_MAX blocks
    or MESSAGE_TEXT_MAX characters). One member is its own post, unchanged."""
    if not members:
        return None
    text = MERGED_TEXT_SEPARATOR.join(member_text for _, member_text, _ in members)
    blocks: list[Block] = []
    for _, _, part in members:
        blocks += [{"type": "divider"}, *part] if blocks else part
    if len(blocks) > MESSAGE_BLOCKS_MAX or len(text) > MESSAGE_TEXT_MAX:
        return None
    first, *more = (key for key, _, _ in members)
    return text, blocks, message_metadata(first, *more)


def notice_text(notice: Notice) -> str:
    """The message text (also the notification and fallback text): the console's text with real
    mentions, user text neutralised and the channel linked."""
    return plain.notice_text(notice, mention=mention, escape=neutralise, link=channel_link)


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if not channel_id.startswith("#") else channel_id


def notice_blocks(notice: Notice) -> list[Block]:
    """Block Kit for a notice: the text, a context line, and the buttons its kind calls for."""
    blocks: list[Block] = [_section(part) for part in split_sections(notice_text(notice))]
    blocks.append(_context(f"{notice.incident.id} · {notice.kind.replace('_', ' ')}"))
    buttons, one_answer_settles = _buttons(notice)
    if buttons:
        block_id = ANSWER_BLOCK if one_answer_settles else OFFER_BLOCK
        blocks.append({"type": "actions", "block_id": block_id, "elements": buttons})
    blocks += _next_steps(notice)
    return blocks[:MESSAGE_BLOCKS_MAX]


def _next_steps(notice: Notice) -> list[Block]:
    """The pinned summary's buttons: what the people working on the incident do next, and (a
    second row) what only the delivery managers do. Each opens a small form; the workflow's rules
    decide, as for the command typed."""
    brief = notice.incident
    if notice.standing is not Standing.SUMMARY or brief.status not in WORKING_STATUSES:
        return []
    steps = [
        _button(ActionId.POST_UPDATE, brief.id, label="Post update", style="primary"),
        _button(ActionId.HAND_OVER, brief.id, label="Hand over"),
    ]
    if brief.status is Status.ACTIVE:
        steps.append(_button(ActionId.RESOLVE, brief.id, label="Resolve"))
    managers = [_button(ActionId.CRITERIA, brief.id, label="Criteria")]
    if not brief.security:
        managers.insert(0, _button(ActionId.STATUS_PAGE, brief.id, label="Status page"))
    return [
        {"type": "actions", "block_id": "incident_next_steps", "elements": steps},
        _context("Delivery managers:"),
        {"type": "actions", "block_id": "incident_manager_steps", "elements": managers},
    ]


def _buttons(notice: Notice) -> tuple[list[Block], bool]:
    """The notice's buttons, and whether one answer settles the message."""
    incident_id = notice.incident.id
    if notice.kind is NoticeKind.ACK_REQUEST:
        return [_button(ActionId.ACKNOWLEDGE, incident_id, style="primary")], True
    if notice.kind is NoticeKind.RESOLUTION_REQUEST:
        return [
            _button(ActionId.APPROVE, incident_id, style="primary"),
            _button(ActionId.REJECT, incident_id, style="danger"),
        ], True
    if notice.kind is NoticeKind.RESOLVED and notice.audience is Audience.DIRECT:
        return [_button(ActionId.REOPEN, incident_id)], True  # resolved on their criteria
    if notice.kind is NoticeKind.ASKED:
        return [
            _button(ActionId.JOIN, incident_id, style="primary"),
            _button(ActionId.BUSY, incident_id),
        ], True
    if (
        notice.kind is NoticeKind.DECLARED
        and notice.audience is Audience.PLATFORM_CHANNEL
        and not notice.incident.security
        and notice.incident.status in (Status.ACTIVE, Status.AWAITING_APPROVAL)
    ):
        return [_button(ActionId.JOIN, incident_id)], False
    return [], False


def _button(
    action: ActionId, incident_id: str, *, label: str | None = None, style: str | None = None
) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action.value,
        "text": {"type": "plain_text", "text": label or BUTTONS[action].label},
        "value": incident_id,
    }
    if style:
        button["style"] = style
    return button


def channel_intro_text(request: ChannelRequest) -> str:
    """The first message of an incident's channel (or the root of its thread in shared mode)."""
    return f"*Incident {request.incident_id}*\n{neutralise(request.first_message)}"


def channel_intro_blocks(request: ChannelRequest) -> list[Block]:
    blocks = [_section(part) for part in split_sections(channel_intro_text(request))]
    blocks.append(_context(neutralise(request.topic)))
    return blocks[:MESSAGE_BLOCKS_MAX]


def slack_topic(topic: str) -> str:
    """A channel topic (``messages.summary.channel_topic``) as ``conversations.setTopic`` takes
    it: plain text ("does not support formatting or linkification", so nothing in it can ping or
    link and nothing is escaped: ``Café & Shop`` shows as typed), within Slack's length."""
    return topic if len(topic) <= TOPIC_MAX else topic[: TOPIC_MAX - 1] + "…"


def notice_topic(notice: Notice) -> str | None:
    """The channel topic as the incident now stands: title · severity · lead."""
    brief = notice.incident
    if brief.title is None:
        return None
    return slack_topic(topic_line(brief.title, brief.severity, brief.lead))


def channel_purpose(incident_id: str) -> str:
    """The purpose marks a channel as this incident's own, so a retry reuses it."""
    return f"Incident {incident_id} · run by the incident workflow"


def is_channel_of(purpose: str, incident_id: str) -> bool:
    return purpose == channel_purpose(incident_id)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def split_sections(text: str) -> list[str]:
    """Long text as section-sized parts, split on line ends where possible."""
    parts: list[str] = []
    rest = text
    while len(rest) > SECTION_MAX:
        cut = rest.rfind("\n", 0, SECTION_MAX)
        cut = cut if cut > 0 else SECTION_MAX
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest or " ")
    return parts
