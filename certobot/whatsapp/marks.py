"""Replies Meta accepted, recorded by the process's next statement instead of one statement each.

A turn's last reply is sent from memory after the turn's commit; recording it ("done" on the outbox
row, "sent" with its wamid on the transcript line) used to cost one more round trip per reply. Here
the record waits in memory for the next statement this process makes anyway — the next turn's read
or write, as data-modifying CTEs in front of it — and the worker writes whatever is left in one
statement as soon as it has no turn in flight. Under load a record waits milliseconds; when traffic
is sparse it costs one statement per quiet moment instead of one per reply.

What this risks: a process killed while a record waits re-sends that reply when its lease runs out
— the same one-message window a separate statement has, a few milliseconds longer — unless Meta's
status webhook for it arrives first and marks it sent. Only a turn's LAST reply waits: an earlier
one is recorded before the next goes out, so a conversation never gets more than one message twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from certokit import rawsql
from certokit.logging import get_logger

log = get_logger("certobot.marks")

# The outbox row done and its transcript line sent (only from `queued`: a status webhook that came
# first has already moved it on). `marked` returns the rows this statement recorded, so a read in
# the same statement, which cannot see its own CTEs' writes, can leave them out of its backlog.
MARK_CTES = """
marked AS (
  UPDATE outbox o SET status = 'done', done_at = now(), last_error = NULL, locked_until = NULL
    FROM jsonb_to_recordset(:marks) AS m(o bigint, mid bigint, w text)
   WHERE o.id = m.o AND o.status = 'pending'
  RETURNING o.id),
marked_lines AS (
  UPDATE messages t SET status = 'sent', wamid = coalesce(m.w, t.wamid), updated_at = now()
    FROM jsonb_to_recordset(:marks) AS m(o bigint, mid bigint, w text)
   WHERE t.id = m.mid AND t.status = 'queued'
  RETURNING t.id)"""

_FLUSH = text(
    f"WITH {MARK_CTES}\nSELECT (SELECT count(*) FROM marked) + (SELECT count(*) FROM marked_lines)"
).bindparams(bindparam("marks", type_=JSONB))


@dataclass(frozen=True)
class Mark:
    outbox_id: int
    message_id: int | None
    wamid: str | None

    def doc(self) -> dict[str, object]:
        return {"o": self.outbox_id, "mid": self.message_id, "w": self.wamid}


class SentMarks:
    """The records waiting for this process's next statement (one event loop: no lock needed).

    With an engine, a record that no statement carried within `at_most` seconds (turns all waiting on
    the model, say) is written on its own: another worker's turn for that conversation would otherwise
    find the reply still pending and wait behind it.
    """

    def __init__(self, engine: AsyncEngine | None = None, *, at_most: float = 0.5) -> None:
        self._waiting: list[Mark] = []
        self._engine = engine
        self._at_most = at_most
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, mark: Mark) -> None:
        self._waiting.append(mark)
        if self._engine is not None and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._at_most, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._waiting and self._engine is not None:
            task = asyncio.ensure_future(self.flush(self._engine))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    def take(self) -> list[Mark]:
        """Everything waiting, handed to a statement; give it back if that statement fails."""
        taken, self._waiting = self._waiting, []
        return taken

    def give_back(self, marks: list[Mark]) -> None:
        self._waiting[:0] = marks

    @staticmethod
    def param(marks: list[Mark]) -> list[dict[str, object]]:
        return [m.doc() for m in marks]

    async def flush(self, engine: AsyncEngine) -> None:
        """Write what waits in one autocommit statement (the worker has nothing else in flight)."""
        marks = self.take()
        if not marks:
            return
        try:
            await record(engine, marks)
        except Exception:
            self.give_back(marks)  # the next statement or flush tries again; the lease covers a crash
            log.exception("sent_marks_flush_failed", waiting=len(marks))


async def record(engine: AsyncEngine, marks: list[Mark]) -> None:
    """Record sends now: one autocommit statement, however many (Postgres only)."""
    await rawsql.fetch(engine, _FLUSH, {"marks": SentMarks.param(marks)})
