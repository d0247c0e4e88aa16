"""`incident retro-doc` and `incident stats` end to end, through the CLI on a real dev server."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from tests.test_cli_e2e import (
    DM1,
    LEAD,
    REPORTER,
    Cli,
    cli,
    cli_env,
    new_id,
    wait_for_message,
    workdir,
    worker,
)

pytestmark = pytest.mark.e2e
__all__ = ["cli", "cli_env", "workdir", "worker"]  # fixtures, imported for pytest


def test_retro_doc_writes_the_draft_named_after_the_day_and_title(cli: Cli, tmp_path: Path) -> None:
    incident_id = new_id("retro")
    cli.declare(incident_id, "Wellcome Collection homepage slow", by=DM1, lead=LEAD)
    cli.ok("update", incident_id, "cause: image resizing saturated the CPU", as_user=LEAD)
    cli.ok("update", incident_id, "action: cache resized images", as_user=LEAD)
    cli.ok("resolve", incident_id, "--summary", "Cache enabled", as_user=DM1)
    retro = ["retro", incident_id, "--notes", "Resizing ran on every request"]
    agreed = ["--action", "Resize images at upload", "--action", "Alert on CPU above 90%"]
    refused = cli.refused(*retro, *agreed, "--owner", "octo-lead", as_user=DM1)
    assert refused == "Give one --owner per --action, in order (- for none), or no --owner."
    closing = cli.ok(*retro, *agreed, "--owner", "@octo-lead", "--owner", "-", as_user=DM1)
    assert closing.endswith("Actions:\n- Resize images at upload\n- Alert on CPU above 90%\n")
    assert cli.show(incident_id)["retro_actions"] == [
        "Resize images at upload",
        "Alert on CPU above 90%",
    ]
    assert cli.show(incident_id)["retro_action_owners"] == ["octo-lead", ""]

    printed = json.loads(cli.ok("--json", "retro-doc", incident_id, "--out", str(tmp_path)))
    path = Path(printed["path"])
    assert path.parent == tmp_path
    assert path.name.endswith("_wellcome-collection-homepage-slow.md")
    date.fromisoformat(path.name[:10])
    draft = path.read_text()
    assert draft.startswith("# Incident retro - Wellcome Collection homepage slow\n")
    assert "## Timeline\n#" in draft  # the channel
    assert f" {LEAD} Image resizing saturated the CPU" in draft
    assert "- Resizing ran on every request" in draft
    actions = draft.split("## Actions")[1]
    assert "- [ ] Resize images at upload\n- [ ] Alert on CPU above 90%\n" in actions
    assert "- [ ] cache resized images" in actions


def test_stats_counts_ended_incidents_and_keeps_declined_apart(cli: Cli) -> None:
    closed = new_id("stats-closed")
    cli.declare(closed, "Stats closed incident", by=DM1, lead=LEAD, severity="sev3")
    cli.ok("resolve", closed, as_user=DM1)
    cli.ok("retro", closed, "--skip", "--reason", "Trivial", as_user=DM1)
    declined = new_id("stats-declined")
    cli.ok("report", "Stats declined report", "--id", declined, as_user=REPORTER)
    cli.ok("decline", declined, "--reason", "Not user-facing", as_user=DM1)
    wait_for_message(cli.worker, declined, "declined")

    deadline = time.monotonic() + 20  # visibility is eventually consistent
    while True:
        figures = json.loads(cli.ok("--json", "stats"))
        main = figures["incidents"]
        if main["by_outcome"].get("retro skipped", 0) >= 1 and figures["declined"] >= 1:
            break
        assert time.monotonic() < deadline, figures
        time.sleep(0.5)
    assert main["by_severity"].get("sev3", 0) >= 1
    assert main["durations_seconds"]["time_to_resolve"]["count"] >= 1
    assert main["durations_seconds"]["time_to_resolve"]["median"] >= 0
    text = cli.ok("stats")
    assert "Declined reports:" in text and "to resolve: median" in text
    refused = cli.refused("stats", "--since", "last tuesday")
    assert refused == "'last tuesday' is not a date like 2026-12-01 or 2026-12-01T14:30."
