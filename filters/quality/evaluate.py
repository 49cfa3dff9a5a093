"""Evaluate a quality model on labelled files: metrics, per-class score histogram, report files.

``report_dir`` gets ``report.json`` (metrics, sizes, histogram counts),
``histogram.png`` (score distribution of each class, matplotlib) and ``report.html``
(both on one page).
"""
from __future__ import annotations

import html
import json
import os

import numpy as np

from filters.quality.classifier import QualityModel
from filters.quality.data import check_class, read_class
from filters.quality.metrics import summary

BINS = 20


def evaluate(model_path: str, positive_files: list[str], negative_files: list[str], threshold: float = 0.5,
             max_chars: int = 100_000) -> dict:
    """Score every document of both classes; returns metrics plus the raw scores (``scores``)."""
    model = QualityModel(model_path)
    classes = [read_class("positive", positive_files, max_chars), read_class("negative", negative_files, max_chars)]
    for data in classes:
        check_class(data, 1)
    pos, neg = model.predict(classes[0].texts), model.predict(classes[1].texts)
    edges = np.linspace(0.0, 1.0, BINS + 1)
    return {
        "model": model_path,
        "files": {c.name: c.files for c in classes},
        "metrics": summary(pos, neg, threshold),
        "histogram": {"edges": [round(e, 4) for e in edges.tolist()],
                      "positive": np.histogram(pos, edges)[0].tolist(),
                      "negative": np.histogram(neg, edges)[0].tolist()},
        "scores": {"positive": pos, "negative": neg},
    }


def plot_histogram(path: str, positive: np.ndarray, negative: np.ndarray, threshold: float) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    edges = np.linspace(0.0, 1.0, BINS + 1)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.hist(negative, bins=edges, alpha=0.6, label=f"negative (n={len(negative)})", color="tab:red")
    ax.hist(positive, bins=edges, alpha=0.6, label=f"positive (n={len(positive)})", color="tab:blue")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    ax.set_xlabel("quality score = P(high quality)")
    ax.set_ylabel("documents")
    ax.set_title("Quality score per class")
    ax.legend(loc="upper center")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version/date stamp: same scores, same bytes
    plt.close(fig)


def write_report(report_dir: str, result: dict) -> dict[str, str]:
    """``report.json``, ``histogram.png`` and ``report.html`` in ``report_dir``; returns their paths."""
    os.makedirs(report_dir, exist_ok=True)
    paths = {name: os.path.join(report_dir, name) for name in ("report.json", "histogram.png", "report.html")}
    metrics = result["metrics"]
    plot_histogram(paths["histogram.png"], result["scores"]["positive"], result["scores"]["negative"],
                   metrics["threshold"])
    payload = {k: v for k, v in result.items() if k != "scores"}
    with open(paths["report.json"], "w", encoding="utf-8") as fh:
        fh.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in metrics.items())
    files = "".join(f"<li>{html.escape(c)}: {html.escape(', '.join(f))}</li>" for c, f in result["files"].items())
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>Quality model report</title></head><body>"
            f"<h1>Quality model report</h1><p>model: <code>{html.escape(result['model'])}</code></p>"
            f"<ul>{files}</ul><table border='1' cellpadding='4'>{rows}</table>"
            f"<p><img src='histogram.png' alt='score histogram per class'></p></body></html>\n")
    with open(paths["report.html"], "w", encoding="utf-8") as fh:
        fh.write(page)
    return paths
