"""The command layer (``frontends/commands.py``) and the Temporal client layer
(``temporal_client/client.py``) in-process, where the CLI tests only reach them through a
subprocess.

What a person notices: every bad argument is one sentence before anything is sent; incident ids
are ``inc-<date>-<slug>`` (``-2``, ``-3`` for more the same day); people are Slack ids, mentions
or emails, and emails become Slack ids when Slack is set up. The pure parts run as they are; the
client runs against the Slack stand-in and a real Temporal dev server (the session's
``dev_env``) with a worker on its own task queue.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.delivery import IncidentActivities
from activities.policy import PolicyActivities
from frontends.commands import (
    act,
    build,
    duration,
    load_settings,
    moment,
    open_incident,
    person,
    severity,
    slack_ids,
    status,
    statuspage_impact,
    statuspage_status,
    who,
)
from temporal_client.client import CommandError, IncidentClient, check_incident_id, incident_id_for
from temporal_client.settings import Settings
from tests.people import DEV, DM, SUE
from tests.standins.slack import SlackStandIn
from tests.support import free_port, wait_until_polled
from tests.test_workflow import RecordingMessenger, RecordingStatusPage
from workflows.incident import IncidentWorkflow
from workflows.model import (
    Action,
    Arrival,
    Command,
    IncidentStart,
    IncidentState,
    Receipt,
    Severity,
    Status,
    StatusPageStatus,
)
from workflows.model.commands import Accept, Handover, ProgressUpdate, Resolve, Retro, Snooze
from workflows.vocabulary.basics import StatusPageImpact

T = TypeVar("T")
LONDON = ZoneInfo("Europe/London")
TOKEN = "xoxb-commands-unit"


def refused(call: Callable[[], object]) -> str:
    """The one sentence ``call`` is refused with."""
    with pytest.raises(CommandError) as refusal:
        call()
    sentence = str(refusal.value)
    assert sentence.strip() and "\n" not in sentence and sentence.endswith("."), sentence
    return sentence


async def refused_async(call: Awaitable[object]) -> str:
    with pytest.raises(CommandError) as refusal:
        await call
    sentence = str(refusal.value)
    assert sentence.strip() and "\n" not in sentence and sentence.endswith("."), sentence
    return sentence


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, incident_delivery_managers=DM, **values)


# --- Incident ids ---------------------------------------------------------------------------------

DAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("title", "security", "expected"),
    [
        ("Search API down", False, "inc-2026-11-23-search-api-down"),
        ("  Search: API down!!  (again) ", False, "inc-2026-11-23-search-api-down-again"),
        ("Leaked keys in the Search API", True, "inc-2026-11-23-security"),
        ("Café pages 500 — ünïcode", False, "inc-2026-11-23-caf-pages-500-n-code"),
        ("!!!", False, "inc-2026-11-23-incident"),
        ("障害", False, "inc-2026-11-23-incident"),
        ("a" * 49 + " b" * 20, False, "inc-2026-11-23-" + "a" * 49),  # no dash left at the end
        ("word " * 40, False, "inc-2026-11-23-" + "-".join(["word"] * 10)),
    ],
)
def test_an_incident_id_is_the_day_and_a_slug_of_the_title(
    title: str, security: bool, expected: str
) -> None:
    incident_id = incident_id_for(title, DAY, security=security)
    assert incident_id == expected
    assert check_incident_id(incident_id) == incident_id


@pytest.mark.parametrize(
    "text",
    [
        "Not An Id!",
        "inc 1",
        "-inc",
        "INC-1",
        "a" * 101,
        "",
        "inc-1\n",  # a newline inside quotes, from Slack: an incident nobody could name
    ],
)
def test_a_malformed_incident_id_is_one_sentence(text: str) -> None:
    sentence = refused(lambda: check_incident_id(text))
    assert sentence == (
        f"{text!r} is not a valid incident id: use lowercase letters, digits, dots and dashes, "
        "at most 100 characters."
    )


# --- People -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U012ABC", "U012ABC"),
        ("@U012ABC", "U012ABC"),
        ("<@U012ABC|sue>", "U012ABC"),
        ("<@U012ABC>", "U012ABC"),
        ("<@W0ENTERPRISE|sue smith>", "W0ENTERPRISE"),
        ("  U012ABC ", "U012ABC"),
        ("Sue@Example.ORG", "sue@example.org"),
    ],
)
def test_a_person_is_a_slack_id_a_mention_or_a_lower_cased_email(text: str, expected: str) -> None:
    assert person(text) == expected
    assert who(text, settings()) == expected


@pytest.mark.parametrize(
    "text", ["sue", "u012abc", "<#C0GENERAL|general>", "<!here>", "sue@", "a b@example.org", ""]
)
def test_what_is_not_a_person_is_one_sentence(text: str) -> None:
    expected = f"{text!r} is not a Slack user id (like U012ABC) or an email address."
    assert refused(lambda: person(text)) == expected


def test_who_acts_is_as_else_incident_user_else_a_sentence_asking() -> None:
    assert who("<@U0ME|me>", settings(incident_user="U0ENV")) == "U0ME"
    assert who(None, settings(incident_user="<@U0ENV|env>")) == "U0ENV"
    assert refused(lambda: who(None, settings())) == (
        "Say who you are with --as USER or the INCIDENT_USER setting."
    )
    assert refused(lambda: who(None, settings(incident_user="nobody"))).startswith(
        "'nobody' is not a Slack user id"
    )


# --- Values ---------------------------------------------------------------------------------------


def test_values_are_read_leniently_and_refused_with_the_choices() -> None:
    assert severity(" SEV1 ") is Severity.SEV1
    assert status("Awaiting_Approval") is Status.AWAITING_APPROVAL
    assert statuspage_status("Identified") is StatusPageStatus.IDENTIFIED
    assert statuspage_impact("MAJOR") is StatusPageImpact.MAJOR
    assert duration("1h30m") == timedelta(hours=1, minutes=30)
    assert refused(lambda: severity("p1")) == "'p1' is not a severity: use sev1, sev2 or sev3."
    assert refused(lambda: status("open")) == (
        "'open' is not a status: use one of triage, declined, active, awaiting_approval, "
        "resolved, closed."
    )
    assert refused(lambda: statuspage_status("down")) == (
        "'down' is not a status page state: use one of investigating, identified, monitoring, "
        "resolved."
    )
    assert refused(lambda: statuspage_impact("huge")) == (
        "'huge' is not a status page impact: use one of none, minor, major, critical."
    )
    assert refused(lambda: duration("soon")) == "'soon' is not a duration like 30m, 1h30m or 2d."
    assert refused(lambda: duration("0m")) == "'0m' is not a positive duration."


def test_a_date_means_office_opening_that_day_in_the_office_timezone() -> None:
    office = settings()
    assert moment("2026-12-01", office) == datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
    assert moment("2026-07-01", office).utcoffset() == timedelta(hours=1)  # summer time
    assert moment("2026-12-01T14:30", office) == datetime(2026, 12, 1, 14, 30, tzinfo=LONDON)
    given = moment("2026-12-01T14:30+01:00", office)
    assert given == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    elsewhere = settings(incident_office_hours="Mon-Fri 08:00-16:00 America/New_York")
    assert moment("2026-12-01", elsewhere) == datetime(
        2026, 12, 1, 8, 0, tzinfo=ZoneInfo("America/New_York")
    )
    for text in ["next tuesday", "2026-13-01", "01/12/2026"]:
        assert refused(partial(moment, text, office)) == (
            f"{text!r} is not a date like 2026-12-01 or 2026-12-01T14:30."
        )


@pytest.mark.parametrize(
    ("model", "fields", "expected"),
    [
        (ProgressUpdate, {"text": "  "}, "Invalid text: must not be empty."),
        (ProgressUpdate, {"text": "x" * 3001}, "The text is too long: 3001 characters, at most 3000."),
        (Handover, {"to": "nobody"}, "Invalid new lead: 'nobody' is not a Slack user id (like U012ABC) or an email address."),
        (Accept, {"lead": DEV, "severity": "sev9"}, "'sev9' is not a valid severity: use 'sev1', 'sev2' or 'sev3'."),
        (Snooze, {"duration": timedelta(days=8)}, "Invalid duration: Input should be less than or equal to 7 days."),
        (Retro, {"notes": "n", "skip_reason": "r"}, "Give either retro notes or a reason to skip the retro, not both."),
        (Retro, {}, "Give either retro notes or a reason to skip the retro, not both."),
    ],
)  # fmt: skip
def test_a_command_that_does_not_validate_is_one_sentence_naming_the_field(
    model: type[Command], fields: dict[str, Any], expected: str
) -> None:
    assert refused(lambda: build(model, actor=DEV, **fields)) == expected


@pytest.fixture
def no_settings(tmp_path: Path) -> Iterator[None]:
    """No .env and no settings from the shell."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TEMPORAL_", "INCIDENT_", "SLACK_", "STATUSPAGE_"))
    }
    before = Path.cwd()
    with mock.patch.dict(os.environ, kept, clear=True):
        os.chdir(tmp_path)
        try:
            yield
        finally:
            os.chdir(before)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("INCIDENT_OFFICE_HOURS", "always", "INCIDENT_OFFICE_HOURS: 'always' should look like 'Mon-Fri 09:00-17:30 Europe/London'."),
        ("INCIDENT_DELIVERY_MANAGERS", "not a person", "INCIDENT_DELIVERY_MANAGERS: 'not a person' is not a Slack user id (like U012ABC) or an email address."),
        ("INCIDENT_REMINDER_INTERVALS", "sev1=30m", "INCIDENT_REMINDER_INTERVALS: no value for sev2, sev3."),
        ("INCIDENT_ESCALATE_AFTER", "twice", "Invalid incident escalate after: Input should be a valid integer, unable to parse string as an integer."),
        ("INCIDENT_CHANNEL_MODE", "both", "Invalid incident channel mode: Input should be 'per_incident' or 'shared'."),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_sentence_naming_it(
    no_settings: None, name: str, value: str, expected: str
) -> None:
    os.environ[name] = value
    assert refused(load_settings) == expected


