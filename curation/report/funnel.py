"""The funnel: documents and bytes after every stage and rule, as in the C4 and RefinedWeb tables.

Built from the counters each stage wrote to its ``stats.json``. Every counter
namespace that has ``in`` and ``out`` is one step; within a stage, steps are ordered
by how many documents reached them (each step sees what the previous one kept), so
the table needs no knowledge of which rules ran.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from curation.io.paths import exists, join, read_bytes


@dataclass
class FunnelRow:
    source: str
    stage: str
    step: str
    docs_in: int
    docs_out: int
    bytes_out: int | None
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """The accounting invariant every stage must keep: in = out + dropped."""
        return self.docs_in == self.docs_out + sum(self.dropped.values())


def load_counters(stage_dir: str | Path) -> dict[str, dict[str, int]]:
    path = join(str(stage_dir), "stats.json")
    if not exists(path):
        return {}
    return json.loads(read_bytes(path)).get("counters", {})


def stage_rows(source: str, stage: str, counters: dict[str, dict[str, int]]) -> list[FunnelRow]:
    rows = []
    for namespace, values in counters.items():
        if "in" not in values or "out" not in values:
            continue
        dropped = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("dropped:") and v}
        bytes_out = values.get("bytes_out")
        rows.append(FunnelRow(source, stage, namespace, values["in"], values["out"], bytes_out, dropped))
    rows.sort(key=lambda r: (-r.docs_in, -r.docs_out, r.step))
    return rows


def ingest_row(source: str, counters: dict[str, dict[str, int]]) -> FunnelRow | None:
    """The top of the funnel: content records read from the crawl files."""
    ingest = counters.get("ingest")
    if not ingest:
        return None
    records = sum(v for k, v in ingest.items() if k.startswith("records:"))
    errors = {k: v for k, v in ingest.items() if k.startswith("errors:")}
    return FunnelRow(source, "ingest", "records", records + sum(errors.values()), records,
                     ingest.get("payload_bytes"), {k: v for k, v in errors.items() if v})


def format_funnel(rows: list[FunnelRow]) -> str:
    """A plain-text table: one line per step, with the share of the source's first step kept."""
    if not rows:
        return "(no funnel: no stage reported counters)"
    header = f"{'source':<10}{'stage':<10}{'step':<26}{'in':>9}{'out':>9}{'kept':>8}{'MB out':>9}  dropped by rule"
    lines = [header, "-" * len(header)]
    first: dict[str, int] = {}
    for row in rows:
        start = first.setdefault(row.source, row.docs_in or 1)
        mb = f"{row.bytes_out / 1e6:.2f}" if row.bytes_out is not None else "-"
        dropped = ", ".join(f"{k}={v}" for k, v in sorted(row.dropped.items(), key=lambda kv: -kv[1]))
        mark = "" if row.balanced else "  (!) in != out + dropped"
        lines.append(f"{row.source:<10}{row.stage:<10}{row.step[:25]:<26}{row.docs_in:>9}{row.docs_out:>9}"
                     f"{100 * row.docs_out / start:>7.1f}%{mb:>9}  {dropped}{mark}")
    return "\n".join(lines)
