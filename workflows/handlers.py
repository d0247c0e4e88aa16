"""The incident's message handlers, made from the command table: an Update (with its validator)
for each command, named as the command, and a handler for each signal name. The Web UI and
`temporal workflow update` list them with their one-line help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from workflows.commands import COMMANDS, SIGNALS, CommandSpec
    from workflows.model import Action, Command, Receipt


class HandlesCommands(Protocol):
    async def _command(self, action: Action, command: Command) -> Receipt: ...

    def _validate(self, action: Action, command: Command) -> None: ...

    async def _signal_when_open(self, name: str, body: RawValue) -> None: ...


W = TypeVar("W", bound=HandlesCommands)


def with_commands(cls: type[W]) -> type[W]:
    """Give the workflow class an Update per command in the table and a handler per signal."""
    for spec in COMMANDS.values():
        setattr(cls, spec.action.value, _update_for(spec))
    for name in SIGNALS:
        setattr(cls, f"{name}_signal", _signal_for(name))
    return cls


def _update_for(spec: CommandSpec) -> Callable[..., object]:
    action = spec.action

    async def handler(self: HandlesCommands, command: Command) -> Receipt:
        return await self._command(action, command)

    def validator(self: HandlesCommands, command: Command) -> None:
        self._validate(action, command)

    # The SDK reads the payload's type from the annotations: the command's own model.
    handler.__annotations__ = {"command": spec.model, "return": Receipt}
    validator.__annotations__ = {"command": spec.model, "return": None}
    handler.__name__ = handler.__qualname__ = action.value
    update = workflow.update(name=action.value, description=spec.help)(handler)
    update.validator(validator)
    return update


def _signal_for(name: str) -> Callable[..., Awaitable[None]]:
    async def handler(self: HandlesCommands, body: RawValue) -> None:
        await self._signal_when_open(name, body)

    handler.__annotations__ = {"body": RawValue, "return": None}
    handler.__name__ = handler.__qualname__ = f"{name}_signal"
    return workflow.signal(name=name, description=SIGNALS[name].help)(handler)
