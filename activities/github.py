"""GitHub: the retro as a pull request to the docs repository, each action as an issue.

    github = GitHubRetros.connect(token=..., base_url="https://api.github.com")
    ref = await github.publish_retro(RetroPullRequest(...))   # one branch, file and PR per incident
    issue = await github.open_action(ActionIssue(...))        # one issue per action
    Worker(..., activities=[*others, *github_activities(GitHubSettings())])

GitHub's REST API has no idempotency key, so every call looks before it writes, and a retried or
repeated call finds what an earlier one did: the retro's branch and pull request by the branch's
name (derived from the incident id), its file by content (rewritten, with the file's sha, only when
it differs), an action's issue by the hidden marker its body carries (``<!-- incident-action:
KEY -->``) among the repository's newest issues. How failures reach Temporal: ``github_api``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from githubkit import GitHub, TokenAuthStrategy
from githubkit.utils import UNSET
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import github_api
from activities.github_api import ContentFile, Issue, PullRequest, Ref, Repository, ask
from activities.heartbeat import heartbeating
from workflows.destinations.github import (
    OPEN_ACTION_ACTIVITY,
    PUBLISH_RETRO_ACTIVITY,
    ActionIssue,
    ActionIssueRef,
    RetroPullRequest,
    RetroPullRequestRef,
    action_marker,
)

ISSUES_PER_PAGE = 100
ISSUE_PAGES_SEARCHED = 3  # an action's issue is found among the repository's 300 newest


class GitHubSettings(BaseSettings):
    """How the worker reaches GitHub. Where retros and actions go is the incident's policy
    (``GitHubOptions`` in ``workflows/destinations/github.py``), recorded when it starts."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    github_token: SecretStr | None = None
    github_api_url: str = github_api.DEFAULT_API_URL


