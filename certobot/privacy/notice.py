"""The LGPD notice (art. 9 and 41): who controls the debtor's data and how to reach the encarregado.

Said once, at the end of the first message after identity is confirmed: before that, the person on
the line may not be the debtor, and nothing about the debtor is said to them.
"""

from __future__ import annotations

from certobot.config import BotSettings

NOTICE = (
    "\n\nSeus dados são tratados pela {controller}, controladora nos termos da LGPD, para a cobrança "
    "e negociação desta dívida. Dúvidas ou pedidos sobre seus dados: fale com nosso encarregado pelo {dpo}."
)


def privacy_notice(settings: BotSettings) -> str:
    return NOTICE.format(controller=settings.data_controller_name or settings.creditor_name, dpo=settings.dpo_contact)
