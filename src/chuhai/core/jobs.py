"""Background work through a job queue kept in the database, so workers on several machines
share it and embedded mode runs the same jobs in-process.

A job is a row: a kind, a JSON payload, a status (queued → running → done | failed). A
capability enqueues work by kind name in the same transaction as the change that calls for
it (so a rolled-back change enqueues nothing) and registers a handler for the kinds it owns.
Jobs with a `coalesce_key` merge: while one such job is still queued, enqueueing another
changes nothing (ten rule edits in a minute cost one repricing).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from chuhai.core.auth import SYSTEM
from chuhai.core.clock import Clock, SystemClock
from chuhai.core.context import Context
from chuhai.core.db import Base, Database
from chuhai.core.ids import new_id
from chuhai.core.settings import Settings

Handler = Callable[[Context, dict[str, Any]], str]
# kinds other capabilities enqueue without importing their owner (which sits above them)
REPRICE = "pricing.reprice"
_handlers: dict[str, Handler] = {}
STALE_AFTER = timedelta(minutes=30)  # a running job older than this was abandoned by its worker


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    payload: Mapped[dict[str, Any]]
    coalesce_key: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    result: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


def register(kind: str, handler: Handler) -> None:
    """A capability says which function runs its kind of job."""
    _handlers[kind] = handler


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    coalesce_key: str | None = None,
) -> JobRow | None:
    """Queue a job in the caller's transaction; None when an equal job is already queued."""
    if coalesce_key is not None:
        waiting = session.scalar(
            select(JobRow.id).where(JobRow.coalesce_key == coalesce_key, JobRow.status == "queued")
        )
        if waiting is not None:
            return None
    row = JobRow(
        id=new_id("job"),
        kind=kind,
        payload=payload,
        coalesce_key=coalesce_key,
        status="queued",
        attempts=0,
        result="",
        error="",
        created_at=now,
    )
    session.add(row)
    return row


def run_pending(
    db: Database, settings: Settings, clock: Clock | None = None, limit: int = 10
) -> list[JobRow]:
    """Claim and run up to `limit` queued jobs, oldest first, each in its own transaction,
    as the system (jobs act for the platform, not for whoever caused them)."""
    clock = clock or SystemClock()
    finished = []
    for _ in range(limit):
        job_id = _claim(db, clock)
        if job_id is None:
            break
        finished.append(_run(db, settings, clock, job_id))
    return finished


def _claim(db: Database, clock: Clock) -> str | None:
    now = clock.now()
    with db.unit_of_work() as uow:
        session = uow.session
        # jobs a crashed worker left running go back to the queue
        session.execute(
            update(JobRow)
            .where(JobRow.status == "running", JobRow.started_at < now - STALE_AFTER)
            .values(status="queued")
        )
        query = select(JobRow.id).where(JobRow.status == "queued").order_by(JobRow.created_at)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job_id = session.scalar(query.limit(1))
        if job_id is None:
            uow.commit()
            return None
        claimed = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == "queued")
            .values(status="running", started_at=now, attempts=JobRow.attempts + 1)
        )
        uow.commit()
        return job_id if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def _run(db: Database, settings: Settings, clock: Clock, job_id: str) -> JobRow:
    with db.unit_of_work() as uow:
        job = uow.session.get_one(JobRow, job_id)
        handler = _handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler registered for jobs of kind {job.kind!r}")
            job.result = handler(Context(uow.session, SYSTEM, clock, settings), dict(job.payload))
            job.status = "done"
            job.finished_at = clock.now()
            uow.commit()
            return job
        except Exception:  # a job's failure is recorded, never lost
            error = traceback.format_exc(limit=5)
    with db.unit_of_work() as uow:
        job = uow.session.get_one(JobRow, job_id)
        job.status, job.error, job.finished_at = "failed", error, clock.now()
        uow.commit()
        return job


def prices_may_have_changed(session: Session, now: datetime, reason: str) -> None:
    """A change that can move prices (a listing, a rule, an FX rate): queue one repricing."""
    enqueue(session, REPRICE, {"reason": reason}, now, coalesce_key=REPRICE)


def recent_jobs(session: Session, limit: int = 50) -> list[JobRow]:
    return list(session.scalars(select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)))