async def test_a_one_shot_command_reads_no_process_setting_so_a_bad_one_in_its_shell_is_harmless(
    no_settings: None,
) -> None:
    """The process settings are the worker's: the worker, the relay and `incident dev` refuse a
    bad one at start; `incident declare` in a shell that has one opens the incident regardless,
    and sends no policy of its own."""
    os.environ["INCIDENT_HOLIDAYS"] = "Narnia"
    narnia = (
        "INCIDENT_HOLIDAYS: 'Narnia' is not a calendar the holidays package knows "
        "(a country code and optional subdivision, like GB-ENG or GB-SCT)."
    )
    assert refused(load_settings) == narnia  # the worker, the relay and `incident dev`
    one_shot = load_settings(policy=False)
    client = RecordingClient(one_shot)
    await opened(client)
    ((start, _, _),) = client.started
    assert start.policy is None


def test_settings_come_from_a_dot_env_file_in_the_working_directory(no_settings: None) -> None:
    Path(".env").write_text("INCIDENT_DELIVERY_MANAGERS=U0DM1,<@U0DM2|dm2>\n")
    assert load_settings().policy().delivery_managers == ["U0DM1", "U0DM2"]


# --- Sending, without Temporal --------------------------------------------------------------------


class RecordingClient:
    """Stands in for :class:`IncidentClient`: records what would reach Temporal."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sent: list[tuple[str, Action, Command, str | None]] = []
        self.started: list[tuple[IncidentStart, bool, str | None]] = []

    async def send(
        self, incident_id: str, action: Action, command: Command, *, request_id: str | None = None
    ) -> Receipt:
        self.sent.append((incident_id, action, command, request_id))
        return Receipt(incident_id=incident_id, status=Status.ACTIVE, text="Done.")

    async def start(
        self, start: IncidentStart, *, explicit_id: bool, request_id: str | None = None
    ) -> IncidentState:
        self.started.append((start, explicit_id, request_id))
        return IncidentState(
            id=start.id,
            title=start.title,
            status=Status.TRIAGE,
            reporter=start.actor,
            created_at=datetime.now(UTC),
        )


def recording(**values: Any) -> RecordingClient:
    return RecordingClient(settings(**values))


async def test_a_command_goes_out_once_validated_with_its_request_id() -> None:
    client = recording()
    receipt = await act(
        cast(IncidentClient, client),
        "inc-1",
        Action.HANDOVER,
        Handover,
        request_id="slack:1",
        actor=DEV,
        to="<@U0SUE|sue>",
    )
    assert receipt.text == "Done."
    assert client.sent == [("inc-1", Action.HANDOVER, Handover(actor=DEV, to=SUE), "slack:1")]


@pytest.mark.parametrize(
    ("incident_id", "fields", "expected"),
    [
        ("Not An Id!", {"text": "hi"}, "'Not An Id!' is not a valid incident id"),
        ("inc-1", {"text": "x" * 3001}, "The text is too long: 3001 characters, at most 3000."),
        ("inc-1", {"text": "hi", "mood": "calm"}, "Invalid mood: Extra inputs are not permitted."),
    ],
)
async def test_a_command_refused_by_the_command_layer_sends_nothing(
    incident_id: str, fields: dict[str, Any], expected: str
) -> None:
    client = recording()
    call = act(
        cast(IncidentClient, client),
        incident_id,
        Action.UPDATE,
        ProgressUpdate,
        actor=DEV,
        **fields,
    )
    assert (await refused_async(call)).startswith(expected)
    assert client.sent == []


def today() -> list[date]:
    """Today in the office's timezone (and tomorrow, should the test straddle midnight)."""
    now = datetime.now(LONDON).date()
    return [now, now + timedelta(days=1)]


