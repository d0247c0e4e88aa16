"""A look at every activity a workflow schedules (its own module: the workflow sandbox imports
it again, so it imports nothing but temporalio)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from temporalio.workflow import ActivityHandle


@dataclass
class OnEachActivity(Interceptor):
    """Calls ``see`` with every activity a workflow schedules, just before it is scheduled: to
    record what it carries, or to change it (its retry policy, say)."""

    see: Callable[[StartActivityInput], None]

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        see = self.see

        class Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
                see(input)
                return super().start_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound
