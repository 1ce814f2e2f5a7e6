"""One conversation turn, from a debtor's message to the bot's replies and the CRM's outcome.

This is the one place where the domains meet: WhatsApp (what came in, what goes out), identity
(the CPF challenge), the negotiation brain, and the CRM (debtor lookups, outcomes, contact log).
It decides from what one statement read (`turnstore.TurnRead`) with nothing open — no transaction,
row lock or pooled connection while the CRM or the model answers — and collects every effect it
decides (transcript, replies, outcome, contact entries, identity rows, the session's durable copy)
in a `TurnWork`, which the pipeline writes in one statement guarded by the conversation's version,
while it holds the conversation's lock; the effects happen once, after that commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from certobot.config import BotSettings
from certobot.crm.client import CrmClient, CrmUnavailable
from certobot.crm.schemas import (
    ContactKind,
    ContactRequest,
    ConversationOutcome,
    DebtorInfo,
    OutcomeKind,
    OutcomeReason,
)
from certobot.live.switch import SwitchCache
from certobot.metrics import IDENTITY_LOCKS, VALIDATION_FAILURES
from certobot.negotiation import after_deal, texts, worries
from certobot.negotiation.after_deal import AfterDeal
from certobot.negotiation.brain import (
    DATA_ACCESS_NOTE,
    DISCRETION_TEXT,
    REPRESENTATIVE_NOTE,
    REPRESENTATIVE_TEXT,
    DebtContext,
    NegotiationState,
    Negotiator,
    OfflineNegotiator,
    TurnDecision,
    build_negotiator,
    crisis_reply,
    held_back_after_validation,
    opening_after_validation,
    plain_yes,
    third_party_text,
)
from certobot.negotiation.models import Conversation, ValidationAttempt
from certobot.negotiation.nlu import Intent, Understanding, fold, understand
from certobot.negotiation.policy import DebtTerms, Offer
from certobot.negotiation.session import LIVE, SessionState, SessionStore
from certobot.negotiation.turnstore import (
    Pending,
    TurnRead,
    TurnWork,
    apply_work,
    detached,
    read_identity,
    subject_hash,
)
from certobot.policies.book import PolicyBook
from certobot.privacy.notice import privacy_notice
from certobot.security.identity import LockPolicy
from certobot.security.models import BlockedPhone, IdentityFailure, IdentityLock
from certobot.security.second_factor import needs_second_factor, parse_month
from certobot.validation.challenge import extract_first_digits, matches_digits, named_first_digits
from certobot.whatsapp.models import Message
from certobot.whatsapp.schemas import InboundMessage
from certokit.clock import Clock, SystemClock
from certokit.copying import deep_copy
from certokit.db import utcnow
from certokit.errors import TryLater
from certokit.logging import get_logger, scrub
from certokit.money import brl, from_cents, to_cents
from certokit.whatsapp.graph import text_message

log = get_logger("certobot.flow")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
TEXT_KINDS = frozenset({"text", "button", "interactive"})
# What the rules answer whatever engine is on: the moments with legal weight are decided by the flow,
# never by how a language model happened to read them.
RULES_ONLY = frozenset(
    {
        Intent.crisis,
        Intent.distress,
        Intent.violence,
        Intent.opt_out,
        Intent.wrong_person,
        Intent.human,
        Intent.dispute,
        Intent.deceased,
        Intent.third_party,
        Intent.legal_threat,
        Intent.anger,
        Intent.later,
        Intent.prescription,
        Intent.breakdown,
        Intent.cpf_why,
        Intent.already_paid,
    }
)


# After these endings the debtor, already identified in this thread, may take the negotiation up again.
RESUMABLE: frozenset[str] = frozenset({"refused", "follow_up", "payment_promise", "claimed_paid", "legal_threat"})
# What a message says that comes before its digits: a person in danger, "não sou eu", "pare", someone
# else's CPF, a death. Everything else that names the CPF's digits is an answer to the challenge.
ANSWER_YIELDS_TO = frozenset(
    {
        Intent.crisis,
        Intent.opt_out,
        Intent.wrong_person,
        Intent.third_party,
        Intent.deceased,
        Intent.violence,
        Intent.distress,
        Intent.human,
    }
)
# After an agreement: "PARAR" stops the messages, never the deal; despair is heard without a word of money.
AFTER_AGREEMENT_OPT_OUT = (
    "Tudo certo: não vou mais te mandar mensagens. O acordo continua valendo e os boletos que você já recebeu "
    "servem pra pagar. Se quiser cancelar antes do primeiro pagamento, é só escrever *cancelar*.",
    "Anotado, sem mais mensagens nossas. Seu acordo segue de pé com os boletos que já estão com você; pra "
    "cancelar antes de pagar, escreva *cancelar*.",
)
AFTER_AGREEMENT_DISTRESS = (
    "Sinto muito que esteja tão pesado. Não precisa pensar nisso agora: se precisar mudar ou cancelar o acordo "
    "antes de pagar, é só me dizer, sem pressa. Se a cabeça pesar demais, o CVV escuta de graça no *188*, 24 horas.",
    "Obrigada por me contar, e sinto muito. O acordo pode esperar você ficar melhor; se quiser ajustar, é só "
    "falar. E se precisar desabafar, o CVV atende no *188*, a qualquer hora.",
)
# A lawyer or attorney, after the first answer: the same, in other words; the request is with the team.
AFTER_REPRESENTATIVE = (
    "Seu pedido está registrado com a nossa equipe, que confere a procuração e responde formalmente. Por este canal "
    "não informo nada sobre o débito.",
    "A equipe responsável já tem o seu pedido e vai responder depois de conferir a procuração. Por aqui, por "
    "segurança do titular, não passo informação nenhuma.",
)
# Refusing the CPF for good, before it ("esquece então, tchau"): a goodbye, not the question again.
_LEAVING = re.compile(
    r"\b(tchau|xau|esquece|deixa pra la|nao quero (mais|saber|nada)|nao vou (passar|dar|informar)|nem vem)\b"
    r"|^(ah,? |entao,? |ta,? |ok,? )?deixa\b(?! (eu|que eu|ver|so|pra (amanha|depois|outro dia|semana)))"
)
# After a death was told: "sou obrigado a pagar a dívida dele?" gets the rule (no debt passes to the
# family; only what was left, in the inventário, and up to its value), never silence or a pitch.
_HEIR_Q = re.compile(
    r"\b(obrigad[oa]s?|tenho que|temos que|vou ter que|preciso|a gente tem que) (a )?(pagar|assumir|quitar)"
    r"|\bheranc|\bherdeir|\binventario|\bespolio|\bpassa (pra|para) (mim|os filhos|a familia)"
)
_DEATH_PAPERS = re.compile(
    r"\b(certidao|atestado)( de obito)?\b|\b(mando|mandar|envio|enviar) .{0,20}(documento|obito)"
    r"|\bo que (eu )?(preciso|tenho que|devo) (mandar|enviar|fazer|apresentar|levar)"
)
# After a dispute: the papers that show the debt, asked for ("o cálculo mês a mês", "o contrato").
_PAPERS_ASKED = re.compile(r"\b(calculo|contrato|extrato|planilha|demonstrativo|detalhamento|memoria de calculo)\b")
# "O que vocês queriam com ele? sou a viúva": what it was about is not told even to the family.
_WHAT_WAS_IT = re.compile(
    r"\b(o ?que|oq|q) (voces|vcs|vc|voce)? ?(queriam|queria|querem) (com|falar com)"
    r"|\b(queriam|queria|querem) (falar )?(o ?que|oq)\b|\b(ele|ela) (devia|deve|tinha) (alguma|algum)\b"
    r"|\b(do que|sobre o que|era sobre o que|e sobre o que) (se trata|era|e)\b|\bquero saber\b"
)
AFTER_DECEASED_WHAT = (
    "Entendo a vontade de saber, e sinto muito. Mas, por sigilo (LGPD), não posso contar do que se tratava nem "
    "pra família. Nada vai ser cobrado de você: dívida não passa pra viúva nem pros filhos, só pode ser tratada no "
    "inventário, com o inventariante. Se quiser falar disso com uma pessoa da equipe, escreva *atendente*.",
    "Sei que é difícil ficar sem saber. Por sigilo, só posso tratar desse assunto com o titular ou, no "
    "inventário, com quem responde pelo espólio. Você não tem nada a pagar, e este número não recebe mais "
    "cobranças. Pra falar com uma pessoa, escreva *atendente*.",
)
AFTER_DECEASED_HEIRS = (
    "Não: dívida não passa para os filhos nem para a família. Ela só pode ser cobrada do que a pessoa deixou (a "
    "herança, no inventário), e só até o valor disso. Ninguém vai te cobrar nada por este número. Se quiser "
    "enviar a certidão de óbito, escreva *atendente* que uma pessoa da equipe recebe.",
    "Pode ficar em paz quanto a isso: a família não herda dívida. Ela só pode ser paga com os bens que ficaram, "
    "no inventário, até esse valor, e nada vai ser cobrado de você por aqui. Pra enviar a certidão de óbito, "
    "escreva *atendente*.",
)
AFTER_DECEASED_PAPERS = (
    "Se quiser enviar a certidão de óbito, escreva *atendente* que uma pessoa da equipe recebe e registra. "
    "Ninguém vai cobrar nada por este número. Nossos sentimentos.",
    "A certidão de óbito pode ser enviada pra nossa equipe: é só escrever *atendente*. Por aqui não haverá "
    "nenhuma cobrança. Sentimos muito.",
)
# After "pare de me mandar mensagem": what is still that, and what it is told.
STILL_OPTED_OUT = frozenset(
    {Intent.anger, Intent.opt_out, Intent.refuse, Intent.unknown, Intent.legal_threat, Intent.breakdown}
)
AFTER_OPT_OUT = (
    "Pode deixar: você não vai receber mais mensagens nem ligações nossas sobre isso. Desculpa o incômodo. "
    "Se um dia quiser negociar, é só escrever *negociar* aqui.",
    "Está anotado: nada mais de mensagens nem ligações. Sinto muito pelo transtorno. Se mudar de ideia, "
    "é só escrever *negociar*.",
)
# "Isso, segunda depois das 8": the call back's day agreed once more; nothing else asked of them.
AFTER_FOLLOW_UP_AGREED = (
    "Combinado, anotei! Te chamo no dia que a gente marcou, uma vez só. Até lá!",
    "Fechado o dia, então: anotado aqui. Falo com você nele, e se quiser antes é só escrever.",
)
# After a legal threat, more of it: the lawyer's way in, and no proposal pushed.
AFTER_LEGAL = (
    "Anotado: daqui pra frente, o assunto fica com o seu advogado. Ele pode falar com a equipe da {creditor} pelos "
    "canais oficiais, com a procuração, e eu não te mando proposta por aqui.",
    "Entendido, está registrado. Quem te representa pode procurar a {creditor} quando quiser; por aqui, sem "
    "nenhuma cobrança até lá.",
)
# After a dispute: where the proof goes (the BO, the invoice, the protocols).
_PROOF_SENT = re.compile(
    r"\b(onde|pra onde|como|pra quem) (eu )?(mando|envio|entrego|anexo|mandar|enviar)\b"
    r"|\b(tenho|guardei|tenho guardad[oa]s?) (o |a |os |as )?(bo|boletim|nota fiscal|nota|protocolos?|comprovantes?|"
    r"prints?|carta)\b"
)
AFTER_DISPUTE_PROOF = (
    "Guarda tudo isso, que ajuda na análise. Pra anexar o documento à sua contestação, escreva *atendente*: uma "
    "pessoa da equipe recebe e junta ao processo. A cobrança segue suspensa enquanto isso.",
    "Fez bem em guardar. Pra enviar o documento, escreva *atendente* que uma pessoa da equipe recebe e anexa à "
    "sua contestação; enquanto a análise não termina, a cobrança fica suspensa.",
)
# After a third party: the titular's death told, the wish for no more messages, what to do for the titular.
_STOP_HERE = re.compile(r"\b(nao|n) (manda|mande|mandem|envia|enviem)( mais)? (msg|mensage|nada)|\bpar[ae] de mandar\b")
_WHAT_TO_DO = re.compile(r"\b(o ?que|oq) (eu )?(faco|posso fazer|devo fazer|a gente faz|a gente pode fazer)\b")
AFTER_THIRD_PARTY_DEATH = (
    "Sinto muito pela sua perda, de coração 🙏 Vou registrar o falecimento e este número não vai mais receber "
    "mensagens nossas. Se a família precisar de alguma informação, a {creditor} atende quando vocês quiserem, "
    "sem pressa.",
)
AFTER_THIRD_PARTY_STOP = (
    "Entendo, e sinto muito pelo incômodo. Anotado: este número não vai mais receber nossas mensagens.",
)
AFTER_THIRD_PARTY_WHAT_TO_DO = (
    "Quem pode tratar disso é a própria titular ou quem responde legalmente por ela: um curador (com a curatela) ou "
    "um procurador, com o documento. Essa pessoa pode falar com a {creditor} pelos canais oficiais, sem pressa.",
)
# Before the CPF: where the number came from, and that this is no delivery; nothing about any debt.
HOW_NUMBER_BEFORE_VALIDATION = (
    "Seu número está no cadastro do cliente que contratou a {creditor}: foi informado lá, num contrato ou compra. "
    "A gente não compra lista nem pega número na internet. Pra eu saber que falo com a pessoa certa, me confirma "
    "os 3 primeiros dígitos do seu CPF?",
    "Veio do cadastro de quem contratou a {creditor}, onde este número foi informado. Não passamos seu número pra "
    "ninguém. Se quiser seguir, me manda só os 3 primeiros dígitos do CPF.",
)
NOT_A_DELIVERY = (
    "Não é sobre entrega nem encomenda: aqui é a assistente virtual da {creditor}, com um assunto pessoal pra "
    "tratar com o titular deste número. Pra sua segurança, me confirma os 3 primeiros dígitos do seu CPF?",
    "Não tem a ver com pacote ou pedido, viu? É um assunto pessoal da {creditor} com o titular. Se for você, me "
    "manda os 3 primeiros dígitos do CPF.",
)
# "Tá, obg" after "tira meu número": a short word back, the promise kept, nothing asked.
AFTER_OPT_OUT_THANKS = (
    "De nada! Está anotado: não te mando mais mensagens. Se um dia quiser negociar, é só escrever *negociar*.",
    "Por nada. Seu número já saiu da nossa lista; se mudar de ideia, é só escrever *negociar* aqui.",
)
# Before the CPF, in hospital or under treatment: nothing about any debt, health first, the way on.
ILLNESS_BEFORE_VALIDATION = (
    "Sinto muito, e melhoras! Sua saúde vem antes de tudo: não precisa resolver nada agora. Quando estiver "
    "melhor e quiser seguir, me manda os 3 primeiros dígitos do seu CPF; se preferir uma pessoa, escreva "
    "*atendente*.",
    "Poxa, sinto muito. Cuida de você primeiro, isso pode esperar. Quando quiser, é só me mandar os 3 "
    "primeiros números do CPF que a gente conversa com calma.",
)
NOT_AN_ANSWER = frozenset(
    {
        Intent.already_paid,
        Intent.promise,
        Intent.hardship,
        Intent.installments,
        Intent.cash,
        Intent.amount,
        Intent.refuse,
        Intent.debt_question,
    }
)


def _a_guess(text: str, heard: Understanding) -> bool:
    """ "Não? então 000": a few words around three digits is another try at the CPF, and uses up an attempt
    (otherwise a "não" in front would let anyone guess forever); "não devo 500 reais" stays a sentence."""
    return (
        heard.intent is Intent.refuse
        and len(fold(text).split()) <= 4
        and heard.amount_cents is None
        and extract_first_digits(text) is not None
    )


# Checked after the CPF, whoever started the conversation: (reason, applies, what the debtor reads).
BLOCKS: list[tuple[OutcomeReason, Callable[[DebtorInfo], bool], str]] = [
    (
        "deceased",
        lambda d: d.debt_status == "deceased",
        "Consta aqui o falecimento do titular, então não há nenhuma cobrança por este número. Sentimos muito.",
    ),
    (
        "debt_paid",
        lambda d: d.debt_status == "paid",
        "Obrigada, {name}! Consta aqui que essa dívida já está paga ✅ Não há nada a pagar, e a gente não vai te "
        "cobrar por ela.",
    ),
    (
        "debt_disputed",
        lambda d: d.debt_status == "disputed",
        "Obrigada, {name}. Sua contestação dessa dívida está em análise, e a cobrança segue suspensa até a "
        "resposta, que chega por aqui. Não precisa fazer nada agora.",
    ),
    (
        "debt_prescribed",
        lambda d: d.prescribed,
        "Obrigada, {name}. Essa dívida venceu em {due:%d/%m/%Y}, há mais de 5 anos: está prescrita e não pode ser "
        "cobrada, então não vou te oferecer nada por aqui. Se mesmo assim quiser quitar por vontade própria, escreva "
        "*atendente* que uma pessoa da equipe te ajuda.",
    ),
    (
        "opt_out",
        lambda d: d.opted_out,
        "Obrigada, {name}. Você pediu pra não receber mensagens de cobrança, então não vou te oferecer nada por "
        "aqui. Se quiser negociar mesmo assim, escreva *atendente* que uma pessoa da equipe te atende.",
    ),
]


def only_acknowledges(text: str) -> bool:
    """A short reply that only acknowledges ("ok", "blz, valeu", "tá bom 👍"): no number, no terms, no ask."""
    heard = understand(text, today_sp())
    words = fold(text).split()
    return (
        0 < len(words) <= 3
        and not any(ch.isdigit() for ch in text)
        and "?" not in text
        and not heard.proposes_terms
        and heard.intent in (Intent.accept, Intent.refuse, Intent.unknown, Intent.hardship)
    )


def agreement_summary(outcome: dict[str, Any]) -> str:
    """What was agreed, from the outcome the CRM holds: "R$ 880,00 em 1x, 1º vencimento 25/11/2026, por boleto"."""
    amount = brl(Decimal(str(outcome.get("agreed_amount") or "0")))
    n = outcome.get("installments") or 1
    first = outcome.get("payment_date")
    when = f", 1º vencimento em {date.fromisoformat(first):%d/%m/%Y}" if first else ""
    down = outcome.get("down_payment_amount")
    entrada = f", com entrada de {brl(Decimal(str(down)))}" if down else ""
    how = "PIX" if outcome.get("payment_method") == "pix" else "boleto"
    return f"total de {amount} em {n}x{entrada}{when}, por {how}"


def agreed_negotiation(conv: Conversation) -> NegotiationState | None:
    """How a closed conversation's negotiation ended (its `agreement`, its method), from the session's
    durable copy; None when there is none to read."""
    if not conv.session:
        return None
    try:
        return SessionState.model_validate(conv.session).negotiation
    except ValidationError:
        return None


@dataclass(frozen=True)
class Ending:
    """How an action that ends (or marks) the conversation is recorded: one row of a table, not an if-chain."""

    outcome: OutcomeKind | None  # None: the conversation goes on, only the contact is logged
    reason: OutcomeReason
    contact: ContactKind | None
    status: str = "completed"


ENDINGS: dict[str, Ending] = {
    "refused": Ending("unsuccessful", "refused", "refused"),
    "opt_out": Ending("unsuccessful", "opt_out", "opt_out"),
    "wrong_person": Ending("no_contact", "wrong_number", "wrong_number"),
    "claimed_paid": Ending("unsuccessful", "claimed_paid", "claimed_payment"),
    "promise": Ending("partially_successful", "payment_promise", "payment_promise"),
    "dispute": Ending("unsuccessful", "dispute", "dispute"),
    "deceased": Ending("no_contact", "deceased", "deceased"),
    "third_party": Ending("no_contact", "third_party", "third_party"),
    "later": Ending("unsuccessful", "follow_up", "follow_up"),
    "legal_threat": Ending("unsuccessful", "legal_threat", "legal_threat"),
    "handoff": Ending(None, "refused", "handoff", status="handoff"),
}


def queue_outcome(w: TurnWork, outcome: ConversationOutcome) -> None:
    """Keyed by session id twice over: the outbox row and the CRM's own idempotency."""
    w.put(
        kind="crm_outcome",
        key=f"outcome:{outcome.session_id}",
        payload=outcome.model_dump(mode="json"),
        conversation_id=outcome.session_id,
    )


