"""``validation.json`` and a self-contained ``report.html`` (plots embedded as base64 PNGs)."""
from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

from curation.io.paths import is_local, join, make_dirs, write_bytes
from curation.report.html import img, page, table

PASS_COLOR, FAIL_COLOR = "#4c78a8", "#e45756"


def _rounded(value: Any) -> Any:
    """Floats rounded to 6 decimals (stable bytes across runs), NaN/inf as null."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def write_report(result: dict[str, Any], report_dir: str | Path) -> tuple[Path | str, Path | str]:
    """``validation.json`` and ``report.html`` in ``report_dir`` (any filesystem); their paths."""
    report_dir = str(report_dir)
    make_dirs(report_dir)
    public = {k: v for k, v in result.items() if not k.startswith("_")}
    json_path = join(report_dir, "validation.json")
    write_bytes(json_path, (json.dumps(_rounded(public), indent=2, sort_keys=True) + "\n").encode())
    html_path = join(report_dir, "report.html")
    write_bytes(html_path, render_html(result).encode())
    return (Path(json_path), Path(html_path)) if is_local(report_dir) else (json_path, html_path)


def _bar_plot(shards: list[dict], values: list, title: str, ylabel: str, line: float | None = None,
              line_label: str = "") -> str:
    fig = Figure(figsize=(max(6, 0.45 * len(shards) + 2), 3.2))
    ax = fig.subplots()
    xs = np.arange(len(shards))
    heights = [v if v is not None else 0.0 for v in values]
    colors = [FAIL_COLOR if d["verdict"] == "fail" else PASS_COLOR for d in shards]
    ax.bar(xs, heights, color=colors)
    for x, v in zip(xs, values):
        if v is None:
            ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7)
    if line is not None:
        ax.axhline(line, color="black", linestyle="--", linewidth=1, label=line_label)
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xticks(xs, [d["file"].split("-of-")[0] for d in shards], rotation=60, ha="right", fontsize=7)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    return img(fig)


def _length_histogram(result: dict) -> str:
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    lengths = result.get("_segment_lengths", {})
    failed = {d["file"] for d in result["shards"] if d["verdict"] == "fail"}
    good = [v for f, v in lengths.items() if f not in failed and len(v)]
    bad = [v for f, v in lengths.items() if f in failed and len(v)]
    top = max([int(v.max()) for v in good + bad] or [1])
    bins = np.linspace(0, top + 1, 41)
    if good:
        ax.hist(np.concatenate(good), bins=bins, color=PASS_COLOR, alpha=0.7, label="passing shards")
    if bad:
        ax.hist(np.concatenate(bad), bins=bins, color=FAIL_COLOR, alpha=0.6, label="failing shards")
    ax.set_yscale("log")
    ax.set_title("document (segment) length, tokens")
    ax.set_xlabel("tokens")
    ax.set_ylabel("segments")
    if good or bad:
        ax.legend(fontsize=8)
    return img(fig)


def render_html(result: dict[str, Any]) -> str:
    shards, cfg = result["shards"], result["config"]
    losses = [d["loss"] for d in shards]
    valid = [v for v in losses if v is not None]
    plots = [
        _bar_plot(shards, losses, "mean proxy loss per token (held-out rows)", "nats/token",
                  float(np.median(valid)) if valid else None, "median"),
        _length_histogram(result),
        _bar_plot(shards, [(d["stats"] or {}).get("pad_fraction") for d in shards], "pad fraction",
                  "fraction of tokens", cfg["pad_fraction_max"], "threshold"),
        _bar_plot(shards, [d["unigram_js"] for d in shards], "unigram JS divergence vs the rest",
                  "bits", cfg["unigram_js_max"], "threshold"),
        _bar_plot(shards, [(d["learnability"] or {}).get("loss_drop") for d in shards],
                  f"learnability: loss drop after {cfg['probe_steps']} steps on the shard alone", "nats"),
    ]
    rows, classes = [], []
    for d in shards:
        stats = d["stats"] or {}
        cells = [d["file"], d["verdict"], ", ".join(d["reasons"]) or "-", _fmt(d["loss"]), _fmt(d["loss_z"]),
                 _fmt(d["unigram_js"]), _fmt(stats.get("pad_fraction")),
                 _fmt(stats.get("repeated_row_fraction")), _fmt((d["learnability"] or {}).get("loss_drop"))]
        rows.append([html.escape(str(c)) for c in cells])
        classes.append("fail" if d["verdict"] == "fail" else "pass")
    head = ["shard", "verdict", "reasons", "loss", "loss z", "unigram JS", "pad", "repeated rows", "loss drop"]
    proxy, counts = result["proxy"], result["counts"]
    summary = (f"{counts['passed']} of {counts['shards']} shards pass. Proxy: {proxy['model']} "
               f"({proxy['params']:,} params) on {proxy['device']}, {proxy['steps']} steps over "
               f"{proxy['train_rows']} rows, training loss {_fmt(proxy['train_loss_first'])} &rarr; "
               f"{_fmt(proxy['train_loss_last'])}.")
    return page("Shard validation", f"<h1>Shard validation: {html.escape(result['shards_dir'])}</h1>\n"
                f"<p>{summary}</p>\n{table(head, rows, classes)}\n" + "\n".join(plots))


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"
