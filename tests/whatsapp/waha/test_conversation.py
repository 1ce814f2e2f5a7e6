"""A whole conversation on WAHA, as a debtor lives it: from the plain-text opening to the boleto
arriving as a PDF file and the PIX code, through the same pipeline, outbox and CRM as on Meta."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.whatsapp.models import InboundEvent
from tests.factories import create_debtor
from tests.whatsapp.waha.conftest import WahaStack
from tests.whatsapp.waha.fake import message_event


class TestWholeConversation:
    async def test_opening_to_boleto_file_on_waha(self, waha_stack: WahaStack, db: AsyncSession) -> None:
        s = waha_stack
        d = await create_debtor(s.crm, debt="1000.00", max_discount="30.00", phone="+5511987650201")
        phone = d["phone"].lstrip("+")
        r = await s.bot.post("/api/conversations", json={"cpf": d["cpf"]})
        assert r.status_code == 202, r.text
        opening = await s.replies(phone, 0)
        # No templates on WAHA: the opening is the template's words, as plain text, to the chat id.
        assert opening[0].startswith("Olá, Maria! Aqui é a Certo Recuperadora")
        assert "3 primeiros dígitos" in opening[0]
        first = s.waha.to(phone)[0]
        assert first.path == "/api/sendText"
        assert first.body is not None
        assert first.body["chatId"] == "5511987650201@c.us"

        opened = await s.say(phone, d["cpf"][:3])
        assert "R$ 1.000,00" in opened[0]
        offer = await s.say(phone, "quero pagar à vista")
        assert "R$ 880,00 à vista" in offer[0]
        done = await s.say(phone, "fechou", wait=15)
        assert "acordo" in done[0].lower()

        for _ in range(150):
            if s.waha.files_to(phone):
                break
            await asyncio.sleep(0.1)
        [(file, pdf)] = s.waha.files_to(phone)
        assert file["mimetype"] == "application/pdf"
        assert file["filename"] == "boleto-a-vista.pdf"
        assert pdf.startswith(b"%PDF-")
        for _ in range(50):
            if any("br.gov.bcb.pix" in t for t in s.waha.texts_to(phone)):
                break
            await asyncio.sleep(0.1)
        texts = s.waha.texts_to(phone)
        assert any(t.startswith("[arquivo] Boleto do seu acordo") for t in texts)
        assert any("br.gov.bcb.pix" in t for t in texts)
        # Every call named the session and carried the key, as WAHA requires.
        assert all(c.api_key == s.waha.api_key for c in s.waha.calls)
        assert all(c.body["session"] == "default" for c in s.waha.sends() if c.body)
        outcome = (await s.bot.get("/api/conversations", params={"phone": d["phone"]})).json()["items"][0]
        result = await s.crm.get(f"/api/negotiations/results/{outcome['session_id']}")
        assert result.json()["outcome"] == "successful"
        assert result.json()["agreed_amount"] == "880.00"
        assert await db.scalar(select(func.count()).select_from(InboundEvent)) == 3


class TestSameDebtorSameAnswers:
    async def test_message_and_its_message_any_copy_get_one_answer(self, waha_stack: WahaStack) -> None:
        s = waha_stack
        d = await create_debtor(s.crm, phone="+5521987650202")
        phone = d["phone"].lstrip("+")
        event = message_event(phone, "oi", msg_id="3EB0TWICE")
        for kind in ("message", "message.any", "message"):
            assert (await s.webhook({**event, "event": kind})).status_code == 200
        first = await s.replies(phone, 0)
        assert len(first) == 1
        assert "3 primeiros" in first[0]
        second = await s.say(phone, d["cpf"][:3])  # the next message is answered: nothing was stuck
        assert "Identidade confirmada" in second[0]
        assert len(s.waha.to(phone)) == 2

    async def test_an_account_without_the_ninth_digit_is_answered_in_its_own_chat(self, waha_stack: WahaStack) -> None:
        s = waha_stack
        d = await create_debtor(s.crm, phone="+5531987650203")  # the CRM has the ninth digit
        old_chat = "553187650203"  # WhatsApp knows the account from before it
        answer = await s.say(old_chat, "oi")
        assert "3 primeiros" in answer[0]
        [reply] = s.waha.to(old_chat)
        assert reply.body is not None
        assert reply.body["chatId"] == "553187650203@c.us"
        opened = await s.say(old_chat, d["cpf"][:3])
        assert "Identidade confirmada" in opened[0]
