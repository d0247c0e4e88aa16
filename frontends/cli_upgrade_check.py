"""`incident upgrade-check`: before a deploy, replay the live incidents against the code installed
here. Registered with the commands that run the service (``frontends/cli_operations.py``); the
check is ``operations/upgrade_check.py``, its words ``messages/upgrade_check.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from operations.upgrade_check import UpgradeReport
    from temporal_client.client import IncidentClient
    from temporal_client.settings import Settings

# A closed incident is still replayed whenever someone reads it (`show`, `timeline`, `stats`);
# a week covers the retros' reading.
SINCE_DAYS = 7

Since = Annotated[
    int,
    typer.Option(
        "--since",
        metavar="DAYS",
        min=0,
        help="Also replay the incidents closed in the last DAYS days (0: only the open ones).",
    ),
]


def upgrade_check(ctx: typer.Context, since: Since = SINCE_DAYS) -> None:
    """Replay every open incident and alarm against the code installed here: would it break any?

    Run it with the new build and the production settings (the CLI's: TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TLS or API key, INCIDENT_CODEC_KEYS) before
    deploying that build. It lists the running IncidentWorkflows and AlarmWorkflows of the task
    queue, and those closed in the last --since days, replays each history as the worker would,
    and prints one line per workflow (ok, or the first mismatch in a sentence), the patch ids the
    open ones still carry, and a summary. Exits 1 when any would break (saying so on stderr), 0 when every one replays.
    --json prints the same facts."""
    from datetime import timedelta

    from frontends.cli import output, run
    from messages.upgrade_check import report_json, report_text, verdict
    from operations.upgrade_check import check_upgrade
    from temporal_client.client import CommandError

    async def work(client: IncidentClient, settings: Settings) -> UpgradeReport:
        return await check_upgrade(client, since=timedelta(days=since))

    report = run(ctx, work)
    output(ctx, report_json(report), report_text(report))
    if not report.passed:
        raise CommandError(verdict(report))  # exit 1, the verdict on stderr
