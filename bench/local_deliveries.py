"""What-if for the start-throughput figure: the incident workflow delivering through local
activities, so a start's channel and messages cost no activity tasks on the server.

Not shipped (see README "Performance"): a local activity holds its workflow task, so a command
sent while a post waits for Slack's per-channel pace would wait with it; and a local activity's
input is not in the history, where the fault suite and the Web UI read what was sent.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.incident import DELIVERY_RETRY, IncidentWorkflow
    from workflows.model import Effect, IncidentStart, IncidentState, Model


@workflow.defn(name="IncidentWorkflow")
class LocalDeliveriesIncidentWorkflow(IncidentWorkflow):
    @workflow.run
    async def run(self, start: IncidentStart) -> IncidentState:
        return await super().run(start)

    async def _run_effect(self, effect: Effect) -> Model | None:
        result = await workflow.execute_local_activity(
            effect.activity,
            effect,
            result_type=effect.result,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DELIVERY_RETRY,
        )
        assert result is None or isinstance(result, Model)
        return result
