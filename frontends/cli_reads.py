"""The `incident` commands that read: show, timeline, list, alerts, retro-doc, stats.

A group merged into ``starter.app``; `/incident` offers the same words in Slack (but retro-doc,
which writes a local file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from frontends.cli import READ, IncidentId, command_group, do, output, run, state_json

if TYPE_CHECKING:
    from datetime import datetime

    from frontends.commands import Answer
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings
    from workflows.model import IncidentState

commands = command_group(READ)


@commands.command()
def show(ctx: typer.Context, incident_id: IncidentId) -> None:
    """Show an incident: status, people, criteria, durations, next reminder."""
    from datetime import UTC, datetime

    from frontends.commands import Answer
    from messages.terminal import show_text

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        state = await client.state(incident_id)
        return Answer(state_json(state), show_text(state, now=datetime.now(UTC)))

    do(ctx, work)


@commands.command()
def timeline(
    ctx: typer.Context,
    incident_id: IncidentId,
    format: Annotated[str, typer.Option(help="markdown, or json for tools.")] = "markdown",
) -> None:
    """The incident's timeline: every transition and update, with who and when."""
    from frontends.commands import Answer
    from messages.timeline import timeline_json, timeline_markdown
    from temporal_client.client import CommandError

    if format not in ("markdown", "json"):
        raise CommandError(f"{format!r} is not a timeline format: use markdown or json.")

    as_json = format == "json" or ctx.obj.json

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        entries = await client.timeline(incident_id)
        if as_json:
            return Answer(None, timeline_json(entries) + "\n", raw=True)
        return Answer(None, timeline_markdown(await client.state(incident_id), entries), raw=True)

    do(ctx, work)


@commands.command(name="list")
def list_incidents(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only incidents in this status: triage, declined, active, awaiting_approval, "
            "resolved or closed."
        ),
    ] = None,
) -> None:
    """List incidents, newest first (from Temporal visibility)."""
    from frontends.commands import Answer
    from frontends.commands import status as parse_status
    from messages.terminal import listing_table

    wanted = parse_status(status) if status else None

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        listings = await client.list(wanted)
        data = [
            {**vars(item), "started_at": item.started_at.isoformat() if item.started_at else None}
            for item in listings
        ]
        return Answer(data, listing_table(listings))

    do(ctx, work)


@commands.command()
def alerts(ctx: typer.Context) -> None:
    """List the open alarms: state, counts, and the report or incident each opened.

    One line per alarm (its workflow, alarm-KEY), firing ones first: firing, cleared, silent (a
    heartbeat overdue) or ok (never fired); how often it fired and cleared; when it last changed;
    the report or incident it opened and that one's status; its key. --json prints each alarm's
    state and its incident's facts, for scripts."""
    from frontends.commands import Answer
    from messages.terminal import alerts_json, alerts_table
    from temporal_client.alarms import open_alarms

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        alarms = await open_alarms(client)
        return Answer(alerts_json(alarms), alerts_table(alarms))

    do(ctx, work)


@commands.command(name="retro-doc")
def retro_doc(
    ctx: typer.Context,
    incident_id: IncidentId,
    out: Annotated[
        str, typer.Option(metavar="DIR", help="Directory to write the draft into.")
    ] = ".",
) -> None:
    """Write the retro's first draft (YYYY-MM-DD_short-title.md) from the incident's timeline."""
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from messages.retro import initials, retro_draft, retro_file_name

    async def work(client: IncidentClient, settings: Settings) -> Path:
        state = await client.state(incident_id)
        entries = await client.timeline(incident_id)
        zone = ZoneInfo(settings.office_hours().timezone)
        names: dict[str, str] = {}
        if settings.slack_bot_token is not None:  # initials of real names, else the ids
            from frontends.people import slack_real_names

            names = await slack_real_names(
                token=settings.slack_bot_token.get_secret_value(),
                base_url=settings.slack_api_url,
                people=[entry.actor for entry in entries],
            )
        path = Path(out) / retro_file_name(state, zone)
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = retro_draft(
            state, entries, zone=zone, name_of=lambda person: initials(names.get(person, person))
        )
        path.write_text(draft)
        return path

    path = run(ctx, work)
    output(ctx, {"path": str(path)}, str(path))


@commands.command()
def stats(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Only incidents since this date (2026-11-01)."),
    ] = None,
) -> None:
    """Figures over ended incidents: counts, time to acknowledge, declare, update, resolve.

    Reports opened by alarms are counted by source, with the time from the alarm to a delivery
    manager's first ack, accept or decline."""
    from frontends.commands import Answer, load_settings, moment
    from frontends.stats import incident_stats
    from messages.terminal import stats_json, stats_text

    start = moment(since, load_settings(policy=False)) if since else None

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        states = await client.ended(start)
        figures = incident_stats(states, await _alarm_reports_answered(client, states))
        return Answer(stats_json(figures), stats_text(figures))

    do(ctx, work)


async def _alarm_reports_answered(
    client: IncidentClient, states: list[IncidentState]
) -> dict[str, datetime]:
    """When a DM first answered each alarm's report, from its timeline (its final state does not
    say: see frontends/stats.py); one whose timeline cannot be read is left out."""
    import asyncio

    from frontends.stats import first_answer
    from temporal_client.client import CommandError

    at_once = asyncio.Semaphore(10)  # each is a replay on a worker

    async def answered(incident_id: str) -> datetime | None:
        async with at_once:
            try:
                return first_answer(await client.timeline(incident_id))
            except CommandError:
                return None

    reports = [state.id for state in states if state.alarm is not None]
    found = await asyncio.gather(*map(answered, reports))
    return {incident_id: at for incident_id, at in zip(reports, found, strict=True) if at}
