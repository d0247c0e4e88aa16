"""GitHub's REST API as the retro and action activities call it (githubkit): the one place a
client is made, the few fields read from GitHub's answers, and what each failure means for
Temporal's retries.

    githubkit exception / HTTP answer
     ├── rate limited (403 or 429 with Retry-After, or x-ratelimit-remaining: 0 and
     │   x-ratelimit-reset)                → retryable, next_retry_delay = what GitHub said
     ├── 409 (the file changed meanwhile), 429, 5xx, timeout, dropped connection → retryable
     └── 401, 403, 404, 422, other 4xx     → non-retryable, one sentence naming the repository
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Collection
from datetime import timedelta
from typing import Any

from githubkit import GitHub, Response, TokenAuthStrategy
from githubkit.exception import GitHubException, RateLimitExceeded, RequestError, RequestFailed
from pydantic import BaseModel, ConfigDict, Field
from temporalio.exceptions import ApplicationError

from activities.rate_limits import retry_after_seconds

DEFAULT_API_URL = "https://api.github.com"


def connect(*, token: str, base_url: str, timeout: float = 20.0) -> GitHub[TokenAuthStrategy]:
    return GitHub(
        token,
        base_url=base_url,
        timeout=timeout,
        user_agent="incident-workflow",
        auto_retry=False,  # Temporal retries, with the delay GitHub asked for
        http_cache=False,  # every look before a write must see GitHub as it is now
        trust_env=False,
    )


async def ask(
    what: str, repo: str, call: Awaitable[Response[Any, Any]], *, absent: Collection[int] = ()
) -> Any:
    """GitHub's JSON answer to ``call``; None for a status in ``absent`` (404: not there yet);
    any other failure as an ``ApplicationError`` saying ``what`` was being done in ``repo``."""
    try:
        response = await call
    except RequestFailed as error:
        if error.response.status_code in absent and not isinstance(error, RateLimitExceeded):
            return None
        raise failure(error, what, repo) from error
    except GitHubException as error:
        raise failure(error, what, repo) from error
    return response.json()


# --- GitHub's answers: only the fields read, whatever else GitHub sends ---------------------------


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Repository(Answer):
    default_branch: str
    private: bool


class Sha(Answer):
    sha: str


class Ref(Answer):
    target: Sha = Field(alias="object")


class ContentFile(Answer):
    sha: str
    content: str = ""
    encoding: str = "base64"

    def decoded(self) -> bytes | None:
        """The file's bytes; None when GitHub did not send them (a file over 1 MB)."""
        return base64.b64decode(self.content) if self.encoding == "base64" else None


class PullRequest(Answer):
    number: int
    html_url: str
    state: str


class Issue(Answer):
    number: int
    html_url: str
    body: str | None = None
    pull_request: dict[str, Any] | None = None  # GitHub lists pull requests among issues


# --- Failures ------------------------------------------------------------------------------------

_REFUSALS = {
    401: "GITHUB_TOKEN is missing, wrong or expired",
    403: "the token may not do this (it needs contents and pull requests on the retro repository, issues on the actions repository)",
    404: "there is no such repository, or the token cannot see it",
}


def failure(error: GitHubException, what: str, repo: str) -> ApplicationError:
    """The ``ApplicationError`` Temporal should see for ``error``, in one sentence."""
    if isinstance(error, RateLimitExceeded):
        delay = max(error.retry_after, timedelta(seconds=1))
        return ApplicationError(
            f"GitHub's rate limit stopped {what} in {repo}; retrying in {delay.total_seconds():g}s.",
            type="GitHubRateLimited",
            next_retry_delay=delay,
        )
    if not isinstance(error, RequestFailed):  # a timeout, a dropped connection
        cause = type(error.exc if isinstance(error, RequestError) else error).__name__
        return ApplicationError(
            f"GitHub could not be reached when {what} in {repo} ({cause}).",
            type="GitHubUnreachable",
        )
    status = error.response.status_code
    if status in (409, 429) or status >= 500:
        header = error.response.headers.get("Retry-After")
        return ApplicationError(
            f"GitHub answered {status} when {what} in {repo}.",
            type="GitHubUnavailable" if status >= 500 else f"GitHubHTTP{status}",
            next_retry_delay=timedelta(seconds=retry_after_seconds(header)) if header else None,
        )
    reason = _REFUSALS.get(status) or _github_says(error)
    return ApplicationError(
        f"GitHub answered {status} when {what} in {repo}: {reason}.",
        type=f"GitHubHTTP{status}",
        non_retryable=True,
    )


def _github_says(error: RequestFailed) -> str:
    """GitHub's own reason as one clause: its message, then each error's message or field."""
    try:
        answer = error.response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return error.response.reason_phrase or "refused"
    parts = [str(answer.get("message") or "refused")]
    for item in answer.get("errors") or []:
        if isinstance(item, dict):
            parts.append(str(item.get("message") or f"{item.get('field')} {item.get('code')}"))
    said = "; ".join(" ".join(part.split()).rstrip(".").replace(". ", "; ") for part in parts)
    return said[:300]
