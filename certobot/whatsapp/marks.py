"""Replies Meta accepted, held for a short window and recorded by a statement this process makes anyway.

A turn's last reply is sent from memory after the turn's commit; recording it ("done" on the outbox
row, "sent" with its wamid on the transcript line) used to cost one more round trip per reply. Here
the record is held in memory, for at most `within` seconds (RECORD_SENT_WITHIN_SECONDS, 2 s), and
rides as data-modifying CTEs in front of the next statement this process makes anyway: the next
turn's read or write; when no turn is running, the next webhook's inbox insert (the API process
runs the workers by default) or a status webhook's statement — Meta posts "sent" for every reply
about a second after it, and that statement records the row itself, so its mark is dropped rather
than carried. What no statement carried by the window's end is written in one statement of its own
(a `certobot worker` process, which takes no webhooks, ends most windows that way), and so is
everything at shutdown. Under load the turns carry the records within milliseconds and the webhook's
statement stays as it was; in sparse traffic the next webhook carries them, so a message costs no
statement for its replies' records.

What this costs: for up to the window, the console and the API show a reply as queued though the
debtor has it (Meta's "sent" usually corrects that within a second), and a turn of the same
conversation in ANOTHER process finds it still pending: that turn writes its reply unleased and
waits for the record (certobot.whatsapp.pipeline, `_send_written`, up to the window), so a debtor
answering within two seconds of a reply that another process sent may wait as long for the next.
A turn in this process never waits: its read carries the record and leaves it out of the backlog.

What it risks: a process killed while it holds records loses them. Each such reply is recorded by
Meta's "sent" status, which names its row (certobot.whatsapp.statuses); if that never comes, the
reply is sent once more when its lease runs out (REPLY_LEASE) — the same one-message exposure a
separate statement has, open for the window instead of a few milliseconds. Only a turn's LAST reply
is held: an earlier one is recorded before the next goes out, and a conversation's next turn records
every held reply (in this process) or waits behind it (in another), so a conversation never gets
more than one message twice.
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
# `param` is how the statement names the marks: `:marks` (SQLAlchemy) or `$n::text::jsonb` (asyncpg).
# "Not done, not failed" rather than "pending" (the same rows: an outbox row is one of the three):
# `status = 'pending'` would let Postgres walk the pending rows' partial index, which its statistics
# think nearly empty, and under a burst read every pending reply to find the two named; this way
# each named row is one probe of the primary key (PENDING_BY_ID). The ids are also given as an array
# (`= ANY`): a key condition on the table's own scan, so however few rows Postgres believes the
# table holds, it never walks the whole key to join them.
PENDING_BY_ID = "status NOT IN ('done', 'failed')"


def mark_ctes(param: str) -> str:
    return f"""
marked AS (
  UPDATE outbox o SET status = 'done', done_at = now(), last_error = NULL, locked_until = NULL
    FROM jsonb_to_recordset({param}) AS m(o bigint, mid bigint, w text)
   WHERE o.id = m.o AND o.{PENDING_BY_ID}
     AND o.id = ANY (ARRAY(SELECT (e ->> 'o')::bigint FROM jsonb_array_elements({param}) e))
  RETURNING o.id),
marked_lines AS (
  UPDATE messages t SET status = 'sent', wamid = coalesce(m.w, t.wamid), updated_at = now()
    FROM jsonb_to_recordset({param}) AS m(o bigint, mid bigint, w text)
   WHERE t.id = m.mid AND t.status = 'queued'
     AND t.id = ANY (ARRAY(SELECT (e ->> 'mid')::bigint FROM jsonb_array_elements({param}) e))
  RETURNING t.id)"""


MARK_CTES = mark_ctes(":marks")

_FLUSH = text(
    f"WITH {MARK_CTES}\nSELECT (SELECT count(*) FROM marked) + (SELECT count(*) FROM marked_lines)"
).bindparams(bindparam("marks", type_=JSONB))

# How long a record may be held for a statement to carry it (RECORD_SENT_WITHIN_SECONDS).
WITHIN_SECONDS = 2.0


@dataclass(frozen=True)
class Mark:
    outbox_id: int
    message_id: int | None
    wamid: str | None

    def doc(self) -> dict[str, object]:
        return {"o": self.outbox_id, "mid": self.message_id, "w": self.wamid}


class SentMarks:
    """The records held for this process's next statement (one event loop: no lock needed).

    With an engine, what no statement carried within `within` seconds of the oldest held record is
    written on its own: the console would show the reply queued, and another process's turn for
    that conversation waits behind it. Without one (tests), only `flush` writes them.
    """

    def __init__(self, engine: AsyncEngine | None = None, *, within: float = WITHIN_SECONDS) -> None:
        self._waiting: list[Mark] = []
        self._engine = engine
        self.within = within
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        # Turns of this process running now (certobot.whatsapp.pipeline): their next statements
        # carry the records within milliseconds, so a webhook leaves them alone.
        self.turns = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, mark: Mark) -> None:
        self._waiting.append(mark)
        self._arm()

    def _arm(self) -> None:
        """The window starts with the oldest held record; a statement that takes them all ends it."""
        if self._engine is not None and self._timer is None and self._waiting:
            self._timer = asyncio.get_running_loop().call_later(self.within, self._due)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _due(self) -> None:
        self._timer = None
        if self._waiting and self._engine is not None:
            task = asyncio.ensure_future(self.flush(self._engine))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    def take(self) -> list[Mark]:
        """Everything held, handed to a statement; give it back if that statement fails."""
        taken, self._waiting = self._waiting, []
        self._disarm()
        return taken

    def take_unless_busy(self) -> list[Mark]:
        """Everything held, for a statement that is not a turn's (a webhook's) — unless a turn is
        running: under load the turns carry the records, and the webhook's statement, which Meta
        waits on, stays as short as it was. Give it back if that statement fails."""
        return [] if self.turns else self.take()

    def drop(self, outbox_ids: set[int]) -> list[Mark]:
        """The held records of these outbox rows, removed: a status statement records them itself.

        Its `claimed` CTE marks the row a status names; carrying the mark too would update one row
        twice in one statement, whose outcome Postgres does not define. Give them back if it fails.
        """
        dropped = [m for m in self._waiting if m.outbox_id in outbox_ids]
        if dropped:
            self._waiting = [m for m in self._waiting if m.outbox_id not in outbox_ids]
            if not self._waiting:
                self._disarm()
        return dropped

    def give_back(self, marks: list[Mark]) -> None:
        self._waiting[:0] = marks
        self._arm()  # not lost with the statement: the window's end writes them if nothing else does

    @staticmethod
    def param(marks: list[Mark]) -> list[dict[str, object]]:
        return [m.doc() for m in marks]

    async def flush(self, engine: AsyncEngine) -> None:
        """Write what is held in one autocommit statement (the window's end, shutdown, a test)."""
        marks = self.take()
        if not marks:
            return
        try:
            await record(engine, marks)
        except Exception:
            self.give_back(marks)  # the next statement or window tries again; the lease covers a crash
            log.exception("sent_marks_flush_failed", waiting=len(marks))


async def record(engine: AsyncEngine, marks: list[Mark]) -> None:
    """Record sends now: one autocommit statement, however many (Postgres only)."""
    await rawsql.fetch(engine, _FLUSH, {"marks": SentMarks.param(marks)})
