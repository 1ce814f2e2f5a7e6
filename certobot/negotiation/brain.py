"""The negotiation itself: what to answer, which offer to make, when the deal is closed.

`OfflineNegotiator` does it with rules alone (CERTOBOT_MODEL=rules, and the fallback of the model);
`certobot.negotiation.agent.AgentNegotiator` lets a language model word it. Both return a
`TurnDecision`, and every amount in it comes from an `Offer` the policy engine built and checked.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from certobot.config import BotSettings
from certobot.negotiation.nlu import Intent, Understanding, understand
from certobot.negotiation.policy import DebtTerms, Offer, PolicyEngine
from certokit.money import brl

Action = Literal["continue", "agreement", "refused", "claimed_paid", "promise", "handoff", "opt_out", "wrong_person"]
MAX_REFUSALS = 3


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

    model_config = {"arbitrary_types_allowed": True}

    @property
    def policy(self) -> PolicyEngine:
        return PolicyEngine(self.terms, self.today)


class NegotiationState(BaseModel):
    step: int = 0
    refusals: int = 0
    hardship: bool = False
    pending_offer: Offer | None = None
    awaiting_confirmation: bool = False
    preferred_installments: int | None = None
    monthly_budget_cents: int | None = None
    first_due: date | None = None
    payment_method: Literal["boleto", "pix"] = "boleto"
    turns: int = 0
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


def _pick(options: tuple[str, ...], n: int) -> str:
    return options[n % len(options)]


def _method(state: NegotiationState) -> str:
    return "PIX (copia e cola)" if state.payment_method == "pix" else "boleto (com PIX junto)"


def confirmation_text(ctx: DebtContext, offer: Offer, state: NegotiationState) -> str:
    lead = _pick(
        (
            "Perfeito! Então fica assim:",
            "Show! Deixa eu confirmar direitinho:",
            "Combinado, só pra conferir:",
        ),
        state.turns,
    )
    return (
        f"{lead} {offer.describe()}, pagamento por {_method(state)}. "
        "Posso fechar o acordo? Responde *sim* pra confirmar ou me diz o que quer mudar."
    )


def _best_plan(ctx: DebtContext, state: NegotiationState) -> Offer | None:
    return ctx.policy.installment_offer(step=state.step, first_due=state.first_due)


def offers_text(ctx: DebtContext, state: NegotiationState) -> str:
    cash = ctx.policy.cash_offer(state.step, state.first_due)
    plan = _best_plan(ctx, state)
    text = f"à vista por {brl(cash.total_cents)}"
    if cash.discount_cents:
        text += f" ({brl(cash.discount_cents)} de desconto)"
    if plan is not None:
        text += f", ou parcelado em até {plan.installments}x de {brl(plan.installment_amounts_cents[-1])}"
    return text


def opening_after_validation(ctx: DebtContext, state: NegotiationState) -> TurnDecision:
    state = state.model_copy(deep=True)
    state.turns += 1
    state.pending_offer = ctx.policy.cash_offer(state.step, state.first_due)
    reply = (
        f"Obrigado, {ctx.first_name}! Identidade confirmada ✅ "
        f"Estou falando sobre {ctx.debt_description.lower()} com {ctx.original_creditor}, "
        f"no valor de {brl(ctx.amount_cents)}, vencida em {ctx.due_date:%d/%m/%Y}. "
        f"Consigo te oferecer {offers_text(ctx, state)}. O que fica melhor pra você?"
    )
    return TurnDecision(reply=reply, intent=Intent.greeting, state=state)


class OfflineNegotiator:
    """Rules only: deterministic, instant, and enough to negotiate a whole debt."""

    async def respond(self, ctx: DebtContext, state: NegotiationState, text: str) -> TurnDecision:
        return self.decide(ctx, state, understand(text, ctx.today))

    def decide(self, ctx: DebtContext, state: NegotiationState, heard: Understanding) -> TurnDecision:
        s = state.model_copy(deep=True)
        s.turns += 1
        n = s.turns
        policy = ctx.policy
        if heard.payment_method:
            s.payment_method = heard.payment_method
        if heard.day is not None and heard.intent not in (Intent.already_paid, Intent.promise):
            s.first_due = policy.first_due(heard.day)

        def say(reply: str, intent: Intent | None = None, action: Action = "continue", **kw: object) -> TurnDecision:
            return TurnDecision(reply=reply, intent=intent or heard.intent, action=action, state=s, **kw)

        def propose(offer: Offer, lead: str = "") -> TurnDecision:
            assert not policy.check(offer), policy.check(offer)  # the engine never builds a bad offer
            s.pending_offer, s.awaiting_confirmation = offer, True
            return say((lead + " " if lead else "") + confirmation_text(ctx, offer, s))

        i = heard.intent
        if i == Intent.opt_out:
            return say(
                "Tudo certo, não vou mais te mandar mensagens por aqui. Se mudar de ideia, é só chamar.",
                action="opt_out",
                notes="Pediu para não receber mais mensagens.",
            )
        if i == Intent.wrong_person:
            return say(
                "Poxa, desculpa o incômodo! Vou registrar e não vamos mais te chamar. Tenha um ótimo dia!",
                action="wrong_person",
                notes="Disse não ser o titular após a validação.",
            )
        if i == Intent.human:
            return say(
                "Claro! Vou chamar uma pessoa da equipe pra continuar com você. É só aguardar um pouquinho.",
                action="handoff",
                notes="Pediu atendimento humano.",
            )
        if i == Intent.already_paid:
            when = f" em {heard.day:%d/%m/%Y}" if heard.day else ""
            return say(
                f"Entendi, obrigado por avisar! Vou registrar que você informou o pagamento{when}. "
                "Nossa equipe vai conferir e, se precisar de algo, a gente te chama. Fica tranquilo(a).",
                action="claimed_paid",
                promised_date=heard.day,
            )
        if i == Intent.promise and heard.day is not None:
            return say(
                f"Combinado, {ctx.first_name}! Anotei que você pretende pagar em {heard.day:%d/%m/%Y}. "
                "Até lá a gente não te chama. Se quiser fechar um acordo com desconto antes, é só me mandar um oi.",
                action="promise",
                promised_date=heard.day,
            )
        if i == Intent.bot_question:
            return say(
                "Sou sim, uma assistente virtual 🤖 Posso fechar o acordo com você por aqui mesmo, mas se "
                f"preferir uma pessoa é só pedir. Hoje consigo {offers_text(ctx, s)}."
            )
        if i == Intent.identity_question:
            return say(
                f"Aqui é a assistente virtual da {ctx.creditor_name}, CNPJ {ctx.creditor_cnpj}. Você pode "
                "conferir o CNPJ no site da Receita Federal, e o boleto sai sempre em nome dessa empresa: "
                "nunca pague para outro nome. A dívida é de "
                f"{ctx.debt_description.lower()} com {ctx.original_creditor}."
            )

        if s.awaiting_confirmation and s.pending_offer is not None:
            if i in (Intent.accept, Intent.payment_method) or (heard.accepts and i not in (Intent.refuse,)):
                if i == Intent.payment_method and not heard.accepts:
                    return propose(s.pending_offer, "Fechado, troquei a forma de pagamento.")
                offer = s.pending_offer
                s.awaiting_confirmation = False
                return say(
                    _pick(
                        (
                            f"Acordo fechado, {ctx.first_name}! 🎉 {offer.describe()}.",
                            f"Prontinho, {ctx.first_name}, acordo feito! {offer.describe()}.",
                        ),
                        n,
                    ),
                    intent=Intent.accept,
                    action="agreement",
                    agreement=offer,
                    notes=f"Acordo: {offer.describe()}." + (" Relatou dificuldade financeira." if s.hardship else ""),
                )
            if i == Intent.refuse:
                s.awaiting_confirmation = False
                s.refusals += 1
                s.step = min(s.step + 1, policy.max_step)
                return say("Sem problema, a gente ajusta. Consigo " + offers_text(ctx, s) + ". Qual prefere?")

        if i == Intent.cash:
            return propose(policy.cash_offer(s.step, s.first_due))
        if i in (Intent.installments, Intent.amount):
            if heard.amount_cents is not None and i == Intent.amount:
                s.monthly_budget_cents = heard.amount_cents
            if heard.installments:
                s.preferred_installments = heard.installments
            plan = policy.installment_offer(
                count=heard.installments if i == Intent.installments else None,
                monthly_budget_cents=s.monthly_budget_cents if heard.installments is None else None,
                step=s.step,
                first_due=s.first_due,
            )
            if plan is None:
                cash = policy.cash_offer(s.step, s.first_due)
                return say(
                    "Pra esse valor não consigo parcelar, mas posso fazer "
                    f"{brl(cash.total_cents)} à vista. Fica bom pra você?"
                )
            lead = ""
            if heard.installments and heard.installments > plan.installments:
                lead = f"O máximo que consigo é {plan.installments}x."
            elif s.monthly_budget_cents and plan.installment_amounts_cents[-1] > s.monthly_budget_cents:
                lead = f"Com parcelas de {brl(s.monthly_budget_cents)} não fecha, mas o mais perto que consigo é esse."
            return propose(plan, lead)
        if i == Intent.hardship:
            s.hardship = True
            s.step = min(s.step + 1, policy.max_step)
            return say(
                _pick(
                    (
                        f"Poxa, {ctx.first_name}, sinto muito, sei que não tá fácil. Vamos achar um jeito que "
                        f"caiba no seu bolso: consigo {offers_text(ctx, s)}. Quanto você consegue por mês?",
                        "Entendo demais, e obrigado por me contar. Sem pressão: consigo melhorar pra "
                        f"{offers_text(ctx, s)}. Me diz o que cabe no seu orçamento.",
                    ),
                    n,
                )
            )
        if i == Intent.refuse:
            s.refusals += 1
            if s.refusals >= MAX_REFUSALS:
                return say(
                    f"Tudo bem, {ctx.first_name}, respeito sua decisão. Se mudar de ideia, é só me mandar "
                    "uma mensagem por aqui que a gente retoma. Obrigado pela conversa!",
                    action="refused",
                    notes=f"Recusou {s.refusals} propostas.",
                )
            s.step = min(s.step + 1, policy.max_step)
            return say(
                _pick(
                    (
                        f"Entendo. Deixa eu ver o que consigo… Melhorei: {offers_text(ctx, s)}. Que tal?",
                        f"Tranquilo, sem pressão. Consegui uma condição melhor: {offers_text(ctx, s)}. Faz sentido?",
                    ),
                    n,
                )
            )
        if i == Intent.accept and s.pending_offer is not None:
            return propose(s.pending_offer)
        if i == Intent.debt_question:
            return say(
                f"É {ctx.debt_description.lower()} com {ctx.original_creditor}, de {brl(ctx.amount_cents)}, "
                f"vencida em {ctx.due_date:%d/%m/%Y}. Hoje consigo {offers_text(ctx, s)}."
            )
        if i == Intent.pay_date and s.first_due is not None:
            return say(f"Anotado, 1º vencimento em {s.first_due:%d/%m/%Y}. Prefere à vista ou parcelado?")
        if i == Intent.payment_method:
            return say(f"Pode ser por {_method(s)} sim! Prefere à vista ou parcelado?")
        if i == Intent.greeting:
            return say(f"Oi, {ctx.first_name}! Consigo {offers_text(ctx, s)}. O que acha?")
        return say(
            _pick(
                (
                    "Não entendi muito bem 😅 Você prefere pagar à vista com desconto ou parcelado?",
                    "Desculpa, acho que não peguei. Me conta: quer quitar à vista ou dividir em parcelas?",
                    f"Hmm, não entendi. Só lembrando: consigo {offers_text(ctx, s)}. Qual fica melhor?",
                ),
                n,
            )
        )


def build_negotiator(settings: BotSettings) -> Negotiator:
    offline = OfflineNegotiator()
    if settings.offline_only:
        return offline
    from certobot.negotiation.agent import AgentNegotiator

    return AgentNegotiator.from_settings(settings, fallback=offline)
