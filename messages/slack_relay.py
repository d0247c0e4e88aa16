"""What the Slack relay shows: private answers, the reason modals, a decided request.

Pure functions, like :mod:`messages.slack_blocks` (whose :class:`ActionId` the buttons carry)::

    request = RequestMessage(incident_id="inc-1", channel="D0DM", ts="1.2", text="…")
    view = reason_modal(REASON_ASKED[ActionId.REJECT], request)
    blocks = decided_blocks(message["blocks"], decision_line(ActionId.APPROVE, "U0DM"))
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from messages.slack_blocks import ANSWER_BLOCK, BUTTONS, ActionId, Block, mention, neutralise
from workflows.model import Action
from workflows.vocabulary.basics import REASON_MAX

REPLY_MAX = 3500  # a private answer stays one readable message
_TOUCHING_BACKTICKS = re.compile("`(?=`)")
_ZERO_WIDTH_SPACE = "\u200b"
REASON_BLOCK, REASON_INPUT = "reason", "reason_input"
_METADATA_TEXT_MAX = 1500  # private_metadata holds at most 3,000 characters


@dataclass(frozen=True)
class ReasonAsked:
    """A button whose command needs a reason, asked in a modal as the command line requires."""

    command: Action  # sent with the reason as its input model's ``reason``
    view: str  # the modal's callback id
    title: str
    submit: str
    question: str  # formatted with the incident id


REASON_ASKED = {
    action: ReasonAsked(button.command, f"{action.value}_reason", title, button.label, question)
    for action, button in BUTTONS.items()
    if button.asks_why is not None
    for title, question in [button.asks_why]
}


@dataclass(frozen=True)
class RequestMessage:
    """The message whose button was clicked, carried through the modal as private metadata."""

    incident_id: str
    channel: str
    ts: str
    text: str

    def metadata(self) -> str:
        return json.dumps(asdict(self) | {"text": self.text[:_METADATA_TEXT_MAX]})

    @classmethod
    def from_metadata(cls, metadata: str) -> RequestMessage:
        return cls(**json.loads(metadata))


def reply_text(text: str) -> str:
    """A command's answer for Slack: nothing in it pings anyone, long answers are cut, and an
    answer of several lines (a table: `list`, `alerts`) is a code block, so it stays aligned
    and Slack's mrkdwn (``*``, ``_``, ``~``, backticks) leaves what it quotes as it is."""
    safe = neutralise(text.strip())
    if len(safe) > REPLY_MAX:
        safe = safe[: REPLY_MAX - 1].rstrip() + "…"
    return code_block(safe) if "\n" in safe else safe


def code_block(text: str) -> str:
    """``text`` as one mrkdwn code block whose backticks (in an alarm's key, a title) cannot
    close it early: a zero-width space parts any two that touch, or touch a fence."""
    inner = _TOUCHING_BACKTICKS.sub("`" + _ZERO_WIDTH_SPACE, text)
    if inner.startswith("`"):
        inner = _ZERO_WIDTH_SPACE + inner
    if inner.endswith("`"):
        inner += _ZERO_WIDTH_SPACE
    return f"```{inner}```"


def decision_line(action: ActionId, person: str, reason: str | None = None) -> str:
    line = f"{BUTTONS[action].done} by {mention(person)}"
    return f"{line}: {neutralise(reason)}" if reason else line


def settled_by_one_answer(blocks: list[Block]) -> bool:
    """A request or an ask: once one person's answer is done, its buttons give way to who."""
    return any(block.get("block_id") == ANSWER_BLOCK for block in blocks)


def decided_blocks(blocks: list[Block], decision: str) -> list[Block]:
    """The request message after a decision: its buttons gone, who decided in their place."""
    kept = [block for block in blocks if block.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": decision}]}]


def decided_from_text(text: str, decision: str) -> list[Block]:
    """The same, for a message known only by its text (after the reject modal)."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}
    return decided_blocks([section], decision)


def reason_modal(asked: ReasonAsked, request: RequestMessage) -> dict[str, Any]:
    """The modal a Reject or Reopen button opens: the reason is required, as on the command
    line."""
    return {
        "type": "modal",
        "callback_id": asked.view,
        "private_metadata": request.metadata(),
        "title": {"type": "plain_text", "text": asked.title},
        "submit": {"type": "plain_text", "text": asked.submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {
                    "type": "plain_text",
                    "text": asked.question.format(request.incident_id),
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
            }
        ],
    }


def submitted_reason(view: dict[str, Any]) -> str:
    value = view["state"]["values"][REASON_BLOCK][REASON_INPUT].get("value")
    return str(value or "")
