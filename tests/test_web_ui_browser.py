"""The Temporal Web UI as people see it: headless Chromium opens the open incidents' link.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped without them.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support import free_port
from tests.test_dev import DEV, DM, cli, env, running

pytestmark = pytest.mark.e2e
__all__ = ["env"]  # the fixture, imported for pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)


@needs_chromium
def test_the_open_incidents_link_lists_awaiting_approval_not_closed_with_incident_columns(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The link `incident dev` prints, opened as people open it: an incident awaiting approval is
    listed (it once vanished from the "active" list), a closed one is not; the status, severity
    and lead columns added as the README says show each incident's; its page has its title."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ui_port = free_port()
    run = uuid.uuid4().hex[:6]
    waiting, working, ended = (f"inc-ui-{run}-{name}" for name in ("waiting", "working", "ended"))
    title = "Catalogue search returns nothing"
    with running(env, tmp_path, ui_port) as stack:
        link = stack.wait_for_line("Open incidents:", 10).split(maxsplit=2)[2]
        for incident_id in (waiting, working, ended):
            declare = ("declare", title, "--lead", DEV, "--severity", "sev1", "--id", incident_id)
            done = cli(env, tmp_path, "--as", DEV, *declare)
            assert done.returncode == 0, done.stderr
        for command in (
            ("--as", DEV, "resolve", waiting, "--summary", "Reindexed"),  # the lead: asks a DM
            ("--as", DM, "resolve", ended, "--summary", "Reindexed"),
            ("--as", DM, "retro", ended, "--skip", "--reason", "A known fault"),
        ):
            done = cli(env, tmp_path, *command)
            assert done.returncode == 0, done.stderr
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1600,900",
            f"--user-data-dir={tmp_path / 'chromium'}",
        ):
            options.add_argument(flag)
        browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            text = _page_text(browser, link, waiting, working)
            assert ended not in text
            _add_incident_columns(browser)
            text = _page_text(browser, link, "IncidentSeverity")
            assert re.search(rf"{waiting} .*awaiting_approval sev1 {DEV}", text), text
            assert re.search(rf"{working} .*active sev1 {DEV}", text), text
            browser.save_screenshot(str(tmp_path / "open-incidents.png"))
            detail = f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/{waiting}"
            _page_text(browser, detail, title)
        finally:
            browser.quit()
        assert stack.interrupt() == 0


def _add_incident_columns(browser: Any) -> None:
    """What the README tells people to do once: the table's "Configure Columns" button, then
    the + beside IncidentStatus, IncidentSeverity and IncidentLead (kept by the browser)."""
    configure = "[data-testid=workflows-summary-table-configuration-button]"
    browser.find_element("css selector", configure).click()
    for name in ("IncidentStatus", "IncidentSeverity", "IncidentLead"):
        add = f"button[aria-label='Add {name} column']"
        deadline = time.monotonic() + 10
        while not browser.find_elements("css selector", add):
            assert time.monotonic() < deadline, f"no {add} in the Configure Columns drawer"
            time.sleep(0.3)
        browser.find_element("css selector", add).click()


def _page_text(browser: Any, url: str, *wanted: str) -> str:
    """The page's visible text once it shows everything ``wanted``.

    The UI fetches after it loads and shows an error page if that fetch fails (a transient 5xx),
    so the page is reloaded every few seconds rather than watched forever.
    """
    deadline = time.monotonic() + 60
    while True:
        browser.get(url)
        reload_at = time.monotonic() + 8
        while time.monotonic() < reload_at:
            text: str = browser.find_element("tag name", "body").text
            if all(words in text for words in wanted):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} never showed {wanted!r}:\n{text[:1500]}")
            time.sleep(1)
