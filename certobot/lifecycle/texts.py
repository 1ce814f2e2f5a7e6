"""What the debtor reads after the agreement: kind, short, in Brazilian Portuguese."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from certokit.money import brl


def _of(installment: int, installments: int) -> str:
    return "do seu acordo" if installments == 1 else f"da parcela {installment} de {installments}"


def receipt(
    amount: Decimal, installment: int, installments: int, *, open_in_installment: Decimal, excess: Decimal
) -> str:
    text = f"Recebemos {brl(amount)} {_of(installment, installments)}, obrigada!"
    if open_in_installment > 0:
        text += f" Ainda faltam {brl(open_in_installment)} pra completar essa parcela, tá?"
    if excess > 0:
        text += f" Veio {brl(excess)} a mais do que a parcela; essa diferença vai ser devolvida pra você."
    return text


def closing(first_name: str) -> str:
    who = f", {first_name}" if first_name else ""
    return (
        f"Pronto{who}! Com esse pagamento seu acordo está quitado 🎉 A dívida fica registrada como paga "
        "e você não vai receber mais cobranças dela. Obrigada pela confiança!"
    )


def reminder(first_name: str, amount: Decimal, installment: int, installments: int, due: date, days: int) -> str:
    hi = f"Oi, {first_name}!" if first_name else "Oi!"
    when = "vence hoje" if days == 0 else ("vence amanhã" if days == 1 else f"vence em {days} dias")
    return (
        f"{hi} Passando pra lembrar: o boleto {_of(installment, installments)} de {brl(amount)} {when} "
        f"({due:%d/%m}). Se já pagou, pode desconsiderar. Precisa do boleto de novo? É só me pedir."
    )


def followup(first_name: str, amount: Decimal, installment: int, installments: int, due: date) -> str:
    hi = f"Oi, {first_name}, tudo bem?" if first_name else "Oi, tudo bem?"
    return (
        f"{hi} Não encontramos o pagamento {_of(installment, installments)} de {brl(amount)}, que venceu em "
        f"{due:%d/%m}. Acontece! Se quiser, te mando uma segunda via do boleto, ou posso te passar pra uma "
        "pessoa da equipe. É só responder aqui."
    )


def later_followup(first_name: str) -> str:
    """The day the debtor chose ("agora não dá, depois eu vejo"): nothing about the debt, whoever reads it."""
    hi = f"Oi, {first_name}, tudo bem?" if first_name else "Oi, tudo bem?"
    return (
        f"{hi} Você pediu pra gente voltar a conversar hoje. Quando for um bom momento, é só responder "
        "aqui que eu continuo de onde paramos. Se preferir não receber mais mensagens, escreva PARAR."
    )


def promise_followup(first_name: str, promised: date) -> str:
    hi = f"Oi, {first_name}, tudo bem?" if first_name else "Oi, tudo bem?"
    return (
        f"{hi} Você tinha comentado que ia pagar em {promised:%d/%m} e ainda não encontramos o pagamento. "
        "Sem problema! Quer que eu te mande o boleto, ou prefere combinar um parcelamento? "
        "Também posso te passar pra uma pessoa da equipe."
    )
