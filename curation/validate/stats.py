"""Token statistics of a shard: unigram counts, document lengths, repeats, padding.

Accumulated batch by batch (``TokenStats.add``); compared across shards with
:func:`js_divergence` once every shard has been read.
"""
from __future__ import annotations

import numpy as np
import xxhash


class TokenStats:
    """Running statistics of one shard.

    ``repeat_min_tokens``: segments shorter than this are not repeat-counted (short
    boilerplate documents legitimately recur).
    """

    def __init__(self, vocab_size: int, repeat_min_tokens: int = 16):
        self.vocab_size = vocab_size
        self.repeat_min_tokens = repeat_min_tokens
        self.unigram = np.zeros(vocab_size, dtype=np.int64)
        self.rows = self.real_tokens = self.pad_tokens = 0
        self.segment_lengths: list[np.ndarray] = []
        self._row_hashes: set[int] = set()
        self.repeated_rows = self.nonempty_rows = 0
        self._segment_hashes: set[int] = set()
        self.repeat_tokens = self.repeated_tokens = 0

    def add(self, ids: np.ndarray, mask: np.ndarray, seg: np.ndarray) -> None:
        real = mask == 1
        n, width = ids.shape
        self.rows += n
        self.real_tokens += int(real.sum())
        self.pad_tokens += int((~real).sum())
        valid = ids[real]
        valid = valid[(valid >= 0) & (valid < self.vocab_size)]
        self.unigram += np.bincount(valid, minlength=self.vocab_size)
        # Segment lengths of all rows at once: count (row, segment) keys over real tokens.
        keys = (np.arange(n)[:, None] * (width + 1) + np.clip(seg, 0, width))[real]
        counts = np.bincount(keys, minlength=n * (width + 1))
        self.segment_lengths.append(counts[counts > 0])
        for r in range(n):
            if not real[r].any():
                continue
            self.nonempty_rows += 1
            self._count_row(ids[r], real[r], seg[r])

    def _count_row(self, ids, real, seg) -> None:
        h = xxhash.xxh3_64_intdigest(np.where(real, ids, -1).astype(np.int32).tobytes())
        if h in self._row_hashes:
            self.repeated_rows += 1
        self._row_hashes.add(h)
        toks, segs = ids[real], seg[real]
        cuts = np.flatnonzero(np.diff(segs)) + 1
        for piece in np.split(toks, cuts):
            if len(piece) < self.repeat_min_tokens:
                continue
            self.repeat_tokens += len(piece)
            h = xxhash.xxh3_64_intdigest(piece.astype(np.int32).tobytes())
            if h in self._segment_hashes:
                self.repeated_tokens += len(piece)
            self._segment_hashes.add(h)

    def summary(self) -> dict:
        lengths = self.lengths()
        total = self.real_tokens + self.pad_tokens
        return {
            "rows": self.rows,
            "tokens": total,
            "real_tokens": self.real_tokens,
            "pad_tokens": self.pad_tokens,
            "pad_fraction": self.pad_tokens / total if total else 1.0,
            "segments": int(len(lengths)),
            "mean_segment_tokens": float(lengths.mean()) if len(lengths) else 0.0,
            "repeated_row_fraction": self.repeated_rows / self.nonempty_rows if self.nonempty_rows else 0.0,
            "repeated_token_fraction": (self.repeated_tokens / self.repeat_tokens
                                        if self.repeat_tokens else 0.0),
        }

    def lengths(self) -> np.ndarray:
        return np.concatenate(self.segment_lengths) if self.segment_lengths else np.zeros(0, np.int64)


def js_divergence(p_counts: np.ndarray, q_counts: np.ndarray) -> float | None:
    """Jensen-Shannon divergence in bits (0 = same distribution, 1 = disjoint supports)."""
    ps, qs = p_counts.sum(), q_counts.sum()
    if ps == 0 or qs == 0:
        return None
    p, q = p_counts / ps, q_counts / qs
    m = 0.5 * (p + q)

    def kl(a):
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return 0.5 * kl(p) + 0.5 * kl(q)
