"""`/incident` in-process: Slack's text through ``frontends.slash`` into the command layer.

The words a person types in Slack are untrusted. Whatever they are, ``split_words`` and
``plan_words`` give either a plan (work for the command layer, or a reply such as help) or
:class:`CommandError` with one sentence, never a traceback. A plan's work runs here against a
recording client (no Temporal): every command sent acts as the Slack user who typed it, and a
refused one sends nothing. The manual's words (the commands reference, generated from the CLI, and
what "Working from Slack" keeps on the command line) are read from docs/, so the grammar and the
documentation cannot drift apart.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from unittest import mock

import pytest
import typer
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.core import TyperGroup

import starter
from frontends.commands import Answer, Work
from frontends.slash import SLACK_COMMANDS, SLASH, TEXT_MAX, Plan, plan_words, split_words
from messages.slack_relay import reply_text
from messages.terminal import alerts_table
from temporal_client.alarms import ALARM_ID_PREFIX, ALARM_STATE_QUERY, OpenAlarm
from temporal_client.client import CommandError, IncidentClient
from temporal_client.settings import Settings
from workflows.model import (
    Action,
    Arrival,
    Command,
    IncidentStart,
    IncidentState,
    Receipt,
    Status,
    TimelineEntry,
)
from workflows.model.alarms import AlarmState
from workflows.model.commands import Handover, ProgressUpdate

DOCS = Path(__file__).resolve().parent.parent / "docs"
GRAMMAR = typer.main.get_command(starter.app)
assert isinstance(GRAMMAR, TyperGroup)
USER, DM = "U0SLACK", "U0DM"  # who typed the command; the delivery manager in the settings
REQUEST = "slack:T0:U0SLACK:trigger-1"

# One valid use of every command Slack takes, in the README's words.
EXAMPLES = {
    "report": 'report Search API down --description "Search returns 500s"',
    "declare": 'declare "Search API down" --lead <@U0DEV|dev> --severity sev1',
    "accept": "accept inc-1 --lead U0DEV --severity sev2",
    "decline": 'decline inc-1 --reason "Not an incident" --revisit 2026-12-01',
    "ack": "ack inc-1",
    "join": "join inc-1",
    "leave": "leave inc-1",
    "handover": "handover inc-1 --to <@U0SUE|sue>",
    "ask": 'ask inc-1 --to <@U0SUE|sue> --note "You know the CDN rules"',
    "busy": 'busy inc-1 --reason "On leave today"',
    "update": "update inc-1 Restarted the pods, watching error rates",
    "severity": "severity inc-1 sev1",
    "snooze": "snooze inc-1 1h30m",
    "security": "security inc-1",
    "criteria": "criteria inc-1 error rate under 1% for 15 minutes",
    "statuspage": "statuspage inc-1 --status identified Search is degraded",
    "resolve": 'resolve inc-1 --summary "Bad deploy rolled back"',
    "approve": "approve inc-1",
    "reject": 'reject inc-1 --reason "Errors are back"',
    "reopen": 'reopen inc-1 --reason "The 500s are back"',
    "schedule": "schedule inc-1 2026-12-03T14:00",
    "retro": 'retro inc-1 --notes "Add an alert on search 5xx" --action "alert on 5xx"',
    "show": "show inc-1",
    "timeline": "timeline inc-1 --format json",
    "list": "list --status active",
    "alerts": "alerts",
    "stats": "stats --since 2026-11-01",
}
READS = {
    "show": "state",
    "timeline": "timeline",
    "list": "list",
    "alerts": "alarms",
    "stats": "ended",
}


def readme_command_words() -> set[str]:
    """Every command the manual's commands reference names (`### `word``)."""
    page = (DOCS / "reference" / "cli.md").read_text()
    return set(re.findall(r"^### `([a-z][a-z-]*)`$", page, re.MULTILINE))


