"""GPT-3-style quality classifier: text normalisation, the model, scoring and selection (no Beam).

GPT-3 (Brown et al. 2020, appendix A) trained a classifier to tell reference text
(WebText, Wikipedia, books) from raw Common Crawl and kept a crawled document when
``np.random.pareto(alpha) > 1 - score`` with ``alpha = 9``. ``np.random.pareto``
draws from a Lomax distribution, ``P(X > x) = (1 + x) ** -alpha``, so a document of
score ``s`` survives with probability ``(2 - s) ** -alpha``: 1 at ``s = 1``, about
0.002 at ``s = 0`` (and ``1 - (2 - s) ** -alpha`` is the probability of dropping it).

The model is a fastText supervised classifier with two labels (see
``filters.quality.train``); :func:`normalize_for_quality` is applied to every text
both when training and when scoring, so the two always see the same tokens.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from typing import Any, Iterable

import numpy as np

from curation.io.paths import exists, local_file, open_read, read_bytes, size
from filters.base import DocumentStep, StepResult
from filters.quality.model_file import HEADER, expected_bytes, header_problem

LABEL_HIGH = "__label__hq"  # reference text (positive class)
LABEL_LOW = "__label__lq"  # raw web text (negative class)
MODES = ("pareto", "threshold", "top_fraction")
GPT3_ALPHA = 9.0

_DIGITS = re.compile(r"\d")
_TOKENS = re.compile(r"\w+|[^\w\s]")


class QualityModelError(ValueError):
    """A missing, unreadable or wrong quality model file."""


def normalize_for_quality(text: str) -> str:
    """The one text normalisation used for training and scoring.

    NFKC (full-width forms, ligatures), lower case, every digit -> ``0`` (so prices,
    phone numbers and years share features), punctuation split off words (``deals!!!``
    -> ``deals ! ! !``) and all whitespace, newlines included, collapsed to one space
    (fastText reads one example per line).
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGITS.sub("0", text)
    return " ".join(_TOKENS.findall(text))


def score_band(score: float, width: float = 0.1) -> str:
    """The histogram band of a score, e.g. ``0.30-0.40`` (1.0 falls in the last band)."""
    bands = round(1 / width)
    index = min(int(score / width), bands - 1) if score > 0 else 0
    return f"{index * width:.2f}-{(index + 1) * width:.2f}"


def card_path(model_path: str) -> str:
    """The JSON model card written next to a model: ``model.bin`` -> ``model.card.json``."""
    root, ext = os.path.splitext(model_path)
    return (root if ext else model_path) + ".card.json"


def check_against_card(path: str) -> None:
    """Compare a model file with its card's size and SHA-256, when there is a card.

    fastText loads a truncated model without complaint (it reads past the end), so
    the card is the only way to notice a partial copy or a file replaced since training.
    """
    card_file = card_path(path)
    if not exists(card_file):
        return
    import json

    card = json.loads(read_bytes(card_file))
    actual, expected = size(path), card.get("model_bytes")
    if expected is not None and actual != expected:
        raise QualityModelError(f"quality model {path!r} has {actual} bytes but its card {card_file!r} says "
                                f"{expected}: truncated or replaced")
    if card.get("model_sha256"):
        digest = hashlib.sha256()
        with open_read(path) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != card["model_sha256"]:
            raise QualityModelError(f"quality model {path!r} does not match the SHA-256 in {card_file!r}: "
                                    f"corrupt or replaced")


class QualityModel:
    """A loaded fastText quality model; :meth:`predict` gives P(high quality) per text."""

    def __init__(self, path: str, verify: bool = True):
        if not exists(path):
            raise QualityModelError(f"quality model {path!r} does not exist (train one with `curation quality train`)")
        nbytes = size(path)
        if nbytes == 0:
            raise QualityModelError(f"quality model {path!r} is empty")
        if verify:
            check_against_card(path)
        with open_read(path) as fh:
            problem = header_problem(fh.read(HEADER.size), nbytes)
        if problem:  # fastText would read past the end (scores of 0.5), or crash in its header
            raise QualityModelError(f"quality model {path!r} is {problem}: written to a full disk, cut short or "
                                    "not a model")
        import fasttext

        try:
            with local_file(path) as local:  # fastText loads local files only (a worker's copy of a remote one)
                self.model = fasttext.load_model(local)
        except (ValueError, RuntimeError, MemoryError) as exc:
            raise QualityModelError(f"quality model {path!r} is not a fastText model (corrupt?): {exc}") from None
        expected = expected_bytes(self.model)
        if expected is not None and nbytes != expected:
            raise QualityModelError(f"quality model {path!r} has {nbytes} bytes, a fastText model of its dimensions "
                                    f"has {expected}: truncated (a full disk?) or damaged")
        labels = set(self.model.get_labels())
        if labels != {LABEL_HIGH, LABEL_LOW}:
            raise QualityModelError(
                f"quality model {path!r} has labels {sorted(labels)}, expected {LABEL_HIGH} and {LABEL_LOW}")
        self.path = path

    def predict(self, texts: Iterable[str]) -> np.ndarray:
        """P(high quality) of each raw text (normalised here), as float64."""
        lines = [normalize_for_quality(t) for t in texts]
        if not lines:
            return np.zeros(0)
        labels, probs = self.model.predict(lines, k=2)
        out = np.empty(len(lines))
        for i, (names, values) in enumerate(zip(labels, probs)):
            p = dict(zip(names, values))
            out[i] = p.get(LABEL_HIGH, 1.0 - p.get(LABEL_LOW, 0.0))
        # fastText adds 1e-5 inside its softmax output; keep scores inside [0, 1].
        return np.clip(out, 0.0, 1.0)

    def score(self, text: str) -> float:
        return float(self.predict([text])[0])


