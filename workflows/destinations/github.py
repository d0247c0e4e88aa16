"""GitHub, a destination: the retro as a pull request to the docs repository, each action of
the retro as an issue in the actions repository.

It acts on its own as the timeline grows: at resolution the draft goes up as a pull request
(``INCIDENT_RETRO_REPO``, at ``INCIDENT_RETRO_PATH/YYYY-MM-DD_short-title.md``); when the retro
closes the incident the same file is updated with its notes and one issue is opened per action
(``INCIDENT_ACTIONS_REPO``). A security incident's retro goes only to a private repository
(``INCIDENT_SECURITY_RETRO_REPO`` if set, else the retro repository if it is private); the
activity refuses a public one before it writes anything. Off (for incidents begun before the
settings were given, too) when no repository is set.

    RetroPullRequest(key="inc-2026-12-01-cdn/17", incident_id="inc-2026-12-01-cdn",
                     repo="wellcomecollection/docs",
                     path="incident_retros/2026-12-01_cdn.md", title=..., body=draft)
    # → branch "incident-retro/inc-2026-12-01-cdn"; the activity answers a RetroPullRequestRef

Pure models only: this module runs in Temporal's workflow sandbox. Its words are in
``messages/github.py``; the I/O is in ``activities/github.py``, which registers the activities
under the names below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, Self

from pydantic import Field

from messages import github as say
from workflows.destinations.base import Delivery, IncidentView, Lane, Link
from workflows.vocabulary.basics import Model
from workflows.vocabulary.policy import setting
from workflows.vocabulary.timeline import EntryKind, TimelineEntry

if TYPE_CHECKING:
    from workflows.model.state import IncidentState
    from workflows.vocabulary.policy import Policy

GITHUB: Final = "github"  # its lanes' kind: one lane per repository
PUBLISH_RETRO_ACTIVITY: Final = "publish_retro_pull_request"
OPEN_ACTION_ACTIVITY: Final = "open_action_issue"

RETRO_BRANCH_PREFIX: Final = "incident-retro/"
_BRANCH_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_REPO = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
_REPO_OR_NONE = r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?$"  # owner/name, or empty: off
_RETRO_LINK = "Retro pull request"  # the link's label: `show`, the timeline, the channel
_A_REPOSITORY = "a repository as owner/name, like wellcomecollection/docs, or empty for none"


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


class GitHubOptions(Model):
    """Where retros and actions go, recorded in an incident's policy when it starts."""

    retro_repo: str = Field(
        default="",
        pattern=_REPO_OR_NONE,
        description=_A_REPOSITORY,
        json_schema_extra=setting("INCIDENT_RETRO_REPO", default=""),
    )
    retro_path: str = Field(
        default="incident_retros",
        json_schema_extra=setting("INCIDENT_RETRO_PATH", default="incident_retros"),
    )
    actions_repo: str = Field(
        default="",
        pattern=_REPO_OR_NONE,
        description=_A_REPOSITORY,
        json_schema_extra=setting("INCIDENT_ACTIONS_REPO", default=""),
    )
    security_retro_repo: str = Field(
        default="",
        pattern=_REPO_OR_NONE,
        description=_A_REPOSITORY,
        json_schema_extra=setting("INCIDENT_SECURITY_RETRO_REPO", default=""),
    )


def _options(incident: IncidentView) -> GitHubOptions | None:
    options = RetroPullRequest.options_in(incident.policy)
    return options if isinstance(options, GitHubOptions) else None


class RetroPullRequestRef(Model):
    number: int
    url: str
    path: str
    branch: str


class RetroPullRequest(Delivery):
    """The retro draft as one file on the incident's own branch, proposed by one pull request.

    A later request with the same incident (new notes) updates the same file in the same PR.
    """

    activity: ClassVar[str] = PUBLISH_RETRO_ACTIVITY
    result: ClassVar[type[Model] | None] = RetroPullRequestRef
    activities_module: ClassVar[str | None] = "activities.github"
    options: ClassVar[type[Model] | None] = GitHubOptions

    kind_of_effect: Literal["github_retro"] = "github_retro"
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

    def lane(self) -> Lane:
        return Lane(GITHUB, self.repo)

    def supersedes(self, older: Delivery) -> bool:
        # The file holds the newest draft; an older one not yet sent would only be overwritten.
        return isinstance(older, RetroPullRequest) and older.incident_id == self.incident_id

    def delivered(self, result: Model | None) -> Link | None:
        if not isinstance(result, RetroPullRequestRef):
            return None
        return Link(label=f"{_RETRO_LINK} #{result.number}", url=result.url)

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        return say.retro_activity_summary(self.repo, private=self.private_only)

    @classmethod
    def follows(cls, incident: IncidentView, entry: TimelineEntry) -> Sequence[Self]:
        """At resolution the draft; when the retro closes the incident, the retro as held."""
        if entry.kind not in (EntryKind.RESOLVED, EntryKind.CLOSED):
            return ()  # before reading the options: this runs for every entry of every incident
        options = _options(incident)
        if options is None:
            return ()
        s = incident.state
        if entry.kind is EntryKind.CLOSED and s.retro_notes is None:
            return ()  # closed without a retro: the draft stays as it was
        repo = options.retro_repo
        if s.security and options.security_retro_repo:
            repo = options.security_retro_repo
        if not repo:
            return ()
        file_name, document = incident.retro_document()
        path = f"{options.retro_path.strip('/')}/{file_name}"
        return (
            cls(
                key="",
                incident_id=s.id,
                repo=repo,
                path=path,
                title=say.retro_pull_request_title(s),
                body=document,
                description=say.retro_pull_request_description(s),
                private_only=s.security,
            ),
        )


class ActionIssueRef(Model):
    number: int
    url: str


class ActionIssue(Delivery):
    """One action from the retro, as one issue in the actions repository."""

    activity: ClassVar[str] = OPEN_ACTION_ACTIVITY
    result: ClassVar[type[Model] | None] = ActionIssueRef
    activities_module: ClassVar[str | None] = "activities.github"

    kind_of_effect: Literal["github_action"] = "github_action"
    incident_id: str
    repo: str = Field(pattern=_REPO, description="owner/name of the actions repository")
    title: str
    body: str = Field(description="markdown, with links to the incident and the retro PR")
    owner: str | None = Field(default=None, description="a GitHub login to assign, or None")

    def lane(self) -> Lane:
        return Lane(GITHUB, self.repo)

    def delivered(self, result: Model | None) -> Link | None:
        if not isinstance(result, ActionIssueRef):
            return None
        return Link(label=f"Action #{result.number}", url=result.url)

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        return say.action_activity_summary(self.repo, self.owner)

    @classmethod
    def follows(cls, incident: IncidentView, entry: TimelineEntry) -> Sequence[Self]:
        """When the retro closes the incident: one issue per action agreed. Never for a
        security incident: issues would tell the public what was found."""
        if entry.kind is not EntryKind.CLOSED:
            return ()
        options = _options(incident)
        s = incident.state
        if options is None or not options.actions_repo or s.security:
            return ()
        retro = next((url for label, url in s.links.items() if label.startswith(_RETRO_LINK)), None)
        owners = [*s.retro_action_owners, *[""] * len(s.retro_actions)]
        return tuple(
            cls(
                key="",
                incident_id=s.id,
                repo=options.actions_repo,
                title=action,
                body=say.action_issue_body(s, action, retro),
                owner=owner or None,
            )
            for action, owner in zip(s.retro_actions, owners, strict=False)
        )
