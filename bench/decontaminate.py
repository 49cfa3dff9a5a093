"""Decontamination index size and matching speed: memory for 1M eval n-grams, documents/s.

    python bench/decontaminate.py                  # 1M eval n-grams
    python bench/decontaminate.py --items 20000    # 2M

Eval items are 113-word passages of random words from a 20k-word vocabulary (101 13-grams each,
so 10,000 items = 1.01M n-grams), written as JSONL. Reported: index build seconds, the index's
bytes (hashes + item ids), peak RSS growth of the build, and documents/s of ``drop`` mode over the
sample's reference book chapters (68 pages, ~1,550 words each; 1 in 4 given a planted eval passage).
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = harness.parse_args(parser, argv, quick={"items": 2000, "repeats": 1}, smoke={"items": 100, "repeats": 1})

    from filters.decontam import Decontaminator, EvalIndex

    rng = random.Random(0)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(20_000)]
    books = [json.loads(line) for line in (REPO / "sample" / "reference" / "books.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "eval.jsonl"
        passages = [" ".join(rng.choice(vocab) for _ in range(113)) for _ in range(args.items)]
        path.write_text("".join(json.dumps({"id": f"e{i}", "text": p}) + "\n" for i, p in enumerate(passages)))
        before = rss_mb()
        started = time.perf_counter()
        index = EvalIndex.build([str(path)], n=13)
        build_s = time.perf_counter() - started
        grew = rss_mb() - before
    docs = [{**b, "text": b["text"] + ("\n" + passages[i % len(passages)] if i % 4 == 0 else "")} for i, b in enumerate(books)]
    step = Decontaminator(index=index)
    times, counts = [], {}
    for _ in range(args.repeats):
        started = time.perf_counter()
        _, counts = step.run(docs)
        times.append(time.perf_counter() - started)
    ngrams = index.stats["eval_ngrams"]
    print(f"\n{args.items:,} eval items, {ngrams:,} unique 13-grams; median of {args.repeats}, one core\n")
    print(f"{'build s':>8}{'index MB':>10}{'bytes/ngram':>12}{'peak RSS +MB':>14}{'docs/s':>8}{'dropped':>9}")
    print(f"{build_s:>8.1f}{index.nbytes / 1e6:>10.1f}{index.nbytes / ngrams:>12.1f}{grew:>14.0f}"
          f"{len(docs) / statistics.median(times):>8,.0f}{counts.get('dropped:contaminated', 0):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
