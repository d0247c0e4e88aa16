"""What every `incident` command shares: running its work against Temporal and printing the answer.

The app and the commands that change an incident are in ``starter.py``; the commands that read
(``frontends/cli_reads.py``) and those that run the service (``frontends/cli_operations.py``) are
groups merged into the same app. Heavy imports stay inside the functions, so `incident show`
starts quickly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from frontends.commands import Invocation, Work
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings
    from workflows.model import Action, Command, IncidentState

T = TypeVar("T")

IncidentId = Annotated[str, typer.Argument(help="The incident id.", show_default=False)]


def command_group() -> typer.Typer:
    """A group of commands for ``starter.app.add_typer(group)``: they join the app's own."""
    return typer.Typer()


def do(ctx: typer.Context, work: Work) -> None:
    """Run a command's work and print its answer, or hand the work to the front end (Slack)."""
    invocation: Invocation = ctx.obj
    if invocation.planned is not None:
        invocation.planned.append(work)
        return
    answer = run(ctx, work)
    if answer.raw:
        print(answer.text, end="")
    else:
        output(ctx, answer.data, answer.text)


def run(ctx: typer.Context, work: Callable[[IncidentClient, Settings], Awaitable[T]]) -> T:
    """Connect, run one piece of work, and close; every failure becomes a CommandError."""
    from frontends.commands import load_settings
    from temporal_client.client import CommandError, IncidentClient
    from temporal_client.connection import connect

    if ctx.obj.planned is not None:
        raise CommandError(f"{ctx.info_name} runs only on the command line.")
    settings = load_settings(holidays=False)

    async def main() -> T:
        client = await connect(settings)
        return await work(IncidentClient(client, settings), settings)

    return asyncio.run(main())


def acting_person(ctx: typer.Context, settings: Settings) -> str:
    """Who acts: `--as`, else INCIDENT_USER (in Slack, the verified user)."""
    from frontends.commands import who

    invocation: Invocation = ctx.obj
    return who(invocation.as_user, settings)


def send(
    ctx: typer.Context, incident_id: str, action: Action, model: type[Command], **fields: Any
) -> None:
    """Send one command to an incident as the acting person, and print its receipt."""
    from frontends.commands import Answer, act

    request_id, arrived_via = ctx.obj.request_id, ctx.obj.arrived_via

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        receipt = await act(
            client,
            incident_id,
            action,
            model,
            actor=acting_person(ctx, settings),
            arrived_via=arrived_via,
            request_id=request_id,
            **fields,
        )
        named = receipt.incident_id in receipt.text  # in Slack, say which incident it was
        chat = receipt.text if named else f"{receipt.incident_id}: {receipt.text}"
        return Answer(receipt.model_dump(mode="json"), receipt.text, chat=chat)

    do(ctx, work)


def output(ctx: typer.Context, data: Any, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text``."""
    invocation: Invocation = ctx.obj
    print(json.dumps(data, indent=2) if invocation.json else text)


def words(parts: list[str]) -> str:
    return " ".join(parts)


def state_json(state: IncidentState) -> dict[str, Any]:
    """An incident's whole state for ``--json``, with its durations in seconds."""
    from messages.summary import durations

    data = state.model_dump(mode="json")
    data["durations_seconds"] = {k: v.total_seconds() for k, v in durations(state).items()}
    return data
