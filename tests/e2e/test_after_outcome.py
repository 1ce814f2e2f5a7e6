"""After an outcome, the same thread keeps its context; compliance applies whoever writes first."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import date
from typing import Any

from tests.e2e.conftest import Stack
from tests.factories import create_debtor, day_ahead
from tests.fakes import meta_webhook


def digits(phone: str) -> str:
    return phone.lstrip("+")


async def agreed(stack: Stack, phone: str, *, installments: str = "quero à vista") -> tuple[dict[str, Any], str]:
    d = await create_debtor(stack.crm, debt="1000.00", max_discount="30.00", phone=phone)
    p = digits(d["phone"])
    await stack.say(p, "oi")
    await stack.say(p, d["cpf"][:3])
    await stack.say(p, installments)
    done = await stack.say(p, "sim", wait=15)
    assert "acordo" in done[0].lower()
    outcome = await stack.outcome(p)
    assert outcome is not None
    assert outcome["reason"] == "agreement"
    return d, p


async def stored(stack: Stack, session_id: str, until: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(100):
        body = (await stack.crm.get(f"/api/negotiations/results/{session_id}")).json()
        if body.get(until):
            return body
        await asyncio.sleep(0.1)
    return body


async def replaced(stack: Stack, phone: str, first: str, ask: str, wanted: str) -> dict[str, Any]:
    """The debtor asks for new terms after the deal and says yes: the new agreement as the CRM stored it."""
    proposal = await stack.say(phone, ask)
    assert any(wanted in r for r in proposal)
    done = await stack.say(phone, "sim", wait=15)
    assert "acordo" in done[0].lower()
    items = (await stack.bot.get("/api/conversations", params={"phone": phone})).json()["items"]
    new = next(i["session_id"] for i in items if i["session_id"] != first)
    return await stored(stack, new, "boletos")


class TestAfterAnAgreement:
    async def test_cancel_right_after_the_deal_cancels_the_boletos_without_asking_the_cpf(self, stack: Stack) -> None:
        d, p = await agreed(stack, "+5511987652001")
        conversations = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"]
        reply = await stack.say(p, "pensando bem não quero, cancela")
        assert "cancelei" in reply[0]
        assert "CPF" not in " ".join(reply)
        body = await stored(stack, conversations[0]["session_id"], "cancelled_at")
        assert body["cancelled_at"] is not None
        assert body["boletos"]
        assert all(b["status"] == "cancelled" for b in body["boletos"])
        kinds = [c["kind"] for c in (await stack.crm.get(f"/api/debtors/{d['cpf']}/contacts")).json()]
        assert "agreement_cancelled" in kinds
        after = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"]
        assert len(after) == 1  # no blank conversation was opened

    async def test_what_was_agreed_is_told_from_the_record(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652002")
        reply = await stack.say(p, "o que eu combinei?")
        assert "R$ 880,00" in reply[0]
        assert "CPF" not in reply[0]

    async def test_ja_paguei_answers_from_the_payments_the_crm_received(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652003", installments="em 2x")
        before = await stack.say(p, "ja paguei viu")
        assert "Ainda não chegou a confirmação" in before[0]
        session_id = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"][0]["session_id"]
        body = await stored(stack, session_id, "boletos")
        first = next(b for b in body["boletos"] if b["installment"] == 1)
        r = await stack.crm.post(
            "/api/payments",
            json={
                "payment_id": "BANCO-1",
                "boleto_id": first["boleto_id"],
                "amount": str(first["amount"]),
                "paid_at": "2026-11-30T12:00:00-03:00",
                "channel": "pix",
            },
        )
        assert r.status_code == 201, r.text
        after = await stack.say(p, "ja paguei a primeira")
        assert "1 de 2 parcelas" in after[0]
        assert "Falta" in after[0]

    async def test_second_copy_sends_the_pix_code_alone(self, stack: Stack) -> None:
        _d, p = await agreed(stack, "+5511987652003")
        conversations = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"]
        await stored(stack, conversations[0]["session_id"], "boletos")
        reply = await stack.say(p, "manda a segunda via do boleto")
        assert "2ª via" in reply[0]
        assert reply[1].startswith("000201")  # the BR Code, nothing else in the bubble

    async def test_new_terms_replace_the_old_agreement_and_its_boletos(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652004")
        first = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"][0]["session_id"]
        await stored(stack, first, "boletos")
        body = await replaced(stack, p, first, "quero mudar, prefiro em 4x", "4x")
        assert body["reason"] == "renegotiated"
        assert body["replaces_session_id"] == first
        assert len(body["boletos"]) == 4
        old = await stored(stack, first, "cancelled_at")
        assert all(b["status"] == "cancelled" for b in old["boletos"])


def pix_codes(stack: Stack, phone: str) -> list[str]:
    return [t for t in stack.graph.texts_to(phone) if t.startswith("000201")]


async def delivered(stack: Stack, phone: str) -> None:
    """The agreement's boleto and PIX code have reached the debtor (a positive signal, not a sleep)."""
    for _ in range(100):
        if pix_codes(stack, phone):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the agreement's PIX code never arrived")


