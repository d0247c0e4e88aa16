"""IncidentWorkflow: one durable workflow per incident, from the first report to the retro.

Commands arrive as Updates whose validators refuse, in one sentence, anything the handbook does
not allow (see ``workflows/rules.py``). Handlers only change state; the run loop fires reminders
on their timers, starts the resulting messages in their delivery lanes (``workflows/lanes.py``:
one per destination, running concurrently), and continues as new before the history grows large.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, RetryState

with workflow.unsafe.imports_passed_through():
    from messages import reminder_sentences as say
    from messages.activity_summary import activity_summary
    from messages.summary import current_details
    from workflows.alarm_events import alarm_changed
    from workflows.handlers import with_commands
    from workflows.metrics import NOTHING_YET, Observed, measure
    from workflows.model import (
        Action,
        Command,
        Effect,
        IncidentStart,
        IncidentState,
        Model,
        Policy,
        Receipt,
        TimelineEntry,
    )
    from workflows.model.activities import ActivityName
    from workflows.model.alarms import AlarmChange, AlarmForwarded
    from workflows.process import Incident
    from workflows.search_attributes import (
        published_at_start,
        search_attribute_updates,
        search_attribute_values,
    )

REFUSED = "Refused"
POLICY_READ_LIMIT = timedelta(seconds=10)  # the worker's settings: local, and quick
# Continue-as-new waits this long for deliveries in flight before cancelling and carrying them.
DRAIN_LIMIT = timedelta(seconds=30)
# A delivery whose retries ended anyway (they are meant not to) is tried again after this.
DELIVER_AGAIN_AFTER = timedelta(minutes=1)
# A timer due sooner than this is left to ring rather than cancelled when the deadline moves:
# it may fire while the task that cancels it runs (the time-skipping server strands the run
# then: sdk-java#3088).
LEFT_TO_RING_WITHIN = timedelta(seconds=10)

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)


@workflow.defn
@with_commands
class IncidentWorkflow:
    @workflow.init
    def __init__(self, start: IncidentStart) -> None:
        self._start = start
        # A start without a policy (every front end's) opens once the worker's is read (`run`).
        self._opened: Incident | None = None
        if start.policy is not None:
            self._opened = Incident.open(start, workflow.now())
        self._lanes: dict[str, asyncio.Task[None]] = {}  # effect key → its delivery
        self._lane_failure: Exception | None = None
        self._draining_since: datetime | None = None
        self._timer: asyncio.Task[None] | None = None  # rings at `_timer_for`
        self._timer_for: datetime | None = None
        # Search attributes the starter already set (see IncidentStart) are not upserted again.
        self._published: dict[str, str | bool | None] = (
            published_at_start(workflow.info().typed_search_attributes)
            if start.search_attributes_given
            else {}
        )
        self._changed = False
        # A continued run has counted its past already.
        carried = self._opened is not None and start.carried is not None
        self._observed = Observed.of(self._incident.state) if carried else NOTHING_YET

    @property
    def _incident(self) -> Incident:  # once open: handlers wait for it, queries say "opening"
        assert self._opened is not None, "the incident is not open yet"
        return self._opened

    # --- Queries ---------------------------------------------------------------------------

    @workflow.query
    def state(self) -> IncidentState:
        if self._opened is None:  # the worker's policy not read yet (milliseconds): a preview
            preview = Incident.open(self._start, workflow.now()).state
            return preview.model_copy(update={"opening": True})
        incident = self._opened
        return incident.state.model_copy(
            update={
                "undelivered": len(incident.outbox.effects),
                "waiting": incident.outbox.backlog(),
                "deliveries_decided": incident.outbox.issued,
            }
        )

    @workflow.query
    def timeline(self) -> list[TimelineEntry]:
        return [] if self._opened is None else self._opened.timeline

    # --- Commands: an Update per command and a signal per signal name (workflows/handlers.py) --

    @workflow.update(name="alarm", description="From the alarm's workflow: it fired or cleared.")
    async def alarm(self, change: AlarmChange) -> AlarmForwarded:
        await workflow.wait_condition(lambda: self._opened is not None)
        forwarded = alarm_changed(self._incident, change.notice, workflow.now())
        self._publish()
        self._changed = True
        return forwarded

    def _signal(self, name: str, body: RawValue) -> None:
        """Read the body leniently: a malformed signal is recorded as refused, never a failure."""
        try:
            decoded: object = workflow.payload_converter().from_payload(body.payload)
        except Exception:  # any undecodable payload is the sender's mistake, not the workflow's
            decoded = None
        self._incident.receive_signal(name, decoded, workflow.now())
        self._publish()
        self._changed = True

    async def _command(self, action: Action, command: Command) -> Receipt:
        """An Update's handler: the command was judged by its validator, or is judged here once
        it can be (see `_prepare_to_judge`)."""
        if self._opened is None or self._opened.awaits_delivery_managers(action):
            await self._prepare_to_judge()
            self._judge(action, command)
        return self._apply(action, command)

    async def _signal_when_open(self, name: str, body: RawValue) -> None:
        if self._opened is None or not self._opened.policy.delivery_managers:
            await self._prepare_to_judge()
        self._signal(name, body)

    def _validate(self, action: Action, command: Command) -> None:
        incident = self._opened
        if incident is None or incident.awaits_delivery_managers(action):
            return  # judged by the handler once it can be (see `_prepare_to_judge`)
        self._judge(action, command)

    def _judge(self, action: Action, command: Command) -> None:
        reason = self._incident.refusal(action, command, workflow.now())
        if reason:
            raise ApplicationError(reason, type=REFUSED, non_retryable=True)

    async def _prepare_to_judge(self) -> None:
        """Before a command the validator could not judge: wait for the incident to open, and
        when it opened while the worker named no delivery managers, read the worker's people
        again (recorded), so such an incident is never stuck without them."""
        await workflow.wait_condition(lambda: self._opened is not None)
        if self._incident.policy.delivery_managers:
            return
        policy = await self._read_policy()
        if self._incident.adopt_delivery_managers(policy.delivery_managers, workflow.now()):
            self._publish()
            self._changed = True

    async def _read_policy(self) -> Policy:
        policy: Policy = await workflow.execute_local_activity(
            ActivityName.READ_POLICY,
            result_type=Policy,
            start_to_close_timeout=POLICY_READ_LIMIT,
            summary="the organisation's policy, from the worker's settings",
        )
        return policy

    def _apply(self, action: Action, command: Command) -> Receipt:
        text = self._incident.apply(action, command, workflow.now())
        self._publish()
        self._changed = True
        state = self._incident.state
        return Receipt(incident_id=state.id, status=state.status, text=text)

    # --- The run loop ----------------------------------------------------------------------

    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        if self._opened is None:
            policy = await self._read_policy()
            opening = start.model_copy(update={"policy": policy})
            self._opened = Incident.open(opening, workflow.now())
        self._publish()
        return await self._run_in_lanes(start)

    async def _run_in_lanes(self, start: IncidentStart) -> IncidentState:
        """Timers fire at their due time whatever is being delivered; each lane delivers its
        oldest effect while the others do theirs."""
        while True:
            if self._lane_failure is not None:
                raise self._lane_failure  # fails the workflow task: visible, retried, not lost
            if self._incident.reminders.fire_due_timers(workflow.now()):
                self._publish()
            if self._incident.finished and not self._incident.outbox.effects and not self._lanes:
                break
            drain_until = None
            if self._should_continue_as_new():
                # Let deliveries in flight finish (new ones wait), then carry the queues over.
                # One still retrying after DRAIN_LIMIT (an outage) is cancelled and carried.
                if self._draining_since is None:
                    self._draining_since = workflow.now()
                drain_until = self._draining_since + DRAIN_LIMIT
                if self._lanes and workflow.now() >= drain_until:
                    await self._stop_lanes()
                if not self._lanes:
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    workflow.continue_as_new(self._next_run(start))
            else:
                for effect in self._incident.outbox.ready_to_deliver():
                    self._incident.outbox.delivery_started(effect)
                    self._lanes[effect.key] = asyncio.create_task(self._deliver_in_lane(effect))
            for key in self._incident.outbox.to_cancel & self._lanes.keys():
                self._lanes[key].cancel()  # superseded while retrying: its lane moves on
            self._incident.outbox.to_cancel.clear()
            deadlines = [d for d in (self._incident.reminders.next_deadline(), drain_until) if d]
            await self._wait_for_change_or(min(deadlines, default=None))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._incident.state

    async def _deliver_in_lane(self, effect: Effect) -> None:
        """Deliver one effect; the lane moves on once it is done, refused for good, superseded
        or cut short by continue-as-new (then the next run delivers it, looking first)."""
        sent = self._incident.notices.prepared(effect)
        try:
            result = await self._run_effect(sent)
        except GeneratorExit:  # evicted from the worker's cache: no workflow to record in
            raise
        except (asyncio.CancelledError, CancelledError):
            self._incident.outbox.delivery_cancelled(effect)
        except ActivityError as error:
            cause = error.cause
            cancel_asked = error.retry_state is RetryState.CANCEL_REQUESTED
            if isinstance(cause, CancelledError) or cancel_asked:
                self._incident.outbox.delivery_cancelled(effect)
            elif isinstance(cause, ApplicationError) and cause.non_retryable:
                self._incident.effect_failed(effect, cause.message, workflow.now())
            else:
                await self._deliver_again_later(effect, error)
        except Exception as error:  # a bug: surfaced by the run loop, never swallowed
            self._lane_failure = error
        else:
            self._incident.effect_done(sent, result, workflow.now())
        self._lanes.pop(effect.key, None)
        self._publish()
        self._changed = True

    async def _deliver_again_later(self, effect: Effect, error: ActivityError) -> None:
        """Deliveries retry without end, yet one ended once in a burst (cause unknown). Failing the
        task would fail every replay too; so the lane pauses, then delivers again, looking first."""
        workflow.logger.warning(
            "Delivery of %s ended unexpectedly (%s: %r); delivering it again in %s.",
            effect.key,
            error.retry_state,
            error.cause,
            DELIVER_AGAIN_AFTER,
        )
        # Cut short by continue-as-new or superseded: queued or dropped as any cancelled one.
        with contextlib.suppress(asyncio.CancelledError, CancelledError):
            await workflow.sleep(DELIVER_AGAIN_AFTER)
        self._incident.outbox.delivery_cancelled(effect)

    async def _wait_for_change_or(self, deadline: datetime | None) -> None:
        """Wait for a command, a delivery's end or ``deadline``. One timer serves a deadline
        for as long as it stands: a delivery ending costs no new timer in the history."""
        self._changed = False
        if deadline != self._timer_for:
            if self._timer is not None and not self._lets_ring(self._timer_for):
                self._timer.cancel()
            self._timer, self._timer_for = None, deadline
            if deadline is not None:
                delay = deadline - workflow.now()
                if delay <= timedelta(0):
                    self._timer_for = None
                    return
                summary = self._incident.reminders.due_at(deadline) or say.TIMER_DRAIN_LIMIT
                self._timer = asyncio.create_task(self._ring_after(delay, summary))
        await workflow.wait_condition(lambda: self._changed)

    def _lets_ring(self, deadline: datetime | None) -> bool:
        """True when the timer for ``deadline`` is left to ring (waking the loop once more)."""
        return deadline is not None and deadline - workflow.now() < LEFT_TO_RING_WITHIN

    async def _ring_after(self, delay: timedelta, summary: str) -> None:
        await workflow.sleep(delay, summary=summary)  # the Web UI's name for the timer
        if self._timer is asyncio.current_task():
            self._timer, self._timer_for = None, None  # a timer left to ring serves no deadline
        self._changed = True

    async def _stop_lanes(self) -> None:
        """Before continuing as new: cancel the deliveries in flight and wait until each activity
        has stopped, so none delivers after the next run takes its effect over."""
        running = list(self._lanes.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _run_effect(self, effect: Effect) -> Model | None:
        """Run the activity the effect's kind declares, and return its result."""
        result = await workflow.execute_activity(
            effect.activity,
            effect,
            result_type=effect.result,
            start_to_close_timeout=timedelta(seconds=30),
            # Deliveries heartbeat (activities/heartbeat.py): a worker dying mid-delivery holds
            # its lane this long (the policy's, 5 s), not the whole start-to-close timeout.
            heartbeat_timeout=self._incident.policy.delivery_heartbeat_timeout,
            retry_policy=DELIVERY_RETRY,
            # Cancelled only when superseded or before continue-as-new, which must know the
            # attempt has stopped.
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=activity_summary(effect, self._incident.state, self._incident.policy),
        )
        assert result is None or isinstance(result, Model)
        return result

    def _publish(self) -> None:
        """After any change: keep the standing Slack messages, the search attributes (only when
        changed) and the Web UI's details panel current."""
        self._incident.notices.keep_standing_messages_current()
        state = self._incident.state
        values = search_attribute_values(state)
        updates = search_attribute_updates(values, self._published)
        if updates:
            workflow.upsert_search_attributes(updates)
            self._published = values
        self._incident.outbox.note_queued(workflow.now())
        # No "ago": the panel is written only when something changes, so an age would go stale.
        workflow.set_current_details(current_details(state, self._incident.outbox.backlog()))
        self._observed = measure(state, self._observed)

    def _next_run(self, start: IncidentStart) -> IncidentStart:
        """The next run's input: the state and the policy this incident opened with."""
        incident = self._incident
        return start.model_copy(update={"carried": incident.carried(), "policy": incident.policy})

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        limit = self._incident.policy.history_events_limit
        if limit is not None and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()
