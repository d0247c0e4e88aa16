"""What a person sees of `incident` (issue 33): help that reads like git's or gh's, the global
options after a command's name, and a title's stray severity word refused.

In-process through ``starter.run`` with a recording client (nothing reaches Temporal), and bare
`incident` once as a real process. Each test asserts what is printed, as a person reads it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, cast
from unittest import mock

import pytest
import typer
from typer.core import TyperGroup

import starter
from frontends.cli import GLOBAL_HEADING, summary
from frontends.slash import plan_words, split_words
from operations.build import commit
from temporal_client.client import CommandError
from tests.support import clean_env
from workflows.model import Action, IncidentState, Receipt, Status

STARTER = Path(__file__).resolve().parent.parent / "starter.py"
GROUP = cast(TyperGroup, typer.main.get_command(starter.app))
COMMANDS = GROUP.list_commands(typer.Context(GROUP))
SECTIONS = [
    "Open an incident",
    "Triage (delivery managers)",
    "Work on an incident",
    "Resolve and close",
    "Read",
    "Run the service",
]
ID = "inc-2026-11-22-search-api-down"
ME, DM, DEV = "U0ME", "U0DM", "U0DEV"  # INCIDENT_USER, a delivery manager, a developer
TYPE_HINT = re.compile(r"<[a-z_\[\]|, ]+>|\{\w+\}")  # typer's <str>, <list[str]>, {title}


class RecordingClient:
    """Stands in for :class:`IncidentClient`: records what would reach Temporal, and answers."""

    calls: ClassVar[list[tuple[Any, ...]]] = []

    def __init__(self, client: object, settings: Any) -> None:
        self.settings = settings

    async def send(
        self, incident_id: str, action: Action, command: Any, *, request_id: str | None = None
    ) -> Receipt:
        self.calls.append(("send", action, command))
        return Receipt(incident_id=incident_id, status=Status.ACTIVE, text=f"{action} done.")

    async def start(self, start: Any, *, explicit_id: bool, request_id: str | None = None) -> Any:
        self.calls.append(("start", start))
        return _state(start.id, start.title)

    async def state(self, incident_id: str) -> IncidentState:
        self.calls.append(("state", incident_id))
        return _state(incident_id, "Search API down")

    async def list(self, status: Status | None = None) -> list[Any]:
        self.calls.append(("list", status))
        return []


def _state(incident_id: str, title: str) -> IncidentState:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    return IncidentState(
        id=incident_id, title=title, status=Status.ACTIVE, reporter=ME, created_at=now
    )


async def _no_connection(settings: object, **options: object) -> None:
    return None


@pytest.fixture(autouse=True)
def recorded(tmp_path: Path) -> Iterator[list[tuple[Any, ...]]]:
    """No .env, no settings from the shell but these, and a recording client for Temporal."""
    env = clean_env(INCIDENT_USER=ME, INCIDENT_DELIVERY_MANAGERS=DM, COLUMNS="100")
    before = Path.cwd()
    RecordingClient.calls.clear()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch("temporal_client.connection.connect", _no_connection),
        mock.patch("temporal_client.client.IncidentClient", RecordingClient),
    ):
        os.chdir(tmp_path)
        try:
            yield RecordingClient.calls
        finally:
            os.chdir(before)


def incident(*args: str) -> tuple[int, str, str]:
    """`incident ARGS…` in-process: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = starter.run(list(args))
    return code, out.getvalue(), err.getvalue()


def refused(*args: str) -> str:
    """The one sentence `incident ARGS…` is refused with (nothing printed on stdout)."""
    code, out, err = incident(*args)
    assert code != 0 and out == "", (args, code, out)
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.strip()


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- `incident` and `incident --help` -------------------------------------------------------------


def test_version_names_the_release_and_the_commit_it_was_built_from() -> None:
    code, out, err = incident("--version")
    assert (code, err) == (0, "")
    made_from = commit()  # None in a copy without .git, as the planted bugs' scratch copy
    build = f"1.0.0+{made_from}" if made_from else "1.0.0"
    assert out == f"incident 1.0.0 (build {build})\n", out
    assert made_from is None or re.fullmatch(r"[0-9a-f]{12}", made_from), made_from