class QualityScorer(DocumentStep):
    """Writes ``quality_score`` = P(high quality) into every document; drops nothing.

    The model is loaded in :meth:`setup` (once per worker). Counts ``scored`` and one
    ``band:<lo>-<hi>`` counter per 0.1 band of the score, the distribution in the stats.
    """

    name = "quality_score"

    def __init__(self, model_path: str, field: str = "quality_score"):
        self.model_path = model_path
        self.field = field
        self._model: QualityModel | None = None

    def setup(self) -> None:
        if self._model is None:
            self._model = QualityModel(self.model_path)

    def __getstate__(self):  # ship the path, not the loaded model, to workers
        return {**self.__dict__, "_model": None}

    def process(self, doc: dict[str, Any]) -> StepResult:
        if self._model is None:
            self.setup()
        score = self._model.score(doc["text"])
        return StepResult.keep({**doc, self.field: score}, {"scored": 1, f"band:{score_band(score)}": 1})


def _id_seed(doc_id: str, seed: int) -> int:
    digest = hashlib.blake2b(f"{seed}\x00{doc_id}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def pareto_draw(doc_id: str, alpha: float = GPT3_ALPHA, seed: int = 0) -> float:
    """``np.random.pareto(alpha)`` from a generator seeded by (``seed``, ``doc_id``): same id, same draw."""
    return float(np.random.Generator(np.random.PCG64(_id_seed(doc_id, seed))).pareto(alpha))


def pareto_keep(score: float, doc_id: str, alpha: float = GPT3_ALPHA, seed: int = 0) -> bool:
    """GPT-3's rule: keep when ``pareto(alpha) > 1 - score``; P(keep | s) = ``(2 - s) ** -alpha``."""
    return pareto_draw(doc_id, alpha, seed) > 1.0 - score


def pareto_keep_probability(score: float | np.ndarray, alpha: float = GPT3_ALPHA):
    """The closed form of :func:`pareto_keep`'s keep probability."""
    return (2.0 - np.asarray(score, dtype=float)) ** -alpha


def threshold_keep(score: float, threshold: float = 0.5) -> bool:
    return score >= threshold


def top_fraction_cutoff(scores: Iterable[float], fraction: float) -> float:
    """The exact score cutoff keeping the best ``fraction`` (the Beam pipeline approximates it)."""
    values = np.sort(np.asarray(list(scores), dtype=float))
    if values.size == 0:
        return 1.0
    return float(values[min(values.size - 1, int(np.floor((1.0 - fraction) * values.size)))])


class QualitySelector(DocumentStep):
    """Keeps or drops a scored document by ``mode``: ``pareto`` | ``threshold`` | ``top_fraction``.

    ``top_fraction`` keeps ``score >= cutoff`` where ``cutoff`` is the (1 - fraction)
    quantile of all scores, computed beforehand (:func:`top_fraction_cutoff`, or an
    approximate quantile in Beam passed to :meth:`select`). Counts ``kept:<mode>``,
    ``dropped:<mode>`` and ``kept_band:<band>`` (the survivors' score distribution).
    """

    name = "quality_select"

    def __init__(self, mode: str = "pareto", alpha: float = GPT3_ALPHA, threshold: float = 0.5,
                 seed: int = 0, cutoff: float | None = None, field: str = "quality_score"):
        if mode not in MODES:
            raise ValueError(f"unknown selection mode {mode!r}; choose one of {', '.join(MODES)}")
        self.mode, self.alpha, self.threshold, self.seed = mode, alpha, threshold, seed
        self.cutoff, self.field = cutoff, field

    def keep(self, score: float, doc_id: str, cutoff: float | None = None) -> bool:
        if self.mode == "pareto":
            return pareto_keep(score, doc_id, self.alpha, self.seed)
        if self.mode == "threshold":
            return threshold_keep(score, self.threshold)
        cutoff = self.cutoff if cutoff is None else cutoff
        if cutoff is None:
            raise ValueError("top_fraction selection needs the score cutoff (see top_fraction_cutoff)")
        return score >= cutoff

    def select(self, doc: dict[str, Any], cutoff: float | None = None) -> StepResult:
        score = doc.get(self.field)
        if score is None:
            raise ValueError(f"document {doc.get('id')!r} has no {self.field!r}: score it first (QualityScorer)")
        if self.keep(float(score), str(doc["id"]), cutoff):
            return StepResult.keep(doc, {f"kept:{self.mode}": 1, f"kept_band:{score_band(float(score))}": 1})
        return StepResult.drop(self.mode)

    def process(self, doc: dict[str, Any]) -> StepResult:
        return self.select(doc)
