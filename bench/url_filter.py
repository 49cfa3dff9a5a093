"""URL filter cost against list size: lookups must not slow down as the lists grow.

    python bench/url_filter.py                           # 10k, 1M, 3M listed domains
    python bench/url_filter.py --sizes 1000 5000000

For each size, a list of random domains (plus as many URL entries / 10) is written, loaded with
``UrlFilter.setup()`` (seconds, index bytes, peak RSS growth) and 200k URLs (1% listed, with random
subdomains) are checked: URLs/s, median of repeats. Words lists: 400 banned, 400 soft, 400 subwords.
"""
from __future__ import annotations

import argparse
import os
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


def name(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(n)).strip("-") or "x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000, 3_000_000])
    parser.add_argument("--urls", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = harness.parse_args(parser, argv, quick={"sizes": [10_000, 100_000], "urls": 50_000, "repeats": 1},
                              smoke={"sizes": [1000], "urls": 1000, "repeats": 1})

    from filters.url_filter import UrlFilter

    rng = random.Random(0)
    tlds = ["com", "net", "org", "de", "fr", "co.uk", "ru", "info", "xyz"]
    words = [name(rng, 6) for _ in range(1200)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            domains = [f"{name(rng, rng.randint(5, 14))}.{rng.choice(tlds)}" for _ in range(size)]
            urls_listed = [f"{d}/{name(rng, 8)}/" for d in domains[: size // 10]]
            dpath, upath = os.path.join(tmp, f"d{size}"), os.path.join(tmp, f"u{size}")
            Path(dpath).write_text("\n".join(domains) + "\n")
            Path(upath).write_text("\n".join(urls_listed) + "\n")
            queries = []
            for i in range(args.urls):
                host = domains[rng.randrange(size)] if i % 100 == 0 else f"{name(rng, 9)}.{rng.choice(tlds)}"
                queries.append(f"https://{rng.choice(['', 'www.', 'cdn.', 'a.b.'])}{host}/{name(rng, 6)}/"
                               f"{name(rng, 10)}-{name(rng, 5)}.html?id={rng.randrange(10**6)}")
            step = UrlFilter(domain_lists=[dpath], url_lists=[upath], banned_words=words[:400],
                             soft_banned_words=words[400:800], banned_subwords=words[800:])
            before = rss_mb()
            started = time.perf_counter()
            step.setup()
            load_s = time.perf_counter() - started
            index_mb = (step.domains.nbytes + step.urls.nbytes) / 1e6
            grew = rss_mb() - before
            times, hits = [], 0
            for _ in range(args.repeats):
                started = time.perf_counter()
                hits = sum(step.check(u)[0] is not None for u in queries)
                times.append(time.perf_counter() - started)
            rows.append((size, size // 10, load_s, index_mb, grew, len(queries) / statistics.median(times), hits))
            del step, domains, urls_listed
    print(f"\n{args.urls:,} URLs checked per run (1% on a listed domain), median of {args.repeats}, one core\n")
    print(f"{'domains':>10}{'urls':>10}{'load s':>9}{'index MB':>10}{'peak RSS +MB':>14}{'URLs/s':>10}{'hits':>8}")
    for size, nurls, load_s, index_mb, grew, rate, hits in rows:
        print(f"{size:>10,}{nurls:>10,}{load_s:>9.1f}{index_mb:>10.1f}{grew:>14.0f}{rate:>10,.0f}{hits:>8,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
