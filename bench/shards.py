"""Benchmark of the shard stage: pipeline throughput, and padding/truncation of the packers.

    python bench/shards.py [--docs 2000] [--pack-docs 40000] [--repeats 3] [--beam-mode in_memory]
                           [--before 99207a2] [--blend-docs 6000]

Prints, in one run:
1. before vs after (issue 17 item 1, issue 18 item 5), side by side, interleaved rounds of
   ``bench.harness``: ``curation shards`` of the ``--before`` revision (a temporary git worktree)
   and of this checkout, on 3 sources (weights 0.5/0.3/0.2) cut into 20 shards, plus a bare
   ``encode_batch`` loop over the same documents: wall, CPU, peak RSS, tokens/s; then, per side,
   the worst distance of a source's token share from its weight over every shard, over every
   prefix of the rows at each 1%, and over each rank's prefixes at each 1% with 4 ranks (each
   revision's own ``ShardDataset`` split: strided before, contiguous blocks after);
   With ``--datatrove-python PYTHON`` (an interpreter with datatrove installed; it is no
   dependency of ours) datatrove's JsonlReader -> DocumentTokenizer joins that table: the same
   documents and tokenizer.json, EOS appended, one task, no shuffling; it writes token files
   without the mixture, packing and padding ``curation shards`` does;
2. tokens/s of the whole ``curation shards`` pipeline on ``--docs`` generated documents
   (median of ``--repeats`` runs);
3. for best_fit vs concat vs pad at seq_len 512 and 2048: padding fraction, truncated documents
   and packing speed, on ``--pack-docs`` document lengths drawn from a log-normal distribution
   (median ~400 tokens, sigma 1.2: the heavy right tail of web text), packed in buckets of
   ``bucket_tokens`` as the pipeline does.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402

LOGNORMAL_MU, LOGNORMAL_SIGMA = float(np.log(400)), 1.2


def lognormal_lengths(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(LOGNORMAL_MU, LOGNORMAL_SIGMA, n), 1, 200_000).astype(np.int64)


def pack_table(n_docs: int, bucket_tokens: int, repeats: int) -> list[dict]:
    from curation.shards.packing import PACKING_MODES, PackItem, pack

    lengths = lognormal_lengths(n_docs)
    base = np.zeros(int(lengths.max()), np.int32)  # views of one array: packing only needs lengths
    items = [PackItem(base[:n], "web", f"d{i}") for i, n in enumerate(lengths)]
    buckets, current, size = [], [], 0
    for item in items:
        current.append(item)
        size += len(item.tokens)
        if size >= bucket_tokens:
            buckets.append(current)
            current, size = [], 0
    if current:
        buckets.append(current)
    results = []
    for seq_len in (512, 2048):
        for mode in PACKING_MODES:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                total = None
                for bucket in buckets:
                    _, stats = pack(bucket, seq_len, mode)
                    total = stats if total is None else total.add(stats)
                times.append(time.perf_counter() - t0)
            results.append({"seq_len": seq_len, "mode": mode, "rows": total.rows,
                            "padding": total.padding_fraction, "truncated": total.truncated_docs,
                            "dropped": total.dropped_tokens,
                            "tok_s": int(lengths.sum()) / statistics.median(times)})
    return results


def make_corpus(directory: Path, n_docs: int) -> tuple[Path, Path]:
    """Documents of log-normal length built from the shipped toy prose; a mixture of 2 sources."""
    from curation.document import new_document
    from curation.io.docfiles import iter_texts, write_documents

    words = " ".join(iter_texts(sorted(str(p) for p in (REPO / "examples" / "mixture-gpt3").glob("*.jsonl.gz")))).split()
    rng = np.random.default_rng(1)
    lengths = (lognormal_lengths(n_docs, seed=2) * 0.75).astype(int) + 1  # ~0.75 words per token
    docs = {"web": [], "books": []}
    for i, n in enumerate(lengths):
        start = int(rng.integers(0, len(words) - 1))
        text = " ".join((words[start:] + words)[: int(n)])
        source = "web" if i % 4 else "books"
        docs[source].append(new_document(text, url=f"https://bench.example/{i}"))
    for source, rows in docs.items():
        write_documents(str(directory / f"{source}.jsonl.gz"), rows)
    mixture = directory / "mixture.yaml"
    mixture.write_text(json.dumps({
        "sources": [{"name": "web", "paths": "web.jsonl.gz", "weight": 0.7},
                    {"name": "books", "paths": "books.jsonl.gz", "weight": 0.3}],
        "total_tokens": int(lengths.sum() / 0.75), "seq_len": 2048, "seed": 1, "rows_per_shard": 1024}))
    return mixture, directory / "tokenizer"


def train_bench_tokenizer(texts: list[str], directory: str, vocab_size: int = 8000) -> None:
    """A byte-level BPE in the layout ``tokenizer.load`` reads (tokenizer.json + special_tokens.json)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>"]
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    os.makedirs(directory, exist_ok=True)
    tok.save(os.path.join(directory, "tokenizer.json"))
    roles = {role: {"token": t, "id": tok.token_to_id(t)} for role, t in zip(("pad", "bos", "eos"), specials)}
    with open(os.path.join(directory, "special_tokens.json"), "w") as fh:
        json.dump({"roles": roles}, fh)