def media_webhook(phone: str, kind: str) -> dict[str, Any]:
    """An audio or image message as the Cloud API delivers it (Webhooks reference, `messages`)."""
    mime = {"audio": "audio/ogg; codecs=opus", "image": "image/jpeg"}[kind]
    return meta_webhook(
        {
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": phone}],
            "messages": [
                {
                    "from": phone,
                    "id": "wamid." + uuid.uuid4().hex.upper(),
                    "timestamp": str(int(time.time())),
                    "type": kind,
                    kind: {"id": str(uuid.uuid4().int)[:15], "mime_type": mime},
                }
            ],
        }
    )


class TestQuestionsAfterTheDeal:
    async def test_a_loterica_without_a_bank_account_is_a_yes(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652101")
        reply = await stack.say(p, "posso pagar numa loterica? n tenho conta em banco nao")
        assert len(reply) == 1
        assert "lotérica" in reply[0]
        assert "Caixa Tem" in reply[0]
        assert "Seu acordo está registrado" not in reply[0]

    async def test_a_lost_pix_code_is_sent_again_once_and_alone(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652102")
        await delivered(stack, p)
        before = pix_codes(stack, p)
        reply = await stack.say(p, "apaguei a conversa sem querer mds, manda de novo o codigo do pix")
        assert "2ª via" in reply[0]
        assert len(pix_codes(stack, p)) == len(before) + 1
        assert reply[-1] in pix_codes(stack, p)  # the code alone in its bubble

    async def test_thanks_gets_a_short_warm_closing_never_the_same_twice(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652103")
        await delivered(stack, p)
        first = await stack.say(p, "deus te abencoe viu, tava mt preocupada, agr vou dormir em paz 🙏🙏")
        second = await stack.say(p, "Ah, então está bem. Obrigado.")
        assert len(first) == len(second) == 1
        assert first[0] != second[0]
        for reply in (first[0], second[0]):
            assert len(reply) < 120
            assert "Seu acordo está registrado" not in reply
            assert "R$" not in reply

    async def test_the_boleto_is_never_sent_to_another_number_nor_the_number_repeated(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652104")
        await delivered(stack, p)
        reply = await stack.say(p, "mas manda esse boleto pro zap da minha filha, o numero dela e 11 98765 4321")
        assert "este número" in reply[0]
        assert "Encaminhar" in reply[0]
        assert not any(d in " ".join(reply) for d in ("98765", "4321"))
        recipients = {str(s.body.get("to")) for s in stack.graph.sent if s.body is not None and s.body.get("to")}
        assert all("987654321" not in r and not r.endswith("4321") for r in recipients)
        assert not pix_codes(stack, "5511987654321")

    async def test_an_audio_is_asked_in_writing_and_a_photo_needs_no_receipt(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652105")
        await delivered(stack, p)
        before = len(stack.graph.messages_to(p))
        assert (await stack.webhook(media_webhook(p, "audio"))).status_code == 200
        audio = await stack.replies(p, before)
        assert "escrever" in audio[0] or "escrito" in audio[0]
        before = len(stack.graph.messages_to(p))
        assert (await stack.webhook(media_webhook(p, "image"))).status_code == 200
        image = await stack.replies(p, before)
        assert "3 dias úteis" in image[0]

    async def test_when_it_falls_due_is_answered_from_the_agreement(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652106", installments="em 4x")
        await delivered(stack, p)
        reply = await stack.say(p, "quanto ficou cada parcela?")
        assert "parcela 1 de 4" in reply[0]
        assert re.search(r"\d{2}/\d{2}/\d{4}", reply[0])

    async def test_asking_for_a_person_after_the_deal_hands_the_thread_to_the_team(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652108")
        reply = await stack.say(p, "quero falar com atendente")
        assert "equipe" in reply[0]
        assert "Seu acordo está registrado" not in reply[0]
        items = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"]
        assert any(i["status"] == "handoff" for i in items)

    async def test_stopping_the_messages_after_the_deal_keeps_the_deal(self, stack: Stack) -> None:
        d, p = await agreed(stack, "+5511987652109")
        await delivered(stack, p)
        reply = await stack.say(p, "PARAR")
        assert "acordo" in reply[0]
        assert "continua" in reply[0] or "de pé" in reply[0]
        for _ in range(80):
            kinds = [c["kind"] for c in (await stack.crm.get(f"/api/debtors/{d['cpf']}/contacts")).json()]
            if "opt_out" in kinds:
                break
            await asyncio.sleep(0.1)
        assert "opt_out" in kinds
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["outcome"] == "successful"  # not cancelled


class TestDueDateChange:
    async def test_a_new_due_day_keeps_the_installments_and_the_amounts(self, stack: Stack) -> None:
        _, p = await agreed(stack, "+5511987652107", installments="em 4x")
        first = (await stack.bot.get("/api/conversations", params={"phone": p})).json()["items"][0]["session_id"]
        old = await stored(stack, first, "boletos")
        day = day_ahead(12)
        body = await replaced(stack, p, first, f"ah esqueci de falar, da pra mudar o vencimento pro dia {day}?", "4x")
        assert body["replaces_session_id"] == first
        assert body["installments"] == 4
        assert body["agreed_amount"] == old["agreed_amount"]
        assert sorted(b["amount"] for b in body["boletos"]) == sorted(b["amount"] for b in old["boletos"])
        assert date.fromisoformat(body["payment_date"]).day == day


class TestComplianceOnInbound:
    async def test_a_prescribed_debt_is_not_collected_when_the_debtor_writes_first(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="900.00", days_past_due=6 * 365, phone="+5511987652005")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        reply = await stack.say(p, d["cpf"][:3])
        assert "prescrita" in reply[0]
        assert "à vista" not in reply[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "debt_prescribed"
        assert outcome["boletos"] == []

    async def test_a_paid_debt_is_not_collected(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="900.00", phone="+5511987652006")
        r = await stack.crm.put(f"/api/debtors/{d['cpf']}", json={"debt_status": "paid"})
        assert r.status_code == 200
        p = digits(d["phone"])
        await stack.say(p, "oi")
        reply = await stack.say(p, d["cpf"][:3])
        assert "já está paga" in reply[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "debt_paid"


class TestNoShortcutPastTheCpf:
    async def test_coming_back_after_a_pre_validation_ending_asks_the_cpf_again(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="777.77", phone="+5511987652007")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        wrong = "000" if not d["cpf"].startswith("000") else "999"
        await stack.say(p, wrong)  # one wrong attempt
        await stack.say(p, "agora não dá, depois eu vejo")
        back = await stack.say(p, "oi, quero negociar")
        everything = " ".join(stack.graph.texts_to(p))
        assert "777,77" not in everything
        assert "CPF" in back[0]

    async def test_coming_back_after_a_refusal_resumes_without_the_cpf(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="900.00", phone="+5511987652008")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        await stack.say(p, d["cpf"][:3])
        await stack.say(p, "não quero")
        bye = await stack.say(p, "não, obrigado")
        assert "respeito" in bye[0]
        back = await stack.say(p, "pensando melhor quero pagar à vista")
        assert "à vista" in back[0]
        assert "CPF" not in back[0]

    async def test_an_acknowledgement_after_depois_eu_vejo_gets_no_offer(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="900.00", phone="+5511987652009")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        await stack.say(p, d["cpf"][:3])
        later = await stack.say(p, "agora nao da, depois eu vejo isso")
        # One call back, on a named day: the person knows when to expect us.
        assert "uma vez só" in later[0]
        assert re.search(r"dia \d{2}/\d{2}", later[0])
        for ack in ("ok", "blz valeu 👍"):
            reply = await stack.say(p, ack)
            assert reply
            said = " ".join(reply).lower()
            assert "r$" not in said
            assert "à vista" not in said
            assert "parcel" not in said
        back = await stack.say(p, "pensando bem quero pagar a vista")
        assert "à vista" in back[0]  # a real wish to pay still resumes at once

    async def test_after_ja_paguei_what_to_do_gets_the_teams_check_and_never_the_offer(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="760.00", phone="+5511987652010")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        await stack.say(p, d["cpf"][:3])
        told = await stack.say(p, "isso ai eu ja paguei. quitei tudo no caixa da loja em marco")
        # The payment told is in the past, never a date ahead.
        assert not re.search(r"/20(2[7-9]|3\d)", told[0])
        for question in ("blz. e oq eu faço pra parar de me cobrar entao", "ok, e agora?"):
            reply = " ".join(await stack.say(p, question)).lower()
            assert "r$" not in reply
            assert "parcel" not in reply
            assert "à vista" not in reply
            assert "equipe" in reply
        back = await stack.say(p, "na verdade nao paguei nao, quero parcelar em 4x")
        assert "4x" in back[0]  # a real wish to pay still resumes at once

    async def test_after_a_wrong_number_taking_the_number_off_is_confirmed(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="640.00", phone="+5511987652011")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        await stack.say(p, "esse numero é nosso faz 2 anos, nao tem ninguem com esse nome aqui")
        reply = " ".join(await stack.say(p, "blz, tira o numero ai pf")).lower()
        assert "lista" in reply
        assert "não encontrei" not in reply
        assert "640" not in " ".join(stack.graph.texts_to(p))
