"""The language model's part: understanding the debtor and wording the answer, never the numbers.

Each turn the model reads the debtor's message (with a bounded history), says what the debtor wants
(intent, installments asked, monthly budget, payment method, a date) and writes the reply. The
offline engine turns that understanding into the decision (offers from the policy engine, the next
state, the action). The output validator checks every amount written in the reply against that
decision and sends the model back (`ModelRetry`) if it wrote one the policy did not produce. A model
that errs or takes longer than MODEL_TIMEOUT_SECONDS gives way to the offline engine for the turn.
"""

from __future__ import annotations

import asyncio
import base64
import re
import zlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from groq import AsyncGroq
from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelRequest, UserPromptPart
from pydantic_ai.models import Model
from pydantic_ai.models.groq import GroqModel
from pydantic_ai.providers.groq import GroqProvider

from certobot.config import BotSettings
from certobot.metrics import MODEL_FALLBACKS
from certobot.negotiation import texts
from certobot.negotiation.brain import DebtContext, NegotiationState, OfflineNegotiator, TurnDecision
from certobot.negotiation.nlu import Intent, Understanding
from certokit.logging import get_logger
from certokit.money import brl, to_cents

log = get_logger("certobot.agent")
HISTORY_MESSAGES = 16

INSTRUCTIONS = """\
Você é a Certa, assistente virtual de negociação de dívidas no WhatsApp, falando com pessoas de baixa
renda no Brasil. Fale em português do Brasil, informal, curto (no máximo 3 frases), gentil e sem
julgamento. Nunca ameace, nunca constranja, nunca pressione (CDC art. 42). Se a pessoa contar uma
dificuldade, acolha com empatia antes de qualquer proposta.

Você NÃO decide valores. Antes de responder, chame a ferramenta `proposta` com o que a pessoa quer
(intenção, parcelas pedidas, quanto consegue pagar por mês, forma de pagamento, data). Ela devolve o
rascunho com os únicos valores permitidos. Reescreva esse rascunho com naturalidade, mantendo
exatamente os mesmos valores em reais, datas e número de parcelas, e a mesma pergunta final.
Se você é um robô: diga honestamente que é uma assistente virtual e que a pessoa pode pedir um
atendente. Nunca peça senha nem dados de cartão.
"""


class AgentOutput(BaseModel):
    intent: Intent = Field(description="O que a pessoa quer nesta mensagem.")
    installments: int | None = Field(default=None, ge=1, le=120, description="Parcelas pedidas, se houver.")
    monthly_budget_reais: Decimal | None = Field(default=None, ge=0, le=100_000, description="Quanto consegue por mês.")
    payment_method: Literal["boleto", "pix"] | None = None
    day: date | None = Field(default=None, description="Data mencionada (pagamento ou vencimento).")
    reply: str = Field(min_length=1, max_length=1200, description="A resposta ao devedor.")


@dataclass
class AgentDeps:
    ctx: DebtContext
    state: NegotiationState
    engine: OfflineNegotiator


def understanding(out: AgentOutput) -> Understanding:
    return Understanding(
        intent=out.intent,
        installments=out.installments,
        amount_cents=to_cents(out.monthly_budget_reais) if out.monthly_budget_reais else None,
        day=out.day,
        payment_method=out.payment_method,
        accepts=out.intent == Intent.accept,
        plain=out.intent == Intent.accept,  # the model's own reading; the flow's guard reads the words again
        wants_cash=out.intent == Intent.cash,
        wants_installments=out.intent == Intent.installments,
    )


_MONEY = re.compile(r"R\$\s?\d{1,3}(?:\.\d{3})*,\d{2}")


def amounts_in(text: str) -> set[str]:
    return {m.replace("R$ ", "R$").replace("R$", "R$ ") for m in _MONEY.findall(text)}