def pipeline_speed(n_docs: int, repeats: int) -> dict:
    from curation.io.docfiles import iter_texts
    from curation.shards.mixture import load_mixture
    from pipelines.shards import run_shards

    with tempfile.TemporaryDirectory() as tmp:
        mixture, tok_dir = make_corpus(Path(tmp), n_docs)
        train_bench_tokenizer(list(iter_texts([str(Path(tmp) / "books.jsonl.gz")])), str(tok_dir))
        config = load_mixture(str(mixture))
        times, manifest = [], None
        for r in range(repeats):
            t0 = time.perf_counter()
            manifest = run_shards(config, str(tok_dir), str(Path(tmp) / f"out{r}"), echo=False)
            times.append(time.perf_counter() - t0)
        stats = json.loads((Path(tmp) / "out0" / "stats.json").read_text())["counters"]
    tokens = stats["tokenize"]["tokens"]
    return {"docs": n_docs, "tokens_in": tokens, "tokens_out": manifest["totals"]["real_tokens"],
            "seconds": statistics.median(times), "tok_s": tokens / statistics.median(times),
            "padding": manifest["totals"]["pad_fraction"]}


BLEND_WEIGHTS = {"web": 0.5, "books": 0.3, "wiki": 0.2}
BLEND_SEQ_LEN, BLEND_SHARDS = 256, 20


def make_blend_corpus(directory: Path, n_docs: int) -> tuple[Path, int]:
    """3 sources of log-normal documents, a mixture at 0.5/0.3/0.2 sized to 20 shards; (mixture, docs)."""
    from curation.document import new_document
    from curation.io.docfiles import iter_texts, write_documents

    words = " ".join(iter_texts(sorted(str(p) for p in (REPO / "examples" / "mixture-gpt3").glob("*.jsonl.gz")))).split()
    rng = np.random.default_rng(3)
    lengths = (lognormal_lengths(n_docs, seed=4) * 0.75).astype(int) + 1
    docs: dict[str, list] = {name: [] for name in BLEND_WEIGHTS}
    names = list(BLEND_WEIGHTS)
    for i, n in enumerate(lengths):
        start = int(rng.integers(0, len(words) - 1))
        docs[names[i % 3]].append(new_document(" ".join((words[start:] + words)[: int(n)]),
                                               url=f"https://bench.example/{i}"))
    for source, rows in docs.items():
        write_documents(str(directory / f"{source}.jsonl.gz"), rows)
    total = int(lengths.sum() / 0.75)
    rows_per_shard = math.ceil(total / BLEND_SEQ_LEN / (BLEND_SHARDS - 0.5))
    mixture = directory / "mixture.yaml"
    mixture.write_text(json.dumps({
        "sources": [{"name": n, "paths": f"{n}.jsonl.gz", "weight": w} for n, w in BLEND_WEIGHTS.items()],
        "total_tokens": total, "seq_len": BLEND_SEQ_LEN, "seed": 1, "rows_per_shard": rows_per_shard}))
    return mixture, n_docs


