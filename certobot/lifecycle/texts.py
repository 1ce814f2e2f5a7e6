"""What the debtor reads after the agreement: kind, short, in Brazilian Portuguese.

Each text is a template the team may edit (console, "Modelos"); the code fills the placeholders.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from certobot.templates.active import Phrases
from certokit.money import brl

RECEIPT = Phrases("receipt", ("Recebemos {amount} {what}, obrigada!",))
RECEIPT_MISSING = Phrases("receipt_missing", ("Ainda faltam {missing} pra completar essa parcela, tá?",))
RECEIPT_EXCESS = Phrases(
    "receipt_excess", ("Veio {excess} a mais do que a parcela; essa diferença vai ser devolvida pra você.",)
)
CLOSING = Phrases(
    "closing",
    (
        "Pronto{who}! Com esse pagamento seu acordo está quitado 🎉 A dívida fica registrada como paga "
        "e você não vai receber mais cobranças dela. Obrigada pela confiança!",
    ),
)
REMINDER = Phrases(
    "reminder",
    (
        "{hi} Passando pra lembrar: o boleto {what} de {amount} {when} ({due}). Se já pagou, pode "
        "desconsiderar. Precisa do boleto de novo? É só me pedir.",
    ),
)
FOLLOWUP = Phrases(
    "followup",
    (
        "{hi} Não encontramos o pagamento {what} de {amount}, que venceu em {due}. Acontece! Se quiser, te "
        "mando uma segunda via do boleto, ou posso te passar pra uma pessoa da equipe. É só responder aqui.",
    ),
)
LATER_FOLLOWUP = Phrases(
    "later_followup",
    (
        "{hi} Você pediu pra gente voltar a conversar hoje. Quando for um bom momento, é só responder "
        "aqui que eu continuo de onde paramos. Se preferir não receber mais mensagens, escreva PARAR.",
    ),
)
PROMISE_FOLLOWUP = Phrases(
    "promise_followup",
    (
        "{hi} Você tinha comentado que ia pagar em {promised} e ainda não encontramos o pagamento. "
        "Sem problema! Quer que eu te mande o boleto, ou prefere combinar um parcelamento? "
        "Também posso te passar pra uma pessoa da equipe.",
    ),
)


def _of(installment: int, installments: int) -> str:
    return "do seu acordo" if installments == 1 else f"da parcela {installment} de {installments}"


def _hi(first_name: str, ask: bool) -> str:
    if ask:
        return f"Oi, {first_name}, tudo bem?" if first_name else "Oi, tudo bem?"
    return f"Oi, {first_name}!" if first_name else "Oi!"


def receipt(
    amount: Decimal, installment: int, installments: int, *, open_in_installment: Decimal, excess: Decimal
) -> str:
    text = RECEIPT[0].format(amount=brl(amount), what=_of(installment, installments))
    if open_in_installment > 0:
        text += " " + RECEIPT_MISSING[0].format(missing=brl(open_in_installment))
    if excess > 0:
        text += " " + RECEIPT_EXCESS[0].format(excess=brl(excess))
    return text


def closing(first_name: str) -> str:
    who = f", {first_name}" if first_name else ""
    return CLOSING[0].format(who=who, first_name=first_name)


def reminder(first_name: str, amount: Decimal, installment: int, installments: int, due: date, days: int) -> str:
    when = "vence hoje" if days == 0 else ("vence amanhã" if days == 1 else f"vence em {days} dias")
    return REMINDER[0].format(
        hi=_hi(first_name, False),
        first_name=first_name,
        what=_of(installment, installments),
        amount=brl(amount),
        when=when,
        due=f"{due:%d/%m}",
    )


def followup(first_name: str, amount: Decimal, installment: int, installments: int, due: date) -> str:
    return FOLLOWUP[0].format(
        hi=_hi(first_name, True),
        first_name=first_name,
        what=_of(installment, installments),
        amount=brl(amount),
        due=f"{due:%d/%m}",
    )


def later_followup(first_name: str) -> str:
    """The day the debtor chose ("agora não dá, depois eu vejo"): nothing about the debt, whoever reads it."""
    return LATER_FOLLOWUP[0].format(hi=_hi(first_name, True), first_name=first_name)


def promise_followup(first_name: str, promised: date) -> str:
    return PROMISE_FOLLOWUP[0].format(hi=_hi(first_name, True), first_name=first_name, promised=f"{promised:%d/%m}")