def readme_command_line_only() -> set[str]:
    """The commands the manual's "Working from Slack" keeps on the command line."""
    section = (DOCS / "incident" / "slack.md").read_text()
    listed = re.search(r"((?:`[a-z-]+`(?:, | and )?)+) stay on the command line", section)
    assert listed, "the manual no longer says which commands stay on the command line"
    return set(re.findall(r"`([a-z-]+)`", listed.group(1)))


class RecordingClient:
    """Stands in for :class:`IncidentClient`: records what would reach Temporal, and answers."""

    def __init__(self, alarms: list[AlarmState] | None = None) -> None:
        self.settings = Settings(_env_file=None, incident_delivery_managers=DM)
        self.calls: list[tuple[Any, ...]] = []
        self.alarms = alarms or []

    @property
    def temporal(self) -> RecordingTemporal:
        """The Temporal client behind it, which `alerts` lists the alarms' workflows with."""
        return RecordingTemporal(self)

    async def send(
        self, incident_id: str, action: Action, command: Command, *, request_id: str | None = None
    ) -> Receipt:
        self.calls.append(("send", action, command, request_id))
        return Receipt(incident_id=incident_id, status=Status.ACTIVE, text=f"{action} done.")

    async def start(
        self, start: IncidentStart, *, explicit_id: bool, request_id: str | None = None
    ) -> IncidentState:
        self.calls.append(("start", start, request_id))
        return _state(start.id, start.title)

    async def state(self, incident_id: str) -> IncidentState:
        self.calls.append(("state", incident_id))
        return _state(incident_id, "Search API down")

    async def timeline(self, incident_id: str) -> list[TimelineEntry]:
        self.calls.append(("timeline", incident_id))
        return []

    async def ended(self, since: datetime | None = None) -> list[IncidentState]:
        self.calls.append(("ended", since))
        return []

    async def list(self, status: Status | None = None) -> list[Any]:
        self.calls.append(("list", status))
        return []


class RecordingTemporal:
    """Stands in for the Temporal client: the running alarm workflows are ``client.alarms``."""

    def __init__(self, client: RecordingClient) -> None:
        self._client = client

    def list_workflows(self, query: str) -> AsyncIterator[SimpleNamespace]:
        self._client.calls.append(("alarms", query))

        async def listed() -> AsyncIterator[SimpleNamespace]:
            for alarm in self._client.alarms:
                yield SimpleNamespace(id=f"{ALARM_ID_PREFIX}{alarm.key}")

        return listed()

    def get_workflow_handle(self, workflow_id: str) -> SimpleNamespace:
        (alarm,) = [a for a in self._client.alarms if ALARM_ID_PREFIX + a.key == workflow_id]

        async def query(name: str, *, result_type: type[AlarmState]) -> AlarmState:
            assert (name, result_type) == (ALARM_STATE_QUERY, AlarmState)
            return alarm

        return SimpleNamespace(query=query)


def _state(incident_id: str, title: str) -> IncidentState:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    return IncidentState(
        id=incident_id, title=title, status=Status.ACTIVE, reporter=USER, created_at=now
    )


def plan(text: str, *, actor: str = USER) -> Plan:
    return plan_words(cast(TyperGroup, GRAMMAR), split_words(text), actor=actor, request_id=REQUEST)


def run(text: str) -> tuple[Answer, RecordingClient]:
    """Plan ``text`` and run its work against a recording client."""
    work = plan(text).work
    assert work is not None, text
    client = RecordingClient()
    return run_work(work, client), client


def run_work(work: Work, client: RecordingClient) -> Answer:
    async def running() -> Answer:
        return await work(cast(IncidentClient, client), client.settings)

    return asyncio.run(running())


def refusal(text: str) -> str:
    with pytest.raises(CommandError) as refused:
        plan(text)
    sentence = str(refused.value)
    assert is_one_sentence(sentence), sentence
    return sentence


