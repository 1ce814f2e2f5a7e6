"""After an agreement: what kind of message each phrasing is, and how the bot words its answer."""

from __future__ import annotations

import re
from datetime import date

import pytest

from certobot.negotiation.after_deal import (
    FALLBACK,
    REPLIES,
    AfterDeal,
    early_payment_text,
    fallback_text,
    normalize,
    paid_text,
    read,
    say,
    terms_text,
)

# Several people's ways of saying each thing: typos, abbreviations, no accents, all caps.
PHRASINGS: dict[AfterDeal, list[str]] = {
    AfterDeal.where_to_pay: [
        "posso pagar numa loterica? n tenho conta em banco nao",
        "onde eu pago isso?",
        "Dá pra pagar na lotérica?",
        "nao tenho banco, como faço pra pagar",
        "posso pagar em dinheiro?",
        "aceita pagar pelo nubank?",
        "tenho so o caixa tem, serve?",
        "PAGO NA CASA LOTERICA MESMO?",
        "sou sem conta, da pra pagar no correspondente?",
    ],
    AfterDeal.resend: [
        "so chegou o codigo do pix, o boleto nao veio. eu pago no caixa do banco",
        "apaguei a conversa sem querer mds, manda de novo o codigo do pix",
        "perdi o boleto",
        "cade o pix q vc mandou",
        "meu celular quebrou e perdi as mensagens, manda dnv",
        "o pdf nao abre aqui",
        "nao recebi o codigo pix",
        "reenvia o pix por favor",
        "excluí sem querer o boleto",
        "me manda a 2a via",
        "pode mandar o boleto outra vez?",
    ],
    AfterDeal.pay_error: [
        "o pix nao ta funcionando, da erro qnd eu colo no app do banco",
        "o codigo pix ta dando erro",
        "o banco fala que o codigo é invalido",
        "nao consigo pagar o pix, o app recusa",
        "o boleto nao passa no app",
        "copiei e colei mas n foi",
        "o app do itau diz que o qr code expirou",
        "tentei pagar e deu erro",
        "o nubank não aceita esse código",
    ],
    AfterDeal.paid: [
        "ah agora foi, paguei pelo boleto msm, vlw",
        "pronto, paguei agora",
        "ja fiz o pix",
        "transferi agora de manhã",
        "paguei hj cedo na loterica",
        "pronto, ta pago",
        "acabei de pagar o boleto",
        "já quitei",
        "Pagamento realizado.",
    ],
    AfterDeal.thanks: [
        "deus te abencoe viu, tava mt preocupada com isso, agr vou dormir em paz 🙏🙏",
        "Ah, então está bem. Obrigado.",
        "obrigado moça 🙏",
        "muito obrigada viu",
        "obg",
        "valeu moça, deus abençoe",
        "gratidão 🙏",
        "Obrigada pela paciência",
        "brigadão, vc me ajudou muito",
        "🙏🙏",
    ],
    AfterDeal.ack: ["ok", "beleza", "ta bom entao", "entendi", "tudo certo", "blz", "👍", "Certo."],
    AfterDeal.terms: [
        "desculpa, era pra perguntar se o primeiro boleto ja vence esse mes",
        "qual o vencimento mesmo?",
        "quanto ficou cada parcela?",
        "qnd vence a primeira?",
        "quando vence o boleto?",
        "qual a data de pagamento?",
        "qual o valor da parcela?",
        "quanto vou pagar por mes?",
        "o boleto vence que dia?",
        "quantas parcelas sao mesmo?",
    ],
    AfterDeal.early_payment: [
        "e se eu conseguir pagar antes, ganho mais desconto?",
        "posso adiantar as parcelas?",
        "se eu quitar antes tem desconto?",
        "da pra antecipar?",
        "quero pagar o resto tudo de uma vez antes",
        "consigo mais desconto se pagar agora?",
        "se eu pagar antes do vencimento tem problema?",
    ],
    AfterDeal.other_debt: [
        "Tenho outra dívida com vocês? Tinha um cartão de loja também, se tiver já quero acertar também.",
        "tenho mais alguma divida com vcs?",
        "eu devo mais alguma coisa?",
        "e o meu emprestimo, tem outro debito?",
        "tem outra conta no meu nome?",
        "era so essa divida mesmo?",
    ],
    AfterDeal.other_number: [
        "mas manda esse boleto pro zap da minha filha, o numero dela e 11 98765 4321",
        "manda pro meu marido",
        "envia pro email joao@gmail.com",
        "meu filho vai pagar, manda pra ele no 21 99999-8888",
        "pode mandar no zap do meu esposo?",
        "manda pro outro numero",
        "encaminha o boleto pra minha irmã por favor",
    ],
    AfterDeal.date_change: [
        "ah esqueci de falar, da pra mudar o vencimento pro dia 10? é qnd cai minha aposentadoria",
        "queria que vencesse dia 5",
        "da pra pagar todo dia 20?",
        "posso mudar a data do boleto?",
        "meu salario cai dia 15, da pra mudar o vencimento?",
        "tem como trocar o dia de pagamento?",
        "não quero cancelar, só mudar a data",
        "prefiro que caia no dia 25",
    ],
    AfterDeal.change: [
        "obrigado mas quero mudar pra 3x",
        "e se eu mudar pra pagar tudo a vista, qto fica?",
        "entao muda pra a vista, pode fechar",
        "quero mudar pra 6x",
        "prefiro pagar a vista",
        "faz em 10 vezes",
        "espera, errei, queria em 6x",
    ],
    AfterDeal.cancel: ["quero cancelar", "quero desistir do acordo", "cancela pra mim por favor", "CANCELAR"],
}


