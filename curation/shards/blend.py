"""The row order of a shard directory: a deterministic blend that keeps every prefix on the mixture.

Rows are packed per source, so each row belongs to one source. Each source's rows are laid
out in its own order (packing buckets in index order, rows within a bucket in a seeded
permutation), and row ``j`` of source ``s`` gets the blend time

    time = (tokens of s before row j + half of row j's tokens) / share_s

where ``share_s`` is the source's share of all real tokens in the shards. Sorting every row by
time (ties: source order, then the source's own order) interleaves the sources as Megatron's
``BlendedDataset`` does (always take the source furthest behind its weight), counted in tokens
instead of samples: at any point of the order each source is within about half a row of its
share, so a prefix, a shard, or any contiguous range of ``k`` rows is within about ``1/k`` of
the weights. The time of a row needs only its source's per-bucket token totals, so the blend is
computed row by row in parallel, without a global sort; shard ``i`` of ``n`` holds the rows with
``time`` in ``[i, i + 1) * total / n``, a contiguous range of the order.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from curation.shards.mixture import hash64
from curation.shards.rows import RowBlock


def row_permutation(seed: int, source: str, bucket: int, rows: int) -> np.ndarray:
    """The seeded order of a packed bucket's rows (best-fit makes rows of long pieces first)."""
    return np.random.default_rng(hash64(seed, "rows", source, bucket)).permutation(rows)


def bucket_offsets(bucket_tokens: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
    """Tokens of the same source in the buckets before each ``(source, bucket)``."""
    offsets, running = {}, {}
    for source, bucket in sorted(bucket_tokens):
        offsets[(source, bucket)] = running.get(source, 0)
        running[source] = running.get(source, 0) + bucket_tokens[(source, bucket)]
    return offsets


def times_of(row_tokens: np.ndarray, tokens_before: int, source_tokens: int, total_tokens: int) -> np.ndarray:
    """Blend times of consecutive rows of one source (the first has ``tokens_before`` before it)."""
    row_tokens = np.asarray(row_tokens, np.int64)
    before = tokens_before + np.cumsum(row_tokens) - row_tokens
    return (before + row_tokens / 2) * total_tokens / source_tokens


def blend_times(row_tokens: np.ndarray, source: str, bucket: int, bucket_tokens: dict[tuple[str, int], int],
                num_shards: int) -> tuple[np.ndarray, np.ndarray]:
    """(blend time, shard index) of every row of one packed bucket, from all buckets' token totals."""
    totals: dict[str, int] = {}
    for (src, _), n in bucket_tokens.items():
        totals[src] = totals.get(src, 0) + n
    total = sum(totals.values())
    times = times_of(row_tokens, bucket_offsets(bucket_tokens)[(source, bucket)], totals[source], total)
    shards = np.minimum(num_shards - 1, (times * num_shards // total).astype(np.int64))
    return times, shards


def blend_order(parts: Iterable[tuple[tuple, RowBlock]]) -> RowBlock:
    """One shard's rows, from its parts ``((times, source order, bucket, rows), block)``, in blend order."""
    parts = sorted(parts, key=lambda p: (p[0][1], p[0][2]))  # (source, bucket): a content order
    times = np.concatenate([p[0][0] for p in parts])
    source = np.concatenate([np.full(len(p[0][3]), p[0][1]) for p in parts])
    bucket = np.concatenate([np.full(len(p[0][3]), p[0][2]) for p in parts])
    row = np.concatenate([p[0][3] for p in parts])
    order = np.lexsort((row, bucket, source, times))
    return RowBlock.concat([p[1] for p in parts]).take(order)


def blend(rows: dict[str, Sequence[int]]) -> list[tuple[str, int]]:
    """``(source, row index)`` in blend order for in-memory rows given as tokens per row per source."""
    totals = {s: int(np.sum(t)) for s, t in rows.items()}
    total = sum(totals.values())
    keyed = []
    for order, (source, tokens) in enumerate(rows.items()):
        keyed += [(t, order, j, source) for j, t in enumerate(times_of(tokens, 0, totals[source], total).tolist())]
    keyed.sort()
    return [(source, j) for _, _, j, source in keyed]


def share_errors(row_sources: Sequence[str], row_tokens: Sequence[int], weights: dict[str, float],
                 cuts: Iterable[int]) -> list[float]:
    """For each cut ``k``, the largest ``|share - weight|`` over sources in the first ``k`` rows (tokens)."""
    names = list(weights)
    index = {n: i for i, n in enumerate(names)}
    per_source = np.zeros((len(row_sources), len(names)), np.int64)
    for r, (s, n) in enumerate(zip(row_sources, row_tokens)):
        per_source[r, index[s]] = n
    cum = np.cumsum(per_source, axis=0)
    want = np.array([weights[n] for n in names])
    out = []
    for k in cuts:
        got = cum[k - 1]
        out.append(float(np.max(np.abs(got / max(1, got.sum()) - want))) if k else 0.0)
    return out
