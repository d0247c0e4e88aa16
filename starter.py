"""`incident`: the command line for incident leads, delivery managers and operators.

    incident --as U012ABC declare "Search API down" --lead U012ABC --severity sev1
    incident --as U0DM accept inc-2026-11-22-search-api-down --lead U0DEV --severity sev2
    incident show inc-2026-11-22-search-api-down --json

Every command either succeeds (exit 0) or exits non-zero with one sentence on stderr.
Heavy imports happen inside the commands, so `incident show` starts quickly.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.exceptions import TyperException

if TYPE_CHECKING:
    from frontends.commands import Answer, Invocation, Work
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings
    from workflows.model import Command, IncidentState
    from workflows.rules import Action

T = TypeVar("T")

app = typer.Typer(
    name="incident",
    help="Run the incident process: report, declare, lead, update, resolve, retro.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Who acts (Slack id or email); default $INCIDENT_USER."),
    ] = None,
) -> None:
    from frontends.commands import Invocation

    ctx.obj = Invocation(json=json_output, as_user=as_user)


def _do(ctx: typer.Context, work: Work) -> None:
    """Run a command's work and print its answer, or hand the work to the front end (Slack)."""
    invocation: Invocation = ctx.obj
    if invocation.planned is not None:
        invocation.planned.append(work)
        return
    answer = _run(ctx, work)
    if answer.raw:
        print(answer.text, end="")
    else:
        _print(ctx, answer.data, answer.text)


def _run(ctx: typer.Context, work: Callable[[IncidentClient, Settings], Awaitable[T]]) -> T:
    """Connect, run one piece of work, and close; every failure becomes a CommandError."""
    from frontends.commands import load_settings
    from temporal_client.client import CommandError, IncidentClient, connect

    if ctx.obj.planned is not None:
        raise CommandError(f"{ctx.info_name} runs only on the command line.")
    settings = load_settings()

    async def main() -> T:
        client = await connect(settings)
        return await work(IncidentClient(client, settings), settings)

    return asyncio.run(main())


def _actor(ctx: typer.Context, settings: Settings) -> str:
    from frontends.commands import who

    invocation: Invocation = ctx.obj
    return who(invocation.as_user, settings)


def _send(
    ctx: typer.Context, incident_id: str, action: Action, model: type[Command], **fields: Any
) -> None:
    from frontends.commands import Answer, act

    request_id = ctx.obj.request_id

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        actor = _actor(ctx, settings)
        receipt = await act(
            client, incident_id, action, model, actor=actor, request_id=request_id, **fields
        )
        named = receipt.incident_id in receipt.text  # in Slack, say which incident it was
        chat = receipt.text if named else f"{receipt.incident_id}: {receipt.text}"
        return Answer(receipt.model_dump(mode="json"), receipt.text, chat=chat)

    _do(ctx, work)


def _print(ctx: typer.Context, data: Any, text: str) -> None:
    invocation: Invocation = ctx.obj
    print(json.dumps(data, indent=2) if invocation.json else text)


def _words(words: list[str]) -> str:
    return " ".join(words)


# --- Opening an incident -------------------------------------------------------------------------


def _open(ctx: typer.Context, **fields: Any) -> None:
    from frontends.commands import Answer, open_incident

    request_id = ctx.obj.request_id

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        actor = _actor(ctx, settings)
        state = await open_incident(client, settings, actor=actor, request_id=request_id, **fields)
        done = "Declared" if state.status != "triage" else "Reported"
        return Answer(_state_json(state), state.id, chat=f"{done} {state.id}: {state.title}")

    _do(ctx, work)


@app.command()
def report(
    ctx: typer.Context,
    title: Annotated[list[str], typer.Argument(help="What looks wrong.")],
    description: Annotated[str | None, typer.Option(help="What is known so far.")] = None,
    security: Annotated[bool, typer.Option("--security", help="A security incident.")] = False,
    incident_id: Annotated[str | None, typer.Option("--id", help="Choose the incident id.")] = None,
) -> None:
    """Report a possible incident; the delivery managers decide. Prints the id."""
    _open(
        ctx,
        title=_words(title),
        description=description,
        security=security,
        incident_id=incident_id,
        declare=False,
    )


