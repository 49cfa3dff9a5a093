"""The bench harness and the real-page WARC builder do what the benches rely on."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import harness
from bench.bench_warc import build_warcs, real_pages
from curation.io.warc import RawRecord, iter_records


def test_harness_measures_the_process_tree_and_interleaves(capsys):
    grow = "import time; x = bytearray({mb} * 2**20); time.sleep(0.2)"
    sides = [harness.Side("small", [sys.executable, "-c", grow.format(mb=10)]),
             harness.Side("big", [sys.executable, "-c", grow.format(mb=120)])]
    results = harness.compare(sides, rounds=2, verbose=False)
    small, big = results
    assert len(small.runs) == len(big.runs) == 2
    assert big.median("peak_rss_tree_mb") - small.median("peak_rss_tree_mb") > 90
    assert big.median("max_rss_proc_mb") - small.median("max_rss_proc_mb") > 90
    assert all(r.wall_s >= 0.2 and r.cpu_s > 0 for r in small.runs + big.runs)
    table = harness.format_table("t", results)
    assert "big" in table and "x [" in table


def test_harness_call_returns_the_function_values():
    side = harness.call("warc", "bench.bench_warc:main", argv=["--mb", "0.05", "--out", "{out}/a.warc.gz"])
    run = harness.measure(side)
    assert run.values == {} and run.wall_s > 0


def test_bench_warc_cycles_real_pages_with_fresh_urls_and_ids(tmp_path):
    pages = real_pages()
    assert len(pages) >= 3
    paths = build_warcs(tmp_path / "w", total_bytes=300_000, files=2)
    records = [r for p in paths for r in iter_records(str(p)) if isinstance(r, RawRecord)]
    assert sum(p.stat().st_size for p in paths) >= 300_000
    assert len(records) > 2 * len(pages)
    assert len({r.url for r in records}) == len(records)
    assert len({r.record_id for r in records}) == len(records)
    assert all(r.content_type.startswith("text/html") for r in records)


BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
LIBRARIES = {"harness.py", "bench_warc.py", "memory.py"}  # what the benches import; not benches themselves
BENCHES = sorted(p.name for p in BENCH_DIR.glob("*.py") if p.name not in LIBRARIES)


@pytest.mark.parametrize("script", BENCHES)
def test_every_bench_runs_in_smoke_mode(script, tmp_path):
    """``--smoke``: the bench's whole code path at the smallest size, so no bench can rot
    (``--quick``, what ``make bench`` runs, is the same code at CI size)."""
    env = {k: v for k, v in os.environ.items() if k != "CURATION_BEAM_MODE"} | {"TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(BENCH_DIR / script), "--smoke"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert proc.stdout.strip()


@pytest.mark.parametrize("script", ["ingest.py", "dedup.py"])
def test_memory_tables_run_both_sides(script, tmp_path):
    """``--memory``: the before side is this commit's own tree (``git archive``), so the table
    has a row for each side and command, and each row a peak RSS."""
    env = {k: v for k, v in os.environ.items() if k != "CURATION_BEAM_MODE"} | {"TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(BENCH_DIR / script), "--memory", "--sizes", "0.15", "--before", "HEAD",
                           "--repeats" if script == "dedup.py" else "--rounds", "1"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    rows = [line.split() for line in proc.stdout.splitlines() if line.strip().startswith("0.15")]
    labels = ["docs", "docs+c4"] if script == "ingest.py" else ["dedup"]
    assert [(r[1], r[3]) for r in rows] == [(label, side) for label in labels for side in ("HEAD", "now")]
    assert all(float(r[-1]) > 30 for r in rows)
