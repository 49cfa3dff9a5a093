"""``RowBlock``: packed rows as flat numpy arrays, what the shard pipeline passes between steps.

A block is pickled as a handful of arrays, not as one Python object per row, segment or
token: the per-row representation (lists of ``Segment`` with an array each) spent most of
the stage's time in pickling between Beam steps. Rows are in block order; each row is one
or more segments (contiguous pieces of one document).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curation.shards.packing import Layout, Segment


@dataclass
class RowBlock:
    tokens: np.ndarray  # int32: every segment's tokens back to back, rows in order
    seg_lengths: np.ndarray  # int64 per segment
    seg_rows: np.ndarray  # int64 per segment: its row (non-decreasing)
    seg_offsets: np.ndarray  # int64 per segment: where it starts inside its document
    seg_sources: list[str]
    seg_doc_ids: list[str]
    num_rows: int

    @classmethod
    def from_rows(cls, rows: list[list[Segment]]) -> "RowBlock":
        segments = [s for row in rows for s in row]
        lengths = np.fromiter((len(s.tokens) for s in segments), np.int64, len(segments))
        tokens = np.concatenate([s.tokens for s in segments]).astype(np.int32, copy=False) if segments \
            else np.zeros(0, np.int32)
        return cls(tokens=tokens, seg_lengths=lengths,
                   seg_rows=np.repeat(np.arange(len(rows), dtype=np.int64), [len(r) for r in rows]),
                   seg_offsets=np.fromiter((s.offset for s in segments), np.int64, len(segments)),
                   seg_sources=[s.source for s in segments], seg_doc_ids=[s.doc_id for s in segments],
                   num_rows=len(rows))

    @classmethod
    def from_layout(cls, layout: Layout, tokens: np.ndarray, item_starts: np.ndarray, source: str,
                    item_doc_ids: list[str], row_order: np.ndarray | None = None) -> "RowBlock":
        """The rows of a packing layout (:func:`curation.shards.packing.pack_layout`) of one source's items.

        Item ``i`` is ``tokens[item_starts[i]:]`` (its length is in the layout's pieces) with doc id
        ``item_doc_ids[i]``. With ``row_order``, row ``j`` of the block is the layout's row
        ``row_order[j]``. The tokens move in one gather, with no per-segment Python object.
        """
        pieces, seg_rows = np.arange(len(layout.item)), layout.row
        if row_order is not None:
            new_row = np.empty(layout.rows, np.int64)
            new_row[np.asarray(row_order, np.int64)] = np.arange(layout.rows)
            pieces = np.argsort(new_row[layout.row], kind="stable")  # by new row, each row's pieces in order
            seg_rows = new_row[layout.row][pieces]
        item, offset, length = layout.item[pieces], layout.offset[pieces], layout.length[pieces]
        starts = np.asarray(item_starts, np.int64)[item] + offset
        return cls(tokens=tokens[_ranges(starts, length)].astype(np.int32, copy=False),
                   seg_lengths=length, seg_rows=seg_rows, seg_offsets=offset, seg_sources=[source] * len(item),
                   seg_doc_ids=[item_doc_ids[i] for i in item.tolist()], num_rows=layout.rows)

    @classmethod
    def concat(cls, blocks: list["RowBlock"]) -> "RowBlock":
        row_base = np.cumsum([0] + [b.num_rows for b in blocks])
        return cls(tokens=np.concatenate([b.tokens for b in blocks]),
                   seg_lengths=np.concatenate([b.seg_lengths for b in blocks]),
                   seg_rows=np.concatenate([b.seg_rows + base for b, base in zip(blocks, row_base)]),
                   seg_offsets=np.concatenate([b.seg_offsets for b in blocks]),
                   seg_sources=[s for b in blocks for s in b.seg_sources],
                   seg_doc_ids=[d for b in blocks for d in b.seg_doc_ids], num_rows=int(row_base[-1]))

    def row_tokens(self) -> np.ndarray:
        """Real tokens per row."""
        return np.bincount(self.seg_rows, weights=self.seg_lengths, minlength=self.num_rows).astype(np.int64)

    def row_segments(self) -> np.ndarray:
        """Segments per row."""
        return np.bincount(self.seg_rows, minlength=self.num_rows).astype(np.int64)

    def row_sources(self) -> list[str]:
        """The source of each row's first segment (rows of the blend hold one source each)."""
        first = np.concatenate([[0], np.cumsum(self.row_segments())[:-1]]).astype(np.int64)
        return [self.seg_sources[i] for i in first.tolist()]

    def take(self, rows: np.ndarray) -> "RowBlock":
        """The rows at ``rows`` (indices into this block), in that order."""
        rows = np.asarray(rows, np.int64)
        counts = self.row_segments()
        seg_first = np.cumsum(counts) - counts
        segs = _ranges(seg_first[rows], counts[rows])
        tok_first = np.cumsum(self.seg_lengths) - self.seg_lengths
        toks = _ranges(tok_first[segs], self.seg_lengths[segs])
        return RowBlock(tokens=self.tokens[toks], seg_lengths=self.seg_lengths[segs],
                        seg_rows=np.repeat(np.arange(len(rows), dtype=np.int64), counts[rows]),
                        seg_offsets=self.seg_offsets[segs],
                        seg_sources=[self.seg_sources[i] for i in segs.tolist()],
                        seg_doc_ids=[self.seg_doc_ids[i] for i in segs.tolist()], num_rows=len(rows))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concat(arange(s, s + n) for s, n in zip(starts, lengths))`` without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift
