"""The retro's pull request and the actions' issues, for real: GitHubRetros (githubkit) against a
local GitHub REST stand-in that records every request and injects faults. One branch, one file and
one pull request per incident, one issue per action, whatever is retried or repeated."""

from __future__ import annotations

import asyncio
import uuid
from base64 import b64encode
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from githubkit.exception import RequestFailed
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities import github_api
from activities.github import GitHubActivities, GitHubRetros, GitHubSettings, github_activities
from tests.standins.common import Fault
from tests.standins.github import GitHubStandIn, Repo
from tests.test_slack import as_temporal_would
from workflows.destinations.github import (
    PUBLISH_RETRO_ACTIVITY,
    ActionIssue,
    RetroPullRequest,
    RetroPullRequestRef,
    action_marker,
)

TOKEN = "ghs-stand-in"
DOCS, ACTIONS = "wellcomecollection/docs", "wellcomecollection/platform"
INCIDENT = "inc-2026-12-01-cdn"
BRANCH = f"incident-retro/{INCIDENT}"
PATH = "incident_retros/2026-12-01_cdn.md"
DRAFT = "# CDN outage\n\n## Timeline\n\n- 09:00 Images stopped loading\n"
FAULTS = [
    pytest.param(Fault.SERVER_ERROR, "drop", id="500"),
    pytest.param(Fault.RATE_LIMIT, "drop", id="403-rate-limit"),
    pytest.param(Fault.DROP_AFTER, "drop", id="dropped-after-applying"),
    pytest.param(Fault.DROP_AFTER, "502", id="502-after-applying"),
]


@pytest_asyncio.fixture
async def github() -> AsyncIterator[GitHubStandIn]:
    stand_in = GitHubStandIn(token=TOKEN)
    stand_in.add_repo(DOCS, files={"README.md": "# Docs\n"})
    stand_in.add_repo(ACTIONS, collaborators={"octo-lead"})
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


def docs(github: GitHubStandIn) -> Repo:
    return github.repos[DOCS]


def retros(github: GitHubStandIn, *, token: str = TOKEN) -> GitHubRetros:
    return GitHubRetros.connect(token=token, base_url=github.url)


def retro(n: int, body: str = DRAFT, **changes: object) -> RetroPullRequest:
    fields: dict[str, object] = {
        "key": f"{INCIDENT}/{n}",
        "incident_id": INCIDENT,
        "repo": DOCS,
        "path": PATH,
        "title": "Retro: CDN outage (inc-2026-12-01-cdn)",
        "body": body,
        "description": f"The retro draft of {INCIDENT}.",
        **changes,
    }
    return RetroPullRequest.model_validate(fields)


def action(n: int, owner: str | None = None, **changes: object) -> ActionIssue:
    fields: dict[str, object] = {
        "key": f"{INCIDENT}/action/{n}",
        "incident_id": INCIDENT,
        "repo": ACTIONS,
        "title": f"Action {n} from {INCIDENT}",
        "body": f"From the retro of {INCIDENT}: https://github.com/{DOCS}/pull/1",
        "owner": owner,
        **changes,
    }
    return ActionIssue.model_validate(fields)


def assert_one_retro(github: GitHubStandIn, ref: RetroPullRequestRef, body: str = DRAFT) -> None:
    repo = docs(github)
    assert sorted(repo.branches) == [BRANCH, "main"]
    assert repo.files(BRANCH) == {"README.md": "# Docs\n", PATH: body}
    assert repo.files("main") == {"README.md": "# Docs\n"}
    assert [(p["number"], p["head"]["ref"], p["base"]["ref"]) for p in repo.pulls] == [
        (ref.number, BRANCH, "main")
    ]
    assert ref == RetroPullRequestRef(
        number=ref.number,
        url=f"https://github.com/{DOCS}/pull/{ref.number}",
        path=PATH,
        branch=BRANCH,
    )


def assert_one_sentence_naming(error: ApplicationError, repo: str) -> None:
    message = str(error)
    assert repo in message
    assert message.endswith(".") and ". " not in message and "\n" not in message, message


# --- The retro --------------------------------------------------------------------------------