def test_bare_incident_prints_the_whole_help_on_stdout_and_exits_0() -> None:
    """As `gh` does, and as `incident --help` (bare `incident` printed it squashed onto one line
    cut with "…", on stderr, exit 2)."""
    code, out, err = incident()
    assert (code, err) == (0, "")
    assert out == incident("--help")[1] == incident("-h")[1]
    lines = out.splitlines()
    assert lines[0] == "Usage: incident [--as USER] [--json] COMMAND [ARGS]..."
    assert len(lines) > 40
    headings = [line[:-1] for line in lines if line.endswith(":") and not line.startswith(" ")]
    assert headings == [*SECTIONS, GLOBAL_HEADING]
    listed = [found.group(1) for line in lines if (found := re.match(r"  ([a-z][a-z-]*)  ", line))]
    assert listed == COMMANDS
    assert lines[-1] == 'Run "incident COMMAND --help" for its arguments, options and examples.'


def test_bare_incident_as_a_process_prints_the_help_on_several_lines() -> None:
    done = subprocess.run(
        [sys.executable, str(STARTER)],
        env=clean_env(COLUMNS="100"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Usage: incident ") and len(lines) > 40
    assert max(len(line) for line in lines) <= 100
    declared = r"  declare +Declare an incident, active now; the delivery managers are told\."
    assert any(re.fullmatch(declared, line) for line in lines)  # whole, on one line


def test_the_help_gives_every_commands_whole_summary_never_cut_and_no_type_hints() -> None:
    _, out, _ = incident("--help")
    for line in out.splitlines():
        assert not line.rstrip().endswith(("...", "…")) or line.startswith("Usage:"), line
        assert len(line) <= 100, line
    assert not TYPE_HINT.search(out), TYPE_HINT.search(out)
    flowing = one_line(out)
    for name in COMMANDS:
        command = GROUP.get_command(typer.Context(GROUP), name)
        assert command is not None and command.help
        assert f" {name} {summary(command.help)} " in flowing, name


# --- `incident COMMAND --help` --------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_each_commands_help_shows_placeholders_not_types(name: str) -> None:
    code, out, err = incident(name, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"Usage: incident {name} ") and out.splitlines()[0].endswith("[OPTIONS]")
    assert not TYPE_HINT.search(out), (name, TYPE_HINT.search(out))
    assert f"\n{GLOBAL_HEADING}:\n  --as USER " in out
    assert out == incident(name, "-h")[1]


def test_declares_help_reads_as_what_to_type() -> None:
    _, out, _ = incident("declare", "--help")
    assert out.startswith(
        "Usage: incident declare TITLE... --lead USER [OPTIONS]\n\n"
        "  Declare an incident, active now; the delivery managers are told.\n"
    )
    assert re.search(r"^  TITLE\.\.\. +What is wrong", out, re.MULTILINE)
    for shown in ("--lead USER ", "--severity SEV ", "--description TEXT ", "--id ID "):
        assert f"\n  {shown}" in out, shown


def _examples(name: str) -> list[str]:
    _, out, _ = incident(name, "--help")
    assert "\nExamples:\n" in out, f"`incident {name} --help` has no examples"
    lines = out.split("\nExamples:\n", 1)[1].splitlines()
    assert lines and all(line.startswith(f"  incident {name} ") for line in lines), lines
    return [line.strip() for line in lines]


def _has_examples(name: str) -> bool:
    command = GROUP.get_command(typer.Context(GROUP), name)
    return command is not None and bool(command.epilog)


EXAMPLED = [name for name in COMMANDS if _has_examples(name)]


def test_the_commands_people_start_with_have_examples() -> None:
    assert {"declare", "report", "update", "handover", "resolve", "retro"} <= set(EXAMPLED)


@pytest.mark.parametrize("name", EXAMPLED)
def test_the_examples_are_commands_that_work(name: str, recorded: list[tuple[Any, ...]]) -> None:
    """Each example, typed as shown (with a real id for $ID), reaches Temporal."""
    for example in _examples(name):
        recorded.clear()
        args = [ID if word == "$ID" else word for word in shlex.split(example)[1:]]
        code, _, err = incident(*args)
        assert (code, err) == (0, ""), example
        assert recorded, example


# --- --as and --json after the command ----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["declare", "Search down", "--lead", DEV, "--as", DEV],  # issue 33: "No such option: --as"
        ["report", "Search down", "--as=" + DEV],
        ["update", ID, "pods", "restarted", "--as", DEV],
        ["handover", ID, "--as", DEV, "--to", "U0SUE"],
        ["retro", ID, "--skip", "--reason", "Config typo", "--as", DEV],
        ["--as", DEV, "update", ID, "pods", "restarted", "--as", DEV],  # the same, twice: fine
    ],
)
def test_as_after_the_command_names_who_acts(
    args: list[str], recorded: list[tuple[Any, ...]]
) -> None:
    code, _, err = incident(*args)
    assert (code, err) == (0, "")
    ((kind, *sent),) = recorded
    assert sent[-1].actor == DEV, (kind, sent)


