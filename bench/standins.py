"""The HTTP stand-ins of ``tests/standins`` as the lanes' figures use them: timed, and breakable.

    slack = TimedSlack(token="xoxb-bench"); url = await slack.start()
    slack.posts                          # every post applied (a merged message's each), and when
    page = FailingStatusPage(); await page.start(); page.down = True   # 500 to every call
    page.applied()                       # each applied create/patch: (incident id, delivery key)

Both run in the bench process, so the times they note are on the clock due times are read from.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from activities.statuspage import METADATA_NAMESPACE
from messages.slack_blocks import posted_key, posted_keys
from tests.standins.common import Fault, Recorded
from tests.standins.slack import BOT_USER, SlackStandIn
from tests.standins.statuspage import StatusPageStandIn

PLATFORM_CHANNEL = "wc-platform"  # where bench.worker's SlackMessenger announces incidents
TOKEN = "xoxb-bench"
TAG = re.compile(r"\[(bench-[a-z0-9-]+)\]")


@dataclass(frozen=True)
class Post:
    """One post the Slack stand-in accepted: when (epoch seconds), where, what, its key, and the
    message it is in (``ts``): the posts merged into one message are each a Post, with its ts."""

    at: float
    channel: str
    text: str
    key: str | None
    ts: str = ""

    @property
    def incident(self) -> str | None:
        """The incident whose delivery key it carries (keys are ``<incident id>/<n>``)."""
        return self.key.rsplit("/", 1)[0] if self.key else None

    @property
    def tag(self) -> str | None:
        """The ``[bench-…]`` tag a bench-made text carries, if any."""
        found = TAG.search(self.text)
        return found.group(1) if found else None


@dataclass
class TimedSlack(SlackStandIn):
    """The Slack stand-in with the platform channel, noting when each message was posted."""

    token: str = TOKEN
    posts: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.add_channel(PLATFORM_CHANNEL, members={BOT_USER})

    def worker_args(self) -> list[str]:
        """``bench.worker`` options that deliver here through SlackMessenger (after start())."""
        return ["--slack-url", self.url, "--slack-token", self.token]

    def first_post_by_tag(self) -> dict[str, float]:
        first: dict[str, float] = {}
        for post in self.posts:
            if post.tag is not None:
                first.setdefault(post.tag, post.at)
        return first

    def posts_by_incident(self) -> dict[str, list[Post]]:
        found: dict[str, list[Post]] = {}
        for post in self.posts:
            if post.incident is not None:
                found.setdefault(post.incident, []).append(post)
        return found

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = super()._chat_postMessage(params)
        if answer.get("ok"):
            at, channel, ts = time.time(), str(answer["channel"]), str(answer["ts"])
            for key, text in members(params):
                self.posts.append(Post(at, channel, text, key, ts))
        return answer


def members(params: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The key and text of each post a message carries: its own, or for a merged message (a key
    per member, a divider between members' blocks) each member's, its sections' text."""
    keys = posted_keys(params)
    if len(keys) < 2:
        return [(posted_key(params), str(params.get("text", "")))]
    parts: list[list[str]] = [[]]
    for block in params.get("blocks") or []:
        if block.get("type") == "divider":
            parts.append([])
        elif block.get("type") == "section":
            parts[-1].append(str((block.get("text") or {}).get("text", "")))
    return [(key, "\n".join(part)) for key, part in zip(keys, parts, strict=False)]


@dataclass
class FailingStatusPage(StatusPageStandIn):
    """The Statuspage stand-in; while ``down`` it answers 500 to every call, applying nothing."""

    api_key: str = "bench-statuspage-key"
    page_id: str = "bench-page"
    down: bool = False

    def worker_args(self) -> list[str]:
        """``bench.worker`` options that post here through AtlassianStatusPage (after start())."""
        return [
            "--statuspage-url",
            self.url,
            "--statuspage-key",
            self.api_key,
            "--statuspage-page",
            self.page_id,
        ]

    def take_fault(self, method: str) -> Fault | None:
        return Fault.SERVER_ERROR if self.down else super().take_fault(method)

    def applied(self) -> list[tuple[str, str]]:
        """(incident id, delivery key) of every create or patch the page carried out."""
        return [
            carried
            for r in self.requests
            if r.fault is None and (carried := page_post_of(r)) is not None
        ]

    def refused(self) -> list[tuple[str, str]]:
        """(incident id, delivery key) of every create or patch answered 500."""
        return [
            carried
            for r in self.requests
            if r.fault is Fault.SERVER_ERROR and (carried := page_post_of(r)) is not None
        ]

    def page_incidents_of(self, incident_id: str) -> list[dict[str, Any]]:
        """The page incidents the workflow ``incident_id`` made (one, when posted exactly once)."""
        return [
            page
            for page in self.incidents.values()
            if (page.get("metadata") or {}).get(METADATA_NAMESPACE, {}).get("incident_id")
            == incident_id
        ]


def page_post_of(request: Recorded) -> tuple[str, str] | None:
    """The incident id and delivery key a create or patch carries in its metadata."""
    if request.method not in ("create", "patch"):
        return None
    fields = request.params.get("incident") or {}
    carried = (fields.get("metadata") or {}).get(METADATA_NAMESPACE) or {}
    if "incident_id" not in carried or "key" not in carried:
        return None
    return str(carried["incident_id"]), str(carried["key"])