async def test_a_retro_is_one_branch_one_file_and_one_pull_request_however_often_asked(
    github: GitHubStandIn,
) -> None:
    transport = retros(github)
    first = await as_temporal_would(lambda: transport.publish_retro(retro(17)))
    again = await as_temporal_would(lambda: transport.publish_retro(retro(17)))
    repeated = await as_temporal_would(lambda: transport.publish_retro(retro(18)))
    assert first == again == repeated
    assert_one_retro(github, first)
    assert len(github.calls("create_ref")) == len(github.calls("put_contents")) == 1
    assert len(github.calls("create_pull")) == 1
    assert github.calls("create_pull")[0]["body"] == f"The retro draft of {INCIDENT}."


async def test_new_notes_update_the_same_file_in_the_same_pull_request(
    github: GitHubStandIn,
) -> None:
    transport = retros(github)
    first = await as_temporal_would(lambda: transport.publish_retro(retro(17)))
    notes = DRAFT + "\n## Notes\n\nAdd an alert on CDN 5xx\n"
    second = await as_temporal_would(lambda: transport.publish_retro(retro(21, body=notes)))
    assert second == first
    assert_one_retro(github, second, body=notes)
    writes = github.calls("put_contents")
    assert [("sha" in w, w["branch"]) for w in writes] == [(False, BRANCH), (True, BRANCH)]
    assert len(github.calls("create_pull")) == 1


@pytest.mark.parametrize(("fault", "after_apply"), FAULTS)
@pytest.mark.parametrize("step", ["get_repo", "create_ref", "put_contents", "create_pull"])
async def test_each_fault_still_makes_one_branch_one_file_and_one_pull_request(
    github: GitHubStandIn, fault: Fault, after_apply: str, step: str
) -> None:
    github.after_apply = "502" if after_apply == "502" else "drop"
    github.inject(step, fault)
    transport = retros(github)
    ref = await as_temporal_would(lambda: transport.publish_retro(retro(17)), attempts=2)
    assert github.faults_met() == [(step, fault)]
    assert_one_retro(github, ref)
    assert await as_temporal_would(lambda: transport.publish_retro(retro(18))) == ref
    assert_one_retro(github, ref)
    applied = [github.calls(write) for write in ("create_ref", "put_contents", "create_pull")]
    assert [len(calls) for calls in applied] == [1, 1, 1]  # each write applied once


async def test_overlapping_attempts_still_make_one_pull_request(github: GitHubStandIn) -> None:
    """An attempt that timed out may still be running when Temporal starts the next one."""
    transport = retros(github)
    refs = await asyncio.gather(*(transport.publish_retro(retro(17)) for _ in range(3)))
    assert refs[0] == refs[1] == refs[2]
    assert_one_retro(github, refs[0])


async def test_after_the_pull_request_is_merged_the_same_draft_opens_no_other(
    github: GitHubStandIn,
) -> None:
    transport = retros(github)
    merged = await as_temporal_would(lambda: transport.publish_retro(retro(17)))
    docs(github).merge(merged.number)  # and its branch deleted, as GitHub can do on merge
    assert await as_temporal_would(lambda: transport.publish_retro(retro(18))) == merged
    assert len(docs(github).pulls) == 1
    later = await as_temporal_would(lambda: transport.publish_retro(retro(19, body="# Later\n")))
    assert later.number != merged.number
    assert [p["number"] for p in docs(github).open_pulls()] == [later.number]
    assert docs(github).files(BRANCH)[PATH] == "# Later\n"


async def test_a_security_retro_never_reaches_a_public_repository(github: GitHubStandIn) -> None:
    with pytest.raises(ApplicationError) as raised:
        await as_temporal_would(lambda: retros(github).publish_retro(retro(17, private_only=True)))
    assert raised.value.non_retryable
    assert_one_sentence_naming(raised.value, DOCS)
    assert [r.method for r in github.requests] == ["get_repo"]  # nothing written
    assert sorted(docs(github).branches) == ["main"]

    github.add_repo("wellcomecollection/security-retros", private=True)
    private = retro(17, private_only=True, repo="wellcomecollection/security-retros")
    ref = await as_temporal_would(lambda: retros(github).publish_retro(private))
    assert github.repos["wellcomecollection/security-retros"].files(BRANCH)[PATH] == DRAFT
    assert ref.number == 1