@app.command()
def declare(
    ctx: typer.Context,
    title: Annotated[list[str], typer.Argument(help="What is wrong.")],
    lead: Annotated[str, typer.Option(help="The incident lead.")],
    severity: Annotated[str, typer.Option(help="sev1, sev2 or sev3.")] = "sev2",
    description: Annotated[str | None, typer.Option(help="What is known so far.")] = None,
    security: Annotated[bool, typer.Option("--security", help="A security incident.")] = False,
    incident_id: Annotated[str | None, typer.Option("--id", help="Choose the incident id.")] = None,
) -> None:
    """Declare an incident, active now; the delivery managers are told. Prints the id."""
    from frontends.commands import person
    from frontends.commands import severity as parse_severity

    _open(
        ctx,
        title=_words(title),
        description=description,
        security=security,
        incident_id=incident_id,
        declare=True,
        lead=person(lead),
        severity=parse_severity(severity),
    )


# --- Commands on an incident ---------------------------------------------------------------------

IncidentId = Annotated[str, typer.Argument(help="The incident id.", show_default=False)]


@app.command()
def accept(
    ctx: typer.Context,
    incident_id: IncidentId,
    lead: Annotated[str, typer.Option(help="The incident lead.")],
    severity: Annotated[str, typer.Option(help="sev1, sev2 or sev3.")],
) -> None:
    """Delivery manager: accept a report as an incident."""
    from frontends.commands import person
    from frontends.commands import severity as parse_severity
    from workflows.model import Accept
    from workflows.rules import Action

    _send(
        ctx,
        incident_id,
        Action.ACCEPT,
        Accept,
        lead=person(lead),
        severity=parse_severity(severity),
    )


@app.command()
def decline(
    ctx: typer.Context,
    incident_id: IncidentId,
    reason: Annotated[str, typer.Option(help="Why it is not an incident (now).")],
    revisit: Annotated[str | None, typer.Option(help="Re-ask on this date (2026-12-01).")] = None,
) -> None:
    """Delivery manager: "we can deal with this later"."""
    from frontends.commands import load_settings, moment
    from workflows.model import Decline
    from workflows.rules import Action

    revisit_at = moment(revisit, load_settings()) if revisit else None
    _send(ctx, incident_id, Action.DECLINE, Decline, reason=reason, revisit_at=revisit_at)


def _simple(action_name: str, doc: str) -> None:
    def command(ctx: typer.Context, incident_id: IncidentId) -> None:
        from workflows.model import Command
        from workflows.rules import Action

        _send(ctx, incident_id, Action(action_name), Command)

    command.__doc__ = doc
    app.command(name=action_name)(command)


_simple("ack", "Delivery manager: acknowledge a self-initiated incident.")
_simple("join", "Join an incident as a supporter.")
_simple("leave", "Stop working on an incident.")
_simple("security", "Lead or DM: mark as a security incident (cannot be undone).")
_simple("approve", "Delivery manager: approve a resolution request.")


@app.command()
def handover(
    ctx: typer.Context,
    incident_id: IncidentId,
    to: Annotated[str, typer.Option(help="The new lead.")],
) -> None:
    """Lead or DM: pass the lead to someone else."""
    from frontends.commands import person
    from workflows.model import Handover
    from workflows.rules import Action

    _send(ctx, incident_id, Action.HANDOVER, Handover, to=person(to))


@app.command()
def update(
    ctx: typer.Context,
    incident_id: IncidentId,
    text: Annotated[list[str], typer.Argument(help="What you did or found.")],
) -> None:
    """Post a progress update (resets the reminder timer)."""
    from workflows.model import ProgressUpdate
    from workflows.rules import Action

    _send(ctx, incident_id, Action.UPDATE, ProgressUpdate, text=_words(text))


@app.command()
def severity(
    ctx: typer.Context,
    incident_id: IncidentId,
    level: Annotated[str, typer.Argument(metavar="SEVERITY", help="sev1, sev2 or sev3.")],
) -> None:
    """Lead or DM: change the severity (and the reminder cadence)."""
    from frontends.commands import severity as parse_severity
    from workflows.model import ChangeSeverity
    from workflows.rules import Action

    _send(ctx, incident_id, Action.SEVERITY, ChangeSeverity, severity=parse_severity(level))


@app.command()
def snooze(
    ctx: typer.Context,
    incident_id: IncidentId,
    duration: Annotated[str, typer.Argument(help="How long: 30m, 2h, 1d.")],
) -> None:
    """Lead or DM: push the next reminder back."""
    from frontends.commands import duration as parse_duration
    from workflows.model import Snooze
    from workflows.rules import Action

    _send(ctx, incident_id, Action.SNOOZE, Snooze, duration=parse_duration(duration))


@app.command()
def criteria(
    ctx: typer.Context,
    incident_id: IncidentId,
    text: Annotated[list[str], typer.Argument(help="We can call this resolved when ...")],
) -> None:
    """Delivery manager: say when the incident can be called resolved."""
    from workflows.model import SetCriteria
    from workflows.rules import Action

    _send(ctx, incident_id, Action.CRITERIA, SetCriteria, text=_words(text))


