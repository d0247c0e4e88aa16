"""What `incident upgrade-check` prints: one line per replayed workflow, the patch ids the open
ones carry, and a summary; each mismatch in one sentence (``--json`` carries the same facts).

Pure: the check itself is ``operations/upgrade_check.py``. Temporal's own words for a mismatch
end in the Rust core's debug output (``Failure { failure: Some(Failure { message: "[TMPRL1100]
Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 21,
ActivityTaskScheduled)", … }``); :func:`replay_failure_sentence` keeps what a person needs: which
event of the history, and what this code does there instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from operations.upgrade_check import Delivery, Replayed, UpgradeReport

OK = "ok"
WOULD_BREAK = "would break"
NOT_CHECKED = "not checked"

# What the history holds at an event, by its type as the core names it.
_EVENTS = {
    "ActivityTaskScheduled": "an activity scheduled",
    "ActivityTaskCancelRequested": "an activity's cancellation",
    "TimerStarted": "a timer started",
    "TimerCanceled": "a timer cancelled",
    "MarkerRecorded": "a marker (a patch or a local activity)",
    "UpsertWorkflowSearchAttributes": "a search-attribute upsert",
    "WorkflowPropertiesModified": "a change of the workflow's properties",
    "WorkflowExecutionCompleted": "the workflow completing",
    "WorkflowExecutionContinuedAsNew": "a continue-as-new",
    "WorkflowExecutionFailed": "the workflow failing",
    "WorkflowExecutionUpdateAccepted": "an update accepted",
    "WorkflowExecutionUpdateCompleted": "an update completed",
    "StartChildWorkflowExecutionInitiated": "a child workflow started",
    "SignalExternalWorkflowExecutionInitiated": "a signal to another workflow",
    "RequestCancelExternalWorkflowExecutionInitiated": "a cancellation of another workflow",
}
# What this code does instead, by the core's name for the state machine that met the event.
_MACHINES = {
    "Timer": "starts a timer",
    "Activity": "schedules an activity",
    "Local activity": "runs a local activity",
    "Child workflow": "starts a child workflow",
    "Complete workflow": "completes the workflow",
    "Fail workflow": "fails the workflow",
    "Cancel workflow": "cancels the workflow",
    "Continue as new workflow": "continues as new",
    "Signal external WF": "signals another workflow",
    "Cancel external WF": "cancels another workflow",
    "Update": "answers an update",
    "Nexus operation": "starts a Nexus operation",
    "UpsertWorkflowSearchAttributesMachine": "upserts search attributes",
    "ModifyWorkflowPropertiesMachine": "changes the workflow's properties",
}
_EVENT = r"HistoryEvent\(id: (?P<id>\d+), (?P<type>\w+)\)"
_MACHINE_MET = re.compile(
    rf"^(?P<machine>[\w ]+?) (?:machine )?does not handle this event: {_EVENT}"
)
_NO_COMMAND = re.compile(rf"^No command scheduled for event {_EVENT}")
_PATCH_GONE = re.compile(r"^Non-deprecated patch marker encountered for change (?P<patch>\S+),")
_ACTIVITY_DIFFERS = re.compile(
    r"^Activity (?P<what>type|id) of scheduled event '(?P<was>[^']*)' does not match activity "
    r"(?:type|id) of (?:local )?activity command '(?P<now>[^']*)'"
)
_CORE_MESSAGE = re.compile(r'message: "(?P<message>(?:[^"\\]|\\.)*)"')
_PREFIXES = re.compile(r"^(?:\[TMPRL\d+\]\s*)?(?:Nondeterminism error:\s*)?", re.IGNORECASE)


def core_message(failure: str) -> str:
    """The core's own message inside a replay failure's text, without its code and prefix."""
    found = _CORE_MESSAGE.search(failure)
    text = found["message"].replace('\\"', '"').replace("\\n", "\n") if found else failure
    first = next((line for line in text.splitlines() if line.strip()), "")
    return _PREFIXES.sub("", " ".join(first.split())).strip()


def replay_failure_event(failure: str) -> str | None:
    """The id of the history event a replay failure names, if it names one."""
    found = re.search(_EVENT, core_message(failure))
    return found["id"] if found else None


def replay_failure_patch(failure: str) -> str | None:
    """The patch id a replay failure names (a marker this code no longer asks for), if any."""
    found = _PATCH_GONE.match(core_message(failure))
    return found["patch"] if found else None


def _event(type_name: str) -> str:
    if type_name in _EVENTS:
        return _EVENTS[type_name]
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).lower()
    return f"a {words} event"


def replay_failure_sentence(failure: str) -> str:
    """Temporal's replay failure as one sentence: the event, and what this code does instead."""
    message = core_message(failure)
    if found := _MACHINE_MET.match(message):
        machine = found["machine"].strip()
        instead = _MACHINES.get(machine, f"does something else ({machine})")
        return (
            f"Event {found['id']} of its history is {_event(found['type'])}, where this code "
            f"{instead}."
        )
    if found := _NO_COMMAND.match(message):
        return (
            f"Event {found['id']} of its history is {_event(found['type'])}, which this code "
            "never asks for."
        )
    if found := _PATCH_GONE.match(message):
        return (
            f"Its history carries patch {found['patch']}, which this code no longer asks for "
            "(keep it as workflow.deprecate_patch until no open incident carries it)."
        )
    if found := _ACTIVITY_DIFFERS.match(message):
        return (
            f"Its history scheduled the activity {found['what']} {found['was']} where this code "
            f"schedules {found['now']}."
        )
    return f"This code fails replaying it: {(message or 'no reason given')[:200].rstrip('.')}."