async def opened(client: RecordingClient, **fields: Any) -> IncidentState:
    """``open_incident`` for a report, with ``fields`` changed."""
    report: dict[str, Any] = {"actor": DEV, "title": "Search API down", "description": None}
    report |= {"security": False, "incident_id": None, "declare": False}
    report |= {"arrived_via": Arrival.CLI}
    return await open_incident(cast(IncidentClient, client), client.settings, **report | fields)


async def test_a_new_incident_is_named_by_the_day_and_its_title_and_carries_no_policy() -> None:
    client = recording(incident_infosec_head="U0SEC")
    options = {"declare": True, "lead": "U0LEAD", "severity": Severity.SEV1}
    state = await opened(client, title="  Search API down ", request_id="slack:2", **options)
    ((start, explicit, request_id),) = client.started
    assert state.id == start.id in [f"inc-{day}-search-api-down" for day in today()]
    assert (start.title, start.lead, start.severity, start.declare) == (
        "Search API down",
        "U0LEAD",
        Severity.SEV1,
        True,
    )
    assert (explicit, request_id) == (False, "slack:2")
    # No policy from the front end: the worker's is recorded when the incident opens.
    assert start.policy is None
    assert start.arrived_via is Arrival.CLI  # the front end says how it arrived


async def test_a_security_incident_id_says_nothing_of_its_title_and_a_chosen_id_is_kept() -> None:
    client = recording()
    await opened(client, title="Leaked keys", security=True)
    await opened(client, title="Leaked keys", incident_id="inc-chosen")
    (first, _, _), (second, explicit, _) = client.started
    assert first.id in [f"inc-{day}-security" for day in today()] and first.security
    assert (second.id, explicit) == ("inc-chosen", True)
    for incident_id, title in [("Bad Id", "Fine"), ("inc-x", " "), ("inc-x", "t" * 201)]:
        await refused_async(opened(client, title=title, incident_id=incident_id))
    assert len(client.started) == 2


