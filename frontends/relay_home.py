"""The app's Home tab, published by the relay: on ``app_home_opened``, and again for a person
after each command the relay runs for them.

    homes = Homes(client, incidents)
    await homes.publish("U0DM")      # views.publish of messages.slack_home.home_view

"Kept current" means exactly that: a person's Home is rebuilt from Temporal each time they open
it and whenever they act through the relay (the incident they acted on read from the incident
itself); a change someone else makes shows the next time they
open the tab (Slack sends ``app_home_opened`` on every visit). The open incidents are read from
Temporal's visibility (search attributes) and each incident's own state.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from messages.slack_home import home_view
from temporal_client.client import CommandError, IncidentClient
from workflows.vocabulary.basics import OPEN_STATUSES

log = logging.getLogger("incident.relay")


class Homes:
    """Builds and publishes people's Home tabs."""

    def __init__(self, client: AsyncWebClient, incidents: IncidentClient) -> None:
        self._client = client
        self._incidents = incidents

    async def publish(self, user: str, touched: str | None = None) -> None:
        """``user``'s Home tab as the incidents stand now (or why they cannot be read).

        ``touched`` is an incident the person has just opened or changed: read from the
        incident itself, so the tab shows it as it now is even before Temporal's visibility
        (eventually consistent) lists it so.
        """
        now = datetime.now(UTC)
        try:
            states = await self._incidents.open_incidents()
            if touched is not None:
                states = [s for s in states if s.id != touched]
                current = await self._incidents.state(touched)
                if current.status in OPEN_STATUSES:
                    states.append(current)
            view = home_view(user, states, now=now)
        except CommandError as problem:
            view = home_view(user, [], now=now, problem=str(problem))
        try:
            await self._client.views_publish(user_id=user, view=view)
        except SlackApiError as error:
            log.warning(
                "could not publish the Home tab of %s: %s", user, error.response.get("error")
            )


def add_home(app: AsyncApp, homes: Homes) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await homes.publish(str(event["user"]))
