"""People in Slack: emails turned into user ids before a command is sent, and real names for
documents people read (the retro draft)."""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp
from slack_sdk.errors import SlackApiError

from activities.slack_api import slack_web_client


async def slack_real_names(*, token: str, base_url: str, people: Iterable[str]) -> dict[str, str]:
    """Slack user id → real name, for every id Slack knows; others are left out (shown as ids)."""
    client = slack_web_client(token=token, base_url=base_url, sdk_retries=True)
    names: dict[str, str] = {}
    for person in sorted(set(people)):
        if not person.startswith(("U", "W")):
            continue
        try:
            answer = await client.users_info(user=person)
        except SlackApiError:
            continue
        user = answer.get("user") or {}
        name = user.get("real_name") or (user.get("profile") or {}).get("real_name")
        if isinstance(name, str) and name.strip():
            names[person] = name.strip()
    return names


class UnknownPerson(Exception):
    """An email Slack does not know, or could not look up: the message is one sentence."""


async def slack_user_for_email(*, token: str, base_url: str, email: str) -> str:
    """The Slack user id behind an email (``users.lookupByEmail``)."""
    client = slack_web_client(token=token, base_url=base_url)
    try:
        answer = await client.users_lookupByEmail(email=email)
    except SlackApiError as error:
        code = error.response.get("error", "") if isinstance(error.response.data, dict) else ""
        if code == "users_not_found":
            raise UnknownPerson(f"No Slack user has the email {email}.") from None
        raise UnknownPerson(f"Could not look up {email} in Slack: {code or 'no answer'}.") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise UnknownPerson(
            f"Could not look up {email} in Slack: {error or 'no answer'}."
        ) from None
    return str((answer.get("user") or {})["id"])
