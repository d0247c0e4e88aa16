"""What every `incident` command shares: running its work against Temporal and printing the answer,
and how each command reads its words and shows its help.

The app and the commands that change an incident are in ``starter.py``; the commands that read
(``frontends/cli_reads.py``) and those that run the service (``frontends/cli_operations.py``) are
groups merged into the same app. Every command is an :class:`IncidentCommand`: it takes the global
options (``--as USER``, ``--json``) after its name as well as before it, and its help names what to
type with placeholders (``TITLE...``, ``ID``, ``--lead USER``), as git's and gh's do. Heavy imports
stay inside the functions, so `incident show` starts quickly.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click.core import Context, Parameter  # typer vendors click
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument, TyperCommand, TyperOption
from typer.models import CommandFunctionType

if TYPE_CHECKING:
    from frontends.commands import Invocation, Work
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings
    from workflows.model import Action, Command, IncidentState

T = TypeVar("T")

IncidentId = Annotated[
    str, typer.Argument(metavar="ID", help="The incident id (inc-2026-11-22-search-api-down).")
]

# The sections of `incident --help`, in the order their first command is listed.
OPEN = "Open an incident"
TRIAGE = "Triage (delivery managers)"
WORK = "Work on an incident"
CLOSE = "Resolve and close"
READ = "Read"
SERVICE = "Run the service"

AS_HELP = "Who acts (Slack id or email); default $INCIDENT_USER."
JSON_HELP = "Print the answer as JSON, for scripts."
GLOBAL_OPTIONS = [("--as USER", AS_HELP), ("--json", JSON_HELP), ("-h, --help", "Show this help.")]
GLOBAL_HEADING = "Global options (before or after the command)"


class Commands(typer.Typer):
    """A typer app whose commands are each an :class:`IncidentCommand`, listed under ``section`` in
    `incident --help` (a command may name its own with ``rich_help_panel``)."""

    def __init__(self, section: str | None = None, **options: Any) -> None:
        super().__init__(rich_markup_mode=None, **options)
        self.section = section

    def command(
        self, name: str | None = None, **options: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        options.setdefault("cls", IncidentCommand)
        if self.section is not None:
            options.setdefault("rich_help_panel", self.section)
        return super().command(name, **options)


def command_group(section: str) -> Commands:
    """A group of commands for ``starter.app.add_typer(group)``: they join the app's own, listed
    under ``section`` in `incident --help`."""
    return Commands(section)


def summary(help_text: str) -> str:
    """A command's help as `incident --help` lists it: its first paragraph, on one line."""
    return " ".join(help_text.strip().split("\n\n")[0].split())


def acting_user(given: list[str]) -> str | None:
    """The one person ``--as`` names, wherever it was given (None: not given)."""
    named = list(dict.fromkeys(given))
    if len(named) > 1:
        from temporal_client.client import CommandError

        raise CommandError(f"Say once who acts: --as names both {named[0]!r} and {named[1]!r}.")
    return named[0] if named else None


