"""Quality classifier logic without a model: normalisation, selection rules, metrics, sampling."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from filters.quality.classifier import (
    QualityScorer,
    QualitySelector,
    normalize_for_quality,
    pareto_draw,
    pareto_keep,
    pareto_keep_probability,
    score_band,
    top_fraction_cutoff,
)
from filters.quality.data import balanced_sample, holdout_split
from filters.quality.metrics import roc_auc, threshold_metrics
from pipelines.quality import pick_cutoff


def test_normalization_lowercases_digits_punctuation_whitespace():
    text = "BUY Now!!!\n\tOnly $19.99 — call 555-1234\u00a0today"
    assert normalize_for_quality(text) == "buy now ! ! ! only $ 00 . 00 — call 000 - 0000 today"
    assert "\n" not in normalize_for_quality("a\nb\r\nc")
    assert normalize_for_quality("ﬁne Ｗｏｒｄ") == "fine word"  # NFKC


def test_score_band_edges():
    assert score_band(0.0) == "0.00-0.10"
    assert score_band(0.35) == "0.30-0.40"
    assert score_band(1.0) == "0.90-1.00"


def _band_expectation(lo: float, hi: float, alpha: float) -> float:
    """Mean of (2 - s)^-alpha for s uniform on [lo, hi] (closed form integral)."""
    return ((2 - hi) ** (1 - alpha) - (2 - lo) ** (1 - alpha)) / ((alpha - 1) * (hi - lo))


def test_pareto_keep_matches_closed_form_per_score_band():
    alpha, n = 9.0, 60_000
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 1, n)
    kept = np.array([pareto_keep(s, f"doc-{i:06d}", alpha, seed=7) for i, s in enumerate(scores)])
    for band in range(10):
        lo, hi = band / 10, (band + 1) / 10
        mask = (scores >= lo) & (scores < hi)
        expected = _band_expectation(lo, hi, alpha)
        observed = kept[mask].mean()
        sigma = np.sqrt(expected * (1 - expected) / mask.sum())
        assert abs(observed - expected) < 4 * sigma + 1e-3, (band, observed, expected)
        # The "1 - (2 - s)^-alpha" is the complementary (drop) probability.
        assert abs((1 - observed) - (1 - expected)) < 4 * sigma + 1e-3
    assert kept[scores > 0.9].mean() > 0.5 > kept[scores < 0.5].mean()


def test_pareto_keep_probability_at_fixed_scores():
    n = 20_000
    for score in (0.0, 0.6, 0.95):
        kept = np.mean([pareto_keep(score, f"id{i}", 9.0, seed=3) for i in range(n)])
        expected = float(pareto_keep_probability(score, 9.0))
        assert abs(kept - expected) < 4 * np.sqrt(expected * (1 - expected) / n) + 1e-3
    assert pareto_keep_probability(1.0) == 1.0


def test_pareto_draw_is_lomax_and_reproducible():
    draws = np.array([pareto_draw(f"d{i}", 9.0, seed=0) for i in range(20_000)])
    assert abs(draws.mean() - 1 / 8) < 0.01  # Lomax(alpha) mean = 1 / (alpha - 1)
    assert pareto_draw("x", 9.0, 0) == pareto_draw("x", 9.0, 0)
    keeps_a = [pareto_keep(0.8, f"d{i}", seed=0) for i in range(2000)]
    keeps_b = [pareto_keep(0.8, f"d{i}", seed=0) for i in range(2000)]
    keeps_c = [pareto_keep(0.8, f"d{i}", seed=1) for i in range(2000)]
    assert keeps_a == keeps_b
    assert keeps_a != keeps_c


def test_selector_modes():
    docs = [{"id": f"d{i}", "text": "t", "quality_score": s} for i, s in enumerate(np.linspace(0, 1, 101))]
    kept, counts = QualitySelector("threshold", threshold=0.7).run(docs)
    assert {d["id"] for d in kept} == {d["id"] for d in docs if d["quality_score"] >= 0.7}
    assert counts["in"] == counts["out"] + counts["dropped:threshold"]
    assert counts["kept:threshold"] == counts["out"]
    cutoff = top_fraction_cutoff([d["quality_score"] for d in docs], 0.2)
    kept, _ = QualitySelector("top_fraction", cutoff=cutoff).run(docs)
    assert len(kept) == 21 and min(d["quality_score"] for d in kept) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="cutoff"):
        QualitySelector("top_fraction").run(docs)
    with pytest.raises(ValueError, match="unknown selection mode"):
        QualitySelector("random")
    with pytest.raises(ValueError, match="score it first"):
        QualitySelector("pareto").run([{"id": "a", "text": "x"}])


def test_pick_cutoff_from_quantiles():
    quantiles = list(np.linspace(0, 1, 11))
    assert pick_cutoff(quantiles, 0.3) == pytest.approx(0.7)
    assert pick_cutoff(quantiles, 1.0) == 0.0
    assert pick_cutoff([], 0.5) == 1.0


def test_roc_auc_matches_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    pos = rng.integers(0, 10, 200) / 10
    neg = rng.integers(0, 8, 150) / 10
    pairwise = np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
    assert roc_auc(pos, neg) == pytest.approx(pairwise)
    assert roc_auc([1, 1], [0, 0]) == 1.0 and roc_auc([0.5], [0.5]) == 0.5
    m = threshold_metrics([0.9, 0.8, 0.3], [0.6, 0.1], 0.5)
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 1)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)


def test_balanced_sample_and_holdout_are_seeded_and_capped():
    pos, neg = [f"p{i}" for i in range(100)], [f"n{i}" for i in range(40)]
    a = balanced_sample(pos, neg, 1000, seed=1)
    assert len(a[0]) == len(a[1]) == 40 and a == balanced_sample(pos, neg, 1000, seed=1)
    assert len(balanced_sample(pos, neg, 30, seed=1)[0]) == 30
    unbalanced = balanced_sample(pos, neg, 60, seed=1, balance=False)
    assert (len(unbalanced[0]), len(unbalanced[1])) == (60, 40)
    train, held = holdout_split(pos, 0.1, seed=2)
    assert len(held) == 10 and not set(train) & set(held) and (train, held) == holdout_split(pos, 0.1, seed=2)


def test_scorer_pickles_without_its_model(tmp_path):
    step = QualityScorer(str(tmp_path / "missing.bin"))
    clone = pickle.loads(pickle.dumps(step))
    assert clone.model_path == step.model_path and clone._model is None