def is_one_sentence(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text and text.endswith(".")


@pytest.fixture(scope="module", autouse=True)
def no_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No .env and no settings from the shell: `decline --revisit` reads them while parsing."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TEMPORAL_", "INCIDENT_", "SLACK_", "STATUSPAGE_"))
    }
    before = Path.cwd()
    with mock.patch.dict(os.environ, kept, clear=True):
        os.chdir(tmp_path_factory.mktemp("slash"))
        try:
            yield
        finally:
            os.chdir(before)


# --- Words: quotes, apostrophes, Slack's escaping -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('update inc-1 "Restarted the pods"', ["update", "inc-1", "Restarted the pods"]),
        ("update inc-1 it's the search team's deploy", ["update", "inc-1", "it's", "the", "search", "team's", "deploy"]),
        ("update inc-1 \u201csmart quotes\u201d too", ["update", "inc-1", "smart quotes", "too"]),
        ("resolve inc-1 --summary 'CDN purge fixed it'", ["resolve", "inc-1", "--summary", "CDN purge fixed it"]),
        ("update inc-1 we can't reproduce", ["update", "inc-1", "we", "can't", "reproduce"]),
        ("update inc-1 'it's the cache' now", ["update", "inc-1", "it's the cache", "now"]),
        ("update inc-1 \u2018smart single\u2019 and it\u2019s fine", ["update", "inc-1", "smart single", "and", "it\u2019s", "fine"]),
        ("update inc-1 '90s hardware", ["update", "inc-1", "'90s", "hardware"]),
        ("update inc-1 the teams' deploy", ["update", "inc-1", "the", "teams'", "deploy"]),
        ("update inc-1 '' x", ["update", "inc-1", "", "x"]),
        ('update inc-1 ""', ["update", "inc-1", ""]),
        ("  update \t inc-1   spaced  ", ["update", "inc-1", "spaced"]),
        ("update inc-1 a &lt;b&gt; &amp; c", ["update", "inc-1", "a", "<b>", "&", "c"]),
        ("handover inc-1 --to <@U012ABC|sue>", ["handover", "inc-1", "--to", "<@U012ABC|sue>"]),
        ("handover inc-1 --to <mailto:sue@example.org|sue@example.org>", ["handover", "inc-1", "--to", "sue@example.org"]),
        ("update inc-1 back\\slash", ["update", "inc-1", "back\\slash"]),
        ("", []),
    ],
)  # fmt: skip
def test_quotes_group_words_apostrophes_are_letters_and_escapes_are_undone(
    text: str, words: list[str]
) -> None:
    assert split_words(text) == words


def test_an_unclosed_quote_or_too_long_text_is_refused_in_one_sentence() -> None:
    for text in ['update inc-1 "still down', "update inc-1 \u201cstill down"]:
        with pytest.raises(CommandError, match="A quote is not closed"):
            split_words(text)
    with pytest.raises(CommandError, match=f"at most {TEXT_MAX}") as refused:
        split_words("update inc-1 " + "x" * TEXT_MAX)
    assert is_one_sentence(str(refused.value))


