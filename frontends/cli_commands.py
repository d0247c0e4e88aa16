"""The `incident` commands that change an incident, made from the command table.

Each command in ``workflows/commands/`` becomes `incident <name> ID …` here, with the table's
one-line help, unless ``starter.py`` writes it by hand (``retro``, whose words do more than fill
its input). Its arguments and options come from its input model's fields, each marked with
:class:`~workflows.model.Typed`; how typed text is read follows from the field's type. So a new
command needs nothing in the front ends, and `/incident` takes it too (the same grammar).

Commands are made when first asked for, so `incident show` never imports the table. The app's own
help (`incident`, `incident --help`) lists every command, grouped, with its whole summary.
"""

from __future__ import annotations

import inspect
import types
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

import typer
from typer._click.core import Command, Context  # typer vendors click
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from frontends.cli import (
    CLOSE,
    GLOBAL_HEADING,
    GLOBAL_OPTIONS,
    TRIAGE,
    WORK,
    IncidentCommand,
    IncidentId,
    send,
    summary,
    write_sections,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic.fields import FieldInfo

    from workflows.commands import CommandSpec
    from workflows.model.commands import Typed

OPENING = ("report", "declare")  # listed first: they open an incident, the table's act on one
SECTIONS = {  # where `incident --help` lists the table's commands (else under WORK)
    **dict.fromkeys(["accept", "decline", "ack"], TRIAGE),
    **dict.fromkeys(["resolve", "approve", "reject", "reopen", "schedule", "retro"], CLOSE),
}
EXAMPLES = {  # shown by `incident COMMAND --help`
    "accept": "incident accept $ID --lead U0DEV --severity sev2 --as U0DM",
    "decline": 'incident decline $ID --reason "A known issue" --revisit 2026-12-01 --as U0DM',
    "ack": "incident ack $ID --as U0DM",
    "handover": "incident handover $ID --to U0SUE\nincident handover $ID --to sue@example.org",
    "ask": 'incident ask $ID --to U0SUE --note "You know the CDN rules"',
    "busy": 'incident busy $ID --reason "On leave today"',
    "update": "incident update $ID Restarted the pods, watching error rates\n"
    'incident update $ID "Rolled back the 10:00 deploy; errors are falling"',
    "severity": "incident severity $ID sev1",
    "snooze": "incident snooze $ID 1h30m",
    "security": "incident security $ID",
    "criteria": "incident criteria $ID error rate under 1% for 15 minutes --as U0DM",
    "statuspage": "incident statuspage $ID --status identified Search is degraded --as U0DM",
    "resolve": 'incident resolve $ID --summary "Bad deploy rolled back"\n'
    "incident resolve $ID --criteria-met",
    "approve": "incident approve $ID --as U0DM",
    "reject": 'incident reject $ID --reason "Errors are back" --as U0DM',
    "reopen": 'incident reopen $ID --reason "The 500s are back"',
    "schedule": "incident schedule $ID 2026-12-03T14:00",
}
DESCRIBED = 'Run "incident COMMAND --help" for its arguments, options and examples.'


class IncidentCommands(TyperGroup):
    """The app's commands: those written by hand, and each of the table's, made when asked for."""

    def list_commands(self, ctx: Context) -> list[str]:
        from workflows.model import Action

        written = super().list_commands(ctx)
        table = [action.value for action in Action]
        return [
            *(name for name in written if name in OPENING),
            *table,
            *(name for name in written if name not in OPENING and name not in table),
        ]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        written = super().get_command(ctx, cmd_name)
        if written is not None:
            return written
        from workflows.model import Action

        if cmd_name not in set(Action):
            return None
        from workflows.commands import COMMANDS

        made = command_for(COMMANDS[Action(cmd_name)])
        self.add_command(made, cmd_name)
        return made

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return ["[--as USER] [--json] COMMAND [ARGS]..."]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Usage, what `incident` is for, its commands by section (each with its whole summary,
        wrapped, never cut), and the global options."""
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        sections: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                section = getattr(command, "rich_help_panel", None) or "Other commands"
                sections.setdefault(section, []).append((name, summary(command.help or "")))
        write_sections(formatter, [*sections.items(), (GLOBAL_HEADING, GLOBAL_OPTIONS)])
        formatter.write_paragraph()
        formatter.write_text(DESCRIBED)


def command_for(spec: CommandSpec) -> Command:
    """`incident <action> ID …`: its words from the input model's typed fields."""
    fields = spec.model.model_fields
    said = {name: typed for name, field in fields.items() if (typed := _typed(field)) is not None}
    readers = {name: _reader(fields[name]) for name in said}
    words = {name: typed.name or name for name, typed in said.items()}  # field → typed word

    def command(ctx: typer.Context, incident_id: str, **typed: Any) -> None:
        values = {name: _read(readers[name], typed[words[name]]) for name in said}
        send(ctx, incident_id, spec.action, spec.model, **values)

    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter(
            "incident_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=IncidentId
        ),
    ]
    # Arguments first, in the model's order, then options.
    for name in sorted(said, key=lambda name: not said[name].argument):
        annotation, default = _parameter(words[name], said[name], fields[name], readers[name])
        parameters.append(
            inspect.Parameter(
                words[name], inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    app = typer.Typer(rich_markup_mode=None)
    app.command(
        name=spec.action.value,
        help=spec.help,
        cls=IncidentCommand,
        rich_help_panel=SECTIONS.get(spec.action.value, WORK),
        epilog=EXAMPLES.get(spec.action.value),
    )(command)
    return typer.main.get_group(app).commands[spec.action.value]


def _typed(field: FieldInfo) -> Typed | None:
    from workflows.model.commands import Typed

    return next((m for m in field.metadata if isinstance(m, Typed)), None)


def _bare(annotation: Any) -> Any:
    """``X | None`` → ``X``."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _reader(field: FieldInfo) -> Callable[[str], Any] | None:
    """How typed text becomes the field's value (before the model validates it), by the field's
    type; ``None`` keeps the text as it is."""
    from frontends import commands
    from workflows.model import Severity, StatusPageStatus
    from workflows.vocabulary.basics import StatusPageImpact

    if commands.names_a_person(field):
        return commands.person
    readers: dict[Any, Callable[[str], Any]] = {
        Severity: commands.severity,
        StatusPageStatus: commands.statuspage_status,
        StatusPageImpact: commands.statuspage_impact,
        timedelta: commands.duration,
        datetime: lambda text: commands.moment(text, commands.load_settings(policy=False)),
    }
    return readers.get(_bare(field.annotation))


def _read(reader: Callable[[str], Any] | None, typed: Any) -> Any:
    if isinstance(typed, list):  # free text: every remaining word
        return " ".join(typed)
    if reader is None or typed is None or isinstance(typed, bool):
        return typed
    return reader(typed)


def _parameter(
    name: str, said: Typed, field: FieldInfo, reader: Callable[[str], Any] | None
) -> tuple[Any, Any]:
    """The typer annotation and default for one typed field."""
    flag = "--" + name.replace("_", "-")
    if _bare(field.annotation) is bool:
        return Annotated[bool, typer.Option(flag, help=said.help)], False
    if said.argument:
        shown = name.upper()  # free text: TEXT...; else what it is: SEVERITY, DURATION, WHEN
        if reader is None:
            return Annotated[list[str], typer.Argument(metavar=shown, help=said.help)], (
                inspect.Parameter.empty
            )
        return Annotated[str, typer.Argument(metavar=shown, help=said.help)], (
            inspect.Parameter.empty
        )
    value = _placeholder(field)
    if said.default is not None:
        return Annotated[str, typer.Option(flag, metavar=value, help=said.help)], said.default
    if field.is_required():
        return Annotated[str, typer.Option(flag, metavar=value, help=said.help)], (
            inspect.Parameter.empty
        )
    return Annotated[str | None, typer.Option(flag, metavar=value, help=said.help)], None


def _placeholder(field: FieldInfo) -> str:
    """What an option's value is, as its help shows it: --to USER, --severity SEV, --reason TEXT
    (by the field's type, as :func:`_reader` reads it)."""
    from frontends.commands import names_a_person
    from workflows.model import Severity, StatusPageStatus
    from workflows.vocabulary.basics import StatusPageImpact

    if names_a_person(field):
        return "USER"
    names: dict[Any, str] = {
        Severity: "SEV",
        StatusPageStatus: "STATUS",
        StatusPageImpact: "IMPACT",
        timedelta: "DURATION",
        datetime: "WHEN",
    }
    return names.get(_bare(field.annotation), "TEXT")
