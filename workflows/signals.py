"""Signals: the same commands as the Updates, for senders that cannot wait for an answer.

The Temporal Web UI's "Send a Signal" form, `temporal workflow signal`, scripts and other services
fire and forget. Each signal's JSON body is read here into the command of the Update of the same
meaning (the signal's name is declared with its command, in ``workflows/commands/``), so one
rule set serves both doors. A body that cannot be read
raises :class:`SignalRefused` with one sentence; it never fails a workflow task. The command is
recorded as arrived by signal (a body cannot say otherwise).

    temporal workflow signal --workflow-id inc-… --name progress_update \\
        --input '{"actor": "U0DEV", "text": "Restarted the pods", "request_id": "r-1"}'
"""

from __future__ import annotations

from pydantic import ValidationError

from messages import refusals
from workflows.commands import SIGNALS
from workflows.model import Action, Arrival, Command

REQUEST_IDS_KEPT = 500


class SignalRefused(ValueError):
    """A signal body that is not a command; the message is the sentence recorded for it."""


def sender_of(body: object) -> str | None:
    """Who sent a body, when it says so at all (even if the rest cannot be read)."""
    if isinstance(body, dict) and isinstance(body.get("actor"), str):
        return str(body["actor"])
    return None


def read_signal(name: str, body: object) -> tuple[Action, Command, str | None]:
    """The command a signal carries and its request id, or SignalRefused with one sentence."""
    if not isinstance(body, dict):
        raise SignalRefused(refusals.signal_needs_an_object(name))
    request_id = body.get("request_id")
    if request_id is not None and not isinstance(request_id, str):
        raise SignalRefused(refusals.signal_request_id_not_text(name))
    # A signal is recorded as a signal, whatever its body says.
    fields = {k: v for k, v in body.items() if k != "request_id"} | {"arrived_via": Arrival.SIGNAL}
    try:
        spec = SIGNALS[name]
        if spec.read_signal is not None:
            action, command = spec.read_signal(fields)
        else:
            action, command = spec.action, spec.model.model_validate(fields)
    except ValidationError as error:
        raise SignalRefused(refusals.signal_body_invalid(name, _first_problem(error))) from None
    return action, command, request_id


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "body"
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"
