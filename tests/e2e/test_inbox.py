"""The inbox a collection team works from: names, amounts, Portuguese labels, search without CPFs in URLs."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Stack
from tests.factories import create_debtor


async def open_conversation(stack: Stack, **debtor: Any) -> tuple[dict[str, Any], str]:
    d = await create_debtor(stack.crm, **debtor)
    r = await stack.bot.post("/api/conversations", json={"cpf": d["cpf"]})
    assert r.status_code == 202, r.text
    return d, r.json()["session_id"]


async def search(stack: Stack, **body: Any) -> dict[str, Any]:
    r = await stack.bot.post("/api/inbox/search", json=body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


class TestInbox:
    async def test_rows_carry_name_masked_cpf_amount_and_portuguese_labels(self, stack: Stack) -> None:
        d, session_id = await open_conversation(stack, name="Conceição Araújo", debt="1234.56")
        page = await search(stack)
        assert page["total"] == 1
        item = page["items"][0]
        assert item["session_id"] == session_id
        assert item["debtor_name"] == "Conceição Araújo"
        assert item["cpf"] == f"***.***.***-{d['cpf'][-2:]}"
        assert item["amount"] == "1234.56"
        assert (item["status_label"], item["phase_label"], item["outcome_label"]) == (
            "Com a assistente",
            "Confirmando identidade",
            "Em andamento",
        )

    async def test_search_by_name_cpf_or_phone_and_filter_by_status(self, stack: Stack) -> None:
        ana, ana_id = await open_conversation(stack, name="Ana Paula Souza")
        bia, bia_id = await open_conversation(stack, name="Beatriz Lima")
        assert [i["session_id"] for i in (await search(stack, q="paula"))["items"]] == [ana_id]
        assert [i["session_id"] for i in (await search(stack, q="souza ana"))["items"]] == [ana_id]
        cpf = bia["cpf"]
        formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
        assert [i["session_id"] for i in (await search(stack, q=formatted))["items"]] == [bia_id]
        assert [i["session_id"] for i in (await search(stack, q=ana["phone"]))["items"]] == [ana_id]
        assert (await search(stack, q="100%_"))["total"] == 0  # wildcards are searched as text
        assert (await stack.bot.post(f"/api/conversations/{bia_id}/handoff", json={})).status_code == 200
        handoff = await search(stack, status="handoff")
        assert [(i["session_id"], i["status_label"]) for i in handoff["items"]] == [(bia_id, "Com atendente")]

    async def test_paging(self, stack: Stack) -> None:
        for _ in range(3):
            await open_conversation(stack)
        first = await search(stack, page_size=2)
        second = await search(stack, page_size=2, page=2)
        assert first["total"] == 3
        assert len(first["items"]) == 2
        assert len(second["items"]) == 1
        assert not {i["session_id"] for i in first["items"]} & {i["session_id"] for i in second["items"]}

    async def test_a_note_is_kept_and_shown(self, stack: Stack) -> None:
        _, session_id = await open_conversation(stack)
        r = await stack.bot.put(f"/api/inbox/{session_id}/note", json={"note": "Pediu retorno após 18h."})
        assert r.status_code == 200, r.text
        assert r.json()["note_by"] == "service-key"
        assert (await search(stack))["items"][0]["note"] == "Pediu retorno após 18h."
        assert (await stack.bot.get(f"/api/inbox/{session_id}/note")).json()["note"] == "Pediu retorno após 18h."
        r = await stack.bot.put("/api/inbox/nao-existe/note", json={"note": "x"})
        assert r.status_code == 404
        assert r.json()["detail"] == "Conversa não encontrada."

    async def test_bad_queries_are_422_in_portuguese_not_500(self, stack: Stack) -> None:
        r = await stack.bot.post("/api/inbox/search", json={"q": "x" * 500})
        assert r.status_code == 422
        r = await stack.bot.post("/api/inbox/search", json={"status": "successful"})
        assert r.status_code == 422

    async def test_erasing_a_conversation_takes_the_name_and_the_note_along(self, stack: Stack) -> None:
        from certobot.negotiation.models import Conversation
        from certobot.privacy.subject import anonymise_conversation

        _, session_id = await open_conversation(stack, name="Rosa Pereira")
        await stack.bot.put(f"/api/inbox/{session_id}/note", json={"note": "Falou da filha Joana."})
        assert (await search(stack, q="rosa"))["total"] == 1
        sessionmaker = stack.bot_app.state.resources.sessionmaker
        async with sessionmaker() as db, db.begin():
            conv = await db.get(Conversation, session_id)
            assert conv is not None
            await anonymise_conversation(db, conv)
        assert (await search(stack, q="rosa"))["total"] == 0
        item = (await search(stack))["items"][0]
        assert (item["debtor_name"], item["note"], item["cpf"]) == (None, None, None)