class IncidentCommand(TyperCommand):
    """One `incident` command. The global options ``--as`` and ``--json`` are taken after its name
    too (a different ``--as`` before it is refused; in Slack, the verified user acts and neither
    is taken); its help shows placeholders rather than types, and its epilog as examples."""

    def __init__(self, name: str | None, **options: Any) -> None:
        super().__init__(name, **options)
        for param in self.params:
            _with_placeholders(param)
        self.params = [*self.params, *_global_options()]
        # Its help's first paragraph is its summary (Slack's `/incident help` shows only that);
        # the rest is for `incident COMMAND --help` (what it prints, --json…).
        self.details = ""
        if self.help:
            self.help, _, details = inspect.cleandoc(self.help).partition("\n\n")
            self.details = details.strip()
            self.short_help = self.short_help or summary(self.help)

    def invoke(self, ctx: Context) -> Any:
        as_user: list[str] = ctx.params.pop("as_user", None) or []
        json_output: bool = ctx.params.pop("json_output", False)
        invocation: Invocation | None = ctx.obj
        if invocation is not None and (as_user or json_output):
            from temporal_client.client import CommandError

            if invocation.planned is not None and as_user:
                raise CommandError("In Slack you always act as yourself, so --as is not accepted.")
            if invocation.planned is not None:
                raise CommandError("In Slack the answer is always text, so --json is not accepted.")
            before = [invocation.as_user] if invocation.as_user is not None else []
            invocation.as_user = acting_user([*before, *as_user])
            invocation.json = invocation.json or json_output
        return super().invoke(ctx)

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """`ID --to USER [OPTIONS]`: the arguments, the options that must be given, the rest."""
        params = self.get_params(ctx)
        pieces = [
            piece
            for param in params
            if isinstance(param, TyperArgument)
            for piece in param.get_usage_pieces(ctx)
        ]
        for param in params:
            if isinstance(param, TyperOption) and param.required and not param.hidden:
                pieces.append(f"{param.opts[0]} {_placeholder(param)}")
        return [*pieces, "[OPTIONS]"]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        if self.details:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(self.details)
        help_option = self.get_help_option(ctx)
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx) if param is not help_option else None
            if record is not None:
                (arguments if isinstance(param, TyperArgument) else options).append(record)
        sections = [
            ("Arguments", arguments),
            ("Options", options),
            (GLOBAL_HEADING, GLOBAL_OPTIONS),
        ]
        write_sections(formatter, [(heading, rows) for heading, rows in sections if rows])
        self.format_epilog(ctx, formatter)

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The epilog is examples, one command a line, kept as written."""
        if self.epilog:
            with formatter.section("Examples"):
                for line in self.epilog.strip().splitlines():
                    formatter.write(f"{'':>{formatter.current_indent}}{line.strip()}\n")


def write_sections(
    formatter: HelpFormatter, sections: list[tuple[str, list[tuple[str, str]]]]
) -> None:
    """Definition lists under headings, their second columns aligned across every section."""
    width = min(30, max(len(first) for _, rows in sections for first, _ in rows))
    for heading, rows in sections:
        with formatter.section(heading):
            formatter.write_dl([(first.ljust(width), second) for first, second in rows])


class _Argument(TyperArgument):
    """An argument shown by its placeholder (`TITLE...`, `ID`), not its type (`<list[str]>`)."""

    def _rich_display_name(self) -> str:
        return _placeholder(self) + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        name = self._rich_display_name()
        return name if self.required else f"[{name}]"

    def get_help_record(self, ctx: Context) -> tuple[str, str] | None:
        return None if self.hidden else (self._rich_display_name(), self.help or "")


class _Option(TyperOption):
    """An option shown with its value's placeholder (`--lead USER`), not its type (`<str>`)."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return _placeholder(self)


def _placeholder(param: Parameter) -> str:
    """The param's metavar, else its name in capitals (an option's last word: --ui-port → PORT)."""
    if param.metavar:
        return param.metavar
    if isinstance(param, TyperOption) and param.opts:
        return param.opts[0].lstrip("-").split("-")[-1].upper()
    return (param.name or "value").upper()


def _with_placeholders(param: Parameter) -> None:
    """Typer makes its own parameter classes; these differ only in how their help reads."""
    if type(param) is TyperArgument:
        param.__class__ = _Argument
    elif type(param) is TyperOption:
        param.__class__ = _Option


@functools.cache
def _global_options() -> list[Parameter]:
    """``--as`` and ``--json`` for after a command's name; hidden, as the help lists them once
    under "Global options" (and Slack's help not at all)."""

    def global_options(
        json_output: Annotated[bool, typer.Option("--json", hidden=True)] = False,
        as_user: Annotated[
            list[str] | None, typer.Option("--as", metavar="USER", hidden=True)
        ] = None,
    ) -> None:
        """Only its parameters are used."""

    app = typer.Typer(add_completion=False)
    app.command()(global_options)
    return list(typer.main.get_command(app).params)


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
    settings = load_settings(policy=False)

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
    from frontends.commands import Answer, act, receipt_answer

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
        return receipt_answer(receipt)

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
