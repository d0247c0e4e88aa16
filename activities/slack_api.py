"""Slack's Web API as the incident bot calls it: the one place a client is made, and what each of
Slack's refusals means for Temporal's retries.

    SlackApiError / transport error
     ├── 429 rate limited     → retryable, next_retry_delay = Retry-After
     ├── permanent (PERMANENT_ERRORS: channel_not_found, is_archived, invalid_auth, …)
     │                        → non-retryable: the workflow records it and carries on
     └── anything else (5xx, dropped connection, internal_error) → retried by Temporal
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from temporalio.exceptions import ApplicationError

from activities.rate_limits import retry_after_seconds

# Slack's refusals that a retry cannot change (the Web API methods' documented errors): the
# delivery is recorded as failed and the incident goes on. Anything else is retried.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "cant_update_message",
        "channel_not_found",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_name",
        "invalid_name_maxlength",
        "invalid_name_punctuation",
        "invalid_name_required",
        "invalid_name_specials",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "no_text",
        "no_user",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "token_revoked",
        "too_long",
        "too_many_users",
        "user_disabled",
        "user_not_found",
        "users_not_found",
    }
)
SLACK_CALL_TIMEOUT = 10.0  # seconds: a Slack call that takes longer is retried


def slack_web_client(
    *, token: str, base_url: str, sdk_retries: bool = False, timeout: int = 30
) -> AsyncWebClient:
    """A Slack Web API client at ``base_url`` (SLACK_API_URL), the bot token's.

    slack-sdk's own retry handlers are off unless ``sdk_retries``: where Temporal owns the
    retries (deliveries) a retried post could duplicate, and an email looked up before a
    command is answered at once. The relay's replies and the retro draft's names keep
    slack-sdk's default (a dropped connection retried once).
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url.rstrip("/") + "/",
        timeout=timeout,
        retry_handlers=None if sdk_retries else [],
    )


async def call(
    method: str,
    request: Awaitable[AsyncSlackResponse],
    *,
    tolerate: frozenset[str] = frozenset(),
) -> AsyncSlackResponse:
    """Await one Slack call; an error in ``tolerate`` is an answer, any other a :func:`failure`."""
    try:
        return await request
    except SlackApiError as error:
        if error_code(error) in tolerate:
            response: AsyncSlackResponse = error.response
            return response
        raise failure(method, error) from error


def error_code(error: SlackApiError) -> str:
    data = error.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def failure(method: str, error: SlackApiError) -> ApplicationError:
    """The ApplicationError that tells Temporal whether (and when) to try again."""
    status = error.response.status_code
    code = error_code(error) or f"HTTP {status}"
    if status == 429 or code == "ratelimited":
        retry_after = retry_after_seconds(error.response.headers.get("Retry-After"))
        return ApplicationError(
            f"Slack rate-limited {method}; retrying in {retry_after}s.",
            type="SlackRateLimited",
            next_retry_delay=timedelta(seconds=retry_after),
        )
    if code in PERMANENT_ERRORS:
        return ApplicationError(f"Slack refused {method}: {code}.", type=code, non_retryable=True)
    return ApplicationError(f"Slack failed {method}: {code}.", type="SlackTransient")
