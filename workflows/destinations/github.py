"""What the workflow asks GitHub for: the retro as a pull request, each action as an issue.

    RetroPullRequest(key="inc-2026-12-01-cdn/17", incident_id="inc-2026-12-01-cdn",
                     repo="wellcomecollection/docs",
                     path="incident_retros/2026-12-01_cdn.md", title=..., body=draft)
    # → branch "incident-retro/inc-2026-12-01-cdn"; the activity answers a RetroPullRequestRef

Pure models only: this module runs in Temporal's workflow sandbox. The I/O is in
``activities/github.py``, which registers the activities under the names below.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import Field

from workflows.model.basics import Model

PUBLISH_RETRO_ACTIVITY: Final = "publish_retro_pull_request"
OPEN_ACTION_ACTIVITY: Final = "open_action_issue"

RETRO_BRANCH_PREFIX: Final = "incident-retro/"
_BRANCH_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_REPO = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"


def retro_branch(incident_id: str) -> str:
    """The branch an incident's retro is proposed on: the same for every call, so a retry finds it.

    >>> retro_branch("inc-2026-12-01-cdn")
    'incident-retro/inc-2026-12-01-cdn'
    """
    kept = "".join(c if c in _BRANCH_CHARACTERS else "-" for c in incident_id.lower())
    slug = "-".join(filter(None, kept.split("-"))) or "incident"
    return f"{RETRO_BRANCH_PREFIX}{slug}"


def action_marker(key: str) -> str:
    """The hidden line an action issue's body carries, by which a retry finds the issue."""
    return f"<!-- incident-action: {key} -->"


def _branch_of(fields: dict[str, Any]) -> str:
    return retro_branch(str(fields.get("incident_id", "")))


class RetroPullRequest(Model):
    """The retro draft as one file on the incident's own branch, proposed by one pull request.

    A later request with the same incident (new notes) updates the same file in the same PR.
    """

    kind_of_effect: Literal["github_retro"] = "github_retro"
    key: str = Field(description="unique per delivery; delivery is idempotent on it")
    incident_id: str
    repo: str = Field(pattern=_REPO, description="owner/name of the docs repository")
    path: str = Field(description="the file in the repository: INCIDENT_RETRO_PATH/YYYY-MM-DD_…md")
    title: str = Field(description="the pull request's title")
    body: str = Field(description="the file's content: the retro draft in markdown")
    description: str = Field(default="", description="the pull request's description")
    branch: str = Field(default_factory=_branch_of, description="derived from the incident id")
    private_only: bool = Field(
        default=False,
        description="a security incident's retro: refuse unless the repository is private",
    )
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )


class RetroPullRequestRef(Model):
    number: int
    url: str
    path: str
    branch: str


class ActionIssue(Model):
    """One action from the retro, as one issue in the actions repository."""

    kind_of_effect: Literal["github_action"] = "github_action"
    key: str = Field(description="unique per action; the issue body carries it in a marker")
    incident_id: str
    repo: str = Field(pattern=_REPO, description="owner/name of the actions repository")
    title: str
    body: str = Field(description="markdown, with links to the incident and the retro PR")
    owner: str | None = Field(default=None, description="a GitHub login to assign, or None")
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )


class ActionIssueRef(Model):
    number: int
    url: str
