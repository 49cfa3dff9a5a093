"""Configuration of the quality classifier: training (``TrainConfig``) and selection (``QualityConfig``)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation.config import StageConfig


class TrainConfig(StageConfig):
    """How ``curation quality train`` samples the data and trains fastText.

    fastText parameters default to a small, fast bigram model: ``word_ngrams=2``
    (bigrams tell prose from shuffled "spun" text), ``dim=64``, ``epoch=20``,
    ``lr=0.5`` (fastText tutorial range), ``min_count=1`` (small corpora: keep rare words), ``bucket=200_000``
    hashed n-gram rows (fastText's own 2M makes an 800 MB model), softmax loss over
    the two labels, ``thread=1`` so that the same data and seed give the same model.
    """

    max_per_class: int = Field(100_000, gt=0)  # cap per class, after balancing
    min_per_class: int = Field(20, gt=1)  # fewer examples in a class is an error
    balance: bool = True  # down-sample the larger class to the size of the smaller
    holdout: float = Field(0.1, gt=0.0, lt=0.5)  # share of each class held out for the model card's metrics
    threshold: float = Field(0.5, ge=0.0, le=1.0)  # for precision/recall/F1 in the card
    seed: int = 0
    word_ngrams: int = Field(2, ge=1, le=5)
    dim: int = Field(64, gt=0)
    epoch: int = Field(20, gt=0)
    lr: float = Field(0.5, gt=0.0)
    min_count: int = Field(1, ge=1)
    bucket: int = Field(200_000, ge=0)
    max_chars: int = Field(100_000, gt=0)  # longer texts are cut (their head is enough to judge)
    thread: int = Field(1, ge=1)  # >1 is faster but no longer deterministic


class QualityConfig(StageConfig):
    """Scoring and selection in a pipeline (``pipelines.quality.ScoreAndSelect``).

    ``pareto``: GPT-3's rule, keep when ``np.random.pareto(alpha) > 1 - score`` with the
    draw seeded from (``seed``, document id); ``threshold``: keep ``score >= threshold``;
    ``top_fraction``: keep the best ``fraction`` by an approximate quantile of all scores.
    """

    model: str  # fastText model file made by `curation quality train`
    mode: Literal["pareto", "threshold", "top_fraction"] = "pareto"
    alpha: float = Field(9.0, gt=0.0)  # GPT-3's value
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    fraction: float = Field(0.5, gt=0.0, le=1.0)
    seed: int = 0
    quantile_resolution: int = Field(1000, ge=10)  # top_fraction: the cutoff is one of this many quantiles
