"""Benchmark: MinHash signatures and near-duplicate removal, ours vs datasketch, in one run.

    python bench/dedup.py                 # 50k documents (~2.5 per family), a few minutes on 2 cores
    python bench/dedup.py --docs 200000 --beam-mode multi_processing
    python bench/dedup.py --components    # connected components: rounds vs union-find CombineFn

``--components`` (see bench/dedup_components.py) instead times connected components alone
on a synthetic duplicate graph of >= 1M edges.

Corpus: families of one base document (real prose from the shipped book, words
shuffled in) plus 0-3 copies perturbed by word edits, moved sentences, added
boilerplate, cut endings (tests/dedup_fixtures.py). Ground truth: exact Jaccard of
the word-5-gram sets >= threshold over every within-family pair and every
cross-family pair that either method proposed, then connected components with the
same keep rule; "removed" = every document but the kept one of each component.

Prints: signatures/s (text -> signature, shingling included) for ours (numpy, both
hash functions) and datasketch MinHash per-token ``update`` and ``update_batch``
(timed on a subsample, medians of repeats); precision/recall of the removed set for
our Beam pipeline (``NearDedup``) and for datasketch ``MinHashLSH`` (its own bands
for the threshold; fed our signatures, which are equal to datasketch's, see
tests/test_minhash.py); wall time and peak RSS of each (each in its own process).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from bench.memory import add_memory_flags  # noqa: E402
from tests.dedup_fixtures import make_family_corpus, true_removed  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def signature_rates(texts: list[str], ds_texts: list[str], num_perm: int, repeats: int) -> list[tuple[str, float]]:
    from datasketch import MinHash

    from filters.minhash import MinHasher, word_shingles

    rows = []
    for hashfunc in ("sha1", "xxh32", "word_xxh32"):
        hasher = MinHasher(num_perm, 1, hashfunc=hashfunc)
        t = median_time(lambda: hasher.signature_of_texts(texts), repeats)
        rows.append((f"ours numpy batch ({hashfunc})", len(texts) / t))

    def per_token():
        for text in ds_texts:
            mh = MinHash(num_perm, 1)
            for s in word_shingles(text):
                mh.update(s)

    def batch():
        for text in ds_texts:
            MinHash(num_perm, 1).update_batch(word_shingles(text))

    rows.append(("datasketch update per token (sha1)", len(ds_texts) / median_time(per_token, repeats)))
    rows.append(("datasketch update_batch (sha1)", len(ds_texts) / median_time(batch, repeats)))
    return rows


def run_pipeline(corpus: str, out: str, threshold: float, verify: bool, beam_mode: str, queue) -> None:
    os.environ["CURATION_BEAM_MODE"] = beam_mode
    import apache_beam as beam
    import pyarrow.parquet as pq

    from filters.dedup_config import DedupConfig
    from pipelines.dedup import NearDedup
    from pipelines.metrics import collect_counters
    from pipelines.options import make_options
    from pipelines.read import ReadDocuments
    from pipelines.write import WriteDocuments

    start = time.perf_counter()
    config = DedupConfig(threshold=threshold, verify=verify)
    pipeline = beam.Pipeline(options=make_options([]))
    result = (pipeline | ReadDocuments([corpus])).docs | NearDedup(config)
    result["duplicates"] | WriteDocuments(out)
    res = pipeline.run()
    res.wait_until_finish()
    wall = time.perf_counter() - start
    removed = set(pq.read_table(out).column("id").to_pylist()) if os.path.exists(out) else set()
    queue.put({"removed": removed, "wall": wall, "rss": peak_rss_mb(), "counters": collect_counters(res)})


def run_datasketch_lsh(corpus: str, threshold: float, num_perm: int, queue) -> None:
    import pyarrow.parquet as pq
    from datasketch import MinHashLSH

    from filters.dedup_clusters import Node, clusters_from_edges
    from filters.minhash import MinHasher

    table = pq.read_table(corpus, columns=["id", "text", "quality_score"]).to_pylist()
    start = time.perf_counter()
    hasher = MinHasher(num_perm, 1)
    sigs = hasher.signature_of_texts([d["text"] for d in table])
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches = [hasher.to_datasketch(s) for s in sigs]
    with lsh.insertion_session() as session:
        for doc, mh in zip(table, sketches):
            session.insert(doc["id"], mh)
    pairs = set()
    for doc, mh in zip(table, sketches):
        for other in lsh.query(mh):
            if other != doc["id"]:
                pairs.add(tuple(sorted((doc["id"], other))))
    node = {d["id"]: Node(d["id"], d["quality_score"]) for d in table}
    removed = {a.id for a in clusters_from_edges((node[a], node[b]) for a, b in pairs) if a.duplicate}
    queue.put({"removed": removed, "pairs": pairs, "wall": time.perf_counter() - start, "rss": peak_rss_mb(),
               "params": (lsh.b, lsh.r)})


def in_process(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def scores(predicted: set[str], truth: set[str]) -> tuple[float, float]:
    hit = len(predicted & truth)
    return (hit / len(predicted) if predicted else 1.0), (hit / len(truth) if truth else 1.0)


def memory_table(args) -> None:
    """Family corpora sized like the documents of 4/16/64 MB (and 1 GB) of WARC: ~450 per MB."""
    from bench.memory import memory_sizes, size_table
    from curation.io.docfiles import write_documents

    def corpus(warc, workdir):
        mb = warc.stat().st_size / 1e6
        docs, _ = make_family_corpus(max(1, round(mb * 450 / 2.5)), seed=args.seed)
        workdir.mkdir(parents=True, exist_ok=True)
        write_documents(str(workdir / "docs.parquet"), docs)
        return workdir / "docs.parquet"

    size_table("curation dedup: peak memory by input size",
               {"dedup": ["dedup", "--input", "{input}", "--output", "{out}"]},
               memory_sizes(args), args.before, before_max_mb=64, rounds=args.repeats, prepare=corpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=50_000, help="corpus size (default 50k)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--sig-docs", type=int, default=3000, help="documents timed for our signatures")
    parser.add_argument("--ds-docs", type=int, default=150, help="documents timed for datasketch (subsample)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beam-mode", default="in_memory", choices=["in_memory", "multi_processing"])
    parser.add_argument("--no-unverified", action="store_true", help="skip the pipeline run without verification")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--components", action="store_true",
                        help="benchmark connected components instead (bench/dedup_components.py; its flags follow)")
    add_memory_flags(parser, "curation dedup (corpora of 450 documents per MB of WARC)")
    argv = sys.argv[1:] if argv is None else argv
    if "--components" in argv:
        from bench.dedup_components import main as components_main

        return components_main([a for a in argv if a != "--components"])
    args = harness.parse_args(parser, argv, quick={"docs": 5000, "sig_docs": 1000, "ds_docs": 50, "repeats": 1},
                              smoke={"docs": 300, "sig_docs": 100, "ds_docs": 10, "repeats": 1,
                                     "no_unverified": True})
    if args.memory:
        memory_table(args)
        return

    from curation.io.docfiles import write_documents

    start = time.perf_counter()
    docs, family_of = make_family_corpus(max(1, round(args.docs / 2.5)), seed=args.seed)
    words = sum(len(d["text"].split()) for d in docs) / len(docs)
    print(f"corpus: {len(docs):,} documents, {len(set(family_of.values())):,} families, "
          f"{words:.0f} words/doc on average, made in {time.perf_counter() - start:.1f} s", flush=True)
    work = tempfile.mkdtemp(prefix="bench-dedup-")
    corpus = os.path.join(work, "corpus.parquet")
    write_documents(corpus, docs)

    texts = [d["text"] for d in docs]
    rates = signature_rates(texts[: args.sig_docs], texts[: args.ds_docs], args.num_perm, args.repeats)
    base = dict(rates)["datasketch update per token (sha1)"]
    print(f"\nsignatures/s (text -> {args.num_perm}-value signature, shingling included; median of {args.repeats})")
    print(f"{'method':<40}{'docs/s':>12}{'vs per-token':>14}")
    for name, rate in rates:
        print(f"{name:<40}{rate:>12,.0f}{rate / base:>13.1f}x")

    runs = {"ours: NearDedup (verify on)": in_process(
        run_pipeline, corpus, os.path.join(work, "dups-v"), args.threshold, True, args.beam_mode)}
    if not args.no_unverified:
        runs["ours: NearDedup (verify off)"] = in_process(
            run_pipeline, corpus, os.path.join(work, "dups-nv"), args.threshold, False, args.beam_mode)
    ds = in_process(run_datasketch_lsh, corpus, args.threshold, args.num_perm)
    runs[f"datasketch MinHashLSH (b={ds['params'][0]}, r={ds['params'][1]})"] = ds

    cross = {p for p in ds["pairs"] if family_of[p[0]] != family_of[p[1]]}
    truth, edges = true_removed(docs, family_of, args.threshold, extra_pairs=cross)
    print(f"\nground truth: {len(edges):,} pairs with exact Jaccard >= {args.threshold} "
          f"({sum(1 for a, b, _ in edges if family_of[a] != family_of[b])} across families, "
          f"{len(cross)} cross-family candidates checked), {len(truth):,} documents to remove")
    print(f"\n{'removal of near-duplicates':<40}{'removed':>9}{'precision':>11}{'recall':>9}{'wall s':>9}"
          f"{'peak RSS MB':>13}")
    for name, run in runs.items():
        precision, recall = scores(run["removed"], truth)
        print(f"{name:<40}{len(run['removed']):>9,}{precision:>11.4f}{recall:>9.4f}{run['wall']:>9.1f}"
              f"{run['rss']:>13,.0f}")
    counters = runs["ours: NearDedup (verify on)"]["counters"].get("dedup", {})
    print("\nNearDedup counters (verify on): " + ", ".join(
        f"{k}={v:,}" for k, v in counters.items() if not k.startswith("bytes")))
    print(f"(runner: FnApiRunner {args.beam_mode}; peak RSS of each run's own process; work dir {work})")


if __name__ == "__main__":
    main()
