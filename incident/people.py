"""People's names for documents people read (the retro draft), looked up in Slack when it is set up."""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


async def slack_real_names(*, token: str, base_url: str, people: Iterable[str]) -> dict[str, str]:
    """Slack user id → real name, for every id Slack knows; others are left out (shown as ids)."""
    client = AsyncWebClient(token=token, base_url=base_url)
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
