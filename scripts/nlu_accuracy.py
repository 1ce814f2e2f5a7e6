"""Accuracy of the offline engine's understanding on the labelled corpora, rules beside the classifier.

uv run python scripts/nlu_accuracy.py [--errors]

Three sets: the rules' development corpus (tests/data/corpus.jsonl, the rules were tuned on it and
the classifier trains on it), the rules' held-out corpus (never tuned on), and the classifier's
held-out set (certobot/negotiation/data/intents_holdout.jsonl: the held-out corpus plus phrasings
written apart from both the rules and the classifier's training data). "regras+clf" is what the bot
runs (`nlu.understand`): the classifier decides only where the rules say "unknown" and it is
confident, and never names an amount or a date the rules did not read.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

from certobot.negotiation import classifier
from certobot.negotiation.nlu import understand

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CORPUS = DATA / "corpus.jsonl"
# Written after the rules were tuned on CORPUS and never tuned on: the honest figure.
HOLDOUT = DATA / "corpus_holdout.jsonl"
CLASSIFIER_HOLDOUT = ROOT / "certobot" / "negotiation" / "data" / classifier.HOLDOUT_FILE
TODAY = date(2026, 11, 22)

Predictor = Callable[[str], str]


def rules(text: str) -> str:
    return understand(text, TODAY, learned=False).intent.value


def learned(text: str) -> str:
    return classifier.classify(text)[0]


def combined(text: str) -> str:
    """What the bot uses: rules first, the classifier only where they said unknown and it is sure."""
    return understand(text, TODAY).intent.value


def evaluate(
    path: Path = CORPUS, predict: Predictor = rules
) -> tuple[float, dict[str, tuple[int, int]], list[tuple[str, str, str]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    errors: list[tuple[str, str, str]] = []
    for row in rows:
        got = predict(row["text"])
        total[row["intent"]] += 1
        if got == row["intent"]:
            right[row["intent"]] += 1
        else:
            errors.append((row["text"], row["intent"], got))
    accuracy = sum(right.values()) / max(1, sum(total.values()))
    return accuracy, {k: (right[k], total[k]) for k in sorted(total)}, errors


def main() -> None:
    engines: list[tuple[str, Predictor]] = [("regras", rules), ("classif.", learned), ("regras+clf", combined)]
    sets = (
        ("corpus de desenvolvimento (regras ajustadas nele; o classificador treina nele)", CORPUS),
        ("corpus separado das regras (nunca usado para ajustar)", HOLDOUT),
        ("corpus separado do classificador (nem regras nem treino o viram)", CLASSIFIER_HOLDOUT),
    )
    for name, path in sets:
        results = [(label, *evaluate(path, predict)) for label, predict in engines]
        per_intent = results[0][2]
        print(f"\n== {name}: {path.name}")
        print(f"{'intenção':<20} {'total':>6} " + " ".join(f"{label:>11}" for label, *_ in results))
        for intent, (_, n) in per_intent.items():
            cells = " ".join(f"{r[2][intent][0] / n:>11.1%}" for r in results)
            print(f"{intent:<20} {n:>6} {cells}")
        n_all = sum(n for _, n in per_intent.values())
        print(f"{'geral':<20} {n_all:>6} " + " ".join(f"{r[1]:>11.1%}" for r in results))
        if "--errors" in sys.argv:
            for label, _, _, errors in results:
                for text, want, got in errors:
                    print(f"  [{label}] {text!r}: esperado {want}, veio {got}")


if __name__ == "__main__":
    main()