@pytest.mark.parametrize(
    ("kind", "text"), [(kind, text) for kind, texts in PHRASINGS.items() for text in texts], ids=lambda v: str(v)[:40]
)
def test_each_phrasing_is_read_as_its_kind(kind: AfterDeal, text: str) -> None:
    assert read(text) is kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("quero cancelar", AfterDeal.cancel),  # not a thank-you
        ("obrigado mas quero mudar pra 3x", AfterDeal.change),  # a change said politely
        ("obrigada, quando vence?", AfterDeal.terms),
        ("obrigada, mas não recebi o boleto", AfterDeal.resend),
        ("beleza, manda pra minha filha", AfterDeal.other_number),
        ("ok, e se eu pagar antes?", AfterDeal.early_payment),
        ("manda o boleto de novo pro zap da minha filha", AfterDeal.other_number),  # never a plain resend
        ("não quero cancelar, só mudar a data", AfterDeal.date_change),
        ("se eu pagar antes do vencimento tem problema?", AfterDeal.early_payment),  # not a date change
    ],
)
def test_the_more_specific_ask_wins(text: str, kind: AfterDeal) -> None:
    assert read(text) is kind


@pytest.mark.parametrize(
    "text",
    [
        "ta bom, dia 15 entao",  # a new date, for the renegotiation
        "obrigada, mas quero em 4x",
        "ainda nao paguei",
        "nao adianta nada",
        "oi",
        "bom dia",
        "o que eu combinei?",  # the NLU's recall path
        "pensando bem não quero, cancela",  # the NLU's cancel path
    ],
)
def test_what_is_no_family_of_its_own_or_not_a_closing(text: str) -> None:
    assert read(text) not in (AfterDeal.thanks, AfterDeal.ack, AfterDeal.paid)


@pytest.mark.parametrize("text", ["não quero cancelar não", "nao vou desistir"])
def test_a_negated_cancel_is_never_a_cancel(text: str) -> None:
    assert read(text) is not AfterDeal.cancel


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("audio", AfterDeal.audio),
        ("image", AfterDeal.image),
        ("document", AfterDeal.image),
        ("reaction", AfterDeal.ack),
        ("sticker", None),
    ],
)
def test_media_by_its_whatsapp_kind(kind: str, expected: AfterDeal | None) -> None:
    assert read(None, kind) is (expected or AfterDeal.media)


def test_abbreviations_are_spelled_out() -> None:
    assert normalize("Qnd vc manda o PIX dnv, msm?") == "quando voce manda o pix de novo, mesmo?"


