"""The language-model path: the policy corrects the model, and a failing model gives way to the rules."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
import respx
from pydantic import SecretStr
from pydantic_ai import models
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from certobot.config import BotSettings
from certobot.negotiation.agent import AgentNegotiator, build_agent, unpack_history
from certobot.negotiation.brain import DebtContext, NegotiationState, OfflineNegotiator, build_negotiator
from certobot.negotiation.policy import DebtTerms

models.ALLOW_MODEL_REQUESTS = False
TODAY = date(2026, 11, 22)


def ctx() -> DebtContext:
    t = DebtTerms(
        amount_cents=100_000,
        max_discount_pct=Decimal("30"),
        min_installment_cents=5_000,
        max_installments=10,
        days_past_due=400,
    )
    return DebtContext(
        first_name="Ana",
        debt_description="Fatura do cartão",
        original_creditor="Banco Aurora",
        amount_cents=100_000,
        due_date=TODAY - timedelta(days=400),
        days_past_due=400,
        terms=t,
        creditor_name="Certo Recuperadora",
        creditor_cnpj="11.222.333/0001-81",
        today=TODAY,
    )


class TestFunctionModel:
    async def test_discount_beyond_policy_is_corrected_before_the_debtor_sees_it(self) -> None:
        calls: list[int] = []

        def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            calls.append(1)
            # After the validator's ModelRetry the model sees its first answer and the policy's objection.
            retried = any(isinstance(m, ModelResponse) for m in messages)
            reply = (
                "Consigo R$ 880,00 à vista pra você, com vencimento em 25/11/2026. Posso fechar?"
                if retried
                else "Faço por R$ 500,00 à vista, metade do valor!"  # 50% off: the policy allows 30%
            )
            args = {"intent": "cash", "reply": reply}
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(args))])

        negotiator = AgentNegotiator(build_agent(FunctionModel(model)), OfflineNegotiator(), timeout=4)
        decision = await negotiator.respond(ctx(), NegotiationState(), "quero pagar à vista")
        assert len(calls) == 2
        assert "R$ 500,00" not in decision.reply
        assert "R$ 880,00" in decision.reply
        assert decision.engine == "model"
        assert decision.state.pending_offer is not None
        assert decision.state.pending_offer.total_cents == 88_000
        assert decision.state.history  # kept for the next turn, bounded

    async def test_history_is_carried_to_the_next_turn(self) -> None:
        seen: list[int] = []

        def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            seen.append(len(messages))
            return ModelResponse(
                parts=[ToolCallPart(info.output_tools[0].name, json.dumps({"intent": "greeting", "reply": "Oi, Ana!"}))]
            )

        negotiator = AgentNegotiator(build_agent(FunctionModel(model)), OfflineNegotiator(), timeout=4)
        first = await negotiator.respond(ctx(), NegotiationState(), "oi")
        await negotiator.respond(ctx(), first.state, "tudo bem?")
        assert seen[1] > seen[0]

    async def test_history_is_kept_packed_and_plain_json_of_older_sessions_still_reads(self) -> None:
        def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            return ModelResponse(
                parts=[ToolCallPart(info.output_tools[0].name, json.dumps({"intent": "greeting", "reply": "Oi, Ana!"}))]
            )

        negotiator = AgentNegotiator(build_agent(FunctionModel(model)), OfflineNegotiator(), timeout=4)
        state = NegotiationState()
        for text in ["oi", "tudo bem?", "quanto eu devo?"]:
            state = (await negotiator.respond(ctx(), state, text)).state
        assert state.history is not None
        messages = unpack_history(state.history)
        assert messages is not None
        plain = ModelMessagesTypeAdapter.dump_json(messages).decode()
        assert len(state.history) * 2 < len(plain)
        assert unpack_history(plain) == messages


def groq_settings() -> BotSettings:
    return BotSettings(
        _env_file=None,
        certobot_model="groq:openai/gpt-oss-120b",  # type: ignore[call-arg]
        groq_api_key=SecretStr("gsk_test"),
        groq_base_url="http://groq.test",
        model_timeout_seconds=1.0,
    )


class TestGroqOverHttp:
    @respx.mock
    async def test_503_yields_an_offline_answer(self) -> None:
        route = respx.post("http://groq.test/openai/v1/chat/completions").mock(
            return_value=httpx.Response(503, json={"error": {"message": "Service Unavailable", "type": "server_error"}})
        )
        negotiator = build_negotiator(groq_settings())
        assert isinstance(negotiator, AgentNegotiator)
        with models.override_allow_model_requests(True):
            start = time.monotonic()
            decision = await negotiator.respond(ctx(), NegotiationState(), "quero pagar à vista")
        assert route.called
        assert time.monotonic() - start < 5
        assert decision.engine == "rules"
        assert "R$ 880,00 à vista" in decision.reply

    @respx.mock
    async def test_hanging_model_yields_an_offline_answer_in_time(self) -> None:
        async def hang(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(30)
            return httpx.Response(200, json={})

        respx.post("http://groq.test/openai/v1/chat/completions").mock(side_effect=hang)
        negotiator = build_negotiator(groq_settings())
        with models.override_allow_model_requests(True):
            start = time.monotonic()
            decision = await negotiator.respond(ctx(), NegotiationState(), "tô desempregado")
        assert time.monotonic() - start < 5
        assert decision.engine == "rules"
        assert "sinto muito" in decision.reply.lower() or "entendo" in decision.reply.lower()

    def test_rules_when_no_key(self) -> None:
        s = BotSettings(_env_file=None, certobot_model="groq:openai/gpt-oss-120b")  # type: ignore[call-arg]
        assert isinstance(build_negotiator(s), OfflineNegotiator)

    @pytest.mark.parametrize("model", ["rules"])
    def test_rules_when_asked(self, model: str) -> None:
        s = BotSettings(_env_file=None, certobot_model=model, groq_api_key=SecretStr("x"))  # type: ignore[call-arg]
        assert isinstance(build_negotiator(s), OfflineNegotiator)
