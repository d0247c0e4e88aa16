"""The outbox: the effects an incident decided and has not yet delivered, and their lanes.

Effects (messages, the channel, status page posts) wait here in the order decided; each lane
(``workflows/lanes.py``: one per destination) delivers its oldest while the others deliver
theirs. A newer effect supersedes an undelivered stale one of its kind. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime

from workflows.destinations.base import Lane
from workflows.destinations.slack import ChannelRequest, Notice
from workflows.destinations.statuspage import StatusPagePost
from workflows.lanes import lane_of, supersedes
from workflows.model import CarriedState, Effect, IncidentState, LaneBacklog


class Outbox:
    """The undelivered effects of one incident, the lanes they wait in, and what is in flight."""

    def __init__(self, state: IncidentState, carried: CarriedState) -> None:
        self._state = state  # the incident's facts: its id for keys, the delivery counters
        self.effects = carried.outbox
        self.issued = carried.effects_issued
        self.queued_at = dict(carried.queued_at)
        # Effects whose activity runs now, key → lane. Kept apart from the queue: sealing a
        # security incident drops queued effects, and their lane stays busy until they end.
        self.in_flight: dict[str, Lane] = {}
        # In-flight effects made stale by a newer one (a reminder retrying through an outage):
        # the workflow cancels their activities; `to_cancel` holds those not yet cancelled.
        self.superseded_in_flight: set[str] = set()
        self.to_cancel: set[str] = set()

    # --- Deciding ----------------------------------------------------------------------------

    def next_key(self) -> str:
        """The delivery key of the next effect: the incident's id and a running number."""
        self.issued += 1
        return f"{self._state.id}/{self.issued}"

    def issue(self, effect: Effect) -> None:
        self.effects.append(self._supersede(effect))

    def _supersede(self, newer: Effect) -> Effect:
        """Drop queued effects ``newer`` makes stale: stale news is not delivered late as if
        fresh. The timeline still has every one. A stale notice in flight (retrying through an
        outage) is cancelled; a status page post in flight is not: it may be the one creating
        the page incident."""
        for key in self.in_flight.keys() - self.superseded_in_flight:
            effect = next((e for e in self.effects if e.key == key), None)
            if isinstance(effect, Notice) and supersedes(newer, effect):
                self.superseded_in_flight.add(key)
                self.to_cancel.add(key)
        rewritable = self.rewritable()
        stale = [self.effects[i] for i in rewritable if supersedes(newer, self.effects[i])]
        if not stale:
            return newer
        keys = {e.key for e in stale}
        self.effects[:] = [e for e in self.effects if e.key not in keys]
        self._state.superseded_deliveries += len(stale)
        if isinstance(newer, StatusPagePost) and newer.impact_override is None:
            # The impact a dropped post would have set still applies.
            impacts = [e.impact_override for e in stale if isinstance(e, StatusPagePost)]
            impact = next((i for i in reversed(impacts) if i is not None), None)
            return newer.model_copy(update={"impact_override": impact})
        return newer

    def rewritable(self) -> list[int]:
        """Positions of queued effects that may still be rewritten: not in flight."""
        return [i for i, e in enumerate(self.effects) if e.key not in self.in_flight]

    # --- Delivering --------------------------------------------------------------------------

    def ready_to_deliver(self) -> list[Effect]:
        """The oldest effect of every lane that has nothing in flight, in the order decided."""
        busy = set(self.in_flight.values())
        # What links the channel waits for it rather than being edited to link it once open.
        opening = any(isinstance(e, ChannelRequest) for e in self.effects)
        ready: list[Effect] = []
        for effect in self.effects:
            lane = lane_of(effect)
            if lane not in busy:
                busy.add(lane)  # held even by one that waits: order within a lane is kept
                if not (opening and effect.links_the_channel()):
                    ready.append(effect)
        return ready

    def delivery_started(self, effect: Effect) -> None:
        self.in_flight[effect.key] = lane_of(effect)

    def delivery_cancelled(self, effect: Effect) -> None:
        """Its activity was cancelled. Superseded: it is dropped. Otherwise (the run continues
        as new) it stays queued, marked so that its next delivery first looks for what the
        cut-short one may have done."""
        self.in_flight.pop(effect.key, None)
        if effect.key in self.superseded_in_flight:
            self.superseded_in_flight.discard(effect.key)
            self.effects[:] = [e for e in self.effects if e.key != effect.key]
            self._state.superseded_deliveries += 1
            return
        self.effects[:] = [
            e.model_copy(update={"maybe_done": True}) if e.key == effect.key else e
            for e in self.effects
        ]

    def drop(self, effect: Effect) -> None:
        """Delivered, or refused for good: it leaves the queue and its lane."""
        # By key: the queued copy may have been sealed while the effect was being delivered.
        self.effects[:] = [e for e in self.effects if e.key != effect.key]
        self.in_flight.pop(effect.key, None)
        self.superseded_in_flight.discard(effect.key)
        self.to_cancel.discard(effect.key)

    # --- What waits --------------------------------------------------------------------------

    def note_queued(self, now: datetime) -> None:
        """Remember when each queued effect was decided (for `show`), forget delivered ones."""
        keys = {e.key for e in self.effects}
        self.queued_at = {k: at for k, at in self.queued_at.items() if k in keys}
        for key in keys - self.queued_at.keys():
            self.queued_at[key] = now

    def backlog(self) -> list[LaneBacklog]:
        """Per lane, what waits and since when: `show` and the Web UI say it."""
        lanes: dict[Lane, LaneBacklog] = {}
        for effect in self.effects:
            lane = lane_of(effect)
            since = self.queued_at.get(effect.key, self._state.created_at)
            known = lanes.get(lane)
            if known is None:
                lanes[lane] = LaneBacklog(
                    lane=lane, waiting=1, oldest_since=since, in_flight=effect.key in self.in_flight
                )
            else:
                known.waiting += 1
                known.oldest_since = min(known.oldest_since, since)
                known.in_flight = known.in_flight or effect.key in self.in_flight
        return list(lanes.values())