plain_words = st.lists(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Z", "Cc"]),
        min_size=1,
    ).filter(
        lambda w: (
            not set(w) & set('"&\u201c\u201d\u201e')
            and not w.startswith(("<mailto:", "'", "\u2018"))
        )  # a quote that opens a word may group
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(words=plain_words, phrase=st.text(alphabet="abc xyz'é-.", max_size=30))
def test_words_come_back_as_typed_and_a_quoted_phrase_is_one_word(
    words: list[str], phrase: str
) -> None:
    assert split_words(" ".join(words)) == words
    assert split_words(" ".join([*words, f'"{phrase}"'])) == [*words, phrase]


# --- The grammar: every command, mentions, --as, help ---------------------------------------------


def test_the_readme_commands_are_the_slack_commands_and_the_rest_are_refused() -> None:
    readme = readme_command_words()
    command_line_only = readme_command_line_only()
    assert command_line_only == {"worker", "relay", "dev", "retro-doc"}
    assert set(SLACK_COMMANDS) == set(EXAMPLES) and set(SLACK_COMMANDS) <= readme
    assert not command_line_only & set(SLACK_COMMANDS)
    for word in readme - set(SLACK_COMMANDS):  # worker, relay, dev, retro-doc, codec-server
        assert refusal(f"{word} inc-1") == f"{word!r} is not a command: `{SLASH} help` lists them."


@pytest.mark.parametrize("name", SLACK_COMMANDS)
def test_every_command_parses_and_reaches_the_client_as_the_slack_user(name: str) -> None:
    """...and says it arrived through Slack, so the timeline records that Slack verified who."""
    answer, client = run(EXAMPLES[name])
    assert answer.text
    (call,) = [c for c in client.calls if c[0] != "state"] or client.calls
    if name in READS:
        assert call[0] == READS[name]
    elif name in ("report", "declare"):
        _, start, request_id = call
        assert (start.actor, start.declare, request_id) == (USER, name == "declare", REQUEST)
        assert start.id.startswith("inc-") and start.id.endswith("-search-api-down")
        assert start.arrived_via is Arrival.SLACK
    else:
        _, action, command, request_id = call
        assert (action, command.actor, request_id) == (Action(name), USER, REQUEST)
        assert command.arrived_via is Arrival.SLACK


def test_command_words_are_read_whatever_their_case() -> None:
    _, client = run("UPDATE inc-1 Still down")
    ((_, action, command, _),) = client.calls
    assert action is Action.UPDATE and isinstance(command, ProgressUpdate)
    assert command.text == "Still down"


@pytest.mark.parametrize(
    ("text", "field", "person"),
    [
        ("handover inc-1 --to <@U012ABC|sue>", "to", "U012ABC"),
        ("handover inc-1 --to <@U012ABC>", "to", "U012ABC"),
        ("handover inc-1 --to <@W0ENTERPRISE|ent>", "to", "W0ENTERPRISE"),
        ("handover inc-1 --to @U012ABC", "to", "U012ABC"),
        ("handover inc-1 --to <mailto:Sue@Example.org|Sue@Example.org>", "to", "sue@example.org"),
        ("accept inc-1 --lead <@U012ABC|sue> --severity sev1", "lead", "U012ABC"),
        ('declare "Search down" --lead <@U012ABC|sue>', "lead", "U012ABC"),
    ],
)
def test_a_mention_or_an_email_is_the_person_wherever_a_person_is_expected(
    text: str, field: str, person: str
) -> None:
    _, client = run(text)
    (call,) = client.calls
    sent = call[1] if call[0] == "start" else call[2]
    assert getattr(sent, field) == person


@pytest.mark.parametrize(
    "text",
    [
        "handover inc-1 --to <#C0GENERAL|general>",
        "handover inc-1 --to <!subteam^S0TEAM|@oncall>",
        "handover inc-1 --to <!channel>",
        "declare Search down --lead sue",
    ],
)
def test_what_is_not_a_person_is_refused_before_anything_is_sent(text: str) -> None:
    assert "is not a Slack user id (like U012ABC) or an email address" in refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "update inc-1 --as U0DM I am the DM now",
        "update inc-1 --as=U0DM hi",
        "--as U0DM approve inc-1",
        "approve inc-1 --as <@U0DM|dm>",
    ],
)
def test_acting_as_someone_else_is_refused(text: str) -> None:
    expected = "In Slack you always act as yourself, so --as is not accepted."
    if text.startswith("--as"):  # not a command word at all
        expected = f"'--as' is not a command: `{SLASH} help` lists them."
    assert refusal(text) == expected


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("update", "Missing argument 'ID': usage is `/incident update ID TEXT... [OPTIONS]`."),
        ("update inc-1", "Missing argument 'TEXT': usage is `/incident update "),
        ("severity inc-1", "Missing argument 'SEVERITY': usage is `/incident severity "),
        ("handover inc-1 --to", "Option '--to' requires an argument: usage is `/incident handover "),
        ("handover inc-1 --bogus x", "No such option: --bogus: usage is `/incident handover "),
        ("accept inc-1 --lead U0DEV", "Missing option '--severity': usage is `/incident accept "),
        ("retro inc-1", "Give either --notes N or --skip --reason R."),
        ("retro inc-1 --skip", "Say why the retro is skipped with --reason R."),
        ("snooze inc-1 soon", "'soon' is not a duration like 30m, 1h30m or 2d."),
        ("decline inc-1 --reason r --revisit tomorrow", "'tomorrow' is not a date like 2026-12-01"),
        ("timeline inc-1 --format xml", "'xml' is not a timeline format: use markdown or json."),
        ("list --status open", "'open' is not a status: use one of triage, declined, active,"),
        ("frobnicate inc-1", "'frobnicate' is not a command: `/incident help` lists them."),
        ("x" * 60, f"'{'x' * 40}…' is not a command"),
    ],
)  # fmt: skip
def test_bad_words_are_refused_in_one_sentence_that_says_what_to_type(
    text: str, starts: str
) -> None:
    assert refusal(text).startswith(starts)