# --- People named by email, with Slack set up ------------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def slack() -> AsyncIterator[tuple[SlackStandIn, Settings]]:
    stand_in = SlackStandIn(token=TOKEN)
    stand_in.users_by_email |= {"sue@example.org": SUE, "dev@example.org": DEV}
    url = await stand_in.start()
    try:
        yield stand_in, settings(slack_bot_token=TOKEN, slack_api_url=url)
    finally:
        await stand_in.stop()


async def test_emails_become_slack_ids_and_an_unknown_email_sends_nothing(
    slack: tuple[SlackStandIn, Settings],
) -> None:
    _, with_slack = slack
    assert await slack_ids(with_slack, actor="sue@example.org", lead=None, to=DEV) == {"actor": SUE}
    assert await slack_ids(settings(), actor="sue@example.org") == {}  # no Slack: kept as it is

    client = RecordingClient(with_slack)
    await act(
        cast(IncidentClient, client),
        "inc-1",
        Action.HANDOVER,
        Handover,
        actor="Dev@Example.org",
        to="SUE@example.org",
    )
    assert client.sent[0][2] == Handover(actor=DEV, to=SUE)
    call = act(
        cast(IncidentClient, client),
        "inc-1",
        Action.HANDOVER,
        Handover,
        actor=DEV,
        to="nobody@example.org",
    )
    assert await refused_async(call) == "No Slack user has the email nobody@example.org."
    assert len(client.sent) == 1


