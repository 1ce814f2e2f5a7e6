"""The negotiation itself: what to answer, which offer to make, when the deal is closed.

`OfflineNegotiator` does it with rules alone (CERTOBOT_MODEL=rules, and the fallback of the model);
`certobot.negotiation.agent.AgentNegotiator` lets a language model word it. Both return a
`TurnDecision`, and every amount in it comes from an `Offer` the policy engine built and checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from certobot.config import BotSettings
from certobot.negotiation import texts, worries
from certobot.negotiation.nlu import Intent, Understanding, understand
from certobot.negotiation.policy import DebtTerms, Offer, PolicyEngine
from certobot.templates.active import Phrases
from certokit.clock import add_months
from certokit.copying import deep_copy
from certokit.money import brl

Action = Literal[
    "continue",
    "agreement",
    "refused",
    "claimed_paid",
    "promise",
    "handoff",
    "opt_out",
    "wrong_person",
    # Sensitive moments, each recorded with its own kind (see certobot/crm/schemas.py OutcomeReason).
    "dispute",
    "deceased",
    "third_party",
    "legal_threat",
    "later",
]
CRISIS_NOTE = "Falou em tirar a própria vida: indicado o CVV (188). Cobrança pausada; cuidar com prioridade."
CRISIS_OF_ANOTHER_NOTE = (
    "Contou que outra pessoa fala em tirar a vida: indicados SAMU (192) e CVV (188). Cobrança pausada."
)


def crisis_reply(someone_else: bool, n: int) -> tuple[str, str]:
    """What a person in crisis reads, and the note the team gets: for the writer, or for someone they care for."""
    if someone_else:
        return texts.pick(texts.CRISIS_OF_ANOTHER, n), CRISIS_OF_ANOTHER_NOTE
    return texts.pick(texts.CRISIS, n), CRISIS_NOTE


# In hospital or under treatment: health first, nothing to decide now, and the way back when they want.
ILLNESS_REPLIES = (
    "Poxa, {name}, sinto muito, e melhoras! Cuida da sua saúde primeiro: isso aqui pode esperar. Quando "
    "você estiver melhor e quiser, é só me chamar que a gente acha uma parcela que caiba no bolso. Se "
    "preferir falar com uma pessoa, escreva *atendente*.",
    "Sinto muito, {name}. Sua saúde vem antes de qualquer cobrança: não precisa resolver nada agora. "
    "Quando puder, me chama aqui e a gente vê com calma. Melhoras!",
)

# "Minha esposa não sabe disso": the dívida is spoken of only with the titular, by this number.
DISCRETION_TEXT = (
    "Pode ficar em paz: a gente só fala desse assunto com você, por este número. Ninguém da sua família é "
    "procurado nem recebe mensagem sobre isso."
)
# A lawyer or attorney for the debtor: the team checks the power of attorney; nothing about the debt here.
REPRESENTATIVE_TEXT = (
    "Obrigada pelo contato. Pedidos de advogado ou procurador são atendidos pela nossa equipe, que confere a "
    "procuração antes de qualquer informação, e responde por aqui. Já deixei o pedido registrado; por este canal "
    "não informo nada sobre o débito até essa conferência."
)
REPRESENTATIVE_NOTE = "Advogado ou procurador do titular: conferir a procuração antes de informar qualquer coisa."

# The LGPD's own request: recorded for the team (the data officer answers it), and the messages stop now.
ERASURE_TEXT = (
    "Entendido. Registrei seu pedido de exclusão dos seus dados, como garante a LGPD, e a equipe responsável "
    "responde por aqui. A partir de agora você não recebe mais mensagens nossas."
)
ERASURE_NOTE = "Pediu a exclusão dos dados pessoais (LGPD, art. 18) e o fim das mensagens."

BUREAU_RULE = "Com o acordo pago, o credor tem até 5 dias úteis pra pedir a retirada do seu nome do Serasa e do SPC."
# The answers to questions about the terms before the yes (`Understanding.asks_about`); none changes the terms.
TERM_ANSWERS: dict[str, str] = {
    "fixed": "O valor do acordo é fixo: as parcelas não aumentam, sem juros nem correção em cima, desde que cada "
    "uma seja paga até o vencimento.",
    "early": "Pode sim! Pagar adiantado, antes do vencimento, não tem problema nenhum, e o valor é o mesmo do boleto.",
    "receipt": "Sim! O comprovante do banco ou do app já prova cada pagamento, e o acordo fica registrado no seu "
    "nome. Depois que o último pagamento compensar, a equipe te envia a declaração de quitação: é só pedir por aqui.",
    "channel": "Chega aqui mesmo, por este WhatsApp: logo depois que a gente fecha, eu mando o boleto em PDF e o "
    "código PIX copia e cola, sem precisar de e-mail.",
    "fee": "Não tem taxa nenhuma: o boleto e o PIX saem sem tarifa pra você, e o valor é exatamente o do acordo.",
    "job_loss": "Se a renda apertar no meio do caminho, o que você já pagou continua abatido da dívida, nada se perde. "
    "E se perceber que vai apertar, me chama antes do vencimento que a equipe vê uma data nova ou uma saída com você.",
    "interest": "Não tem juros em cima: o total é o que está na proposta, e ele não muda.",
    "round": "Arredondar eu não consigo: o valor sai certinho da regra do credor, com os centavos.",
    "validity": "Essa condição vale pra fechar agora, nesta conversa, e o 1º vencimento pode ficar até {furthest}. "
    "Mais pra frente o credor pode mudar o desconto, então não consigo garantir o mesmo valor depois.",
}
# Questions asked while terms wait for a yes, whose answers leave those terms standing.
_QUESTIONS_BESIDE_TERMS = frozenset(
    {Intent.identity_question, Intent.bot_question, Intent.debt_question, Intent.payment_method, Intent.cpf_why}
)
MAX_REFUSALS = 2  # a second no ends it: a third "better offer" would be pressure
FOLLOW_UP_DAYS = 2
UNWELL_FOLLOW_UP_DAYS = 7  # "agora não dá": one follow-up, never sooner than this
OTHER_TYPING_TEXT = (
    "Desse assunto eu só posso tratar com o próprio titular, por segurança e pela LGPD, então daqui eu não "
    "passo valores nem condições pra outra pessoa. Se quem está escrevendo agora não é {name}, peço que {name} "
    "mesmo(a) me chame aqui quando puder. Se for você, {name}, me avisa (tipo *sou eu*) que a gente segue."
)
OTHER_TYPING_WAIT = (
    "Sigo só com {name}, titular desta conversa: quando for {name} escrevendo, é só me avisar (*sou eu*) que a "
    "gente continua de onde parou.",
    "Por segurança, valores e condições eu só passo pro próprio titular. Quando {name} estiver no celular, é só "
    "me avisar que eu sigo.",
)


class DebtContext(BaseModel):
    first_name: str
    debt_description: str
    original_creditor: str
    amount_cents: int
    due_date: date
    days_past_due: int
    terms: DebtTerms
    creditor_name: str
    creditor_cnpj: str
    today: date
    prescribed: bool = False
    broken_after_days: int = 10  # told to who asks about a late installment (the lifecycle's setting)

    model_config = {"arbitrary_types_allowed": True}

    @property
    def policy(self) -> PolicyEngine:
        return PolicyEngine(self.terms, self.today)

    @property
    def debt(self) -> str:
        """'empréstimo pessoal vencido em 10/03/2025', 'mensalidade escolar vencida em …': the noun's gender agrees."""
        return f"{self.debt_description[:1].lower()}{self.debt_description[1:]} {due_word(self.debt_description)}"


FEMININE_ENDINGS = ("a", "ade", "cao", "ção", "gem", "ie")


def due_word(description: str) -> str:
    head = (description.split() or ["dívida"])[0].lower()
    return "vencida" if head.endswith(FEMININE_ENDINGS) else "vencido"


class NegotiationState(BaseModel):
    step: int = 0
    refusals: int = 0
    hardship: bool = False
    pending_offer: Offer | None = None  # the last terms shown to the debtor
    awaiting_confirmation: bool = False  # the last terms were shown with "posso fechar?"
    preferred_installments: int | None = None
    monthly_budget_cents: int | None = None
    first_due: date | None = None
    payment_method: Literal["boleto", "pix"] = "boleto"
    turns: int = 0
    upset: bool = False  # anger or a legal threat was heard: no cheerful words from here on
    held_back: bool = False  # confirmed, but someone else is reading: the debt is shown when they say so
    legal_threat: bool = False
    unwell: bool = False  # in hospital or under treatment: a later call waits for them to be better
    claimed_paid: bool = False  # "já paguei / já negociei com outra empresa": the team checks; no pitch meanwhile
    other_typing: bool = False  # someone else took the phone after the CPF: nothing told until the titular is back
    browsing: bool = False  # "é só pra comparar", "não fecho hoje": terms shown as information until a closing word
    countered: bool = False  # the terms shown are not what the debtor asked ("não consigo 12x"): an "ok" is not a yes
    agreement: Offer | None = None  # what was closed, for "o que eu combinei?" and changes afterwards
    replaces: str | None = None  # a renegotiation: the session whose agreement this one replaces
    history: str | None = Field(default=None, description="the model's message history, bounded and packed")


class TurnDecision(BaseModel):
    reply: str
    intent: Intent
    action: Action = "continue"
    state: NegotiationState
    agreement: Offer | None = None
    promised_date: date | None = None
    notes: str | None = None
    engine: Literal["rules", "model"] = "rules"


class Negotiator(Protocol):
    async def respond(self, ctx: DebtContext, state: NegotiationState, text: str) -> TurnDecision: ...


def _pick(options: Sequence[str], n: int) -> str:
    said = tuple(options)  # once: an edited template landing between len() and [] cannot shift the index
    return said[n % len(said)]


def _method(state: NegotiationState) -> str:
    return "PIX (copia e cola)" if state.payment_method == "pix" else "boleto (com PIX junto)"


