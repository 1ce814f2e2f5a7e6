"""The sensitive moments, each with its handling and its own recorded outcome, on both engines."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic_ai import models
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from certobot.config import BotSettings
from certobot.negotiation import flow
from certobot.negotiation.agent import AgentNegotiator, build_agent
from certobot.negotiation.brain import CONFIRM_QUESTIONS, Negotiator, OfflineNegotiator
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor, day_ahead

models.ALLOW_MODEL_REQUESTS = False


def digits(phone: str) -> str:
    return phone.lstrip("+")


async def contacts(stack: Stack, cpf: str, kind: str) -> list[dict[str, Any]]:
    for _ in range(80):
        rows = [c for c in (await stack.crm.get(f"/api/debtors/{cpf}/contacts")).json() if c["kind"] == kind]
        if rows:
            return rows
        await asyncio.sleep(0.1)
    return []


async def validated(stack: Stack, *, phone: str, debt: str = "1000.00") -> tuple[dict[str, Any], str]:
    d = await create_debtor(stack.crm, debt=debt, max_discount="30.00", phone=phone)
    p = digits(d["phone"])
    await stack.say(p, "oi")
    opened = await stack.say(p, d["cpf"][:3])
    assert "Identidade confirmada" in opened[0]
    return d, p


class TestAfterValidation:
    @pytest.mark.parametrize("text", ["essa dívida não é minha", "nunca fiz cartão nesse banco", "nao reconheço isso"])
    async def test_dispute_is_recorded_and_collection_suspended(self, stack: Stack, text: str) -> None:
        d, p = await validated(stack, phone="+5511987651001")
        reply = await stack.say(p, text)
        assert "suspensa" in reply[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "dispute"
        assert outcome["boletos"] == []
        assert await contacts(stack, d["cpf"], "dispute")
        info = (await stack.crm.get(f"/api/debtors/{d['cpf']}")).json()
        assert info["debt_status"] == "disputed"

    async def test_death_is_met_with_condolences_and_contact_stops(self, stack: Stack) -> None:
        d, p = await validated(stack, phone="+5511987651002")
        reply = await stack.say(p, "sou a esposa, ele faleceu mês passado")
        assert "Sinto muito" in reply[0]
        assert "R$" not in reply[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "deceased"
        assert await contacts(stack, d["cpf"], "deceased")
        info = (await stack.crm.get(f"/api/debtors/{d['cpf']}")).json()
        assert info["opted_out"] is True

    async def test_legal_threat_is_calm_recorded_and_offers_a_person(self, stack: Stack) -> None:
        d, p = await validated(stack, phone="+5511987651003")
        reply = await stack.say(p, "vou colocar vcs no procon e no reclame aqui")
        assert "atendente" in reply[0]
        assert not any(w in reply[0] for w in ("Perfeito", "Show", "🎉"))
        assert await contacts(stack, d["cpf"], "legal_threat")

    async def test_later_schedules_one_follow_up(self, stack: Stack) -> None:
        d, p = await validated(stack, phone="+5511987651004")
        reply = await stack.say(p, "agora não dá, depois eu vejo")
        assert "uma vez só" in reply[0]
        assert "R$" not in reply[0]  # no better offer pushed
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "follow_up"
        rows = await contacts(stack, d["cpf"], "follow_up")
        assert rows
        assert rows[0]["promised_date"] is not None
        # One follow-up, on the day the bot named: the operator cannot open a conversation before it.
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        assert r.status_code == 422
        assert "falar depois" in r.json()["detail"]

    async def test_a_person_speaking_of_ending_their_life_gets_care_and_no_deal(self, stack: Stack) -> None:
        d, p = await validated(stack, phone="+5511987651010")
        offer = await stack.say(p, "quero à vista")
        assert any(q in offer[0] for q in CONFIRM_QUESTIONS)  # an offer waits for a yes
        reply = await stack.say(p, "não aguento mais, tô pensando em me matar")
        assert "188" in reply[0]
        assert "R$" not in reply[0]
        rows = await contacts(stack, d["cpf"], "handoff")
        assert rows
        assert "CVV" in rows[0]["notes"]
        # The team owns the conversation now: the yes that follows closes nothing, and while nobody of the
        # team has written, the person is not left in silence: the CVV again, never the offer.
        waiting = await stack.say(p, "sim")
        assert "188" in waiting[0]
        assert "R$" not in waiting[0]
        r = await stack.bot.get("/api/conversations", params={"phone": p})
        conv = r.json()["items"][0]
        assert (conv["status"], conv["attention"]) == ("handoff", "crisis")
        assert await stack.outcome(p, wait=3.0) is None
        # First in the team's inbox, said in words.
        await validated(stack, phone="+5511987651018")  # a newer conversation, not in crisis
        first = (await stack.bot.post("/api/inbox/search", json={})).json()["items"][0]
        assert first["session_id"] == conv["session_id"]
        assert "tirar a própria vida" in first["attention_label"]
        # A person of the team writes: from then on the bot is silent there, and the flag is off.
        r = await stack.bot.post(f"/api/conversations/{conv['session_id']}/messages", json={"text": "Oi, sou a Ana."})
        assert r.status_code < 300
        for _ in range(100):  # the operator's line reaches the phone first
            if "Oi, sou a Ana." in stack.graph.texts_to(p):
                break
            await asyncio.sleep(0.05)
        assert await stack.say(p, "obrigada", wait=1.5) == []
        rows = (await stack.bot.post("/api/inbox/search", json={})).json()["items"]
        assert [r["attention"] for r in rows if r["session_id"] == conv["session_id"]] == [None]

    async def test_a_crisis_after_the_agreement_is_flagged_until_the_team_marks_it_cared_for(
        self, stack: Stack
    ) -> None:
        _d, p = await validated(stack, phone="+5511987651019")
        await stack.say(p, "quero à vista")
        await stack.say(p, "sim", wait=15)
        assert (await stack.outcome(p) or {}).get("outcome") == "successful"
        reply = await stack.say(p, "fechei mas nao aguento mais, vou acabar com a minha vida")
        assert any("188" in r for r in reply)
        # Whatever follows is not a renegotiation while nobody of the team has answered.
        again = " ".join(await stack.say(p, "quero mudar pra 3x"))
        assert "188" in again
        assert "3x de" not in again
        session = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"][0]["session_id"]
        row = (await stack.bot.post("/api/inbox/search", json={})).json()["items"][0]
        assert (row["session_id"], row["attention"]) == (session, "crisis")
        cared = await stack.bot.post(f"/api/inbox/{session}/cared")
        assert cared.status_code == 200
        assert cared.json()["attention"] is None
        assert (await stack.bot.post("/api/inbox/xyz/cared")).status_code == 404

    async def test_a_mocking_yes_is_asked_again_and_only_a_plain_yes_closes(self, stack: Stack) -> None:
        _d, p = await validated(stack, phone="+5511987651014")
        offer = await stack.say(p, "quero à vista")
        assert any(q in offer[0] for q in CONFIRM_QUESTIONS)
        again = await stack.say(p, "aham, claro, senta lá que eu vou pagar isso")
        assert "Só pra eu não fechar nada errado" in again[0]
        assert await stack.outcome(p, wait=2.0) is None
        closed = await stack.say(p, "sim")
        assert "acordo" in closed[0].lower()
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["outcome"] == "successful"

    async def test_despair_is_heard_without_a_number_and_the_negotiation_stays_open(self, stack: Stack) -> None:
        _d, p = await validated(stack, phone="+5511987651015")
        reply = await stack.say(p, "to desesperada, choro todo dia por causa dessas contas")
        assert "188" in reply[0]
        assert "R$" not in reply[0]
        r = await stack.bot.get("/api/conversations", params={"phone": p})
        assert r.json()["items"][0]["status"] == "active"
        offer = await stack.say(p, "consigo uns 100 por mes")
        assert "x de R$" in offer[0]

    async def test_a_loss_in_the_debtors_family_is_grief_not_the_debtors_death(self, stack: Stack) -> None:
        d, p = await validated(stack, phone="+5511987651017")
        reply = await stack.say(p, "minha mãe morreu semana passada, tô sem cabeça pra isso")
        assert "Sinto muito" in reply[0]
        assert "R$" not in reply[0]
        assert await stack.outcome(p, wait=2.0) is None  # no "deceased" ending for a living debtor
        info = (await stack.crm.get(f"/api/debtors/{d['cpf']}")).json()
        assert info["debt_status"] != "deceased"
        assert info["opted_out"] is False
        offer = await stack.say(p, "pode ser em 6x?")
        assert "6x de R$" in offer[0]

    async def test_violence_at_home_gets_the_180_and_no_offer(self, stack: Stack) -> None:
        _d, p = await validated(stack, phone="+5511987651016")
        reply = await stack.say(p, "meu marido me bate e pega todo o meu dinheiro, não tenho como pagar")
        assert "180" in reply[0]
        assert "R$" not in reply[0]


class TestBeforeValidation:
    async def test_a_person_in_danger_before_the_cpf_hears_of_the_cvv_not_the_debt(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="654.32", phone="+5511987651011")
        p = digits(d["phone"])
        reply = await stack.say(p, "nao tenho mais vontade de viver")
        assert "188" in reply[0]
        assert "654,32" not in " ".join(stack.graph.texts_to(p))
        r = await stack.bot.get("/api/conversations", params={"phone": p})
        assert r.json()["items"][0]["status"] == "handoff"

    async def test_third_party_hears_nothing_even_with_the_digits(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="777.77", phone="+5511987651005")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        reply = await stack.say(p, "sou a filha dela, posso resolver por ela?")
        assert "titular" in reply[0]
        later = await stack.say(p, d["cpf"][:3])
        everything = " ".join(stack.graph.texts_to(p))
        assert "777,77" not in everything
        assert "R$" not in everything
        assert later  # answered, but never with the debt
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "third_party"
        assert await contacts(stack, d["cpf"], "third_party")

    async def test_the_titular_taking_the_family_phone_starts_over_at_the_cpf(self, stack: Stack) -> None:
        # A daughter answered and heard nothing; her mother takes the phone, says so, and gives her own digits.
        d = await create_debtor(stack.crm, debt="615.00", phone="+5511987651031")
        p = digits(d["phone"])
        await stack.say(p, "oi, aqui é a filha dela, ela ta fazendo almoço. do q se trata?")
        assert "615,00" not in " ".join(stack.graph.texts_to(p))
        asked = await stack.say(p, "oi aqui é a mae, a titular. minha filha me passou o celular")
        assert "615,00" not in " ".join(stack.graph.texts_to(p))
        assert any("CPF" in r for r in asked)
        reply = await stack.say(p, d["cpf"][:3])
        assert "Identidade confirmada" in reply[0]
        assert "615,00" in reply[0]

    async def test_refusing_the_cpf_for_good_gets_a_goodbye_and_one_outcome(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="432.10", phone="+5511987651032")
        p = digits(d["phone"])
        await stack.say(p, "fala logo quanto q é, nao vou ficar passando cpf pra ninguem no zap")
        bye = await stack.say(p, "esquece entao, tchau")
        assert "Até mais" in bye[0]
        assert "432,10" not in " ".join(stack.graph.texts_to(p))
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "refused"
        assert outcome["outcome"] == "no_contact"

    async def test_why_the_cpf_is_explained_before_asking_again(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987651006")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        reply = await stack.say(p, "pra que vc quer meu cpf?")
        assert "LGPD" in reply[0]
        assert "3 primeiros" in reply[0]

    async def test_digits_named_as_the_cpfs_in_a_sentence_are_the_answer(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="1500.00", max_discount="30.00", phone="+5511987651020")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        reply = await stack.say(p, "o meu cpf e " + " ".join(d["cpf"][:3]))
        assert "Identidade confirmada" in reply[0]
        # A voice note typed out: the digits and a request in one run, both served in one turn.
        e = await create_debtor(stack.crm, debt="1500.00", max_discount="30.00", phone="+5511987651021")
        q = digits(e["phone"])
        await stack.say(q, "oi")
        said = await stack.say(
            q,
            f"oi boa tarde tudo bem aqui é a Rosângela o meu cpf começa com {e['cpf'][:3]} e eu queria saber "
            "se dá pra parcelar essa dívida em 6 vezes porque à vista eu não tenho condição",
        )
        assert "Identidade confirmada" in said[0]
        assert any("6x de R$" in r for r in said[1:])

    async def test_after_stopping_the_messages_more_anger_is_not_asked_for_the_cpf(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="432.10", phone="+5511987651022")
        p = digits(d["phone"])
        stopped = await stack.say(p, "PARE DE ME MANDAR MENSAGEM")
        assert "não vou mais" in stopped[0]
        for text in ("TODO DIA ESSA PALHACADA", "E NAO ME LIGA TB"):
            reply = await stack.say(p, text)
            assert "ligações" in reply[0]
            assert "CPF" not in reply[0]
            assert "atendente" not in reply[0].lower()
        assert "432,10" not in " ".join(stack.graph.texts_to(p))
        # The way back stays open: wanting to negotiate starts over at the CPF question.
        back = await stack.say(p, "negociar")
        assert "CPF" in back[0]


def scripted(plan: dict[str, dict[str, Any]]) -> FunctionModel:
    """A model that answers each debtor message with the output the test gives it."""

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1].parts[-1]
        text = getattr(last, "content", "")
        args = plan.get(str(text), {"intent": "unknown", "reply": "Hmm?"})
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(args))])

    return FunctionModel(model)


@pytest.fixture
async def agent_stack(
    database_url: str, redis_url: str, engine: object, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Stack, dict[str, dict[str, Any]]]]:
    plan: dict[str, dict[str, Any]] = {}

    def negotiator(settings: BotSettings) -> Negotiator:
        return AgentNegotiator(build_agent(scripted(plan)), OfflineNegotiator(), timeout=4)

    monkeypatch.setattr(flow, "build_negotiator", negotiator)
    async with make_stack(database_url, redis_url) as s:
        yield s, plan


class TestTheModelCannotOverrule:
    async def test_model_closing_on_changed_terms_is_refused(
        self, agent_stack: tuple[Stack, dict[str, dict[str, Any]]]
    ) -> None:
        stack, plan = agent_stack
        plan["quero à vista"] = {"intent": "cash", "reply": "Fica R$ 880,00 à vista. Posso fechar?"}
        # The model hears a yes and drops the condition.
        # A day other than the one offered (3 days ahead by default), whatever today is: "dia 5" was the
        # offered day itself on every 2nd of a month, when closing on it was right.
        later = f"pode ser mas só consigo no dia {day_ahead(10)}"
        plan[later] = {"intent": "accept", "reply": "Acordo fechado! 🎉"}
        _d, p = await validated(stack, phone="+5511987651007")
        await stack.say(p, "quero à vista")
        reply = await stack.say(p, later)
        assert any(q in reply[0] for q in CONFIRM_QUESTIONS)
        assert "Acordo fechado" not in " ".join(reply)
        r = await stack.bot.get("/api/conversations", params={"phone": p})
        assert r.json()["items"][0]["status"] == "active"

    async def test_model_ignoring_a_dispute_does_not_keep_collecting(
        self, agent_stack: tuple[Stack, dict[str, dict[str, Any]]]
    ) -> None:
        stack, plan = agent_stack
        plan["essa dívida não é minha"] = {"intent": "cash", "reply": "Fica R$ 880,00 à vista. Posso fechar?"}
        _d, p = await validated(stack, phone="+5511987651008")
        reply = await stack.say(p, "essa dívida não é minha")
        assert "R$" not in reply[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "dispute"

    async def test_model_cannot_disclose_to_a_third_party(
        self, agent_stack: tuple[Stack, dict[str, dict[str, Any]]]
    ) -> None:
        stack, plan = agent_stack
        plan["sou o filho dele, posso pagar por ele?"] = {"intent": "debt_question", "reply": "Claro! São R$ 1.000,00."}
        _d, p = await validated(stack, phone="+5511987651009")
        reply = await stack.say(p, "sou o filho dele, posso pagar por ele?")
        assert "R$" not in reply[0]
        assert "titular" in reply[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "third_party"

    async def test_model_pitching_to_a_person_in_danger_is_not_heard(
        self, agent_stack: tuple[Stack, dict[str, dict[str, Any]]]
    ) -> None:
        stack, plan = agent_stack
        plan["queria morrer"] = {"intent": "hardship", "reply": "Poxa! Consigo R$ 700,00 à vista, fechamos?"}
        _d, p = await validated(stack, phone="+5511987651012")
        reply = await stack.say(p, "queria morrer")
        assert "188" in reply[0]
        assert "R$" not in reply[0]

    async def test_model_hearing_a_yes_in_irony_closes_nothing(
        self, agent_stack: tuple[Stack, dict[str, dict[str, Any]]]
    ) -> None:
        stack, plan = agent_stack
        plan["quero à vista"] = {"intent": "cash", "reply": "Fica R$ 880,00 à vista. Posso fechar?"}
        mocking = "claro, vou pagar com o dinheiro que eu não tenho kkkk"
        plan[mocking] = {"intent": "accept", "reply": "Acordo fechado! 🎉"}
        _d, p = await validated(stack, phone="+5511987651013")
        await stack.say(p, "quero à vista")
        reply = await stack.say(p, mocking)
        assert "Acordo fechado" not in " ".join(reply)
        assert await stack.outcome(p, wait=3.0) is None
