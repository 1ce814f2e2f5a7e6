"""Reading and editing the policies: validation, optimistic versions, audit entry with before and after."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.operators.roles import Principal
from certobot.operators.service import audit
from certobot.policies import repository
from certobot.policies.book import PolicyBook, try_reload
from certobot.policies.models import PolicyRow
from certobot.policies.rules import ALL_DEBTS, NegotiationPolicy, creditor_key, problems, summary
from certobot.policies.schemas import PolicyChange, PolicyIn, PolicyOut
from certokit.db import transaction
from certokit.errors import DomainError


class PolicyNotFound(DomainError):
    status_code = 404
    detail = "Política não encontrada."


class PolicyInvalid(DomainError):
    status_code = 422
    detail = "Política inválida."


class PolicyChanged(DomainError):
    status_code = 409
    detail = "Outra pessoa alterou esta política enquanto você editava: recarregue a página e tente de novo."


def out(p: NegotiationPolicy, row: PolicyRow | None = None) -> PolicyOut:
    fields = {f.name: getattr(p, f.name) for f in dataclasses.fields(p) if f.name not in ("id", "version")}
    return PolicyOut(
        **fields,
        id=p.id,
        version=p.version,
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
        summary=summary(p),
    )


def as_doc(p: NegotiationPolicy) -> dict[str, Any]:
    """For the audit entry: JSON-safe, percentages as strings so that no float creeps in."""
    doc = dataclasses.asdict(p)
    doc.pop("id")
    return {k: (str(v) if k.endswith("_pct") and v is not None else v) for k, v in doc.items()}


def _canonical(data: PolicyIn) -> NegotiationPolicy:
    creditor = " ".join(data.creditor.split())
    segment = " ".join(data.segment.split())
    if segment.casefold() == ALL_DEBTS:
        segment = ALL_DEBTS
    fields = data.model_dump(exclude={"version", "creditor", "segment"})
    return NegotiationPolicy(creditor=creditor, segment=segment, **fields)


async def list_policies(db: AsyncSession) -> list[PolicyOut]:
    return [out(repository.to_policy(r), r) for r in await repository.all_rows(db)]


async def get_policy(db: AsyncSession, policy_id: int) -> PolicyOut:
    row = await repository.by_id(db, policy_id)
    if row is None:
        raise PolicyNotFound()
    return out(repository.to_policy(row), row)


async def history(db: AsyncSession, limit: int) -> list[PolicyChange]:
    rows = await repository.history(db, limit)
    return [PolicyChange(at=r.at, actor=r.actor, target=r.target, detail=r.detail) for r in rows]


async def _save(db: AsyncSession, who: Principal, data: PolicyIn, now: datetime) -> PolicyOut:
    wanted = _canonical(data)
    reasons = problems(wanted)
    if reasons:
        raise PolicyInvalid(" ".join(reasons))
    rows = await repository.all_rows(db)
    key = (creditor_key(wanted.creditor), wanted.segment.casefold())
    row = next((r for r in rows if (creditor_key(r.creditor), r.segment.casefold()) == key), None)
    before: dict[str, Any] | None = None
    if row is not None:
        await db.refresh(row, with_for_update=True)  # two admins at once: the second waits, then sees version + 1
        if data.version and data.version != row.version:
            raise PolicyChanged()
        before = as_doc(repository.to_policy(row))
        wanted = dataclasses.replace(wanted, creditor=row.creditor, segment=row.segment)
        row.version += 1
    else:
        if data.version:
            raise PolicyChanged("Esta política não existe mais: recarregue a página.")
        row = PolicyRow(version=1)
        db.add(row)
    repository.fill(row, wanted)
    row.updated_by, row.updated_at = who.actor, now
    try:
        await db.flush()
    except IntegrityError:
        raise PolicyChanged("Outra pessoa criou esta política agora há pouco: recarregue a página.") from None
    saved = repository.to_policy(row)
    await audit(
        db,
        who,
        repository.AUDIT_ACTION,
        target=f"{saved.creditor}/{saved.segment}"[:64],
        detail={"policy_id": row.id, "version": row.version, "before": before, "after": as_doc(saved)},
    )
    return out(saved, row)


async def save_policy(
    sessionmaker: async_sessionmaker[AsyncSession], book: PolicyBook, who: Principal, data: PolicyIn, now: datetime
) -> PolicyOut:
    """Validate, store and audit in one transaction; then this process's cache follows at once (the
    others by NOTIFY), so the next offer made here already uses the new policy."""
    async with transaction(sessionmaker) as db:
        saved = await _save(db, who, data, now)
    await try_reload(book, sessionmaker)  # stored either way: a failed reload is retried by keep_fresh
    return saved
