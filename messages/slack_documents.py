"""Long documents in Slack: the timeline and the retro draft as a short message plus a file.

Both are written once, as standard Markdown (``messages/timeline.py``, ``messages/retro.py``),
for the file people download, the pull request and the terminal. Slack's own messages speak
mrkdwn, in which ``# Timeline``, ``**U0LEAD**`` and ``[Timeline](#timeline)`` show literally, so
what the channel reads is rendered from that one source by :func:`mrkdwn`::

    document = notice_document(notice)       # None for every other notice
    document.text, document.blocks            # the short message: title, the facts, the file's name
    document.file_name, document.content      # the file, as written (YYYY-MM-DD_short-title.md)
    fallback_blocks(document)                 # the whole document in mrkdwn, when no file may go

Pure functions, like :mod:`messages.slack_blocks`; user text is neutralised as it is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from messages import sentences as say
from messages.slack_blocks import (
    MESSAGE_BLOCKS_MAX,
    SECTION_MAX,
    Block,
    neutralise,
    split_sections,
)
from workflows.destinations.slack import Notice, NoticeKind

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_TASK = re.compile(r"^(\s*)[-*] \[( |x|X)\] (.*)$")
_ITEM = re.compile(r"^(\s*)[-*] (.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_ANCHOR_ONLY = re.compile(r"^\s*[-*] \[[^\]]+\]\(#[^)]*\)\s*$")  # a table-of-contents line
_EMPTY_FIELD = re.compile(r"^\*\*[^*]+:\*\*\s*$")  # "**Retro held:**" before the retro
_ENTRY = re.compile(r"^- \d\d:\d\d:\d\d ")  # a timeline entry (messages/timeline.py)
INTRO_LINES_MAX = 8  # the short message: the document's heading and its first facts


@dataclass(frozen=True)
class SlackDocument:
    """A notice too long for a message: what the channel reads, and the file it points to."""

    key: str  # the notice's delivery key
    file_name: str
    title: str
    content: str  # standard Markdown, as written
    text: str  # mrkdwn: the short message (also its notification text)

    @property
    def blocks(self) -> list[Block]:
        return [
            {"type": "section", "text": {"type": "mrkdwn", "text": self.text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": self.file_line}]},
        ]

    @property
    def file_line(self) -> str:
        return f"The whole document is the file below: `{neutralise(self.file_name)}`."


def notice_document(notice: Notice) -> SlackDocument | None:
    """The document a timeline or retro-draft notice carries; None for any other notice."""
    if notice.kind is NoticeKind.TIMELINE:
        entries = sum(1 for line in notice.text.splitlines() if _ENTRY.match(line))
        return _document(
            notice,
            file_name=f"{notice.incident.id}_timeline.md",
            title=f"Timeline of {notice.incident.id}",
            content=notice.text,
            closing=f"{entries} {'entry' if entries == 1 else 'entries'} in all.",
        )
    if notice.kind is NoticeKind.RETRO_DRAFT:
        file_name, draft = say.retro_draft_parts(notice.text)
        return _document(
            notice,
            file_name=file_name,
            title=f"Retro draft: {file_name}",
            content=draft,
            closing="The retro's first draft, from the timeline: edit it into the retro.",
        )
    return None


def _document(
    notice: Notice, *, file_name: str, title: str, content: str, closing: str
) -> SlackDocument:
    head: list[str] = []
    for line in content.splitlines():
        if line.startswith("## ") or len(head) >= INTRO_LINES_MAX:
            break
        if line.strip() and not _ANCHOR_ONLY.match(line) and not _EMPTY_FIELD.match(line):
            head.append(line)
    text = mrkdwn("\n".join(head)) + "\n" + closing
    return SlackDocument(
        key=notice.key, file_name=file_name, title=title, content=content, text=text[:SECTION_MAX]
    )


def mrkdwn(markdown: str) -> str:
    """Standard Markdown (headings, ``**bold**``, lists, task lists, links) in Slack's mrkdwn, with
    everything else neutralised: nothing in it pings, links or formats what it did not mean."""
    return "\n".join(_line(line) for line in markdown.splitlines())


def _line(line: str) -> str:
    if heading := _HEADING.match(line):
        return f"*{_inline(heading.group(1))}*"
    if task := _TASK.match(line):
        box = "☐" if task.group(2) == " " else "☑"
        return f"{task.group(1)}{box} {_inline(task.group(3))}"
    if item := _ITEM.match(line):
        return f"{item.group(1)}• {_inline(item.group(2))}"
    return _inline(line)


def _inline(text: str) -> str:
    safe = neutralise(text)
    safe = _BOLD.sub(lambda bold: f"*{bold.group(1)}*", safe)
    # A link keeps its words; its address is shown (a page anchor means nothing in Slack).
    return _LINK.sub(
        lambda link: (
            link.group(1) if link.group(2).startswith("#") else f"{link.group(1)} ({link.group(2)})"
        ),
        safe,
    )


def fallback_blocks(document: SlackDocument) -> list[Block]:
    """The whole document as mrkdwn sections, for a workspace where the bot may not upload files
    (no ``files:write``): posted under the short message, so the document is never lost."""
    parts = split_sections(mrkdwn(document.content))
    if len(parts) > MESSAGE_BLOCKS_MAX:
        parts = [*parts[: MESSAGE_BLOCKS_MAX - 1], "The rest did not fit in one message."]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": part}} for part in parts]
