"""Every command an incident takes, each declared once: a :class:`CommandSpec` beside the
function that applies it, grouped by the part of the process it belongs to.

From this table come the workflow's Updates and validators and its signals
(``workflows/incident.py``), the rules each validator applies, what Slack may send
(``frontends/slash.py``); the CLI's help and the README's table are checked against it
(``tests/test_commands_table.py``); the CLI's command is made from its input model
(``frontends/cli_commands.py``). Adding a command: a name in ``Action`` and its input model
(``workflows/model/commands.py``), a spec and its function here (it sees the incident only as
a :class:`~workflows.commands.host.CommandHost`: ``workflows/commands/host.py``), its words in
``messages/sentences.py``.
"""

from __future__ import annotations

from workflows.commands import people, progress, resolution, triage
from workflows.commands.spec import CommandSpec
from workflows.model import Action

_DECLARED = [*triage.COMMANDS, *people.COMMANDS, *progress.COMMANDS, *resolution.COMMANDS]
COMMANDS: dict[Action, CommandSpec] = {spec.action: spec for spec in _DECLARED}
SIGNALS: dict[str, CommandSpec] = {spec.signal: spec for spec in _DECLARED if spec.signal}

if len(COMMANDS) != len(_DECLARED) or COMMANDS.keys() != set(Action):
    raise RuntimeError("each name in workflows.rules.Action needs exactly one CommandSpec")

__all__ = ["COMMANDS", "SIGNALS", "CommandSpec"]
