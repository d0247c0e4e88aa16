"""Fuzz the CLI grammar in-process: random words, flags, unicode and huge text through
``starter.run`` never give a traceback; every failure is an exit code and one sentence on stderr.

Temporal is unreachable (a closed port, a one-second timeout), so input the grammar accepts fails
too, at the connection, with its own one sentence; nothing is ever sent anywhere.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import starter
from temporal_client.client import CommandError
from workflows.vocabulary.basics import TEXT_MAX

# Long-running operator commands (a server, a worker, a Temporal dev server) are left out.
_LONG_RUNNING = {"dev", "worker", "relay"}
_CLI = typer.main.get_group(starter.app)
COMMANDS = sorted(set(_CLI.list_commands(typer.Context(_CLI))) - _LONG_RUNNING)
FLAGS = [
    "--lead",
    "--severity",
    "--description",
    "--security",
    "--id",
    "--reason",
    "--revisit",
    "--to",
    "--status",
    "--summary",
    "--notes",
    "--skip",
    "--action",
    "--format",
    "--out",
    "--since",
    "--port",
    "--host",
    "--json",
    "--as",
    "--help",
    "-",
    "--",
]
VALUES = [
    "inc-2026-11-22-search-api-down",
    "INC_BAD!",
    "U012ABC",
    "<@U012ABC|sue>",
    "<!channel>",
    "@here",
    "sue@example.com",
    "sev1",
    "sev9",
    "30m",
    "-5m",
    "2026-12-01",
    "yesterday",
    "markdown",
    "json",
    "resolved",
    "0",
    "-1",
    "99999999999999999999",
    "",
]

printable_or_not = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
)
huge_text = st.text(max_size=8).map(lambda chunk: (chunk or "x") * 5_000)
word = st.one_of(
    st.sampled_from(VALUES), st.sampled_from(FLAGS), printable_or_not, huge_text.filter(bool)
)
argv = st.builds(
    lambda prefix, command, rest: [*prefix, command, *rest],
    st.lists(st.sampled_from(["--json", "--as", "U0FUZZ", "<@U1|x>", "--bogus"]), max_size=3),
    st.one_of(st.sampled_from(COMMANDS), printable_or_not),
    st.lists(word, max_size=8),
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No Temporal, no .env, no Slack: only the settings these tests give."""
    workdir = tmp_path_factory.mktemp("fuzz")
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TEMPORAL_", "INCIDENT_", "SLACK_", "STATUSPAGE_"))
    }
    kept.update(
        TEMPORAL_ADDRESS=f"127.0.0.1:{_closed_port()}",
        INCIDENT_CLI_TIMEOUT_SECONDS="1",
        INCIDENT_DELIVERY_MANAGERS="U0DM",
    )
    before = Path.cwd()
    with mock.patch.dict(os.environ, kept, clear=True):
        os.chdir(workdir)
        try:
            yield workdir
        finally:
            os.chdir(before)


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = starter.run(args)
    return code, out.getvalue(), err.getvalue()


def assert_one_sentence_or_success(args: list[str], code: int, out: str, err: str) -> None:
    args = [arg if len(arg) < 60 else f"{arg[:20]}…({len(arg)} characters)" for arg in args]
    assert isinstance(code, int)
    assert "Traceback" not in err + out, args
    assert "Unexpected error" not in err, f"{args!r} hit a bug: {err}"
    if code == 0:
        return
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{args!r} printed {len(lines)} lines on stderr: {err!r}"
    assert len(lines[0]) <= 600, f"{args!r}: stderr is {len(lines[0])} characters"


class GrammarOnlyClient:
    """Stands in for IncidentClient: whatever reaches Temporal is recorded and answered with one
    sentence, so the fuzz runs through parsing and validation without a server."""

    ACCEPTED = "Accepted by the grammar; nothing was sent."
    received: ClassVar[list[tuple[str, tuple[Any, ...]]]] = []

    def __init__(self, client: object, settings: object) -> None:
        self.settings = settings

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> None:
            GrammarOnlyClient.received.append((name, args))
            raise CommandError(self.ACCEPTED)

        return call

    @property
    def temporal(self) -> TemporalRefusingAll:
        """The Temporal client itself, which `incident alerts` lists alarm workflows with."""
        return TemporalRefusingAll()


