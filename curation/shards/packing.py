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

Packing needs only the documents' lengths: :func:`pack_layout` computes a :class:`Layout`
(which slice of which document goes in which row), and the tokens are moved once afterwards,
either into rows of :class:`Segment` (:func:`pack`) or straight into the flat arrays of a
:class:`curation.shards.rows.RowBlock` (``RowBlock.from_layout``, what the pipeline does);
:func:`curation.shards.writer.block_to_table` turns a block into the shard columns (padding,
masks, segment and position ids).
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


class Layout(NamedTuple):
    """Where packing put every piece of its items: by row, and within a row in placement order."""

    item: np.ndarray  # int64 per piece: the item it is cut from
    offset: np.ndarray  # int64 per piece: where it starts inside that item
    length: np.ndarray  # int64 per piece
    row: np.ndarray  # int64 per piece, non-decreasing
    rows: int


def pack_layout(lengths: np.ndarray, seq_len: int, mode: str = "best_fit") -> tuple[Layout, PackStats]:
    """Pack items of ``lengths`` tokens into rows of at most ``seq_len`` tokens with the named strategy.

    Only lengths are needed: the layout says which slice of which item goes where, and the
    caller moves the tokens (:meth:`curation.shards.rows.RowBlock.from_layout`, or
    :func:`pack`'s segments). ``stats.source_tokens`` is left empty (items have no source here).
    """
    if seq_len < 1:
        raise ValueError(f"seq_len must be positive, got {seq_len}")
    try:
        packer = PACKERS[mode]
    except KeyError:
        raise ValueError(f"unknown packing mode {mode!r}; choose one of {', '.join(PACKING_MODES)}") from None
    lengths = np.asarray(lengths, np.int64)
    layout, stats = packer(lengths, seq_len)
    stats.documents = len(lengths)
    stats.rows = layout.rows
    stats.real_tokens = int(layout.length.sum())
    stats.pad_tokens = layout.rows * seq_len - stats.real_tokens
    return layout, stats


def _chunks(lengths: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every item cut into ``seq_len`` chunks plus a shorter last one: (item, offset, length) per piece."""
    counts = -(-lengths // seq_len)
    item = np.repeat(np.arange(len(lengths), dtype=np.int64), counts)
    offset = (np.arange(len(item), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)) * seq_len
    return item, offset, np.minimum(seq_len, lengths[item] - offset)


def _best_fit(lengths: np.ndarray, seq_len: int) -> tuple[Layout, PackStats]:
    """Best-fit decreasing; O(n log n) for the sort plus O(log seq_len) per piece.

    Open rows are indexed by remaining capacity: ``caps`` is the sorted list of capacities
    that have at least one open row, ``by_cap[c]`` the rows with exactly ``c`` tokens free.
    The best fit for a piece of length ``n`` is the first capacity ``>= n`` (a bisect).
    Pieces are placed longest first, ties in input order (items in order, chunks in order).
    """
    item, offset, length = _chunks(lengths, seq_len)
    placed = np.argsort(-length, kind="stable")
    rows_of: list[int] = []
    rows = 0
    caps: list[int] = []
    by_cap: dict[int, list[int]] = {}
    for n in length[placed].tolist():
        i = bisect.bisect_left(caps, n)
        if i == len(caps):
            row = rows
            rows += 1
            remaining = seq_len - n
        else:
            cap = caps[i]
            stack = by_cap[cap]
            row = stack.pop()
            if not stack:
                del caps[i]
                del by_cap[cap]
            remaining = cap - n
        if remaining > 0:
            stack = by_cap.get(remaining)
            if stack is None:
                stack = by_cap[remaining] = []
                bisect.insort(caps, remaining)
            stack.append(row)
        rows_of.append(row)
    row = np.array(rows_of, np.int64)
    by_row = placed[np.argsort(row, kind="stable")]  # by row, each row's pieces in placement order
    layout = Layout(item[by_row], offset[by_row], length[by_row], np.sort(row), rows)
    return layout, PackStats(truncated_docs=int(np.count_nonzero(lengths > seq_len)))


def _concat(lengths: np.ndarray, seq_len: int) -> tuple[Layout, PackStats]:
    """Concatenate in order and cut every ``seq_len`` tokens; only the last row is padded."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    # pieces run between consecutive cuts: item boundaries and multiples of seq_len
    cuts = np.union1d(np.concatenate([[0], ends]), np.arange(0, total + 1, seq_len))
    start, stop = cuts[:-1], cuts[1:]
    item = np.searchsorted(ends, start, side="right")  # the first item ending after the start (skips empty ones)
    pieces = np.bincount(item, minlength=len(lengths))
    layout = Layout(item, start - (ends[item] - lengths[item]), stop - start, start // seq_len, -(-total // seq_len))
    return layout, PackStats(truncated_docs=int(np.count_nonzero(pieces > 1)))


def _pad(lengths: np.ndarray, seq_len: int) -> tuple[Layout, PackStats]:
    """One item per row: truncate to ``seq_len`` (the rest is dropped), pad the remainder."""
    item = np.flatnonzero(lengths > 0)
    layout = Layout(item, np.zeros(len(item), np.int64), np.minimum(lengths[item], seq_len),
                    np.arange(len(item), dtype=np.int64), len(item))
    over = lengths[lengths > seq_len]
    return layout, PackStats(truncated_docs=len(over), dropped_tokens=int((over - seq_len).sum()))


PACKERS = {"best_fit": _best_fit, "concat": _concat, "pad": _pad}


def pack(items: Iterable[PackItem], seq_len: int, mode: str = "best_fit") -> tuple[list[list[Segment]], PackStats]:
    """Pack ``items`` into rows of at most ``seq_len`` tokens with the named strategy (rows of segments)."""
    items = list(items)
    layout, stats = pack_layout(np.fromiter((len(i.tokens) for i in items), np.int64, len(items)), seq_len, mode)
    rows: list[list[Segment]] = [[] for _ in range(layout.rows)]
    for i, offset, length, row in zip(layout.item.tolist(), layout.offset.tolist(), layout.length.tolist(),
                                      layout.row.tolist()):
        item = items[i]
        rows[row].append(Segment(item.tokens[offset:offset + length], item.source, item.doc_id, offset))
        stats.source_tokens[item.source] = stats.source_tokens.get(item.source, 0) + length
    return rows, stats
