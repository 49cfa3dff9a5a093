"""``DocBlock``: tokenized documents of one source as flat numpy arrays, what the shard pipeline
passes from tokenizing to packing.

One element per block of documents (an encode batch), not one per document: Beam's per-element
work (encoding, buffering and decoding every element between steps) was much of the time from
the tokenizer to the packer, and a block pickles as a handful of arrays. Once sampled, a block's
entries are document *copies*, each with the epoch it is trained in and its 64-bit copy key.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class DocBlock:
    source: str
    doc_ids: list[str]
    lengths: np.ndarray  # int64 tokens per entry
    tokens: np.ndarray  # int32: every entry's tokens back to back (empty in a sizes-only block)
    epochs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per copy, once sampled
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))  # per copy, once sampled

    @classmethod
    def of(cls, source: str, doc_ids: list[str], arrays: list[np.ndarray]) -> "DocBlock":
        lengths = np.fromiter((len(a) for a in arrays), np.int64, len(arrays))
        tokens = np.concatenate(arrays).astype(np.int32, copy=False) if arrays else np.zeros(0, np.int32)
        return cls(source, list(doc_ids), lengths, tokens)

    def __len__(self) -> int:
        return len(self.doc_ids)

    def sizes(self) -> "DocBlock":
        """The block without its tokens (what planning needs)."""
        return DocBlock(self.source, self.doc_ids, self.lengths, np.zeros(0, np.int32), self.epochs, self.keys)

    def token_views(self) -> list[np.ndarray]:
        """Each entry's tokens, as views of the block's array."""
        ends = np.cumsum(self.lengths).tolist()
        return [self.tokens[e - n:e] for e, n in zip(ends, self.lengths.tolist())]

    def copies(self, entries: list[int], epochs: list[int], keys: list[int]) -> "DocBlock":
        """A block of copies: entry ``entries[i]`` of this block in epoch ``epochs[i]`` with key ``keys[i]``."""
        views = self.token_views()
        picked = [views[i] for i in entries]
        block = DocBlock.of(self.source, [self.doc_ids[i] for i in entries], picked)
        block.epochs = np.array(epochs, np.int64)
        block.keys = np.array(keys, np.uint64)
        return block

    def take(self, entries: np.ndarray) -> "DocBlock":
        """The entries at ``entries``, in that order (their epochs and keys with them)."""
        entries = np.asarray(entries, np.int64)
        views = self.token_views()
        block = DocBlock.of(self.source, [self.doc_ids[i] for i in entries.tolist()],
                            [views[i] for i in entries.tolist()])
        block.epochs, block.keys = self.epochs[entries], self.keys[entries]
        return block

    def content_order(self) -> list[int]:
        """Entry indices sorted by (copy key, doc id, epoch, tokens): an order by content, not arrival.

        The tokens only break ties (a doc id repeated in its source), so they are compared only then.
        """
        keys, epochs, ids = self.keys.tolist(), self.epochs.tolist(), self.doc_ids
        order = sorted(range(len(self)), key=lambda i: (keys[i], ids[i], epochs[i]))
        if any((keys[a], ids[a], epochs[a]) == (keys[b], ids[b], epochs[b]) for a, b in zip(order, order[1:])):
            views = self.token_views()
            order = sorted(range(len(self)), key=lambda i: (keys[i], ids[i], epochs[i], views[i].tobytes()))
        return order

    @classmethod
    def concat(cls, blocks: list["DocBlock"]) -> "DocBlock":
        """One block of several blocks of the same source, entries in order."""
        return cls(blocks[0].source, [d for b in blocks for d in b.doc_ids],
                   np.concatenate([b.lengths for b in blocks]), np.concatenate([b.tokens for b in blocks]),
                   np.concatenate([b.epochs for b in blocks]), np.concatenate([b.keys for b in blocks]))