def queue_contact(w: TurnWork, cpf: str, entry: ContactRequest, key: str) -> None:
    w.put(
        kind="crm_contact",
        key=key,
        payload={"cpf": cpf, "entry": entry.model_dump(mode="json")},
        conversation_id=entry.session_id,
    )


def queue_cancel(w: TurnWork, session_id: str) -> None:
    """The CRM cancels an agreement (its boletos stop being valid) once this row is delivered."""
    w.put(kind="crm_cancel", key=f"cancel:{session_id}", payload={"session_id": session_id}, conversation_id=session_id)


def today_sp() -> date:
    return datetime.now(SAO_PAULO).date()


def mask_digits(text: str) -> str:
    """What the transcript keeps of an answer to the CPF challenge: no digit, no number word."""
    masked = re.sub(r"\d", "•", text)
    return re.sub(r"\b(zero|um|uma|dois|duas|tr[eê]s|quatro|cinco|seis|sete|oito|nove)\b", "•", masked, flags=re.I)


def guard_agreement(
    rules: OfflineNegotiator, ctx: DebtContext, before: NegotiationState, heard: Understanding, d: TurnDecision
) -> TurnDecision:
    """Whatever engine worded the turn, a deal closes only on a plain yes to the terms last shown.

    The rules read the debtor's own words for what they change (a date, an amount, a count, an entrada,
    a discount, the method): a model that heard "yes" in "sim, mas só dia 5" does not close the deal;
    the rules' answer (a new proposal, asked again) goes out instead.
    """
    if d.action != "agreement":
        return d
    shown = before.pending_offer
    ok = (
        before.awaiting_confirmation
        and shown is not None
        and d.agreement is not None
        and d.agreement.terms_key() == shown.terms_key()
        and plain_yes(heard, shown, before, ctx.policy)
        and not ctx.policy.check(shown)  # shown before an admin changed the policy: not ours to close now
    )
    if ok:
        return d
    log.warning("agreement_refused_by_flow", engine=d.engine)
    return rules.decide(ctx, before, heard)