class GitHubRetros:
    """The retro's pull request and the actions' issues, on GitHub's REST API via githubkit."""

    def __init__(self, *, github: GitHub[TokenAuthStrategy]) -> None:
        self._github = github

    @classmethod
    def connect(
        cls, *, token: str, base_url: str = github_api.DEFAULT_API_URL, timeout: float = 20.0
    ) -> GitHubRetros:
        return cls(github=github_api.connect(token=token, base_url=base_url, timeout=timeout))

    async def publish_retro(self, req: RetroPullRequest) -> RetroPullRequestRef:
        """The draft at ``req.path`` on ``req.branch``, proposed by one pull request."""
        owner, name = req.repo.split("/")
        async with self._github:  # one connection for the whole delivery
            answer = await ask(
                "reading the repository", req.repo, self._github.rest.repos.async_get(owner, name)
            )
            repository = Repository.model_validate(answer)
            if req.private_only and not repository.private:
                raise ApplicationError(
                    f"A security incident's retro never goes to a public repository, and {req.repo} is public.",
                    type="GitHubRepositoryPublic",
                    non_retryable=True,
                )
            await self._ensure_branch(req, repository.default_branch)
            changed = await self._write_file(req)
            pull = await self._find_pull(req, open_only=changed)
            if pull is None:
                pull = await self._open_pull(req, repository.default_branch)
        return RetroPullRequestRef(
            number=pull.number, url=pull.html_url, path=req.path, branch=req.branch
        )

    async def open_action(self, req: ActionIssue) -> ActionIssueRef:
        """One issue for the action, found by its marker when an earlier call opened it."""
        async with self._github:
            issue = await self._find_issue(req)
            if issue is None:
                issue = await self._open_issue(req)
        return ActionIssueRef(number=issue.number, url=issue.html_url)

    async def _ensure_branch(self, req: RetroPullRequest, default_branch: str) -> None:
        """The incident's branch, made from the default branch's head when it is not there."""
        if await self._read_ref(req.repo, req.branch, absent={404}) is not None:
            return
        owner, name = req.repo.split("/")
        base = Ref.model_validate(await self._read_ref(req.repo, default_branch))
        try:
            await ask(
                f"creating branch {req.branch}",
                req.repo,
                self._github.rest.git.async_create_ref(
                    owner, name, ref=f"refs/heads/{req.branch}", sha=base.target.sha
                ),
            )
        except ApplicationError as error:  # 422 "Reference already exists": a concurrent attempt
            if error.type != "GitHubHTTP422" or not await self._read_ref(
                req.repo, req.branch, absent={404}
            ):
                raise

    async def _read_ref(self, repo: str, branch: str, *, absent: set[int] | None = None) -> Any:
        owner, name = repo.split("/")
        return await ask(
            f"reading branch {branch}",
            repo,
            self._github.rest.git.async_get_ref(owner, name, f"heads/{branch}"),
            absent=absent or (),
        )

    async def _write_file(self, req: RetroPullRequest) -> bool:
        """Create or update the draft on the branch; False when it already reads the same."""
        try:
            return await self._write_file_once(req)
        except ApplicationError as error:
            # 409 (sha does not match) or 422 (sha not supplied): a concurrent attempt wrote it
            if error.type not in ("GitHubHTTP409", "GitHubHTTP422"):
                raise
        return await self._write_file_once(req)

    async def _write_file_once(self, req: RetroPullRequest) -> bool:
        owner, name = req.repo.split("/")
        found = await ask(
            f"reading {req.path}",
            req.repo,
            self._github.rest.repos.async_get_content(owner, name, req.path, ref=req.branch),
            absent={404},
        )
        current = ContentFile.model_validate(found) if isinstance(found, dict) else None
        content = req.body.encode()
        if current is not None and current.decoded() == content:
            return False
        await ask(
            f"writing {req.path}",
            req.repo,
            self._github.rest.repos.async_create_or_update_file_contents(
                owner,
                name,
                req.path,
                message=f"{'Update' if current else 'Add'} the retro draft of {req.incident_id}",
                content=base64.b64encode(content).decode(),
                branch=req.branch,
                sha=UNSET if current is None else current.sha,
            ),
        )
        return True

    async def _find_pull(self, req: RetroPullRequest, *, open_only: bool) -> PullRequest | None:
        """The branch's open pull request; or, when nothing new was written, its newest one
        (merged or closed: the draft is already there, and GitHub refuses an empty PR)."""
        owner, name = req.repo.split("/")
        listed = await ask(
            "listing pull requests",
            req.repo,
            self._github.rest.pulls.async_list(
                owner, name, head=f"{owner}:{req.branch}", state="all", sort="created"
            ),
        )
        pulls = [PullRequest.model_validate(p) for p in listed or []]
        open_pulls = [p for p in pulls if p.state == "open"]
        candidates = open_pulls if open_pulls or open_only else pulls
        return max(candidates, key=lambda p: p.number, default=None)

    async def _open_pull(self, req: RetroPullRequest, base: str) -> PullRequest:
        owner, name = req.repo.split("/")
        try:
            created = await ask(
                "opening the pull request",
                req.repo,
                self._github.rest.pulls.async_create(
                    owner, name, title=req.title, head=req.branch, base=base, body=req.description
                ),
            )
        except (
            ApplicationError
        ) as error:  # 422 "A pull request already exists": a concurrent attempt
            if error.type != "GitHubHTTP422":
                raise
            opened = await self._find_pull(req, open_only=True)
            if opened is None:
                raise
            return opened
        return PullRequest.model_validate(created)

    async def _find_issue(self, req: ActionIssue) -> Issue | None:
        owner, name = req.repo.split("/")
        marker = action_marker(req.key)
        for page in range(1, ISSUE_PAGES_SEARCHED + 1):
            listed = await ask(
                "listing issues",
                req.repo,
                self._github.rest.issues.async_list_for_repo(
                    owner,
                    name,
                    state="all",
                    sort="created",
                    direction="desc",
                    per_page=ISSUES_PER_PAGE,
                    page=page,
                ),
            )
            issues = [Issue.model_validate(i) for i in listed or []]
            for issue in issues:
                if issue.pull_request is None and marker in (issue.body or ""):
                    return issue
            if len(issues) < ISSUES_PER_PAGE:
                break
        return None

    async def _open_issue(self, req: ActionIssue) -> Issue:
        marker = action_marker(req.key)
        if req.owner is None:
            return await self._create_issue(req, f"{req.body}\n\n{marker}")
        try:
            return await self._create_issue(req, f"{req.body}\n\n{marker}", assignee=req.owner)
        except ApplicationError as error:
            if error.type != "GitHubHTTP422" or "assignee" not in str(error):
                raise
        # GitHub cannot assign the owner (no such login, or no access): the issue still names them.
        unassigned = f"{req.body}\n\nOwner: @{req.owner} (could not be assigned)\n\n{marker}"
        return await self._create_issue(req, unassigned)

    async def _create_issue(self, req: ActionIssue, body: str, *, assignee: str = "") -> Issue:
        owner, name = req.repo.split("/")
        created = await ask(
            "opening the issue",
            req.repo,
            self._github.rest.issues.async_create(
                owner, name, title=req.title, body=body, assignees=[assignee] if assignee else UNSET
            ),
        )
        return Issue.model_validate(created)


class GitHubActivities:
    """The two GitHub activities, each delegating to the transport. Without one (no token),
    each says so in one sentence, recorded in the incident's timeline."""

    def __init__(self, github: GitHubRetros | None) -> None:
        self._github = github

    @activity.defn(name=PUBLISH_RETRO_ACTIVITY)
    @heartbeating
    async def publish_retro_pull_request(self, req: RetroPullRequest) -> RetroPullRequestRef:
        return await self._connected(req.repo).publish_retro(req)

    @activity.defn(name=OPEN_ACTION_ACTIVITY)
    @heartbeating
    async def open_action_issue(self, req: ActionIssue) -> ActionIssueRef:
        return await self._connected(req.repo).open_action(req)

    def _connected(self, repo: str) -> GitHubRetros:
        if self._github is None:
            raise ApplicationError(
                f"GITHUB_TOKEN is not set on the worker, so nothing can go to {repo}.",
                non_retryable=True,
            )
        return self._github

    def all(self) -> Sequence[Callable[..., Any]]:
        return [self.publish_retro_pull_request, self.open_action_issue]


def github_activities(settings: GitHubSettings) -> list[Callable[..., Any]]:
    """The GitHub activities, connected when ``GITHUB_TOKEN`` is set."""
    if settings.github_token is None:
        return list(GitHubActivities(None).all())
    github = GitHubRetros.connect(
        token=settings.github_token.get_secret_value(), base_url=settings.github_api_url
    )
    return list(GitHubActivities(github).all())


def activities(_settings: object) -> list[Callable[..., Any]]:
    """What the worker registers for this destination (``Delivery.activities_module``)."""
    return github_activities(GitHubSettings())
