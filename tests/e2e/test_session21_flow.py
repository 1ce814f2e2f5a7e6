"""The CPF gate and the endings, as session 21's held-out probes met them: through the webhook, the flow and
the CRM (Meta and Groq are the only fakes)."""

from __future__ import annotations

from pydantic_ai import models

from tests.e2e.conftest import Stack
from tests.e2e.test_sensitive import contacts, digits, validated
from tests.factories import create_debtor

models.ALLOW_MODEL_REQUESTS = False


def wrong_start(cpf: str) -> str:
    return "".join(str((int(c) + 5) % 10) for c in cpf[:3])


class TestTheGate:
    async def test_the_digits_inside_a_question_confirm_and_the_question_is_answered(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="640.00", max_discount="20.00", phone="+5511987652101")
        p = digits(d["phone"])
        await stack.say(p, "Isso é golpe? Quem são vocês?")
        replies = await stack.say(p, f"Tá bom. Começa com {d['cpf'][:3]}. Agora me diga o nome da empresa e o CNPJ.")
        text = " ".join(replies)
        assert "CNPJ" in text
        assert "Identidade confirmada" in text
        assert "R$ 640,00" in text

    async def test_a_guess_after_a_no_uses_up_an_attempt(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="500.00", phone="+5511987652102")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        first = await stack.say(p, wrong_start(d["cpf"]))
        assert "2 tentativas" in first[0] or "2 tentativas restantes" in first[0]
        second = await stack.say(p, f"nao? entao {wrong_start(d['cpf'])[::-1]}")
        assert "1 tentativa" in second[0]  # the "não" in front does not make a free guess

    async def test_figures_wait_while_someone_else_reads_the_screen(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="1150.00", max_discount="20.00", phone="+5511987652103")
        p = digits(d["phone"])
        await stack.say(p, "oi")
        held = await stack.say(
            p, f"{d['cpf'][:3]}. mas nao fala valor agora nao pfv, minha sogra ta do lado lendo tudo"
        )
        assert "Identidade confirmada" in held[0]
        assert "R$" not in " ".join(held)
        shown = await stack.say(p, "pronto, ela foi pra cozinha kkk pode falar")
        assert "R$ 1.150,00" in shown[0]


class TestEndings:
    async def test_thanks_after_an_opt_out_gets_a_word_back_not_the_opening_again(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="700.00", phone="+5511987652104")
        p = digits(d["phone"])
        await stack.say(p, "PARA DE ME MANDAR MENSAGEM!!! tira meu numero")
        thanks = await stack.say(p, "ta. obg")
        assert "CPF" not in thanks[0]
        assert "não te mando mais" in thanks[0] or "saiu da nossa lista" in thanks[0]
        assert len(await contacts(stack, d["cpf"], "opt_out")) == 1

    async def test_the_call_back_day_agreed_again_is_not_a_yes_to_the_terms(self, stack: Stack) -> None:
        _d, p = await validated(stack, phone="+5511987652105", debt="900.00")
        later = await stack.say(p, "agora nao da pra ver isso nao, to no trecho. me chama segunda de manha")
        assert "segunda" in later[0]
        again = await stack.say(p, "isso, segunda depois das 8. valeu")
        assert "R$" not in again[0]
        assert "Combinado" in again[0] or "anotado" in again[0]
        outcome = await stack.outcome(p)
        assert outcome is not None
        assert outcome["reason"] == "follow_up"

    async def test_a_widow_asking_what_it_was_about_hears_why_it_is_not_told(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="2300.00", phone="+5511987652106")
        p = digits(d["phone"])
        await stack.say(p, "Aqui é a esposa dele. Ele faleceu em março.")
        asked = await stack.say(p, "O que vocês queriam com ele? Se for conta dele eu quero saber, sou a viúva.")
        assert "sigilo" in asked[0]
        assert "R$" not in asked[0]
        assert "2.300" not in asked[0]

    async def test_a_debtor_who_cursed_before_the_cpf_closes_without_a_party(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="800.00", max_discount="20.00", phone="+5511987652107")
        p = digits(d["phone"])
        calmed = await stack.say(p, "q porra é essa de mensagem todo dia, vcs são uns urubus")
        assert "R$" not in calmed[0]
        await stack.say(p, d["cpf"][:3])
        await stack.say(p, "foi mal pelo estresse. quero em 4x")
        done = await stack.say(p, "pode fechar", wait=15)
        assert "Acordo" in done[0]
        assert "🎉" not in done[0]

    async def test_a_relative_who_then_tells_of_the_death_gets_condolences_and_the_crm_hears_it(
        self, stack: Stack
    ) -> None:
        d = await create_debtor(stack.crm, debt="1200.00", phone="+5511987652108")
        p = digits(d["phone"])
        await stack.say(p, "oi, aqui é a filha dele. esse cel era do meu pai")
        told = await stack.say(p, "ele faleceu tem 3 semanas. infarto.")
        assert "Sinto muito" in told[0]
        assert "R$" not in told[0]
        assert await contacts(stack, d["cpf"], "deceased")
        asked = await stack.say(p, "vcs queriam falar o que com ele? ele devia alguma coisa?")
        assert "sigilo" in asked[0]
        assert "1.200" not in asked[0]

    async def test_a_debtor_who_opted_out_and_writes_to_negotiate_is_served(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="600.00", max_discount="20.00", phone="+5511987652109")
        p = digits(d["phone"])
        await stack.say(p, "para de mandar msg")
        assert (await stack.crm.get(f"/api/debtors/{d['cpf']}")).json()["opted_out"] is True
        await stack.say(p, "foi mal, to de cabeça quente. quanto ta essa parada?")
        opened = await stack.say(p, d["cpf"][:3])
        assert "R$ 600,00" in " ".join(opened)
        offer = await stack.say(p, "da pra fazer em 3x?")
        assert "3x de R$" in offer[0]

    async def test_proof_after_a_dispute_has_a_way_in_and_collection_stays_suspended(self, stack: Stack) -> None:
        _d, p = await validated(stack, phone="+5511987652110", debt="2199.00")
        disputed = await stack.say(p, "comprei um guarda roupa no crediario e a loja NUNCA entregou")
        assert "suspensa" in disputed[0]
        proof = await stack.say(p, "tenho a nota fiscal e os protocolos tudo guardado, pra onde eu mando?")
        assert "atendente" in proof[0]
        assert "suspensa" in proof[0]
        assert "R$" not in proof[0]


class TestBeforeTheCpf:
    async def test_who_gave_the_number_is_answered_without_a_word_of_the_debt(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="1500.00", phone="+5511987652111")
        p = digits(d["phone"])
        told = await stack.say(p, "QUEM TE PASSOU MEU NÚMERO??")
        assert "cadastro" in told[0]
        assert "CPF" in told[0]
        assert "R$" not in told[0]
        assert "1.500" not in told[0]

    async def test_a_delivery_question_hears_it_is_no_delivery(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, debt="1190.00", phone="+5511987652112")
        p = digits(d["phone"])
        told = await stack.say(p, "é da entrega? meu pacote ta parado faz 1 semana 😤")
        assert "entrega" in told[0]
        assert "R$" not in told[0]
        opened = await stack.say(p, d["cpf"][:3])
        assert "R$ 1.190,00" in " ".join(opened)
