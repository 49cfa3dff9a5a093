"""Binary classification metrics in numpy (scikit-learn is not a runtime dependency)."""
from __future__ import annotations

import numpy as np


def roc_auc(positive_scores, negative_scores) -> float:
    """ROC AUC = P(score of a random positive > that of a random negative), ties count half
    (the Mann-Whitney U statistic over the pooled ranks)."""
    pos = np.asarray(positive_scores, dtype=float)
    neg = np.asarray(negative_scores, dtype=float)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("ROC AUC needs scores of both classes")
    pooled = np.concatenate([pos, neg])
    order = np.argsort(pooled, kind="mergesort")
    ranks = np.empty(pooled.size)
    sorted_vals = pooled[order]
    # Average ranks over ties.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_vals)) + 1]
    ends = np.r_[starts[1:], pooled.size]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def threshold_metrics(positive_scores, negative_scores, threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall, F1 and accuracy of "high quality" = ``score >= threshold``."""
    pos = np.asarray(positive_scores, dtype=float)
    neg = np.asarray(negative_scores, dtype=float)
    tp = int((pos >= threshold).sum())
    fn = int(pos.size - tp)
    fp = int((neg >= threshold).sum())
    tn = int(neg.size - fp)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = pos.size + neg.size
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1,
            "accuracy": (tp + tn) / total if total else 0.0, "tp": tp, "fp": fp, "tn": tn, "fn": fn}


def summary(positive_scores, negative_scores, threshold: float = 0.5) -> dict[str, float]:
    """AUC plus the threshold metrics and class sizes, rounded for a report."""
    out = {"roc_auc": roc_auc(positive_scores, negative_scores),
           **threshold_metrics(positive_scores, negative_scores, threshold),
           "positives": int(np.size(positive_scores)), "negatives": int(np.size(negative_scores))}
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in out.items()}
