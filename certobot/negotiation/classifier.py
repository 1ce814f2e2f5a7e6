"""What a debtor means, learned from labelled messages: character n-grams and a linear model.

The rules in `nlu.py` stay in charge of what must be exact (amounts, dates, counts, the CPF answer,
whether a reply accepts the very terms shown). This classifier is for recognising the intent across
spellings, slang and typos the rules were not written for; it is trained on
`certobot/negotiation/data/intents.jsonl` (the offline engine's labelled corpus plus new phrasings)
and on every `certobot/negotiation/data/labelled/*.jsonl`: the messages the bot did not understand,
labelled by the team's supervisors in the console ("Não entendidas") and exported with
`certobot review export --out certobot/negotiation/data/labelled/<date>.jsonl`. A corrected label
improves the bot without a new rule.

The model is a multinomial naive Bayes over character 2–5-grams (with word boundaries) and words,
with digits folded to 0 ("dia 15" and "dia 20" look alike). It is built deterministically from the
data file on first use, in well under a second, with no dependency: scikit-learn would bring numpy
and scipy (about 200 MB installed) for what a few dictionaries do here.

    >>> classify("qro parcelar em 6x")
    ('installments', 0.9...)
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

DATA_PACKAGE = "certobot.negotiation.data"
TRAIN_FILE = "intents.jsonl"
HOLDOUT_FILE = "intents_holdout.jsonl"
LABELLED_DIR = "labelled"  # the team's corrections, exported from the review queue
NGRAMS = (2, 3, 4, 5)
ALPHA = 0.1  # additive smoothing: small, the vocabulary of n-grams is large and sparse
# How sure a prediction must be before a caller lets it override "unknown" (see `classify`): below
# this the classifier's top two guesses are close and the rules' "não entendi" is the safer answer.
CONFIDENT = 0.6


def normalize(text: str) -> str:
    """Lowercase, no accents, digits as 0, letters repeated for emphasis cut to two ("simmm")."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\d", "0", text)
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)
    text = re.sub(r"[^\w\s?!$%]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def features(text: str) -> Counter[str]:
    norm = normalize(text)
    out: Counter[str] = Counter()
    words = norm.split()
    for w in words:
        out["w:" + w] += 1
    for a, b in itertools.pairwise(words):
        out[f"b:{a} {b}"] += 1
    padded = f" {norm} "
    for n in NGRAMS:
        for i in range(len(padded) - n + 1):
            out[padded[i : i + n]] += 1
    if not out:
        out["<vazio>"] = 1
    return out


@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    log_unseen: dict[str, float]  # a feature this intent never had in training

    def scores(self, text: str) -> dict[str, float]:
        feats = features(text)
        known = {f: c for f, c in feats.items() if any(f in self.log_likelihood[k] for k in self.labels)}
        # Length-normalised so a 4,000-character story is not 100 times more certain than "oi".
        total = sum(known.values()) or 1
        out: dict[str, float] = {}
        for label in self.labels:
            table, unseen = self.log_likelihood[label], self.log_unseen[label]
            ll = sum(c * table.get(f, unseen) for f, c in known.items())
            out[label] = self.log_prior[label] / total + ll / total
        return out

    def classify(self, text: str) -> tuple[str, float]:
        scores = self.scores(text)
        # A softmax over per-feature log-likelihoods, sharpened: the scale makes a clear win read ~0.9
        # and a near tie ~0.5, which is what the `CONFIDENT` threshold is about.
        top = max(scores.values())
        weights = {k: math.exp(12.0 * (v - top)) for k, v in scores.items()}
        norm = sum(weights.values())
        label = max(self.labels, key=lambda k: (scores[k], k))
        return label, weights[label] / norm


def train(rows: Iterable[tuple[str, str]]) -> Model:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    vocabulary: set[str] = set()
    for text, label in rows:
        feats = features(text)
        counts[label].update(feats)
        docs[label] += 1
        vocabulary.update(feats)
    labels = tuple(sorted(docs))
    n_docs = sum(docs.values())
    size = len(vocabulary)
    log_likelihood: dict[str, dict[str, float]] = {}
    log_unseen: dict[str, float] = {}
    for label in labels:
        denom = sum(counts[label].values()) + ALPHA * size
        log_likelihood[label] = {f: math.log((c + ALPHA) / denom) for f, c in counts[label].items()}
        log_unseen[label] = math.log(ALPHA / denom)
    # A flat-ish prior: the training set's balance says how many examples were written, not how
    # often debtors say each thing.
    log_prior = {k: math.log((docs[k] + 10) / (n_docs + 10 * len(labels))) for k in labels}
    return Model(labels, log_prior, log_likelihood, log_unseen)


def load_rows(name: str = TRAIN_FILE) -> list[tuple[str, str]]:
    return parse_rows(files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8"))


def load_labelled(folder: Traversable | None = None) -> list[tuple[str, str]]:
    """Every exported file of the review queue, in name order (dated names: oldest first)."""
    folder = folder or files(DATA_PACKAGE).joinpath(LABELLED_DIR)
    if not folder.is_dir():
        return []
    rows: list[tuple[str, str]] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".jsonl"):
            rows += parse_rows(path.read_text(encoding="utf-8"))
    return rows


def parse_rows(raw: str) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return [(str(r["text"]), str(r["intent"])) for r in rows]


@lru_cache(maxsize=1)
def model() -> Model:
    return train(load_rows() + load_labelled())


def classify(text: str) -> tuple[str, float]:
    """The most likely intent (one of `nlu.Intent`'s values) and how sure the model is, 0–1.

    Callers should trust it only at `confidence >= CONFIDENT`, and only where the rules said
    "unknown": the rules know the exact terms (amounts, dates, counts), this model does not.
    """
    if not text.strip():
        return "unknown", 1.0
    return model().classify(text)
