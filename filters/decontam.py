"""Benchmark decontamination: GPT-3-style n-gram overlap with evaluation sets (Brown et al. 2020, app. C).

Text is split into words (runs of letters/digits, lower-cased: punctuation stripped); every
run of ``n`` (13) consecutive words is an n-gram. Each word is hashed (xxh3, 64 bit) and an
n-gram's hash is a polynomial of its words' hashes (numpy, wrapping uint64), so the eval index
is two flat arrays: the sorted unique n-gram hashes (8 bytes each) and, per n-gram, the eval item
it came from first (4 bytes): 1M eval n-grams take 12 MB. A document's n-grams are looked up in
bulk with one ``searchsorted``.

Modes, for a document with at least one eval n-gram:

- ``drop``: the document goes (``dropped:contaminated``);
- ``cut`` (GPT-3): every overlapping n-gram is removed with ``cut_chars`` (200) characters either
  side; what remains splits into pieces, pieces shorter than ``cut_chars`` are discarded, and
  the document goes when more than ``max_pieces`` (10) pieces remain (``dropped:too_many_pieces``)
  or none (``dropped:cut_empty``); otherwise its text is the pieces joined by a newline.

Every hit records which eval items its n-grams came from (``item:<id>`` counters, and report rows
``{id, url, action, ngrams, items}`` in the Beam transform). Eval sets are JSONL(.gz)/JSON-lines,
Parquet (``fields`` chooses the text fields; default: every string field, recursively) or text
files (one item per line). Items shorter than ``n`` words cannot match and are counted as such.
"""
from __future__ import annotations

import functools
import gzip
import io
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Sequence

import numpy as np
import xxhash
from pydantic import Field, model_validator

from curation.config import StageConfig
from curation.io.paths import expand, open_read
from filters.base import DocumentStep, StepResult

_WORD = re.compile(r"\w+")
_BASE = np.uint64(0x100000001B3)  # the n-gram polynomial's base (any odd 64-bit constant)


def words_with_offsets(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Lower-cased words and their character spans in ``text`` (punctuation is not a word)."""
    words, spans = [], []
    for m in _WORD.finditer(text):
        words.append(m.group().lower())
        spans.append(m.span())
    return words, spans


@functools.lru_cache(maxsize=8)
def _powers(n: int) -> np.ndarray:
    powers = [1] * n
    for k in range(n - 2, -1, -1):
        powers[k] = powers[k + 1] * int(_BASE) % 2**64
    return np.array(powers, dtype=np.uint64)


def ngram_hashes(words: Sequence[str], n: int) -> np.ndarray:
    """The 64-bit hash of every run of ``n`` words, in order (empty when fewer than ``n`` words)."""
    if len(words) < n:
        return np.zeros(0, dtype=np.uint64)
    hashed = np.fromiter((xxhash.xxh3_64_intdigest(w.encode("utf-8", "surrogatepass")) for w in words),
                         dtype=np.uint64, count=len(words))
    windows = np.lib.stride_tricks.sliding_window_view(hashed, n)
    return (windows * _powers(n)).sum(axis=1, dtype=np.uint64)  # uint64 arithmetic wraps: mod 2**64


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from _strings(value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def item_text(row: Any, fields: Sequence[str] | None) -> str:
    """The text of one eval item: the chosen fields (or every string in it), space-joined."""
    if isinstance(row, str):
        return row
    if fields:
        return " ".join(s for name in fields for s in _strings(row.get(name)))
    return " ".join(s for key, value in sorted(row.items()) if key != "id" for s in _strings(value))


def iter_eval_items(path: str, fields: Sequence[str] | None = None) -> Iterator[tuple[str, str]]:
    """(item id, text) for every item of an eval file: the row's ``id`` if it has one, else ``FILE:ROW``."""
    name = os.path.basename(path)
    lower = path.lower()
    if lower.endswith(".parquet"):
        import pyarrow.parquet as pq

        with open_read(path) as fh:
            rows = pq.read_table(fh).to_pylist()
    else:
        with open_read(path) as raw:
            stream = gzip.GzipFile(fileobj=raw) if lower.endswith(".gz") else raw
            lines = io.TextIOWrapper(stream, encoding="utf-8", errors="replace").read().splitlines()
        if lower.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson")):
            rows = []
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise ValueError(f"decontaminate: {path}:{number}: not JSON ({exc})") from None
        else:
            rows = [line for line in lines if line.strip()]
    for number, row in enumerate(rows, 1):
        item_id = str(row["id"]) if isinstance(row, dict) and row.get("id") is not None else f"{name}:{number}"
        yield item_id, item_text(row, fields)


@dataclass
class EvalIndex:
    """Sorted unique eval n-gram hashes, the eval item each came from first, and the items' ids."""

    n: int
    hashes: np.ndarray
    items: np.ndarray
    item_ids: list[str]
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.items.nbytes

    @classmethod
    def build(cls, paths: Sequence[str], n: int = 13, fields: Sequence[str] | None = None) -> "EvalIndex":
        files = expand(list(paths))
        if not files:
            raise FileNotFoundError(f"decontaminate: no eval files match {list(paths)}")
        parts, owners, item_ids = [], [], []
        too_short = 0
        for path in files:
            for item_id, text in iter_eval_items(path, fields):
                grams = ngram_hashes(words_with_offsets(text)[0], n)
                if not len(grams):
                    too_short += 1
                    continue
                parts.append(grams)
                owners.append(np.full(len(grams), len(item_ids), dtype=np.uint32))
                item_ids.append(item_id)
        hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
        items = np.concatenate(owners) if owners else np.zeros(0, np.uint32)
        order = np.lexsort((items, hashes))  # by hash, then lowest item: the first owner is kept
        hashes, items = hashes[order], items[order]
        first = np.ones(len(hashes), dtype=bool)
        first[1:] = hashes[1:] != hashes[:-1]
        stats = {"eval_files": len(files), "eval_items": len(item_ids) + too_short, "eval_items_too_short": too_short,
                 "eval_ngrams": int(first.sum())}
        return cls(n, hashes[first], items[first], item_ids, stats)

    def lookup(self, grams: np.ndarray) -> np.ndarray:
        """For each n-gram hash: the eval item index, or -1 when it is not in any eval set."""
        if not len(self.hashes) or not len(grams):
            return np.full(len(grams), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.hashes, grams), len(self.hashes) - 1)
        return np.where(self.hashes[pos] == grams, self.items[pos].astype(np.int64), -1)


