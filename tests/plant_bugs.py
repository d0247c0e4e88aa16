"""Plant bugs in the incident code one at a time and count how many the test suite catches.

Each :class:`Mutant` is a realistic mistake a developer could make and a user would notice: a
process rule wrong, a reminder late or missing, a message posted twice or in the open. The
project is copied once into a scratch directory (git-tracked files plus untracked ones not
ignored); each mutant is applied there alone, the tests run with this venv's Python, and the
file is restored before the next one::

    .venv/bin/python -m tests.plant_bugs --list               # the mutants, one line each
    .venv/bin/python -m tests.plant_bugs --check              # every mutant still applies
    .venv/bin/python -m tests.plant_bugs                      # all of them, the fast tests
    .venv/bin/python -m tests.plant_bugs --all --json build/plant_bugs.json
    .venv/bin/python -m tests.plant_bugs --only resolution_order_swapped --only ...
    .venv/bin/python -m tests.plant_bugs --tests-from fe6e828 # the suite as it was, same bugs

First the suite runs once without a mutant and must pass (``--no-baseline`` skips that), or every
mutant would look caught. A mutant is caught when pytest (``-x``) fails a test that passes
without the mutant (checked by running that test alone on the restored code; if it fails there
too the test is flaky and the mutant is run once more); pytest's collection or internal errors
mean the mutant itself is broken, and are not counted; a run past ``--timeout`` counts as
caught, and says so. It prints one line per mutant, then
``caught K of N planted bugs (P%)``: the figure the README's Tests section reports. A whole run
takes a while (the fast tests once per mutant, less when a test fails early): run it when the
machine is quiet.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from tests.support import clean_env

ROOT = Path(__file__).resolve().parent.parent
FAST_TESTS = "not e2e and not faults and not bench"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to the project root
    old: str  # occurs exactly once in the file
    new: str  # the bug
    why: str  # what a user would notice


# fmt: off
MUTANTS: list[Mutant] = [
    # --- Process rules and decisions ----------------------------------------------------------
    Mutant(
        "resolution_order_swapped", "workflows/process.py",
        '        self.notices.to_channel(NoticeKind.RESOLVED, text + ".", actor=actor)\n'
        '        self.notices.announce(NoticeKind.RESOLVED, say.resolved_announcement(s), actor=actor)\n',
        '        self.notices.announce(NoticeKind.RESOLVED, say.resolved_announcement(s), actor=actor)\n'
        '        self.notices.to_channel(NoticeKind.RESOLVED, text + ".", actor=actor)\n',
        "at resolution the platform channel hears before the incident channel (deliveries reordered)",
    ),
    Mutant(
        "handover_to_current_lead_accepted", "workflows/commands/people.py",
        "    if cmd.to == incident.state.lead:\n",
        "    if cmd.to == cmd.actor:\n",
        "a delivery manager can 'hand over' the lead to the person who already leads",
    ),
    Mutant(
        "supporter_may_resolve", "workflows/commands/resolution.py",
        '        rule(LEAD_OR_DM, {Status.ACTIVE}, "resolve an incident"),\n',
        '        rule(LEAD_OR_DM | {"supporter"}, {Status.ACTIVE}, "resolve an incident"),\n',
        "any supporter can ask to resolve an incident, not only the lead or a delivery manager",
    ),
    Mutant(
        "lead_may_approve", "workflows/commands/resolution.py",
        '        rule(DM, {Status.AWAITING_APPROVAL}, "approve a resolution"),\n',
        '        rule(LEAD_OR_DM, {Status.AWAITING_APPROVAL}, "approve a resolution"),\n',
        "the lead approves their own request to resolve, bypassing the delivery managers",
    ),
    Mutant(
        "retro_before_resolution", "workflows/commands/resolution.py",
        '        rule(LEAD_OR_DM, {Status.RESOLVED}, "record the retro"),\n',
        '        rule(LEAD_OR_DM, {Status.ACTIVE, Status.AWAITING_APPROVAL, Status.RESOLVED}, "record the retro"),\n',
        "the retro can close an incident nobody resolved (still active, or awaiting approval)",
    ),
    Mutant(
        "signal_request_id_ignored", "workflows/signals.py",
        '    request_id = body.get("request_id")\n',
        '    request_id = body.get("requestId")\n',
        "a redelivered signal with the same request_id is applied twice (two updates, two posts)",
    ),
    Mutant(
        "handover_drops_previous_lead", "workflows/commands/people.py",
        "    if previous and previous not in s.supporters:\n"
        "        s.supporters.append(previous)\n",
        "",
        "the lead who hands over is no longer a supporter, so cannot post updates or leave",
    ),
    Mutant(
        "only_engaged_dm_resolves_directly", "workflows/commands/resolution.py",
        "    if cmd.actor in incident.policy.delivery_managers:\n",
        "    if cmd.actor == s.delivery_manager:\n",
        "a delivery manager other than the engaged one who resolves is asked to approve themselves",
    ),
    Mutant(
        "page_left_open_at_resolution", "workflows/process.py",
        "        if s.statuspage_status not in (None, StatusPageStatus.RESOLVED) and not s.security:\n",
        "        if s.statuspage_status is StatusPageStatus.INVESTIGATING and not s.security:\n",
        "a page incident 'identified' or 'monitoring' stays open on the status page after resolution",
    ),
    Mutant(
        "security_resolution_leaks_title", "workflows/notices.py",
        "        if self._state.security:\n"
        "            text = sealed_announcement(resolved=kind is NoticeKind.RESOLVED)\n",
        "        if self._state.security and kind is NoticeKind.DECLARED:\n"
        "            text = sealed_announcement(resolved=False)\n",
        "the public resolution post of a security incident names its title and who resolved it",
    ),
    Mutant(
        "security_leaves_page_open", "workflows/commands/progress.py",
        "    incident.notices.resolve_public_page()\n"
        "    incident.tell_infosec(cmd.actor, now)\n",
        "    incident.tell_infosec(cmd.actor, now)\n",
        "an incident marked confidential keeps its public page incident open",
    ),
    Mutant(
        "join_button_on_security_incident", "messages/slack_blocks.py",
        "        and not notice.incident.security\n",
        "",
        "the platform channel offers everyone a Join button on a confidential incident",
    ),
    Mutant(
        "shared_channel_archived_at_close", "workflows/commands/resolution.py",
        "    archive = incident.policy.archive_on_close and s.channel_thread_ts is None\n",
        "    archive = incident.policy.archive_on_close\n",
        "in shared mode, closing one incident archives the shared response channel",
    ),
    # --- Timers, reminders, clock, continue-as-new, search attributes --------------------------
    Mutant(
        "escalation_one_reminder_late", "workflows/reminders.py",
        "        if s.reminders_unanswered % self._policy.escalate_after_reminders == 0:\n"
        "            s.escalations_sent += 1\n"
        "            esc = say.escalation(s, quiet)\n",
        "        if s.reminders_unanswered > self._policy.escalate_after_reminders:\n"
        "            s.escalations_sent += 1\n"
        "            esc = say.escalation(s, quiet)\n",
        "the DMs hear of a quiet incident after the third unanswered reminder, then at every one",
    ),
    Mutant(
        "first_reminder_on_dm_cadence", "workflows/reminders.py",
        "        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + s.reminder_interval)\n",
        "        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + self.policy.dm_reminder_interval)\n",
        "after each update the next reminder comes in 30 minutes whatever the severity",
    ),
    Mutant(
        "update_does_not_reset_reminder", "workflows/commands/progress.py",
        "    incident.notices.to_channel(NoticeKind.UPDATE, cmd.text, actor=cmd.actor)\n"
        "    if s.status is Status.ACTIVE:\n"
        "        incident.reminders.restart_stale_clock(now)\n",
        "    incident.notices.to_channel(NoticeKind.UPDATE, cmd.text, actor=cmd.actor)\n",
        "the lead is reminded to post progress right after posting it, and escalated",
    ),
    Mutant(
        "office_hours_ignored_after_first_reminder", "workflows/reminders.py",
        "        s.timers[Timer.STALE_PROGRESS] = self.in_hours(now + interval)\n",
        "        s.timers[Timer.STALE_PROGRESS] = now + interval\n",
        "sev2/sev3 reminders after the first one go off at night and at weekends",
    ),
    Mutant(
        "office_hours_read_in_utc", "workflows/clock.py",
        "    return moment.astimezone(ZoneInfo(hours.timezone))\n",
        "    return moment\n",
        "office hours are read in UTC: in summer London reminders come an hour off",
    ),
    Mutant(
        "working_days_count_weekends", "workflows/clock.py",
        "        if is_working_day(local.date(), hours):\n"
        "            added += 1\n",
        "        added += 1\n",
        "a retro due in 5 working days falls due over the weekend",
    ),
    Mutant(
        "bank_holidays_are_office_days", "workflows/clock.py",
        "    return day.weekday() in hours.weekdays and day not in hours.holidays\n",
        "    return day.weekday() in hours.weekdays\n",
        "a sev2 declared on Christmas Eve reminds on Christmas Day",
    ),
    Mutant(
        "ask_nudged_every_time", "workflows/reminders.py",
        "                s.asked_nudged.append(person)\n",
        "                pass\n",
        "someone asked to help is nudged again and again, not once",
    ),
    Mutant(
        "lead_resolves_without_criteria", "workflows/commands/resolution.py",
        "    if cmd.criteria_met and s.resolution_criteria:\n",
        "    if cmd.criteria_met:\n",
        "the lead resolves at once though no delivery manager set criteria",
    ),
    Mutant(
        "sev1_retro_in_working_days", "workflows/vocabulary/policy.py",
        "        Severity.SEV1: RetroDue(days=3),\n",
        "        Severity.SEV1: RetroDue(days=3, working_days=True),\n",
        "a sev1 resolved on a Thursday has its retro due on Tuesday, not 3 days later on Sunday",
    ),
    Mutant(
        "dm_nudged_once", "workflows/reminders.py",
        '        self._notices.direct(kind, self._policy.delivery_managers, say.dm_reminder(text))\n'
        "        self.set_dm_timer(timer, now)\n",
        '        self._notices.direct(kind, self._policy.delivery_managers, say.dm_reminder(text))\n',
        "delivery managers are nudged once about a report or approval, then never again",
    ),
    Mutant(
        "snooze_ignores_office_hours", "workflows/commands/progress.py",
        "    due = incident.reminders.in_hours(now + cmd.duration)\n",
        "    due = now + cmd.duration\n",
        "a sev2 snoozed in the evening reminds in the night",
    ),
    Mutant(
        "severity_change_restarts_interval", "workflows/commands/progress.py",
        "        due = max(now, s.stale_since + s.reminder_interval)\n",
        "        due = now + s.reminder_interval\n",
        "raising to sev1 an incident quiet for hours waits another 30 minutes to remind",
    ),
    Mutant(
        "rejection_restarts_no_reminders", "workflows/commands/resolution.py",
        '        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[s.lead or ""]\n'
        "    )\n"
        "    incident.reminders.restart_stale_clock(now)\n",
        '        NoticeKind.TRANSITION, text + ".", actor=cmd.actor, mentions=[s.lead or ""]\n'
        "    )\n",
        "an incident whose resolution was rejected is active again but never reminds",
    ),
    Mutant(
        "carried_timeline_truncated", "workflows/process.py",
        "        return CarriedState.packing(\n"
        "            self.timeline,\n",
        "        return CarriedState.packing(\n"
        "            self.timeline[-100:],\n",
        "a long incident's timeline (and retro draft) loses its start at continue-as-new",
    ),
    Mutant(
        "carried_request_ids_dropped", "workflows/process.py",
        "            request_ids=self.request_ids,\n",
        "",
        "a signal redelivered across continue-as-new is applied twice",
    ),
    Mutant(
        "carried_outbox_dropped", "workflows/process.py",
        "            outbox=self.outbox.effects,\n",
        "            outbox=[],\n",
        "messages decided but not yet delivered are lost at continue-as-new",
    ),
    Mutant(
        "lead_search_attribute_never_set", "workflows/search_attributes.py",
        "    INCIDENT_LEAD,\n",
        "",
        "the Web UI's incident list shows no lead and cannot be filtered by lead",
    ),
    # --- Activities: Slack, Statuspage, delivery -----------------------------------------------
    Mutant(
        "statuspage_crash_after_create", "activities/statuspage.py",
        '            return StatusPageRef(page_incident_id=str(created["id"]))\n',
        '            raise RuntimeError("crash after create")\n'
        '            return StatusPageRef(page_incident_id=str(created["id"]))\n',
        "every page-incident create fails after Statuspage applied it, so Temporal retries it",
    ),
    Mutant(
        "statuspage_retry_creates_again", "activities/statuspage.py",
        "            existing = await self._find_created(update) if retry else None\n",
        "            existing = None\n",
        "a retried create opens a second public page incident",
    ),
    Mutant(
        "statuspage_retry_updates_again", "activities/statuspage.py",
        '        if retry and _carries_key(await self._request("GET", path), update.key):\n'
        "            return StatusPageRef(page_incident_id=update.page_incident_id)\n",
        "",
        "a retried page update is posted to the public page twice",
    ),
    Mutant(
        "statuspage_retry_after_ignored", "activities/statuspage.py",
        "            next_retry_delay=timedelta(seconds=delay),\n",
        "            next_retry_delay=timedelta(seconds=1),\n",
        "a rate-limited status page post is retried before Retry-After, and limited again",
    ),
    Mutant(
        "statuspage_client_error_retried", "activities/statuspage.py",
        '    return ApplicationError(f"{what}: {detail}", type=f"StatusPageHTTP{status}", non_retryable=True)\n',
        '    return ApplicationError(f"{what}: {detail}", type=f"StatusPageHTTP{status}")\n',
        "a 4xx from Statuspage (bad key, 422) is retried forever and blocks every later message",
    ),
    Mutant(
        "slack_second_attempt_posts_again", "activities/slack_posting.py",
        "        look = look_first or _attempt() > 1\n",
        "        look = look_first or _attempt() > 2\n",
        "a post retried once after Slack applied it appears twice in the channel",
    ),
    Mutant(
        "slack_retry_after_ignored", "activities/slack_api.py",
        "            next_retry_delay=timedelta(seconds=retry_after),\n",
        "",
        "a rate-limited Slack call is retried before Retry-After, and limited again",
    ),
    Mutant(
        "slack_permanent_error_retried", "activities/slack_api.py",
        '        return ApplicationError(f"Slack refused {method}: {code}.", type=code, non_retryable=True)\n',
        '        return ApplicationError(f"Slack refused {method}: {code}.", type=code)\n',
        "a permanent Slack error (channel_not_found, invalid_auth) is retried forever",
    ),
    Mutant(
        "slack_reinvite_fails", "activities/slack_directory.py",
        '                tolerate=frozenset({"already_in_channel", "cant_invite_self"}),\n',
        '                tolerate=frozenset({"cant_invite_self"}),\n',
        "inviting someone already in the channel (a supporter made lead) fails and is retried",
    ),
    Mutant(
        "slack_repin_fails", "activities/slack.py",
        '                tolerate=frozenset({"already_pinned"}),\n',
        "",
        "a retried summary post fails on 'already_pinned' and blocks every later message",
    ),
    Mutant(
        "slack_pace_from_now", "activities/slack_posting.py",
        "            self._next_slot[channel_id] = turn + interval\n",
        "            self._next_slot[channel_id] = now + interval\n",
        "a burst of posts to one channel exceeds one a second and Slack rate-limits it",
    ),
    Mutant(
        "slack_join_settles_announcement", "messages/slack_blocks.py",
        "        return [_button(ActionId.JOIN, incident_id)], False\n",
        "        return [_button(ActionId.JOIN, incident_id)], True\n",
        "the first person to join from the announcement removes everyone else's Join button",
    ),
    Mutant(
        "slack_turn_not_kept", "activities/slack_posting.py",
        "                self._keep_turn(holder, slot, now)\n",
        "                pass\n",
        "posts queued into one channel all retry at once, attempts growing with the queue's square",
    ),
    Mutant(
        "replay_without_sandbox", "tests/test_replay.py",
        "        workflow_runner=SandboxedWorkflowRunner(),  # the run-time guard the worker goes without\n",
        "        workflow_runner=__import__('temporalio.worker').worker.UnsandboxedWorkflowRunner(),\n",
        "the worker has no sandbox and the replays drop theirs: a clock read in workflow code ships",
    ),
    Mutant(
        "delivery_keys_repeat", "workflows/outbox.py",
        '        return f"{self._state.id}/{self.issued}"\n',
        '        return f"{self._state.id}/{len(self.effects) + 1}"\n',
        "deliveries share keys, so a retry finds another message's key and skips its own post",
    ),
    Mutant(
        "slack_security_channel_public", "activities/slack_directory.py",
        "                response = await self._client.conversations_create(\n"
        "                    name=name, is_private=request.private\n"
        "                )\n",
        "                response = await self._client.conversations_create(name=name)\n",
        "a security incident's channel is created public",
    ),
    Mutant(
        "channel_summary_ref_dropped", "activities/slack.py",
        '        return opened.model_copy(update={"summary": await self.deliver(summary)})\n',
        "        await self.deliver(summary)\n"
        "        return opened\n",
        "the channel posts its summary but does not say where: the workflow posts a second one",
    ),
    Mutant(
        "announcement_before_channel", "workflows/outbox.py",
        "                if not (opening and effect.links_the_channel()):\n",
        "                if True:\n",
        "the announcement goes while the channel is being opened, then costs an edit to link it",
    ),
    Mutant(
        "slack_shared_thread_lost", "activities/slack.py",
        "            root = await self._post_intro(channel_id, request)\n"
        "            opened = ChannelRef(channel_id=channel_id, name=hashed(request.name), thread_ts=root)\n",
        "            await self._post_intro(channel_id, request)\n"
        "            opened = ChannelRef(channel_id=channel_id, name=hashed(request.name))\n",
        "in shared mode an incident's messages land at the top of the shared channel, not in its thread",
    ),
    Mutant(
        "lanes_share_one_queue", "workflows/outbox.py",
        "            if lane not in busy:\n",
        "            if not busy:\n",
        "every destination waits its turn in one queue: a status page outage holds back every Slack message",
    ),
    Mutant(
        "lane_order_not_kept", "workflows/outbox.py",
        "                busy.add(lane)  # held even by one that waits: order within a lane is kept\n",
        "                pass\n",
        "a channel's messages all go out at once, so a later one can land before an earlier one",
    ),
    Mutant(
        "superseded_retry_not_cancelled", "workflows/incident.py",
        "                self._lanes[key].cancel()  # superseded while retrying: its lane moves on\n",
        "                pass\n",
        "a stale reminder retrying through a Slack outage still goes out when Slack returns, and holds its lane",
    ),
    Mutant(
        "timers_wait_for_deliveries", "workflows/incident.py",
        "                raise self._lane_failure  # fails the workflow task: visible, retried, not lost\n"
        "            if self._incident.reminders.fire_due_timers(workflow.now()):\n",
        "                raise self._lane_failure  # fails the workflow task: visible, retried, not lost\n"
        "            if not self._lanes and self._incident.reminders.fire_due_timers(workflow.now()):\n",
        "a reminder due while a delivery is in flight or retrying (an outage) is not recorded until it ends",
    ),
    Mutant(
        "pager_security_page_names_its_title", "messages/pager.py",
        "    if s.security:\n        return sealed_summary(s.id, s.severity, reported=reported)\n",
        "",
        "a security incident's page tells PagerDuty, a third party, what it is about",
    ),
    Mutant(
        "pager_acknowledge_never_sent", "workflows/destinations/pager.py",
        "    if kind in _ANSWERS and may_be_open and not before.acknowledged:\n",
        "    if kind in _ANSWERS and may_be_open and before.acknowledged:\n",
        "the on-call engineer keeps being paged after a delivery manager has acknowledged",
    ),
    Mutant(
        "pager_resolve_drops_nothing", "workflows/destinations/pager.py",
        "    if kind in _ENDS:\n        return [PagerEvent.RESOLVE] if may_be_open else []\n",
        "    if kind in _ENDS:\n        return []\n",
        "the PagerDuty alert stays open after the incident is resolved",
    ),
    Mutant(
        "deliveries_never_heartbeat", "workflows/incident.py",
        "            heartbeat_timeout=self._incident.policy.delivery_heartbeat_timeout,\n",
        "",
        "a worker dying mid-delivery holds its lane for the whole 30 s timeout",
    ),
]
# fmt: on


class Outcome(StrEnum):
    CAUGHT = "caught"
    SURVIVED = "survived"
    TIMED_OUT = "timed out"  # counted as caught
    FLAKY = "flaky"  # twice "caught" by a test that also fails without the mutant: not counted
    BROKEN = "broken"  # pytest could not collect or run: the mutant itself is faulty
    NO_TESTS = "no tests"


_OUTCOME_OF_EXIT = {0: Outcome.SURVIVED, 1: Outcome.CAUGHT, 5: Outcome.NO_TESTS}
_FIRST_FAILURE = re.compile(r"^(?:FAILED|ERROR) (\S.*?)(?: - .*)?$", re.MULTILINE)


@dataclass
class Result:
    name: str
    outcome: Outcome
    seconds: float
    first_failure: str | None
    exit_code: int | None
    output_tail: str | None = None  # the run's last lines, when broken or timed out


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so the scratch copy and pytest are cleaned up
    if args.list:
        for mutant in MUTANTS:
            print(f"{mutant.name:<42} {mutant.path:<31} {mutant.why}")
        return 0
    chosen = _chosen(args.only)
    _check_applies(MUTANTS)
    if args.check:
        print(f"all {len(MUTANTS)} mutants apply once each and still parse")
        return 0
    select = None if args.all else args.select
    with tempfile.TemporaryDirectory(prefix="plant-bugs-") as scratch_dir:
        scratch = Path(scratch_dir)
        _copy_project(scratch)
        if args.tests_from:
            _replace_tests(scratch, args.tests_from)
        env = _test_env(scratch)
        if not args.no_baseline:
            _check_baseline(scratch, env, select, args.timeout)
        results = [_run_mutant(m, scratch, env, select, args.timeout) for m in chosen]
    summary = _summary(results)
    print(summary)
    if args.json:
        _write_json(args.json, results, summary, select=select, tests_from=args.tests_from)
    return 1 if any(r.outcome in (Outcome.BROKEN, Outcome.NO_TESTS) for r in results) else 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.plant_bugs",
        description="Plant each bug alone in a scratch copy and report whether the tests catch it.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--select", default=FAST_TESTS, help="pytest -m expression (default: %(default)s)"
    )
    which.add_argument("--all", action="store_true", help="run every test, e2e and faults included")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run this mutant (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--check", action="store_true", help="check every mutant applies, and stop")
    parser.add_argument(
        "--tests-from", metavar="REV", help="use tests/ as it was at git revision REV"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the results here")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds per mutant (default 600)"
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the first run, without a mutant, that checks the suite passes",
    )
    return parser


def _chosen(only: list[str] | None) -> list[Mutant]:
    if not only:
        return MUTANTS
    by_name = {m.name: m for m in MUTANTS}
    unknown = [name for name in only if name not in by_name]
    if unknown:
        sys.exit(f"No mutant is called {', '.join(unknown)}; --list shows them.")
    return [by_name[name] for name in dict.fromkeys(only)]


def _check_applies(mutants: list[Mutant]) -> None:
    """Each mutant's ``old`` occurs exactly once in its file today, and the bug still parses."""
    names = [m.name for m in mutants]
    if len(set(names)) != len(names):
        sys.exit("Two mutants share a name; each needs its own.")
    for mutant in mutants:
        text = (ROOT / mutant.path).read_text()
        count = text.count(mutant.old)
        if count != 1:
            sys.exit(
                f"Mutant {mutant.name}: its old snippet occurs {count} times in {mutant.path}, not once."
            )
        if mutant.old == mutant.new:
            sys.exit(f"Mutant {mutant.name} changes nothing.")
        try:
            ast.parse(text.replace(mutant.old, mutant.new), filename=mutant.path)
        except SyntaxError as error:
            sys.exit(f"Mutant {mutant.name} does not parse: {error}.")