@dataclass
class Turn:
    """What one turn decided; written out by `ConversationFlow._commit`."""

    replies: list[str]
    contact: ContactRequest | None = None
    outcome: ConversationOutcome | None = None
    understood: Intent | None = None  # what the bot took the message for (None: it did not try)


def review_tag(turn: Turn, status: str) -> tuple[str | None, str | None]:
    """The inbound message's `understood` and `review` columns: the team's "não entendidas" queue."""
    understood = turn.understood.value if turn.understood is not None else None
    if turn.understood is Intent.unknown:
        return understood, "fallback"
    if turn.understood is not None and status == "handoff":
        return understood, "handoff"
    return understood, None


class ConversationFlow:
    def __init__(
        self,
        settings: BotSettings,
        crm: CrmClient,
        sessions: SessionStore,
        negotiator: Negotiator,
        clock: Clock | None = None,
        engine: AsyncEngine | None = None,
        policies: PolicyBook | None = None,
        switches: SwitchCache | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.policies = policies or PolicyBook()  # empty: the built-in default policy
        self.switches = switches or SwitchCache()
        self.crm = crm
        self.sessions = sessions
        self.negotiator = negotiator
        self.clock = clock or SystemClock()
        self.lock_policy = LockPolicy(
            max_failures=settings.identity_max_failures, lock_for=timedelta(hours=settings.identity_lock_hours)
        )
        self.rules = OfflineNegotiator()

    # --- entry point (the TurnHandler protocol) -------------------------------------------------

    async def decide(
        self, read: TurnRead, event: Pending, cached: SessionState | None, crm: CrmClient | None = None
    ) -> TurnWork:
        """Decide one inbound event from what was read, with nothing open; the caller writes the work."""
        w = TurnWork(read=read, events=[event.id], crm=crm or self.crm, cached=cached)
        msg = InboundMessage.model_validate(event.payload)
        await self._decide(w, msg)
        return w

    async def _decide(self, w: TurnWork, msg: InboundMessage) -> None:
        read = w.read
        assert read is not None
        # Kept in the process (certobot.live.switch): read from Postgres only when it may have changed.
        to_people = await self.switches.handoff_all_via(self.engine)
        conv = w.track(read.live) if read.live is not None else None
        if conv is None:
            # Messages after an outcome reach that conversation's context, not a blank one.
            recent = read.recent
            if recent is not None and not to_people and await self._after_outcome(w, w.track(recent), msg):
                return
            conv, debtor = await self._open_inbound(w, msg)
            if debtor is None:
                self._record_inbound(w, conv, msg, masked=True)
                self._say(
                    w,
                    conv,
                    f"reply:{msg.wamid}",
                    [texts.pick(texts.UNKNOWN_NUMBER, 0).format(creditor=self._creditor)],
                )
                conv.status, conv.phase, conv.ended_at = "completed", "completion", utcnow()
                return
        state = self._state(w, conv)
        inbound = self._inbound(conv, msg, masked=state.phase == "validation")
        w.message(inbound)  # first, as received; tagged below once the turn is decided (written later)
        conv.last_inbound_at = utcnow()
        if msg.wa_id and conv.wa_id != msg.wa_id:
            conv.wa_id = msg.wa_id
        if state.status == "handoff":
            if conv.attention == "crisis":
                # Nobody of the team has written yet: a person who spoke of ending their life is not left
                # in silence. Each message gets the CVV again, never an offer.
                self._commit(w, conv, state, f"{msg.wamid}", Turn([texts.pick(texts.CRISIS_WAITING, state.said)]))
            return  # an operator owns the conversation: the bot stays silent
        turn = self._to_people(conv, state) if to_people else await self._turn(w, conv, state, msg)
        # Tagged before it is written: the review queue costs no statement of its own.
        inbound.understood, inbound.review = review_tag(turn, state.status)
        self._commit(w, conv, state, f"{msg.wamid}", turn)

    def _to_people(self, conv: Conversation, state: SessionState) -> Turn:
        """The team's switch "everything to people" is on: a person answers, nothing said about the debt."""
        state.status = "handoff"
        return Turn(
            [texts.pick(texts.TO_PEOPLE, state.said)],
            contact=ContactRequest(kind="handoff", session_id=conv.id, notes="Atendimento só por pessoas (chave)."),
        )

    # --- the turn ------------------------------------------------------------------------------

    async def _turn(self, w: TurnWork, conv: Conversation, state: SessionState, msg: InboundMessage) -> Turn:
        n = state.said
        if msg.kind not in TEXT_KINDS or not (msg.text or "").strip():
            return Turn([texts.pick(texts.MEDIA, n)])
        text = msg.text or ""
        if state.phase == "validation":
            return await self._validation_turn(w, conv, state, text, n)
        debtor = await self._debtor(w, conv)
        if debtor is None:
            return Turn([texts.pick(texts.ASK_DIGITS_AGAIN, n)])
        ctx = self._context(debtor)
        heard = understand(text, ctx.today)
        engine = self.rules if heard.intent in RULES_ONLY else self.negotiator
        decision = await engine.respond(ctx, state.negotiation, text)
        decision = guard_agreement(self.rules, ctx, state.negotiation, heard, decision)
        turn = self._apply(conv, state, debtor, decision)
        turn.understood = decision.intent
        return turn

    async def _validation_turn(self, w: TurnWork, conv: Conversation, state: SessionState, text: str, n: int) -> Turn:
        heard = understand(text, today_sp())
        # Digits named as the CPF's ("o meu cpf é 4 4 4", a long voice note with "meu cpf começa com 496"),
        # or a short answer the rules could not place ("tá... 891", which the classifier guessed about),
        # are an answer, whatever else the message says, unless it says something that must come first.
        named = named_first_digits(text)
        if named is None and understand(text, today_sp(), learned=False).intent is Intent.unknown:
            named = extract_first_digits(text)
        asked = heard  # what else the message asked ("meu cpf começa com 496, dá pra fazer em 10x?")
        if named is not None and heard.intent not in ANSWER_YIELDS_TO:
            heard = heard.model_copy(update={"intent": Intent.unknown})
        if heard.intent is Intent.distress and heard.illness:
            return Turn([texts.pick(ILLNESS_BEFORE_VALIDATION, n)], understood=heard.intent)
        if named is None and (heard.how_number or heard.delivery) and heard.intent not in ANSWER_YIELDS_TO:
            # "Quem te passou meu número??", "é da entrega?": answered plainly, nothing about any debt, then the digits.
            said = HOW_NUMBER_BEFORE_VALIDATION if heard.how_number else NOT_A_DELIVERY
            return Turn([texts.pick(said, n).format(creditor=self._creditor)], understood=heard.intent)
        if heard.intent is Intent.third_party and heard.representative:
            # Not the debtor, as any third party (nothing said, the conversation ends), but the team is told
            # to check the power of attorney and answer them.
            state.end("completed")
            return Turn(
                [REPRESENTATIVE_TEXT],
                contact=ContactRequest(kind="third_party", session_id=conv.id, notes=REPRESENTATIVE_NOTE),
                outcome=self._outcome(conv, state, "no_contact", reason="third_party", notes=REPRESENTATIVE_NOTE),
                understood=heard.intent,
            )
        if heard.intent in (Intent.refuse, Intent.unknown) and _LEAVING.search(fold(text)):
            # Asked for the digits and refused for good ("esquece então, tchau"): a kind goodbye, not the
            # question again; nothing about the debt was said, and the way back stays open.
            state.end("completed")
            return Turn(
                [texts.pick(texts.GOODBYE_BEFORE_VALIDATION, n)],
                outcome=self._outcome(conv, state, "no_contact", reason="refused", notes="Não quis se identificar."),
                understood=heard.intent,
            )
        special = self._special_before_validation(conv, state, heard.intent, n, someone_else=heard.someone_else)
        if special is not None:
            special.understood = heard.intent
            return special
        now = self.clock.now()
        if self._locked_until(w, conv, now) is not None:
            return self._identity_locked(conv, state, "Mensagem durante o bloqueio de autoatendimento.")
        if state.second_factor:
            return await self._second_factor_turn(w, conv, state, text, n, now)
        # A message that says something else ("já paguei 200 reais", "dá pra parcelar em 10x?") is not an
        # answer to the challenge, whatever digits it holds: no attempt is used up.
        digits = named or (
            None if heard.intent in NOT_AN_ANSWER and not _a_guess(text, heard) else extract_first_digits(text)
        )
        if digits is None and heard.intent in NOT_AN_ANSWER:
            state.prompts += 1
            if heard.intent is Intent.hardship:
                # "Perdi o emprego semana passada": heard before anything, then the question that must come first.
                return Turn([texts.pick(texts.HARDSHIP_BEFORE_VALIDATION, n)])
            return Turn([texts.pick(texts.DEBT_BEFORE_VALIDATION, n)])
        if digits is None and heard.assisted:
            state.prompts += 1
            return Turn([texts.pick(texts.ASSISTED_BEFORE_VALIDATION, n)], understood=heard.intent)
        if digits is None:
            state.prompts += 1
            if state.prompts == 1:
                return Turn(
                    [texts.pick(texts.GREETING, 0).format(creditor=self._creditor, cnpj=self.settings.creditor_cnpj)]
                )
            # Asked for the digits again: a message the bot could not place is one for the team to read.
            return Turn([texts.pick(texts.ASK_DIGITS_AGAIN, n)], understood=heard.intent)
        state.validation_attempts += 1
        conv.validation_attempts = state.validation_attempts
        ok = conv.debtor_cpf is not None and matches_digits(digits, conv.debtor_cpf)
        w.add(
            ValidationAttempt(
                conversation_id=conv.id,
                attempt=state.validation_attempts,
                success=ok,
                reason=None if ok else "digits_mismatch",
                created_at=utcnow(),
            )
        )
        if ok:
            debtor = await self._debtor(w, conv)
            if debtor is None:
                state.validation_attempts -= 1  # not the debtor's fault: try again later
                return Turn(["Estou com uma instabilidade aqui. Pode me mandar de novo daqui a pouquinho?"])
            if needs_second_factor(debtor.debt_amount, self.settings.second_factor_min_amount):
                state.second_factor = True
                return Turn([texts.pick(texts.SECOND_FACTOR_ASK, 0)])
            return self._validated(conv, state, debtor, asked if named is not None else None)
        return await self._failed_attempt(w, conv, state, now, n)

    async def _second_factor_turn(
        self, w: TurnWork, conv: Conversation, state: SessionState, text: str, n: int, now: datetime
    ) -> Turn:
        """High amounts: the 3 digits were right; the month the debt fell due confirms it is the debtor."""
        month = parse_month(text)
        if month is None:
            return Turn([texts.pick(texts.SECOND_FACTOR_AGAIN, n)])
        debtor = await self._debtor(w, conv)
        if debtor is None:
            return Turn(["Estou com uma instabilidade aqui. Pode me mandar de novo daqui a pouquinho?"])
        state.validation_attempts += 1
        conv.validation_attempts = state.validation_attempts
        ok = month == debtor.due_date.month
        w.add(
            ValidationAttempt(
                conversation_id=conv.id,
                attempt=state.validation_attempts,
                success=ok,
                reason=None if ok else "second_factor_mismatch",
                created_at=utcnow(),
            )
        )
        state.second_factor = False  # right or wrong, this question is answered; a wrong one starts over
        if ok:
            return self._validated(conv, state, debtor)
        return await self._failed_attempt(w, conv, state, now, n)

    def _validated(
        self, conv: Conversation, state: SessionState, debtor: DebtorInfo, asked: Understanding | None = None
    ) -> Turn:
        state.move("negotiation")
        blocked = self._blocked(conv, state, debtor)
        if blocked is not None:
            return blocked
        ctx = self._context(debtor)
        if asked is not None and asked.no_figures:
            # "594. mas não fala valor agora, minha sogra tá lendo": confirmed, and nothing of the debt on the
            # screen until they say so (`NegotiationState.held_back`).
            decision = held_back_after_validation(ctx, state.negotiation)
            turn = self._apply(conv, state, debtor, decision)
            turn.replies[0] += privacy_notice(self.settings)
            return turn
        decision = opening_after_validation(ctx, state.negotiation)
        turn = self._apply(conv, state, debtor, decision)
        turn.replies[0] += privacy_notice(self.settings)
        if asked is not None and asked.intent is Intent.identity_question:
            # "Começa com 294. Agora me diga o CNPJ": the digits answered, and the question too.
            cnpj = self.settings.creditor_cnpj
            who = f"Somos a {self._creditor}, CNPJ {cnpj}, e você pode conferir na Receita Federal."
            turn.replies.insert(0, who)
        if asked is not None and asked.intent in (Intent.installments, Intent.cash):
            # The digits came with a request (a voice note typed out): it is answered now, not asked again.
            more = self._apply(conv, state, debtor, self.rules.decide(ctx, state.negotiation, asked))
            turn.replies.extend(more.replies)
        return turn

    async def _failed_attempt(
        self, w: TurnWork, conv: Conversation, state: SessionState, now: datetime, n: int
    ) -> Turn:
        VALIDATION_FAILURES.inc()
        if conv.debtor_cpf is not None:
            lock = self._record_failure(
                w,
                cpf=conv.debtor_cpf,
                phone_key=conv.phone_key,
                conversation_id=conv.id,
                now=now,
                policy=self.lock_policy,
            )
            if lock is not None:
                return self._identity_locked(conv, state, "Autoatendimento bloqueado: tentativas de CPF erradas.")
        left = self.settings.max_validation_attempts - state.validation_attempts
        if left > 0:
            return Turn([texts.wrong_digits(left, n)])
        state.end("failed")
        return Turn(
            [texts.pick(texts.VALIDATION_FAILED, n)],
            contact=ContactRequest(
                kind="validation_failed",
                session_id=conv.id,
                notes=f"{state.validation_attempts} tentativas sem sucesso",
            ),
            outcome=self._outcome(
                conv, state, "no_contact", reason="validation_failed", notes="Identidade não confirmada (CPF)."
            ),
        )

    def _identity_locked(self, conv: Conversation, state: SessionState, notes: str) -> Turn:
        """Locked: nothing about the debt, a kind word, and a person takes the conversation."""
        state.status = "handoff"
        return Turn(
            [texts.pick(texts.IDENTITY_LOCKED, 0)],
            contact=ContactRequest(kind="handoff", session_id=conv.id, notes=notes),
        )

    def _blocked(self, conv: Conversation, state: SessionState, debtor: DebtorInfo) -> Turn | None:
        """Paid, prescribed, disputed, deceased and opted-out apply whoever started the conversation."""
        for reason, applies, text in BLOCKS:
            if reason == "opt_out" and conv.origin == "inbound":
                # They asked us to stop writing; writing to us themselves ("negociar", "quanto tá essa parada?") is
                # their own choice, and the opt-out stays for anything we would start.
                continue
            if applies(debtor):
                state.end("completed")
                return Turn(
                    [text.format(name=debtor.name.split()[0], due=debtor.due_date, creditor=self._creditor)],
                    outcome=self._outcome(conv, state, "unsuccessful", reason=reason, notes=text.split(".")[0] + "."),
                )
        return None

    # --- after an outcome: the same thread, the same context --------------------------------------

    async def _after_outcome(self, w: TurnWork, conv: Conversation, msg: InboundMessage) -> bool:
        """Answer in the context of the conversation that ended; False when a new one should start."""
        reason = str((conv.outcome or {}).get("reason"))
        heard = understand(msg.text or "", today_sp())
        if conv.attention == "crisis" and heard.intent is not Intent.crisis:
            # Ended, then a crisis nobody of the team has answered yet: never a renegotiation, the CVV again.
            self._record_inbound(w, conv, msg, masked=reason in ("third_party", "deceased"))
            n = conv.state_version = (conv.state_version or 0) + 1
            self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(texts.CRISIS_WAITING, n)])
            return True
        if heard.intent is Intent.crisis:
            # Whatever ended before, the person comes first; the team hears of it in the contact log and
            # sees the conversation first in the inbox.
            self._record_inbound(w, conv, msg, masked=reason in ("third_party", "deceased"))
            n = conv.state_version = (conv.state_version or 0) + 1
            conv.attention = "crisis"
            reply, notes = crisis_reply(heard.someone_else, n)
            self._say(w, conv, f"reply:{msg.wamid}", [reply])
            if conv.debtor_cpf is not None:
                request = ContactRequest(kind="handoff", session_id=conv.id, notes=notes)
                queue_contact(w, conv.debtor_cpf, request, key=f"contact:{conv.id}:{msg.wamid}")
            return True
        if heard.intent is Intent.human and reason not in ("third_party", "deceased"):
            return False  # a person asked for after an ending: a new conversation, handed to the team at once
        if reason == "opt_out" and (heard.intent in STILL_OPTED_OUT or only_acknowledges(msg.text or "")):
            # They asked for no more messages: more anger, "e não me liga" or a "tá, obg" is not a new
            # conversation that asks for the CPF again, only the assurance that it stopped (the way back stays
            # open).
            self._record_inbound(w, conv, msg, masked=True)
            n = conv.state_version = (conv.state_version or 0) + 1
            thanks = heard.intent not in STILL_OPTED_OUT
            self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(AFTER_OPT_OUT_THANKS if thanks else AFTER_OPT_OUT, n)])
            return True
        if reason == "legal_threat" and heard.intent in (Intent.legal_threat, Intent.anger):
            # "Daqui pra frente falem com o meu advogado": heard and recorded, never the same sentence again.
            self._record_inbound(w, conv, msg, masked=False)
            n = conv.state_version = (conv.state_version or 0) + 1
            self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(AFTER_LEGAL, n).format(creditor=self._creditor)])
            return True
        if reason == "wrong_number" and (
            heard.intent in (Intent.opt_out, Intent.anger, Intent.refuse, Intent.legal_threat)
            or only_acknowledges(msg.text or "")
        ):
            self._record_inbound(w, conv, msg, masked=True)
            n = conv.state_version = (conv.state_version or 0) + 1
            self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(texts.AFTER_WRONG_NUMBER, n)])
            return True
        # Only a conversation that ended after the CPF check (its outcome is never `no_contact` then).
        validated = (conv.outcome or {}).get("outcome") != "no_contact" and conv.validation_attempts > 0
        if reason in RESUMABLE and validated:
            self._record_inbound(w, conv, msg, masked=False)
            if (
                reason == "follow_up"
                and heard.day is not None
                and heard.intent in (Intent.accept, Intent.later)
                and heard.installments is heard.amount_cents is heard.down_payment_cents is None
                and not (heard.wants_cash or heard.wants_installments or heard.closing_word)
            ):
                # "Isso, segunda depois das 8. valeu": the day of the call back agreed, not a yes to the terms.
                n = conv.state_version = (conv.state_version or 0) + 1
                self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(AFTER_FOLLOW_UP_AGREED, n)])
                return True
            if only_acknowledges(msg.text or ""):
                # "ok", "valeu", "👍" after "depois eu vejo" or a no: a kind word, not the offer again.
                n = conv.state_version = (conv.state_version or 0) + 1
                self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(texts.AFTER_ACKNOWLEDGED, n)])
                return True
            if reason == "claimed_paid" and not (
                heard.proposes_terms
                or heard.wants_cash
                or heard.wants_installments
                or heard.intent in (Intent.cash, Intent.installments, Intent.amount, Intent.change)
            ):
                # "E o que eu faço pra pararem de me cobrar?": nothing but the team's check, never the offer.
                n = conv.state_version = (conv.state_version or 0) + 1
                self._say(w, conv, f"reply:{msg.wamid}", [texts.pick(texts.AFTER_CLAIMED_PAID, n)])
                return True
            return await self._renegotiate(w, conv, msg, replaces=False) is not None
        # Said to a phone whose identity was never confirmed, even "nothing to collect" and a first name
        # would tell a stranger about the debtor: such a thread starts over at the CPF question.
        if reason in {str(r) for r, _, _ in BLOCKS} and validated:
            self._record_inbound(w, conv, msg, masked=False)
            debtor = await self._debtor(w, conv)
            first = debtor.name.split()[0] if debtor else ""
            due = debtor.due_date if debtor else self.clock.now().astimezone(SAO_PAULO).date()
            n = conv.state_version = (conv.state_version or 0) + 1
            # The first reply said why; this one says it again in other words, never the same sentence.
            text = texts.pick(texts.AFTER_BLOCKED_BY_REASON.get(reason, texts.AFTER_BLOCKED), n)
            self._say(w, conv, f"reply:{msg.wamid}", [text.format(name=first, due=due, creditor=self._creditor)])
            return True
        handler = {
            "third_party": self._after_third_party,
            "deceased": self._after_deceased,
            "dispute": self._after_dispute,
            "agreement": self._after_agreement,
            "renegotiated": self._after_agreement,
            "agreement_cancelled": self._after_agreement,  # new terms right after cancelling: no CPF again
        }.get(reason)
        if handler is None:
            return False
        masked = reason in ("third_party", "deceased")  # whatever digits they type are not kept
        self._record_inbound(w, conv, msg, masked=masked)
        replies = await handler(w, conv, msg)
        if replies is None:
            return False
        conv.state_version = (conv.state_version or 0) + 1  # the turn count picks the next phrasing
        self._say(w, conv, f"reply:{msg.wamid}", replies)
        return True

    async def _after_third_party(self, w: TurnWork, conv: Conversation, msg: InboundMessage) -> list[str] | None:
        # Even with the debtor's digits typed now: the person said they are not the debtor. Unless the titular
        # says they took the phone: then a new conversation asks them for the digits, as anyone.
        said = understand(msg.text or "", today_sp())
        if said.handover or said.assisted or said.back_in_person:
            return None
        if str((conv.outcome or {}).get("qualitative_notes") or "") == REPRESENTATIVE_NOTE:
            return [texts.pick(AFTER_REPRESENTATIVE, conv.state_version or 0)]
        text, n = fold(msg.text or ""), conv.state_version or 0
        if said.intent is Intent.deceased:
            # "Ele faleceu tem 3 semanas": the titular's death, told by family who first said who they were.
            self._tell_crm(w, conv, msg, "deceased", "Familiar informou o falecimento do titular.")
            return [texts.pick(AFTER_THIRD_PARTY_DEATH, n).format(creditor=self._creditor)]
        if _WHAT_WAS_IT.search(text):
            return [texts.pick(AFTER_DECEASED_WHAT, n)]
        if said.intent is Intent.opt_out or _STOP_HERE.search(text):
            self._tell_crm(w, conv, msg, "opt_out", "Pediram para não mandar mais mensagens para este número.")
            return [texts.pick(AFTER_THIRD_PARTY_STOP, n)]
        if _WHAT_TO_DO.search(text):
            return [texts.pick(AFTER_THIRD_PARTY_WHAT_TO_DO, n).format(creditor=self._creditor)]
        return [texts.pick(texts.AFTER_THIRD_PARTY, conv.state_version or 0)]

    def _tell_crm(self, w: TurnWork, conv: Conversation, msg: InboundMessage, kind: ContactKind, notes: str) -> None:
        """A fact heard after the ending (a death, a stop) goes to the CRM's contact log, once per message."""
        if conv.debtor_cpf is not None:
            request = ContactRequest(kind=kind, session_id=conv.id, notes=notes)
            queue_contact(w, conv.debtor_cpf, request, key=f"contact:{conv.id}:{msg.wamid}")

    async def _after_deceased(self, w: TurnWork, conv: Conversation, msg: InboundMessage) -> list[str]:
        said = fold(msg.text or "")
        if _HEIR_Q.search(said):
            return [texts.pick(AFTER_DECEASED_HEIRS, conv.state_version or 0)]
        if _WHAT_WAS_IT.search(said):
            return [texts.pick(AFTER_DECEASED_WHAT, conv.state_version or 0)]
        if _DEATH_PAPERS.search(said):
            return [texts.pick(AFTER_DECEASED_PAPERS, conv.state_version or 0)]
        return [texts.pick(texts.AFTER_DECEASED, conv.state_version or 0)]

    async def _after_dispute(self, w: TurnWork, conv: Conversation, msg: InboundMessage) -> list[str]:
        said = texts.pick(texts.AFTER_DISPUTE, conv.state_version or 0).format(creditor=self._creditor)
        if _PROOF_SENT.search(fold(msg.text or "")):
            return [texts.pick(AFTER_DISPUTE_PROOF, conv.state_version or 0)]
        if _PAPERS_ASKED.search(fold(msg.text or "")):
            # "Me manda o cálculo mês a mês e o contrato": asked for with the analysis, and sent with its answer.
            said = (
                "Anotei o pedido do cálculo detalhado e do contrato junto com a sua contestação: a "
                f"{self._creditor} te envia os documentos por aqui com a resposta, e até lá não há cobrança."
            )
        worry = understand(msg.text or "", today_sp()).worry
        # "E enquanto isso vão cortar a luz?": the fear answered too, the dispute unchanged.
        return [said if worry is None else f"{worries.answer(worry, self._creditor)} {said}"]

    async def _after_agreement(self, w: TurnWork, conv: Conversation, msg: InboundMessage) -> list[str] | None:
        outcome = dict(conv.outcome or {})
        text = msg.text or ""
        heard = understand(text, today_sp())
        if outcome.get("cancelled_at"):
            # Cancelled, then new terms in the same thread ("quero em menos vezes, 5x dá?"): the identity was
            # confirmed here, so a new negotiation starts without the CPF again; anything else starts over.
            if heard.intent in (Intent.installments, Intent.cash, Intent.amount, Intent.change, Intent.debt_question):
                return await self._renegotiate(w, conv, msg, replaces=False)
            return None
        if heard.asks_discretion:
            return [DISCRETION_TEXT]
        if heard.intent is Intent.human:
            return None  # a new conversation, where asking for a person hands it to the team at once
        if heard.intent is Intent.opt_out and "cancel" not in fold(text):
            # No more messages, and the deal stands: the boletos they hold still pay it.
            if conv.debtor_cpf is not None:
                queue_contact(
                    w,
                    conv.debtor_cpf,
                    ContactRequest(kind="opt_out", session_id=conv.id, notes="Pediu para não receber mensagens."),
                    key=f"contact:{conv.id}:{msg.wamid}",
                )
            return [texts.pick(AFTER_AGREEMENT_OPT_OUT, conv.state_version or 0)]
        if heard.intent is Intent.violence:
            return [texts.pick(texts.VIOLENCE, conv.state_version or 0)]
        if heard.intent is Intent.distress:
            return [texts.pick(AFTER_AGREEMENT_DISTRESS, conv.state_version or 0)]
        kind = after_deal.read(text, msg.kind)
        if (
            kind is AfterDeal.cancel
            or heard.intent == Intent.cancel
            or (heard.intent in (Intent.opt_out, Intent.refuse) and "cancel" in fold(text))
        ):
            if after_deal.says_paid(text) and conv.debtor_cpf is not None:
                # "Já paguei a primeira, mas quero cancelar o resto": what was paid must be looked at by a
                # person (refund or what it settles); cancelling here would tell them they owe nothing.
                queue_contact(
                    w,
                    conv.debtor_cpf,
                    ContactRequest(kind="handoff", session_id=conv.id, notes="Quer cancelar depois de pagar parte."),
                    key=f"contact:{conv.id}:{msg.wamid}",
                )
                return [
                    "Entendi. Como você já pagou uma parte, o cancelamento precisa passar pela equipe: ela confere o "
                    "que entrou e te responde por aqui, inclusive sobre o que já foi pago. Se quiser falar agora com "
                    "uma pessoa, escreva *atendente*."
                ]
            return await self._cancel_agreement(w, conv, outcome)
        n = conv.state_version or 0  # the thread's turn count: the next phrasing, never the same one twice in a row
        if kind is None and heard.too_many:
            # "E agora vocês param de mandar mensagem todo dia, né?": yes, the collection stops with the deal.
            return [
                "Sim: com o acordo feito, as mensagens de cobrança param. Daqui pra frente só falo com você sobre o "
                "acordo, se precisar. Se não quiser mais nenhuma mensagem, escreva *PARAR* (o acordo continua valendo)."
            ]
        if kind is None and heard.worry is not None:
            # "Agora que fechei, meu cartão desbloqueia?": who decides, honestly; the deal stands as it is.
            return [worries.answer(heard.worry, self._creditor)]
        if kind is not None:
            return await self._after_deal(w, conv, msg, kind, heard, outcome, n)
        if heard.intent == Intent.second_copy:
            return await self._second_copy(w, conv)
        if heard.intent in (Intent.change, Intent.installments, Intent.cash, Intent.amount, Intent.pay_date):
            return await self._renegotiate(w, conv, msg, replaces=True)
        summary = agreement_summary(outcome)
        if heard.intent == Intent.recall:
            return [f"Seu acordo: {summary}. {await self._paid_so_far(w, conv)}"]
        if heard.intent == Intent.already_paid:
            return [await self._paid_so_far(w, conv)]
        return [after_deal.fallback_text(n, summary)]

    async def _after_deal(
        self,
        w: TurnWork,
        conv: Conversation,
        msg: InboundMessage,
        kind: AfterDeal,
        heard: Understanding,
        outcome: dict[str, Any],
        n: int,
    ) -> list[str] | None:
        """An after-agreement message `after_deal` placed: the existing paths where one fits, else its words."""
        if kind is AfterDeal.resend:
            return await self._second_copy(w, conv)  # never to another number: only this thread's
        if kind is AfterDeal.change or (kind is AfterDeal.date_change and heard.proposes_terms):
            return await self._renegotiate(w, conv, msg, replaces=True)
        if kind is AfterDeal.paid:
            return [after_deal.paid_text(n, await self._paid_so_far(w, conv))]
        if kind is AfterDeal.money_back and conv.debtor_cpf is not None:
            # Paid twice, paid the wrong amount, wants money back: a person of the team checks the bank.
            queue_contact(
                w,
                conv.debtor_cpf,
                ContactRequest(
                    kind="handoff", session_id=conv.id, notes="Pagamento a conferir: " + (msg.text or "")[:200]
                ),
                key=f"contact:{conv.id}:{msg.wamid}",
            )
        if kind is AfterDeal.terms:
            return [await self._agreed_terms(w, conv, outcome, n)]
        if kind is AfterDeal.early_payment:
            total = outcome.get("agreed_amount")
            return [
                after_deal.early_payment_text(
                    n,
                    cash=(outcome.get("installments") or 1) == 1,
                    total_cents=to_cents(Decimal(str(total))) if total else None,
                )
            ]
        return [after_deal.say(kind, n, creditor=self._creditor)]

    async def _agreed_terms(self, w: TurnWork, conv: Conversation, outcome: dict[str, Any], n: int) -> str:
        """The next payment's date and amount: from the boletos the CRM holds (payments included), else
        from the agreement itself while its boletos are still being made."""
        stored = await self._stored_outcome(w, conv.id)
        boletos = [b for b in (stored or {}).get("boletos", []) if b.get("status") != "cancelled"]
        still = sorted((b for b in boletos if b.get("status") != "paid"), key=lambda b: int(b.get("installment", 0)))
        total = outcome.get("agreed_amount")
        total_cents = to_cents(Decimal(str(total))) if total else None
        if boletos and not still:
            return await self._paid_so_far(w, conv)  # all paid: "quitado" is the answer
        if still:
            nxt = still[0]
            return after_deal.terms_text(
                n,
                today=today_sp(),
                due=date.fromisoformat(nxt["due_date"]),
                amount_cents=to_cents(Decimal(str(nxt["amount"]))),
                installment=int(nxt["installment"]),
                installments=int(nxt["installments"]),
                total_cents=total_cents,
            )
        agreed = agreed_negotiation(conv)
        offer = agreed.agreement if agreed is not None else None
        if offer is None:
            return f"Seu acordo: {agreement_summary(outcome)}."
        return after_deal.terms_text(
            n,
            today=today_sp(),
            due=offer.due_dates[0],
            amount_cents=offer.installment_amounts_cents[0],
            installment=1,
            installments=offer.installments,
            total_cents=offer.total_cents,
        )

    async def _paid_so_far(self, w: TurnWork, conv: Conversation) -> str:
        """What the CRM has received for this agreement (the bank's notices), and what is still open."""
        stored = await self._stored_outcome(w, conv.id)
        boletos = [b for b in (stored or {}).get("boletos", []) if b.get("status") != "cancelled"]
        paid = [b for b in boletos if b.get("status") == "paid"]
        still = sorted((b for b in boletos if b.get("status") != "paid"), key=lambda b: int(b.get("installment", 0)))
        if not paid:
            return (
                "Ainda não chegou a confirmação de nenhum pagamento deste acordo. PIX costuma aparecer na hora; "
                "boleto leva até 3 dias úteis pra compensar. Assim que o banco confirmar, te aviso aqui."
            )
        total = brl(sum((Decimal(str(b["amount"])) for b in paid), Decimal(0)))
        if not still:
            return f"Recebemos {total}: o acordo está quitado. Obrigada!"
        rest = brl(sum((Decimal(str(b["amount"])) for b in still), Decimal(0)))
        nxt = still[0]
        return (
            f"Recebemos {total} ({len(paid)} de {len(boletos)} parcelas). Falta {rest}; a próxima vence em "
            f"{date.fromisoformat(nxt['due_date']):%d/%m/%Y}."
        )

    async def _cancel_agreement(self, w: TurnWork, conv: Conversation, outcome: dict[str, Any]) -> list[str]:
        stored = await self._stored_outcome(w, conv.id)
        if stored is not None and any(b.get("status") == "paid" for b in stored.get("boletos", [])):
            return [
                "Como já tem parcela paga, não consigo cancelar por aqui. Se quiser, escreva *atendente* que uma "
                "pessoa da equipe te ajuda."
            ]
        queue_cancel(w, conv.id)
        if conv.debtor_cpf is not None:
            queue_contact(
                w,
                conv.debtor_cpf,
                ContactRequest(kind="agreement_cancelled", session_id=conv.id, notes="Cancelou o acordo."),
                key=f"contact:{conv.id}:cancel",
            )
        conv.outcome = {**outcome, "reason": "agreement_cancelled", "cancelled_at": utcnow().isoformat()}
        return [
            "Pronto, cancelei o acordo: os boletos dele não valem mais e você não precisa pagar nada deles. "
            "Se quiser negociar de novo, é só me chamar por aqui."
        ]

    async def _stored_outcome(self, w: TurnWork, session_id: str) -> dict[str, Any] | None:
        try:
            return await w.crm.get_outcome(session_id)
        except CrmUnavailable as exc:
            raise TryLater("crm_unavailable") from exc

    async def _second_copy(self, w: TurnWork, conv: Conversation) -> list[str]:
        stored = await self._stored_outcome(w, conv.id)
        open_ones = [b for b in (stored or {}).get("boletos", []) if b.get("status") not in ("paid", "cancelled")]
        if not open_ones:
            return ["Os boletos do seu acordo ainda estão sendo gerados. Em instantes chegam aqui!"]
        ref = open_ones[0]
        try:
            boleto = await w.crm.get_boleto(ref["boleto_id"])
        except CrmUnavailable as exc:
            raise TryLater("crm_unavailable") from exc
        head = (
            f"Aqui está a 2ª via da parcela {ref['installment']} de {ref['installments']}, "
            f"{brl(Decimal(str(ref['amount'])))}, vencimento {date.fromisoformat(ref['due_date']):%d/%m/%Y}. "
            f"PDF: {ref['pdf_url']}"
        )
        if boleto is None:
            return [head]
        # The PIX code alone in its own message, so one long press copies it.
        return [
            head + f"\nLinha digitável: {boleto.get('linha_digitavel', '')}",
            str(boleto.get("pix_copia_e_cola", "")),
        ]

    async def _renegotiate(
        self, w: TurnWork, old: Conversation, msg: InboundMessage, *, replaces: bool
    ) -> list[str] | None:
        """New terms after an outcome: a new conversation, already validated in this thread; after an
        agreement (`replaces`), its own agreement replaces the old one and its boletos."""
        stored = await self._stored_outcome(w, old.id) if replaces else None
        if stored is not None and any(b.get("status") == "paid" for b in stored.get("boletos", [])):
            return [
                "Como já tem parcela paga, não consigo mudar o acordo por aqui. "
                "Escreva *atendente* que uma pessoa te ajuda."
            ]
        debtor = await self._debtor(w, old)
        if debtor is None:
            return None
        conv = Conversation(
            id=str(uuid.uuid4()),
            debtor_cpf=old.debtor_cpf,
            phone=old.phone,
            phone_key=old.phone_key,
            wa_id=msg.wa_id or old.wa_id,
            origin="inbound",
            status="active",
            phase="negotiation",
            validation_attempts=0,
            state_version=0,
            created_at=utcnow(),
        )
        w.track(conv, new=True)
        state = self._new_state(conv)
        state.phase = "negotiation"
        state.negotiation.replaces = old.id if replaces else None
        agreed = agreed_negotiation(old) if replaces else None
        if agreed is not None and agreed.agreement is not None:
            # A change starts from what was agreed: "muda o vencimento pro dia 10" moves the dates and keeps
            # the count, the amounts and the method (`brain.counter_offer` reschedules the offer shown).
            state.negotiation.pending_offer = agreed.agreement
            state.negotiation.payment_method = agreed.payment_method
        previous = agreed_negotiation(old) if not replaces else None
        if previous is not None and previous.pending_offer is not None:
            # Back after "vou pensar" ("aquela proposta ainda vale?"): the terms last shown, and the step the
            # negotiation had reached, so the offer is never worse than the one they left with. A yes still
            # closes only after they are shown again, and only if the policy still allows them.
            state.negotiation.pending_offer = previous.pending_offer
            state.negotiation.step = previous.step
            state.negotiation.hardship = previous.hardship
            state.negotiation.payment_method = previous.payment_method
        self._record_inbound(w, conv, msg, masked=False)
        conv.last_inbound_at = utcnow()
        ctx = self._context(debtor)
        heard = understand(msg.text or "", ctx.today)
        if heard.proposes_terms or not replaces:
            engine = self.rules if heard.intent in RULES_ONLY else self.negotiator
            d = guard_agreement(
                self.rules, ctx, state.negotiation, heard, await engine.respond(ctx, state.negotiation, msg.text or "")
            )
        else:
            d = opening_after_validation(ctx, state.negotiation)
            d = d.model_copy(update={"reply": "Claro, vamos refazer. " + d.reply.split("✅ ", 1)[-1]})
        turn = self._apply(conv, state, debtor, d)
        if replaces:
            turn.replies.insert(
                0,
                "Combinado, vamos ajustar o acordo: quando você confirmar o novo, "
                "o antigo e os boletos dele deixam de valer.",
            )
        self._commit(w, conv, state, msg.wamid, turn)
        return []

    def _special_before_validation(
        self, conv: Conversation, state: SessionState, intent: Intent, n: int, *, someone_else: bool = False
    ) -> Turn | None:
        """What may be answered before identity is confirmed: nothing about the debt."""
        if intent == Intent.crisis:
            return self._crisis(conv, state, n, someone_else=someone_else)
        if intent == Intent.opt_out:
            state.end("completed")
            return Turn(
                [texts.pick(texts.OPT_OUT, n)],
                contact=ContactRequest(kind="opt_out", session_id=conv.id, notes="Pediu para não receber mensagens."),
                outcome=self._outcome(conv, state, "no_contact", reason="opt_out", notes="Opt-out antes da validação."),
            )
        if intent == Intent.wrong_person:
            state.end("completed")
            return Turn(
                [texts.pick(texts.WRONG_PERSON, n)],
                contact=ContactRequest(kind="wrong_number", session_id=conv.id, notes="Disse não ser o titular."),
                outcome=self._outcome(
                    conv, state, "no_contact", reason="wrong_number", notes="Número não pertence ao devedor."
                ),
            )
        if intent == Intent.human:
            state.status = "handoff"
            return Turn(
                [texts.pick(texts.HANDOFF, n)],
                contact=ContactRequest(kind="handoff", session_id=conv.id, notes="Pediu atendimento humano."),
            )
        if intent == Intent.third_party:
            # Never a word about the debt to someone else, even if they then type the debtor's digits.
            state.end("completed")
            return Turn(
                [third_party_text(self._creditor, self.settings.creditor_cnpj)],
                contact=ContactRequest(kind="third_party", session_id=conv.id, notes="Terceiro falando pelo titular."),
                outcome=self._outcome(
                    conv, state, "no_contact", reason="third_party", notes="Terceiro; nada informado."
                ),
            )
        if intent == Intent.deceased:
            state.end("completed")
            return Turn(
                [texts.pick(texts.DECEASED, n).format(creditor=self._creditor)],
                contact=ContactRequest(kind="deceased", session_id=conv.id, notes="Informaram o falecimento."),
                outcome=self._outcome(conv, state, "no_contact", reason="deceased", notes="Falecimento informado."),
            )
        if intent == Intent.cpf_why:
            return Turn([texts.pick(texts.CPF_WHY, n)])
        if intent == Intent.distress:
            return Turn([texts.pick(texts.DISTRESS_BEFORE_VALIDATION, n)])
        if intent == Intent.violence:
            return Turn([texts.pick(texts.VIOLENCE, n)])
        if intent in (Intent.anger, Intent.legal_threat):
            # Cursed at before the CPF, calm after it: the deal they may close still gets no party emoji.
            state.negotiation.upset = True
            contact = (
                ContactRequest(kind="legal_threat", session_id=conv.id, notes="Mencionou Procon/advogado/processo.")
                if intent == Intent.legal_threat
                else None
            )
            return Turn([texts.pick(texts.CALM_BEFORE_VALIDATION, n)], contact=contact)
        if intent == Intent.later:
            state.end("completed")
            return Turn(
                [texts.pick(texts.LATER_BEFORE_VALIDATION, n)],
                contact=ContactRequest(kind="follow_up", session_id=conv.id, notes="Pediu para falar depois."),
                outcome=self._outcome(conv, state, "no_contact", reason="follow_up", notes="Pediu para falar depois."),
            )
        if intent in (Intent.dispute, Intent.prescription, Intent.breakdown, Intent.debt_question):
            return Turn([texts.pick(texts.DEBT_BEFORE_VALIDATION, n)])
        if intent == Intent.bot_question:
            return Turn([texts.pick(texts.BOT_BEFORE_VALIDATION, n)])
        if intent == Intent.identity_question:
            return Turn(
                [
                    texts.pick(texts.IDENTITY_BEFORE_VALIDATION, n).format(
                        creditor=self._creditor, cnpj=self.settings.creditor_cnpj
                    )
                ]
            )
        return None

    def _crisis(self, conv: Conversation, state: SessionState, n: int, *, someone_else: bool = False) -> Turn:
        """Someone who speaks of ending their life, before the CPF: the same care, and a person of the team."""
        state.status = "handoff"
        conv.attention = "crisis"
        reply, notes = crisis_reply(someone_else, n)
        return Turn([reply], contact=ContactRequest(kind="handoff", session_id=conv.id, notes=notes))

    def _apply(self, conv: Conversation, state: SessionState, debtor: DebtorInfo, d: TurnDecision) -> Turn:
        """Turn the brain's decision into state, replies and CRM effects (the table `ENDINGS`)."""
        state.negotiation = d.state
        replies = [d.reply]
        if d.action == "continue":
            state.move("agreement" if d.state.awaiting_confirmation else "negotiation")
            if d.notes == DATA_ACCESS_NOTE:
                # A request of access to one's data (LGPD, art. 18) is the team's to answer, within 15 days.
                return Turn(replies, contact=ContactRequest(kind="handoff", session_id=conv.id, notes=d.notes))
            return Turn(replies)
        if d.action == "agreement" and d.agreement is not None:
            state.end("completed")
            replies.append(texts.pick(texts.AGREEMENT_DELIVERY, d.state.turns))
            return Turn(replies, outcome=self._agreement_outcome(conv, state, d.agreement, d))
        ending = ENDINGS[d.action]
        notes = d.notes or ""
        if d.action in ("claimed_paid",):
            notes = "Alega que já pagou" + (f" em {d.promised_date:%d/%m/%Y}" if d.promised_date else "") + "."
        if d.action == "promise" and d.promised_date is not None:
            notes = f"Prometeu pagar em {d.promised_date:%d/%m/%Y}, sem fechar condições agora."
        contact = (
            ContactRequest(kind=ending.contact, session_id=conv.id, notes=notes, promised_date=d.promised_date)
            if ending.contact
            else None
        )
        if d.intent is Intent.crisis:
            conv.attention = "crisis"  # first in the team's inbox until someone cares for the person
        if ending.outcome is None:
            if ending.status == "handoff":
                state.status = "handoff"
            else:
                state.move("agreement" if d.state.awaiting_confirmation else "negotiation")
            return Turn(replies, contact=contact)
        state.end("completed")
        reason: OutcomeReason = ending.reason
        if d.state.legal_threat and reason == "refused":
            reason = "legal_threat"
        return Turn(
            replies,
            contact=contact,
            outcome=self._outcome(
                conv,
                state,
                ending.outcome,
                reason=reason,
                notes=notes or None,
                payment_date=d.promised_date if d.action == "promise" else None,
            ),
        )

    # --- writing the turn out -------------------------------------------------------------------

    def _commit(self, w: TurnWork, conv: Conversation, state: SessionState, cause: str, turn: Turn) -> None:
        """Write the turn's effects; `cause` (the inbound wamid, or the timer) keys them idempotently."""
        if turn.replies and turn.replies[0] == state.last_reply:
            turn.replies[0] = (
                texts.pick(texts.SAY_AGAIN, state.said) + turn.replies[0][:1].lower() + turn.replies[0][1:]
            )
        if turn.replies:
            state.said += 1
            state.last_reply = turn.replies[-1]
        self._say(w, conv, f"reply:{cause}", turn.replies)
        if turn.contact is not None and conv.debtor_cpf is not None:
            queue_contact(w, conv.debtor_cpf, turn.contact, key=f"contact:{conv.id}:{cause}")
            read = w.read
            blocked = read.blocked_cpfs if read is not None else frozenset()
            if turn.contact.kind == "wrong_number" and subject_hash("cpf", conv.debtor_cpf) not in blocked:
                w.add(
                    BlockedPhone(
                        phone_key=conv.phone_key,
                        debtor_cpf=conv.debtor_cpf,
                        reason="wrong_number",
                        conversation_id=conv.id,
                        created_at=self.clock.now(),
                    ),
                    conflict=("phone_key", "debtor_cpf"),
                )
                log.info("phone_blocked", reason="wrong_number", conversation_id=conv.id)
        if turn.outcome is not None:
            self._finish(w, conv, turn.outcome)
        conv.phase = state.phase
        conv.status = state.status
        if state.status not in LIVE and conv.ended_at is None:
            conv.ended_at = utcnow()
        conv.state_version = state.version = (conv.state_version or 0) + 1
        # The durable copy, written by the same statement; Redis gets it only after that commit.
        conv.session = state.model_dump(mode="json", exclude={"debtor", "debtor_at"})
        w.state = state

    def _finish(self, w: TurnWork, conv: Conversation, outcome: ConversationOutcome) -> None:
        """The one outcome of a conversation: stored on it and sent to the CRM through the outbox."""
        if conv.outcome_kind is not None:
            return
        conv.outcome = outcome.model_dump(mode="json")
        conv.outcome_kind = outcome.outcome
        queue_outcome(w, outcome)
        log.info("conversation_outcome", session_id=conv.id, outcome=outcome.outcome)

    def _say(self, w: TurnWork, conv: Conversation, key: str, replies: list[str]) -> None:
        to = (conv.wa_id or conv.phone).lstrip("+")
        for i, reply in enumerate(replies):
            message = text_message(reply)
            idx = w.message(
                Message(
                    conversation_id=conv.id,
                    direction="out",
                    author="bot",
                    phone="+" + to,
                    kind=str(message.get("type", "text")),
                    body=scrub(reply),
                    status="queued",
                )
            )
            w.put(
                kind="whatsapp",
                key=f"{key}:{i}",
                conversation_id=conv.id,
                payload={"message_id": None, "to": to, "message": message},
                message=idx,
            )

    def _record_inbound(self, w: TurnWork, conv: Conversation, msg: InboundMessage, *, masked: bool) -> None:
        w.message(self._inbound(conv, msg, masked=masked))

    def _inbound(self, conv: Conversation, msg: InboundMessage, *, masked: bool) -> Message:
        text = msg.text or f"[{msg.kind}]"
        return Message(
            conversation_id=conv.id,
            direction="in",
            author="debtor",
            phone=conv.phone,
            wamid=None,
            kind=msg.kind,
            body=mask_digits(text) if masked else scrub(text),
            status="received",
        )

    # --- loading ---------------------------------------------------------------------------------

    async def _open_inbound(self, w: TurnWork, msg: InboundMessage) -> tuple[Conversation, DebtorInfo | None]:
        """A debtor who writes first: found by phone (with or without the ninth digit)."""
        try:
            debtor = await w.crm.find_by_phone(msg.phone)
        except CrmUnavailable as exc:
            # Answering "I don't know this number" to a real debtor would be wrong: wait for the CRM.
            raise TryLater("crm_unavailable") from exc
        if debtor is not None and w.read is not None and subject_hash("cpf", debtor.cpf) in w.read.blocked_cpfs:
            debtor = None  # someone here said it is not the debtor's number: a stranger hears nothing
        conv = Conversation(
            id=str(uuid.uuid4()),
            debtor_cpf=debtor.cpf if debtor else None,
            phone=debtor.phone if debtor else msg.phone,
            phone_key=msg.phone_key,
            wa_id=msg.wa_id,
            origin="inbound",
            status="active",
            phase="validation",
            validation_attempts=0,
            state_version=0,
            created_at=utcnow(),
        )
        w.track(conv, new=True)
        if debtor is not None and w.read is not None and self.engine is not None:
            # Whoever guessed at this debtor's digits from another phone counts here too.
            locks, failures = await read_identity(
                self.engine, debtor.cpf, window_start=self.clock.now() - self.lock_policy.lock_for
            )
            w.read.locks.update(locks)
            w.read.failures.extend(failures)
        if debtor is not None:
            # The greeting is this turn's first reply when the debtor only said "oi"; the debtor as the
            # CRM just said travels in the session, so the next turns need not ask again at once.
            w.debtor = debtor
        return conv, debtor

    def _new_state(self, conv: Conversation) -> SessionState:
        return SessionState(
            session_id=conv.id,
            phone_key=conv.phone_key,
            debtor_cpf=conv.debtor_cpf,
            started_at=conv.created_at or utcnow(),
            version=conv.state_version or 0,
        )

    def _state(self, w: TurnWork, conv: Conversation) -> SessionState:
        """The live session: Redis's copy when it belongs to the version committed, else the durable one."""
        version = conv.state_version or 0
        cached = w.cached
        if cached is not None and cached.session_id == conv.id and cached.version == version:
            state = deep_copy(cached)
        elif conv.session:
            # Redis lost it (restart, eviction) or holds an older turn: the copy written with the last
            # turn, so the debtor is not asked again what they already answered.
            state = SessionState.model_validate(conv.session)
            state.version = version
        else:
            state = self._new_state(conv)
            state.phase = conv.phase  # type: ignore[assignment]
            state.validation_attempts = conv.validation_attempts or 0
            if conv.origin != "inbound":
                state.prompts = 1  # the opening template asked for the digits
        # An operator changes the row's status (handoff and back); the row wins.
        state.status = conv.status  # type: ignore[assignment]
        if w.debtor is not None and state.debtor is None:
            state.debtor, state.debtor_at = w.debtor, utcnow()
        w.state_in = state
        return state

    async def _debtor(self, w: TurnWork, conv: Conversation) -> DebtorInfo | None:
        """The debtor as the CRM said it a moment ago (kept in the session), or asked now."""
        if conv.debtor_cpf is None:
            return None
        if w.debtor is not None and w.debtor.cpf == conv.debtor_cpf:
            return w.debtor
        held = w.state_in
        if (
            held is not None
            and held.debtor is not None
            and held.debtor.cpf == conv.debtor_cpf
            and held.debtor_at is not None
            and utcnow() - held.debtor_at < timedelta(seconds=w.crm.cache_ttl)
        ):
            return held.debtor
        try:
            debtor = await w.crm.get_debtor(conv.debtor_cpf)
        except CrmUnavailable as exc:
            raise TryLater("crm_unavailable") from exc
        w.debtor = debtor
        if held is not None:
            held.debtor, held.debtor_at = debtor, utcnow()
        return debtor

    def _locked_until(self, w: TurnWork, conv: Conversation, now: datetime) -> datetime | None:
        """When self-service opens again for this debtor or this phone (read with the turn)."""
        if w.read is None:
            return None
        subjects = [("phone", conv.phone_key)] + ([("cpf", conv.debtor_cpf)] if conv.debtor_cpf else [])
        until: datetime | None = None
        for kind, value in subjects:
            t = w.read.locks.get((kind, subject_hash(kind, value)))  # read as stored: keyed hashes
            if t is not None and t > now and (until is None or t > until):
                until = t
        return until

    def _record_failure(
        self, w: TurnWork, *, cpf: str, phone_key: str, conversation_id: str, now: datetime, policy: LockPolicy
    ) -> datetime | None:
        """Count one wrong answer (written with the turn); the end of the lock when it reached the limit."""
        w.add(IdentityFailure(debtor_cpf=cpf, phone_key=phone_key, conversation_id=conversation_id, created_at=now))
        failures = w.read.failures if w.read is not None else []
        locks = w.read.locks if w.read is not None else {}
        until: datetime | None = None
        for kind, clear, at in (("cpf", cpf, 0), ("phone", phone_key, 1)):
            subject = subject_hash(kind, clear)  # failures and locks are read as stored: keyed hashes
            lock = locks.get((kind, subject))
            # Failures before the last lock ended were already paid for by that lock.
            since = now - policy.lock_for
            if lock is not None and lock > since:
                since = lock
            count = 1 + sum(1 for f in failures if f[at] == subject and f[2] > since)
            if count < policy.max_failures:
                continue
            until = now + policy.lock_for
            w.add(
                IdentityLock(subject_kind=kind, subject=subject, locked_until=until, created_at=now),
                conflict=("subject_kind", "subject"),
                update=("locked_until",),
            )
            IDENTITY_LOCKS.labels(kind).inc()
            log.warning("identity_locked", subject_kind=kind, conversation_id=conversation_id, until=until.isoformat())
        return until

    @property
    def _creditor(self) -> str:
        return self.settings.creditor_name

    def _context(self, debtor: DebtorInfo) -> DebtContext:
        return DebtContext(
            first_name=debtor.name.split()[0],
            debt_description=debtor.debt_description,
            original_creditor=debtor.original_creditor,
            amount_cents=int(debtor.debt_amount * 100),
            due_date=debtor.due_date,
            days_past_due=debtor.days_past_due,
            # Resolved in memory every turn (no query): an edited policy applies to the next offer.
            terms=DebtTerms.from_debtor(
                debtor.model_dump(mode="json"),
                self.policies.resolve(debtor.original_creditor, debtor.days_past_due, to_cents(debtor.debt_amount)),
            ),
            prescribed=debtor.prescribed,
            creditor_name=self.settings.creditor_name,
            creditor_cnpj=self.settings.creditor_cnpj,
            today=today_sp(),
            broken_after_days=self.settings.broken_after_days,
        )

    # --- outcomes -------------------------------------------------------------------------------

    def _outcome(
        self,
        conv: Conversation,
        state: SessionState,
        kind: OutcomeKind,
        *,
        reason: OutcomeReason | None = None,
        notes: str | None = None,
        payment_date: date | None = None,
    ) -> ConversationOutcome:
        started = conv.created_at or utcnow()
        return ConversationOutcome(
            session_id=conv.id,
            debtor_cpf=conv.debtor_cpf or "",
            outcome=kind,
            reason=reason,
            payment_date=payment_date,
            qualitative_notes=notes,
            interaction_timestamp=started,
            duration=max(0, int((utcnow() - started).total_seconds())),
        )

    def _agreement_outcome(
        self, conv: Conversation, state: SessionState, offer: Offer, d: TurnDecision
    ) -> ConversationOutcome:
        replaces = d.state.replaces
        base = self._outcome(
            conv, state, "successful", reason="renegotiated" if replaces else "agreement", notes=d.notes
        )
        return base.model_copy(
            update={
                "agreed_amount": from_cents(offer.total_cents),
                "discount_amount": from_cents(offer.discount_cents),
                "installments": offer.installments,
                "payment_date": offer.due_dates[0],
                "scheduled_payment_dates": list(offer.due_dates),
                "payment_method": d.state.payment_method,
                "down_payment_amount": from_cents(offer.down_payment_cents) if offer.down_payment_cents else None,
                "replaces_session_id": replaces,
            }
        )

    # --- time and operators ---------------------------------------------------------------------

    async def expire(self, db: AsyncSession, row: Conversation) -> bool:
        """End a conversation left silent for CONVERSATION_TIMEOUT_SECONDS: say so kindly, report it.

        Written in the caller's transaction (it holds the row); Redis is not written: the next turn
        finds its session older than the row and takes the durable copy.
        """
        if row.status != "active":
            return False
        conv = detached(row)
        w = TurnWork(crm=self.crm, lease=False)
        w.track(conv)
        state = self._state(w, conv)
        validated = state.phase in ("negotiation", "agreement")
        state.end("abandoned")
        outcome = self._outcome(
            conv,
            state,
            "unsuccessful" if validated else "no_contact",
            reason="timeout",
            notes="Conversa encerrada por falta de resposta.",
        )
        # A debtor who never answered the opening gets no goodbye: outside the 24-hour window it
        # could only go out as the template again, a second unsolicited contact.
        goodbye = [texts.pick(texts.TIMEOUT, 0)] if conv.last_inbound_at is not None else []
        turn = Turn(
            goodbye,
            outcome=outcome,
            contact=ContactRequest(kind="abandoned", session_id=conv.id, notes="Sem resposta."),
        )
        self._commit(w, conv, state, f"timeout:{conv.id}", turn)
        await apply_work(await db.connection(), w)
        return True


def timeout_cutoff(settings: BotSettings) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=settings.conversation_timeout_seconds)


def build_turn_handler(resources: Any) -> ConversationFlow:
    """The TurnHandler the WhatsApp pipeline calls for every inbound message."""
    settings: BotSettings = resources.settings
    crm = CrmClient(resources.http, settings.crm_base_url, settings.crm_api_key.get_secret_value(), resources.redis)
    sessions = SessionStore(resources.redis, keep_seconds=max(3600, settings.conversation_timeout_seconds * 10))
    return ConversationFlow(
        settings,
        crm,
        sessions,
        build_negotiator(settings),
        clock=resources.clock,
        engine=resources.engine,
        policies=resources.policies,
        switches=resources.switches,
    )
