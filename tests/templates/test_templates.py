"""Editable texts: the team edits, the API refuses what the bot could not say, and the bot says the edit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic_ai import models
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certobot.config import BotSettings
from certobot.lifecycle import texts as life
from certobot.negotiation import flow, texts
from certobot.negotiation.agent import AgentNegotiator, build_agent
from certobot.negotiation.brain import NegotiationState, Negotiator, OfflineNegotiator
from certobot.operators.models import AuditEntry
from certobot.operators.roles import SERVICE
from certobot.templates import repository, service
from certobot.templates.active import ACTIVE
from certobot.templates.catalogue import SPECS
from certobot.templates.models import TemplateVersion
from certobot.templates.refresh import run_refresh
from certobot.templates.schemas import TemplateIn
from certokit.clock import SystemClock, today_sp
from certokit.wakeup import Wakeups
from tests.e2e.conftest import Stack, bot_settings, make_stack
from tests.e2e.test_sensitive import scripted
from tests.factories import create_debtor
from tests.negotiation.test_agent import ctx
from tests.security.test_operators import user

models.ALLOW_MODEL_REQUESTS = False
EDITED = "E aí! Aqui é a Certa, da {creditor} (CNPJ {cnpj}). Me confirma os 3 primeiros números do seu CPF?"


@pytest.fixture(autouse=True)
def _defaults_again() -> Iterator[None]:
    yield
    ACTIVE.replace({})  # the store is process-wide: the next test starts from the defaults


def settings() -> BotSettings:
    return bot_settings("postgresql+asyncpg://x/y", "redis://localhost")


class TestCatalogue:
    @pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
    def test_every_default_is_a_valid_template(self, spec: object) -> None:
        s = settings()
        assert service.validate(spec, service.default_body(spec, s), s, date.today()) == service.default_body(  # type: ignore[arg-type]
            spec,  # type: ignore[arg-type]
            s,
        )

    def test_payment_texts_read_as_before(self) -> None:
        due = date.today() + timedelta(days=1)
        assert life.receipt(Decimal("100.00"), 2, 5, open_in_installment=Decimal("20.00"), excess=Decimal("0")) == (
            "Recebemos R$ 100,00 da parcela 2 de 5, obrigada! Ainda faltam R$ 20,00 pra completar essa parcela, tá?"
        )
        assert life.closing("Ana").startswith("Pronto, Ana! Com esse pagamento seu acordo está quitado")
        assert life.reminder("", Decimal("50.00"), 1, 1, due, 1) == (
            f"Oi! Passando pra lembrar: o boleto do seu acordo de R$ 50,00 vence amanhã ({due:%d/%m}). Se já pagou, "
            "pode desconsiderar. Precisa do boleto de novo? É só me pedir."
        )

    def test_an_edit_with_two_phrasings_alternates_by_turn(self) -> None:
        ACTIVE.replace({"media": "Não abro áudio, escreve pra mim?\n---\nSó leio texto, tá?"})
        assert [texts.pick(texts.MEDIA, n) for n in range(3)] == [
            "Não abro áudio, escreve pra mim?",
            "Só leio texto, tá?",
            "Não abro áudio, escreve pra mim?",
        ]
        ACTIVE.replace({})
        assert texts.pick(texts.MEDIA, 0).startswith("Ainda não consigo ouvir áudio")


class TestValidation:
    @pytest.mark.parametrize(
        ("key", "body", "detail"),
        [
            ("greeting", "   \n---\n  ", "O texto não pode ficar vazio."),
            (
                "greeting",
                "Oi, {nome}! Aqui é a {creditor}.",
                "O texto: marcador desconhecido {nome} (este texto aceita {creditor}, {cnpj}).",
            ),
            (
                "identity_before_validation",
                "Aqui é a {creditor}, pode confiar.",
                "O texto: falta o marcador {cnpj} (CNPJ do credor). CDC art. 42-A: quem cobra se identifica com o "
                "nome e o CNPJ do credor, pra pessoa poder conferir e não cair em golpe.",
            ),
            ("media", "Oi {creditor}", "O texto: marcador desconhecido {creditor} (este texto não aceita marcadores)."),
            (
                "greeting",
                "Oi da {creditor",
                "O texto: há uma chave { ou } sem par; pra escrever uma chave no texto, use {{ ou }}.",
            ),
            ("greeting", "Oi da {creditor!r}", "O texto: escreva o marcador só como {creditor}, sem formatação."),
            (
                "greeting",
                "Oi da {creditor} {creditor.__class__}",
                "O texto: marcador desconhecido {creditor.__class__} (este texto aceita {creditor}, {cnpj}).",
            ),
            (
                "greeting",
                "Oi da {creditor}\n---\nOi!",
                "A variação 2: falta o marcador {creditor} (Nome do credor (quem cobra)). CDC art. 42-A: a primeira "
                "mensagem diz em nome de quem a cobrança é feita.",
            ),
            (
                "wa_opening",
                "Abertura Nova",
                "Nome de modelo inválido: a Meta aceita só letras minúsculas, números e sublinhado (_), como cobranca_abertura.",
            ),
        ],
    )
    def test_refusals_name_the_problem(self, key: str, body: str, detail: str) -> None:
        with pytest.raises(service.TemplateInvalid) as err:
            service.preview(key, body, settings(), date.today())
        assert err.value.detail == detail

    def test_the_preview_shows_a_text_without_placeholders_as_the_bot_sends_it(self) -> None:
        ACTIVE.replace({"media": "Só leio texto {{por enquanto}}"})
        assert texts.pick(texts.MEDIA, 0) == "Só leio texto {{por enquanto}}"
        shown = service.preview("media", "Só leio texto {{por enquanto}}", settings(), date.today()).variants
        assert shown == ["Só leio texto {{por enquanto}}"]

    def test_too_long_counts_with_the_sample_debtor(self) -> None:
        body = "{creditor} " + "a" * 4090
        with pytest.raises(service.TemplateInvalid) as err:
            service.preview("greeting", body, settings(), date.today())
        assert err.value.detail.endswith("o limite é 4096.")
        assert "ficou com 4126 caracteres" in err.value.detail


class TestApi:
    async def test_list_edit_history_conflict_and_revert(self, stack: Stack, db: AsyncSession) -> None:
        listed = (await stack.bot.get("/api/templates")).json()
        greeting = next(t for t in listed if t["key"] == "greeting")
        assert (greeting["version"], greeting["body"] == greeting["default"]) == (0, True)
        assert [p["name"] for p in greeting["placeholders"]] == ["creditor", "cnpj"]
        assert greeting["required"] == ["creditor"]
        opening = next(t for t in listed if t["key"] == "wa_opening")
        assert (opening["kind"], opening["body"]) == ("whatsapp", "cobranca_abertura")

        r = await stack.bot.put(
            "/api/templates/greeting", json={"body": EDITED, "base_version": 0, "note": "Mais curto"}
        )
        assert r.status_code == 200, r.text
        assert (r.json()["version"], r.json()["body"], r.json()["updated_by"]) == (1, EDITED, "service-key")
        stale = await stack.bot.put("/api/templates/greeting", json={"body": EDITED + "!", "base_version": 0})
        assert stale.status_code == 409
        assert stale.json()["detail"].startswith("Outra pessoa salvou este modelo")
        r = await stack.bot.post("/api/templates/greeting/revert", json={"version": 0})
        assert r.status_code == 200, r.text
        detail = (await stack.bot.get("/api/templates/greeting")).json()
        assert [(v["version"], v["note"]) for v in detail["versions"]] == [
            (2, "Texto padrão restaurado"),
            (1, "Mais curto"),
        ]
        assert detail["body"] == detail["default"]
        trail = (
            await db.scalars(select(AuditEntry).where(AuditEntry.target == "greeting").order_by(AuditEntry.id))
        ).all()
        assert [(a.action, a.detail) for a in trail] == [
            ("template_edit", {"version": 1, "chars": len(EDITED)}),
            ("template_revert", {"version": 2, "chars": len(detail["default"])}),
        ]
        missing = await stack.bot.post("/api/templates/greeting/revert", json={"version": 9})
        assert (missing.status_code, missing.json()["detail"]) == (404, "O modelo “greeting” não tem a versão 9.")

    async def test_refusals_are_portuguese_422_and_unknown_keys_404(self, stack: Stack) -> None:
        r = await stack.bot.put("/api/templates/identity_before_validation", json={"body": "Sou da {creditor}."})
        assert r.status_code == 422
        assert "falta o marcador {cnpj}" in r.json()["detail"]
        r = await stack.bot.put("/api/templates/nao_existe", json={"body": "Oi"})
        assert (r.status_code, r.json()["detail"]) == (404, "Não existe modelo de texto com a chave “nao_existe”.")
        assert (await stack.bot.get("/api/templates/greeting")).json()["versions"] == []

    async def test_preview_fills_a_sample_debtor(self, stack: Stack) -> None:
        r = await stack.bot.post(
            "/api/templates/preview", json={"key": "reminder", "body": "{hi} Seu boleto de {amount} {when} ({due})."}
        )
        assert r.status_code == 200, r.text
        due = today_sp() + timedelta(days=1)
        assert r.json()["variants"] == [f"Oi, Maria, tudo bem? Seu boleto de R$ 150,00 vence amanhã ({due:%d/%m})."]
        r = await stack.bot.post("/api/templates/preview", json={"key": "wa_opening", "body": "abertura_v2"})
        assert (r.json()["template_name"], r.json()["parameters"]) == (
            "abertura_v2",
            ["Maria", "Certo Recuperadora de Créditos Ltda"],
        )

    async def test_operators_read_and_only_admins_edit(self, stack: Stack) -> None:
        op = await user(stack, "olga.operadora", "operator")
        sup = await user(stack, "sergio.supervisor", "supervisor")
        assert (await stack.bot.get("/api/templates", headers=op)).status_code == 200
        assert (await stack.bot.get("/api/templates/greeting", headers=sup)).status_code == 200
        for who in (op, sup):
            r = await stack.bot.put("/api/templates/greeting", json={"body": EDITED}, headers=who)
            assert r.status_code == 403
            assert "é preciso admin" in r.json()["detail"]
        assert (await stack.bot.get("/api/templates/greeting")).json()["version"] == 0


class TestTheBotSaysIt:
    async def test_an_edited_greeting_is_the_next_reply(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650301")
        r = await stack.bot.put("/api/templates/greeting", json={"body": EDITED})
        assert r.status_code == 200, r.text
        replies = await stack.say("5511987650301", "oi")
        assert replies[0] == (
            "E aí! Aqui é a Certa, da Certo Recuperadora de Créditos Ltda (CNPJ 11.222.333/0001-81). Me confirma os "
            "3 primeiros números do seu CPF?"
        )
        r = await stack.bot.put("/api/templates/wrong_digits", json={"body": "Não bateu: faltam {left} chance{s}."})
        assert r.status_code == 200, r.text
        wrong = "999" if not d["cpf"].startswith("999") else "888"
        assert (await stack.say("5511987650301", wrong))[0] == "Não bateu: faltam 2 chances."

    async def test_an_edited_first_offer_keeps_the_policys_numbers(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650305", name="Lia")
        body = "Valeu, {name}! Sobre {debt} ({amount}), hoje dá {offers}. Qual prefere?"
        assert (await stack.bot.put("/api/templates/offer_opening", json={"body": body})).status_code == 200
        await stack.say("5511987650305", "oi")
        reply = (await stack.say("5511987650305", d["cpf"][:3]))[0]
        assert reply.startswith("Valeu, Lia! Sobre ")
        assert "(R$ 1.000,00), hoje dá à vista por R$ " in reply
        assert ". Qual prefere?" in reply
        missing = await stack.bot.put("/api/templates/offer_opening", json={"body": "Oi {name}, vamos negociar?"})
        assert missing.status_code == 422
        assert "falta o marcador {offers}" in missing.json()["detail"]

    async def test_an_edited_opening_template_name_is_sent(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650302", name="Rita Cássia")
        assert (await stack.bot.put("/api/templates/wa_opening", json={"body": "abertura_v2"})).status_code == 200
        assert (await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})).status_code == 202
        deadline = time.monotonic() + 10
        while not stack.graph.messages_to("5511987650302") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        sent = stack.graph.messages_to("5511987650302")[0]
        assert (sent["template"]["name"], sent["template"]["components"][0]["parameters"][1]["text"]) == (
            "abertura_v2",
            "Certo Recuperadora de Créditos Ltda",
        )


class TestNoRoundTripPerMessage:
    async def test_a_turn_reads_the_templates_from_memory(self, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
        await create_debtor(stack.crm, phone="+5511987650303")
        assert (await stack.bot.put("/api/templates/greeting", json={"body": EDITED})).status_code == 200
        callers: list[str] = []
        real = repository.latest

        async def latest(db: AsyncSession) -> dict[str, TemplateVersion]:
            task = asyncio.current_task()
            callers.append(task.get_name() if task else "?")
            return await real(db)

        monkeypatch.setattr(repository, "latest", latest)
        replies = await stack.say("5511987650303", "oi")
        assert replies[0].startswith("E aí! Aqui é a Certa, da Certo Recuperadora")
        # Only the refresher (on a NOTIFY or its slow poll) ever reads them; the turn does not.
        assert set(callers) <= {"templates"}


class TestOtherProcesses:
    async def test_a_saved_edit_reaches_another_process_within_two_seconds(
        self, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
    ) -> None:
        s = bot_settings(database_url, "redis://localhost")
        stop = asyncio.Event()
        wakeups = Wakeups(database_url, (repository.CHANNEL,))
        # Another process's refresher, polling every 10 minutes: only the NOTIFY can bring an edit in time.
        task = asyncio.create_task(run_refresh(sessionmaker, s, SystemClock(), stop, every=600, wakeups=wakeups))

        async def edit(body: str) -> None:
            async with sessionmaker() as db, db.begin():
                await service.save(db, "handoff", TemplateIn(body=body), SERVICE, s, SystemClock().now(), today_sp())
            deadline = time.monotonic() + 2
            while ACTIVE.body("handoff") != body and time.monotonic() < deadline:
                await asyncio.sleep(0.02)

        try:
            await asyncio.wait_for(wakeups.listening.wait(), 10)
            await edit("Já chamo alguém da equipe!")
            assert texts.pick(texts.HANDOFF, 0) == "Já chamo alguém da equipe!"
            # Long after the wake-up that came with connecting: this one can only arrive by NOTIFY.
            await edit("Uma pessoa da equipe já vem falar com você.")
            assert texts.pick(texts.HANDOFF, 0) == "Uma pessoa da equipe já vem falar com você."
        finally:
            stop.set()
            await task


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


class TestAgent:
    async def test_on_the_model_path_the_fixed_sentences_are_the_edited_ones(
        self, agent_stack: tuple[Stack, dict[str, dict[str, Any]]]
    ) -> None:
        stack, plan = agent_stack
        edits = {
            "greeting": EDITED,
            "identity_before_validation": "Sou a Certa, da {creditor}, CNPJ {cnpj}. Confere no site da Receita! "
            "E os 3 primeiros números do seu CPF?",
            "agreement_delivery": "Fechado! Boleto e PIX chegando aqui em instantes.",
        }
        for key, body in edits.items():
            assert (await stack.bot.put(f"/api/templates/{key}", json={"body": body})).status_code == 200
        plan["quero pagar à vista"] = {"intent": "cash", "reply": "Fica R$ 880,00 à vista. Posso fechar?"}
        plan["sim, pode fechar"] = {"intent": "accept", "reply": "Combinado, acordo fechado!"}
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650304")
        p = "5511987650304"
        assert (await stack.say(p, "oi"))[0].startswith("E aí! Aqui é a Certa")
        who = await stack.say(p, "quem é você?")
        assert who[0] == (
            "Sou a Certa, da Certo Recuperadora de Créditos Ltda, CNPJ 11.222.333/0001-81. Confere no site da "
            "Receita! E os 3 primeiros números do seu CPF?"
        )
        assert "Identidade confirmada" in (await stack.say(p, d["cpf"][:3]))[0]
        assert "R$ 880,00" in (await stack.say(p, "quero pagar à vista"))[0]
        closing = await stack.say(p, "sim, pode fechar")
        assert "Fechado! Boleto e PIX chegando aqui em instantes." in closing

    async def test_the_model_is_told_the_edited_wording(self) -> None:
        seen: list[str] = []

        def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            seen.append(info.instructions or "")
            args = {"intent": "cash", "reply": "Consigo R$ 880,00 à vista pra você. Posso fechar?"}
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(args))])

        ACTIVE.replace(
            {
                "greeting": "Fala, tudo joia? Sou a Certa, da {creditor}. Os 3 primeiros do CPF?",
                "agreement_delivery": "Boleto e PIX chegando!",
            }
        )
        negotiator = AgentNegotiator(build_agent(FunctionModel(model)), OfflineNegotiator(), timeout=4)
        await negotiator.respond(ctx(), NegotiationState(), "quero pagar à vista")
        assert "«Fala, tudo joia? Sou a Certa, da Certo Recuperadora. Os 3 primeiros do CPF?»" in seen[0]
        assert "«Boleto e PIX chegando!»" in seen[0]
