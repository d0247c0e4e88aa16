"""The status page, for real: AtlassianStatusPage against a local Statuspage v1 stand-in that
records every request and injects faults. Each page incident is created once, then updated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.statuspage import AtlassianStatusPage, parse_components
from tests.standins.common import Fault
from tests.standins.statuspage import StatusPageStandIn
from tests.test_slack import as_temporal_would
from workflows.destinations.statuspage import StatusPagePost
from workflows.model import StatusPageStatus
from workflows.vocabulary.basics import StatusPageImpact

KEY, PAGE = "sp-test-key", "page1"
INCIDENT = "inc-2026-01-05-search-down"


@pytest_asyncio.fixture
async def page() -> AsyncIterator[StatusPageStandIn]:
    stand_in = StatusPageStandIn(api_key=KEY, page_id=PAGE)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


def adapter(page: StatusPageStandIn, *, api_key: str = KEY) -> AtlassianStatusPage:
    return AtlassianStatusPage.connect(api_key=api_key, page_id=PAGE, base_url=page.url)


def post(
    n: int,
    status: StatusPageStatus = StatusPageStatus.INVESTIGATING,
    page_incident_id: str | None = None,
    body: str = "Search is degraded",
) -> StatusPagePost:
    return StatusPagePost(
        key=f"{INCIDENT}/{n}",
        incident_id=INCIDENT,
        page_incident_id=page_incident_id,
        name="Search is slow",
        status=status,
        body=body,
    )


async def test_first_post_creates_later_ones_update_and_resolution_resolves(
    page: StatusPageStandIn,
) -> None:
    status_page = adapter(page)
    ref = await as_temporal_would(lambda: status_page.post(post(3)))
    await as_temporal_would(
        lambda: status_page.post(post(5, StatusPageStatus.IDENTIFIED, ref.page_incident_id))
    )
    resolved = await as_temporal_would(
        lambda: status_page.post(
            post(9, StatusPageStatus.RESOLVED, ref.page_incident_id, body="Resolved.")
        )
    )
    assert resolved.page_incident_id == ref.page_incident_id
    assert list(page.incidents) == [ref.page_incident_id]
    incident = page.incidents[ref.page_incident_id]
    assert (incident["name"], incident["status"]) == ("Search is slow", "resolved")
    assert [(u["status"], u["body"]) for u in page.updates(ref.page_incident_id)] == [
        ("investigating", "Search is degraded"),
        ("identified", "Search is degraded"),
        ("resolved", "Resolved."),
    ]


@pytest.mark.parametrize("fault", list(Fault))
@pytest.mark.parametrize("step", ["create", "patch"])
async def test_each_fault_still_posts_each_update_exactly_once(
    page: StatusPageStandIn, fault: Fault, step: str
) -> None:
    status_page = adapter(page)
    page.inject(step, fault)
    # The fault costs one more attempt of the post it meets: the first creates, the second patches.
    ref = await as_temporal_would(
        lambda: status_page.post(post(3)), attempts=2 if step == "create" else 1
    )
    await as_temporal_would(
        lambda: status_page.post(post(4, StatusPageStatus.MONITORING, ref.page_incident_id)),
        attempts=2 if step == "patch" else 1,
    )
    assert page.faults_met() == [(step, fault)]
    assert list(page.incidents) == [ref.page_incident_id]
    assert [u["status"] for u in page.updates(ref.page_incident_id)] == [
        "investigating",
        "monitoring",
    ]


async def test_a_rate_limit_waits_as_long_as_statuspage_said(page: StatusPageStandIn) -> None:
    page.retry_after = 12
    page.inject("create", Fault.RATE_LIMIT)
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(adapter(page).post, post(3))
    assert raised.value.next_retry_delay == timedelta(seconds=12)
    assert not raised.value.non_retryable
    assert page.incidents == {}


@pytest.mark.parametrize(
    ("status_page_of", "expected_status"),
    [
        (lambda page: adapter(page, api_key="wrong"), 401),
        (
            lambda page: AtlassianStatusPage.connect(
                api_key=KEY, page_id="no-such-page", base_url=page.url
            ),
            404,
        ),
    ],
    ids=["401", "404"],
)
async def test_permanent_refusals_are_not_retried(
    page: StatusPageStandIn,
    status_page_of: Callable[[StatusPageStandIn], AtlassianStatusPage],
    expected_status: int,
) -> None:
    status_page = status_page_of(page)
    with pytest.raises(ApplicationError, match=str(expected_status)) as raised:
        await as_temporal_would(lambda: status_page.post(post(3)))
    assert raised.value.non_retryable
    assert len(page.calls("create", answered=False)) == 1


async def test_an_invalid_post_is_not_retried(page: StatusPageStandIn) -> None:
    nameless = post(3).model_copy(update={"name": ""})
    with pytest.raises(ApplicationError, match="422") as raised:
        await as_temporal_would(lambda: adapter(page).post(nameless))
    assert raised.value.non_retryable
    assert page.incidents == {}


async def test_components_are_affected_while_open_and_operational_once_resolved(
    page: StatusPageStandIn,
) -> None:
    components = parse_components("cmp-search=major_outage, cmp-api")
    assert components == {"cmp-search": "major_outage", "cmp-api": "partial_outage"}
    status_page = AtlassianStatusPage.connect(
        api_key=KEY, page_id=PAGE, base_url=page.url, components=components
    )
    opening = post(1).model_copy(update={"impact_override": StatusPageImpact.MAJOR})
    ref = await as_temporal_would(lambda: status_page.post(opening))
    incident = page.incidents[ref.page_incident_id]
    assert incident["impact_override"] == "major"
    assert incident["components"] == components
    await as_temporal_would(
        lambda: status_page.post(post(2, StatusPageStatus.RESOLVED, ref.page_incident_id))
    )
    assert incident["components"] == {"cmp-search": "operational", "cmp-api": "operational"}


def test_an_unknown_component_status_is_one_sentence() -> None:
    with pytest.raises(ValueError, match="'down' is not a component status: use one of "):
        parse_components("cmp-search=down")
