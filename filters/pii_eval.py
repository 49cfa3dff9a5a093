"""Precision and recall of :class:`filters.pii.PiiRedactor` on a labelled set (scripts/build_pii_set.py).

A found span is a true positive when it overlaps a gold span of the same kind; a gold span no
found span of its kind overlaps is a miss; a found span overlapping no gold span of its kind is a
false positive (on a look-alike passage: something that had to stay). ``exact`` counts true
positives whose boundaries equal the gold span's.
"""
from __future__ import annotations

from typing import Any, Iterable

from filters.pii import KINDS, PiiRedactor


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(redactor: PiiRedactor, records: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per kind and ``all``: tp, fp, fn, exact, precision, recall; ``errors`` lists the first mistakes."""
    redactor.setup()
    tally = {kind: {"tp": 0, "fp": 0, "fn": 0, "exact": 0} for kind in KINDS}
    errors: list[str] = []
    for record in records:
        found, _ = redactor.find(record["text"])
        gold = [(s, e, k) for s, e, k in record["spans"]]
        for start, end, kind in found:
            match = [g for g in gold if g[2] == kind and _overlaps((start, end), g)]
            if match:
                tally[kind]["tp"] += 1
                tally[kind]["exact"] += (start, end) == match[0][:2]
            else:
                tally[kind]["fp"] += 1
                errors.append(f"FP {kind} {record['text'][start:end]!r} in {record['id']} ({record['category']})")
        for start, end, kind in gold:
            if not any(k == kind and _overlaps((start, end), (s, e)) for s, e, k in found):
                tally[kind]["fn"] += 1
                errors.append(f"FN {kind} {record['text'][start:end]!r} in {record['id']}")
    tally["all"] = {key: sum(t[key] for t in tally.values()) for key in ("tp", "fp", "fn", "exact")}
    for counts in tally.values():
        counts["precision"] = counts["tp"] / max(1, counts["tp"] + counts["fp"])
        counts["recall"] = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    return {**tally, "errors": errors}