def test_help_lists_the_slack_commands_and_help_on_one_command_shows_its_options() -> None:
    for text in ["", "help", "HELP", "--help", "-h"]:
        reply = plan(text).reply
        assert reply is not None and plan(text).work is None
        listed = re.findall(r"^• `([a-z-]+)`", reply, flags=re.MULTILINE)
        assert listed == SLACK_COMMANDS, text
    one = plan("help handover").reply
    assert one is not None and one.startswith(f"`{SLASH} handover ID --to USER [OPTIONS]`")
    assert "--to" in one and "pass the lead" in one
    assert plan("handover --help").reply == one == plan("help HANDOVER").reply
    assert plan("help frobnicate").reply == plan("help").reply


# --- Anything at all ------------------------------------------------------------------------------

WORDS = [
    *SLACK_COMMANDS,
    *["--to", "--lead", "--severity", "--reason", "--notes", "--skip", "--status", "--revisit"],
    *["--since", "--format", "--impact", "--summary", "--id", "--security", "--description"],
    *["--action", "--as", "--help", "--", "-", "help", "inc-1", "Not An Id!", "<@U012ABC|sue>"],
    *["<!channel>", "<#C0GEN|general>", "sev1", "sev9", "30m", "0m", "2026-12-01", '"', "\u201c"],
    *["&lt;", "&amp;", "<mailto:a@b.co|a@b.co>", "json", "resolved", "worker", "retro-doc"],
]
any_word = st.one_of(st.sampled_from(WORDS), st.text(max_size=12))


def _changed(example: str, at: int, word: str, replace: bool) -> str:
    """A README example with one word (never the command's) replaced, or one more word."""
    words = example.split(" ")
    at = 1 + at % len(words)
    return " ".join([*words[:at], word, *words[at + replace :]])


slack_text = st.one_of(
    st.text(max_size=120),
    st.lists(any_word, max_size=10).map(" ".join),
    st.text(max_size=3).map(lambda chunk: "update inc-1 " + (chunk or "x") * 1500),
)
changed_examples = st.builds(
    _changed, st.sampled_from(list(EXAMPLES.values())), st.integers(0, 20), any_word, st.booleans()
)


