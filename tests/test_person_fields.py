"""Which fields of a command are people follows from their type (``User``), not their name: a
front end with Slack turns an email given in any such field into a Slack id before the command is
sent (``frontends/commands.py``), and never looks up other text, even text that holds an email.
The CLI made from the command table (``frontends/cli_commands.py``) reads the same fields as
people (``--to USER``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

import pytest
import pytest_asyncio
from typer.core import TyperOption

from frontends.cli_commands import command_for
from frontends.commands import act, person_fields
from temporal_client.client import IncidentClient
from temporal_client.settings import Settings
from tests.people import DEV, DM, SUE
from tests.standins.slack import SlackStandIn
from workflows.commands import COMMANDS, CommandSpec
from workflows.commands.spec import LEAD_OR_DM, WORKING, rule
from workflows.model import Action, Command, Receipt, Status
from workflows.model.commands import Typed
from workflows.vocabulary.basics import Text, User

TOKEN = "xoxb-person-fields"


class Page(Command):
    """A command whose people are called neither ``actor``, ``lead`` nor ``to``."""

    whom: Annotated[User, Typed("Who to page.")]
    backup: Annotated[User | None, Typed("Who else.")] = None
    note: Annotated[Text | None, Typed("What to tell them.")] = None
    contact: Annotated[str | None, Typed("An address to write to.")] = None


class RecordingClient:
    """Stands in for :class:`IncidentClient`: records what would reach Temporal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sent: list[Command] = []

    async def send(
        self, incident_id: str, action: Action, command: Command, *, request_id: str | None = None
    ) -> Receipt:
        self.sent.append(command)
        return Receipt(incident_id=incident_id, status=Status.ACTIVE, text="Done.")


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[tuple[SlackStandIn, Settings]]:
    stand_in = SlackStandIn(token=TOKEN)
    stand_in.users_by_email |= {
        "sue@example.org": SUE,
        "dev@example.org": DEV,
        "dm@example.org": DM,
    }
    url = await stand_in.start()
    try:
        settings = Settings(
            _env_file=None, incident_delivery_managers=DM, slack_bot_token=TOKEN, slack_api_url=url
        )
        yield stand_in, settings
    finally:
        await stand_in.stop()


def test_a_command_s_people_are_its_fields_typed_user_whatever_their_names() -> None:
    assert person_fields(Page) == ("actor", "whom", "backup")


async def test_a_differently_named_person_field_is_resolved_and_other_text_is_not(
    slack: tuple[SlackStandIn, Settings],
) -> None:
    stand_in, settings = slack
    client = RecordingClient(settings)
    await act(
        cast(IncidentClient, client),
        "inc-1",
        Action.ASK,
        Page,
        actor="DM@example.org",
        whom="Sue@Example.org",
        backup="dev@example.org",
        note="write to sue@example.org",
        contact="dev@example.org",
    )
    assert client.sent == [
        Page(
            actor=DM,
            whom=SUE,
            backup=DEV,
            note="write to sue@example.org",
            contact="dev@example.org",
        )
    ]
    looked_up = sorted(call["email"] for call in stand_in.calls("users.lookupByEmail"))
    assert looked_up == ["dev@example.org", "dm@example.org", "sue@example.org"]


async def test_an_absent_optional_person_is_not_looked_up(
    slack: tuple[SlackStandIn, Settings],
) -> None:
    stand_in, settings = slack
    client = RecordingClient(settings)
    await act(cast(IncidentClient, client), "inc-1", Action.ASK, Page, actor=DEV, whom=SUE)
    assert client.sent == [Page(actor=DEV, whom=SUE)]
    assert stand_in.calls("users.lookupByEmail") == []


def _user_options(spec: CommandSpec) -> set[str]:
    """The options the CLI made for ``spec`` that take a person (``--to USER``), but for who
    acts (``--as USER``, every command's)."""
    made = command_for(spec)
    return {
        parameter.name or ""
        for parameter in made.params
        if isinstance(parameter, TyperOption)
        and parameter.metavar == "USER"
        and parameter.name != "as_user"
    }


def _typed_word(spec: CommandSpec, name: str) -> str:
    typed = next(m for m in spec.model.model_fields[name].metadata if isinstance(m, Typed))
    return typed.name or name


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_the_cli_reads_as_people_the_fields_the_front_ends_resolve(action: Action) -> None:
    spec = COMMANDS[action]
    people = set(person_fields(spec.model)) - {"actor"}  # who acts: --as, read as a person
    assert "actor" in person_fields(spec.model)
    assert _user_options(spec) == {_typed_word(spec, name) for name in people}


PAGE = CommandSpec(
    Action.ASK, Page, rule(LEAD_OR_DM, WORKING, "page someone"), "Page someone.", lambda *_: ""
)


def test_the_cli_reads_a_new_command_s_person_field_as_a_person() -> None:
    assert "whom" in _user_options(PAGE)
    assert not {"note", "contact"} & _user_options(PAGE)


def test_the_cli_reads_an_optional_person_field_as_a_person() -> None:
    assert "backup" in _user_options(PAGE)
