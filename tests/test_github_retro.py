"""The retro lands in the docs repository: real IncidentWorkflows on the time-skipping server,
the worker built as `incident worker` builds it (the GitHub activities found through the
destination's ``activities_module``), githubkit talking HTTP to the local GitHub stand-in.

Also the proof of README's "Changing it" for a destination: GitHub was added as its module
(workflows/destinations/github.py), its two members of ``Effect`` and its activities
(activities/github.py, with activities/github_api.py).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.delivery import IncidentActivities
from messages.terminal import show_text
from temporal_client.settings import Settings
from tests.people import DM, LEAD
from tests.standins.common import Fault
from tests.standins.github import GitHubStandIn
from tests.support import PROXIES
from tests.test_workflow import (
    LATENESS,
    POLICY,
    Desk,
    RecordingMessenger,
    RecordingStatusPage,
    assert_each_delivered_once,
    state_of,
    timeline_of,
)
from worker import build_worker
from workflows.destinations.github import GITHUB, GitHubOptions, RetroPullRequest
from workflows.destinations.slack import Audience, NoticeKind
from workflows.model import Action, EntryKind, Policy
from workflows.model.commands import ProgressUpdate, Resolve, Retro

TOKEN = "ghs-stand-in"
DOCS, PRIVATE_DOCS, ACTIONS = "wellcome/docs", "wellcome/security-retros", "wellcome/platform"


@pytest.fixture(autouse=True)
def github_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


@pytest_asyncio.fixture
async def github(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[GitHubStandIn]:
    stand_in = GitHubStandIn(token=TOKEN)
    stand_in.add_repo(DOCS, files={"README.md": "# Docs\n"})
    stand_in.add_repo(PRIVATE_DOCS, private=True)
    stand_in.add_repo(ACTIONS, collaborators={"octo-lead"})
    await stand_in.start()
    monkeypatch.setenv("GITHUB_API_URL", stand_in.url)
    yield stand_in
    await stand_in.stop()


@pytest_asyncio.fixture
async def desk(time_env: WorkflowEnvironment, github: GitHubStandIn) -> AsyncIterator[Desk]:
    slack, status_page = RecordingMessenger(), RecordingStatusPage()
    settings = Settings(_env_file=None, temporal_task_queue=f"incidents-{uuid.uuid4()}")
    activities = IncidentActivities(messenger=slack, status_page=status_page)
    async with build_worker(time_env.client, settings, activities=activities):
        test_desk = Desk(time_env, settings.temporal_task_queue, slack, status_page)
        try:
            yield test_desk
        finally:
            await test_desk.close()
    assert_each_delivered_once(slack)


def with_github(**options: str) -> Policy:
    recorded = GitHubOptions(retro_repo=DOCS, actions_repo=ACTIONS, **options).model_dump()
    return POLICY.model_copy(
        update={"destinations": {RetroPullRequest.destination_name(): recorded}}
    )


async def resolve(desk: Desk, **open_options: object) -> str:
    handle = await desk.open(**open_options)  # type: ignore[arg-type]
    update = ProgressUpdate(actor=LEAD, text="cause: a bad CDN rule; rolled back")
    await desk.send(handle, Action.UPDATE, update)
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="CDN purge fixed it"))
    return handle.id


async def test_the_draft_goes_up_at_resolution_and_the_retro_updates_it_and_opens_the_actions(
    desk: Desk, github: GitHubStandIn
) -> None:
    handle = await desk.open(policy=with_github())
    await desk.send(handle, Action.UPDATE, ProgressUpdate(actor=LEAD, text="cause: a bad rule"))
    await desk.send(handle, Action.RESOLVE, Resolve(actor=DM, summary="CDN purge fixed it"))

    docs = github.repos[DOCS]
    [pull] = docs.pulls
    state = await state_of(handle)
    branch = f"incident-retro/{handle.id}"
    [path] = [p for p in docs.files(branch) if p.startswith("incident_retros/")]
    assert path.endswith("_search-api-returns-500s.md")
    draft = docs.files(branch)[path]
    assert draft.startswith("# Incident retro - Search API returns 500s\n")
    assert "- a bad rule" in draft  # the cause marked in an update
    assert state.links == {f"Retro pull request #{pull['number']}": pull["html_url"]}
    [linked] = await timeline_of(handle, EntryKind.LINKED)
    assert linked.text == f"Retro pull request #{pull['number']}: {pull['html_url']}"
    said = [d.notice.text for d in desk.slack.received(handle.id, NoticeKind.TRANSITION)]
    assert linked.text in said  # and in the incident's channel

    retro = Retro(
        actor=DM,
        notes="Rules are now reviewed",
        actions=["Alarm on CDN 5xx", "Review the rule process"],
        action_owners=["octo-lead", ""],
    )
    await desk.send(handle, Action.RETRO, retro)
    await desk.sleep(timedelta(seconds=5))

    assert len(docs.pulls) == 1  # the same pull request, its file updated
    held = docs.files(branch)[path]
    assert "- Rules are now reviewed" in held and "- [ ] Alarm on CDN 5xx" in held
    issues = github.repos[ACTIONS].real_issues()
    assert [(i["title"], [a["login"] for a in i["assignees"]]) for i in issues] == [
        ("Alarm on CDN 5xx", ["octo-lead"]),
        ("Review the rule process", []),
    ]
    assert all(pull["html_url"] in i["body"] for i in issues)
    shown = show_text(await state_of(handle))
    for issue in issues:
        assert f"Action #{issue['number']}:" in shown
        assert issue["html_url"] in shown


async def test_a_security_retro_never_reaches_a_public_repository(
    desk: Desk, github: GitHubStandIn
) -> None:
    incident = await resolve(desk, policy=with_github(), security=True)
    handle = desk.handles[-1]
    docs = github.repos[DOCS]
    assert (docs.pulls, sorted(docs.branches)) == ([], ["main"])  # nothing written
    [failed] = await timeline_of(handle, EntryKind.DELIVERY_FAILED)
    assert failed.text.endswith(
        f"A security incident's retro never goes to a public repository, and {DOCS} is public."
    )
    assert incident in failed.text

    # With a private repository named for them, security retros go there.
    private = with_github(security_retro_repo=PRIVATE_DOCS)
    await resolve(desk, policy=private, security=True)
    assert len(github.repos[PRIVATE_DOCS].pulls) == 1
    assert github.repos[DOCS].pulls == []


async def test_faults_while_publishing_still_make_one_pull_request_and_one_file(
    desk: Desk, github: GitHubStandIn
) -> None:
    github.inject("create_pull", Fault.DROP_AFTER)
    github.inject("put_contents", Fault.SERVER_ERROR)
    await resolve(desk, policy=with_github())
    await desk.sleep(timedelta(minutes=1))  # the retries' backoff
    handle = desk.handles[-1]
    docs = github.repos[DOCS]
    assert len(docs.pulls) == 1
    assert [len(github.calls(w)) for w in ("create_ref", "put_contents", "create_pull")] == [
        1,
        1,
        1,
    ]
    assert len((await state_of(handle)).links) == 1


async def test_github_down_for_two_hours_holds_back_no_slack_message_and_then_lands_once(
    desk: Desk, github: GitHubStandIn
) -> None:
    """GitHub answers 500 to everything for two (time-skipped) hours: the incident goes on in
    Slack on time, its GitHub lane retries on its own, and once GitHub is back the pull request
    and the actions' issues are each made once."""
    github.fail_every_call()
    desk.elsewhere_down = True
    incident_id = await resolve(desk, policy=with_github())
    handle = desk.handles[-1]
    [resolved] = await timeline_of(handle, EntryKind.RESOLVED)
    told = desk.slack.received(incident_id, NoticeKind.RESOLVED)  # the channel, the platform's
    assert told and all(resolved.at <= d.arrived < resolved.at + LATENESS for d in told)
    await desk.sleep(timedelta(hours=1))
    await desk.send(handle, Action.RETRO, Retro(actor=DM, notes="Alert on 5xx", actions=["Alarm"]))
    [closed_at] = [e.at for e in await timeline_of(handle, EntryKind.CLOSED)]
    closing = desk.slack.received(incident_id, NoticeKind.CLOSED)
    assert closing and all(closed_at <= d.arrived < closed_at + LATENESS for d in closing)
    waiting = {lane.lane: lane for lane in (await state_of(handle)).waiting}
    assert [lane for lane in waiting if lane.kind == GITHUB], waiting
    await desk.sleep(timedelta(hours=1))
    assert github.repos[DOCS].pulls == [] and github.faults_met()

    github.answer_again()
    desk.elsewhere_down = False
    await desk.sleep(timedelta(minutes=1, seconds=5))  # DELIVERY_RETRY: at most a minute apart
    assert len(github.repos[DOCS].pulls) == 1
    assert [len(github.calls(w)) for w in ("create_ref", "create_pull", "create_issue")] == [
        1,
        1,
        1,
    ]
    state = await state_of(handle)
    assert state.undelivered == 0 and state.waiting == []


async def test_without_settings_nothing_goes_to_github(desk: Desk, github: GitHubStandIn) -> None:
    await resolve(desk)  # an incident whose policy names no repository (or begun before)
    assert github.requests == []
    assert not any(
        d.notice.audience is Audience.INCIDENT_CHANNEL and "pull request" in d.notice.text
        for d in desk.slack.deliveries
    )


def test_a_bad_repository_setting_is_refused_in_one_sentence_before_any_incident_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refused when the settings are read (a new incident's policy), never inside a running
    incident, where the effect's own check would fail its workflow task."""
    from temporal_client.settings import SettingsError

    monkeypatch.setenv("INCIDENT_RETRO_REPO", "wellcome docs")
    with pytest.raises(SettingsError) as raised:
        Settings(_env_file=None).policy()
    assert str(raised.value) == (
        "INCIDENT_RETRO_REPO: 'wellcome docs' should be a repository as owner/name, like "
        "wellcomecollection/docs, or empty for none."
    )
    monkeypatch.setenv("INCIDENT_RETRO_REPO", DOCS)
    recorded = Settings(_env_file=None).policy().destinations[RetroPullRequest.destination_name()]
    assert recorded["retro_repo"] == DOCS
