"""Evaluate a quality model on labelled files: metrics, per-class score histogram, report files.

``report_dir`` gets ``report.json`` (metrics, sizes, histogram counts),
``histogram.png`` (score distribution of each class, matplotlib) and ``report.html``
(both on one page).
"""
from __future__ import annotations

import html
import json

import numpy as np

from curation.io.paths import join, make_dirs, write_bytes
from curation.report.html import page, table
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
    from matplotlib.figure import Figure

    from curation.report.html import png_bytes

    edges = np.linspace(0.0, 1.0, BINS + 1)
    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.subplots()
    ax.hist(negative, bins=edges, alpha=0.6, label=f"negative (n={len(negative)})", color="tab:red")
    ax.hist(positive, bins=edges, alpha=0.6, label=f"positive (n={len(positive)})", color="tab:blue")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    ax.set_xlabel("quality score = P(high quality)")
    ax.set_ylabel("documents")
    ax.set_title("Quality score per class")
    ax.legend(loc="upper center")
    write_bytes(path, png_bytes(fig))  # no version/date stamp: same scores, same bytes


def write_report(report_dir: str, result: dict) -> dict[str, str]:
    """``report.json``, ``histogram.png`` and ``report.html`` in ``report_dir``; returns their paths."""
    make_dirs(report_dir)
    paths = {name: join(report_dir, name) for name in ("report.json", "histogram.png", "report.html")}
    metrics = result["metrics"]
    plot_histogram(paths["histogram.png"], result["scores"]["positive"], result["scores"]["negative"],
                   metrics["threshold"])
    payload = {k: v for k, v in result.items() if k != "scores"}
    write_bytes(paths["report.json"], (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    files = "".join(f"<li>{html.escape(c)}: {html.escape(', '.join(f))}</li>" for c, f in result["files"].items())
    body = (f"<h1>Quality model report</h1><p>model: <code>{html.escape(result['model'])}</code></p>"
            f"<ul>{files}</ul>{table(['metric', 'value'], [[html.escape(k), v] for k, v in metrics.items()])}"
            f"<p><img src='histogram.png' alt='score histogram per class'></p>")
    write_bytes(paths["report.html"], page("Quality model report", body).encode("utf-8"))
    return paths
