"""Each command is declared once (``workflows/commands/``): the workflow's Updates, validators
and signals are made from that table, and the front ends agree with it."""

from __future__ import annotations

import typer
from temporalio.workflow import _Definition

import starter
from frontends.slash import SLACK_COMMANDS
from workflows.commands import COMMANDS, SIGNALS
from workflows.incident import IncidentWorkflow
from workflows.model import Action, Command, Receipt
from workflows.model.commands import Typed

DEFINITION = _Definition.must_from_class(IncidentWorkflow)


def test_each_command_is_an_update_of_its_name_with_its_validator_input_and_help() -> None:
    updates = {name: d for name, d in DEFINITION.updates.items() if name is not None}
    # Besides the commands: "alarm", which only an alarm's workflow sends (workflows/alarm.py).
    assert updates.keys() == {action.value for action in Action} | {"alarm"}
    for action, spec in COMMANDS.items():
        update = updates[action.value]
        assert update.validator is not None, f"{action} has no validator"
        assert update.arg_types == [spec.model], action
        assert update.ret_type is Receipt, action
        assert update.description == spec.help, action


def test_each_signal_name_is_a_handler_carrying_its_commands_help() -> None:
    signals = {name: d for name, d in DEFINITION.signals.items() if name is not None}
    # The names are a public contract (README, "Signals"): never renamed.
    public = {"lead_handover", "dm_approval", "resolved", "progress_update", "join", "leave"}
    assert signals.keys() == SIGNALS.keys() == {*public, "acknowledge"}
    for name, signal in signals.items():
        assert signal.description == SIGNALS[name].help


def test_the_cli_has_each_command_with_the_tables_one_line_help() -> None:
    cli = typer.main.get_group(starter.app)
    listed = cli.list_commands(typer.Context(cli))
    for action, spec in COMMANDS.items():
        assert action.value in listed, action
        command = cli.get_command(typer.Context(cli), action.value)
        assert command is not None, f"`incident {action}` is missing from the CLI"
        assert (command.help or "").strip() == spec.help, action


def test_slack_takes_every_command_the_table_lets_it() -> None:
    assert [a for a, spec in COMMANDS.items() if spec.slack] == [
        a for a in COMMANDS if a.value in SLACK_COMMANDS
    ]


WORDS_OF_THEIR_OWN = {Action.RETRO}  # written by hand in starter.py: --skip, --schedule, `-`


def test_each_field_a_person_gives_is_typed_and_is_a_parameter_with_its_help() -> None:
    cli = typer.main.get_group(starter.app)
    for action, spec in COMMANDS.items():
        if action in WORDS_OF_THEIR_OWN:
            continue
        command = cli.get_command(typer.Context(cli), action.value)
        assert command is not None, action
        params = {param.name: param for param in command.params}
        for name, field in spec.model.model_fields.items():
            if name in Command.model_fields:  # who acts and how it arrived: never typed
                continue
            typed = next((m for m in field.metadata if isinstance(m, Typed)), None)
            assert typed is not None, f"{action}: {name} says nothing of how it is typed"
            param = params.get(typed.name or name)
            assert param is not None, f"`incident {action}` does not take {name}"
            assert getattr(param, "help", None) == typed.help, (action, name)
            assert param.required == (field.is_required() and typed.default is None), name


def test_the_client_names_the_workflow_and_its_queries_as_the_workflow_does() -> None:
    """The client calls the workflow by name (importing it would slow every CLI command)."""
    from temporal_client.client import STATE_QUERY, TIMELINE_QUERY, WORKFLOW_TYPE

    assert DEFINITION.name == WORKFLOW_TYPE
    assert {STATE_QUERY, TIMELINE_QUERY} <= DEFINITION.queries.keys()