# The question that asks for the plain yes; varied so that two proposals in a row never read alike.
CONFIRM_QUESTIONS = (
    "Fecho assim pra você? Se estiver certo, responde *sim*; se não, me fala o que mudar.",
    "Confirma pra eu fechar? É só responder *sim*, ou me dizer o que ajustar.",
    "Posso fechar o acordo? Responde *sim* pra confirmar ou me diz o que quer mudar.",
)


def confirmation_text(ctx: DebtContext, offer: Offer, state: NegotiationState) -> str:
    # No "Perfeito!" or "Show!" here: nothing is agreed yet, and the debtor may have just said no.
    lead = _pick(("Então fica assim:", "Deixa eu confirmar direitinho:", "Só pra conferir:"), state.turns)
    return f"{lead} {offer.describe()}, pagamento por {_method(state)}. {_pick(CONFIRM_QUESTIONS, state.turns)}"


def _best_plan(ctx: DebtContext, state: NegotiationState) -> Offer | None:
    return ctx.policy.installment_offer(step=state.step, first_due=state.first_due)


def _at_current_step(ctx: DebtContext, state: NegotiationState, shown: Offer) -> Offer:
    """The offer last chosen, at the terms the bot has offered since ("consegui uma condição melhor"):
    a yes after a better offer was shown confirms the better one, never the older, dearer one."""
    policy = ctx.policy
    if shown.down_payment_cents:
        return shown  # an entrada the debtor named: rebuilt only from their own words
    fresh = (
        policy.cash_offer(state.step, state.first_due)
        if shown.kind == "cash"
        else policy.installment_offer(count=shown.installments, step=state.step, first_due=state.first_due)
    )
    if fresh is None or policy.check(fresh) or fresh.total_cents > shown.total_cents:
        return shown
    return fresh


def _asks_to_confirm(reply: str) -> bool:
    """The reply puts terms in front of the debtor and asks for the yes (any of the ways the bot asks it)."""
    return any(q in reply for q in CONFIRM_QUESTIONS) or "Posso fechar" in reply or "posso fechar" in reply


def offers_text(ctx: DebtContext, state: NegotiationState) -> str:
    cash = ctx.policy.cash_offer(state.step, state.first_due)
    plan = _best_plan(ctx, state)
    text = f"à vista por {brl(cash.total_cents)}"
    if cash.discount_cents:
        text += f" ({brl(cash.discount_cents)} de desconto)"
    if plan is not None:
        text += f", ou parcelado em até {plan.installments}x de {brl(plan.installment_amounts_cents[-1])}"
    return text


# Editable by the team (console, "Modelos"); the numbers in {offers} and {offer} come from the policy.
OFFER_OPENING = Phrases(
    "offer_opening",
    (
        "Obrigada, {name}! Identidade confirmada ✅ Estou falando sobre {debt} em {due}, com {original_creditor}, "
        "no valor de {amount}. Consigo te oferecer {offers}. O que fica melhor pra você?",
    ),
)
AGREEMENT_CLOSED = Phrases(
    "agreement_closed", ("Acordo fechado, {name}! 🎉 {offer}.", "Prontinho, {name}, acordo feito! {offer}.")
)


def opening_after_validation(ctx: DebtContext, state: NegotiationState) -> TurnDecision:
    state = deep_copy(state)
    state.turns += 1
    state.pending_offer = ctx.policy.cash_offer(state.step, state.first_due)
    reply = _pick(OFFER_OPENING, 0).format(
        name=ctx.first_name,
        debt=ctx.debt,
        due=f"{ctx.due_date:%d/%m/%Y}",
        original_creditor=ctx.original_creditor,
        amount=brl(ctx.amount_cents),
        offers=offers_text(ctx, state),
    )
    return TurnDecision(reply=reply, intent=Intent.greeting, state=state)


def held_back_after_validation(ctx: DebtContext, state: NegotiationState) -> TurnDecision:
    """Identity confirmed while someone else reads the screen: nothing of the debt until they say so."""
    state = deep_copy(state)
    state.turns += 1
    state.held_back = True
    return TurnDecision(
        reply=f"Obrigada, {ctx.first_name}! Identidade confirmada ✅ Combinado, não mostro nenhum valor agora. "
        "Quando estiver à vontade pra ler, me escreve *pode falar* que eu te mostro tudo.",
        intent=Intent.greeting,
        state=state,
    )


def changed_terms(heard: Understanding, offer: Offer, state: NegotiationState, policy: PolicyEngine) -> list[str]:
    """What an answer changes of the terms just shown; empty when it only says yes to them."""
    changes: list[str] = []
    first = offer.due_dates[0]
    # "pode emitir pro dia 5" after terms due on the 5th of next month: the same day named, not a new date.
    same_day_named = heard.day is not None and heard.day.day == first.day and heard.day < first
    if heard.day is not None and policy.first_due(heard.day) != first and not same_day_named:
        changes.append("data")
    if heard.installments is not None and heard.installments not in (
        offer.installments,
        offer.installments - 1 if offer.down_payment_cents else offer.installments,
    ):
        changes.append("parcelas")
    if heard.amount_cents is not None and heard.amount_cents not in {
        offer.total_cents,
        *offer.installment_amounts_cents,
    }:
        changes.append("valor")
    if heard.down_payment_cents is not None and heard.down_payment_cents != offer.down_payment_cents:
        changes.append("entrada")
    if heard.discount_pct is not None:
        changes.append("desconto")
    if heard.payment_method is not None and heard.payment_method != state.payment_method:
        changes.append("forma de pagamento")
    if heard.wants_cash and offer.kind != "cash":
        changes.append("à vista")
    if heard.wants_installments and offer.kind == "cash" and heard.installments != 1:
        changes.append("parcelado")
    return changes


def plain_yes(heard: Understanding, offer: Offer, state: NegotiationState, policy: PolicyEngine) -> bool:
    """A deal closes only on this: a yes, with no condition, to exactly the terms just shown."""
    return (
        heard.accepts
        and heard.plain
        and heard.intent in (Intent.accept, Intent.payment_method, Intent.cash, Intent.installments, Intent.pay_date)
        and not heard.conditional
        # "Fechado, no pix": how to pay is not a term of the deal (the boleto carries the PIX code anyway).
        and not [c for c in changed_terms(heard, offer, state, policy) if c != "forma de pagamento"]
        and all(n in _figures(offer) for n in heard.stray_numbers)
    )