class TestReplies:
    @pytest.mark.parametrize("kind", list(REPLIES))
    def test_never_the_same_sentence_twice_in_a_row(self, kind: AfterDeal) -> None:
        assert say(kind, 0, creditor="Certo") != say(kind, 1, creditor="Certo")

    @pytest.mark.parametrize("kind", list(REPLIES))
    def test_kind_informal_and_in_the_persona_voice(self, kind: AfterDeal) -> None:
        for n in range(len(REPLIES[kind])):
            text = say(kind, n, creditor="Certo").lower()
            assert not re.search(r"\bobrigado\b", text)
            assert "tranquil" not in text
            assert "{" not in text

    def test_where_to_pay_says_yes_without_a_bank_account(self) -> None:
        for n in range(3):
            text = say(AfterDeal.where_to_pay, n).lower()
            assert "lotérica" in text
            assert "conta" in text
            assert "caixa tem" in text

    def test_a_pix_error_gets_the_whole_code_the_boleto_and_a_person(self) -> None:
        for n in range(2):
            text = say(AfterDeal.pay_error, n)
            assert "copia e cola" in text.lower()
            assert "linha digitável" in text
            assert "2ª via" in text
            assert "*atendente*" in text

    def test_another_number_is_refused_and_forwarding_explained(self) -> None:
        for n in range(2):
            text = say(AfterDeal.other_number, n)
            assert "este número" in text
            assert "Encaminhar" in text
            assert not re.search(r"\d", text)

    def test_another_debt_is_never_invented(self) -> None:
        for n in range(2):
            text = say(AfterDeal.other_debt, n, creditor="Certo Recuperadora")
            assert "Certo Recuperadora" in text
            assert "*atendente*" in text
            assert "cartão" not in text

    def test_a_receipt_photo_needs_no_receipt(self) -> None:
        for n in range(2):
            text = say(AfterDeal.image, n)
            assert "3 dias úteis" in text
            assert "comprovante" in text

    def test_thanks_is_short_and_warm(self) -> None:
        said = [say(AfterDeal.thanks, n) for n in range(3)]
        assert all(len(s) < 120 for s in said)
        assert said[0].startswith("De nada")
        assert "Seu acordo está registrado" not in " ".join(said)

    def test_a_claimed_payment_is_thanked_then_told_what_the_bank_confirmed(self) -> None:
        so_far = "Ainda não chegou a confirmação de nenhum pagamento deste acordo."
        assert paid_text(0, so_far).endswith(so_far)
        assert paid_text(0, so_far) != paid_text(1, so_far)

    def test_the_fallback_changes_its_words_each_turn(self) -> None:
        said = [fallback_text(n, "total de R$ 100,00 em 1x") for n in range(len(FALLBACK))]
        assert len(set(said)) == len(FALLBACK)
        assert all("R$ 100,00" in s for s in said)


class TestEarlyPayment:
    def test_installments_may_be_paid_earlier_and_a_bigger_discount_is_only_cash(self) -> None:
        text = early_payment_text(0, cash=False, total_cents=150000)
        assert "à vista" in text
        assert "antes" in text

    def test_a_cash_agreement_already_has_the_best_discount(self) -> None:
        text = early_payment_text(0, cash=True, total_cents=88000)
        assert "R$ 880,00" in text
        assert "quero à vista" not in text


class TestTerms:
    TODAY = date(2026, 11, 20)

    def test_the_next_installment_with_its_amount_and_date(self) -> None:
        text = terms_text(0, today=self.TODAY, due=date(2026, 12, 6), amount_cents=7680, installment=1, installments=10)
        assert "parcela 1 de 10" in text
        assert "R$ 76,80" in text
        assert "06/12/2026, no mês que vem" in text
        assert "As outras 9" in text

    def test_a_due_date_this_month_is_said_so(self) -> None:
        text = terms_text(
            1, today=self.TODAY, due=date(2026, 11, 28), amount_cents=33440, installment=1, installments=1
        )
        assert "à vista" in text
        assert "ainda este mês" in text
        assert text != terms_text(
            0, today=self.TODAY, due=date(2026, 11, 28), amount_cents=33440, installment=1, installments=1
        )
