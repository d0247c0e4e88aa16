"""The Temporal Web UI as people see it: headless Chromium lists the active incident.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped without them.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import free_port
from tests.test_dev import DEV, cli, env, running

pytestmark = pytest.mark.e2e
__all__ = ["env"]  # the fixture, imported for pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian's chromium and chromium-driver are not installed (.ci/run installs them)",
)


@needs_chromium
def test_the_web_ui_lists_the_active_incident_with_its_summary(
    env: dict[str, str], tmp_path: Path
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ui_port = free_port()
    incident_id = f"inc-ui-{uuid.uuid4().hex[:8]}"
    title = "Catalogue search returns nothing"
    with running(env, tmp_path, ui_port) as stack:
        done = cli(env, tmp_path, "--as", DEV, "declare", title, "--lead", DEV, "--id", incident_id)
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
            f"--user-data-dir={tmp_path / 'chromium'}",
        ):
            options.add_argument(flag)
        browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            query = quote('IncidentStatus="active"')
            listing = f"http://127.0.0.1:{ui_port}/namespaces/default/workflows?query={query}"
            text = _page_text(browser, listing, incident_id)
            assert "IncidentWorkflow" in text and "RUNNING" in text
            detail = f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/{incident_id}"
            _page_text(browser, detail, title)
            browser.save_screenshot(str(tmp_path / "web-ui.png"))
        finally:
            browser.quit()
        assert stack.interrupt() == 0


def _page_text(browser: Any, url: str, wanted: str) -> str:
    """The page's visible text once it shows ``wanted``.

    The UI fetches after it loads and shows an error page if that fetch fails (a transient 5xx),
    so the page is reloaded every few seconds rather than watched forever.
    """
    deadline = time.monotonic() + 60
    while True:
        browser.get(url)
        reload_at = time.monotonic() + 8
        while time.monotonic() < reload_at:
            text: str = browser.find_element("tag name", "body").text
            if wanted in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} never showed {wanted!r}:\n{text[:1500]}")
            time.sleep(1)
