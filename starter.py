"""`incident`: the command line for incident leads, delivery managers and operators.

    incident --as U012ABC declare "Search API down" --lead U012ABC --severity sev1
    incident --as U0DM accept inc-2026-11-22-search-api-down --lead U0DEV --severity sev2
    incident show inc-2026-11-22-search-api-down --json

Every command either succeeds (exit 0) or exits non-zero with one sentence on stderr.
Here: the app, its global options, and the commands that open or change an incident; those
that end one (``frontends/cli_endings.py``: resolve, reject, reopen, schedule, retro), that read
(``frontends/cli_reads.py``) and that run the service (``frontends/cli_operations.py``) join it
as groups; what they share is ``frontends/cli.py``.
Heavy imports happen inside the commands, so `incident show` starts quickly.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.exceptions import TyperException

from frontends import cli_endings, cli_operations, cli_reads
from frontends.cli import IncidentId, acting_person, do, send, state_json, words

if TYPE_CHECKING:
    from frontends.commands import Answer
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings

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


# --- Opening an incident -------------------------------------------------------------------------


def _open(ctx: typer.Context, **fields: Any) -> None:
    from frontends.commands import Answer, open_incident

    request_id, arrived_via = ctx.obj.request_id, ctx.obj.arrived_via

    async def work(client: IncidentClient, settings: Settings) -> Answer:
        actor = acting_person(ctx, settings)
        state = await open_incident(
            client, settings, actor=actor, arrived_via=arrived_via, request_id=request_id, **fields
        )
        done = "Declared" if state.status != "triage" else "Reported"
        return Answer(state_json(state), state.id, chat=f"{done} {state.id}: {state.title}")

    do(ctx, work)


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
        title=words(title),
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
        title=words(title),
        description=description,
        security=security,
        incident_id=incident_id,
        declare=True,
        lead=person(lead),
        severity=parse_severity(severity),
    )


# --- Commands on an incident ---------------------------------------------------------------------


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
    from workflows.model import Accept, Action

    send(
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
    from workflows.model import Action, Decline

    revisit_at = moment(revisit, load_settings()) if revisit else None
    send(ctx, incident_id, Action.DECLINE, Decline, reason=reason, revisit_at=revisit_at)


def _simple(action_name: str, doc: str) -> None:
    def command(ctx: typer.Context, incident_id: IncidentId) -> None:
        from workflows.model import Action, Command

        send(ctx, incident_id, Action(action_name), Command)

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
    from workflows.model import Action, Handover

    send(ctx, incident_id, Action.HANDOVER, Handover, to=person(to))


@app.command()
def ask(
    ctx: typer.Context,
    incident_id: IncidentId,
    to: Annotated[str, typer.Option(help="Who to ask (Slack id or email).")],
    note: Annotated[str | None, typer.Option(help="What you need them for.")] = None,
) -> None:
    """Lead or DM: ask someone to help; they are told directly and can join or say they can't."""
    from frontends.commands import person
    from workflows.model import Action, Ask

    send(ctx, incident_id, Action.ASK, Ask, to=person(to), note=note)


@app.command()
def busy(
    ctx: typer.Context,
    incident_id: IncidentId,
    reason: Annotated[str | None, typer.Option(help="Why you can't help.")] = None,
) -> None:
    """Asked to help and unable to: say so (the lead sees it)."""
    from workflows.model import Action, Busy

    send(ctx, incident_id, Action.BUSY, Busy, reason=reason)


@app.command()
def update(
    ctx: typer.Context,
    incident_id: IncidentId,
    text: Annotated[list[str], typer.Argument(help="What you did or found.")],
) -> None:
    """Post a progress update (resets the reminder timer)."""
    from workflows.model import Action, ProgressUpdate

    send(ctx, incident_id, Action.UPDATE, ProgressUpdate, text=words(text))


@app.command()
def severity(
    ctx: typer.Context,
    incident_id: IncidentId,
    level: Annotated[str, typer.Argument(metavar="SEVERITY", help="sev1, sev2 or sev3.")],
) -> None:
    """Lead or DM: change the severity (and the reminder cadence)."""
    from frontends.commands import severity as parse_severity
    from workflows.model import Action, ChangeSeverity

    send(ctx, incident_id, Action.SEVERITY, ChangeSeverity, severity=parse_severity(level))


@app.command()
def snooze(
    ctx: typer.Context,
    incident_id: IncidentId,
    duration: Annotated[str, typer.Argument(help="How long: 30m, 2h, 1d.")],
) -> None:
    """Lead or DM: push the next reminder back."""
    from frontends.commands import duration as parse_duration
    from workflows.model import Action, Snooze

    send(ctx, incident_id, Action.SNOOZE, Snooze, duration=parse_duration(duration))


@app.command()
def criteria(
    ctx: typer.Context,
    incident_id: IncidentId,
    text: Annotated[list[str], typer.Argument(help="We can call this resolved when ...")],
) -> None:
    """Delivery manager: say when the incident can be called resolved."""
    from workflows.model import Action, SetCriteria

    send(ctx, incident_id, Action.CRITERIA, SetCriteria, text=words(text))


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
    from workflows.model import Action, PostStatusPage

    send(
        ctx,
        incident_id,
        Action.STATUSPAGE,
        PostStatusPage,
        status=statuspage_status(status),
        text=words(text),
        impact=statuspage_impact(impact) if impact is not None else None,
    )


# --- Ending, reading and operating: command groups of their own, merged here -----------------------

app.add_typer(cli_endings.commands)
app.add_typer(cli_reads.commands)
app.add_typer(cli_operations.commands)


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