# --- The actions ------------------------------------------------------------------------------


async def test_each_action_is_one_issue_with_its_owner_and_marker(github: GitHubStandIn) -> None:
    transport = retros(github)
    first = await as_temporal_would(lambda: transport.open_action(action(1, owner="octo-lead")))
    second = await as_temporal_would(lambda: transport.open_action(action(2)))
    assert (
        await as_temporal_would(lambda: transport.open_action(action(1, owner="octo-lead")))
        == first
    )
    assert (first.number, second.number) == (1, 2)
    assert first.url == f"https://github.com/{ACTIONS}/issues/1"
    issues = github.repos[ACTIONS].real_issues()
    assert [(i["title"], [a["login"] for a in i["assignees"]]) for i in issues] == [
        (f"Action 1 from {INCIDENT}", ["octo-lead"]),
        (f"Action 2 from {INCIDENT}", []),
    ]
    assert issues[0]["body"].endswith(action_marker(f"{INCIDENT}/action/1"))
    assert f"https://github.com/{DOCS}/pull/1" in issues[0]["body"]


@pytest.mark.parametrize(("fault", "after_apply"), FAULTS)
@pytest.mark.parametrize("step", ["list_issues", "create_issue"])
async def test_each_fault_still_opens_one_issue_per_action(
    github: GitHubStandIn, fault: Fault, after_apply: str, step: str
) -> None:
    github.after_apply = "502" if after_apply == "502" else "drop"
    github.inject(step, fault)
    transport = retros(github)
    ref = await as_temporal_would(lambda: transport.open_action(action(1)), attempts=2)
    assert await as_temporal_would(lambda: transport.open_action(action(1))) == ref
    other = await as_temporal_would(lambda: transport.open_action(action(2)))
    assert github.faults_met() == [(step, fault)]
    assert [i["number"] for i in github.repos[ACTIONS].real_issues()] == [ref.number, other.number]
    assert len(github.calls("create_issue")) == 2  # each applied once


async def test_an_action_is_found_among_a_busy_repositorys_newer_issues(
    github: GitHubStandIn,
) -> None:
    transport = retros(github)
    ref = await as_temporal_would(lambda: transport.open_action(action(1)))
    repo = github.repos[ACTIONS]
    for n in range(150):  # people file other issues and pull requests meanwhile
        repo.issues.append({**repo.issues[0], "number": next(repo.numbers), "body": f"other {n}"})
    assert await as_temporal_would(lambda: transport.open_action(action(1))) == ref
    assert len(repo.real_issues()) == 151
    pages = [c["page"] for c in github.calls("list_issues")]
    assert pages == ["1", "1", "2"]


async def test_an_owner_github_cannot_assign_is_named_in_the_issue(github: GitHubStandIn) -> None:
    transport = retros(github)
    ref = await as_temporal_would(lambda: transport.open_action(action(1, owner="not-a-member")))
    (issue,) = github.repos[ACTIONS].real_issues()
    assert (issue["number"], issue["assignees"]) == (ref.number, [])
    assert "Owner: @not-a-member" in issue["body"]
    assert issue["body"].endswith(action_marker(f"{INCIDENT}/action/1"))


# --- Refusals and rate limits -----------------------------------------------------------------


async def test_a_wrong_token_is_not_retried(github: GitHubStandIn) -> None:
    with pytest.raises(ApplicationError, match="401") as raised:
        await as_temporal_would(lambda: retros(github, token="wrong").publish_retro(retro(17)))
    assert raised.value.non_retryable
    assert_one_sentence_naming(raised.value, DOCS)
    assert "GITHUB_TOKEN" in str(raised.value)
    assert len(github.requests) == 1


async def test_an_unknown_repository_is_not_retried(github: GitHubStandIn) -> None:
    with pytest.raises(ApplicationError, match="404") as raised:
        await as_temporal_would(
            lambda: retros(github).open_action(action(1, repo="wellcomecollection/nope"))
        )
    assert raised.value.non_retryable
    assert_one_sentence_naming(raised.value, "wellcomecollection/nope")