def _worst_prefix(per_row: np.ndarray, weights: np.ndarray) -> float:
    """Worst |share - weight| over the prefixes at every 1% of the rows (``per_row``: tokens per source)."""
    cum = np.cumsum(per_row, axis=0)
    cuts = np.array([max(1, len(per_row) * k // 100) for k in range(1, 101)]) - 1
    got = cum[cuts]
    return float(np.max(np.abs(got / np.maximum(1, got.sum(axis=1, keepdims=True)) - weights)))


def share_report(directory: str, split: str, world: int = 4) -> dict:
    """Worst |share - weight| (tokens) over shards, over prefixes at every 1% of rows, over each rank's prefixes."""
    import pyarrow.parquet as pq

    manifest = json.loads((Path(directory) / "manifest.json").read_text())
    names = list(BLEND_WEIGHTS)
    weights = np.array([BLEND_WEIGHTS[n] for n in names])
    rows, shard_worst = [], 0.0
    for entry in manifest["shards"]:
        table = pq.read_table(Path(directory) / entry["file"], columns=["segment_sources", "segment_ids"])
        seg = table.column("segment_ids").combine_chunks().flatten().to_numpy().reshape(-1, manifest["seq_len"])
        shard_rows = np.zeros((len(seg), len(names)), np.int64)
        for r, (row_sources, row_seg) in enumerate(zip(table.column("segment_sources").to_pylist(), seg)):
            counts = np.bincount(row_seg, minlength=len(row_sources) + 1)[1:]
            for name, n in zip(row_sources, counts.tolist()):
                shard_rows[r, names.index(name)] += n
        share = shard_rows.sum(axis=0) / shard_rows.sum()
        shard_worst = max(shard_worst, float(np.max(np.abs(share - weights))))
        rows.append(shard_rows)
    per_row = np.concatenate(rows)
    n = len(per_row)
    rank_worst = 0.0
    for rank in range(world):
        index = np.arange(rank, n, world) if split == "strided" else np.arange(rank * n // world, (rank + 1) * n // world)
        rank_worst = max(rank_worst, _worst_prefix(per_row[index], weights))
    return {"shards": len(manifest["shards"]), "rows": n, "shard_err_pp": 100 * shard_worst,
            "prefix_err_pp": 100 * _worst_prefix(per_row, weights), "rank_prefix_err_pp": 100 * rank_worst,
            "tokens": manifest["totals"]["real_tokens"], "pad_pct": 100 * manifest["totals"]["pad_fraction"]}


def bare_encode_batch(mixture: str, tokenizer_dir: str, batch: int = 1024) -> dict:
    """Read the documents, then ``encode_batch`` over them in batches: the floor of the stage."""
    import tokenizer
    from curation.io.docfiles import iter_texts

    config = json.loads(Path(mixture).read_text())
    texts = list(iter_texts([str(Path(mixture).parent / s["paths"]) for s in config["sources"]]))
    tok = tokenizer.load(tokenizer_dir)
    t0 = time.perf_counter()
    tokens = sum(len(ids) for i in range(0, len(texts), batch) for ids in tok.encode_batch(texts[i:i + batch]))
    return {"tokens": tokens, "encode_s": time.perf_counter() - t0}


# Run by another interpreter, one with datatrove installed (datatrove is no dependency of ours):
# read the same JSONL.gz sources and tokenize them with DocumentTokenizer (the same tokenizer.json,
# EOS appended, one task, documents not shuffled), as datatrove's own tokenization step does.
DATATROVE_SCRIPT = """
import glob, json, os, sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.tokens import DocumentTokenizer
sources, tokenizer_json, out = sys.argv[1:4]
LocalPipelineExecutor(pipeline=[
    JsonlReader(sources, glob_pattern="*.jsonl.gz", recursive=False),
    DocumentTokenizer(os.path.join(out, "tokens"), tokenizer_name_or_path=tokenizer_json, eos_token="</s>",
                      shuffle_documents=False),
], tasks=1, workers=1, logging_dir=os.path.join(out, "logs")).run()
stats = json.load(open(os.path.join(out, "logs", "stats.json")))
tokens = sum(s["stats"].get("tokens", {}).get("total", 0) for s in stats if "TOKENIZER" in s["name"])
json.dump({"tokens": tokens}, open(os.path.join(out, "result.json"), "w"))
"""


def datatrove_tokens(out: Path) -> dict:
    return json.loads((Path(out) / "result.json").read_text())


def _revision_tree(revision: str, tmp: str) -> str:
    import subprocess

    path = os.path.join(tmp, "before")
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", path, revision], check=True,
                   capture_output=True)
    return path


def blend_comparison(revision: str, n_docs: int, rounds: int, datatrove_python: str | None = None) -> None:
    import subprocess

    from bench import harness
    from curation.io.docfiles import iter_texts

    with tempfile.TemporaryDirectory() as tmp:
        mixture, _ = make_blend_corpus(Path(tmp), n_docs)
        tok_dir = str(Path(tmp) / "tokenizer")
        train_bench_tokenizer(list(iter_texts([str(Path(tmp) / "books.jsonl.gz")])), tok_dir)
        before = _revision_tree(revision, tmp)
        try:
            args = ["shards", "--mixture", str(mixture), "--tokenizer", tok_dir, "--output", "{out}"]

            def in_tree(tree: str) -> list[str]:  # the tree's packages first on sys.path
                return [sys.executable, "-c", f"import sys; sys.path.insert(0, {tree!r}); "
                        "from pipelines.cli import main; sys.exit(main(sys.argv[1:]))", *args]

            sides = [
                harness.call("bare encode_batch loop", "bench.shards:bare_encode_batch",
                             mixture=str(mixture), tokenizer_dir=tok_dir),
                harness.Side(f"curation shards before ({revision})", in_tree(before),
                             result=lambda out: share_report(out, "strided")),
                harness.Side("curation shards after", in_tree(str(REPO)),
                             result=lambda out: share_report(out, "block")),
            ]
            if datatrove_python:
                sides.append(harness.Side("datatrove JsonlReader -> DocumentTokenizer",
                                          [datatrove_python, "-c", DATATROVE_SCRIPT, tmp,
                                           str(Path(tok_dir) / "tokenizer.json"), "{out}"], result=datatrove_tokens))
            results = harness.compare(sides, rounds=rounds)
            harness.print_table(f"curation shards, 3 sources (0.5/0.3/0.2), seq_len {BLEND_SEQ_LEN}, "
                                f"{n_docs:,} docs", results, rate="tokens")
            head = (f"{'side':<34}{'shards':>7}{'rows':>8}{'pad %':>7}{'worst shard pp':>16}"
                    f"{'worst prefix pp':>17}{'worst rank prefix pp (4 ranks)':>32}")
            print("\n" + head + "\n" + "-" * len(head))
            for r in results[1:3]:
                v = r.runs[0].values
                print(f"{r.side.name:<34}{v['shards']:>7}{v['rows']:>8,}{v['pad_pct']:>7.2f}{v['shard_err_pp']:>16.2f}"
                      f"{v['prefix_err_pp']:>17.2f}{v['rank_prefix_err_pp']:>32.2f}")
            encode = statistics.median(run.values["encode_s"] for run in results[0].runs)
            print(f"bare encode_batch alone (no start-up, no reading): "
                  f"{results[0].runs[0].values['tokens'] / encode:,.0f} tokens/s")
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", before], capture_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="documents for the pipeline run")
    parser.add_argument("--pack-docs", type=int, default=40_000, help="document lengths for the packing table")
    parser.add_argument("--bucket-tokens", type=int, default=1 << 22)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beam-mode", default="in_memory", choices=["in_memory", "multi_threading", "multi_processing"])
    parser.add_argument("--before", default="99207a2", help="revision to compare against (blend, tokens/s)")
    parser.add_argument("--blend-docs", type=int, default=6000, help="documents for the before/after table")
    parser.add_argument("--only-blend", action="store_true", help="print the before/after table only")
    parser.add_argument("--datatrove-python", metavar="PYTHON",
                        help="an interpreter with datatrove installed: adds its DocumentTokenizer to the blend table")
    args = harness.parse_args(parser, argv, quick={"docs": 500, "pack_docs": 10_000, "repeats": 1, "blend_docs": 1500},
                              smoke={"docs": 60, "pack_docs": 500, "repeats": 1, "bucket_tokens": 1 << 16,
                                     "blend_docs": 300})
    os.environ["CURATION_BEAM_MODE"] = args.beam_mode

    blend_comparison(args.before, args.blend_docs, args.repeats, args.datatrove_python)
    if args.only_blend:
        return

    speed = pipeline_speed(args.docs, args.repeats)
    print(f"\nshard pipeline (FnApiRunner {args.beam_mode}, {os.cpu_count()} cores, median of {args.repeats}): "
          f"{speed['docs']:,} docs, {speed['tokens_in']:,} tokens in {speed['seconds']:.2f} s = "
          f"{speed['tok_s']:,.0f} tokens/s (best_fit, seq_len 2048, padding {speed['padding']:.2%})")

    table = pack_table(args.pack_docs, args.bucket_tokens, args.repeats)
    lengths = lognormal_lengths(args.pack_docs)
    print(f"\npacking {args.pack_docs:,} log-normal documents (median {int(np.median(lengths))}, mean "
          f"{int(lengths.mean())} tokens; {int(lengths.sum()):,} tokens; buckets of {args.bucket_tokens:,} tokens)")
    head = f"{'seq_len':>7}  {'mode':<9}{'rows':>9}{'padding':>10}{'truncated docs':>16}{'dropped tokens':>16}{'pack tok/s':>13}"
    print(head)
    print("-" * len(head))
    for r in table:
        print(f"{r['seq_len']:>7}  {r['mode']:<9}{r['rows']:>9,}{r['padding']:>10.2%}"
              f"{r['truncated']:>9,} ({r['truncated'] / args.pack_docs:>4.1%}){r['dropped']:>16,}{r['tok_s']:>13,.0f}")


if __name__ == "__main__":
    main()
