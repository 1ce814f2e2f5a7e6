"""The intent classifier: trained from the shipped data, measured on messages it never saw."""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files

import pytest

from certobot.negotiation import classifier
from certobot.negotiation.nlu import Intent, understand


def rows(name: str) -> list[tuple[str, str]]:
    return classifier.load_rows(name)


def test_held_out_is_apart_from_training() -> None:
    train = {text.strip().lower() for text, _ in rows(classifier.TRAIN_FILE) + classifier.load_labelled()}
    held = rows(classifier.HOLDOUT_FILE)
    assert len(held) >= 150
    assert not [text for text, _ in held if text.strip().lower() in train]


def test_every_label_is_an_intent_of_the_engine() -> None:
    known = {i.value for i in Intent}
    assert set(classifier.model().labels) <= known
    assert {label for _, label in rows(classifier.HOLDOUT_FILE)} <= known


def test_accuracy_on_messages_never_trained_on() -> None:
    held = rows(classifier.HOLDOUT_FILE)
    right = sum(1 for text, label in held if classifier.classify(text)[0] == label)
    assert right / len(held) >= 0.88
    sure = [(text, label) for text, label in held if classifier.classify(text)[1] >= classifier.CONFIDENT]
    assert len(sure) >= 0.9 * len(held)
    assert sum(1 for text, label in sure if classifier.classify(text)[0] == label) / len(sure) >= 0.92


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("qro parsela em 6 vzs", "installments"),
        ("meu avô faleceu semana passada", "deceased"),
        ("sou a nora dela, posso ver por ela?", "third_party"),
        ("vcs nao tem vergonha nao seus ladrao", "anger"),
        ("nunca peguei emprestimo nenhum com vcs", "dispute"),
        ("manda de novo o boleto q eu perdi", "second_copy"),
        ("ME TIRA DESSA LISTA", "opt_out"),
    ],
)
def test_spellings_it_was_not_given(text: str, intent: str) -> None:
    label, confidence = classifier.classify(text)
    assert label == intent
    assert 0.0 <= confidence <= 1.0


def test_deterministic_and_quick_to_build() -> None:
    import time

    start = time.perf_counter()
    again = classifier.train(rows(classifier.TRAIN_FILE) + classifier.load_labelled())
    assert time.perf_counter() - start < 5.0
    for text, _ in rows(classifier.HOLDOUT_FILE)[:40]:
        assert again.classify(text) == classifier.classify(text)


def test_the_teams_labelled_messages_are_learned() -> None:
    """The review queue's exports (data/labelled/*.jsonl) train the model the bot ships with."""
    labelled = classifier.load_labelled()
    assert labelled, "certobot/negotiation/data/labelled/ ships the team's corrections"
    known = {i.value for i in Intent} - {"unknown", "media"}
    assert {label for _, label in labelled} <= known
    assert [text for text, label in labelled if classifier.classify(text)[0] != label] == []
    # What the rules alone could not place, the bot now understands: the first export's "to liso".
    assert understand("to liso", date.today(), learned=False).intent is Intent.unknown
    assert understand("to bem liso", date.today()).intent is Intent.hardship


def test_empty_and_huge_messages() -> None:
    assert classifier.classify("   ") == ("unknown", 1.0)
    label, confidence = classifier.classify("tenho 2 filhos e to desempregado " * 200)
    assert label == "hardship"
    assert confidence <= 1.0


def test_data_ships_with_the_package() -> None:
    raw = files(classifier.DATA_PACKAGE).joinpath(classifier.TRAIN_FILE).read_text(encoding="utf-8")
    first = json.loads(raw.splitlines()[0])
    assert set(first) >= {"text", "intent"}