@app.command()
def statuspage(
    ctx: typer.Context,
    incident_id: IncidentId,
    text: Annotated[list[str], typer.Argument(help="What the public reads.")],
    status: Annotated[
        str, typer.Option(help="investigating, identified, monitoring or resolved.")
    ] = "investigating",
    impact: Annotated[
        str | None, typer.Option(help="Override the page's impact: none, minor, major, critical.")
    ] = None,
) -> None:
    """Delivery manager: post to the public status page (never for security incidents)."""
    from frontends.commands import statuspage_impact, statuspage_status
    from workflows.model import PostStatusPage
    from workflows.rules import Action

    _send(
        ctx,
        incident_id,
        Action.STATUSPAGE,
        PostStatusPage,
        status=statuspage_status(status),
        text=_words(text),
        impact=statuspage_impact(impact) if impact is not None else None,
    )


@app.command()
def resolve(
    ctx: typer.Context,
    incident_id: IncidentId,
    summary: Annotated[str | None, typer.Option(help="How it was resolved.")] = None,
) -> None:
    """Lead: ask the delivery managers to resolve. Delivery manager: resolve."""
    from workflows.model import Resolve
    from workflows.rules import Action

    _send(ctx, incident_id, Action.RESOLVE, Resolve, summary=summary)


@app.command()
def reject(
    ctx: typer.Context,
    incident_id: IncidentId,
    reason: Annotated[str, typer.Option(help="Why it is not resolved yet.")],
) -> None:
    """Delivery manager: reject a resolution request; the incident is active again."""
    from workflows.model import Reject
    from workflows.rules import Action

    _send(ctx, incident_id, Action.REJECT, Reject, reason=reason)


@app.command()
def retro(
    ctx: typer.Context,
    incident_id: IncidentId,
    notes: Annotated[str | None, typer.Option(help="What the retro found.")] = None,
    skip: Annotated[bool, typer.Option("--skip", help="Close without a retro.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why the retro is skipped.")] = None,
    action: Annotated[
        list[str] | None, typer.Option("--action", help="An action agreed (repeatable).")
    ] = None,
) -> None:
    """Lead or DM: close a resolved incident with retro notes, or skip the retro with a reason."""
    from temporal_client.client import CommandError
    from workflows.model import Retro
    from workflows.rules import Action

    if skip == (notes is not None):
        raise CommandError("Give either --notes N or --skip --reason R.")
    if skip and not reason:
        raise CommandError("Say why the retro is skipped with --reason R.")
    _send(
        ctx,
        incident_id,
        Action.RETRO,
        Retro,
        notes=notes,
        skip_reason=reason if skip else None,
        actions=action or [],
    )


# --- Reading -------------------------------------------------------------------------------------


@app.command()
def show(ctx: typer.Context, incident_id: IncidentId) -> None:
    """Show an incident: status, people, criteria, durations, next reminder."""
    from datetime import UTC, datetime

    from frontends.commands import Answer
    from messages.terminal import show_text

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        state = await client.state(incident_id)
        return Answer(_state_json(state), show_text(state, now=datetime.now(UTC)))

    _do(ctx, work)