def test_without_as_the_default_person_acts(recorded: list[tuple[Any, ...]]) -> None:
    assert incident("update", ID, "pods", "restarted")[0] == 0
    ((_, _, command),) = recorded
    assert command.actor == ME


@pytest.mark.parametrize("where", ["before", "after"])
def test_json_before_or_after_the_command_prints_json(where: str) -> None:
    args = ["--json", "show", ID] if where == "before" else ["show", ID, "--json"]
    code, out, _ = incident(*args)
    assert code == 0 and json.loads(out)["id"] == ID
    code, out, _ = incident("list", "--json")
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize(
    "args",
    [
        ["--as", DM, "update", ID, "hi", "--as", DEV],
        ["update", ID, "hi", "--as", DM, "--as", DEV],
        ["--as", DM, "--as", DEV, "update", ID, "hi"],
        ["--as", DM, "declare", "Search down", "--lead", DEV, "--as", DEV],
    ],
)
def test_as_twice_with_different_people_is_refused_and_nothing_is_sent(
    args: list[str], recorded: list[tuple[Any, ...]]
) -> None:
    assert refused(*args) == f"Say once who acts: --as names both {DM!r} and {DEV!r}."
    assert recorded == []


# --- A title that ends in a severity word ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            ["declare", "Catalogue", "slow", "sev2", "--lead", DEV],
            'The title ends in "sev2": to set the severity, use --severity sev2 (or quote the '
            "whole title to keep the word in it).",
        ),
        (
            ["declare", "Catalogue slow", "SEV1", "--lead", DEV, "--severity", "sev3"],
            'The title ends in "SEV1": to set the severity, use --severity sev1 (or quote the '
            "whole title to keep the word in it).",
        ),
        (
            ["report", "Catalogue", "slow", "Sev3"],
            'The title ends in "Sev3": a report has no severity (the delivery manager sets it '
            "when accepting), so leave the word out (or quote the whole title to keep it).",
        ),
        (
            ["declare", "sev1", "--lead", DEV],
            'The title is only "sev1": say what is wrong, and set the severity with '
            "--severity sev1.",
        ),
    ],
)
def test_a_title_ending_in_a_bare_severity_word_is_refused_and_nothing_starts(
    args: list[str], sentence: str, recorded: list[tuple[Any, ...]]
) -> None:
    assert refused(*args) == sentence
    assert recorded == []


@pytest.mark.parametrize(
    "title",
    [["Catalogue slow sev2"], ["Catalogue", "sev2", "slow"], ["Catalogue", "slow", "sev22"]],
)
def test_a_quoted_title_or_a_severity_word_inside_one_is_kept(
    title: list[str], recorded: list[tuple[Any, ...]]
) -> None:
    assert incident("declare", *title, "--lead", DEV)[0] == 0
    ((_, start),) = recorded
    assert start.title == " ".join(title) and start.severity == "sev2"


# --- In Slack -------------------------------------------------------------------------------------


def slack(text: str) -> Any:
    return plan_words(GROUP, split_words(text), actor="U0SLACK", request_id="slack:1")


def test_in_slack_a_stray_severity_word_is_refused_and_a_quoted_title_keeps_it() -> None:
    with pytest.raises(CommandError, match=r'^The title ends in "sev2": to set the severity, use'):
        slack("declare Catalogue slow sev2 --lead <@U0DEV|dev>")
    assert slack('declare "Catalogue slow sev2" --lead <@U0DEV|dev>').work is not None


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "update inc-1 hi --as U0DM",
            "In Slack you always act as yourself, so --as is not accepted.",
        ),
        ("show inc-1 --json", "In Slack the answer is always text, so --json is not accepted."),
    ],
)
def test_in_slack_the_global_options_stay_refused_wherever_they_are(
    text: str, sentence: str
) -> None:
    with pytest.raises(CommandError) as refusal:
        slack(text)
    assert str(refusal.value) == sentence


def test_slacks_help_shows_placeholders_and_no_cli_only_options() -> None:
    reply = slack("help declare").reply
    assert reply is not None and reply.startswith(
        "`/incident declare TITLE... --lead USER [OPTIONS]`"
    )
    assert "--lead USER" in reply and not TYPE_HINT.search(reply)
    assert "--as" not in reply and "--json" not in reply