async def test_a_token_that_may_not_write_is_not_retried(github: GitHubStandIn) -> None:
    github.repos[ACTIONS].writable = False
    with pytest.raises(ApplicationError, match="403") as raised:
        await as_temporal_would(lambda: retros(github).open_action(action(1)))
    assert raised.value.non_retryable
    assert_one_sentence_naming(raised.value, ACTIONS)
    assert github.repos[ACTIONS].issues == []


async def test_an_invalid_pull_request_is_not_retried(github: GitHubStandIn) -> None:
    with pytest.raises(ApplicationError, match="422") as raised:
        await as_temporal_would(lambda: retros(github).publish_retro(retro(17, title="")))
    assert raised.value.non_retryable
    assert_one_sentence_naming(raised.value, DOCS)
    assert "opening the pull request" in str(raised.value)
    assert docs(github).pulls == []


@pytest.mark.parametrize("kind", ["primary", "secondary"])
async def test_a_rate_limit_waits_as_long_as_github_said(github: GitHubStandIn, kind: str) -> None:
    github.rate_limit = "secondary" if kind == "secondary" else "primary"
    github.retry_after = 12
    github.inject("create_issue", Fault.RATE_LIMIT)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(retros(github).open_action, action(1))
    assert not raised.value.non_retryable
    delay = raised.value.next_retry_delay
    assert delay is not None and timedelta(seconds=10) <= delay <= timedelta(seconds=12)
    assert_one_sentence_naming(raised.value, ACTIONS)
    assert github.repos[ACTIONS].issues == []


# --- Settings and the activities as Temporal runs them ------------------------------------------


async def test_without_a_token_each_activity_says_so_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    publish, open_issue = github_activities(GitHubSettings(_env_file=None))
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(publish, retro(1))
    assert raised.value.non_retryable
    assert str(raised.value) == (
        f"GITHUB_TOKEN is not set on the worker, so nothing can go to {DOCS}."
    )
    assert [f.__name__ for f in (publish, open_issue)] == [
        "publish_retro_pull_request",
        "open_action_issue",
    ]


@workflow.defn(sandboxed=False)
class PublishRetroOnce:
    @workflow.run
    async def run(self, req: RetroPullRequest) -> RetroPullRequestRef:
        ref: RetroPullRequestRef = await workflow.execute_activity(
            PUBLISH_RETRO_ACTIVITY,
            req,
            result_type=RetroPullRequestRef,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
        )
        return ref


async def test_a_worker_retries_a_dropped_delivery_into_one_pull_request(
    github: GitHubStandIn, time_env: WorkflowEnvironment
) -> None:
    github.inject("create_pull", Fault.DROP_AFTER)
    task_queue = f"github-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[PublishRetroOnce],
        activities=GitHubActivities(retros(github)).all(),
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        ref = await time_env.client.execute_workflow(
            PublishRetroOnce.run, retro(17), id=f"retro-{uuid.uuid4()}", task_queue=task_queue
        )
    assert github.faults_met() == [("create_pull", Fault.DROP_AFTER)]
    assert_one_retro(github, ref)


# --- The stand-in refuses what GitHub refuses -----------------------------------------------------


async def test_the_stand_in_refuses_a_stale_or_missing_file_sha_an_existing_branch_and_an_empty_pr(
    github: GitHubStandIn,
) -> None:
    client = github_api.connect(token=TOKEN, base_url=github.url)
    owner, name = DOCS.split("/")
    readme = b64encode(b"# Docs, again\n").decode()

    async def status(call: Awaitable[Any]) -> int:
        with pytest.raises(RequestFailed) as raised:
            await call
        return raised.value.response.status_code

    rest = client.rest
    update = rest.repos.async_create_or_update_file_contents
    assert await status(update(owner, name, "README.md", message="m", content=readme)) == 422
    stale = update(owner, name, "README.md", message="m", content=readme, sha="0" * 40)
    assert await status(stale) == 409
    main = docs(github).branches["main"]
    assert (
        await status(rest.git.async_create_ref(owner, name, ref="refs/heads/main", sha=main)) == 422
    )
    assert (
        await status(rest.pulls.async_create(owner, name, title="t", head="main", base="main"))
        == 422
    )
    assert docs(github).files("main") == {"README.md": "# Docs\n"}
