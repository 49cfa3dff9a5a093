"""Ingest throughput on real pages: a bare warcio + extractor loop vs ``curation docs`` (Beam).

    python bench/ingest.py                  # 100 MB of gzip WARC built from real pages, 3 rounds
    python bench/ingest.py --mb 500 --files 8 --rounds 5 --pages ~/crawl/*.warc.gz
    python bench/ingest.py --quick          # 8 MB, 1 round
    python bench/ingest.py --mb 32 --no-multi   # framework overhead: bare loop vs curation docs, one process
    python bench/ingest.py --memory [--with-1gb] [--before REF]   # peak RSS per WARC size, REF vs now

Corpus: ``bench/bench_warc.py`` cycles the real HTML responses of ``sample/real/`` (plus
``--pages``) into ``--files`` gzip WARC files, fresh URLs and record ids per copy.

What is compared, like for like: every side is a fresh process (``bench/harness.py``) that
reads the same WARC files, extracts the main text of every HTML response with resiliparse
and writes the documents as Parquet; wall time includes start-up (interpreter, imports, and
for Beam the runner and its workers) on every side alike. Sides:
- bare loop: ``curation.io.warc.iter_records`` + ``filters.extract.HtmlToDocument`` +
  ``write_documents``, one process, no Beam;
- ``curation docs`` in one process (``--direct_running_mode=in_memory``);
- ``curation docs`` multi-processing, one worker per core.
Rounds are interleaved. Second table: the two extractors over the same pages (bare loop).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from bench.bench_warc import build_warcs  # noqa: E402
from bench.memory import add_memory_flags  # noqa: E402


def bare_loop(files: list[str], extractor: str = "resiliparse", out: str | None = None,
              limit: int | None = None) -> dict:
    """Read, extract and (with ``out``) write documents in a plain loop: no Beam, one process."""
    from curation.io.docfiles import write_documents
    from curation.io.warc import RawRecord, iter_records
    from filters.extract import ExtractionError, HtmlToDocument

    make = HtmlToDocument(extractor)
    docs = []
    for path in files:
        for item in iter_records(path):
            if isinstance(item, RawRecord) and make.wants(item):
                try:
                    docs.append(make(item))
                except ExtractionError:
                    continue
                if limit and len(docs) >= limit:
                    break
        if limit and len(docs) >= limit:
            break
    if out:
        write_documents(os.path.join(out, "documents.parquet"), docs)
    return {"docs": len(docs), "chars": sum(len(d["text"]) for d in docs)}


def beam_docs(name: str, input_dir: Path, mode: str, workers: int) -> harness.Side:
    argv = [sys.executable, "-m", "curation", "docs", "--input", str(input_dir), "--output", "{out}", "--",
            "--runner=FnApiRunner", f"--direct_running_mode={mode}", f"--direct_num_workers={workers}"]
    return harness.Side(name, argv, result=documents_written)


def documents_written(out: Path) -> dict:
    return {"docs": json.loads((out / "stats.json").read_text())["counters"]["extract"]["out"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size, MB of gzip WARC")
    parser.add_argument("--files", type=int, default=4, help="WARC files the corpus is split into")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=[], help="more real WARC/HTML files to cycle")
    parser.add_argument("--extractor-docs", type=int, default=1500, help="pages for the extractor table")
    parser.add_argument("--no-multi", action="store_true",
                        help="skip the multi_processing side and the extractor table (framework overhead only)")
    add_memory_flags(parser, "curation docs (and with configs/c4.yaml), real pages")
    args = harness.parse_args(parser, argv, quick={"mb": 8.0, "rounds": 1, "extractor_docs": 300},
                              smoke={"mb": 0.5, "files": 2, "rounds": 1, "extractor_docs": 20})
    if args.memory:
        from bench.memory import memory_sizes, size_table

        size_table("curation docs: peak memory by input size",
                   {"docs": ["docs", "--input", "{input}", "--output", "{out}"],
                    "docs+c4": ["docs", "--input", "{input}", "--output", "{out}", "--config", "{repo}/configs/c4.yaml"]},
                   memory_sizes(args), args.before, before_max_mb=64, rounds=args.rounds)
        return 0
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        corpus = Path(tmp) / "warc"
        files = [str(p) for p in build_warcs(corpus, int(args.mb * 1e6), args.files, args.pages)]
        size_mb = sum(os.path.getsize(f) for f in files) / 1e6
        sides = [harness.call("bare loop: warcio + resiliparse + Parquet", "bench.ingest:bare_loop",
                              files=files, out="{out}"),
                 beam_docs("curation docs, in_memory (1 process)", corpus, "in_memory", 1)]
        if not args.no_multi:
            sides.append(beam_docs(f"curation docs, multi_processing ({cores} workers)", corpus,
                                   "multi_processing", cores))
        results = harness.compare(sides, rounds=args.rounds)
        harness.print_table(f"ingest: {len(files)} WARC files, {size_mb:.1f} MB gzip of real pages, {cores} cores",
                            results, rate="docs")
        if args.no_multi:
            return 0
        extractors = [harness.call(name, "bench.ingest:bare_loop", files=files, extractor=name,
                                   limit=args.extractor_docs) for name in ("resiliparse", "trafilatura")]
        results = harness.compare(extractors, rounds=args.rounds)
        chars = ", ".join(f"{r.side.name} {r.median_value('chars') / max(r.median_value('docs'), 1):,.0f}"
                          for r in results)
        harness.print_table(f"extractors: the first {args.extractor_docs} pages, bare loop (no writing)",
                            results, rate="docs", note=f"characters extracted per page: {chars}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
