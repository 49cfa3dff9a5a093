"""Benchmark of the shard stage: pipeline throughput, and padding/truncation of the packers.

    python bench/shards.py [--docs 2000] [--pack-docs 40000] [--repeats 3] [--beam-mode in_memory]

Prints, in one run:
1. tokens/s of the whole ``curation shards`` pipeline (read, tokenize, count, plan, sample, pack,
   shuffle, write) on ``--docs`` generated documents (median of ``--repeats`` runs);
2. for best_fit vs concat vs pad at seq_len 512 and 2048: padding fraction, truncated documents
   and packing speed, on ``--pack-docs`` document lengths drawn from a log-normal distribution
   (median ~400 tokens, sigma 1.2: the heavy right tail of web text), packed in buckets of
   ``bucket_tokens`` as the pipeline does.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="documents for the pipeline run")
    parser.add_argument("--pack-docs", type=int, default=40_000, help="document lengths for the packing table")
    parser.add_argument("--bucket-tokens", type=int, default=1 << 22)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beam-mode", default="in_memory", choices=["in_memory", "multi_threading", "multi_processing"])
    args = parser.parse_args()
    os.environ["CURATION_BEAM_MODE"] = args.beam_mode

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
