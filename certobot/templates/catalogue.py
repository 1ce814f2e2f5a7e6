"""Every text the team may edit: its placeholders, its default, its limits and what the law asks of it.

The placeholders of a text are exactly the values the code hands it when it speaks; a template that
names another one could not be filled, so the service refuses it (and refuses a missing required one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from certobot.lifecycle import texts as life
from certobot.negotiation import brain, texts
from certobot.templates.active import WHATSAPP_SETTINGS, Phrases

WHATSAPP_TEXT_MAX = 4096  # Cloud API: the body of a text message
# Meta: lower-case letters, digits and underscores, at most 512 characters.
WHATSAPP_NAME_MAX = 512
PART_MAX = 600  # a sentence added to another text (the receipt's extra lines)

# What each placeholder stands for, shown beside the editor; the sample fills the preview.
PLACEHOLDERS: dict[str, str] = {
    "creditor": "Nome do credor (quem cobra)",
    "cnpj": "CNPJ do credor",
    "left": "Quantas tentativas ainda restam (número)",
    "s": "“s” do plural quando resta mais de uma tentativa (ou vazio)",
    "name": "Primeiro nome do devedor",
    "first_name": "Primeiro nome do devedor (vazio se não soubermos)",
    "who": "“, Nome” quando sabemos o nome (ou vazio)",
    "hi": "Saudação com o nome, ex.: “Oi, Maria, tudo bem?”",
    "what": "“do seu acordo” ou “da parcela 2 de 5”",
    "amount": "Valor em reais, ex.: R$ 150,00",
    "missing": "Quanto falta pra completar a parcela",
    "excess": "Quanto veio a mais",
    "when": "“vence hoje”, “vence amanhã” ou “vence em 3 dias”",
    "due": "Data de vencimento (dd/mm)",
    "promised": "Data que o devedor prometeu pagar (dd/mm)",
    "debt": "A dívida, ex.: “a fatura do cartão vencida”",
    "original_creditor": "Com quem a dívida foi feita (credor original)",
    "offers": "As propostas que a política permite hoje, com os valores (à vista e parcelado)",
    "offer": "O acordo fechado: valor, parcelas e vencimento",
}

Group = Literal["identificação", "negociação", "situações", "encerramentos", "pagamentos", "whatsapp"]
LEGAL_IDENTIFY = (
    "CDC art. 42-A: quem cobra se identifica com o nome e o CNPJ do credor, pra pessoa poder conferir "
    "e não cair em golpe."
)
LEGAL_NAME = "CDC art. 42-A: a primeira mensagem diz em nome de quem a cobrança é feita."


@dataclass(frozen=True)
class Spec:
    key: str
    group: Group
    label: str
    placeholders: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    max_length: int = WHATSAPP_TEXT_MAX
    legal: str | None = None
    phrases: Phrases | None = None  # texts: the code's defaults; None for an approved template's name
    # Approved WhatsApp templates: what each {{n}} parameter carries (filled by the code, not editable).
    parameters: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["text", "whatsapp"]:
        return "text" if self.phrases is not None else "whatsapp"

    @property
    def setting(self) -> str | None:
        return WHATSAPP_SETTINGS.get(self.key)


def _t(
    phrases: Phrases,
    group: Group,
    label: str,
    placeholders: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    legal: str | None = None,
    max_length: int = WHATSAPP_TEXT_MAX,
) -> Spec:
    return Spec(phrases.key, group, label, placeholders, required, max_length, legal, phrases)


def _wa(key: str, label: str, parameters: tuple[str, ...], legal: str | None = None) -> Spec:
    return Spec(key, "whatsapp", label, max_length=WHATSAPP_NAME_MAX, legal=legal, parameters=parameters)


SPECS: tuple[Spec, ...] = (
    _t(
        texts.GREETING, "identificação", "Saudação (primeira resposta)", ("creditor", "cnpj"), ("creditor",), LEGAL_NAME
    ),
    _t(
        texts.IDENTITY_BEFORE_VALIDATION,
        "identificação",
        "Quem é você? (identificação do credor)",
        ("creditor", "cnpj"),
        ("creditor", "cnpj"),
        LEGAL_IDENTIFY,
    ),
    _t(texts.ASK_DIGITS_AGAIN, "identificação", "Pedir os 3 dígitos do CPF de novo"),
    _t(texts.WRONG_DIGITS, "identificação", "Dígitos do CPF não conferem", ("left", "s"), ("left",)),
    _t(texts.VALIDATION_FAILED, "identificação", "Identidade não confirmada (encerra)"),
    _t(texts.IDENTITY_LOCKED, "identificação", "Identidade bloqueada por tentativas"),
    _t(texts.SECOND_FACTOR_ASK, "identificação", "Segunda confirmação (mês do vencimento)"),
    _t(texts.SECOND_FACTOR_AGAIN, "identificação", "Segunda confirmação de novo"),
    _t(texts.CPF_WHY, "identificação", "Por que pedimos o CPF"),
    _t(texts.BOT_BEFORE_VALIDATION, "identificação", "“Você é um robô?” antes da identificação"),
    _t(texts.DEBT_BEFORE_VALIDATION, "identificação", "Pergunta sobre a dívida antes da identificação"),
    _t(
        texts.UNKNOWN_NUMBER,
        "identificação",
        "Número sem cadastro",
        ("creditor",),
        ("creditor",),
        LEGAL_NAME,
    ),
    _t(
        brain.OFFER_OPENING,
        "negociação",
        "Primeira proposta (depois da identidade)",
        ("name", "debt", "due", "original_creditor", "amount", "offers"),
        ("amount", "offers"),
    ),
    _t(brain.AGREEMENT_CLOSED, "negociação", "Acordo fechado", ("name", "offer"), ("offer",)),
    _t(texts.MEDIA, "situações", "Áudio, foto ou figurinha"),
    _t(texts.HANDOFF, "situações", "Passar para uma pessoa da equipe"),
    _t(texts.CALM_BEFORE_VALIDATION, "situações", "Pessoa irritada antes da identificação"),
    _t(texts.LATER_BEFORE_VALIDATION, "situações", "“Depois eu vejo” antes da identificação"),
    _t(texts.OPERATOR_RETURNED, "situações", "A assistente volta depois do atendente"),
    _t(texts.AGREEMENT_DELIVERY, "encerramentos", "Acordo fechado: boleto e PIX a caminho"),
    _t(texts.OPT_OUT, "encerramentos", "Pediu para parar"),
    _t(texts.WRONG_PERSON, "encerramentos", "Número de outra pessoa"),
    _t(texts.DECEASED, "encerramentos", "Titular falecido", ("creditor",)),
    _t(texts.TIMEOUT, "encerramentos", "Sem resposta (encerra)"),
    _t(texts.AFTER_ACKNOWLEDGED, "encerramentos", "“Ok” depois de um encerramento"),
    _t(texts.AFTER_CLAIMED_PAID, "encerramentos", "Depois do “já paguei”: a equipe confere"),
    _t(texts.AFTER_WRONG_NUMBER, "encerramentos", "Depois do “número errado”: já saiu da lista"),
    _t(texts.AFTER_THIRD_PARTY, "encerramentos", "Terceiro insiste"),
    _t(texts.AFTER_DECEASED, "encerramentos", "Depois do falecimento"),
    _t(texts.AFTER_DISPUTE, "encerramentos", "Contestação em análise", ("creditor",)),
    _t(texts.AFTER_BLOCKED, "encerramentos", "Nada a cobrar", ("name", "creditor")),
    _t(life.RECEIPT, "pagamentos", "Recibo de pagamento", ("amount", "what"), ("amount",)),
    _t(
        life.RECEIPT_MISSING,
        "pagamentos",
        "Recibo: quanto falta na parcela",
        ("missing",),
        ("missing",),
        None,
        PART_MAX,
    ),
    _t(life.RECEIPT_EXCESS, "pagamentos", "Recibo: valor pago a mais", ("excess",), ("excess",), None, PART_MAX),
    _t(life.CLOSING, "pagamentos", "Acordo quitado", ("who", "first_name")),
    _t(
        life.REMINDER,
        "pagamentos",
        "Lembrete de vencimento",
        ("hi", "first_name", "what", "amount", "when", "due"),
        ("amount", "due"),
    ),
    _t(
        life.FOLLOWUP,
        "pagamentos",
        "Parcela vencida sem pagamento",
        ("hi", "first_name", "what", "amount", "due"),
        ("amount", "due"),
    ),
    _t(life.PROMISE_FOLLOWUP, "pagamentos", "Promessa de pagamento vencida", ("hi", "first_name", "promised")),
    _t(life.LATER_FOLLOWUP, "pagamentos", "Retorno no dia combinado", ("hi", "first_name")),
    _wa(
        "wa_opening",
        "Modelo aprovado: abertura (fora da janela de 24 h)",
        ("Primeiro nome do devedor", "Nome do credor"),
        LEGAL_NAME + " O nome do credor vai sempre no parâmetro {{2}}.",
    ),
    _wa("wa_receipt", "Modelo aprovado: recibo", ("Valor pago", "Número da parcela", "Total de parcelas")),
    _wa("wa_closing", "Modelo aprovado: acordo quitado", ("Primeiro nome do devedor",)),
    _wa(
        "wa_reminder",
        "Modelo aprovado: lembrete de vencimento",
        ("Primeiro nome do devedor", "Valor", "Parcela (ex.: 2/5)", "Vencimento (dd/mm/aaaa)"),
    ),
    _wa("wa_followup", "Modelo aprovado: acompanhamento", ("Primeiro nome do devedor", "Data (dd/mm/aaaa)")),
)
BY_KEY: dict[str, Spec] = {s.key: s for s in SPECS}