def outcome(text: str) -> str:
    """What ``text`` comes to; fails unless it is a plan that acts as the Slack user, or a
    refusal in one sentence that sent nothing."""
    try:
        planned = plan(text)
    except CommandError as refused:
        assert is_one_sentence(str(refused)), (text, str(refused))
        return "refused by the grammar"
    if planned.work is None:
        assert planned.reply
        return "a reply"
    client = RecordingClient()
    try:
        answer = run_work(planned.work, client)
    except CommandError as refused:
        assert is_one_sentence(str(refused)), (text, str(refused))
        assert not client.calls, f"{text!r} was refused after sending {client.calls}"
        return "refused by the command layer"
    assert answer.text and client.calls
    for call in client.calls:
        if call[0] == "send":
            assert (call[2].actor, call[3]) == (USER, REQUEST)
        if call[0] == "start":
            assert (call[1].actor, call[2]) == (USER, REQUEST)
    return f"sent: {client.calls[0][0]}"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=slack_text)
def test_any_text_is_a_plan_or_one_refusal(text: str) -> None:
    event(outcome(text))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(text=changed_examples)
def test_a_command_with_any_word_changed_acts_as_the_slack_user_or_sends_nothing(
    text: str,
) -> None:
    event(outcome(text))


def test_a_handover_sent_from_slack_is_the_clis_own_command() -> None:
    """The relay and the CLI share one grammar: the same words give the same Update (which says
    it came through Slack)."""
    _, client = run("handover inc-1 --to <@U0SUE|sue>")
    ((_, action, command, _),) = client.calls
    expected = Handover(actor=USER, to="U0SUE", arrived_via=Arrival.SLACK)
    assert action is Action.HANDOVER and command == expected


def test_a_resolve_with_a_single_quoted_summary_resolves_with_that_summary() -> None:
    """As typed in the shell the README's examples come from (issue 17): refused before."""
    _, client = run("resolve inc-1 --summary 'CDN purge fixed it'")
    ((_, action, command, _),) = client.calls
    assert action is Action.RESOLVE and command.summary == "CDN purge fixed it"


def test_alerts_in_slack_is_the_command_lines_table_in_a_code_block_mrkdwn_leaves_alone() -> None:
    """An alarm's key is whatever its sender named it: Slack shows it as the terminal prints it,
    aligned, with nothing in it read as bold, italics, a ping or the code block's end."""
    at = datetime(2026, 12, 6, 17, 26, tzinfo=UTC)
    alarms = [
        AlarmState(key="generic:db_1*disk*_full_", incident_id="inc-1", fired=2, firing=True,
                   last_at=at),
        AlarmState(key="generic:```end``` <!channel> @here & ~x~", fired=1, cleared=1,
                   last_at=at - timedelta(minutes=5)),
        AlarmState(key="heartbeat:nightly-backup", heartbeat_interval=timedelta(days=1)),
    ]  # fmt: skip
    answer, client = run_alerts(alarms)
    said = reply_text(answer.chat or answer.text)
    assert said.startswith("```") and said.endswith("```") and said.count("```") == 2
    assert "<!channel>" not in said and "@here" not in said  # nothing pings
    shown = said[3:-3].replace("\u200b", "")  # as Slack shows it: escapes undone, no gaps
    shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    incident = _state("inc-1", "Search API down")
    opened = [OpenAlarm(f"{ALARM_ID_PREFIX}{alarms[0].key}", alarms[0], incident)]
    opened += [OpenAlarm(f"{ALARM_ID_PREFIX}{alarm.key}", alarm) for alarm in alarms[1:]]
    assert shown == alerts_table(opened)
    header, firing, cleared, ok = shown.splitlines()
    assert header.split()[:3] == ["STATE", "FIRED", "CLEARED"]
    assert firing.startswith("firing") and firing.endswith("generic:db_1*disk*_full_")
    assert cleared.startswith("cleared") and ok.startswith("ok")
    assert {call[0] for call in client.calls} == {"alarms", "state"}


def test_alerts_with_none_open_says_so_in_slack() -> None:
    answer, _ = run_alerts([])
    assert reply_text(answer.chat or answer.text) == "No open alarms."


def run_alerts(alarms: list[AlarmState]) -> tuple[Answer, RecordingClient]:
    work = plan("alerts").work
    assert work is not None
    client = RecordingClient(alarms)
    return run_work(work, client), client