def cut_spans(text: str, spans: list[tuple[int, int]], margin: int) -> list[str]:
    """``text`` without each span and ``margin`` characters either side: the pieces of at least ``margin`` chars."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start - margin), min(len(text), end + margin)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, last = [], 0
    for start, end in merged:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return [p.strip() for p in pieces if len(p.strip()) >= margin]


@dataclass
class Contamination:
    """What one document shares with the eval sets."""

    ngrams: int  # overlapping n-gram positions
    items: list[str]  # eval item ids, in order of first hit
    spans: list[tuple[int, int]]  # character spans of the overlapping n-grams


def find_contamination(text: str, index: EvalIndex) -> Contamination | None:
    words, offsets = words_with_offsets(text)
    owners = index.lookup(ngram_hashes(words, index.n))
    hits = np.flatnonzero(owners >= 0)
    if not len(hits):
        return None
    seen: dict[int, None] = {}
    for owner in owners[hits]:
        seen.setdefault(int(owner), None)
    spans = [(offsets[i][0], offsets[i + index.n - 1][1]) for i in hits]
    return Contamination(len(hits), [index.item_ids[i] for i in seen], spans)


class Decontaminator(DocumentStep):
    """Drop or cut documents that share n-grams with the eval sets (see the module doc).

    The index is given (``index=``, as the Beam side input does) or built from ``eval_paths`` in
    :meth:`setup`. ``last_report`` holds the report row of the last document with a hit.
    """

    name = "decontaminate"

    def __init__(self, eval_paths: Sequence[str] = (), n: int = 13, fields: Sequence[str] | None = None,
                 mode: Literal["drop", "cut"] = "drop", cut_chars: int = 200, max_pieces: int = 10,
                 index: EvalIndex | None = None):
        self.eval_paths = list(eval_paths)
        self.n = n
        self.fields = list(fields) if fields else None
        self.mode = mode
        self.cut_chars = cut_chars
        self.max_pieces = max_pieces
        self.index = index
        self.last_report: dict[str, Any] | None = None

    def setup(self) -> None:
        if self.index is None:
            self.index = EvalIndex.build(self.eval_paths, self.n, self.fields)

    def process(self, doc: dict[str, Any]) -> StepResult:
        if self.index is None:
            self.setup()
        self.last_report = None
        found = find_contamination(doc["text"], self.index)
        if found is None:
            return StepResult.keep(doc)
        counts = {"ngram_hits": found.ngrams, "docs_hit": 1, **{f"item:{i}": 1 for i in found.items}}
        action, result = self._apply(doc, found, counts)
        self.last_report = {"id": doc["id"], "url": doc.get("url"), "action": action, "ngrams": found.ngrams,
                            "items": found.items}
        return result

    def _apply(self, doc: dict[str, Any], found: Contamination, counts: dict[str, int]) -> tuple[str, StepResult]:
        if self.mode == "drop":
            return "dropped", StepResult.drop("contaminated", counts)
        pieces = cut_spans(doc["text"], found.spans, self.cut_chars)
        if not pieces:
            return "dropped:cut_empty", StepResult.drop("cut_empty", counts)
        if len(pieces) > self.max_pieces:
            return "dropped:too_many_pieces", StepResult.drop("too_many_pieces", counts)
        return "cut", StepResult.keep({**doc, "text": "\n".join(pieces)}, {**counts, "docs_cut": 1})


class DecontaminateConfig(StageConfig):
    """``filters.decontaminate``: n-gram overlap with eval sets, after every other filter (filters/decontam.py)."""

    enabled: bool = False
    eval_sets: list[str] = Field(default_factory=list)  # JSONL / Parquet / text files, globs or directories
    fields: list[str] | None = None  # text fields of an eval row; null = every string field
    n: int = Field(13, ge=1)  # words per n-gram (GPT-3: 13)
    mode: Literal["drop", "cut"] = "drop"
    cut_chars: int = Field(200, ge=0)  # cut: characters removed either side; shorter pieces are discarded
    max_pieces: int = Field(10, ge=1)  # cut: more pieces than this and the document goes
    report: str | None = None  # a directory for report rows (id, url, action, ngrams, items); null = counters only

    @model_validator(mode="after")
    def _has_eval_sets(self):
        if self.enabled and not self.eval_sets:
            raise ValueError("decontaminate: give eval_sets (JSONL / Parquet / text files of the benchmarks)")
        return self

    def step(self, index: EvalIndex | None = None) -> Decontaminator:
        return Decontaminator(self.eval_sets, self.n, self.fields, self.mode, self.cut_chars, self.max_pieces, index)
