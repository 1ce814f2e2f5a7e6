"""Whole conversations, as a debtor lives them, ending with exactly one outcome in the CRM."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.crm.client import CrmClient
from certobot.negotiation.turnstore import Pending, read_turn
from certobot.whatsapp.schemas import WebhookBody, inbound_messages
from certokit.db import utcnow
from mock_crm.negotiations.models import NegotiationResult
from tests.e2e.conftest import Stack
from tests.factories import create_debtor, day_ahead
from tests.fakes import text_webhook


def digits(phone: str) -> str:
    return phone.lstrip("+")


async def results(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(NegotiationResult)) or 0


class TestAgreements:
    async def test_cash_agreement_with_boleto_and_pix_on_whatsapp(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650001")
        phone = digits(d["phone"])
        first = await stack.say(phone, "oi")
        assert "3 primeiros" in first[0]
        assert "1.000,00" not in " ".join(first)  # nothing about the debt before identity
        opened = await stack.say(phone, d["cpf"][:3])
        assert "R$ 1.000,00" in opened[0]
        offer = await stack.say(phone, "quero pagar à vista")
        assert "R$ 880,00 à vista" in offer[0]  # 40% of the 30% maximum at the first step
        done = await stack.say(phone, "fechou", wait=15)
        assert "acordo" in done[0].lower()
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "successful"
        assert outcome["agreed_amount"] == "880.00"
        assert outcome["discount_amount"] == "120.00"
        assert len(outcome["boletos"]) == 1
        for _ in range(100):
            if any(t.startswith("[documento]") for t in stack.graph.texts_to(phone)):
                break
            await asyncio.sleep(0.1)
        texts = stack.graph.texts_to(phone)
        assert any(t.startswith("[documento] Boleto do seu acordo") for t in texts)
        assert any("br.gov.bcb.pix" in t for t in texts)
        assert any(s.path.endswith("/media") and s.media_bytes.count(b"%PDF") for s in stack.graph.sent)
        assert await results(db) == 1

    async def test_installments_after_hardship(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(
            stack.crm,
            debt="1200.00",
            max_discount="20.00",
            min_payment="100.00",
            max_installments=10,
            phone="+5521987650002",
        )
        phone = digits(d["phone"])
        await stack.say(phone, "boa tarde")
        await stack.say(phone, " ".join(d["cpf"][:3]))
        empathy = await stack.say(phone, "tô desempregado, tá difícil")
        assert re.search(r"sinto muito|entendo", empathy[0], re.I)
        plan = await stack.say(phone, "dá pra fazer em 6x?")
        assert "6x de" in plan[0]
        await stack.say(phone, "pode mandar", wait=15)
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "successful"
        assert outcome["installments"] == 6
        assert len(outcome["scheduled_payment_dates"]) == 6
        assert len(outcome["boletos"]) == 6
        assert "dificuldade" in (outcome["qualitative_notes"] or "").lower()


class TestEndings:
    async def test_three_failed_validations_end_as_no_contact(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(stack.crm, phone="+5531987650003")
        phone = digits(d["phone"])
        wrong = "999" if not d["cpf"].startswith("999") else "888"
        await stack.say(phone, "oi")
        for _ in range(3):
            last = await stack.say(phone, wrong)
        assert "encerrar" in last[0]
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "no_contact"
        everything = " ".join(stack.graph.texts_to(phone))
        assert d["debt_amount"].replace(".", ",") not in everything
        detail = (await stack.bot.get(f"/api/conversations/{outcome['session_id']}")).json()
        assert detail["validation_attempts"] == 3
        assert detail["status"] == "failed"
        assert all("999" not in line["text"] and "888" not in line["text"] for line in detail["transcript"])

    async def test_opt_out(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5541987650004")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        bye = await stack.say(phone, "PARAR")
        assert "mais receber" in bye[0] or "não vou mais" in bye[0]
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "no_contact"
        for _ in range(50):
            info = (await stack.crm.get(f"/api/debtors/{d['cpf']}")).json()
            if info["opted_out"]:
                break
            await asyncio.sleep(0.1)
        assert info["opted_out"] is True

    async def test_wrong_person_hears_nothing(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="777.77", phone="+5551987650005")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        bye = await stack.say(phone, "não sou eu, número errado")
        assert "desculpa" in bye[0].lower()
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "no_contact"
        assert "777,77" not in " ".join(stack.graph.texts_to(phone))
        contacts = (await stack.crm.get(f"/api/debtors/{d['cpf']}/contacts")).json()
        assert "wrong_number" in [c["kind"] for c in contacts]

    async def test_unknown_number_discloses_nothing(self, stack: Stack, db: AsyncSession) -> None:
        replies = await stack.say("5511911112222", "oi, quanto eu devo?")
        assert "Não encontrei nenhum cadastro" in replies[0]
        assert await results(db) == 0


class TestSilence:
    async def test_silent_debtor_is_told_and_reported(self, stack: Stack, db: AsyncSession) -> None:
        from datetime import UTC, datetime, timedelta

        from sqlalchemy import update

        from certobot.negotiation.expiry import expire_due
        from certobot.negotiation.models import Conversation

        d = await create_debtor(stack.crm, phone="+5561987650006")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, d["cpf"][:3])
        long_ago = datetime.now(UTC) - timedelta(hours=1)
        await db.execute(update(Conversation).values(updated_at=long_ago))
        await db.commit()
        resources = stack.bot_app.state.resources
        before = len(stack.graph.messages_to(phone))
        ended = await expire_due(resources, stack.bot_app.state.turn_handler)
        assert len(ended) == 1
        assert await expire_due(resources, stack.bot_app.state.turn_handler) == []  # acted on once
        sessions = (await stack.bot.get("/api/conversations", params={"phone": phone})).json()["items"]
        assert sessions[0]["status"] == "abandoned"
        # The goodbye is queued with the outcome; the periodic sender delivers it.
        texts = await stack.replies(phone, before, wait=10)
        assert "encerrar nossa conversa" in texts[0]
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "unsuccessful"
        assert "falta de resposta" in outcome["qualitative_notes"]


class TestSpecialCases:
    async def test_claims_already_paid_recorded_without_pressure(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650301")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, d["cpf"][:3])
        reply = await stack.say(phone, "já paguei dia 3")
        assert "registrar" in reply[0]
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "unsuccessful"
        assert "Alega que já pagou" in outcome["qualitative_notes"]
        contacts = (await stack.crm.get(f"/api/debtors/{d['cpf']}/contacts")).json()
        assert "claimed_payment" in [c["kind"] for c in contacts]

    async def test_promise_to_pay_is_recorded_and_blocks_contact_until_then(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650302")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, d["cpf"][:3])
        reply = await stack.say(phone, f"vou pagar dia {day_ahead(10)}")
        assert "Anotei" in reply[0]
        outcome = await stack.outcome(phone)
        assert outcome is not None
        assert outcome["outcome"] == "partially_successful"
        assert outcome["payment_date"] is not None
        assert outcome["boletos"] == []
        for _ in range(50):
            info = (await stack.crm.get(f"/api/debtors/{d['cpf']}")).json()
            if info["promised_payment_date"]:
                break
            await asyncio.sleep(0.1)
        r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        assert r.status_code == 422
        assert "prometeu pagar" in r.json()["detail"]

    async def test_scam_question_bot_question_and_media(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650303", debt="4321.00")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        scam = await stack.say(phone, "isso é golpe?")
        assert "CNPJ 11.222.333/0001-81" in scam[0]
        assert "4.321,00" not in scam[0]  # still before identity: nothing about the debt
        robot = await stack.say(phone, "vc é um robô?")
        assert "assistente virtual" in robot[0]
        before = len(stack.graph.messages_to(phone))
        audio = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "1", "phone_number_id": "1"},
                                "messages": [
                                    {
                                        "from": phone,
                                        "id": "wamid.AUDIO1",
                                        "timestamp": "1763820000",
                                        "type": "audio",
                                        "audio": {"id": "123", "mime_type": "audio/ogg; codecs=opus"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
        assert (await stack.webhook(audio)).status_code == 200
        said = await stack.replies(phone, before)
        assert "escrever em texto" in said[0] or "por escrito" in said[0]

    async def test_asking_for_a_person_hands_off_and_the_bot_goes_quiet(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650304")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, d["cpf"][:3])
        reply = await stack.say(phone, "quero falar com um atendente")
        assert "pessoa da equipe" in reply[0]
        items = (await stack.bot.get("/api/conversations", params={"status": "handoff"})).json()["items"]
        assert [i["phone"][-4:] for i in items] == [phone[-4:]]
        before = len(stack.graph.messages_to(phone))
        await stack.webhook(__import__("tests.fakes", fromlist=["text_webhook"]).text_webhook(phone, "alô?"))
        await asyncio.sleep(1.0)
        assert len(stack.graph.messages_to(phone)) == before

    async def test_nonsense_gets_a_kind_question(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987650305")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, d["cpf"][:3])
        reply = await stack.say(phone, "batata frita azul")
        assert "?" in reply[0]
        assert "entendi" in reply[0].lower() or "peguei" in reply[0].lower()


class TestCrmOutage:
    async def test_first_message_waits_for_the_crm_instead_of_calling_the_debtor_a_stranger(
        self, stack: Stack, db: AsyncSession
    ) -> None:
        d = await create_debtor(stack.crm, debt="500.00", phone="+5511987650041")
        phone = digits(d["phone"])
        flow = stack.bot_app.state.turn_handler
        up = flow.crm
        flow.crm = CrmClient(up.http, "http://crm-down.test", "k", up.redis)  # nothing answers there
        try:
            r = await stack.webhook(text_webhook(phone, "oi"))
            assert r.status_code == 200  # accepted and kept while the CRM is away
            await asyncio.sleep(8)
            assert stack.graph.texts_to(phone) == []
        finally:
            flow.crm = up
        replies = await stack.replies(phone, 0, wait=40)
        assert len(replies) == 1
        assert "3 primeiros" in replies[0]
        assert "Não encontrei" not in replies[0]
        opened = await stack.say(phone, d["cpf"][:3])
        assert "R$ 500,00" in opened[0]


class TestCrashBetweenRedisAndPostgres:
    async def test_a_turn_that_never_committed_left_nothing_behind(self, stack: Stack, db: AsyncSession) -> None:
        d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone="+5511987650051")
        phone = digits(d["phone"])
        await stack.say(phone, "oi")
        await stack.say(phone, d["cpf"][:3])
        flow = stack.bot_app.state.turn_handler
        msg = inbound_messages(WebhookBody.model_validate(text_webhook(phone, "quero pagar à vista")))[0]

        # The turn reads and decides (an offer, in memory only) and the process dies before its one
        # write statement: nothing reached Postgres, so nothing reached Redis either.
        read = await read_turn(
            stack.bot_app.state.resources.engine, msg.phone_key, since=utcnow(), window_start=utcnow()
        )
        event = Pending(id=0, payload=msg.model_dump(mode="json"), received_at=utcnow())
        work = await flow.decide(read, event, None)
        assert work.state is not None
        assert work.messages  # it had decided something to say
        reply = await stack.say(phone, "fechou")
        # What the debtor reads is what they would read had that turn never started: the bot asks for a
        # plain yes to terms it showed (the session rebuilt from the last committed turn), nothing closed.
        assert "*sim*" in reply[-1]
        assert await results(db) == 0
        offer = await stack.say(phone, "à vista")
        assert "*sim*" in offer[0]  # shown again, asked again: never closed on what was not seen
