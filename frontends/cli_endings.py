"""The `incident` commands that end an incident: resolve, reject, reopen, schedule, retro.

A group merged into ``starter.app``; `/incident` offers the same words in Slack.
"""

from __future__ import annotations

from typing import Annotated

import typer

from frontends.cli import IncidentId, command_group, send

commands = command_group()


@commands.command()
def resolve(
    ctx: typer.Context,
    incident_id: IncidentId,
    summary: Annotated[str | None, typer.Option(help="How it was resolved.")] = None,
    criteria_met: Annotated[
        bool,
        typer.Option(
            "--criteria-met",
            help="Lead: the delivery managers' resolution criteria are met; resolve at once.",
        ),
    ] = False,
) -> None:
    """Lead: ask the delivery managers to resolve. Delivery manager: resolve."""
    from workflows.model import Action, Resolve

    send(ctx, incident_id, Action.RESOLVE, Resolve, summary=summary, criteria_met=criteria_met)


@commands.command()
def reject(
    ctx: typer.Context,
    incident_id: IncidentId,
    reason: Annotated[str, typer.Option(help="Why it is not resolved yet.")],
) -> None:
    """Delivery manager: reject a resolution request; the incident is active again."""
    from workflows.model import Action, Reject

    send(ctx, incident_id, Action.REJECT, Reject, reason=reason)


@commands.command()
def reopen(
    ctx: typer.Context,
    incident_id: IncidentId,
    reason: Annotated[str, typer.Option(help="Why: what came back.")],
) -> None:
    """Lead or DM: reopen a resolved incident (before its retro); reminders resume."""
    from workflows.model import Action, Reopen

    send(ctx, incident_id, Action.REOPEN, Reopen, reason=reason)


@commands.command()
def schedule(
    ctx: typer.Context,
    incident_id: IncidentId,
    when: Annotated[str, typer.Argument(help="When: 2026-12-03T14:00 (local time) or a date.")],
) -> None:
    """Lead or DM: schedule the retro; the people involved are reminded at the time."""
    from frontends.commands import load_settings, moment
    from workflows.model import Action, ScheduleRetro

    send(ctx, incident_id, Action.SCHEDULE, ScheduleRetro, at=moment(when, load_settings()))


@commands.command()
def retro(
    ctx: typer.Context,
    incident_id: IncidentId,
    notes: Annotated[str | None, typer.Option(help="What the retro found.")] = None,
    skip: Annotated[bool, typer.Option("--skip", help="Close without a retro.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why the retro is skipped.")] = None,
    action: Annotated[
        list[str] | None, typer.Option("--action", help="An action agreed (repeatable).")
    ] = None,
    owner: Annotated[
        list[str] | None,
        typer.Option(
            "--owner",
            help="Who owns each action, in order: a GitHub login, or - for none (repeatable).",
        ),
    ] = None,
    schedule_at: Annotated[
        str | None,
        typer.Option("--schedule", help="Schedule the retro instead (as `incident schedule`)."),
    ] = None,
) -> None:
    """Lead or DM: close a resolved incident with retro notes, or skip the retro with a reason."""
    from temporal_client.client import CommandError
    from workflows.model import Action, Retro

    if schedule_at is not None:
        if notes is not None or skip or action:
            raise CommandError("Schedule the retro first; give --notes or --skip once it is held.")
        schedule(ctx, incident_id, schedule_at)
        return
    if skip == (notes is not None):
        raise CommandError("Give either --notes N or --skip --reason R.")
    if skip and not reason:
        raise CommandError("Say why the retro is skipped with --reason R.")
    owners = [login.removeprefix("@") if login != "-" else "" for login in owner or []]
    if owners and len(owners) != len(action or []):
        raise CommandError("Give one --owner per --action, in order (- for none), or no --owner.")
    send(
        ctx,
        incident_id,
        Action.RETRO,
        Retro,
        notes=notes,
        skip_reason=reason if skip else None,
        actions=action or [],
        action_owners=owners,
    )
