"""Each command is declared once (``workflows/commands/``): the workflow's Updates, validators
and signals are made from that table, and the front ends agree with it."""

from __future__ import annotations

import typer
from temporalio.workflow import _Definition

import starter
from frontends.slash import SLACK_COMMANDS
from workflows.commands import COMMANDS, SIGNALS
from workflows.incident import IncidentWorkflow
from workflows.model import Action, Receipt

DEFINITION = _Definition.must_from_class(IncidentWorkflow)


def test_each_command_is_an_update_of_its_name_with_its_validator_input_and_help() -> None:
    updates = {name: d for name, d in DEFINITION.updates.items() if name is not None}
    assert updates.keys() == {action.value for action in Action}
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
    cli = typer.main.get_command(starter.app)
    assert isinstance(cli, typer.core.TyperGroup)
    for action, spec in COMMANDS.items():
        command = cli.commands.get(action.value)
        assert command is not None, f"`incident {action}` is missing from the CLI"
        assert (command.help or "").strip() == spec.help, action


def test_slack_takes_every_command_the_table_lets_it() -> None:
    assert [a for a, spec in COMMANDS.items() if spec.slack] == [
        a for a in COMMANDS if a.value in SLACK_COMMANDS
    ]
