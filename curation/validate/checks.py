"""Structural checks of shard rows, vectorised over a batch of rows.

Each function takes ``[rows, seq_len]`` numpy arrays of one record batch and returns
the number of offending rows, so a shard is checked batch by batch in bounded memory.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from curation.shards.format import shard_schema


def describe_type(t: pa.DataType) -> str:
    """A type's shape without list item names (writers differ in 'item' vs 'element')."""
    if pa.types.is_fixed_size_list(t):
        return f"fixed_size_list<{describe_type(t.value_type)}>[{t.list_size}]"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"list<{describe_type(t.value_type)}>"
    if pa.types.is_large_string(t):
        return "string"
    return str(t)


def per_segment_columns(seq_len: int) -> list[str]:
    """The variable-length list columns of the format: one entry per packed segment."""
    return [f.name for f in shard_schema(seq_len) if not pa.types.is_fixed_size_list(f.type)]


def schema_problems(schema: pa.Schema, seq_len: int) -> list[str]:
    """Differences between a file's schema and ``shard_schema(seq_len)`` (empty when it matches)."""
    expected = shard_schema(seq_len)
    problems = []
    for field in expected:
        if field.name not in schema.names:
            problems.append(f"missing column {field.name}")
            continue
        got, want = describe_type(schema.field(field.name).type), describe_type(field.type)
        if got != want:
            problems.append(f"{field.name}: {got} (expected {want})")
    extra = [n for n in schema.names if n not in expected.names]
    if extra:
        problems.append(f"unexpected columns {extra}")
    return problems


def out_of_range_rows(ids: np.ndarray, vocab_size: int) -> int:
    return int(((ids < 0) | (ids >= vocab_size)).any(axis=1).sum())


def padding_rows(ids, mask, loss_mask, pad_id: int) -> int:
    """Rows where padding and ``attention_mask`` disagree.

    The pad id must appear exactly where the mask is 0, masks must be 0/1, and the loss
    mask may only be set on real tokens.
    """
    real = mask == 1
    bad = ~np.isin(mask, (0, 1)) | ~np.isin(loss_mask, (0, 1))
    bad |= real == (ids == pad_id)
    bad |= (loss_mask == 1) & ~real
    return int(bad.any(axis=1).sum())


def loss_target_counts(mask: np.ndarray, loss_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (real tokens, loss targets among them)."""
    real = mask == 1
    return real.sum(axis=1), ((loss_mask == 1) & real).sum(axis=1)


def running_segment(seg: np.ndarray, real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(segment id on real tokens else 0, the largest segment id seen before each position)."""
    s = np.where(real, seg, 0)
    seen = np.maximum.accumulate(s, axis=1)
    before = np.zeros_like(seen)
    before[:, 1:] = seen[:, :-1]
    return s, before


def segment_rows(seg, pos, mask, per_segment_lengths: list[np.ndarray]) -> int:
    """Rows whose segment or position ids are inconsistent.

    Segment ids are 0 exactly on padding, number the documents 1, 2, ... in order, each
    segment is contiguous; position ids restart at 0 at each segment and count up by one
    (0 on padding); every per-segment list column (sources, doc ids, offsets) has one
    entry per segment.
    """
    real = mask == 1
    s, before = running_segment(seg, real)
    bad = (seg == 0) == real                      # segment 0 exactly on padding
    step = s - before
    bad |= real & ~np.isin(step, (0, 1))          # ids go 1, 2, ... without gaps or going back
    start = real & (step == 1)
    prev_real = np.zeros_like(real)
    prev_real[:, 1:] = real[:, :-1]
    prev_pos = np.zeros_like(pos)
    prev_pos[:, 1:] = pos[:, :-1]
    cont = real & ~start
    bad |= start & (pos != 0)
    bad |= cont & (~prev_real | (pos != prev_pos + 1))  # contiguous, positions count up
    bad |= ~real & (pos != 0)
    n_segments = s.max(axis=1)
    row_bad = bad.any(axis=1)
    for lengths in per_segment_lengths:
        row_bad |= n_segments != lengths
    return int(row_bad.sum())


def empty_rows(mask: np.ndarray) -> int:
    return int((~(mask == 1).any(axis=1)).sum())