def build_agent(model: Model | str | None = None) -> Agent[AgentDeps, AgentOutput]:
    agent: Agent[AgentDeps, AgentOutput] = Agent(
        model,
        output_type=AgentOutput,
        deps_type=AgentDeps,
        instructions=INSTRUCTIONS,
        retries={"tools": 1, "output": 2},
        defer_model_check=True,
    )

    @agent.instructions
    def debtor_context(run: RunContext[AgentDeps]) -> str:
        c = run.deps.ctx
        return (
            f"Devedor: {c.first_name} (identidade já confirmada). Dívida: {c.debt_description} com "
            f"{c.original_creditor}, {brl(c.amount_cents)}, vencida em {c.due_date:%d/%m/%Y} "
            f"({c.days_past_due} dias). Credor: {c.creditor_name}, CNPJ {c.creditor_cnpj}. "
            f"Hoje: {c.today:%d/%m/%Y}."
        )

    @agent.instructions
    def team_wording(run: RunContext[AgentDeps]) -> str:
        # The team's templates (console, "Modelos"), read from memory each run: an edit reaches the
        # model's tone on the next message, as it reaches the offline engine's fixed sentences.
        c = run.deps.ctx
        greeting = texts.pick(texts.GREETING, 0).format(creditor=c.creditor_name, cnpj=c.creditor_cnpj)
        return (
            "Fale no mesmo tom das mensagens fixas da equipe. A saudação da conversa foi: "
            f"«{greeting}». Depois de um acordo fechado o sistema envia sozinho: "
            f"«{texts.pick(texts.AGREEMENT_DELIVERY, 0)}» (não repita isso). Para passar a uma pessoa, a "
            f"equipe diz: «{texts.pick(texts.HANDOFF, 0)}»."
        )

    @agent.tool
    def proposta(
        run: RunContext[AgentDeps],
        intencao: Intent,
        parcelas: int | None = None,
        por_mes_reais: Decimal | None = None,
        forma: Literal["boleto", "pix"] | None = None,
        data: date | None = None,
    ) -> str:
        """O rascunho da resposta com os valores que a política permite para o que a pessoa pediu."""
        out = AgentOutput(
            intent=intencao,
            installments=parcelas,
            monthly_budget_reais=por_mes_reais,
            payment_method=forma,
            day=data,
            reply="-",
        )
        d = run.deps.engine.decide(run.deps.ctx, run.deps.state, understanding(out))
        return f"Ação: {d.action}. Rascunho: {d.reply}"

    @agent.output_validator
    def only_policy_amounts(run: RunContext[AgentDeps], out: AgentOutput) -> AgentOutput:
        d = run.deps.engine.decide(run.deps.ctx, run.deps.state, understanding(out))
        allowed = amounts_in(d.reply) | {brl(run.deps.ctx.amount_cents)}
        wrong = amounts_in(out.reply) - allowed
        if wrong:
            raise ModelRetry(
                f"Os valores {', '.join(sorted(wrong))} não são permitidos pela política. Use só os do "
                f"rascunho: {d.reply}"
            )
        return out

    return agent


def groq_model(settings: BotSettings) -> Model:
    name = settings.certobot_model.removeprefix("groq:")
    client = AsyncGroq(
        api_key=settings.groq_api_key.get_secret_value() if settings.groq_api_key else None,
        base_url=settings.groq_base_url,
        max_retries=0,  # the offline engine is our retry: no waiting on the model's own backoff
        timeout=settings.model_timeout_seconds,
    )
    return GroqModel(name, provider=GroqProvider(groq_client=client))


def bounded(messages: list[ModelMessage]) -> list[ModelMessage]:
    """The last turns only, cut where a user turn starts (never between a tool call and its return)."""
    keep = messages[-HISTORY_MESSAGES:]
    for i, m in enumerate(keep):
        if isinstance(m, ModelRequest) and any(isinstance(p, UserPromptPart) for p in m.parts):
            return keep[i:]
    return []


def pack_history(messages: list[ModelMessage]) -> str:
    """The history as it is kept in the Redis session: compressed, since PydanticAI's JSON of a few
    turns (tool calls, timestamps, usage) is several kilobytes and a live session should stay small."""
    return "z:" + base64.b85encode(zlib.compress(ModelMessagesTypeAdapter.dump_json(messages), 6)).decode()


def unpack_history(packed: str | None) -> list[ModelMessage] | None:
    if not packed:
        return None
    raw = zlib.decompress(base64.b85decode(packed[2:])) if packed.startswith("z:") else packed.encode()
    return ModelMessagesTypeAdapter.validate_json(raw)


class AgentNegotiator:
    def __init__(self, agent: Agent[AgentDeps, AgentOutput], fallback: OfflineNegotiator, timeout: float) -> None:
        self.agent = agent
        self.fallback = fallback
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: BotSettings, *, fallback: OfflineNegotiator) -> AgentNegotiator:
        return cls(build_agent(groq_model(settings)), fallback, settings.model_timeout_seconds)

    async def respond(self, ctx: DebtContext, state: NegotiationState, text: str) -> TurnDecision:
        history = unpack_history(state.history)
        try:
            result = await asyncio.wait_for(
                self.agent.run(text, deps=AgentDeps(ctx, state, self.fallback), message_history=history),
                timeout=self.timeout,
            )
        except Exception as exc:  # any model failure (HTTP, timeout, bad output): the rules answer
            MODEL_FALLBACKS.inc()
            log.warning("model_fallback", error=type(exc).__name__)
            return await self.fallback.respond(ctx, state, text)
        out = result.output
        decision = self.fallback.decide(ctx, state, understanding(out))
        messages = bounded(result.all_messages())
        decision.state.history = pack_history(messages)
        return decision.model_copy(update={"reply": out.reply, "engine": "model"})
