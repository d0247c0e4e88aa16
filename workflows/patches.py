"""The incident workflow's patch ids, and what a run answers for them.

A change that adds, removes or reorders commands is guarded by ``workflow.patched`` so that
incidents started before it replay as they ran (README, "Changing the workflow with live
incidents"). What the answers mean to the process is ``Patches`` (``workflows/process.py``).
"""

from __future__ import annotations

from dataclasses import replace

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.process import Patches

# Patch ids: each guards a change that adds commands, so running incidents replay unchanged.
RETRO_DRAFT_AT_RESOLUTION = "retro-draft-at-resolution"
STANDING_MESSAGES = "standing-messages"
DELIVERY_LANES = "delivery-lanes"
# Guards no command, only what the timeline records: an incident started before it replays
# without saying how its commands arrived, rather than misnaming them.
ARRIVAL_RECORDED = "arrival-recorded"
# A delivery whose activity failed while its cancellation (superseded, or continue-as-new) was
# being asked for ends as cancelled at once; before, its lane paused a minute (bench: a burst's
# DM lane held back behind superseded escalations). Guards one timer, no command.
CANCEL_ENDS_DELIVERY = "cancel-ends-delivery"
# Stands for every patch above at once. Each `workflow.patched` that answers yes records a marker
# and upserts TemporalChangeVersion (a visibility write on the server) at every start; one instead
# of five brings a start's server work back down. Incidents started before it replay through the
# five (their markers are in their histories).
PATCHES_TO_CANCEL_ENDS_DELIVERY = "patches-to-cancel-ends-delivery"
# The announcement waits for the channel it links instead of being edited to link it once the
# channel is open (one activity and one post in the platform channel fewer at every start).
# A change after an umbrella gets one of its own standing for it and every one before, so a
# start still records one marker; incidents started under the older umbrella replay through it.
PATCHES_TO_ANNOUNCE_AFTER_CHANNEL = "patches-to-announce-after-channel"
# A timer due within seconds is left to ring when the next deadline moves, rather than being
# cancelled while it may be firing (the loop just wakes once more). Temporal's server accepts
# such a cancel; the time-skipping test server strands the run instead (sdk-java#3088).
PATCHES_TO_LET_DUE_TIMERS_RING = "patches-to-let-due-timers-ring"


# What each umbrella stands for: the newer one is the older and its own change.
UP_TO_CANCEL_ENDS_DELIVERY = Patches(
    posts_retro_draft=True,
    keeps_standing_messages=True,
    delivers_in_lanes=True,
    records_arrival=True,
    ends_cancelled_deliveries=True,
)
UP_TO_ANNOUNCE_AFTER_CHANNEL = replace(UP_TO_CANCEL_ENDS_DELIVERY, announces_after_channel=True)
UP_TO_LET_DUE_TIMERS_RING = replace(UP_TO_ANNOUNCE_AFTER_CHANNEL, lets_due_timers_ring=True)


def patches_of_this_run() -> Patches:
    """What this run does of each change since incidents began (asked once, when a run begins)."""
    if workflow.patched(PATCHES_TO_LET_DUE_TIMERS_RING):
        return UP_TO_LET_DUE_TIMERS_RING
    if workflow.patched(PATCHES_TO_ANNOUNCE_AFTER_CHANNEL):
        return UP_TO_ANNOUNCE_AFTER_CHANNEL
    if workflow.patched(PATCHES_TO_CANCEL_ENDS_DELIVERY):
        return UP_TO_CANCEL_ENDS_DELIVERY
    return Patches(
        posts_retro_draft=workflow.patched(RETRO_DRAFT_AT_RESOLUTION),
        keeps_standing_messages=workflow.patched(STANDING_MESSAGES),
        delivers_in_lanes=workflow.patched(DELIVERY_LANES),
        records_arrival=workflow.patched(ARRIVAL_RECORDED),
        ends_cancelled_deliveries=workflow.patched(CANCEL_ENDS_DELIVERY),
    )
