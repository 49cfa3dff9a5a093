"""Precision and recall of the PII redactor on the labelled set (scripts/build_pii_set.py).

    python bench/pii.py
    python bench/pii.py --errors          # also list every miss and false positive

Per kind (email, ip, phone) and overall: true positives, false positives, misses, precision,
recall, and how many true positives have exactly the gold boundaries. Speed on the sample
pages is in ``bench/filters.py`` (rows ``pii``).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--set", default=str(REPO / "tests" / "data" / "pii" / "labelled.jsonl"))
    args = harness.parse_args(parser, argv)  # one labelled set: --quick and --smoke run all of it

    from filters.pii import PiiRedactor
    from filters.pii_eval import score

    records = [json.loads(line) for line in Path(args.set).read_text().splitlines()]
    result = score(PiiRedactor(), records)
    positives = sum(len(r["spans"]) for r in records)
    print(f"\n{len(records)} passages: {positives} PII spans, {sum(not r['spans'] for r in records)} look-alikes\n")
    print(f"{'kind':<8}{'tp':>6}{'fp':>6}{'fn':>6}{'precision':>11}{'recall':>8}{'exact':>7}")
    for kind in ("email", "ip", "phone", "all"):
        c = result[kind]
        print(f"{kind:<8}{c['tp']:>6}{c['fp']:>6}{c['fn']:>6}{c['precision']:>11.3f}{c['recall']:>8.3f}{c['exact']:>7}")
    if args.errors:
        print("\n" + "\n".join(result["errors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
