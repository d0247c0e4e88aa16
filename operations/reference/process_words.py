"""The words the message, permission and search attribute pages need and the code cannot say.

Every kind of message (``NoticeKind``) and every search attribute (``ALL_KEYS``) needs an entry
here, or ``python -m operations.reference`` refuses to write and tests/test_reference.py fails.
Notes on who may do what are optional; one for a command that does not exist fails the same way.
"""

from __future__ import annotations

from workflows.destinations.slack import NoticeKind
from workflows.model import Action

MESSAGES: dict[NoticeKind, str] = {
    NoticeKind.REPORTED: "A report waits for a decision: the delivery managers are asked to accept "
    "or decline it, and nudged until one answers (an alarm's report at any hour).",
    NoticeKind.DECLARED: "The announcement in the platform channel, posted once the incident's "
    "channel is open and edited in place as the incident changes (severity, lead, resolution "
    "requested, resolved, closed). A security incident's says only that a confidential incident "
    "is being handled.",
    NoticeKind.ACK_REQUEST: "Someone declared an incident themselves: the delivery managers are "
    "asked to acknowledge it, and nudged until one does.",
    NoticeKind.ACCEPTED: "A delivery manager accepted a report: the reporter and the new lead are "
    "told.",
    NoticeKind.DECLINED: "A delivery manager declined a report: the reporter is told why, and "
    "when it will be looked at again if a revisit date was given.",
    NoticeKind.REVISIT: "A declined report's revisit date has come: the delivery managers are "
    "asked again.",
    NoticeKind.TRANSITION: "Something changed: a handover, a join or leave, an answer to an ask, a "
    "new severity, a snooze, criteria, a status page post, a resolution request, approval or "
    "rejection, a reopening, a retro scheduled, an alarm firing again or clearing.",
    NoticeKind.UPDATE: "A progress update, as its author wrote it.",
    NoticeKind.REMINDER: "A nudge: the lead when no update was posted for the severity's interval, "
    "the delivery managers while something waits for them or the status page goes quiet, someone "
    "asked to help who has not answered.",
    NoticeKind.ESCALATION: "Reminders went unanswered: the delivery managers are told (for an "
    "alarm's report, the platform channel is told, naming them).",
    NoticeKind.RESOLUTION_REQUEST: "The lead asks to resolve: the delivery managers are asked to "
    "approve or reject, and nudged until one does.",
    NoticeKind.RESOLVED: "The incident is resolved: in its channel, in the platform channel and, "
    "when the lead resolved it on a delivery manager's criteria, to the delivery managers.",
    NoticeKind.RETRO_DUE: "The retro is due (or starts now, when it was scheduled): the lead and "
    "the delivery managers, and the people involved at a scheduled time.",
    NoticeKind.TIMELINE: "At resolution, the whole timeline: a short message and the timeline as "
    "a Markdown file.",
    NoticeKind.RETRO_DRAFT: "At resolution, the retro's first draft: a short message and the "
    "draft as a Markdown file in the retros' format.",
    NoticeKind.SUMMARY: "The pinned summary in the incident's channel (status, severity, lead, "
    "supporters, delivery manager, criteria, status page), edited in place when one of those "
    "changes; its topic follows.",
    NoticeKind.CLOSED: "The retro closed the incident (with its notes and actions, or why it was "
    "skipped); the channel is archived after it.",
    NoticeKind.SECURITY: "The incident became a security incident: the Head of Information "
    "Security is told, and the old public channel is told where work goes on.",
    NoticeKind.REFUSED: "A signal the rules refused (or could not read): its sender is told why.",
    NoticeKind.ASKED: "The lead or a delivery manager asks someone to help: they are told "
    "directly, with the note.",
}

# What `where` a notice goes (the method the workflow calls), in words.
AUDIENCES = {
    "to_channel": "incident channel",
    "announce": "platform channel",
    "direct": "direct message",
    "Audience.INCIDENT_CHANNEL": "incident channel",
    "Audience.PLATFORM_CHANNEL": "platform channel",
    "Audience.DIRECT": "direct message",
}

# Notes on the rule, beside who (``who``) or when (``when``); parentheses are added.
NOTES: dict[Action, dict[str, str]] = {
    Action.ACK: {"when": "a self-initiated incident not yet acknowledged; a report: seen, looking"},
    Action.ASK: {"when": "not the lead, a supporter, or someone asked and not yet answering"},
    Action.BUSY: {"when": "only someone asked to help, not yet answering"},
    Action.STATUSPAGE: {"when": "never for security incidents"},
    Action.RESOLVE: {
        "who": "the lead asks, or with `--criteria-met` resolves when a delivery manager set "
        "criteria; a delivery manager resolves"
    },
    Action.REOPEN: {"when": "before the retro closes it"},
    Action.SCHEDULE: {"when": "a time still to come"},
}

SEARCH_ATTRIBUTES: dict[str, str] = {
    "IncidentStatus": "The incident's status.",
    "IncidentSeverity": "Its severity (unset while a report waits in triage).",
    "IncidentLead": "The lead's Slack id (or email).",
    "IncidentSecurity": "A security incident.",
    "IncidentAlarm": "The source of the alarm that reported it (unset: a person reported it).",
}