def _figures(offer: Offer) -> set[int]:
    """The numbers a debtor may repeat of the offer in a yes: the count, the reais of its totals, the due days."""
    said = {offer.installments, offer.total_cents // 100, *(c // 100 for c in offer.installment_amounts_cents)}
    return said | {d.day for d in offer.due_dates}


def counter_offer(ctx: DebtContext, s: NegotiationState, heard: Understanding) -> tuple[Offer, str]:
    """The feasible offer nearest to what the debtor proposed, and a sentence saying what could not be done."""
    policy, t = ctx.policy, ctx.terms
    base = s.pending_offer
    if base is not None and policy.check(base, dates=False):
        base = None  # shown under a policy since changed: its amounts may not be reused (dates are redone anyway)
    notes: list[str] = []
    if heard.day is not None:
        due = policy.first_due(heard.day)
        if due != heard.day:
            notes.append(
                f"Não consigo o 1º vencimento em {heard.day:%d/%m/%Y}; o mais "
                f"{'longe' if due < heard.day else 'perto'} que consigo é {due:%d/%m/%Y}."
            )
    shape_changes = (
        heard.amount_cents is not None
        or heard.installments is not None
        or heard.down_payment_cents is not None
        or heard.discount_pct is not None
        or (heard.wants_cash and (base is None or base.kind != "cash"))
        or (heard.wants_installments and (base is None or base.kind == "cash"))
    )
    if base is not None and not shape_changes:
        # Only the date or the method changed: the same amounts, never a worse deal, and at the terms offered
        # since ("à vista" after a hardship offer showed a better cash price is that price, not the older one).
        return policy.rescheduled(_at_current_step(ctx, s, base), s.first_due), " ".join(notes)
    if heard.discount_pct is not None:
        top = t.max_discount_pct
        if heard.discount_pct > top:
            notes.append(f"Não consigo {heard.discount_pct}% de desconto; o máximo é {top:.0f}%, e só à vista.")
            s.step = policy.max_step
            return policy.cash_offer(s.step, s.first_due), " ".join(notes)
        wanted = t.amount_cents - t.amount_cents * heard.discount_pct // 100
        return policy.cash_offer_for(wanted, s.first_due), " ".join(notes)
    if heard.down_payment_cents is not None or heard.wants_down:
        least, most = policy.down_payment_bounds(s.step)
        asked = heard.down_payment_cents if heard.down_payment_cents is not None else least
        plan = policy.down_payment_offer(asked, heard.installments, s.step, s.first_due)
        if plan is not None:
            if heard.down_payment_cents is None:
                notes.append(f"Dá sim: a entrada pode ser de {brl(least)} a {brl(most)}.")
            elif heard.down_payment_cents < least:
                notes.append(f"Não consigo entrada de {brl(heard.down_payment_cents)}; a mínima é {brl(least)}.")
            elif heard.down_payment_cents > most:
                notes.append(f"A entrada pode ser de no máximo {brl(most)}; acima disso, vale mais o à vista.")
            rest = plan.installments - 1
            if heard.installments and heard.installments != rest:
                notes.append(f"Não consigo o resto em {heard.installments}x; o máximo com essa entrada é {rest}x.")
            return plan, " ".join(notes)
        notes.append("Com entrada não consigo dividir essa dívida.")
    amount = heard.amount_cents
    wants_cash = heard.wants_cash or (
        base is not None
        and base.kind == "cash"
        and amount is None
        and not heard.wants_installments
        and heard.installments is None
    )
    if amount is not None and not heard.wants_installments and amount >= policy.min_cash_cents():
        wants_cash = True  # enough to settle at once: it is a total, not a monthly amount
    if wants_cash and (amount is None or amount >= min(policy.min_cash_cents(), t.min_installment_cents)):
        if amount is None:
            return policy.cash_offer(s.step, s.first_due), " ".join(notes)
        offer = policy.cash_offer_for(amount, s.first_due)
        if amount < offer.total_cents:
            notes.append(f"Não consigo fechar à vista por {brl(amount)}; o mínimo à vista é {brl(offer.total_cents)}.")
            s.step = policy.max_step
        elif amount > offer.total_cents:
            notes.append(f"Nem precisa tanto: à vista fica em {brl(offer.total_cents)}.")
        return offer, " ".join(notes)
    count = heard.installments
    if count is None and amount is None and base is not None and base.kind == "installments":
        count = base.installments - (1 if base.down_payment_cents else 0)
    if amount is not None:
        s.monthly_budget_cents = amount
    if heard.installments:
        s.preferred_installments = heard.installments
    plan = policy.installment_offer(
        count=count,
        monthly_budget_cents=s.monthly_budget_cents if count is None else None,
        step=s.step,
        first_due=s.first_due,
    )
    budget = s.monthly_budget_cents if count is None else None
    while budget and plan is not None and plan.installment_amounts_cents[-1] > budget and s.step < policy.max_step:
        # The nearest feasible offer to a monthly budget: a better discount before a "no".
        s.step += 1
        plan = policy.installment_offer(monthly_budget_cents=budget, step=s.step, first_due=s.first_due)
    if plan is None:
        cash = policy.cash_offer(s.step, s.first_due)
        notes.append("Esse valor não dá pra parcelar; o que consigo é à vista.")
        return cash, " ".join(notes)
    if count and count > plan.installments:
        notes.append(f"Não consigo em {count}x; o máximo é {plan.installments}x.")
    elif amount is not None and amount < t.min_installment_cents:
        notes.append(
            f"Não consigo parcelas de {brl(amount)}; a parcela mínima é {brl(t.min_installment_cents)}, "
            f"e à vista o mínimo é {brl(policy.min_cash_cents())}."
        )
    elif amount is not None and plan.installment_amounts_cents[-1] > amount:
        notes.append(f"Com parcelas de {brl(amount)} não fecha; o mais perto que consigo é esse.")
    return plan, " ".join(notes)


def follow_up_date(today: date, wanted: date | None) -> date:
    """One follow-up: the day the debtor named (at most a month ahead), else in a couple of days; never on a Sunday.

    "Daqui uns 2 meses, quando sair a pensão" is never called back in two days: the furthest we keep.
    """
    if wanted is not None and wanted > today + timedelta(days=30):
        wanted = today + timedelta(days=30)
    day = wanted if wanted is not None and today < wanted else None
    day = day or today + timedelta(days=FOLLOW_UP_DAYS)
    return day + timedelta(days=1) if day.weekday() == 6 else day


Handler = Callable[[DebtContext, NegotiationState, Understanding], "TurnDecision"]


class OfflineNegotiator:
    """Rules only: deterministic, instant, and enough to negotiate a whole debt.

    Each intent has its handler (`self.handlers`); the confirmation step comes first, because a yes
    closes only the exact terms just shown.
    """

    def __init__(self) -> None:
        self.handlers: dict[Intent, Handler] = {
            Intent.crisis: self._crisis,
            Intent.distress: self._distress,
            Intent.violence: self._violence,
            Intent.opt_out: self._opt_out,
            Intent.wrong_person: self._dispute,  # after the CPF check, "não sou eu" disputes the debt
            Intent.dispute: self._dispute,
            Intent.deceased: self._deceased,
            Intent.third_party: self._third_party,
            Intent.human: self._human,
            Intent.legal_threat: self._legal_threat,
            Intent.anger: self._anger,
            Intent.later: self._later,
            Intent.prescription: self._prescription,
            Intent.breakdown: self._breakdown,
            Intent.cpf_why: self._cpf_after_validation,
            Intent.already_paid: self._already_paid,
            Intent.promise: self._promise,
            Intent.bot_question: self._bot,
            Intent.identity_question: self._identity,
            Intent.cash: self._terms,
            Intent.installments: self._terms,
            Intent.amount: self._terms,
            Intent.hardship: self._hardship,
            Intent.refuse: self._refuse,
            Intent.accept: self._accept_without_pending,
            Intent.debt_question: self._debt_question,
            Intent.pay_date: self._pay_date,
            Intent.payment_method: self._payment_method,
            Intent.change: self._change,
            Intent.greeting: self._greeting,
            Intent.recall: self._recall,
        }

    async def respond(self, ctx: DebtContext, state: NegotiationState, text: str) -> TurnDecision:
        return self.decide(ctx, state, understand(text, ctx.today))

    def decide(self, ctx: DebtContext, state: NegotiationState, heard: Understanding) -> TurnDecision:
        s = deep_copy(state)
        s.turns += 1
        policy = ctx.policy
        shown = s.pending_offer.due_dates[0] if s.pending_offer is not None else None
        repeats_day = shown is not None and heard.day is not None and heard.day.day == shown.day and heard.day < shown
        # "pode emitir pro dia 5", the 5th shown being next month's: the same date, not this month's.
        told = heard.intent not in (Intent.already_paid, Intent.promise, Intent.later)
        if heard.day is not None and told and not repeats_day:
            s.first_due = policy.first_due(heard.day)
        if heard.intent is Intent.crisis:  # before any offer, pending or not: no deal talk to a person in danger
            return self._crisis(ctx, s, heard)
        if s.held_back:
            if heard.no_figures or heard.intent in (Intent.later, Intent.refuse):
                # Still not alone, or not now: still nothing shown; "depois"/"não" go on to their own answer.
                if heard.no_figures:
                    return _say(
                        s, heard, "Tudo bem, sigo sem mostrar valores. Quando puder, é só me escrever *pode falar*."
                    )
            else:
                s.held_back = False
                if not (heard.proposes_terms or heard.wants_cash or heard.wants_installments) and heard.intent in (
                    Intent.accept,
                    Intent.unknown,
                    Intent.greeting,
                    Intent.debt_question,
                ):
                    # "Pronto, ela foi pra cozinha, pode falar": now the debt and the ways to pay.
                    opening = opening_after_validation(ctx, s)
                    opening.reply = opening.reply.replace("Identidade confirmada ✅ ", "")
                    return opening
        if heard.just_asking:
            s.browsing = True
        elif s.browsing and heard.accepts and heard.closing_word:
            s.browsing = False  # "pode fechar": the looking is over; the terms are put back and asked once
        if s.browsing and heard.accepts and not heard.proposes_terms and not heard.closing_word:
            # "Ok", "certo" after terms they said were only to look at: heard, and nothing closes.
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                _pick(
                    (
                        "Combinado, sem pressa pra decidir. Quando quiser fechar, é só me dizer *pode fechar*; se "
                        "quiser, simulo outro jeito.",
                        "Tá certo! Fica à vontade pra comparar e conversar em casa. Quando decidir, me escreve "
                        "*pode fechar* que eu confirmo as condições com você.",
                    ),
                    s.turns,
                ),
            )
        if heard.furthest:
            # "Põe a primeira o mais pra frente que você conseguir": the furthest date the policy allows.
            s.first_due = policy.first_due(ctx.today + timedelta(days=366))
            if s.pending_offer is not None and heard.intent in (Intent.unknown, Intent.pay_date, Intent.accept):
                # "Então põe na data mais longe que vocês conseguirem", after an offer: that offer, on that date.
                moved = policy.rescheduled(_at_current_step(ctx, s, s.pending_offer), s.first_due)
                return _propose(ctx, s, heard, moved, f"O mais longe que consigo é {s.first_due:%d/%m/%Y}.")
        if heard.no_pitch and not heard.accepts:
            # "Nem vem me oferecer desconto agora": heard, and no offer in this reply.
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                "Tudo bem, sem proposta agora. O que você me pediu fica registrado, e quando quiser falar de "
                "valores é só me chamar aqui. Se preferir uma pessoa da equipe, escreva *atendente*.",
            )
        if heard.asks_day and heard.intent not in (Intent.later, Intent.promise):
            # "No dia que cai o bolsa, pode ser?": which day, before any yes.
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                ("E não tem juros em cima das parcelas. " if heard.asks_interest else "")
                + "Pode, sim! Que dia cai pra você? Me diz o dia (tipo *dia 22*) que eu coloco o vencimento nele.",
            )
        if s.other_typing:  # (a crisis returned above: the person first, whoever they are)
            if not (heard.back_in_person or heard.handover):
                # Whoever holds the phone now is not told the figures, nor can they close anything.
                return _say(s, heard, _pick(OTHER_TYPING_WAIT, s.turns).format(name=ctx.first_name))
            s.other_typing = False
            if not heard.proposes_terms and not heard.wants_cash and not heard.wants_installments:
                return _say(s, heard, f"Que bom, {ctx.first_name}! Seguimos então: consigo {offers_text(ctx, s)}.")
        if heard.intent is Intent.third_party:
            # Someone speaking for the titular: before any pending yes or terms, never a figure to them.
            return self._third_party(ctx, s, heard)
        if heard.to_other_number and s.pending_offer is not None and heard.installments is heard.amount_cents is None:
            # "Meu pai que vai pagar, manda no zap dele": only here, and the terms shown stay on the table.
            return _only_here(heard, _propose(ctx, s, heard, _at_current_step(ctx, s, s.pending_offer), ""))
        if heard.relayed_yes and heard.intent is Intent.unknown and s.pending_offer is not None:
            # "Ela tá dizendo que sim": the titular's own yes is the one that closes.
            s.awaiting_confirmation = True
            # No figures in this reply: whoever passed the yes on may be the one reading it.
            return _say(
                s,
                heard,
                f"Obrigada! Pra fechar, a confirmação precisa vir da própria titular. {ctx.first_name}, se for você "
                "mesma, me responde *sim* que eu fecho o que te mostrei; se não, fico aguardando você.",
            )
        if s.awaiting_confirmation and s.pending_offer is not None:
            confirm = self._confirmation(ctx, s, heard)
            if confirm is not None:
                return _only_here(heard, confirm)
        if heard.payment_method and heard.intent not in (Intent.already_paid,) and not heard.method_trouble:
            s.payment_method = heard.payment_method
        if s.claimed_paid and heard.intent in (Intent.refuse, Intent.accept, Intent.unknown, Intent.greeting):
            # They said it is paid (or agreed elsewhere): a "no", an "ok" or a word that is neither waits
            # for the team's check. Never a better offer to someone who says they owe nothing more.
            return _say(
                s,
                heard,
                _pick(
                    (
                        "Combinado. Sua informação já está com a equipe, que vai conferir e te dá retorno por aqui. "
                        "Até lá, não vou te mandar proposta.",
                        "Tudo certo, fica registrado. A equipe confere e te responde por aqui; se quiser falar com "
                        "uma pessoa agora, escreva *atendente*.",
                    ),
                    s.turns,
                ),
            )
        if heard.intent is Intent.unknown and heard.bare_cents:
            # "1500" after the CPF: an amount (before it, the same digits would be an answer to the challenge);
            # "4", after the plans were shown, is a count the policy allows.
            bare = heard.bare_cents
            if bare % 100 == 0 and 2 <= bare // 100 <= ctx.terms.max_installments:
                heard = heard.model_copy(
                    update={"intent": Intent.installments, "installments": bare // 100, "wants_installments": True}
                )
            elif bare >= 1000:
                heard = heard.model_copy(update={"intent": Intent.amount, "amount_cents": bare})
        handler = self.handlers.get(heard.intent, self._unknown)
        if heard.asks_range and heard.installments is None:
            handler = self._debt_question  # the span of plans, not one plan to confirm
        if heard.asks_smallest and heard.installments is None and not heard.asks_best:
            # "A que fica mais barata por mês": the most installments the policy allows, at the amount it allows.
            most = ctx.policy.installment_offer(count=ctx.terms.max_installments, step=s.step, first_due=s.first_due)
            if most is not None:
                s.preferred_installments = most.installments
                return _propose(ctx, s, heard, most, "A menor parcela que consigo é essa.")
        d = handler(ctx, s, heard)
        if heard.method_trouble and heard.intent is not Intent.payment_method and d.action == "continue":
            # "E se for em 5x? pago na lotérica né, não tenho conta": the terms, and the way to pay answered too.
            d.reply = (
                "Pode, sim: o boleto se paga em dinheiro em qualquer lotérica, sem precisar de conta em banco. "
                + d.reply
            )
        if heard.worry is not None and heard.intent is not Intent.debt_question and d.action == "continue":
            # "Faz em 8 de 80, mas vão cortar minha luz?": the terms, and the fear answered too.
            d.reply = f"{worries.answer(heard.worry, ctx.creditor_name)} {d.reply}"
        d = _only_here(heard, d)
        if heard.about_another and d.intent is not Intent.third_party and d.action == "continue":
            # "Faz em 3x. E quanto deve minha irmã?": their own terms, and not a word of the sister's debt.
            d.reply = f"{ANOTHERS_DEBT_DECLINED} {d.reply}"
        if (
            (heard.just_asking or d.state.browsing)
            and d.action == "continue"
            and d.state.awaiting_confirmation
            and d.state.pending_offer
        ):
            # "Só pra saber, não vou fechar agora": the terms told, no yes asked for, so a later "ok" closes
            # nothing; "pode fechar" restates them and asks (`_accept_without_pending`).
            d.state.awaiting_confirmation = False
            d.reply = (
                f"Sem compromisso, pra você saber: {d.state.pending_offer.describe()}, por {_method(d.state)}. "
                "Quando quiser fechar, é só me dizer; se preferir pensar com calma, fico por aqui."
            )
            return d
        if heard.asks_meaning and d.action == "continue" and "tudo de uma vez" not in d.reply:
            # "Pera, à vista é tipo tudo de uma vez né? dá pra ser no pix?": the word answered, then the rest.
            d.reply = f"Isso: à vista é pagar tudo de uma vez, num pagamento só. {d.reply}"
        if (
            d.state.awaiting_confirmation
            and d.action == "continue"
            and d.state.pending_offer is not None
            and d.intent in _QUESTIONS_BESIDE_TERMS
            and not _asks_to_confirm(d.reply)
        ):
            # "E o boleto é de qual banco?" with terms waiting for a yes: answered, and the same terms put back,
            # so "pode fechar as 4 parcelas" next closes them instead of hearing them once more.
            terms = f"{d.state.pending_offer.describe()}, por {_method(d.state)}"
            d.reply += _pick(
                (
                    f" A proposta continua: {terms}. Posso fechar assim?",
                    f" Seguem as mesmas condições: {terms}. Posso fechar?",
                ),
                d.state.turns,
            )
            return d
        if d.state.awaiting_confirmation and d.action == "continue" and not _asks_to_confirm(d.reply):
            # A reply that did not put the terms back in front of the debtor ("quem são vocês?", a question)
            # leaves nothing to say yes to: the next "quero à vista" restates them before anything closes.
            d.state.awaiting_confirmation = False
        return d

    # --- the confirmation step ------------------------------------------------------------------

    def _confirmation(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision | None:
        offer = s.pending_offer
        assert offer is not None
        policy = ctx.policy
        if policy.check(offer):
            # The creditor's policy changed (an admin edited it) after this offer was shown and before
            # the debtor said yes, or its first due date has passed: the offer is no longer the bot's
            # to give, so a yes cannot close it. The debtor hears the offer allowed now. An agreement
            # already closed is never touched: it lives in `s.agreement`, not here.
            s.pending_offer = None
            plan = _best_plan(ctx, s) if offer.kind == "installments" else None
            fresh = plan or policy.cash_offer(s.step, s.first_due)
            return _propose(ctx, s, heard, fresh, "As condições mudaram desde a proposta anterior.")
        if s.countered and heard.weak_ack:
            # "Certo." after "não consigo em 12x, o máximo é 8x": heard, and the yes to the 8x asked plainly.
            return _say(
                s,
                heard,
                f"Só pra ter certeza: você topa assim, {offer.describe()}, por {_method(s)}? Se sim, me responde "
                "*sim* ou *pode fechar*; se não, me diz o que fica melhor.",
            )
        if plain_yes(heard, offer, s, policy):
            s.awaiting_confirmation = False
            if heard.payment_method is not None:
                s.payment_method = heard.payment_method
            s.agreement = offer
            return _say(
                s,
                heard,
                _pick(AGREEMENT_CLOSED, s.turns).format(name=ctx.first_name, offer=offer.describe())
                if not s.upset
                else f"Acordo registrado, {ctx.first_name}: {offer.describe()}.",
                intent=Intent.accept,
                action="agreement",
                agreement=offer,
                notes=f"Acordo: {offer.describe()}." + (" Relatou dificuldade financeira." if s.hardship else ""),
            )
        negotiating = heard.accepts or heard.intent in (
            Intent.cash,
            Intent.installments,
            Intent.amount,
            Intent.pay_date,
            Intent.payment_method,
            Intent.change,
        )
        if heard.method_trouble:
            negotiating = False  # "o app tá bugado": the way to pay is the question, the terms stand
        if negotiating and changed_terms(heard, offer, s, policy):
            # An acceptance that changes anything is a new proposal: rebuild it and ask again.
            if heard.payment_method:
                s.payment_method = heard.payment_method
            new, why = counter_offer(ctx, s, heard)
            return _propose(ctx, s, heard, new, why or _what_changed(offer, new, s.payment_method, heard))
        if heard.accepts and (heard.conditional or not heard.plain):
            return _say(
                s,
                heard,
                "Só pra eu não fechar nada errado: posso fechar exatamente assim, "
                f"{offer.describe()}, por {_method(s)}? Responde *sim* ou me diz o que precisa mudar.",
            )
        if heard.intent == Intent.refuse:
            return self._refuse(ctx, s, heard)
        return None

    # --- the negotiation ------------------------------------------------------------------------

    def _terms(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        offer, why = counter_offer(ctx, s, heard)
        return _propose(ctx, s, heard, offer, why)

    def _change(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.proposes_terms:
            return self._terms(ctx, s, heard)
        return _say(s, heard, "Claro, dá pra ajustar. O que você quer mudar: a data, o valor ou o número de parcelas?")

    def _hardship(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.hardship = True
        s.step = min(s.step + 1, ctx.policy.max_step)
        if heard.proposes_terms:
            # "Fui mandada embora, consigo no máximo 80 por mês": the hardship is heard, and the amount
            # (or count, or date) said with it is what the offer is built on, not ignored for a menu.
            offer, why = counter_offer(ctx, s, heard)
            lead = (
                "Que notícia boa, parabéns pela vaga! 🙏"
                if heard.good_news
                else "Sinto muito, sei que não tá fácil, e obrigada por me contar."
            )
            return _propose(ctx, s, heard, offer, f"{lead} {why}".strip())
        if heard.good_news:
            return _say(
                s,
                heard,
                f"Que notícia boa, {ctx.first_name}, parabéns pela vaga! 🙏 Se quiser já deixar combinado pra "
                f"quando o salário cair, consigo {offers_text(ctx, s)}. Ou, se preferir, te chamo mais pra frente.",
            )
        return _say(
            s,
            heard,
            _pick(
                (
                    f"Poxa, {ctx.first_name}, sinto muito, sei que não tá fácil. Vamos achar um jeito que "
                    f"caiba no seu bolso: consigo {offers_text(ctx, s)}. Quanto você consegue por mês?",
                    "Entendo demais, e obrigada por me contar. Sem pressão: consigo melhorar pra "
                    f"{offers_text(ctx, s)}. Me diz o que cabe no seu orçamento.",
                ),
                s.turns,
            ),
        )

    def _refuse(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.refusals += 1
        s.awaiting_confirmation = False
        # After "não tenho como", or a no with its reason or goodbye ("não vou fazer não, obrigada pela atenção"),
        # a no is respected at once: a better price pushed after it would be pressure.
        if s.refusals >= MAX_REFUSALS or s.hardship or heard.firm_no:
            return _say(
                s,
                heard,
                f"Tudo bem, {ctx.first_name}, respeito sua decisão. Se mudar de ideia, é só me mandar "
                "uma mensagem por aqui que a gente retoma. Obrigada pela conversa!",
                action="refused",
                notes=f"Recusou {s.refusals} propostas.",
            )
        if s.step >= ctx.policy.max_step:
            # Nothing better to give (a counter-offer below the minimum already went to the floor):
            # saying "melhorei" over the same numbers would be a lie the debtor can check.
            return _say(
                s,
                heard,
                f"Entendo, {ctx.first_name}. Esse já é o mínimo que o credor me permite: {offers_text(ctx, s)}. "
                "Se me disser quanto cabe por mês, procuro o parcelamento mais perto disso.",
            )
        s.step += 1
        return _say(
            s,
            heard,
            _pick(
                (
                    f"Entendo. Deixa eu ver o que consigo… Melhorei: {offers_text(ctx, s)}. Que tal?",
                    f"Certo, sem pressão. Consegui uma condição melhor: {offers_text(ctx, s)}. Faz sentido?",
                ),
                s.turns,
            ),
        )

    def _accept_without_pending(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if s.pending_offer is not None:
            return _propose(ctx, s, heard, _at_current_step(ctx, s, s.pending_offer), "")
        # A yes to a choice ("pode ser" after both ways were shown): glad, and which one, never "não entendi".
        return _say(
            s,
            heard,
            _pick(
                (
                    f"Que bom! Só me diz qual você prefere: {offers_text(ctx, s)}?",
                    f"Combinado! Pra eu montar certinho, me confirma a forma: {offers_text(ctx, s)}?",
                ),
                s.turns,
            ),
        )

    def _debt_question(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        pending = s.pending_offer if s.awaiting_confirmation else None
        if heard.asks_late:
            # What a late installment means, told straight; the terms on the table stay as they were.
            lead = (
                "Se uma parcela atrasar, o acordo não cai na hora: eu te lembro, e você tem até "
                f"{ctx.broken_after_days} dias depois do vencimento pra pagar aquele boleto. Passando disso, o "
                "acordo é desfeito e a dívida volta ao valor de antes, sem o desconto. Se perceber que vai "
                "apertar, me chama antes do vencimento que a gente vê uma data nova."
            )
            if pending is not None:
                return _propose(ctx, s, heard, pending, lead)
            return _say(s, heard, f"{lead} Hoje consigo {offers_text(ctx, s)}.")
        if heard.asks_about is not None:
            # "Esse valor é fixo?", "posso pagar antes?", "vale até quando?": the straight answer, and the terms on
            # the table stay there to say yes to.
            furthest = ctx.policy.first_due(ctx.today + timedelta(days=366))
            answer = TERM_ANSWERS[heard.asks_about].format(furthest=f"{furthest:%d/%m/%Y}")
            if heard.asks_bureau:
                answer += f" {BUREAU_RULE}"
            if pending is not None:
                return _propose(ctx, s, heard, pending, answer)
            tail = _pick((f"Hoje consigo {offers_text(ctx, s)}.", f"Dá pra fechar {offers_text(ctx, s)}."), s.turns)
            return _say(s, heard, f"{answer} {tail}")
        if heard.guarantor:
            # An aval is why the debt reaches them; the choice to dispute stays theirs.
            return _say(
                s,
                heard,
                "Entendo, é chato mesmo quando a conta de outra pessoa sobra pra gente. Quem assina como avalista "
                "(ou fiador) responde junto pela dívida se o titular do contrato não paga, e por isso a cobrança "
                "chega até você. Se você não reconhece esse aval, me diz que eu registro a contestação e a equipe "
                f"confere o contrato. Se quiser resolver, consigo {offers_text(ctx, s)}.",
            )
        if heard.which_debt:
            # "Que conta de luz? Eu pago a minha em dia": what this debt is, and the way to contest it.
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                f"Te explico: é {ctx.debt} em {ctx.due_date:%d/%m/%Y}, com {ctx.original_creditor}, no valor de "
                f"{brl(ctx.amount_cents)}. Pode ser de outro endereço ou de um contrato antigo no seu CPF. Se você "
                "não reconhece essa dívida, me diz que eu registro a contestação e a cobrança fica suspensa "
                "enquanto a equipe confere. Se reconhecer, te mostro como resolver.",
            )
        if heard.asks_due:
            shown = pending or s.pending_offer
            if shown is not None:
                shown = _at_current_step(ctx, s, shown)
                return _propose(ctx, s, heard, shown, f"O 1º vencimento fica em {shown.due_dates[0]:%d/%m/%Y}.")
        if heard.asks_percent:
            shown = pending or ctx.policy.cash_offer(s.step, s.first_due)
            # Rounded down: the debtor is never told a bigger discount than the one in the offer.
            pct = shown.discount_cents * 100 // ctx.amount_cents
            figure = (
                f"Dá {pct}% de desconto: de {brl(ctx.amount_cents)} por {brl(shown.total_cents)}"
                if shown.discount_cents
                else f"Nessa condição não tem desconto: fica {brl(shown.total_cents)}"
            )
            tail = "Posso fechar assim?" if pending else f"Hoje consigo {offers_text(ctx, s)}."
            return _say(s, heard, f"{figure}. {tail}")
        if heard.claims_auth or heard.asks_best:
            # The creditor's floor, said plainly: a debtor who asks for the limit gets it, and a claimed
            # authorization is checked against the only one there is, the policy.
            s.step, s.awaiting_confirmation, s.pending_offer = ctx.policy.max_step, False, None
            best = offers_text(ctx, s)
            if heard.exception:
                said: tuple[str, ...] = (
                    "Queria muito poder, mas não consigo abrir exceção: o sistema não me deixa fechar fora da regra "
                    f"do credor. O máximo que consigo é {best}. Se nenhuma couber agora, posso te chamar mais pra "
                    "frente, é só dizer.",
                    f"Entendo, de verdade. Mas exceção eu não consigo fazer: o limite do credor é {best}. Se não der "
                    "agora, tudo bem, a gente conversa mais pra frente.",
                )
            elif heard.claims_auth:
                said = (
                    "Não encontro nenhuma autorização assim no seu cadastro: o que vale é o que o credor me permite "
                    f"hoje. O máximo que consigo é {best}. Qual fica melhor pra você?",
                    "Essa autorização não existe aqui comigo, e eu não fecho fora da regra do credor. O que eu "
                    f"consigo, no máximo, continua: {best}. Quer seguir com uma delas?",
                )
            else:
                # Asked straight for the limit: the best cash price is put on the table to confirm (the largest
                # discount is always cash), and the smallest plan is named beside it.
                floor = ctx.policy.cash_offer(s.step, s.first_due)
                plan = _best_plan(ctx, s)
                beside = (
                    f" Parcelado, o melhor é em até {plan.installments}x de {brl(plan.installment_amounts_cents[-1])}."
                    if plan is not None
                    else ""
                )
                lead = _pick(
                    (
                        "Vou ser sincera com você: o maior desconto é à vista, e abaixo disso o sistema não me deixa "
                        f"fechar.{beside}",
                        "Com toda a sinceridade, o limite do credor é à vista, sem desconto escondido além disso."
                        f"{beside}",
                    ),
                    s.turns,
                )
                return _propose(ctx, s, heard, floor, lead)
            return _say(s, heard, _pick(said, s.turns))
        if heard.asks_bureau and heard.proposes_terms | heard.wants_cash | heard.wants_installments:
            # "Quanto fica à vista? quero tirar meu nome do SPC": the rule, then those terms to confirm.
            offer, why = counter_offer(ctx, s, heard)
            lead = (
                "Com o acordo pago, o credor tem até 5 dias úteis pra pedir a retirada do seu nome do Serasa e do SPC."
            )
            return _propose(ctx, s, heard, offer, f"{lead} {why}".strip())
        if heard.asks_bureau:
            rule = (
                "Sim! Com o acordo pago, o credor tem até 5 dias úteis pra pedir a retirada do seu nome do Serasa "
                "e do SPC (é a regra do STJ). À vista é o caminho mais rápido pra limpar o nome."
            )
            tail = (
                f"A proposta continua: {pending.describe()}. Posso fechar?"
                if pending
                else (f"Hoje consigo {offers_text(ctx, s)}.")
            )
            return _say(s, heard, f"{rule} {tail}")
        if heard.fears:
            return _say(
                s,
                heard,
                "Pode ficar em paz: ninguém é preso por uma dívida como essa, e ela não mexe com documento, visto, "
                "refúgio nem com o seu trabalho. O que pode acontecer é o nome ficar negativado, e negociando isso "
                f"se resolve. Se quiser, vemos algo que caiba: {offers_text(ctx, s)}.",
            )
        if heard.asks_meaning and pending is not None and (heard.wants_cash or heard.payment_method):
            # "À vista é tudo de uma vez né? dá pra ser no pix?" over cash terms: yes, and those terms, by that means.
            if heard.payment_method is not None:
                s.payment_method = heard.payment_method
            return _propose(ctx, s, heard, pending, "Isso: à vista é pagar tudo de uma vez, num pagamento só.")
        if heard.asks_meaning:
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                "Explico, sim: *à vista* é pagar tudo de uma vez, num pagamento só, e é quando o desconto é maior. "
                "*Parcelado* é dividir o valor em partes iguais, uma por mês. "
                f"No seu caso: {offers_text(ctx, s)}. Qual fica melhor pra você?",
            )
        if heard.asks_priority:
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                "Com sinceridade: primeiro o que mantém sua casa de pé, como luz, água, aluguel e comida. Depois, as "
                "dívidas de juros mais altos, como cartão e cheque especial. A nossa pode entrar numa parcela que "
                f"caiba, sem apertar o resto: {offers_text(ctx, s)}. Sem pressa pra decidir.",
            )
        if heard.weekly:
            # Paid by the week (a diarista, a street seller): the parcelas are monthly, and what they save each
            # week becomes what fits a month.
            s.awaiting_confirmation = False
            if heard.weekly_cents:
                monthly = heard.weekly_cents * 4
                plan = ctx.policy.installment_offer(monthly_budget_cents=monthly, step=s.step, first_due=s.first_due)
                if plan is not None:
                    s.monthly_budget_cents = monthly
                    return _propose(
                        ctx,
                        s,
                        heard,
                        plan,
                        f"Por semana eu não consigo, as parcelas são mensais. Mas guardando {brl(heard.weekly_cents)} "
                        f"por semana dá uns {brl(monthly)} por mês, e isso cabe numa parcela mensal.",
                    )
            return _say(
                s,
                heard,
                "Entendi! As parcelas são mensais, mas dá pra ir guardando um pouco por semana até o vencimento. "
                "Quanto você consegue separar por semana? Aí eu monto as parcelas pra caber. Hoje dá pra pagar "
                f"{offers_text(ctx, s)}.",
            )
        if heard.worry is not None:
            fear = worries.answer(heard.worry, ctx.creditor_name)
            tail = (
                f"A proposta continua: {pending.describe()}. Posso fechar assim?"
                if pending
                else _pick(
                    (
                        f"Quando fizer sentido pra você, consigo {offers_text(ctx, s)}.",
                        f"E, se quiser resolver, hoje dá pra pagar {offers_text(ctx, s)}.",
                    ),
                    s.turns,
                )
            )
            return _say(s, heard, f"{fear} {tail}")
        if heard.asks_range:
            # "Quantas vezes dá? não sei quantas quero": the span, a few plans as examples, and the month's fit.
            s.awaiting_confirmation, s.pending_offer = False, None
            most = _best_plan(ctx, s)
            if most is None:
                return _say(s, heard, f"Nesse valor só consigo à vista: {offers_text(ctx, s)}. Quer seguir assim?")
            counts = sorted({2, (2 + most.installments) // 2, most.installments})
            plans = [ctx.policy.installment_offer(count=c, step=s.step, first_due=s.first_due) for c in counts]
            examples = "; ".join(
                f"{p.installments}x de {brl(p.installment_amounts_cents[-1])}" for p in plans if p is not None
            )
            return _say(
                s,
                heard,
                f"Dá de 2x até {most.installments}x, e à vista sai mais barato "
                f"({brl(ctx.policy.cash_offer(s.step, s.first_due).total_cents)}). Por exemplo: {examples}. O melhor "
                "é a parcela que cabe folgada no seu mês: quanto você consegue pagar por mês sem apertar?",
            )
        if heard.compare is not None:
            # Two plans side by side; the choice is the debtor's, so nothing waits for a yes yet.
            s.awaiting_confirmation, s.pending_offer = False, None
            lines = []
            for count in heard.compare:
                p = ctx.policy.installment_offer(count=count, step=s.step, first_due=s.first_due)
                lines.append(
                    f"em {count}x: {p.describe()}"
                    if p is not None and p.installments == count
                    else f"em {count}x não consigo (até {ctx.policy.terms.max_installments}x, parcela mínima de "
                    f"{brl(ctx.policy.terms.min_installment_cents)})"
                )
            return _say(s, heard, f"Fica assim: {lines[0]}; e {lines[1]}. Qual das duas você prefere?")
        if heard.asks_options:
            s.awaiting_confirmation, s.pending_offer = False, None  # both ways shown: neither waits for a yes
            cash = ctx.policy.cash_offer(s.step, s.first_due)
            asked = heard.installments
            plan = (
                ctx.policy.installment_offer(count=asked, step=s.step, first_due=s.first_due) if asked else None
            ) or _best_plan(ctx, s)
            both = f"À vista, o total fica {brl(cash.total_cents)} ({brl(cash.discount_cents)} de desconto)."
            if plan is not None:
                both += (
                    f" Parcelado, em até {plan.installments}x de {brl(plan.installment_amounts_cents[-1])}, "
                    f"o total fica {brl(plan.total_cents)}."
                )
            return _say(s, heard, f"{both} Qual prefere?")
        return _say(
            s,
            heard,
            _pick(
                (
                    f"É {ctx.debt} em {ctx.due_date:%d/%m/%Y}, com {ctx.original_creditor}, de "
                    f"{brl(ctx.amount_cents)}. Hoje consigo {offers_text(ctx, s)}.",
                    # Asked again ("será que foi aquele cartão?"): the same facts in other words, and time.
                    f"Sem pressa, te explico de novo: ficou em aberto {ctx.debt} em {ctx.due_date:%d/%m/%Y}, com "
                    f"{ctx.original_creditor}, no valor de {brl(ctx.amount_cents)}. Se quiser ver com alguém da "
                    f"família antes, pode; quando quiser, dá pra pagar {offers_text(ctx, s)}.",
                ),
                s.turns,
            ),
        )

    def _pay_date(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if s.pending_offer is not None and heard.day is not None:
            return self._terms(ctx, s, heard)
        if s.first_due is not None:
            cap = ""
            if heard.day is not None and s.first_due < heard.day:
                cap = f"Não consigo o 1º vencimento em {heard.day:%d/%m/%Y}; o mais longe que consigo é "
                cap += f"{s.first_due:%d/%m/%Y}. "
                return _say(s, heard, f"{cap}Quer fazer assim? Prefere à vista ou parcelado?")
            return _say(s, heard, f"Anotado, 1º vencimento em {s.first_due:%d/%m/%Y}. Prefere à vista ou parcelado?")
        return self._unknown(ctx, s, heard)

    def _payment_method(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.pay_by_card:
            return _say(
                s,
                heard,
                _pick(
                    (
                        "Cartão, débito automático, FGTS ou desconto em folha não dá por aqui: o acordo se paga por "
                        "boleto (em qualquer banco, lotérica ou app) ou por PIX. Se você sacar o FGTS, pode usar o "
                        f"dinheiro pra pagar. E dá pra parcelar aqui mesmo, sem juros em cima: {offers_text(ctx, s)}. "
                        "Qual prefere?",
                        "Por aqui não tenho esse jeito de pagar, infelizmente: só boleto ou PIX. O boleto você paga "
                        "no caixa de qualquer banco, na lotérica ou no app, em dinheiro ou débito da sua conta, do "
                        f"jeito que já faz com as outras contas. Fica {offers_text(ctx, s)}: qual prefere?",
                    ),
                    s.turns,  # asked twice in a row ("débito automático?", "e no cartão de débito?"): other words
                ),
            )
        if heard.other_payer:
            pending = s.pending_offer if s.awaiting_confirmation else None
            tail = f"Posso fechar assim: {pending.describe()}?" if pending else "Prefere à vista ou parcelado?"
            return _say(
                s,
                heard,
                "Pode, sim: qualquer pessoa pode pagar o boleto ou o PIX, pelo app de qualquer banco. O acordo e o "
                f"nome limpo continuam sendo seus. {tail}",
            )
        if heard.method_trouble:
            pending = s.pending_offer if s.awaiting_confirmation else None
            tail = f"Posso fechar assim: {pending.describe()}?" if pending else "Prefere à vista ou parcelado?"
            if heard.payment_method == "pix":
                s.payment_method = "boleto"
                ways = (
                    "Sem problema: se o PIX não for, o boleto pode ser pago em lotérica, agência, correspondente "
                    "bancário ou pelo app de qualquer banco."
                )
            else:
                s.payment_method = "pix"
                ways = (
                    "Sem problema, não precisa de lotérica: junto com o boleto vai um código PIX copia e cola, que "
                    "se paga em qualquer app de banco ou carteira digital."
                )
            return _say(
                s,
                heard,
                f"{ways} E alguém de confiança pode pagar por você, pelo app dela; o acordo continua no seu "
                f"nome. {tail}",
            )
        if s.awaiting_confirmation and s.pending_offer is not None:
            return _say(s, heard, f"Pode ser por {_method(s)}, sim!")  # the terms waiting are put back after it
        return _say(s, heard, f"Pode ser por {_method(s)} sim! Prefere à vista ou parcelado?")

    def _greeting(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.thanks:
            return _say(
                s,
                heard,
                _pick(
                    (
                        f"Eu que agradeço, {ctx.first_name}! Quando quiser seguir, é só me chamar aqui.",
                        f"Por nada, {ctx.first_name}! Fico à disposição por aqui, no seu tempo.",
                    ),
                    s.turns,
                ),
            )
        if s.awaiting_confirmation and s.pending_offer is not None:
            # Back after a while ("oi de novo"): where we were, so a yes closes what they last saw.
            return _say(
                s,
                heard,
                f"Oi de novo, {ctx.first_name}! A gente estava aqui: {s.pending_offer.describe()}. Posso fechar assim?",
            )
        return _say(s, heard, f"Oi, {ctx.first_name}! Consigo {offers_text(ctx, s)}. O que acha?")

    def _recall(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if s.pending_offer is not None:
            # "Onde paramos?", "aquela proposta ainda vale?": the terms again, and a yes now closes them.
            s.awaiting_confirmation = True
            return _say(s, heard, f"Vale, sim! A proposta é: {s.pending_offer.describe()}. Posso fechar assim?")
        return self._debt_question(ctx, s, heard)

    def _unknown(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        offer = s.pending_offer
        if heard.surprise and offer is not None and offer.installments > 1:
            # "800 por mês?? tá doida": the total read as the installment. The same terms, explained.
            s.awaiting_confirmation = True
            return _say(
                s,
                heard,
                f"Calma, não é isso! Em {offer.installments}x, cada parcela fica "
                f"{brl(offer.installment_amounts_cents[-1])} por mês; {brl(offer.total_cents)} é o total de todas "
                f"juntas. Fica assim: {offer.describe()}. Posso fechar assim?",
            )
        if heard.puzzled:
            # "???" after an offer: the debtor is the one who did not understand. Said again in plainer
            # words, with a person of the team one word away, instead of a "não entendi" back.
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                _pick(
                    (
                        f"Ficou alguma dúvida? Explico de outro jeito: dá pra pagar {offers_text(ctx, s)}. Me diz "
                        "qual prefere, ou escreva *atendente* pra falar com uma pessoa da equipe.",
                        f"Sem problema, vou simplificar: existe uma dívida de {brl(ctx.amount_cents)} com "
                        f"{ctx.original_creditor}, e hoje dá pra resolver {offers_text(ctx, s)}. Se preferir, "
                        "escreva *atendente* que uma pessoa te explica.",
                    ),
                    s.turns,
                ),
            )
        return _say(
            s,
            heard,
            _pick(
                (
                    "Não entendi muito bem 😅 Você prefere pagar à vista com desconto ou parcelado?",
                    "Desculpa, acho que não peguei. Me conta: quer quitar à vista ou dividir em parcelas?",
                    f"Hmm, não entendi. Só lembrando: consigo {offers_text(ctx, s)}. Qual fica melhor?",
                ),
                s.turns,
            ),
        )

    # --- the moments that end or pause the collection -------------------------------------------

    def _opt_out(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        return _say(
            s,
            heard,
            ERASURE_TEXT
            if heard.erasure
            else "Tudo certo, não vou mais te mandar mensagens por aqui. Se mudar de ideia, é só chamar.",
            action="opt_out",
            notes=ERASURE_NOTE if heard.erasure else "Pediu para não receber mais mensagens.",
        )

    def _crisis(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        # A person of the team takes the conversation (the bot goes quiet), and the offer is dropped: a
        # later "sim" must not close what was shown before.
        s.awaiting_confirmation, s.pending_offer = False, None
        reply, notes = crisis_reply(heard.someone_else, s.turns)
        return _say(s, heard, reply, action="handoff", notes=notes)

    def _distress(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        # No number this turn, and no yes pending: whatever the person answers next is heard fresh.
        s.hardship, s.awaiting_confirmation = True, False
        if heard.vent_sorry:
            return _say(
                s,
                heard,
                f"Imagina, {ctx.first_name}, não precisa se desculpar: pode desabafar, estou aqui pra te ouvir. Com "
                "calma, no seu tempo. E se quiser conversar com alguém, o CVV escuta de graça no *188*.",
            )
        if heard.illness:
            s.unwell = s.upset = True  # health first; if they settle later, no party emoji over it
            return _say(
                s,
                heard,
                _pick(ILLNESS_REPLIES, s.turns).format(name=ctx.first_name),
                notes="Relatou estar doente ou internado.",
            )
        return _say(
            s,
            heard,
            _pick(
                (
                    f"Sinto muito que esteja tão pesado, {ctx.first_name}. Não precisa resolver nada hoje. Quando "
                    "você quiser, a gente vê uma parcela que caiba no seu bolso; se preferir falar com uma pessoa, "
                    "escreva *atendente*. E se a cabeça pesar demais, o CVV escuta de graça no *188*, a qualquer hora.",
                    f"Obrigada por me contar, {ctx.first_name}, e sinto muito. Sem pressa: se quiser, me diz quanto "
                    "cabe por mês que eu monto algo possível, ou escreva *atendente* pra falar com uma pessoa. "
                    "Se precisar desabafar, o CVV atende no *188*, 24 horas.",
                ),
                s.turns,
            ),
            notes="Relatou sofrimento emocional.",
        )

    def _violence(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.hardship, s.awaiting_confirmation = True, False
        return _say(s, heard, _pick(texts.VIOLENCE, s.turns), notes="Relatou violência doméstica.")

    def _human(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        return _say(
            s,
            heard,
            "Claro! Vou chamar uma pessoa da equipe pra continuar com você. É só aguardar um pouquinho.",
            action="handoff",
            notes="Pediu atendimento humano." + (" Ameaçou medida legal." if s.legal_threat else ""),
        )

    def _dispute(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.awaiting_confirmation = False
        return _say(
            s,
            heard,
            "Entendi. Vou registrar que você não reconhece essa dívida e a cobrança dela fica suspensa "
            f"enquanto a {ctx.creditor_name} analisa. Você recebe a resposta por aqui em até 10 dias úteis, "
            "com a origem e os documentos da contratação. Se tiver algum comprovante (um boletim de "
            "ocorrência, por exemplo), pode guardar que a equipe vai te pedir.",
            action="dispute",
            notes="Contestou a dívida: não reconhece a cobrança.",
        )

    def _deceased(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.relative_died:
            # After the CPF, the one writing is the debtor: a loss of their own, not the titular's death. No
            # cheerful word from here on, even if they go on to settle (`upset`).
            s.hardship, s.awaiting_confirmation, s.upset = True, False, True
            return _say(
                s,
                heard,
                f"Sinto muito pela sua perda, {ctx.first_name} 🙏 Não precisa resolver nada agora: quando quiser, "
                "a gente conversa com calma, ou escreva *atendente* pra falar com uma pessoa. Se quem faleceu "
                "era o(a) titular desta dívida, me escreva *o titular faleceu* que eu registro e paro as cobranças.",
                notes="Contou a perda de um familiar.",
            )
        return _say(
            s,
            heard,
            "Sinto muito pela sua perda 🙏 Não vou tratar de cobrança com você. Vou registrar o que me contou "
            "e este número não vai mais receber nossas mensagens. Se a família precisar de alguma informação, "
            f"a {ctx.creditor_name} atende quando vocês quiserem, sem pressa.",
            action="deceased",
            notes="Informaram o falecimento do titular.",
        )

    def _third_party(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.other_typing and not heard.representative:
            # "E ele consegue parcelar?", "meu marido vai continuar aqui": not the titular at the phone now.
            s.other_typing, s.awaiting_confirmation = True, False
            return _say(s, heard, OTHER_TYPING_TEXT.format(name=ctx.first_name))
        if heard.representative:
            return _say(s, heard, REPRESENTATIVE_TEXT, action="third_party", notes=REPRESENTATIVE_NOTE)
        if heard.about_another:
            # The titular asks about someone else's debt: not even whether it exists; their own goes on.
            s.awaiting_confirmation = False
            return _say(
                s,
                heard,
                _pick(
                    (
                        "Sobre a dívida de outra pessoa eu não posso falar, nem dizer se existe: isso só com o "
                        "próprio titular, que pode nos chamar direto. Sobre a sua, sigo por aqui: consigo "
                        f"{offers_text(ctx, s)}. Quer seguir com a sua?",
                        "Continuo sem poder dizer nada da dívida de outra pessoa, nem com os dígitos dela: só ela "
                        "mesma pode tratar disso com a gente. Se quiser resolver a sua, me diz se prefere à vista "
                        "ou parcelado.",
                    ),
                    s.turns,
                ),
            )
        return _say(
            s,
            heard,
            third_party_text(ctx.creditor_name, ctx.creditor_cnpj),
            action="third_party",
            notes="Terceiro (parente ou conhecido) falando pelo titular; nada foi informado.",
        )

    def _legal_threat(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.upset, s.legal_threat = True, True
        return _say(
            s,
            heard,
            "Entendo, e você tem todo o direito de procurar o Procon, um advogado ou a Justiça. Registrei aqui. "
            "Se preferir, passo agora pra uma pessoa da equipe: é só escrever *atendente*. Se quiser, "
            "também posso seguir com você por aqui, com calma.",
            action="legal_threat",
            notes="Mencionou Procon, advogado ou processo.",
        )

    def _anger(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.upset = True
        return _say(
            s,
            heard,
            _pick(
                (
                    "Sinto muito pelo incômodo, de verdade. Não quero te chatear. Se preferir falar com uma "
                    "pessoa da equipe, é só escrever *atendente*; se quiser que eu pare, escreva *PARAR*.",
                    "Entendo sua irritação, e peço desculpas pelo transtorno. Posso te passar pra uma pessoa "
                    "(escreva *atendente*) ou explicar as condições com calma, como você preferir.",
                ),
                s.turns,
            ),
        )

    def _later(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        # Someone in hospital is not called back in two days: a week, unless they named a day.
        s.unwell = s.unwell or heard.illness
        wanted = heard.day or (ctx.today + timedelta(days=UNWELL_FOLLOW_UP_DAYS) if s.unwell else None)
        when = follow_up_date(ctx.today, wanted)
        s.awaiting_confirmation = False
        lead = (
            "Claro, pode sim. Primeiro a sua recuperação, melhoras!"
            if s.unwell
            else _pick(
                ("Combinado, sem problema: respeito seu tempo.", "Combinado, sem pressa: no seu tempo."), s.turns
            )
        )
        return _say(
            s,
            heard,
            f"{lead} Volto a falar com você uma vez só, {WEEKDAYS[when.weekday()]}, dia {when:%d/%m}, em horário "
            "comercial. Se quiser antes, é só mandar mensagem aqui.",
            action="later",
            promised_date=when,
            notes=f"Pediu para falar depois; um retorno agendado para {when:%d/%m/%Y}.",
        )

    def _prescription(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        ends = add_months(ctx.due_date, 12 * PRESCRIPTION_YEARS)
        if ctx.prescribed or ends <= ctx.today:
            return _say(
                s,
                heard,
                f"Pelo cadastro, essa dívida venceu em {ctx.due_date:%d/%m/%Y}, há mais de {PRESCRIPTION_YEARS} "
                "anos, então está prescrita e não pode ser cobrada: ninguém vai te cobrar por ela. Se mesmo "
                "assim você quiser quitar por vontade própria, é só me dizer.",
            )
        return _say(
            s,
            heard,
            f"Ainda não. Pelo cadastro, ela venceu em {ctx.due_date:%d/%m/%Y}. Dívidas de consumo prescrevem "
            f"em {PRESCRIPTION_YEARS} anos (Código Civil, art. 206, § 5º, I), então essa só prescreveria em "
            f"{ends:%d/%m/%Y}. Se quiser, seguimos: consigo {offers_text(ctx, s)}.",
        )

    def _breakdown(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.asks_interest:
            # "10x tem juros?": the plan's own figures say it; nothing is added on top of the parcelas.
            count = heard.installments or s.preferred_installments
            plan = ctx.policy.installment_offer(count=count, step=s.step, first_due=s.first_due) if count else None
            plan = plan or _best_plan(ctx, s)
            cash = ctx.policy.cash_offer(s.step, s.first_due)
            if plan is not None:
                # The plan asked about is the one on the table: "blz, fecha os 3x" next closes it.
                s.preferred_installments = plan.installments
                s.pending_offer, s.awaiting_confirmation = plan, True
                return _say(
                    s,
                    heard,
                    f"Não tem juros em cima das parcelas: em {plan.installments}x fica {plan.describe()}, e esse "
                    f"total não muda. À vista sai mais barato: {brl(cash.total_cents)}. Posso fechar em "
                    f"{plan.installments}x, ou prefere à vista?",
                )
        return _say(
            s,
            heard,
            f"Pelo cadastro do credor: {ctx.debt_description.lower()} com {ctx.original_creditor}, "
            f"vencimento original em {ctx.due_date:%d/%m/%Y} ({ctx.days_past_due} dias de atraso), valor "
            f"registrado de {brl(ctx.amount_cents)}. O desconto do acordo sai desse valor, sem juros novos. "
            "Se quiser o demonstrativo detalhado de juros e encargos, escreva *atendente* que uma pessoa da "
            "equipe te manda.",
        )

    def _cpf_after_validation(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.data_access:
            s.awaiting_confirmation = False
            return _say(s, heard, DATA_ACCESS_TEXT, notes=DATA_ACCESS_NOTE)
        if heard.asks_discretion:
            return _say(s, heard, DISCRETION_TEXT)
        if heard.asks_my_data:
            return _say(
                s,
                heard,
                _pick(
                    (
                        "Por segurança, não passo dados pessoais completos (CPF, endereço, documentos) por mensagem, "
                        "nem pra você. O CPF você consulta no app gov.br ou no site da Receita Federal; pra conferir "
                        "ou corrigir o cadastro, escreva *atendente*. Sobre o acordo, sigo por aqui: consigo "
                        f"{offers_text(ctx, s)}.",
                        "Esses dados (endereço, documentos, CPF completo) eu também não informo por aqui, pela sua "
                        "segurança. Uma pessoa da equipe confere o cadastro com você se escrever *atendente*. Quer "
                        "ver o acordo enquanto isso?",
                    ),
                    s.turns,
                ),
            )
        return _say(
            s,
            heard,
            "Pedi só os 3 primeiros dígitos do CPF pra ter certeza de que falava com o titular antes de "
            "falar da dívida (é o que a LGPD pede). Já está confirmado, não preciso de mais nada. "
            f"Seguimos? Consigo {offers_text(ctx, s)}.",
        )

    def _already_paid(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        s.claimed_paid, s.awaiting_confirmation, s.pending_offer = True, False, None
        when = f" em {heard.day:%d/%m/%Y}" if heard.day else ""
        return _say(
            s,
            heard,
            f"Entendi, obrigada por avisar! Vou registrar que você informou o pagamento{when}. "
            "Nossa equipe vai conferir e, se precisar de algo, a gente te chama, sem pressão.",
            action="claimed_paid",
            promised_date=heard.day,
        )

    def _promise(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.day is None:
            return self._later(ctx, s, heard)
        return _say(
            s,
            heard,
            f"Combinado, {ctx.first_name}! Anotei que você pretende pagar em {heard.day:%d/%m/%Y}. "
            "Até lá a gente não te chama. Se quiser fechar um acordo com desconto antes, é só me mandar um oi.",
            action="promise",
            promised_date=heard.day,
        )

    def _bot(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        return _say(
            s,
            heard,
            "Sou sim, uma assistente virtual 🤖 Posso fechar o acordo com você por aqui mesmo, mas se "
            f"preferir uma pessoa é só pedir. Hoje consigo {offers_text(ctx, s)}.",
        )

    def _identity(self, ctx: DebtContext, s: NegotiationState, heard: Understanding) -> TurnDecision:
        if heard.how_number:
            # "Como vocês conseguiram meu número?": from the creditor's own records, said plainly.
            return _say(
                s,
                heard,
                f"Seu número está no cadastro que você fez com {ctx.original_creditor}, que passou a cobrança dessa "
                f"dívida pra {ctx.creditor_name}. A gente não compra lista nem passa seu número pra ninguém.",
            )
        if heard.pay_elsewhere:
            return _say(
                s,
                heard,
                f"Não: o pagamento é só pelo boleto ou pelo PIX copia e cola que a gente manda aqui, em nome da "
                f"{ctx.creditor_name} (CNPJ {ctx.creditor_cnpj}). Nunca pague pra chave de atendente, de pessoa "
                "ou por link que mandarem: confira sempre o nome do beneficiário antes de confirmar. "
                f"Se quiser, fecho o acordo por aqui: {offers_text(ctx, s)}.",
            )
        return _say(
            s,
            heard,
            _pick(
                (
                    f"Aqui é a assistente virtual da {ctx.creditor_name}, CNPJ {ctx.creditor_cnpj}. Você pode "
                    "conferir o CNPJ no site da Receita Federal, e o boleto sai sempre em nome dessa empresa: "
                    f"nunca pague para outro nome. A dívida é de {ctx.debt_description.lower()} com "
                    f"{ctx.original_creditor}.",
                    # Asked again ("e o boleto sai no nome de quem? tenho medo de golpe"): the same facts, other words.
                    f"Pode checar tudo: quem cobra hoje a dívida de {ctx.debt_description.lower()} "
                    f"({ctx.original_creditor}) é a {ctx.creditor_name}, CNPJ {ctx.creditor_cnpj}. O boleto e o PIX "
                    "saem no nome dela; se aparecer qualquer outro nome na hora de pagar, não pague e me avise.",
                ),
                s.turns,
            ),
        )


PRESCRIPTION_YEARS = 5
# A request of access to one's own data (LGPD, art. 18): recorded as that, answered in 15 days (art. 19, II).
DATA_ACCESS_TEXT = (
    "É seu direito, pela LGPD (art. 18). Registrei seu pedido de acesso: a equipe te responde em até 15 dias, "
    "por aqui ou por e-mail, com os dados que temos sobre você, de onde vieram e com quem foram compartilhados. "
    "Isso não apaga nada nem interrompe a conversa."
)
DATA_ACCESS_NOTE = "Pedido de acesso aos dados pessoais (LGPD, art. 18): responder em até 15 dias."
# "Te chamo na sexta, dia 04/12": the day as people say it, beside the date.
WEEKDAYS = ("na segunda", "na terça", "na quarta", "na quinta", "na sexta", "no sábado", "no domingo")


def _what_changed(old: Offer, new: Offer, method: str, heard: Understanding) -> str:
    said: list[str] = []
    if new.due_dates[0] != old.due_dates[0]:
        said.append(f"mudei o vencimento para {new.due_dates[0]:%d/%m/%Y}")
    if heard.payment_method is not None:
        said.append(f"troquei a forma de pagamento para {'PIX' if method == 'pix' else 'boleto'}")
    # Said with the new shape, so two changes in a row never read as the same sentence.
    if new.kind != old.kind or new.installments != old.installments:
        said.append("passei pra pagamento à vista" if new.kind == "cash" else f"passei pra {new.installments}x")
        if old.kind == "cash" and new.kind != "cash" and new.discount_cents < old.discount_cents:
            # "Esse valor com desconto dá pra dividir?": the bigger discount is the cash one, said before the figures.
            said.append("e parcelado o desconto é menor que à vista")
    elif new.total_cents != old.total_cents:
        said.append("ajustei o valor ao que você pediu")
    if not said:
        return "As condições continuam as mesmas."
    text = ", ".join(said)
    return text[:1].upper() + text[1:] + "."


ANOTHERS_DEBT_DECLINED = (
    "Sobre a dívida de outra pessoa eu não posso falar, nem dizer se existe: só o próprio titular pode tratar "
    "disso com a gente."
)


def third_party_text(creditor: str, cnpj: str) -> str:
    return (
        "Obrigada por avisar. Por segurança e pela LGPD, só posso tratar desse assunto com o próprio titular, "
        "então não posso passar nenhuma informação por aqui, nem confirmar dados. Peça pra pessoa falar com "
        f"a gente direto, por este WhatsApp do número dela ou pelos canais da {creditor} (CNPJ {cnpj})."
    )


def _say(
    s: NegotiationState,
    heard: Understanding,
    reply: str,
    intent: Intent | None = None,
    action: Action = "continue",
    **kw: Any,
) -> TurnDecision:
    return TurnDecision(reply=reply, intent=intent or heard.intent, action=action, state=s, **kw)


def _only_here(heard: Understanding, d: TurnDecision) -> TurnDecision:
    """ "Manda o boleto no zap da minha patroa": the documents go only here; anyone may pay what is forwarded."""
    if heard.to_other_number and d.action == "continue":
        d.reply = (
            "Por segurança, o boleto e o PIX vão só pra este número, o seu; daí você encaminha pra quem for "
            "pagar (qualquer pessoa pode pagar por você). " + d.reply
        )
    return d


def _propose(ctx: DebtContext, s: NegotiationState, heard: Understanding, offer: Offer, lead: str) -> TurnDecision:
    problems = ctx.policy.check(offer)
    if problems:  # the engine never builds a bad offer; if it did, the debtor must not read it
        raise ValueError(f"oferta fora da política: {problems}")
    s.pending_offer, s.awaiting_confirmation = offer, True
    s.countered = "Não consigo" in lead  # what they asked could not be done: a bare "ok" will not close this
    return _say(s, heard, (lead + " " if lead else "") + confirmation_text(ctx, offer, s))


def build_negotiator(settings: BotSettings) -> Negotiator:
    offline = OfflineNegotiator()
    if settings.offline_only:
        return offline
    from certobot.negotiation.agent import AgentNegotiator

    return AgentNegotiator.from_settings(settings, fallback=offline)
