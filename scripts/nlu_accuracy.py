"""Accuracy of the offline engine's understanding on the labelled corpus (tests/data/corpus.jsonl).

uv run python scripts/nlu_accuracy.py [--errors]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from certobot.negotiation.nlu import understand

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CORPUS = DATA / "corpus.jsonl"
# Written after the rules were tuned on CORPUS and never tuned on: the honest figure.
HOLDOUT = DATA / "corpus_holdout.jsonl"
TODAY = date(2026, 11, 22)


def evaluate(path: Path = CORPUS) -> tuple[float, dict[str, tuple[int, int]], list[tuple[str, str, str]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    errors: list[tuple[str, str, str]] = []
    for row in rows:
        got = understand(row["text"], TODAY).intent.value
        total[row["intent"]] += 1
        if got == row["intent"]:
            right[row["intent"]] += 1
        else:
            errors.append((row["text"], row["intent"], got))
    accuracy = sum(right.values()) / max(1, sum(total.values()))
    return accuracy, {k: (right[k], total[k]) for k in sorted(total)}, errors


def main() -> None:
    for name, path in (("corpus de desenvolvimento", CORPUS), ("corpus separado (nunca usado para ajustar)", HOLDOUT)):
        accuracy, per_intent, errors = evaluate(path)
        print(f"\n== {name}: {path.name}")
        print(f"{'intenção':<20} {'acertos':>8} {'total':>6} {'taxa':>7}")
        for intent, (ok, n) in per_intent.items():
            print(f"{intent:<20} {ok:>8} {n:>6} {ok / n:>7.1%}")
        print(f"mensagens: {sum(n for _, n in per_intent.values())}  acurácia geral: {accuracy:.1%}")
        if "--errors" in sys.argv:
            for text, want, got in errors:
                print(f"  {text!r}: esperado {want}, veio {got}")


if __name__ == "__main__":
    main()
