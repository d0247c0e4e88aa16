"""Who a person is (Slack ids, mentions, emails), incident ids, the sentence a bad value gets."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import ValidationError

from frontends.commands import explain_validation
from temporal_client.client import incident_id_for
from tests.people import LEAD
from tests.test_process import POLICY, assert_one_sentence
from workflows.model import IncidentStart
from workflows.model.commands import Handover, ProgressUpdate
from workflows.vocabulary.basics import TEXT_MAX, TITLE_MAX, parse_user


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U012ABC", "U012ABC"),
        ("  W0ABC12 ", "W0ABC12"),
        ("@U012ABC", "U012ABC"),
        ("<@U123ABC|alice>", "U123ABC"),
        ("<@U123ABC>", "U123ABC"),
        ("Alice.Smith@Example.ORG", "alice.smith@example.org"),
    ],
)
def test_parse_user_accepts(text: str, expected: str) -> None:
    assert parse_user(text) == expected


@pytest.mark.parametrize("text", ["", "alice", "u012abc", "<@alice>", "a@b", "two words@x.org"])
def test_parse_user_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="Slack user id"):
        parse_user(text)


def test_incident_id_for() -> None:
    day = date(2026, 11, 22)
    assert incident_id_for("Search API down!", day) == "inc-2026-11-22-search-api-down"
    assert incident_id_for("!!!", day) == "inc-2026-11-22-incident"
    long_id = incident_id_for("word " * 40, day)
    slug = long_id.removeprefix("inc-2026-11-22-")
    assert len(slug) <= 50
    assert not slug.endswith("-")
    assert re.fullmatch(r"[a-z0-9-]+", slug)


def test_explain_validation_of_an_over_long_title() -> None:
    with pytest.raises(ValidationError) as raised:
        IncidentStart(id="inc-x", title="x" * (TITLE_MAX + 1), actor=LEAD, policy=POLICY)
    message = explain_validation(raised.value)
    assert message == "The title is too long: 201 characters, at most 200."
    assert_one_sentence(message)


def test_explain_validation_of_an_over_long_text() -> None:
    with pytest.raises(ValidationError) as raised:
        ProgressUpdate(actor=LEAD, text="y" * (TEXT_MAX + 1))
    message = explain_validation(raised.value)
    assert message == "The text is too long: 3001 characters, at most 3000."
    assert_one_sentence(message)


def test_explain_validation_of_a_bad_person() -> None:
    with pytest.raises(ValidationError) as raised:
        Handover(actor=LEAD, to="somebody")
    message = explain_validation(raised.value)
    assert message.startswith("Invalid new lead:")
    assert_one_sentence(message)
