"""``report.html`` of a ``curation run``: one self-contained page (plots embedded as PNG).

Sections: stages and timings, the funnel (table and chart), quality scores, dedup
cluster sizes, the mixture table (GPT-3 Table 2.2 columns) and validation results.
Everything is read back from the stage outputs, so the report can be rebuilt alone.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from matplotlib.figure import Figure

from curation.io.paths import exists, join, match, open_read, read_bytes, write_bytes
from curation.report.funnel import FunnelRow
from curation.report.html import img as _png
from curation.report.html import page
from curation.report.html import table as _table


def _column(paths: list[str], name: str) -> np.ndarray:
    values = []
    for path in paths:
        with open_read(path) as fh:
            table = pq.read_table(fh, columns=[name])
        values += [v for v in table.column(name).to_pylist() if v is not None]
    return np.asarray(values, dtype=float)


def funnel_section(rows: list[FunnelRow]) -> str:
    table = _table(["source", "stage", "step", "in", "out", "MB out", "dropped by rule", "balanced"], [
        [html.escape(r.source), r.stage, html.escape(r.step), f"{r.docs_in:,}", f"{r.docs_out:,}",
         f"{r.bytes_out / 1e6:.2f}" if r.bytes_out is not None else "-",
         f'<span class="l">{html.escape(", ".join(f"{k}={v}" for k, v in sorted(r.dropped.items())))}</span>',
         '<span class="pass">yes</span>' if r.balanced else '<span class="fail">no</span>'] for r in rows])
    if not rows:
        return "<p>No stage reported counters.</p>"
    fig = Figure(figsize=(9, 0.32 * len(rows) + 1))
    ax = fig.subplots()
    labels = [f"{r.source} · {r.stage} · {r.step}" for r in rows]
    ax.barh(range(len(rows)), [r.docs_out for r in rows], color="#4c78a8", label="out")
    ax.barh(range(len(rows)), [r.docs_in - r.docs_out for r in rows], left=[r.docs_out for r in rows],
            color="#e45756", alpha=0.6, label="dropped")
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("documents")
    ax.legend(fontsize=8)
    return _png(fig) + table


def histogram_section(values: np.ndarray, title: str, xlabel: str, bins: Any = 20, log: bool = False) -> str:
    if values.size == 0:
        return f"<p>No data for {html.escape(title)}.</p>"
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    ax.hist(values, bins=bins, color="#4c78a8", log=log)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("documents")
    return _png(fig)


def quality_section(out: str, sources: list[str]) -> str:
    """Scored vs kept documents per score band, from the quality stage's counters."""
    scored: dict[str, int] = {}
    kept: dict[str, int] = {}
    for source in sources:
        stats_path = join(out, "quality", source, "stats.json")
        if not exists(stats_path):
            continue
        counters = json.loads(read_bytes(stats_path))["counters"]
        for values in counters.values():
            for name, value in values.items():
                if name.startswith("band:"):
                    scored[name[5:]] = scored.get(name[5:], 0) + value
                elif name.startswith("kept_band:"):
                    kept[name[10:]] = kept.get(name[10:], 0) + value
    if not scored:
        return "<p>The quality stage did not run.</p>"
    bands = sorted(scored)
    fig = Figure(figsize=(7, 3))
    ax = fig.subplots()
    xs = np.arange(len(bands))
    ax.bar(xs - 0.2, [scored[b] for b in bands], width=0.4, color="#bbbbbb", label="scored")
    ax.bar(xs + 0.2, [kept.get(b, 0) for b in bands], width=0.4, color="#4c78a8", label="kept")
    ax.set_xticks(xs, bands, rotation=45, fontsize=7)
    ax.set_xlabel("quality_score band (P(reference-like))")
    ax.set_ylabel("documents")
    ax.legend(fontsize=8)
    return _png(fig) + f"<p>{sum(scored.values())} documents scored, {sum(kept.values())} kept.</p>"


def mixture_section(manifest: dict) -> str:
    rows = manifest.get("mixture", [])
    if not rows:
        return "<p>No mixture table.</p>"
    keys = [k for k in rows[0].keys()]
    body = [[html.escape(str(r[k])) if not isinstance(r[k], float) else f"{r[k]:.4g}" for k in keys] for r in rows]
    totals = manifest.get("totals", {})
    note = ", ".join(f"{k}={v}" for k, v in sorted(totals.items()))
    return _table(keys, body) + f"<p>Totals: {html.escape(note)}; seq_len={manifest.get('seq_len')}, " \
                                f"packing={html.escape(str(manifest.get('packing')))}</p>"


def validation_section(result: dict, report_link: str) -> str:
    shards = result.get("shards", [])
    if not shards:
        return "<p>Validation did not run.</p>"
    rows = []
    for shard in shards:
        verdict = shard.get("verdict", "?")
        reasons = shard.get("reasons") or []
        loss, z = shard.get("loss"), shard.get("loss_z")  # as curation/validate/run.py writes them
        rows.append([html.escape(shard.get("file", "?")),
                     f'<span class="{"pass" if verdict == "pass" else "fail"}">{verdict}</span>',
                     f"{loss:.3f}" if isinstance(loss, (int, float)) else "-",
                     f"{z:.2f}" if isinstance(z, (int, float)) else "-",
                     f'<span class="l">{html.escape("; ".join(map(str, reasons)))}</span>'])
    return _table(["shard", "verdict", "loss", "loss z-score", "reasons"], rows) + \
        f'<p>Full validation report: <a href="{report_link}">{report_link}</a></p>'


def write_run_report(path: str | Path, out: str | Path, funnel: list[FunnelRow], summary: list[dict],
                     sources: list[str]) -> None:
    out = str(out)
    parts = ["<h1>curation run report</h1>"]
    parts.append("<h2>Stages</h2>" + _table(["stage", "status", "seconds", "output"], [
        [html.escape(s["stage"]), s["status"], f"{s.get('seconds', 0):.1f}", html.escape(str(s["output"]))]
        for s in summary]))
    parts.append("<h2>Funnel</h2>" + funnel_section(funnel))
    parts.append("<h2>Quality scores</h2>" + quality_section(out, sources))
    dedup_files = [p for s in sources for p in match(join(out, "dedup", s, "documents", "*.parquet"))]
    sizes = _column(dedup_files, "dedup_cluster_size")
    parts.append("<h2>Near-duplicate clusters</h2>" + histogram_section(
        sizes[sizes > 1] if sizes.size else sizes, "cluster size (clusters with duplicates)", "documents in cluster",
        bins=np.arange(1.5, max(3, int(sizes.max()) if sizes.size else 3) + 1.5), log=False)
        + f"<p>{int((sizes > 1).sum()) if sizes.size else 0} kept documents had near-duplicates removed.</p>")
    manifest_path = join(out, "shards", "manifest.json")
    if exists(manifest_path):
        parts.append("<h2>Mixture</h2>" + mixture_section(json.loads(read_bytes(manifest_path))))
    validation_path = join(out, "validation", "validation.json")
    if exists(validation_path):
        parts.append("<h2>Validation</h2>" + validation_section(json.loads(read_bytes(validation_path)),
                                                                "validation/report.html"))
    write_bytes(str(path), page("curation run", "\n".join(parts)).encode("utf-8"))
