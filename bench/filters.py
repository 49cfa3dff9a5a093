"""Speed and effect of the filter steps (C4, Gopher, FineWeb, PII, URL lists, language id) on the sample.

    python bench/filters.py                  # sample pages, 3 repeats
    python bench/filters.py --copies 5 --repeats 5

The sample WARC files are extracted once (``curation docs`` without filters); each
step then runs alone over all extracted pages, without Beam, so the figures are the
per-core cost of the logic. Columns: pages/s (median of repeats), the share of pages
the step drops, and the share dropped by each of its rules (first rule that fires).
Then: how often fastText LID-176 agrees with C4's langdetect on the English / not-English
decision (langdetect "en" >= 0.99 vs fastText "en" >= t), at t = 0.99 and at the best t.
Pages: the shipped sample WARCs and the real WARCs in sample/real (Common Crawl, warcio).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402

os.environ.setdefault("CURATION_BEAM_MODE", "in_memory")


# Candidate set for the restricted lingua row: common web languages (ISO 639-1; "nb" is Norwegian).
WEB_LANGUAGES = "en de fr es it pt nl sv da nb fi pl cs ru uk tr ar zh ja ko".split()


def extracted_pages(copies: int) -> list[dict]:
    from curation.io.docfiles import iter_documents
    from pipelines.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        code = main(["docs", "--input", str(REPO / "sample" / "warc" / "*.warc.gz"),
                     "--input", str(REPO / "sample" / "real" / "*.warc.gz"), "--output", tmp])
        if code:
            raise SystemExit(f"extraction failed ({code})")
        docs = [d for p in sorted(Path(tmp).rglob("part-*")) for d in iter_documents(str(p))]
    return [{**d, "id": f"{d['id']}-{c}"} for c in range(copies) for d in docs]


def timed(step, docs, repeats: int):
    step.setup()
    step.run(docs[:5])  # warm-up: lazy model loading is not per-page cost
    times, counts = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        _, counts = step.run(docs)
        times.append(time.perf_counter() - start)
    return len(docs) / statistics.median(times), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1, help="repeat the sample pages N times")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pages", type=int, help="only the first N extracted pages")
    parser.add_argument("--steps", help="only the steps whose name starts with one of these (comma-separated)")
    args = harness.parse_args(parser, argv, quick={"repeats": 1},
                              smoke={"repeats": 1, "pages": 40, "steps": "c4,badwords,gopher"})

    from filters.badwords import BadWordsFilter
    from filters.c4 import C4Filter
    from filters.decontam import Decontaminator
    from filters.fineweb import FineWebQualityFilter
    from filters.gopher import GopherQualityFilter, GopherRepetitionFilter
    from filters.langid import LanguageFilter
    from filters.pii import PiiRedactor
    from filters.url_filter import UrlFilter

    docs = extracted_pages(args.copies)[: args.pages]
    n = len(docs)
    lists = tempfile.TemporaryDirectory()
    blocked = os.path.join(lists.name, "domains")  # 100k made-up domains plus one of the sample's sites
    Path(blocked).write_text("".join(f"site{i}.example\n" for i in range(100_000)) + "thecommons.example\n")
    books = str(REPO / "sample" / "reference" / "books.jsonl")  # as an eval set: 68 passages, ~105k words
    steps = [
        ("c4 (lines + pages)", C4Filter()),
        ("langid: langdetect (C4)", LanguageFilter("langdetect")),
        ("langid: lingua low-accuracy", LanguageFilter("lingua", lingua_low_accuracy=True)),
        ("langid: lingua low, 20 langs", LanguageFilter("lingua", lingua_languages=WEB_LANGUAGES)),
        ("langid: lingua high-accuracy", LanguageFilter("lingua", lingua_low_accuracy=False)),
        ("langid: fastText LID-176", LanguageFilter("fasttext")),
        ("badwords (en)", BadWordsFilter()),
        ("gopher_quality", GopherQualityFilter()),
        ("gopher_repetition", GopherRepetitionFilter()),
        ("fineweb", FineWebQualityFilter()),
        ("pii (4 phone regions)", PiiRedactor()),
        ("pii (no phone)", PiiRedactor(phone=False)),
        ("url_filter (100k domains)", UrlFilter(domain_lists=[blocked], banned_words=["casino", "xxx"])),
        ("decontaminate (books, 13)", Decontaminator([books])),
    ]
    if args.steps:
        steps = [(label, step) for label, step in steps if label.startswith(tuple(args.steps.split(",")))]
    rows = []
    for label, step in steps:
        rate, counts = timed(step, docs, args.repeats)
        dropped = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("dropped:")}
        rows.append((label, rate, sum(dropped.values()) / n, dropped))
        if isinstance(step, C4Filter):
            lines = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("lines_removed:")}
            total = sum(lines.values()) + counts.get("lines_kept", 0)
            line_shares = ", ".join(f"{r} {v / total:.1%}" for r, v in sorted(lines.items(), key=lambda kv: -kv[1]))
    print(f"\n{n} extracted sample pages, median of {args.repeats} runs, one core, no Beam\n")
    print(f"{'step':<30}{'pages/s':>10}{'dropped':>9}  dropped by rule (share of pages)")
    print("-" * 100)
    for label, rate, share, dropped in rows:
        detail = ", ".join(f"{rule} {v / n:.1%}" for rule, v in sorted(dropped.items(), key=lambda kv: -kv[1]))
        print(f"{label:<30}{rate:>10,.0f}{share:>9.1%}  {detail}")
        if label.startswith("c4"):
            print(f"{'':<49}  lines removed (share of non-blank lines): {line_shares}")
    if args.steps and "langid" not in args.steps:
        return 0
    # How often the fast detector agrees with C4's on the language of the page (before any threshold).
    a, b = LanguageFilter("langdetect", keep_other_languages=True), LanguageFilter("lingua", keep_other_languages=True)
    a.setup()
    b.setup()
    la = [a.process(d).doc["language"] for d in docs]
    lb = [b.process(d).doc["language"] for d in docs]
    agree = sum(x == y for x, y in zip(la, lb)) / n
    print(f"\nlangdetect vs lingua (low accuracy): same top language on {agree:.1%} of pages")
    english_agreement(docs)
    return 0


def english_agreement(docs: list[dict]) -> None:
    """C4's decision (langdetect en >= 0.99) against fastText en >= t, for a range of t."""
    from filters.langid import make_detector

    c4, fast = make_detector("langdetect"), make_detector("fasttext")
    c4.setup()
    fast.setup()
    c4_guess = [c4.detect(d["text"]) for d in docs]
    fast_guess = [fast.detect(d["text"]) for d in docs]
    c4_says = [g is not None and g[0] == "en" and g[1] >= 0.99 for g in c4_guess]
    fast_en = [g[1] if g is not None and g[0] == "en" else -1.0 for g in fast_guess]
    same_top = sum((g or ("",))[0] == (c or ("",))[0] for g, c in zip(fast_guess, c4_guess))
    n = len(docs)

    def agreement(t: float) -> tuple[float, int, int]:
        yes = [s >= t for s in fast_en]
        only_c4 = sum(a and not b for a, b in zip(c4_says, yes))
        only_fast = sum(b and not a for a, b in zip(c4_says, yes))
        return (n - only_c4 - only_fast) / n, only_c4, only_fast

    grid = [round(0.05 + 0.01 * k, 2) for k in range(95)]
    top = max(agreement(t)[0] for t in grid)
    best_range = [t for t in grid if agreement(t)[0] == top]
    best = best_range[-1]  # the strictest threshold with the best agreement
    print(f"\nEnglish / not English on {n} pages: langdetect en >= 0.99 keeps {sum(c4_says)}; "
          f"same top language as langdetect on {same_top / n:.1%}")
    print(f"best agreement {top:.1%} for t from {best_range[0]:.2f} to {best_range[-1]:.2f}")
    print(f"{'fastText en >= t':<20}{'agreement':>10}{'C4 only':>9}{'fastText only':>15}")
    rows = [("0.99 (C4's)", 0.99), (f"{best:.2f} (best)", best)] + [(f"{t:.2f}", t) for t in (0.3, 0.5, 0.8, 0.9)]
    for label, t in rows:
        share, only_c4, only_fast = agreement(t)
        print(f"{label:<20}{share:>10.1%}{only_c4:>9}{only_fast:>15}")


if __name__ == "__main__":
    sys.exit(main())