class TemporalRefusingAll:
    """Stands in for the Temporal client behind IncidentClient.temporal: every call is recorded
    and answered with the grammar's one sentence."""

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            GrammarOnlyClient.received.append((f"temporal.{name}", args))
            raise CommandError(GrammarOnlyClient.ACCEPTED)

        return call


async def _no_connection(settings: object, **options: object) -> None:
    return None


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=argv)
def test_any_words_give_an_exit_code_and_at_most_one_sentence(
    unreachable: Path, args: list[str]
) -> None:
    with (
        mock.patch("temporal_client.connection.connect", _no_connection),
        mock.patch("temporal_client.client.IncidentClient", GrammarOnlyClient),
    ):
        code, out, err = run_cli(args)
    assert_one_sentence_or_success(args, code, out, err)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(printable_or_not, huge_text),
    shape=st.sampled_from(
        [
            ["update", "inc-x", "{}"],
            ["declare", "{}", "--lead", "U0LEAD"],
            ["report", "Search down", "--description", "{}"],
            ["reject", "inc-x", "--reason", "{}"],
            ["criteria", "inc-x", "{}"],
        ]
    ),
)
def test_random_text_in_valid_commands_is_accepted_or_refused_before_sending(
    unreachable: Path, text: str, shape: list[str]
) -> None:
    args = ["--as", "U0DM", *(part.replace("{}", text) for part in shape)]
    GrammarOnlyClient.received.clear()
    with (
        mock.patch("temporal_client.connection.connect", _no_connection),
        mock.patch("temporal_client.client.IncidentClient", GrammarOnlyClient),
    ):
        code, out, err = run_cli(args)
    assert code != 0
    assert_one_sentence_or_success(args, code, out, err)
    if err.strip() != GrammarOnlyClient.ACCEPTED:
        assert not GrammarOnlyClient.received, "a refused command was still sent"
    else:
        ((_, sent),) = GrammarOnlyClient.received
        model = sent[-1] if sent and isinstance(sent[-1], BaseModel) else sent[0]
        assert isinstance(model, BaseModel)
        fields = model.model_dump()
        for value in fields.values():
            if isinstance(value, str):
                assert value == value.strip() and 0 < len(value) <= TEXT_MAX


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=argv)
def test_against_an_unreachable_server_still_one_sentence(
    unreachable: Path, args: list[str]
) -> None:
    code, out, err = run_cli(args)
    assert_one_sentence_or_success(args, code, out, err)


@pytest.mark.parametrize(
    "args",
    [
        ["update", "inc-x", "y" * 200_000],
        ["declare", "t" * 10_000, "--lead", "U0LEAD"],
        ["declare", "Search down", "--lead", "not a person"],
        ["report", "line one\nline two\r\nthree", "--description", "\x00\x1b[31m"],
        ["update", "inc-\u202eevil", "text"],
        ["snooze", "inc-x", "9999999d"],
        ["--as", "", "join", "inc-x"],
        ["statuspage", "inc-x", "hi", "--status", "\n"],
        ["--no-such\noption"],
        ["handover", "inc-x", "--to", "<@U1|a\nb>"],
    ],
)
def test_hostile_input_is_refused_in_one_sentence(unreachable: Path, args: list[str]) -> None:
    code, out, err = run_cli(args)
    assert code != 0
    assert_one_sentence_or_success(args, code, out, err)


def test_valid_input_fails_at_the_unreachable_server_in_one_sentence(unreachable: Path) -> None:
    code, _, err = run_cli(["--as", "U0DEV", "declare", "Search down", "--lead", "U0DEV"])
    assert code == 1
    assert err.startswith("Cannot reach Temporal at 127.0.0.1:") and err.count("\n") == 1


def test_a_valid_command_gets_through_the_grammar_to_the_client(unreachable: Path) -> None:
    """The fake client is reached, so the fuzz above does exercise accepted input too."""
    GrammarOnlyClient.received.clear()
    with (
        mock.patch("temporal_client.connection.connect", _no_connection),
        mock.patch("temporal_client.client.IncidentClient", GrammarOnlyClient),
    ):
        code, _, err = run_cli(
            ["--as", "U0DM", "update", "inc-x", "<!channel>", "pods", "restarted"]
        )
    assert (code, err.strip()) == (1, GrammarOnlyClient.ACCEPTED)
    ((method, sent),) = GrammarOnlyClient.received
    assert method == "send" and sent[-1].text == "<!channel> pods restarted"
