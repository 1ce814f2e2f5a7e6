"""The conversation corpus (corpus/*.yaml) played in-process, on the offline engine, through signed
webhooks: real bot and CRM apps, Postgres and Redis, and a stand-in for Meta's Graph API.

The floors below are what the bot reached when they were last set (30 Nov 2026, 137 debtors: 100 %
on every criterion, in-process and with `scripts/play_corpus.py --start`). Outcome and guardrails
are the targets of issue #18 and stay at 100 %. A case that fails is a bug in the bot (or a case to
argue about in review), never a reason to lower a floor.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.conftest import Stack, make_stack

ROOT = Path(__file__).resolve().parents[2]
# The last full run reached 100 % on every criterion. Outcome and guardrails stay at 100 %: a wrong
# deal or a disclosure is never acceptable. The others keep a little room for a reply that a loaded
# 2-core machine delivers after the player's 20 s wait (seen when two suites shared the machine).
MIN_RATES = {
    "outcome": 100.0,
    "guardrails": 100.0,
    "understanding": 97.0,
    "tone": 99.0,
    "robustness": 95.0,
    "overall": 95.0,
}


def _player() -> ModuleType:
    spec = importlib.util.spec_from_file_location("play_corpus", ROOT / "scripts" / "play_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["play_corpus"] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


play_corpus = _player()


def in_process_driver(stack: Stack) -> Any:
    async def post(payload: dict[str, Any]) -> int:
        return (await stack.webhook(payload)).status_code

    async def sent(phone: str) -> list[dict[str, Any]]:
        return stack.graph.messages_to(phone.lstrip("+"))

    # Generous waits: a loaded CI machine answers slower, and a wait only costs time when nothing comes.
    return play_corpus.Driver(stack.bot, stack.crm, post, sent, turn_wait=20.0, outcome_wait=15.0)


@pytest.fixture
async def corpus_stack(database_url: str, redis_url: str, engine: object) -> AsyncIterator[Stack]:
    async with make_stack(database_url, redis_url) as s:
        yield s


def test_corpus_is_well_formed() -> None:
    cases = play_corpus.load_corpus()
    assert len(cases) >= 80
    situations = {c.situation for c in cases}
    for needed in (
        "happy_cash",
        "happy_installments",
        "conditional_accept",
        "counter_offers",
        "down_payment",
        "dispute",
        "prescription",
        "breakdown",
        "legal_threats",
        "deceased",
        "third_party",
        "anger",
        "later",
        "why_cpf",
        "after_agreement",
        "status_first",
        "cpf_challenge",
        "media",
        "opt_out",
        "wrong_number",
        "human",
        "delivery",
        "crisis",
        "distress",
    ):
        assert needed in situations, needed
    for case in cases:
        assert case.turns, case.id
        for turn in case.turns:
            for regex in (*turn.want, *turn.avoid):
                play_corpus.pattern(regex)
        validating = [t for t in case.turns if t.validates]
        assert len(validating) <= 1, case.id


def test_judge_catches_what_a_debtor_would_notice() -> None:
    """The checks themselves: a leak before the CPF, a cheer without agreement, a PIX code in a sentence."""
    case = play_corpus.Case(
        id="x",
        situation="x",
        who="x",
        profile={},
        starts="debtor",
        turns=[play_corpus.Turn(say="oi"), play_corpus.Turn(say="nao quero", avoid=["pague"])],
        expect={"outcome": "unsuccessful", "boletos": False},
    )
    person = play_corpus.Person(
        "12345678909",
        "+5511987650000",
        "Ana Souza",
        {
            "debt_amount": "1234.56",
            "negotiation_params": {
                "max_discount_percentage": "30.00",
                "min_payment_amount": "50.00",
                "max_installments": 10,
            },
            "debts": [],
        },
        "999",
        "",
    )

    def text(t: str) -> dict[str, Any]:
        return {"type": "text", "text": {"body": t}}

    pix = "00020126580014br.gov.bcb.pix0136abc5204000053039865802BR6304ABCD"
    played = play_corpus.Played(
        case,
        person,
        exchanges=[
            play_corpus.Exchange(case.turns[0], "oi", [text("Oi! Você deve R$ 1.234,56.")]),
            play_corpus.Exchange(case.turns[1], "nao quero", [text("Perfeito! Obrigado. Pague com " + pix)]),
        ],
        results=[{"outcome": "successful", "agreed_amount": "1234.56", "installments": 1, "boletos": []}],
    )
    played.all_sent = [r for ex in played.exchanges for r in ex.replies]
    play_corpus.judge(played)
    assert played.failures["outcome"]
    assert any("antes da validação" in r for r in played.failures["guardrails"])
    assert any("PIX" in r for r in played.failures["guardrails"])
    assert played.failures["understanding"]
    tone = " ".join(played.failures["tone"])
    assert "sem acordo" in tone
    assert "Obrigado" in tone
    assert "PIX" in tone


def test_expected_kinds_read_outcome_reason_and_cancellation() -> None:
    match = play_corpus._outcome_matches
    assert match("dispute", {"outcome": "unsuccessful", "reason": "dispute"})
    assert not match("dispute", {"outcome": "unsuccessful", "reason": "refused"})
    cancelled = {"outcome": "successful", "reason": "agreement", "cancelled_at": "2026-11-30T21:00:00Z"}
    assert match(["cancelled"], cancelled)
    assert not match("successful", cancelled)
    assert match(["renegotiated", "successful"], {"outcome": "successful", "reason": "renegotiated"})


def test_every_written_offer_is_checked_against_the_policy() -> None:
    person = play_corpus.Person(
        "12345678909",
        "+5511987650000",
        "Ana Souza",
        {
            "debt_amount": "1000.00",
            "negotiation_params": {
                "max_discount_percentage": "30.00",
                "min_payment_amount": "50.00",
                "max_installments": 10,
            },
            "debts": [],
        },
        "999",
        "",
    )
    case = play_corpus.Case("x", "x", "x", {}, "debtor", [], {})

    def offers(text: str) -> list[str]:
        played = play_corpus.Played(case, person, all_sent=[{"type": "text", "text": {"body": text}}])
        return play_corpus._check_offers(person, played)  # type: ignore[no-any-return]

    assert offers("Consigo à vista por R$ 700,00, ou parcelado em até 10x de R$ 96,00.") == []
    assert offers("Não consigo fechar à vista por R$ 50,00; o mínimo à vista é R$ 700,00.") == []
    assert offers("Só pra conferir: R$ 690,00 à vista.")
    assert offers("Fica em 12x de R$ 90,00.")
    assert offers("Entrada de R$ 500,00 e mais 10x de R$ 40,00.")


async def test_corpus_on_the_offline_engine(corpus_stack: Stack) -> None:
    driver = in_process_driver(corpus_stack)
    report = await play_corpus.run_corpus(driver, play_corpus.load_corpus(), concurrency=6)
    summary = "\n".join(report.lines(transcripts=True))
    # The whole report, failing cases with their transcripts, for whoever reads the CI run.
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "corpus-report.txt").write_text(summary, encoding="utf-8")
    for criterion, floor in MIN_RATES.items():
        assert report.rate(criterion) >= floor, f"{criterion} abaixo de {floor}%\n{summary}"
