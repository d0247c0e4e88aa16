"""The manual's "Who may do what" table is the process's rules: read it, check it row by row.

The page (docs/reference/permissions.md) is generated from the command table by
`python -m operations.reference`; this test reads the checked-in page as people read it.

Each row names commands, roles and statuses; every command, role and status is tried against
:func:`workflows.rules.refusal`, the one function the workflow's validators (Updates and signals)
ask. tests/test_process.py then proves the validators enforce those rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflows.commands import COMMANDS
from workflows.model import Action, IncidentState, Policy, Status
from workflows.rules import Role, refusal

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "permissions.md"
OPENING = {"report", "declare"}  # they start an incident: no rule, anyone may
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PERSON = {Role.ANYONE: "U0OUT", Role.LEAD: "U0LEAD", Role.SUPPORTER: "U0HELP"}
PERSON[Role.DELIVERY_MANAGER] = "U0DM"
_ROLE_WORDS = {"anyone": Role.ANYONE, "lead": Role.LEAD, "supporter": Role.SUPPORTER}
_ROLE_WORDS["delivery manager"] = Role.DELIVERY_MANAGER

RULES = {action: spec.rule for action, spec in COMMANDS.items()}


@dataclass(frozen=True)
class Row:
    commands: tuple[str, ...]
    roles: frozenset[Role]
    statuses: frozenset[Status]


def _without_notes(cell: str) -> str:
    return re.sub(r"\([^)]*\)", "", cell).strip()


def _words(cell: str) -> list[str]:
    return [w.strip() for w in re.split(r",| or ", _without_notes(cell)) if w.strip()]


def readme_rows() -> list[Row]:
    text = PAGE.read_text()
    section = text.split("## Commands, roles and statuses", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    assert table, "the manual has no authorisation table"
    rows = []
    for line in table:
        commands, who, when = (cell.strip() for cell in line.strip("|").split("|"))
        statuses = set()
        if _without_notes(when) != "—":
            statuses = {Status(w.replace(" ", "_")) for w in _words(when)}
        rows.append(
            Row(
                commands=tuple(re.findall(r"`([a-z-]+)`", commands)),
                roles=frozenset(_ROLE_WORDS[w.removeprefix("a ")] for w in _words(who)),
                statuses=frozenset(statuses),
            )
        )
    return rows


ROWS = readme_rows()
CASES = [
    pytest.param(Action(command), row, id=command)
    for row in ROWS
    for command in row.commands
    if command not in OPENING
]


def test_the_table_names_every_command_once_and_opening_is_for_anyone() -> None:
    named = [command for row in ROWS for command in row.commands]
    assert len(named) == len(set(named)), "a command appears twice"
    assert set(named) == OPENING | {action.value for action in Action}
    (opening,) = [row for row in ROWS if set(row.commands) & OPENING]
    assert set(opening.commands) == OPENING and opening.roles == {Role.ANYONE}


@pytest.mark.parametrize(("action", "row"), CASES)
def test_readme_row_is_the_rule(action: Action, row: Row) -> None:
    rule = RULES[action]
    assert (set(rule.roles), set(rule.statuses)) == (set(row.roles), set(row.statuses))


@pytest.mark.parametrize(("action", "row"), CASES)
def test_readme_row_holds_for_every_role_in_every_status(action: Action, row: Row) -> None:
    policy = Policy(delivery_managers=[PERSON[Role.DELIVERY_MANAGER]])
    for status in Status:
        state = IncidentState(
            id="inc-table",
            title="Table check",
            status=status,
            lead=PERSON[Role.LEAD],
            supporters=[PERSON[Role.SUPPORTER]],
            reporter=PERSON[Role.ANYONE],
            created_at=NOW,
        )
        for role, person in PERSON.items():
            allowed = status in row.statuses and bool({role, Role.ANYONE} & row.roles)
            answer = refusal(RULES[action], person, state, policy)
            assert (answer is None) == allowed, (action, status, role, answer)
