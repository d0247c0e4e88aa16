"""`incident`: the command line for incident leads, delivery managers and operators.

    incident --as U012ABC declare "Search API down" --lead U012ABC --severity sev1
    incident accept inc-2026-11-22-search-api-down --lead U0DEV --severity sev2 --as U0DM
    incident show inc-2026-11-22-search-api-down --json

Every command either succeeds (exit 0) or exits non-zero with one sentence on stderr; bare
`incident`, like `incident --help`, prints the help and exits 0. The global options (``--as``,
``--json``) go before the command or after its name.
Here: the app, its global options, the commands that open an incident, and `retro`. Every
other command that changes an incident is made from the command table
(``frontends/cli_commands.py``); those that read (``frontends/cli_reads.py``) and that run the
service (``frontends/cli_operations.py``) join as groups; what they share is ``frontends/cli.py``.
Heavy imports happen inside the commands, so `incident show` starts quickly.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.exceptions import NoArgsIsHelpError  # typer vendors click
from typer.exceptions import TyperException

from frontends import cli_operations, cli_reads
from frontends.cli import (
    AS_HELP,
    CLOSE,
    JSON_HELP,
    OPEN,
    Commands,
    IncidentId,
    acting_person,
    acting_user,
    do,
    send,
    state_json,
    words,
)
from frontends.cli_commands import IncidentCommands

if TYPE_CHECKING:
    from frontends.commands import Answer
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings

app = Commands(
    name="incident",
    help="Run the incident process from a terminal: report or declare an incident, work on it "
    "(updates, handovers, help from others), resolve it and close it with a retro. Each command "
    "acts as the person --as names (default $INCIDENT_USER) and prints its answer, or the data "
    "with --json; a refusal is one sentence on stderr and a non-zero exit. In Slack, /incident "
    "takes the same words.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=IncidentCommands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _print_version(asked: bool) -> None:
    if asked:
        from operations.build import build_id, version

        print(f"incident {version()} (build {build_id()})")
        raise typer.Exit


@app.callback()
def options(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    as_user: Annotated[list[str] | None, typer.Option("--as", metavar="USER", help=AS_HELP)] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the release and the build (its commit), and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    from frontends.commands import Invocation

    ctx.obj = Invocation(json=json_output, as_user=acting_user(as_user or []))


# --- Opening an incident -------------------------------------------------------------------------


def _title(parts: list[str], *, declaring: bool) -> str:
    """The title's words as one; a bare severity word at its end is refused, as it was surely
    meant for --severity. A quoted title arrives as one word and keeps it ("Catalogue slow sev2")."""
    from temporal_client.client import CommandError
    from workflows.model import Severity

    last = parts[-1].strip() if parts else ""
    if last.lower() not in {severity.value for severity in Severity}:
        return words(parts)
    severity = last.lower()
    if len(parts) == 1:
        if declaring:
            raise CommandError(
                f'The title is only "{last}": say what is wrong, and set the severity with '
                f"--severity {severity}."
            )
        raise CommandError(
            f'The title is only "{last}": say what looks wrong (a report has no severity; the '
            "delivery manager sets it when accepting)."
        )
    if declaring:
        raise CommandError(
            f'The title ends in "{last}": to set the severity, use --severity {severity} (or '
            "quote the whole title to keep the word in it)."
        )
    raise CommandError(
        f'The title ends in "{last}": a report has no severity (the delivery manager sets it '
        "when accepting), so leave the word out (or quote the whole title to keep it)."
    )


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


TitleWords = Annotated[
    list[str],
    typer.Argument(
        metavar="TITLE",
        help="What is wrong, in a few words (quote the title to end it in a word like sev2).",
    ),
]
Description = Annotated[str | None, typer.Option(metavar="TEXT", help="What is known so far.")]
Security = Annotated[
    bool,
    typer.Option(
        "--security", help="A security incident (private channel; nothing public says what it is)."
    ),
]
ChosenId = Annotated[
    str | None,
    typer.Option("--id", metavar="ID", help="Choose the incident id (default: from the title)."),
]


@app.command(
    rich_help_panel=OPEN,
    epilog="""
    incident report Search results look stale --description "Since the 10:00 deploy"
    incident report "Odd logins on the admin site" --security
    """,
)
def report(
    ctx: typer.Context,
    title: TitleWords,
    description: Description = None,
    security: Security = False,
    incident_id: ChosenId = None,
) -> None:
    """Report a possible incident; the delivery managers decide.

    The delivery managers are told and decide whether it is an incident (accept, with a lead and
    a severity) or not (decline). Prints the new incident's id; with --json, its whole state.
    """
    _open(
        ctx,
        title=_title(title, declaring=False),
        description=description,
        security=security,
        incident_id=incident_id,
        declare=False,
    )


@app.command(
    rich_help_panel=OPEN,
    epilog="""
    incident declare "Search API down" --lead U012ABC --severity sev1
    incident declare Checkout is slow --lead sue@example.org --as U0DEV
    """,
)
def declare(
    ctx: typer.Context,
    title: TitleWords,
    lead: Annotated[str, typer.Option(metavar="USER", help="The incident lead.")],
    severity: Annotated[str, typer.Option(metavar="SEV", help="sev1, sev2 or sev3.")] = "sev2",
    description: Description = None,
    security: Security = False,
    incident_id: ChosenId = None,
) -> None:
    """Declare an incident, active now; the delivery managers are told.

    Prints the new incident's id; with --json, its whole state.
    """
    from frontends.commands import person
    from frontends.commands import severity as parse_severity

    _open(
        ctx,
        title=_title(title, declaring=True),
        description=description,
        security=security,
        incident_id=incident_id,
        declare=True,
        lead=person(lead),
        severity=parse_severity(severity),
    )


# --- Commands on an incident: made from the command table (frontends/cli_commands.py) but ---------
# --- this one, whose words do more than fill its input ------------------------------------------


@app.command(
    rich_help_panel=CLOSE,
    epilog="""
    incident retro $ID --notes "Add an alert on search 5xx" --action "Alert on 5xx" --owner sue
    incident retro $ID --skip --reason "A config typo, fixed at once"
    """,
)
def retro(
    ctx: typer.Context,
    incident_id: IncidentId,
    notes: Annotated[str | None, typer.Option(metavar="TEXT", help="What the retro found.")] = None,
    skip: Annotated[bool, typer.Option("--skip", help="Close without a retro.")] = False,
    reason: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Why the retro is skipped.")
    ] = None,
    action: Annotated[
        list[str] | None,
        typer.Option("--action", metavar="TEXT", help="An action agreed (repeatable)."),
    ] = None,
    owner: Annotated[
        list[str] | None,
        typer.Option(
            "--owner",
            metavar="LOGIN",
            help="Who owns each action, in order: a GitHub login, or - for none (repeatable).",
        ),
    ] = None,
    schedule_at: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            metavar="WHEN",
            help="Schedule the retro instead (as `incident schedule`).",
        ),
    ] = None,
) -> None:
    """Lead or DM: close a resolved incident with retro notes, or skip the retro with a reason."""
    from temporal_client.client import CommandError
    from workflows.model import Action
    from workflows.model.commands import Retro

    if schedule_at is not None:
        if notes is not None or skip or action:
            raise CommandError("Schedule the retro first; give --notes or --skip once it is held.")
        from frontends.commands import load_settings, moment
        from workflows.model.commands import ScheduleRetro

        at = moment(schedule_at, load_settings(policy=False))
        send(ctx, incident_id, Action.SCHEDULE, ScheduleRetro, at=at)
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


# --- Reading and operating: command groups of their own, merged here ----------------------------

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
    except NoArgsIsHelpError as bare:  # bare `incident`: the help, as `incident --help` prints it
        print(bare.ctx.get_help())
        return 0
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
    # No pydantic plugin serves the CLI, and looking for one reads every installed package's
    # metadata (about 40 ms of every command); PYDANTIC_DISABLE_PLUGINS= (empty) looks again.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    code = run()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: short-lived Temporal clients can crash there (sdk-python#300).
    os._exit(code)


if __name__ == "__main__":
    main()