@app.command()
def timeline(
    ctx: typer.Context,
    incident_id: IncidentId,
    format: Annotated[str, typer.Option(help="markdown or json.")] = "markdown",
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

    _do(ctx, work)


@app.command(name="list")
def list_incidents(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only incidents in this status.")] = None,
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

    _do(ctx, work)


@app.command(name="retro-doc")
def retro_doc(
    ctx: typer.Context,
    incident_id: IncidentId,
    out: Annotated[str, typer.Option(help="Directory to write the draft into.")] = ".",
) -> None:
    """Write the retro's first draft (YYYY-MM-DD_short-title.md) from the incident's timeline."""
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from messages.retro import initials, retro_draft, retro_file_name

    async def work(client: IncidentClient, settings: Settings) -> Path:
        state = await client.state(incident_id)
        entries = await client.timeline(incident_id)
        zone = ZoneInfo(settings.policy().office_hours.timezone)
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

    path = _run(ctx, work)
    _print(ctx, {"path": str(path)}, str(path))


@app.command()
def stats(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Only incidents since this date.")] = None,
) -> None:
    """Figures over ended incidents: counts, time to acknowledge, declare, update, resolve."""
    from frontends.commands import Answer, load_settings, moment
    from frontends.stats import incident_stats
    from messages.terminal import stats_json, stats_text

    start = moment(since, load_settings()) if since else None

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        figures = incident_stats(await client.ended(start))
        return Answer(stats_json(figures), stats_text(figures))

    _do(ctx, work)


def _state_json(state: IncidentState) -> dict[str, Any]:
    from messages.summary import durations

    data = state.model_dump(mode="json")
    data["durations_seconds"] = {k: v.total_seconds() for k, v in durations(state).items()}
    return data


# --- Operating -----------------------------------------------------------------------------------


LogFormatOption = Annotated[
    str, typer.Option("--log-format", help="text, or json (one object a line, with incident_id).")
]


def _log_format(text: str) -> bool:
    """Configure logging; True for JSON."""
    from operations.logs import configure_logging
    from temporal_client.client import CommandError

    if text not in ("text", "json"):
        raise CommandError(f"{text!r} is not a log format: use text or json.")
    configure_logging("json" if text == "json" else "text")
    return text == "json"


@app.command()
def worker(log_format: LogFormatOption = "text") -> None:
    """Run the worker: every incident's workflow, reminders and deliveries."""
    from frontends.commands import load_settings
    from worker import run_worker

    json_logs = _log_format(log_format)
    asyncio.run(run_worker(load_settings(), json_logs=json_logs))


@app.command()
def relay(
    port: Annotated[int, typer.Option(help="HTTP port for Slack requests.")] = 3000,
    host: Annotated[str, typer.Option(help="Address to listen on (HTTP mode).")] = "0.0.0.0",
    log_format: LogFormatOption = "text",
) -> None:
    """Run the Slack relay: /incident and the buttons (Socket Mode with SLACK_APP_TOKEN)."""
    from frontends.commands import load_settings
    from frontends.relay import run_relay

    _log_format(log_format)
    grammar = typer.main.get_command(app)
    asyncio.run(run_relay(load_settings(), grammar, host=host, port=port))


@app.command(name="codec-server")
def codec_server(
    port: Annotated[int, typer.Option(help="HTTP port for the Web UI's codec calls.")] = 8081,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Decrypt payloads for the Temporal Web UI (its codec endpoint); needs INCIDENT_CODEC_KEYS."""
    from frontends.commands import load_settings
    from operations.codec_server import serve_codec
    from operations.logs import configure_logging
    from temporal_client.client import CommandError
    from temporal_client.codec import EncryptionCodec

    settings = load_settings()
    keys = settings.codec_keys()
    if not keys:
        raise CommandError("INCIDENT_CODEC_KEYS is not set, so there is nothing to decrypt with.")
    configure_logging("text")

    async def main() -> None:
        import signal

        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        codec = EncryptionCodec(keys)
        origins = settings.codec_cors_origins()
        await serve_codec(codec, host=host, port=port, origins=origins, stop=stop)

    try:
        asyncio.run(main())
    except OSError as error:
        raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None


@app.command()
def dev(
    ui_port: Annotated[int, typer.Option(help="Port of the Temporal Web UI.")] = 8233,
    log_format: LogFormatOption = "text",
) -> None:
    """Run a whole local stack: Temporal dev server (SQLite, Web UI) and the worker."""
    from frontends.commands import load_settings
    from operations.dev import run_dev

    json_logs = _log_format(log_format)
    asyncio.run(run_dev(load_settings(), ui_port=ui_port, json_logs=json_logs))


def _sentence(message: str, limit: int = 300) -> str:
    """One line of readable length, whatever the input it quotes (newlines, 200,000 characters)."""
    line = " ".join(message.split())
    return line if len(line) <= limit else f"{line[: limit - 60]} … {line[-57:]}"


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; failures print one sentence on stderr."""
    from temporal_client.client import CommandError

    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="incident", standalone_mode=False)
    except CommandError as error:
        print(_sentence(str(error)), file=sys.stderr)
        return 1
    except typer.Exit as done:
        return done.exit_code
    except TyperException as error:
        message = error.format_message()
        if message:
            print(_sentence(message), file=sys.stderr)
        return error.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except Exception as error:  # a bug, not bad input: still one sentence, traceback on request
        if os.environ.get("INCIDENT_DEBUG"):
            raise
        first_line = next(iter(str(error).splitlines()), "").rstrip(".")
        print(
            f"Unexpected error ({type(error).__name__}): {first_line}; rerun with "
            "INCIDENT_DEBUG=1 for details.",
            file=sys.stderr,
        )
        return 1
    return 0


def main() -> None:
    code = run()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: short-lived Temporal clients can crash there (sdk-python#300).
    os._exit(code)


if __name__ == "__main__":
    main()
