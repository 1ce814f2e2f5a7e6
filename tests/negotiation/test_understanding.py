"""The CPF challenge and the offline engine's understanding, measured on the labelled corpus."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from certobot.negotiation.nlu import Intent, understand
from certobot.validation.challenge import extract_first_digits, matches
from scripts.nlu_accuracy import CLASSIFIER_HOLDOUT, CORPUS, HOLDOUT, TODAY, combined, evaluate, rules


class TestChallenge:
    @pytest.mark.parametrize(
        ("text", "digits"),
        [
            ("123", "123"),
            ("1 2 3", "123"),
            ("123.4", "123"),
            ("1-2-3", "123"),
            ("um dois três", "123"),
            ("meu cpf começa com 987", "987"),
            ("123.456.789-09", "123"),
            ("é 0 0 7", "007"),
            ("seis meia nove", "669"),
        ],
    )
    def test_digits_however_typed(self, text: str, digits: str) -> None:
        assert extract_first_digits(text) == digits

    @pytest.mark.parametrize("text", ["oi", "não sei", "12", "é um prazer"])
    def test_not_an_answer(self, text: str) -> None:
        assert extract_first_digits(text) is None

    def test_matches_only_the_right_prefix(self) -> None:
        assert matches("1 1 1", "11144477735")
        assert not matches("112", "11144477735")
        assert not matches("oi", "11144477735")


class TestCorpus:
    def test_corpus_is_big_enough(self) -> None:
        rows = CORPUS.read_text(encoding="utf-8").splitlines()
        assert len(rows) >= 200
        assert len({json.loads(r)["intent"] for r in rows}) >= 15

    def test_accuracy_holds(self) -> None:
        accuracy, per_intent, _ = evaluate(CORPUS)
        assert accuracy >= 0.95
        assert all(ok / n >= 0.8 for ok, n in per_intent.values())
        held_out, _, _ = evaluate(HOLDOUT)
        assert held_out >= 0.85

    def test_slots_on_labelled_rows(self) -> None:
        for line in Path(CORPUS).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            got = understand(row["text"], TODAY)
            if "installments" in row:
                assert got.installments == row["installments"], row
            if "amount" in row:
                assert got.amount_cents == int(Decimal(row["amount"]) * 100), row
            if "day" in row:
                assert got.day is not None, row
                assert got.day.day == row["day"], row


class TestDates:
    def test_relative_dates_resolve_from_today(self) -> None:
        today = date(2026, 11, 22)  # a Sunday
        assert understand("dia 15", today).day == date(2026, 12, 15)
        assert understand("dia 30", today).day == date(2026, 11, 30)
        assert understand("semana que vem", today).day == date(2026, 11, 29)
        assert understand("vou pagar sexta", today).day == date(2026, 11, 27)
        assert understand("15/12", today).day == date(2026, 12, 15)
        assert understand("vou pagar dia 10", today).intent == Intent.promise


class TestFormalOptOut:
    """Asking to be taken off the list, however formally: the bot must stop, not negotiate."""

    @pytest.mark.parametrize(
        "text",
        [
            "Favor remover meu contato da lista de vocês.",
            "Solicito a exclusão dos meus dados do cadastro de vocês, conforme a LGPD.",
            "Por gentileza, excluam meu número da base de vocês.",
            "Não desejo mais receber mensagens desta empresa.",
            "Com base na LGPD peço a eliminação dos meus dados pessoais",
            "quero que apaguem meus dados",
            "removam meu telefone do sistema por favor",
            "gostaria de não receber mais mensagens",
            "quero me descadastrar",
            "revogo meu consentimento",
            "quero sair dessa lista",
        ],
    )
    def test_recognised(self, text: str) -> None:
        assert understand(text, TODAY).intent == Intent.opt_out

    @pytest.mark.parametrize(
        "text",
        [
            "quero tirar meu nome do serasa",  # wants to pay: silencing them would be the bug
            "como faço pra limpar meu nome",
            "tira meu nome do spc que eu pago",
            "quero excluir os juros",
            "meus dados estão certos?",
        ],
    )
    def test_not_confused_with_cleaning_the_name(self, text: str) -> None:
        assert understand(text, TODAY).intent != Intent.opt_out


class TestClassifierWiring:
    def test_helps_where_the_rules_do_not_understand(self) -> None:
        assert understand("quando o salario cair eu acerto", TODAY, learned=False).intent == Intent.unknown
        assert understand("quando o salario cair eu acerto", TODAY).intent == Intent.promise

    def test_never_overrides_the_rules_nor_their_numbers(self) -> None:
        heard = understand("da pra fazer em 6x dia 10?", TODAY)
        assert heard.intent == Intent.installments
        assert heard.installments == 6
        assert heard.day == date(2026, 12, 10)

    def test_never_ends_a_conversation_on_its_own(self) -> None:
        # The classifier alone reads this as an opt-out; a debtor who wants their name clean wants to pay.
        assert understand("quero limpar meu nome", TODAY).intent != Intent.opt_out

    @pytest.mark.parametrize("text", ["sete nove dois", "seis meia nove", "zero zero sete", "1 2 3"])
    def test_digits_in_words_are_not_an_intent(self, text: str) -> None:
        # The answer to the CPF question: the classifier alone reads "sete nove dois" as "later".
        assert understand(text, TODAY).intent == Intent.unknown

    def test_held_out_accuracy(self) -> None:
        with_classifier, _, _ = evaluate(CLASSIFIER_HOLDOUT, combined)
        alone, _, _ = evaluate(CLASSIFIER_HOLDOUT, rules)
        assert with_classifier >= 0.89
        assert with_classifier > alone
