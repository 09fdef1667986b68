"""The JSON renderer: the saved plan format itself (schemas/plan.schema.json)."""

from __future__ import annotations

from hfsync.model.plan import Plan


def render(plan: Plan) -> str:
    return plan.to_json()
