"""The history of briefs, designs and production orders: every transition stored with who,
when, from, to and why, and the one helper that takes a document through its machine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.ids import new_id
from chuhai.core.statemachine import StateMachine
from chuhai.sourcing.tables import SourcingEventRow


def record(
    ctx: Context,
    document_type: str,
    document_id: str,
    action: str,
    from_state: str | None,
    to_state: str,
    reason: str = "",
) -> None:
    ctx.session.add(
        SourcingEventRow(
            id=new_id("srh"),
            document_type=document_type,
            document_id=document_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_id=ctx.actor.user_id,
            actor_name=(ctx.actor.display_name or ctx.actor.username)[:100],
            reason=(reason or "").strip(),
            at=ctx.now(),
        )
    )


def move(
    ctx: Context, machine: StateMachine, document_type: str, row: Any, action: str, reason: str = ""
) -> None:
    """One transition: refused with a 409 naming the current state when the machine has no
    such move from it, then the permission, then the history row and the new state."""
    transition = machine.transition(row.state, action)
    ctx.actor.require(transition.permission)
    record(ctx, document_type, row.id, action, row.state, transition.target, reason)
    row.state = transition.target
    row.updated_at = ctx.now()
    ctx.session.flush()


def history_of(session: Session, document_id: str) -> list[SourcingEventRow]:
    query = (
        select(SourcingEventRow)
        .where(SourcingEventRow.document_id == document_id)
        .order_by(SourcingEventRow.at, SourcingEventRow.id)
    )
    return list(session.scalars(query))
