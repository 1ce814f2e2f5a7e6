"""The CPF challenge counts only answers; the bot does not sound like a machine on repeat."""

from __future__ import annotations

import pytest

from certobot.negotiation import texts
from certobot.negotiation.brain import due_word
from certobot.validation.challenge import extract_first_digits


class TestOnlyAnswersCount:
    @pytest.mark.parametrize(
        "text",
        [
            "recebi msg de vcs dia 15... tenho 2 filhos",
            "dia 15 de 2024 eu paguei",
            "tenho 3 filhos e 2 netos",
            "moro na rua 7 casa 12, ap 301",
            "olha " + "a história é longa " * 300 + " 123",
        ],
    )
    def test_a_story_with_numbers_is_not_an_answer(self, text: str) -> None:
        assert extract_first_digits(text) is None

    @pytest.mark.parametrize(
        ("text", "digits"),
        [
            ("123", "123"),
            ("sao 123 os primeiros", "123"),
            ("o meu é 456, pode conferir", "456"),
            ("um dois tres", "123"),
        ],
    )
    def test_answers_in_their_many_shapes_count(self, text: str, digits: str) -> None:
        assert extract_first_digits(text) == digits


class TestTone:
    @pytest.mark.parametrize(
        ("description", "word"),
        [
            ("Empréstimo pessoal", "vencido"),
            ("Mensalidade escolar", "vencida"),
            ("Fatura do cartão de crédito", "vencida"),
            ("Crediário", "vencido"),
            ("Conta de luz", "vencida"),
            ("Financiamento", "vencido"),
        ],
    )
    def test_the_debt_noun_agrees(self, description: str, word: str) -> None:
        assert due_word(description) == word

    def test_persona_is_female_and_never_tranquilo_a(self) -> None:
        every = " ".join(v for name in dir(texts) if name.isupper() for v in getattr(texts, name) if isinstance(v, str))
        assert "Obrigado" not in every
        assert "tranquilo(a)" not in every
