"""The `incident` commands, read from the typer app itself: every command, its usage, what it
does, its arguments and options, and its examples, grouped as `incident --help` groups them.

The commands made from the command table exist only when asked for
(``IncidentCommands.get_command``), so each is asked for by name, as `incident --help` does."""

from __future__ import annotations

from typer._click.core import Command, Context  # typer vendors click
from typer.core import TyperGroup

from operations.reference.markdown import code, page, paragraphs, table


def _app() -> TyperGroup:
    import typer

    import starter

    app = typer.main.get_command(starter.app)
    assert isinstance(app, TyperGroup)
    return app


def _options_table(command: Command, ctx: Context) -> str:
    help_option = command.get_help_option(ctx)
    rows = []
    for param in command.get_params(ctx):
        if param is help_option or getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            rows.append((code(record[0]), record[1]))
    return table(("argument or option", "what it is"), rows) if rows else ""


def _command(app_ctx: Context, name: str, command: Command) -> str:
    ctx = Context(command, info_name=name, parent=app_ctx)
    usage = " ".join(["incident", name, *command.collect_usage_pieces(ctx)])
    parts = [f"### `{name}`", f"```\n{usage}\n```", paragraphs(command.help or "")]
    details = getattr(command, "details", "")
    if details:
        parts.append(paragraphs(details))
    parts.append(_options_table(command, ctx))
    if command.epilog:
        examples = "\n".join(line.strip() for line in command.epilog.strip().splitlines())
        parts.append(f"Examples:\n\n```sh\n{examples}\n```")
    return "\n\n".join(part for part in parts if part)


def render() -> str:
    """docs/reference/cli.md."""
    from frontends.cli import GLOBAL_OPTIONS

    app = _app()
    ctx = Context(app, info_name="incident")
    sections: dict[str, list[str]] = {}
    for name in app.list_commands(ctx):
        command = app.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        section = getattr(command, "rich_help_panel", None) or "Other commands"
        sections.setdefault(section, []).append(_command(ctx, name, command))
    usage = " ".join(["incident", *app.collect_usage_pieces(ctx)])
    contents = table(
        ("section", "commands"),
        [
            (section, ", ".join(f"[`{n}`](#{n})" for n in _names(commands)))
            for section, commands in sections.items()
        ],
    )
    intro = "\n\n".join(
        [
            f"```\n{usage}\n```",
            paragraphs(app.help or ""),
            "Global options, taken before or after the command's name:",
            table(("option", "what it is"), [(code(o), h) for o, h in GLOBAL_OPTIONS]),
            "`incident COMMAND --help` prints the same as each entry below. In Slack, "
            "`/incident` takes the same words (see [Working from Slack](../incident/slack.md)); "
            "who may send each command, and when, is in [Who may do what](permissions.md).",
            contents,
        ]
    )
    body = [f"## {section}\n\n" + "\n\n".join(commands) for section, commands in sections.items()]
    return page("The `incident` commands", intro, *body)


def _names(commands: list[str]) -> list[str]:
    return [text.split("`", 2)[1] for text in commands]
