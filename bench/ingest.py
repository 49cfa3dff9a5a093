"""Ingest throughput: a bare warcio + extractor loop vs the Beam pipeline on the same files.

    python bench/ingest.py              # the sample scaled to ~100 MB of WARC (gzip)
    python bench/ingest.py --quick      # ~10 MB
    python bench/ingest.py --memory [--with-1gb] [--before REF]   # peak RSS per WARC size, REF vs now

Also compares the two extractors (resiliparse, trafilatura) on speed and output size
over the same records. Prints one table; docs/s figures are medians of --repeats runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def build_corpus(directory: Path, target_mb: float) -> list[str]:
    sys.path.insert(0, str(REPO / "scripts"))
    from make_sample import build

    per_copy_mb = 0.69
    copies = max(1, round(target_mb / per_copy_mb))
    build(directory, copies=copies, files_per_copy=4, with_extras=False)
    return sorted(str(p) for p in (directory / "warc").glob("*.warc.gz"))


def bare_loop(files: list[str], extractor: str, limit: int | None = None) -> tuple[int, float, int]:
    """(documents, seconds, extracted characters) for a plain loop: no Beam, one process."""
    from curation.io.warc import RawRecord, iter_records
    from filters.extract import ExtractionError, HtmlToDocument

    make = HtmlToDocument(extractor)
    docs = chars = 0
    started = time.perf_counter()
    for path in files:
        for item in iter_records(path):
            if isinstance(item, RawRecord) and make.wants(item):
                try:
                    doc = make(item)
                except ExtractionError:
                    continue
                docs += 1
                chars += len(doc["text"])
                if limit and docs >= limit:
                    return docs, time.perf_counter() - started, chars
    return docs, time.perf_counter() - started, chars


def beam_run(input_dir: Path, mode: str, workers: int) -> tuple[int, float]:
    out = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    cmd = [sys.executable, "-m", "curation", "docs", "--input", str(input_dir), "--output", str(out), "--",
           "--runner=FnApiRunner", f"--direct_running_mode={mode}", f"--direct_num_workers={workers}"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    import json

    stats = json.loads((out / "stats.json").read_text())["counters"]
    return stats["extract"]["out"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100.0, help="target corpus size (gzip WARC)")
    parser.add_argument("--quick", action="store_true", help="~10 MB, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trafilatura-docs", type=int, default=1500, help="pages for the extractor comparison")
    parser.add_argument("--memory", action="store_true",
                        help="peak RSS of curation docs (and with configs/c4.yaml) at 4, 16, 64 MB of real pages")
    parser.add_argument("--with-1gb", action="store_true", help="--memory: add a 1 GB WARC (now only)")
    parser.add_argument("--before", default="1594a37", help="--memory: git ref of the 'before' side")
    args = parser.parse_args()
    if args.memory:
        from bench.memory import size_table

        sizes = [4, 16, 64] + ([1000] if args.with_1gb else [])
        size_table("curation docs: peak memory by input size",
                   {"docs": ["docs", "--input", "{input}", "--output", "{out}"],
                    "docs+c4": ["docs", "--input", "{input}", "--output", "{out}", "--config", "configs/c4.yaml"]},
                   sizes, args.before, before_max_mb=64, rounds=args.repeats if not args.quick else 1)
        return
    if args.quick:
        args.mb, args.repeats = 10.0, 1
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        corpus = Path(tmp)
        files = build_corpus(corpus, args.mb)
        size_mb = sum(os.path.getsize(f) for f in files) / 1e6
        rows = []
        bare = [bare_loop(files, "resiliparse") for _ in range(args.repeats)]
        n_docs = bare[0][0]
        bare_rate = statistics.median(d / s for d, s, _ in bare)
        rows.append(("bare loop: warcio + resiliparse (1 process)", n_docs, statistics.median(s for _, s, _ in bare), bare_rate))
        cores = os.cpu_count() or 1
        for mode, workers in (("in_memory", 1), ("multi_processing", cores)):
            runs = [beam_run(corpus / "warc", mode, workers) for _ in range(args.repeats)]
            rate = statistics.median(d / s for d, s in runs)
            rows.append((f"Beam curation docs ({mode}, {workers} worker(s))", runs[0][0],
                         statistics.median(s for _, s in runs), rate))
        print(f"\ncorpus: {len(files)} WARC files, {size_mb:.1f} MB gzip, {n_docs} HTML pages; {cores} cores")
        print(f"{'run':<52}{'docs':>8}{'seconds':>10}{'docs/s':>10}{'vs bare':>9}")
        for name, docs, seconds, rate in rows:
            print(f"{name:<52}{docs:>8}{seconds:>10.1f}{rate:>10.0f}{rate / bare_rate:>8.2f}x")
        print("\nextractor comparison (same pages, bare loop)")
        print(f"{'extractor':<16}{'docs':>8}{'docs/s':>10}{'chars/doc':>11}")
        for extractor in ("resiliparse", "trafilatura"):
            docs, seconds, chars = bare_loop(files, extractor, limit=args.trafilatura_docs)
            print(f"{extractor:<16}{docs:>8}{docs / seconds:>10.0f}{chars / max(docs, 1):>11.0f}")


if __name__ == "__main__":
    main()
