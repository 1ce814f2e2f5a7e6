"""Export and anonymise one debtor's personal data; debts, outcomes and amounts stay for the creditor."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from mock_crm.boletos.models import Boleto, BoletoDelivery
from mock_crm.debtors.models import ANONYMOUS_NAME, ContactLog, Debtor
from mock_crm.debtors.service import DebtorNotFound
from mock_crm.negotiations.models import NegotiationResult

ANONYMOUS_PHONE = "+0"


async def _debtor(db: AsyncSession, cpf: str) -> Debtor:
    debtor = await db.scalar(
        select(Debtor).where(Debtor.cpf_hash == cpf).options(selectinload(Debtor.debts), selectinload(Debtor.contacts))
    )
    if debtor is None:
        raise DebtorNotFound()
    return debtor


async def export(db: AsyncSession, cpf: str) -> dict[str, Any]:
    """Everything the CRM holds about this person, as JSON (LGPD art. 18, II)."""
    d = await _debtor(db, cpf)
    results = (await db.scalars(select(NegotiationResult).where(NegotiationResult.debtor_id == d.id))).all()
    boletos = (await db.scalars(select(Boleto).where(Boleto.debtor_id == d.id))).all()
    return {
        "cadastro": {
            "cpf": d.cpf,
            "nome": d.name,
            "telefone": d.phone,
            "email": d.email,
            "cidade": d.city,
            "uf": d.state,
            "opt_out": d.opted_out,
        },
        "dividas": [
            {
                "descricao": x.description,
                "contrato": x.contract_number,
                "credor_original": x.original_creditor,
                "valor_centavos": x.amount_cents,
                "vencimento": x.due_date.isoformat(),
                "situacao": x.status,
            }
            for x in d.debts
        ],
        "contatos": [
            {"tipo": c.kind, "canal": c.channel, "sessao": c.session_id, "notas": c.notes} for c in d.contacts
        ],
        "negociacoes": [
            {
                "sessao": r.session_id,
                "resultado": r.outcome,
                "valor_acordado_centavos": r.agreed_amount_cents,
                "parcelas": r.installments,
                "data": r.interaction_timestamp.isoformat(),
            }
            for r in results
        ],
        "boletos": [
            {"parcela": b.installment, "valor_centavos": b.amount_cents, "vencimento": b.due_date.isoformat()}
            for b in boletos
        ],
    }


async def erase(db: AsyncSession, cpf: str) -> dict[str, int]:
    """Anonymise the person: name, CPF, phone, e-mail, notes go; debts, outcomes and amounts stay."""
    d = await _debtor(db, cpf)
    # A pseudonym that is not a CPF (it has a letter) and cannot be turned back into one.
    d.cpf = "X" + secrets.token_hex(5)
    d.name, d.phone, d.phone_key = ANONYMOUS_NAME, ANONYMOUS_PHONE, "anon-" + secrets.token_hex(5)
    d.email = d.city = d.state = None
    d.opted_out = True  # nobody to contact any more
    await db.execute(update(ContactLog).where(ContactLog.debtor_id == d.id).values(notes=None))
    results = (await db.scalars(select(NegotiationResult).where(NegotiationResult.debtor_id == d.id))).all()
    for r in results:
        r.qualitative_notes = None
        r.payload = {k: v for k, v in r.payload.items() if k not in ("debtor_cpf", "qualitative_notes")}
    boleto_ids = select(Boleto.id).where(Boleto.debtor_id == d.id)
    await db.execute(
        update(BoletoDelivery).where(BoletoDelivery.boleto_id.in_(boleto_ids)).values(phone=ANONYMOUS_PHONE)
    )
    await db.flush()
    return {"negociacoes": len(results)}