def _copy_project(scratch: Path) -> None:
    """Git-tracked files and untracked ones not ignored, as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _replace_tests(scratch: Path, revision: str) -> None:
    shutil.rmtree(scratch / "tests")
    archive = subprocess.run(["git", "archive", revision, "tests"], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"git archive {revision} tests failed: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive.stdout, check=True)


def _test_env(scratch: Path) -> dict[str, str]:
    """No settings or proxies (as tests/support.py's clean_env), the scratch copy's code first
    (the venv's editable install points at the real tree), and no bytecode left behind."""
    env = clean_env(PYTHONPATH=str(scratch), PYTHONDONTWRITEBYTECODE="1")
    factor = os.environ.get("INCIDENT_TEST_TIME_FACTOR")
    if factor:  # the tests' own wall-clock scale, not a product setting
        env["INCIDENT_TEST_TIME_FACTOR"] = factor
    return env


def _check_baseline(scratch: Path, env: dict[str, str], select: str | None, timeout: float) -> None:
    """The suite must pass without a mutant, or every mutant would look caught."""
    base = _run_pytest(scratch, env, select, timeout, "(no mutant)")
    verdict = {Outcome.SURVIVED: "passes", Outcome.CAUGHT: "fails"}.get(base.outcome, base.outcome)
    failure = base.first_failure or ""
    print(f"{'(no mutant)':<42} {verdict:<9} {base.seconds:6.0f}s  {failure}".rstrip(), flush=True)
    if base.outcome is not Outcome.SURVIVED:
        sys.exit(
            f"The suite does not pass without a mutant ({verdict}: "
            f"{base.first_failure or base.exit_code}), so every mutant would look caught."
        )


def _run_mutant(
    mutant: Mutant, scratch: Path, env: dict[str, str], select: str | None, timeout: float
) -> Result:
    """Run the suite with the mutant; a catch counts only if the failing test passes without it
    (a flaky test would otherwise look like a catch): if not, the mutant is run once more."""
    path = scratch / mutant.path
    original = path.read_text()
    for _ in range(2):
        _write(path, original.replace(mutant.old, mutant.new))
        try:
            result = _run_pytest(scratch, env, select, timeout, mutant.name)
        finally:
            _write(path, original)
        if result.outcome is not Outcome.CAUGHT or result.first_failure is None:
            break
        if _passes_alone(scratch, env, result.first_failure, timeout):
            break
        result.outcome = Outcome.FLAKY
    print(_line(result), flush=True)
    return result


def _passes_alone(scratch: Path, env: dict[str, str], test: str, timeout: float) -> bool:
    """Whether ``test`` passes on the unmutated code."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    try:
        done = subprocess.run(
            command, cwd=scratch, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _write(path: Path, text: str) -> None:
    """Write, moving the mtime on by at least a second: caches (mypy, ruff) key on mtime and size,
    and a swapped pair of lines keeps the size."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    stamp = max(time.time_ns(), before + 1_000_000_000)
    os.utime(path, ns=(stamp, stamp))


def _run_pytest(
    scratch: Path, env: dict[str, str], select: str | None, timeout: float, name: str
) -> Result:
    shutil.rmtree(scratch / ".hypothesis", ignore_errors=True)  # no examples from another mutant
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider"]
    if select is not None:
        command += ["-m", select]
    # Every mutant passes ruff and mypy (checked when the list was written), so the lint tests
    # cannot catch one; they would only add a minute to each run.
    command += ["--ignore", "tests/test_code_quality.py"]
    started = time.monotonic()
    # A file, not a pipe: a server a test leaves behind must not hold the run open.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command, cwd=scratch, env=env, stdout=log, stderr=log, start_new_session=True
        )
        try:
            exit_code: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            exit_code = None
        except BaseException:  # interrupted: leave nothing of the run behind
            _stop(process)
            raise
        seconds = time.monotonic() - started
        log.seek(0)
        output = log.read()
    if exit_code is None:
        outcome = Outcome.TIMED_OUT
    else:
        outcome = _OUTCOME_OF_EXIT.get(exit_code, Outcome.BROKEN)
    match = _FIRST_FAILURE.search(output) if outcome is Outcome.CAUGHT else None
    first = match.group(1) if match else None
    shown = outcome in (Outcome.BROKEN, Outcome.TIMED_OUT)
    tail = "\n".join(output.splitlines()[-20:]) if shown else None
    return Result(name, outcome, seconds, first, exit_code, tail)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the pytest run and whatever it started in its process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


def _line(result: Result) -> str:
    failure = result.first_failure or ""
    if result.outcome is Outcome.BROKEN:
        failure = f"pytest exit {result.exit_code}:\n{result.output_tail}"
    elif result.outcome is Outcome.TIMED_OUT:
        failure = f"(counted as caught) last output:\n{result.output_tail}"
    return f"{result.name:<42} {result.outcome:<9} {result.seconds:6.0f}s  {failure}".rstrip()


def _summary(results: list[Result]) -> str:
    counted = [
        r for r in results if r.outcome not in (Outcome.BROKEN, Outcome.NO_TESTS, Outcome.FLAKY)
    ]
    caught = [r for r in counted if r.outcome in (Outcome.CAUGHT, Outcome.TIMED_OUT)]
    percent = 100 * len(caught) / len(counted) if counted else 0.0
    line = f"caught {len(caught)} of {len(counted)} planted bugs ({percent:.0f}%)"
    notes = []
    timed_out = sum(r.outcome is Outcome.TIMED_OUT for r in results)
    if timed_out:
        notes.append(f"{timed_out} of them by timing out")
    uncounted = len(results) - len(counted)
    if uncounted:
        notes.append(f"{uncounted} broken, flaky or without tests, not counted")
    return line + (f"; {'; '.join(notes)}" if notes else "")


def _write_json(
    path: Path, results: list[Result], summary: str, *, select: str | None, tests_from: str | None
) -> None:
    def git(*words: str) -> str:
        return subprocess.run(
            ["git", *words], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    report = {
        "revision": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain")),
        "tests_from": tests_from,
        "select": select,
        "summary": summary,
        "results": [asdict(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