async def test_slack_out_of_reach_is_one_sentence() -> None:
    gone = settings(slack_bot_token=TOKEN, slack_api_url=f"http://127.0.0.1:{free_port()}/api/")
    sentence = await refused_async(slack_ids(gone, actor="sue@example.org"))
    assert sentence.startswith("Could not look up sue@example.org in Slack: ")


# --- The client against a Temporal dev server ------------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def incidents(dev_env: WorkflowEnvironment) -> AsyncIterator[IncidentClient]:
    """A worker on its own task queue, and a client for it as the CLI makes one."""
    queue = f"commands-unit-{uuid.uuid4()}"
    activities = IncidentActivities(
        messenger=RecordingMessenger(), status_page=RecordingStatusPage()
    )
    worker_settings = settings(temporal_task_queue=queue)
    async with Worker(
        dev_env.client,
        task_queue=queue,
        workflows=[IncidentWorkflow],
        activities=[*activities.all(), PolicyActivities(worker_settings).read_policy],
    ):
        await wait_until_polled(dev_env.client, queue)
        yield IncidentClient(dev_env.client, worker_settings)


async def eventually(check: Callable[[], Awaitable[T]], seconds: float = 15) -> T:
    """``check()`` once it stops failing (visibility lags behind the workflows)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def declare(incidents: IncidentClient, title: str, **options: Any) -> IncidentState:
    fields: dict[str, Any] = {"actor": DM, "description": None, "security": False}
    fields |= {"incident_id": None, "declare": True, "lead": DEV, "arrived_via": Arrival.CLI}
    fields |= options
    return await open_incident(incidents, incidents.settings, title=title, **fields)


async def test_the_same_title_the_same_day_gets_2_then_3_and_a_repeated_request_finds_its_own(
    incidents: IncidentClient,
) -> None:
    title = f"Search API down {uuid.uuid4().hex[:6]}"
    first = await declare(incidents, title, request_id=f"r1-{title}")
    second = await declare(incidents, title)
    third = await declare(incidents, title)
    assert (second.id, third.id) == (f"{first.id}-2", f"{first.id}-3")
    again = await declare(incidents, title, request_id=f"r1-{title}")  # Slack redelivered it
    assert again.id == first.id
    assert {first.title, second.title, third.title} == {title}
    assert (first.status, first.lead, first.delivery_manager) == (Status.ACTIVE, DEV, DM)


async def test_a_chosen_id_that_is_taken_is_refused(incidents: IncidentClient) -> None:
    chosen = f"inc-chosen-{uuid.uuid4().hex[:6]}"
    await declare(incidents, "First", incident_id=chosen)
    sentence = await refused_async(declare(incidents, "Second", incident_id=chosen))
    assert sentence == f"An incident with id {chosen} already exists."
    assert (await incidents.state(chosen)).title == "First"


async def test_sending_answers_with_the_receipt_or_the_processs_one_sentence(
    incidents: IncidentClient,
) -> None:
    state = await declare(incidents, f"Checkout slow {uuid.uuid4().hex[:6]}")
    update = ProgressUpdate(actor=DEV, text="Rolled back")
    receipt = await incidents.send(state.id, Action.UPDATE, update, request_id="slack:u1")
    assert receipt == Receipt(
        incident_id=state.id, status=Status.ACTIVE, text=f"Update posted to {state.id}."
    )
    await incidents.send(state.id, Action.UPDATE, update, request_id="slack:u1")  # redelivered
    entries = [entry.text for entry in await incidents.timeline(state.id)]
    assert entries.count("Rolled back") == 1

    by_sue = Command(actor=SUE)
    sentence = await refused_async(incidents.send(state.id, Action.APPROVE, by_sue))
    assert sentence == f"Incident {state.id} is active, so nobody can approve a resolution now."
    missing = f"inc-missing-{uuid.uuid4().hex[:6]}"
    assert await refused_async(incidents.send(missing, Action.JOIN, Command(actor=SUE))) == (
        f"There is no incident {missing}."
    )
    assert await refused_async(incidents.state(missing)) == f"There is no incident {missing}."


async def test_a_closed_incident_takes_no_more_commands_and_its_end_is_counted(
    incidents: IncidentClient,
) -> None:
    state = await declare(incidents, f"Blip {uuid.uuid4().hex[:6]}")
    await incidents.send(state.id, Action.RESOLVE, Resolve(actor=DM))
    await incidents.send(state.id, Action.RETRO, Retro(actor=DM, skip_reason="A blip"))
    since = datetime.now(UTC) - timedelta(minutes=5)

    async def closed() -> str:
        sentence = await refused_async(incidents.send(state.id, Action.JOIN, Command(actor=SUE)))
        assert sentence == f"Incident {state.id} is closed; it takes no more commands."
        return sentence

    await eventually(closed)

    async def counted() -> None:
        ended = {s.id: s for s in await incidents.ended(since)}
        assert state.id in ended, "not listed yet"
        assert ended[state.id].status is Status.CLOSED

    await eventually(counted)


async def test_listing_filters_by_status(incidents: IncidentClient) -> None:
    title = f"Maybe {uuid.uuid4().hex[:6]}"
    reported = await declare(incidents, title, actor=SUE, declare=False, lead=None)

    async def listed() -> None:
        triage = {item.id: item for item in await incidents.list(Status.TRIAGE)}
        assert reported.id in triage, "not listed yet"  # an assertion: `eventually` waits on it
        assert triage[reported.id].title == reported.title
        assert triage[reported.id].status == "triage" and not triage[reported.id].security
        assert reported.id not in {item.id for item in await incidents.list(Status.ACTIVE)}

    await eventually(listed)


async def test_without_a_worker_nothing_is_created(dev_env: WorkflowEnvironment) -> None:
    queue = f"nobody-polls-{uuid.uuid4()}"
    lonely = IncidentClient(dev_env.client, settings(temporal_task_queue=queue))
    chosen = f"inc-lonely-{uuid.uuid4().hex[:6]}"
    sentence = await refused_async(declare(lonely, "Nobody home", incident_id=chosen))
    assert sentence == (
        f"No worker is polling task queue {queue!r}: start one with `incident worker` "
        "(or `incident dev`); nothing was changed."
    )
    assert await refused_async(lonely.state(chosen)) == f"There is no incident {chosen}."