def _delivery(delivery: Delivery) -> str:
    """``the transition post in the incident channel``, ``the ack request message to U0DM``…"""
    facts = delivery.facts
    if facts.get("kind_of_effect") != "notice":
        return f"{delivery.activity} ({facts.get('kind_of_effect') or 'no effect'})"
    kind = str(facts.get("kind") or "unnamed").replace("_", " ")
    if facts.get("audience") == "direct":
        return f"the {kind} message to {', '.join(facts.get('recipients') or ['nobody'])}"
    audience = str(facts.get("audience") or "no channel").replace("_", " ")
    return f"the {kind} post in the {audience}"


def delivery_sentence(event_id: int, recorded: Delivery, replayed: Delivery) -> str:
    """An activity that Temporal's own check lets through (same type) but carries other work."""
    key = recorded.facts.get("key")
    keyed = f" (key {key})" if key else ""
    return (
        f"Event {event_id} of its history scheduled {_delivery(recorded)}{keyed}, where this code "
        f"delivers {_delivery(replayed)}."
    )


def fewer_deliveries_sentence(replayed: int, recorded: int) -> str:
    return f"This code schedules {replayed} deliveries where its history has {recorded}."


def unreadable_sentence(reason: str) -> str:
    return f"Its history could not be read: {reason.rstrip('.')}."


# --- The report ------------------------------------------------------------------------------


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def result_word(item: Replayed) -> str:
    if item.mismatch is None:
        return OK
    return f"{WOULD_BREAK if item.checked else NOT_CHECKED}: {item.mismatch}"


def _unchecked(report: UpgradeReport) -> str:
    unchecked = len(report.unchecked)
    return f", {unchecked} could not be checked" if unchecked else ""


def summary_line(report: UpgradeReport) -> str:
    """``412 replayed: 410 ok, 2 would break.``"""
    if not report.replayed:
        closed = f" or closed in the last {_plural(report.since_days, 'day')}"
        return (
            f"Nothing to replay: no incident or alarm is running on task queue "
            f"{report.task_queue}{closed if report.since_days else ''}."
        )
    breaking, replayed = len(report.breaking), len(report.replayed)
    ok = replayed - breaking - len(report.unchecked)
    return f"{replayed} replayed: {ok} ok, {breaking} {WOULD_BREAK}{_unchecked(report)}."


def verdict(report: UpgradeReport) -> str:
    """The one sentence on stderr when the check fails (the report is on stdout)."""
    breaking, unchecked, replayed = (
        len(report.breaking),
        len(report.unchecked),
        len(report.replayed),
    )
    if not breaking:
        return f"Do not deploy this build: {unchecked} of the {replayed} workflows could not be checked."
    also = f", and {unchecked} could not be checked" if unchecked else ""
    return f"Do not deploy this build: {breaking} of the {replayed} workflows replayed would break{also}."


def patch_lines(carried: Mapping[str, Sequence[str]]) -> list[str]:
    """Which patch ids the open workflows' histories carry, and how many carry each."""
    if not carried:
        return ["No open incident carries a patch marker."]
    lines = ["Patch markers the open incidents carry (a patch no open one carries can go):"]
    for patch, kinds in sorted(carried.items()):
        incidents = sum(kind == "incident" for kind in kinds)
        alarms = len(kinds) - incidents
        whom = [_plural(incidents, "open incident")] if incidents else []
        whom += [_plural(alarms, "open alarm")] if alarms else []
        lines.append(f"  {patch}: {' and '.join(whom)}")
    return lines


def report_text(report: UpgradeReport) -> str:
    """A table (the ones that would break last, above the summary), the patches, the summary."""
    rows = [("WORKFLOW", "STATUS", "EVENTS", "REPLAY")]
    ordered = sorted(
        report.replayed, key=lambda item: (item.mismatch is not None, item.workflow_id)
    )
    rows += [(i.workflow_id, i.status, str(i.events), result_word(i)) for i in ordered]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2].rjust(widths[2])}  {row[3]}"
        for row in rows
    ]
    if not report.replayed:
        lines = []
    return "\n".join([*lines, *patch_lines(report.patches_carried()), summary_line(report)])


def report_json(report: UpgradeReport) -> dict[str, Any]:
    """`upgrade-check --json`: the same facts, and Temporal's own words for each failure."""
    return {
        "namespace": report.namespace,
        "task_queue": report.task_queue,
        "since_days": report.since_days,
        "replayed": len(report.replayed),
        "ok": len(report.replayed) - len(report.breaking) - len(report.unchecked),
        "would_break": len(report.breaking),
        "not_checked": len(report.unchecked),
        "passed": report.passed,
        "workflows": [
            {
                "workflow_id": item.workflow_id,
                "run_id": item.run_id,
                "workflow_type": item.workflow_type,
                "status": item.status,
                "open": item.running,
                "events": item.events,
                "ok": item.mismatch is None,
                "checked": item.checked,
                "mismatch": item.mismatch,
                "temporal_says": item.detail,
                "patches": list(item.patches),
            }
            for item in report.replayed
        ],
        "patches": {patch: len(kinds) for patch, kinds in sorted(report.patches_carried().items())},
        "summary": summary_line(report),
    }
