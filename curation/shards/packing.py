"""Packing tokenized documents into rows of exactly ``seq_len`` tokens.

Three strategies, all deterministic for a given input order:

- ``best_fit`` (default): best-fit-decreasing bin packing as in Ding et al. 2024,
  "Fewer Truncations Improve Language Modeling". Documents longer than ``seq_len`` are
  first cut into ``seq_len``-sized chunks (plus a shorter last chunk); every piece is
  then placed, longest first, into the open row with the *least* room that still fits
  it, or into a new row. A document shorter than ``seq_len`` is never cut.
- ``concat``: concatenate documents in order and cut the stream every ``seq_len`` tokens
  (the GPT-2/3 recipe): no padding except in the last row, but documents straddle rows.
- ``pad``: one document per row, truncated to ``seq_len`` and padded (the tokens past
  ``seq_len`` are dropped).

A row is a list of :class:`Segment`; :class:`curation.shards.rows.RowBlock` holds many rows as
flat arrays and :func:`curation.shards.writer.block_to_table` turns them into
the shard columns (padding, masks, segment and position ids).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

import numpy as np

PACKING_MODES = ("best_fit", "concat", "pad")


class PackItem(NamedTuple):
    """One tokenized document (EOS already appended) to pack."""

    tokens: np.ndarray
    source: str
    doc_id: str


class Segment(NamedTuple):
    """A contiguous piece of one document placed in a row."""

    tokens: np.ndarray
    source: str
    doc_id: str
    offset: int  # where the piece starts inside its document


@dataclass
class PackStats:
    """What packing did: the columns the benchmark compares."""

    documents: int = 0
    rows: int = 0
    real_tokens: int = 0
    pad_tokens: int = 0
    truncated_docs: int = 0  # documents whose tokens ended up in more than one row, or were cut off
    dropped_tokens: int = 0  # tokens lost to truncation (``pad`` mode only)
    source_tokens: dict[str, int] = field(default_factory=dict)

    def add(self, other: "PackStats") -> "PackStats":
        for name in ("documents", "rows", "real_tokens", "pad_tokens", "truncated_docs", "dropped_tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for src, n in other.source_tokens.items():
            self.source_tokens[src] = self.source_tokens.get(src, 0) + n
        return self

    @property
    def padding_fraction(self) -> float:
        total = self.real_tokens + self.pad_tokens
        return self.pad_tokens / total if total else 0.0


def _finish(rows: list[list[Segment]], seq_len: int, stats: PackStats) -> tuple[list[list[Segment]], PackStats]:
    stats.rows = len(rows)
    for row in rows:
        used = 0
        for seg in row:
            used += len(seg.tokens)
            stats.source_tokens[seg.source] = stats.source_tokens.get(seg.source, 0) + len(seg.tokens)
        stats.real_tokens += used
        stats.pad_tokens += seq_len - used
    return rows, stats


def pack_best_fit(items: Iterable[PackItem], seq_len: int) -> tuple[list[list[Segment]], PackStats]:
    """Best-fit decreasing; O(n log n) for the sort plus O(log seq_len) per piece.

    Open rows are indexed by remaining capacity: ``caps`` is the sorted list of capacities
    that have at least one open row, ``by_cap[c]`` the rows with exactly ``c`` tokens free.
    The best fit for a piece of length ``n`` is the first capacity ``>= n`` (a bisect).
    """
    stats = PackStats()
    pieces: list[tuple[int, int, Segment]] = []
    for item in items:
        stats.documents += 1
        n = len(item.tokens)
        if n > seq_len:
            stats.truncated_docs += 1
        for start in range(0, n, seq_len):
            chunk = item.tokens[start:start + seq_len]
            pieces.append((-len(chunk), len(pieces), Segment(chunk, item.source, item.doc_id, start)))
    pieces.sort(key=lambda p: (p[0], p[1]))  # longest first, ties in input order

    rows: list[list[Segment]] = []
    caps: list[int] = []
    by_cap: dict[int, list[int]] = {}
    for neg_len, _, seg in pieces:
        n = -neg_len
        if n == 0:
            continue
        i = bisect.bisect_left(caps, n)
        if i == len(caps):
            row = len(rows)
            rows.append([seg])
            remaining = seq_len - n
        else:
            cap = caps[i]
            stack = by_cap[cap]
            row = stack.pop()
            if not stack:
                del caps[i]
                del by_cap[cap]
            rows[row].append(seg)
            remaining = cap - n
        if remaining > 0:
            stack = by_cap.get(remaining)
            if stack is None:
                stack = by_cap[remaining] = []
                bisect.insort(caps, remaining)
            stack.append(row)
    return _finish(rows, seq_len, stats)


def pack_concat(items: Iterable[PackItem], seq_len: int) -> tuple[list[list[Segment]], PackStats]:
    """Concatenate in order and cut every ``seq_len`` tokens; only the last row is padded."""
    stats = PackStats()
    rows: list[list[Segment]] = []
    current: list[Segment] = []
    fill = 0
    for item in items:
        stats.documents += 1
        n = len(item.tokens)
        offset = 0
        pieces = 0
        while offset < n:
            take = min(seq_len - fill, n - offset)
            current.append(Segment(item.tokens[offset:offset + take], item.source, item.doc_id, offset))
            pieces += 1
            offset += take
            fill += take
            if fill == seq_len:
                rows.append(current)
                current, fill = [], 0
        if pieces > 1:
            stats.truncated_docs += 1
    if current:
        rows.append(current)
    return _finish(rows, seq_len, stats)


def pack_pad(items: Iterable[PackItem], seq_len: int) -> tuple[list[list[Segment]], PackStats]:
    """One document per row: truncate to ``seq_len`` (the rest is dropped), pad the remainder."""
    stats = PackStats()
    rows: list[list[Segment]] = []
    for item in items:
        stats.documents += 1
        n = len(item.tokens)
        if n == 0:
            continue
        if n > seq_len:
            stats.truncated_docs += 1
            stats.dropped_tokens += n - seq_len
        rows.append([Segment(item.tokens[:seq_len], item.source, item.doc_id, 0)])
    return _finish(rows, seq_len, stats)


PACKERS = {"best_fit": pack_best_fit, "concat": pack_concat, "pad": pack_pad}


def pack(items: Iterable[PackItem], seq_len: int, mode: str = "best_fit") -> tuple[list[list[Segment]], PackStats]:
    """Pack ``items`` into rows of at most ``seq_len`` tokens with the named strategy."""
    if seq_len < 1:
        raise ValueError(f"seq_len must be positive, got {seq_len}")
    try:
        packer = PACKERS[mode]
    except KeyError:
        raise ValueError(f"unknown packing mode {mode!r}; choose one of {', '.join(PACKING_MODES)}") from None
    return packer(items, seq_len)
