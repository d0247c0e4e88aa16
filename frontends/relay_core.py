"""What every listener of the Slack relay shares: running a request as the CLI's command.

    relay = Relay(grammar, incidents, settings)
    done, answer = await relay.run(["update", "inc-1", "Restarted"], user="U0LEAD",
                                   request_id=request_id(team, user, trigger_id))
    done, answer = await relay.press(Action.REJECT, "inc-1", user="U0DM",
                                     request_id=request_id(team, user, view_id), reason="…")

Words a person typed (`/incident …`) go through :func:`frontends.slash.plan_words`, the CLI's
grammar; a button or a form types nothing: :meth:`Relay.order` builds its command's input model
and sends it as data through :func:`frontends.commands.act`, the path the CLI's commands take.
Either way it is the same Update, acting as the verified Slack user; ``request_id`` (from Slack's
own ids) makes a redelivered request apply once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from typer.core import TyperGroup

from frontends.commands import build, command_model, sending
from frontends.slash import SLASH, Plan, plan_words, split_words
from messages.slack_relay import reply_text
from temporal_client.client import CommandError, IncidentClient, check_incident_id
from temporal_client.settings import Settings
from workflows.model import Action, Arrival

log = logging.getLogger("incident.relay")  # logs are named after the command

_UNEXPECTED = "The relay could not run that command because of an unexpected error; it is logged."


def request_id(*parts: str) -> str:
    """A stable id for one Slack request, the same when Slack delivers it again."""
    return "slack:" + ":".join(parts)


class Relay:
    """Runs one request's words against Temporal and says, in words, what happened."""

    def __init__(self, grammar: TyperGroup, incidents: IncidentClient, settings: Settings) -> None:
        self._grammar = grammar
        self._incidents = incidents
        self._settings = settings
        self._after: Callable[[str, str | None], Coroutine[Any, Any, None]] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def after_each_command(
        self, hook: Callable[[str, str | None], Coroutine[Any, Any, None]]
    ) -> None:
        """Run ``hook(user, incident_id)`` in the background after each command run for ``user``
        (``incident_id``: the incident it opened or changed, when it names one)."""
        self._after = hook

    def _followed(self, user: str, data: object) -> None:
        if self._after is None:
            return
        touched = None
        if isinstance(data, dict):  # a receipt's incident_id, or an opened incident's id
            touched = data.get("incident_id") or data.get("id")
        hook = self._after(user, touched if isinstance(touched, str) else None)
        task = asyncio.get_running_loop().create_task(hook)
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @property
    def incidents(self) -> IncidentClient:
        return self._incidents

    @property
    def settings(self) -> Settings:
        return self._settings

    def plan(self, words: list[str], *, user: str, request_id: str) -> Plan:
        """The words read by the CLI's grammar, nothing sent yet; :class:`CommandError` with one
        sentence for words that cannot be a command."""
        return plan_words(self._grammar, words, actor=user, request_id=request_id)

    def order(
        self, action: Action, incident_id: str, *, user: str, request_id: str, **fields: Any
    ) -> Plan:
        """A button's or a form's command as data: its input model built now from ``fields``,
        acting as ``user`` through Slack, nothing sent yet; :class:`CommandError` with one
        sentence for a value it cannot take."""
        check_incident_id(incident_id)
        command = build(command_model(action), actor=user, arrived_via=Arrival.SLACK, **fields)
        return Plan(work=sending(incident_id, action, command, request_id=request_id))

    async def execute(self, plan: Plan, *, user: str, what: str) -> tuple[bool, str]:
        """``(done, answer)`` of a planned command: its success summary, or the one sentence that
        refuses it."""
        if plan.work is None:
            return True, plan.reply or ""
        try:
            answer = await plan.work(self._incidents, self._settings)
        except CommandError as refusal:
            return False, str(refusal)
        except Exception:
            log.exception("%s %s by %s failed", SLASH, what, user)
            return False, _UNEXPECTED
        self._followed(user, answer.data)
        return True, reply_text(answer.chat or answer.text)

    async def run(self, words: list[str], *, user: str, request_id: str) -> tuple[bool, str]:
        """``(done, answer)``: the success summary, or the one sentence that refuses."""
        try:
            plan = self.plan(words, user=user, request_id=request_id)
        except CommandError as refusal:
            return False, str(refusal)
        return await self.execute(plan, user=user, what=(words[:1] or ["help"])[0])

    async def press(
        self, action: Action, incident_id: str, *, user: str, request_id: str, **fields: Any
    ) -> tuple[bool, str]:
        """``(done, answer)`` of a button's command (:meth:`order`), as :meth:`run` answers."""
        try:
            plan = self.order(action, incident_id, user=user, request_id=request_id, **fields)
        except CommandError as refusal:
            return False, str(refusal)
        return await self.execute(plan, user=user, what=action.value)

    async def slash(self, text: str, *, user: str, request_id: str) -> str:
        try:
            words = split_words(text)
        except CommandError as refusal:
            return str(refusal)
        return (await self.run(words, user=user, request_id=request_id))[1]
