"""When the bot may start a conversation: hours, holidays, and what the debtor's record forbids."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from certobot.config import BotSettings, parse_contact_hours
from certobot.crm.schemas import DebtorInfo
from certokit.money import brl

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def parse_holidays(spec: str) -> set[date]:
    return {date.fromisoformat(p.strip()) for p in spec.replace(";", ",").split(",") if p.strip()}


def within_contact_hours(now: datetime, settings: BotSettings) -> bool:
    local = now.astimezone(SAO_PAULO)
    if local.date() in parse_holidays(settings.holidays):
        return False
    window = parse_contact_hours(settings.contact_hours).get(local.weekday())
    if window is None:
        return False
    start, end = window
    t = local.time()
    return start <= t and (end is None or t < end)


def refusal(debtor: DebtorInfo, now: datetime, settings: BotSettings) -> str | None:
    """Why the bot must not open a conversation with this debtor now, in Portuguese; None if it may."""
    if debtor.opted_out:
        return "O devedor pediu para não ser contatado (opt-out)."
    if debtor.debt_status == "paid":
        return "A dívida já está paga."
    if debtor.debt_status == "disputed":
        return "O devedor contestou a dívida; a cobrança fica suspensa até a resposta."
    if debtor.debt_status == "deceased":
        return "Informaram o falecimento do titular; não há cobrança."
    if debtor.prescribed:
        return "A dívida tem mais de 5 anos de atraso (prescrita) e não pode ser cobrada ativamente."
    today = now.astimezone(SAO_PAULO).date()
    if debtor.promised_payment_date is not None and debtor.promised_payment_date >= today:
        return f"O devedor prometeu pagar em {debtor.promised_payment_date:%d/%m/%Y}; aguarde essa data."
    if debtor.follow_up_date is not None and debtor.follow_up_date > today:
        # "Agora não dá, depois eu vejo": one follow-up, on the day the bot told the debtor, not before.
        return f"O devedor pediu para falar depois; o retorno combinado é em {debtor.follow_up_date:%d/%m/%Y}."
    if debtor.last_contact_at is not None and settings.min_contact_interval_hours > 0:
        next_ok = debtor.last_contact_at + timedelta(hours=settings.min_contact_interval_hours)
        if now < next_ok:
            local = next_ok.astimezone(SAO_PAULO)
            return f"Contato recente demais: o próximo é permitido a partir de {local:%d/%m/%Y %H:%M}."
    if not within_contact_hours(now, settings):
        return f"Fora do horário permitido para cobrança ({settings.contact_hours}, horário de Brasília)."
    if debtor.debt_amount <= 0:
        return f"Não há valor em aberto ({brl(debtor.debt_amount)})."
    return None
