"""A commune's own field classifier: trained with scikit-learn, scored in plain Python.

Staff classify petitions every day; those (text, field) pairs retrain a logistic regression
over character n-grams of the normalised text. Character n-grams survive the typos,
missing accents and run-together words of chat messages better than whole words do.

Training imports scikit-learn (and numpy, scipy) inside `train_field_model` only: the bot
process never pays their ~60 MB to understand a message. The learned weights are exported
to a `FieldModel` of plain dicts and arrays, serialisable to JSON bytes for the database.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.understanding.normalise import normalise

FORMAT_VERSION = 1
NGRAM_RANGE = (2, 4)
# Enough n-grams for a province's worth of petitions, small enough to keep a model's JSON
# around a megabyte and its memory in a bot process around a few megabytes.
MAX_FEATURES = 20_000
# Weights are stored with this many significant digits: more changes no prediction.
_DIGITS = 6


def char_ngrams(normalised: str, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """Character n-grams inside each word, the word padded with a space on both sides.

    "den hu" → " d", "de", "en", "n ", " de", … : n-grams never span two words, so word
    order does not matter and a word's start and end are marked.
    """
    low, high = ngram_range
    grams: list[str] = []
    for word in normalised.split():
        padded = f" {word} "
        for size in range(low, high + 1):
            if size > len(padded):
                break
            grams.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


@dataclass(frozen=True, slots=True)
class FieldModel:
    """Linear scores per field over TF-IDF character n-grams, softmax into probabilities."""

    classes: tuple[str, ...]
    examples: int
    vocabulary: dict[str, int]
    idf: array[float]
    # One row per feature, one column per class, row after row.
    weights: array[float]
    intercepts: tuple[float, ...]
    ngram_range: tuple[int, int] = NGRAM_RANGE

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Fields with their probability, most likely first; empty if never trained."""
        if not self.classes:
            return []
        if len(self.classes) == 1:
            return [(self.classes[0], 1.0)]
        counts = Counter(
            index
            for gram in char_ngrams(normalise(text), self.ngram_range)
            if (index := self.vocabulary.get(gram)) is not None
        )
        width = len(self.classes)
        scores = list(self.intercepts)
        if counts:
            # Sublinear TF times IDF, then L2 length: the same weighting the model learnt on.
            values = {i: (1.0 + math.log(n)) * self.idf[i] for i, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in values.values()))
            for index, value in values.items():
                row = index * width
                scaled = value / norm
                for k in range(width):
                    scores[k] += scaled * self.weights[row + k]
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        ranked = sorted(zip(self.classes, (e / total for e in exps), strict=True),
                        key=lambda item: -item[1])
        return ranked

    def to_json(self) -> bytes:
        """The model as UTF-8 JSON, for a database column; `from_json` reads it back."""
        width = len(self.classes)
        features = {
            gram: [_round(self.idf[i]), *(_round(w) for w in
                                          self.weights[i * width : (i + 1) * width])]
            for gram, i in self.vocabulary.items()
        }
        document = {
            "version": FORMAT_VERSION,
            "classes": list(self.classes),
            "examples": self.examples,
            "ngram_range": list(self.ngram_range),
            "intercepts": [_round(b) for b in self.intercepts],
            "features": features,
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> FieldModel:
        document = json.loads(data.decode())
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown field model format {document.get('version')!r}")
        classes = tuple(str(c) for c in document["classes"])
        vocabulary: dict[str, int] = {}
        idf = array("d")
        weights = array("d")
        for index, (gram, row) in enumerate(document["features"].items()):
            if len(row) != len(classes) + 1:
                raise ValueError(f"feature {gram!r} has {len(row)} values")
            vocabulary[gram] = index
            idf.append(float(row[0]))
            weights.extend(float(w) for w in row[1:])
        low, high = document["ngram_range"]
        return cls(classes, int(document["examples"]), vocabulary, idf, weights,
                   tuple(float(b) for b in document["intercepts"]), (int(low), int(high)))


def empty_model() -> FieldModel:
    """A model that knows nothing: suggestions then come from the lexicon alone."""
    return FieldModel((), 0, {}, array("d"), array("d"), ())


def train_field_model(examples: Iterable[tuple[str, str]], *, strength: float = 10.0
                      ) -> FieldModel:
    """Learn fields from staff classifications: `(petition text, field code)` pairs.

    `strength` is the inverse regularisation of the logistic regression (scikit-learn's C):
    higher trusts the examples more. Fewer than two fields give a model that always says the
    one field (or nothing).
    """
    texts: list[str] = []
    labels: list[str] = []
    for text, code in examples:
        normalised = normalise(text)
        if normalised:
            texts.append(normalised)
            labels.append(code)
    classes = sorted(set(labels))
    if len(classes) < 2:
        return FieldModel(tuple(classes), len(texts), {}, array("d"), array("d"),
                          (0.0,) * len(classes))
    # Imported here and only here: the bot process must not load scikit-learn, numpy, scipy.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer=char_ngrams,
        sublinear_tf=True,
        # An n-gram seen once says nothing general; with few examples keep them all.
        min_df=2 if len(texts) >= 200 else 1,
        max_features=MAX_FEATURES,
    )
    matrix = vectorizer.fit_transform(texts)
    # saga: lbfgs took seconds on a hundred examples on a busy two-core machine. Seeded, so
    # the same classifications always give the same model.
    classifier = LogisticRegression(C=strength, solver="saga", max_iter=2000, random_state=0)
    classifier.fit(matrix, labels)
    learnt = [str(c) for c in classifier.classes_]
    coef = classifier.coef_
    intercept = classifier.intercept_
    intercepts: tuple[float, ...]
    if len(learnt) == 2:
        # Binary logistic regression keeps one vector for the second class; softmax over
        # (0, z) is the same sigmoid.
        coef_rows = [[0.0, float(w)] for w in coef[0]]
        intercepts = (0.0, float(intercept[0]))
    else:
        coef_rows = coef.T.tolist()
        intercepts = tuple(float(b) for b in intercept)
    vocabulary = {str(gram): int(i) for gram, i in vectorizer.vocabulary_.items()}
    weights = array("d")
    for row in coef_rows:
        weights.extend(row)
    return FieldModel(tuple(learnt), len(texts), vocabulary,
                      array("d", (float(v) for v in vectorizer.idf_)), weights, intercepts)


def _round(value: float) -> float:
    return float(f"{value:.{_DIGITS}g}")
